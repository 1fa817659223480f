/**
 * How the Signal panel's job reaches its page (issue 13: the first chart
 * within 500 ms of the click). The host posts the job as soon as it is
 * prepared, while the webview is still loading (the job only: the schemes that
 * follow it, up to a megabyte each, wait for `ready`, as a flood of messages
 * while the frame is created delays the page itself, by ~250 ms measured): VS Code's webview host
 * (workbench/contrib/webview/browser/pre/index.html) holds messages for a
 * frame that is loading and hands them over at its `load` (or 200 ms after
 * DOMContentLoaded), after the page's script has added its listener. The
 * `ready` handshake stays as the fallback: the page says which job it holds,
 * and the host posts again what it lacks. A message may therefore arrive
 * twice; these rules make each job run once and each scheme count once.
 * Pure, with no DOM or `vscode`: the page and the host call it.
 */

/** What the page holds of a job: its request, and how many of its schemes are still to come. */
export interface HeldJob {
  readonly request: number;
  readonly pending: number;
}

/** A job (`type: 'job'`) or more of its schemes (`type: 'runs'`), as far as their order goes. */
export interface JobPart {
  readonly type: 'job' | 'runs';
  readonly request: number;
  /** Schemes still to come after this message (absent on a job: none). */
  readonly pending?: number;
}

/**
 * What the page does with `part`, given the job it holds: `start` a newer job
 * (request ids only grow within a panel), `append` the next schemes of the
 * job it holds (each `runs` message has fewer pending than the one before it),
 * or `drop` a copy, an older job, or schemes of a job it does not hold.
 */
export function arrival(held: HeldJob | undefined, part: JobPart): 'start' | 'append' | 'drop' {
  if (part.type === 'job') return held === undefined || part.request > held.request ? 'start' : 'drop';
  return held !== undefined && part.request === held.request && (part.pending ?? 0) < held.pending ? 'append' : 'drop';
}

/** Whether the host posts `message` at once while the page loads: the job (and an error) yes, its later schemes at `ready`. */
export function postEarly(message: { readonly type: string }): boolean {
  return message.type !== 'runs';
}

/**
 * What the host posts when the page reports `ready` after its first load:
 * the messages kept while it loaded (`kept`: the latest job and its schemes
 * so far, or the latest error, each with whether it was posted then). When the
 * page already holds that very job (`holds`: the request it reported), only
 * what was not posted yet, in order; otherwise all of them again.
 */
export function toRepost<M extends { readonly type: string; readonly request?: number }>(kept: readonly { readonly message: M; readonly posted: boolean }[], holds: number | undefined): readonly M[] {
  const first = kept[0]?.message;
  if (first?.type === 'job' && holds !== undefined && first.request === holds) return kept.filter((k) => !k.posted).map((k) => k.message);
  return kept.map((k) => k.message);
}
