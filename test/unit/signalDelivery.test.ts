/**
 * How the Signal panel's job reaches its page (core/signal/delivery.ts): the
 * host posts the job while the page loads and again on `ready` when the page
 * lacks it. Each delivery order below is one the webview can produce; the
 * page must end with each job run once and each scheme once, in order.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { arrival, postEarly, toRepost, type HeldJob, type JobPart } from '../../src/core/signal/delivery';
import { parseSignalPageMessage } from '../../src/webview/signalProtocol';

/** What the page ends with after `parts` arrive in this order: the jobs it started and the schemes of each. */
function deliver(parts: readonly (JobPart & { readonly scheme?: string })[]): { started: number[]; schemes: Map<number, string[]> } {
  let held: HeldJob | undefined;
  const started: number[] = [];
  const schemes = new Map<number, string[]>();
  for (const p of parts) {
    const a = arrival(held, p);
    if (a === 'start') {
      held = { request: p.request, pending: p.pending ?? 0 };
      started.push(p.request);
      schemes.set(p.request, [p.scheme ?? '']);
    } else if (a === 'append') {
      held = { request: p.request, pending: p.pending ?? 0 };
      schemes.get(p.request)?.push(p.scheme ?? '');
    }
  }
  return { started, schemes };
}

/** Job `request` as the host posts it: the job with its first scheme, then one `runs` message per scheme, `pending` counting down. */
function posted(request: number, schemes: readonly string[]): (JobPart & { scheme: string })[] {
  return schemes.map((scheme, i) => ({ type: i === 0 ? 'job' : 'runs', request, pending: schemes.length - 1 - i, scheme }));
}

const SCHEMES = ['in-effect', 'recommended', 'zeros', 'constant', 'normal'];

describe('signal job delivery (early post, ready fallback)', () => {
  it('delivered once, as posted: every scheme once, in order', () => {
    const r = deliver(posted(1, SCHEMES));
    assert.deepEqual(r.started, [1]);
    assert.deepEqual(r.schemes.get(1), SCHEMES);
  });

  it('posted early and again on ready after two schemes: the copies are dropped, the rest appended', () => {
    const all = posted(1, SCHEMES);
    // The host had posted the job and two more schemes when the page reported ready without the job (it was still on its way).
    const r = deliver([...all.slice(0, 3), ...all.slice(0, 3), ...all.slice(3)]);
    assert.deepEqual(r.started, [1]);
    assert.deepEqual(r.schemes.get(1), SCHEMES);
  });

  it('the early job lost, a scheme after it seen (the listener came between): that scheme is dropped and comes again with the job', () => {
    const all = posted(1, SCHEMES);
    const r = deliver([all[1], ...all.slice(0, 2), ...all.slice(2)]);
    assert.deepEqual(r.started, [1]);
    assert.deepEqual(r.schemes.get(1), SCHEMES);
  });

  it('a newer job replaces the one held; an older one, or the schemes of a replaced one, never run', () => {
    const one = posted(1, SCHEMES);
    const two = posted(2, ['in-effect', 'he']);
    const r = deliver([one[0], one[1], two[0], one[2], one[0], two[1], two[0]]);
    assert.deepEqual(r.started, [1, 2]);
    assert.deepEqual(r.schemes.get(1), ['in-effect', 'recommended']);
    assert.deepEqual(r.schemes.get(2), ['in-effect', 'he']);
  });

  it('schemes of a job the page does not hold are dropped; a job with none pending takes no more', () => {
    assert.equal(arrival(undefined, { type: 'runs', request: 1, pending: 0 }), 'drop');
    assert.equal(arrival({ request: 3, pending: 0 }, { type: 'runs', request: 3, pending: 0 }), 'drop');
    assert.equal(arrival({ request: 3, pending: 2 }, { type: 'runs', request: 3, pending: 1 }), 'append');
    // The host's last message of a job that failed part way says none pending: it is taken.
    assert.equal(arrival({ request: 3, pending: 5 }, { type: 'runs', request: 3, pending: 0 }), 'append');
  });

  it('on ready the host posts again what it kept, unless the page holds that job', () => {
    type Part = { readonly type: 'job' | 'runs' | 'error'; readonly request?: number };
    const job: Part = { type: 'job', request: 4 };
    const runs: Part = { type: 'runs', request: 4 };
    const error: Part = { type: 'error' };
    // The job was posted at once, its schemes were kept for ready.
    const kept: { message: Part; posted: boolean }[] = [{ message: job, posted: true }, { message: runs, posted: false }];
    assert.deepEqual(toRepost(kept, 4), [runs]);
    assert.deepEqual(toRepost([{ message: job, posted: true }, { message: runs, posted: true }], 4), []);
    assert.deepEqual(toRepost(kept, undefined), [job, runs]);
    // The page holds an older job (this one was posted after it, or lost).
    assert.deepEqual(toRepost(kept, 3), [job, runs]);
    // An error stands alone: shown again (showing it twice changes nothing).
    assert.deepEqual(toRepost([{ message: error, posted: true }], 4), [error]);
    assert.deepEqual(toRepost([], undefined), []);
    // What waits for ready: the schemes; the job and errors go at once.
    assert.deepEqual([job, runs, error].map(postEarly), [true, false, true]);
  });

  it("the page's ready names the job it holds, a request id or nothing", () => {
    assert.deepEqual(parseSignalPageMessage({ type: 'ready' }), { value: { type: 'ready' } });
    assert.deepEqual(parseSignalPageMessage({ type: 'ready', request: 7 }), { value: { type: 'ready', request: 7 } });
    for (const request of [0, 1.5, -1, '7']) assert.ok('problem' in parseSignalPageMessage({ type: 'ready', request }), String(request));
  });
});
