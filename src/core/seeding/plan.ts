/**
 * The "Insert reproducible seed" plan: pure text edits that add (or update in
 * place) one `seed_everything(seed, deterministic=...)` function and its call,
 * seeding exactly the frameworks a file imports, through the file's own import
 * aliases. What each line does and why follows PyTorch's "Reproducibility"
 * notes (https://pytorch.org/docs/stable/notes/randomness.html), TensorFlow's
 * `tf.config.experimental.enable_op_determinism` docs and `jax.random`.
 *
 * Running the plan on its own output changes nothing (idempotent): a function
 * InitLens wrote is recognized by its docstring and regenerated in place, a
 * user's own `seed_everything`/`set_seed` only gets the missing seeding lines,
 * and Lightning's or transformers' helpers keep doing the seeding.
 *
 * The text lives in template.ts, where it goes in placement.ts, and the three
 * ways of seeding (library helper, InitLens's function, the user's helper) in
 * strategies.ts; this module validates, picks the strategy, wires DataLoaders
 * and adds the imports.
 */
import { EditRefused, type EditPlan } from '../edits/applyInit';
import { blockEnd } from '../edits/lines';
import type { ImportBinding } from '../python/imports';
import { syntaxErrors, type SyntaxNode, type TextEdit, type Tree } from '../python/parse';
import { isSeedEverything, MAX_SEED_EVERYTHING } from '../seeds';
import { analyzeSeeding, type SeedingAnalysis } from './analyze';
import { anchors, defName, firstConstruction, HELPER_NAMES, moduleLevelImports, torchDataLoaderCalls, wireDataLoaders } from './placement';
import { libraryHelperPlan, ownFunctionPlan, userHelperPlan, type StrategyInput } from './strategies';
import { layoutOf, Names, SEED_MARKER, seedTargets, TARGET_ORDER, workerFunction, type SeedTarget } from './template';

export { EditRefused } from '../edits/applyInit';

/** What to write. */
export interface SeedOptions {
  /** An integer in 0..2^32−1 ({@link MAX_SEED_EVERYTHING}). */
  readonly seed: number;
  /** The value the call passes as `deterministic=`. */
  readonly deterministic: boolean;
  /** `warn_only=` of `torch.use_deterministic_algorithms`. */
  readonly warnOnly: boolean;
  /** Add the DataLoader worker helper and wire it into DataLoader calls (default true). */
  readonly workers?: boolean;
}

/** Everything the planner needs about a document; {@link planSeed} builds it from the text. */
export interface SeedInput {
  readonly text: string;
  readonly tree: Tree;
  readonly seeding: SeedingAnalysis;
  /** Names of model classes/variables (from the model analysis), to place the call before them. */
  readonly modelNames?: readonly string[];
  /**
   * Notebooks: frameworks imported by other cells (seeded too), and bindings of
   * earlier cells (usable without importing again).
   */
  readonly otherTargets?: readonly SeedTarget[];
  readonly earlierImports?: readonly ImportBinding[];
}

/** The plan for a whole document; throws {@link EditRefused} when it cannot be made. */
export function planSeed(input: SeedInput, options: SeedOptions): EditPlan {
  const { text, tree, seeding } = input;
  if (!isSeedEverything(options.seed)) {
    throw new EditRefused(`The seed must be an integer from 0 to ${MAX_SEED_EVERYTHING}; got ${options.seed}.`);
  }
  const errors = syntaxErrors(tree, text);
  if (errors.length > 0) {
    throw new EditRefused(`line ${errors[0].line + 1} has a syntax error; the file was left unchanged. Fix it, then insert the seed again.`);
  }
  const imports = seeding.imports;
  const seed = String(options.seed);
  const library = libraryHelperPlan({ text, tree, imports, seed });
  if (library) return library;

  let helper: { node: SyntaxNode; name: string } | undefined;
  let worker: SyntaxNode | undefined;
  for (let stmt = tree.topNode.firstChild; stmt; stmt = stmt.nextSibling) {
    const name = defName(stmt, text);
    if (name && HELPER_NAMES.has(name) && !helper) helper = { node: stmt, name };
    if (name === 'seed_worker' && text.slice(stmt.from, stmt.to).includes(SEED_MARKER)) worker = stmt;
  }
  const targets = TARGET_ORDER.filter((t) => seedTargets(imports).includes(t) || input.otherTargets?.includes(t));
  if (targets.length === 0 && !helper) {
    throw new EditRefused('this file imports no framework with a random number generator (random, numpy, torch, tensorflow, keras, jax, ...), so there is nothing to seed.');
  }
  const layout = layoutOf(text);
  const { eol } = layout;
  const names = new Names([...(input.earlierImports ?? []), ...moduleLevelImports(tree, imports)]);
  const where = anchors(tree, text, firstConstruction(tree, text, imports, input.modelNames));
  const hasDataLoader = options.workers !== false && torchDataLoaderCalls(tree, text, imports).length > 0;
  const workerLines = hasDataLoader ? workerFunction(targets, names, layout.indent) : undefined;
  const workerText = workerLines && !worker && !/\bdef\s+seed_worker\b/.test(text) ? `${eol}${eol}${eol}${workerLines.join(eol)}` : '';
  const strategy: StrategyInput = { text, tree, imports, targets, names, layout, seed, workerText };
  const ours = helper && text.slice(helper.node.from, helper.node.to).includes(SEED_MARKER);
  const chosen =
    !helper || ours
      ? ownFunctionPlan(strategy, options, where, helper?.node, worker && workerLines ? { node: worker, lines: workerLines } : undefined)
      : userHelperPlan(strategy, seeding, helper.node, helper.name);
  const edits = [...chosen.edits];
  let summary = chosen.summary;

  // DataLoaders get the worker helper and a seeded generator (PyTorch notes, "DataLoader").
  if (workerLines) {
    // A DataLoader inside code this plan rewrites is written anew; wiring it too would overlap.
    const wired = wireDataLoaders(tree, text, imports, names).filter((w) => !edits.some((e) => e.length > 0 && w.offset >= e.offset && w.offset <= e.offset + e.length));
    edits.push(...wired);
    if (wired.length > 0 || workerText) summary += '; DataLoaders get seed_worker and a seeded generator';
  }

  // Imports the generated code needs and the file lacks (stdlib `os` first, as isort would).
  if (names.missing.length > 0) {
    const sorted = [...names.missing].sort((a, b) => (a === 'import os' ? -1 : b === 'import os' ? 1 : a.localeCompare(b)));
    const atStart = where.importAt === 0 && where.after === undefined;
    // At the very start, the function follows the imports: keep PEP 8's blank line between them.
    const importText = sorted.map((l) => `${l}${eol}`).join('') + (atStart ? `${eol}${eol}` : '');
    const same = edits.find((e) => e.offset === where.importAt && e.length === 0);
    if (same) edits[edits.indexOf(same)] = { ...same, text: importText + same.text };
    else edits.push({ offset: where.importAt, length: 0, text: importText });
    summary += `; added ${sorted.join(', ')}`;
  }
  edits.sort((a, b) => a.offset - b.offset);
  return { edits, summary: edits.length === 0 ? `Nothing to change: ${summary}.` : `${summary}.` };
}

/**
 * Only the DataLoader worker helper: `seed_worker` after the file's seed
 * helper (else after the import block), plus the imports it needs. Empty when
 * the file has one already or nothing needs reseeding per worker.
 */
export function planWorkerHelper(input: SeedInput): TextEdit[] {
  const { text, tree, seeding } = input;
  if (/\bdef\s+seed_worker\b/.test(text)) return [];
  const { eol, indent } = layoutOf(text);
  const names = new Names(moduleLevelImports(tree, seeding.imports));
  const lines = workerFunction(seedTargets(seeding.imports), names, indent);
  if (!lines) return [];
  let after: number | undefined;
  for (let stmt = tree.topNode.firstChild; stmt; stmt = stmt.nextSibling) {
    const name = defName(stmt, text);
    if (name && HELPER_NAMES.has(name)) after = blockEnd(text, stmt);
  }
  // After a helper, the call that follows keeps its blank lines; after imports, add PEP 8's second one.
  const afterHelper = after !== undefined;
  const where = anchors(tree, text, firstConstruction(tree, text, seeding.imports, input.modelNames));
  after ??= where.after;
  const edits: TextEdit[] = [after === undefined ? { offset: 0, length: 0, text: `${lines.join(eol)}${eol}${eol}${eol}` } : { offset: after, length: 0, text: `${eol}${eol}${eol}${lines.join(eol)}${afterHelper ? '' : eol}` }];
  if (names.missing.length > 0) edits.push({ offset: where.importAt, length: 0, text: names.missing.map((l) => `${l}${eol}`).join('') });
  return edits.sort((a, b) => a.offset - b.offset);
}

/** Convenience for the CLI and tests: parse `text` and plan. */
export function planSeedForText(text: string, tree: Tree, options: SeedOptions, modelNames?: readonly string[]): EditPlan {
  return planSeed({ text, tree, seeding: analyzeSeeding(tree, text), ...(modelNames ? { modelNames } : {}) }, options);
}
