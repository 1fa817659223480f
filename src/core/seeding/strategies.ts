/**
 * The three ways a file gets seeded, one function each, each returning its
 * edits and summary (the caller adds DataLoader wiring and imports):
 * - a library helper (Lightning, transformers) already seeds: only its seed changes;
 * - no helper, or the one InitLens wrote: `seed_everything` is written (or regenerated in place) with its call;
 * - the user's own helper: only the seeding lines it lacks are added, with its parameter name.
 */
import { blockEnd, indentOf } from '../edits/lines';
import type { ImportBinding } from '../python/imports';
import type { SyntaxNode, TextEdit, Tree } from '../python/parse';
import type { SeedingAnalysis } from './analyze';
import { firstParam, lastStatementStart, LIBRARY_HELPERS, replaceFirstArgument, topLevelCallOf, type Anchors, type CallSite } from './placement';
import { seedFunction, seedingLines, TARGET_RNGS, type Layout, type Names, type SeedTarget } from './template';

/** What a strategy writes. */
export interface StrategyPlan {
  readonly edits: TextEdit[];
  readonly summary: string;
}

/** What every strategy reads. */
export interface StrategyInput {
  readonly text: string;
  readonly tree: Tree;
  readonly imports: readonly ImportBinding[];
  readonly targets: readonly SeedTarget[];
  readonly names: Names;
  readonly layout: Layout;
  /** The seed, as written. */
  readonly seed: string;
  /** The `seed_worker` definition to add after the helper (with its leading blank lines), or ''. */
  readonly workerText: string;
}

/** A module-level call of a Lightning/transformers seeding helper: set its seed, nothing else. */
export function libraryHelperPlan(input: Pick<StrategyInput, 'text' | 'tree' | 'imports' | 'seed'>): StrategyPlan | undefined {
  const { text, tree, imports, seed } = input;
  for (let stmt = tree.topNode.firstChild; stmt; stmt = stmt.nextSibling) {
    const site = topLevelCallOf(stmt, text, imports, (_c, q) => !!q && LIBRARY_HELPERS.test(q));
    if (site) {
      const edits = replaceFirstArgument(site.call, text, seed);
      const name = text.slice(site.call.firstChild!.from, site.call.firstChild!.to);
      return { edits, summary: edits.length === 0 ? `${name}(${seed}) already seeds this file.` : `Set the seed of ${name} to ${seed}.` };
    }
  }
  return undefined;
}

/** The first module-level call of the plain name `name`. */
function callSite(input: StrategyInput, name: string): CallSite | undefined {
  for (let stmt = input.tree.topNode.firstChild; stmt; stmt = stmt.nextSibling) {
    const site = topLevelCallOf(stmt, input.text, input.imports, (c) => c.length === 1 && c[0] === name);
    if (site) return site;
  }
  return undefined;
}

/**
 * `seed_everything` written after the imports with its call (no helper yet),
 * or regenerated in place where InitLens wrote it (`ours`), with the worker
 * helper InitLens wrote before (`worker`) regenerated too.
 */
export function ownFunctionPlan(
  input: StrategyInput,
  options: { readonly deterministic: boolean; readonly warnOnly: boolean },
  where: Anchors,
  ours?: SyntaxNode,
  worker?: { readonly node: SyntaxNode; readonly lines: readonly string[] },
): StrategyPlan {
  const { text, targets, names, seed, workerText } = input;
  const { eol, indent } = input.layout;
  const fn = seedFunction(targets, names, options.warnOnly, indent);
  const fnText = fn.lines.join(eol);
  const args = fn.deterministicParam ? `${seed}, deterministic=${options.deterministic ? 'True' : 'False'}` : seed;
  const call = `seed_everything(${args})`;
  const fresh = fn.returnsKey ? `key = ${call}` : call;
  const edits: TextEdit[] = [];
  if (!ours) {
    const block = `${fnText}${workerText}${eol}${eol}${eol}${fresh}`;
    if (where.after === undefined) edits.push({ offset: 0, length: 0, text: `${block}${eol}${eol}${eol}` });
    else edits.push({ offset: where.after, length: 0, text: `${eol}${eol}${eol}${block}` });
    return { edits, summary: `Inserted seed_everything(${seed}) for ${describeTargets(targets)}` };
  }
  const site = callSite(input, 'seed_everything');
  const end = blockEnd(text, ours);
  const replacement = fnText + workerText + (site ? '' : `${eol}${eol}${eol}${fresh}`);
  if (text.slice(ours.from, end) !== replacement) edits.push({ offset: ours.from, length: end - ours.from, text: replacement });
  if (worker) {
    const wEnd = blockEnd(text, worker.node);
    const wText = worker.lines.join(eol);
    if (text.slice(worker.node.from, wEnd) !== wText) edits.push({ offset: worker.node.from, length: wEnd - worker.node.from, text: wText });
  }
  if (site) {
    // Keep what the user assigns the key to; add `key = ` only when JAX needs it.
    const target = site.statement.name === 'AssignStatement' ? text.slice(site.statement.from, site.call.from) : 'key = ';
    const wanted = fn.returnsKey ? `${target}${call}` : call;
    if (text.slice(site.statement.from, site.statement.to) !== wanted) edits.push({ offset: site.statement.from, length: site.statement.to - site.statement.from, text: wanted });
  }
  return { edits, summary: `seed_everything(${seed}) seeds ${describeTargets(targets)}` };
}

/** The user's own helper `name` (defined by `helper`): the seeding lines it lacks, and its call's seed. */
export function userHelperPlan(input: StrategyInput, seeding: SeedingAnalysis, helper: SyntaxNode, name: string): StrategyPlan {
  const { text, targets, names, seed, workerText } = input;
  const { eol, indent } = input.layout;
  const site = callSite(input, name);
  const fnNode = helper.name === 'DecoratedStatement' ? helper.getChild('FunctionDefinition')! : helper;
  const param = firstParam(fnNode, text) ?? 'seed';
  const inside = seeding.references.filter((r) => r.from >= helper.from && r.to <= helper.to);
  const seeded = new Set(inside.flatMap((r) => r.api.seeds));
  const lacking = targets.filter((t) => !TARGET_RNGS[t].every((rng) => seeded.has(rng)) && t !== 'jax');
  const body = fnNode.getChild('Body');
  const bodyIndent = body ? indentOf(text, lastStatementStart(body) ?? body.from) : indent;
  const { seeds } = seedingLines(lacking, names, param);
  const edits: TextEdit[] = [];
  const tail = seeds.map((l) => `${eol}${bodyIndent}${l}`).join('') + workerText + (site ? '' : `${eol}${eol}${eol}${name}(${seed})`);
  if (tail) edits.push({ offset: blockEnd(text, helper), length: 0, text: tail });
  if (site) edits.push(...replaceFirstArgument(site.call, text, seed));
  return { edits, summary: seeds.length > 0 ? `Added ${describeTargets(lacking)} to ${name}() and set its seed to ${seed}` : `${name}(${seed}) seeds ${describeTargets(targets)}` };
}

export function describeTargets(targets: readonly SeedTarget[]): string {
  return targets.length === 0 ? 'nothing' : targets.join(', ');
}
