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
 */
import { appendArgumentsAt } from '../edits/code';
import { blockEnd, eolOf, indentOf, lineStart, splitLines } from '../edits/lines';
import { qualify, type ImportBinding } from '../python/imports';
import { dottedName, syntaxErrors, type SyntaxNode, type TextEdit, type Tree } from '../python/parse';
import { callArgs } from '../python/syntax';
import { EditRefused, type EditPlan } from '../edits/applyInit';
import { isSeedEverything, MAX_SEED_EVERYTHING } from '../seeds';
import { analyzeSeeding, type SeedingAnalysis } from './analyze';
import type { RngId } from './knowledge';

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

/** Marks a function InitLens wrote, so a second run regenerates it in place. */
export const SEED_MARKER = '(written by InitLens)';

/** The frameworks InitLens writes seeding code for, in the order the lines appear. */
export type SeedTarget = 'random' | 'numpy' | 'torch' | 'tensorflow' | 'keras' | 'jax' | 'dgl' | 'paddle' | 'mindspore';

const TARGET_ORDER: readonly SeedTarget[] = ['random', 'numpy', 'torch', 'tensorflow', 'keras', 'jax', 'dgl', 'paddle', 'mindspore'];

/** The module each target is seeded through, and the alias to import it by when the file has none. */
const TARGET_MODULE: Readonly<Record<SeedTarget, { module: string; alias?: string }>> = {
  random: { module: 'random' },
  numpy: { module: 'numpy', alias: 'np' },
  torch: { module: 'torch' },
  tensorflow: { module: 'tensorflow', alias: 'tf' },
  keras: { module: 'keras' },
  jax: { module: 'jax' },
  dgl: { module: 'dgl' },
  paddle: { module: 'paddle' },
  mindspore: { module: 'mindspore', alias: 'ms' },
};

/** RNGs a target's lines seed, to tell which lines a user's own function lacks. */
const TARGET_RNGS: Readonly<Record<SeedTarget, readonly RngId[]>> = {
  random: ['python'],
  numpy: ['numpy'],
  torch: ['torch-cpu', 'torch-cuda'],
  tensorflow: ['tensorflow'],
  keras: ['tensorflow'],
  jax: ['jax'],
  dgl: ['dgl'],
  paddle: ['paddle'],
  mindspore: ['mindspore'],
};

/** Names of helper functions people write for this (recognized, never renamed). */
const HELPER_NAMES = new Set(['seed_everything', 'set_seed', 'set_seeds', 'seed_all', 'set_random_seed', 'fix_seed']);

/** Library helpers that do the seeding themselves; InitLens only updates their seed. */
const LIBRARY_HELPERS = /^(lightning(\.pytorch)?|pytorch_lightning|lightning_fabric(\.utilities\.seed)?)\.seed_everything$|^transformers(\.trainer_utils)?\.set_seed$/;

/** The frameworks to seed, from the top-level modules a file imports. */
export function seedTargets(imports: readonly ImportBinding[]): SeedTarget[] {
  const roots = new Set(imports.map((b) => b.target.split('.')[0]));
  const found = new Set<SeedTarget>();
  if (roots.has('random')) found.add('random');
  if (roots.has('numpy')) found.add('numpy');
  if (roots.has('torch') || roots.has('lightning') || roots.has('pytorch_lightning')) found.add('torch');
  if (roots.has('tensorflow')) found.add('tensorflow');
  // Keras 3 without TensorFlow: keras.utils.set_random_seed seeds its backend.
  else if (roots.has('keras') || roots.has('tf_keras')) found.add('keras');
  if (roots.has('jax') || roots.has('flax')) found.add('jax');
  for (const t of ['dgl', 'paddle', 'mindspore'] as const) if (roots.has(t)) found.add(t);
  return TARGET_ORDER.filter((t) => found.has(t));
}

/** The file's local name for a whole module (`np` for numpy), if it binds one. */
function moduleName(imports: readonly ImportBinding[], module: string): string | undefined {
  let local: string | undefined;
  for (const b of imports) if (b.target === module) local = b.local;
  return local;
}

/** The text of a file's layout: line ending and one indentation unit. */
export interface Layout {
  readonly eol: string;
  readonly indent: string;
}

/** CRLF when the file uses it; the indentation of the first indented block (else four spaces). */
export function layoutOf(text: string): Layout {
  const eol = eolOf(text);
  const lines = splitLines(text);
  let indent = '    ';
  for (let i = 1; i < lines.length; i++) {
    const m = /^([ \t]+)\S/.exec(lines[i]);
    if (m && /:\s*(#.*)?$/.test(lines[i - 1]) && !/^[ \t]/.test(lines[i - 1])) {
      indent = m[1];
      break;
    }
  }
  return { eol, indent };
}

/**
 * The bindings visible at module level, where the generated code runs: an
 * import inside a function or class binds its name there only.
 */
export function moduleLevelImports(tree: Tree, imports: readonly ImportBinding[]): ImportBinding[] {
  const scopes: { from: number; to: number }[] = [];
  for (let stmt = tree.topNode.firstChild; stmt; stmt = stmt.nextSibling) {
    if (stmt.name === 'FunctionDefinition' || stmt.name === 'ClassDefinition' || stmt.name === 'DecoratedStatement') scopes.push(stmt);
  }
  return imports.filter((b) => !scopes.some((s) => b.from >= s.from && b.to <= s.to));
}

/** Names the generated code refers to, and the imports it must add for the ones the file lacks. */
class Names {
  readonly missing: string[] = [];
  constructor(private readonly imports: readonly ImportBinding[]) {}

  /** The local name of `module`, adding `import module [as alias]` when the file has none. */
  of(module: string, alias?: string): string {
    const local = moduleName(this.imports, module);
    if (local) return local;
    const line = alias ? `import ${module} as ${alias}` : `import ${module}`;
    if (!this.missing.includes(line)) this.missing.push(line);
    return alias ?? module;
  }
}

/** The body lines of `seed_everything` for `targets` (without indentation). */
function seedingLines(targets: readonly SeedTarget[], names: Names, param: string): { seeds: string[]; jax?: string } {
  const seeds: string[] = [];
  let jax: string | undefined;
  for (const t of targets) {
    const m = TARGET_MODULE[t];
    const n = names.of(m.module, m.alias);
    switch (t) {
      case 'random':
        seeds.push(`${n}.seed(${param})  # Python's global generator (random.shuffle, random.choice, ...)`);
        break;
      case 'numpy':
        seeds.push(`${n}.random.seed(${param})  # NumPy's legacy global RandomState (np.random.rand, ...); default_rng() generators need their own seed`);
        break;
      case 'torch':
        seeds.push(`${n}.manual_seed(${param})  # PyTorch's CPU generator (weight init, dropout, shuffling) and every CUDA device`);
        seeds.push(`${n}.cuda.manual_seed_all(${param})  # every GPU explicitly; torch.cuda.manual_seed would seed only the current one`);
        break;
      case 'tensorflow':
        seeds.push(`${n}.random.set_seed(${param})  # TensorFlow's global seed, from which every op derives its own`);
        break;
      case 'keras':
        seeds.push(`${n}.utils.set_random_seed(${param})  # Keras 3: Python random, NumPy and the backend's seed in one call`);
        break;
      case 'jax':
        jax = `return ${n}.random.PRNGKey(${param})  # JAX has no global RNG: thread this key (jax.random.split) through your code`;
        break;
      case 'dgl':
        seeds.push(`${n}.seed(${param})  # DGL's graph samplers and random graph functions`);
        break;
      case 'paddle':
        seeds.push(`${n}.seed(${param})  # PaddlePaddle's global generator (CPU and GPU)`);
        break;
      case 'mindspore':
        seeds.push(`${n}.set_seed(${param})  # MindSpore's global seed (ops and initializers derive theirs from it)`);
        break;
    }
  }
  return { seeds, ...(jax ? { jax } : {}) };
}

/** Determinism switches for `targets`, each with why (empty when none applies). */
function determinismLines(targets: readonly SeedTarget[], names: Names, warnOnly: boolean): string[] {
  const lines: string[] = [];
  if (targets.includes('torch')) {
    const os = names.of('os');
    const torch = names.of('torch');
    lines.push(
      '# cuBLAS reads this when CUDA initializes: call seed_everything before any tensor touches the GPU.',
      `${os}.environ["CUBLAS_WORKSPACE_CONFIG"] = ":4096:8"`,
      `${torch}.backends.cudnn.deterministic = True  # deterministic convolution algorithms only`,
      `${torch}.backends.cudnn.benchmark = False  # autotuning picks kernels by timing, which varies between runs`,
      `${torch}.use_deterministic_algorithms(True, warn_only=${warnOnly ? 'True' : 'False'})  # ${warnOnly ? 'warn' : 'raise'} on ops with no deterministic implementation`,
    );
  }
  if (targets.includes('tensorflow')) {
    const tf = names.of('tensorflow', 'tf');
    lines.push(`${tf}.config.experimental.enable_op_determinism()  # deterministic TensorFlow kernels (slower)`);
  }
  return lines;
}

/** The whole `seed_everything` definition, lines without trailing line ending. */
function seedFunction(targets: readonly SeedTarget[], names: Names, options: SeedOptions, indent: string): { lines: string[]; deterministicParam: boolean; returnsKey: boolean } {
  const { seeds, jax } = seedingLines(targets, names, 'seed');
  const knobs = determinismLines(targets, names, options.warnOnly);
  const params = knobs.length > 0 ? 'seed: int, deterministic: bool = True' : 'seed: int';
  const lines = [
    `def seed_everything(${params}):`,
    `${indent}"""Seed every random number generator this file uses ${SEED_MARKER}.`,
    '',
    `${indent}PYTHONHASHSEED (str/set hash order) is not set here: Python reads it once at`,
    `${indent}start-up, so set it in the shell instead (PYTHONHASHSEED=0 python script.py).`,
    ...(targets.includes('torch') ? [`${indent}See https://pytorch.org/docs/stable/notes/randomness.html`] : []),
    `${indent}"""`,
    ...seeds.map((l) => `${indent}${l}`),
  ];
  if (knobs.length > 0) {
    lines.push(`${indent}if deterministic:`, ...knobs.map((l) => `${indent}${indent}${l}`));
  }
  if (jax) lines.push(`${indent}${jax}`);
  return { lines, deterministicParam: knobs.length > 0, returnsKey: jax !== undefined };
}

/** The DataLoader worker helper of PyTorch's reproducibility notes, when NumPy or random need reseeding per worker. */
function workerFunction(targets: readonly SeedTarget[], names: Names, indent: string): string[] | undefined {
  const reseed = targets.filter((t) => t === 'numpy' || t === 'random');
  if (!targets.includes('torch') || reseed.length === 0) return undefined;
  const torch = names.of('torch');
  const lines = [
    'def seed_worker(worker_id: int):',
    `${indent}"""DataLoader worker_init_fn ${SEED_MARKER}: forked workers inherit the parent's NumPy/random`,
    `${indent}state, so each would draw the same "random" augmentations; derive theirs from the worker's torch seed."""`,
    `${indent}worker_seed = ${torch}.initial_seed() % 2**32`,
  ];
  if (reseed.includes('numpy')) lines.push(`${indent}${names.of('numpy', 'np')}.random.seed(worker_seed)`);
  if (reseed.includes('random')) lines.push(`${indent}${names.of('random')}.seed(worker_seed)`);
  return lines;
}

/** A top-level function definition's name. */
function defName(node: SyntaxNode, text: string): string | undefined {
  const target = node.name === 'DecoratedStatement' ? node.getChild('FunctionDefinition') : node;
  if (!target || target.name !== 'FunctionDefinition') return undefined;
  const name = target.getChild('VariableName');
  return name ? text.slice(name.from, name.to) : undefined;
}


/** A module-level call to `name` (`seed_everything(42)` or `key = seed_everything(42)`). */
interface CallSite {
  readonly statement: SyntaxNode;
  readonly call: SyntaxNode;
}

function topLevelCallOf(stmt: SyntaxNode, text: string, imports: readonly ImportBinding[], match: (callee: string[], qualified: string | undefined) => boolean): CallSite | undefined {
  let value: SyntaxNode | null = null;
  if (stmt.name === 'ExpressionStatement') value = stmt.firstChild;
  else if (stmt.name === 'AssignStatement') value = stmt.lastChild;
  if (!value || value.name !== 'CallExpression') return undefined;
  const callee = value.firstChild && dottedName(value.firstChild, text);
  if (!callee) return undefined;
  return match(callee, qualify(callee, imports)) ? { statement: stmt, call: value } : undefined;
}

/** Top-level statements whose text mentions a construction the seed must precede. */
const CONSTRUCTION_WORDS = /\b(DataLoader|optim|Optimizer|Sequential|Model|Adam|SGD)\b|\.(compile|fit)\(/;

/**
 * The first top-level statement that builds a model, optimizer or DataLoader
 * (a call to one of `modelNames`, to `torch.optim.*`, `DataLoader`, a
 * `Sequential`/`Model`), or undefined. Plain call detection: code inside
 * functions runs later, when it is called.
 */
export function firstConstruction(tree: Tree, text: string, imports: readonly ImportBinding[], modelNames: readonly string[] = []): SyntaxNode | undefined {
  const models = new Set(modelNames);
  for (let stmt = tree.topNode.firstChild; stmt; stmt = stmt.nextSibling) {
    if (stmt.name === 'FunctionDefinition' || stmt.name === 'ClassDefinition' || stmt.name === 'DecoratedStatement' || stmt.name === 'ImportStatement') continue;
    const source = text.slice(stmt.from, stmt.to);
    if (!CONSTRUCTION_WORDS.test(source) && ![...models].some((m) => source.includes(m))) continue;
    const cursor = stmt.cursor();
    do {
      if (cursor.from >= stmt.to) break;
      if (cursor.name !== 'CallExpression') continue;
      const callee = cursor.node.firstChild && dottedName(cursor.node.firstChild, text);
      if (!callee) continue;
      const q = qualify(callee, imports) ?? callee.join('.');
      const last = callee[callee.length - 1];
      if (
        models.has(callee.join('.')) ||
        /^torch\.optim\.\w+$/.test(q) ||
        last === 'DataLoader' ||
        /(^|\.)(Sequential|Model)$/.test(q)
      ) {
        return stmt;
      }
    } while (cursor.next());
  }
  return undefined;
}

/** Where the parts of the plan go in the file. */
interface Anchors {
  /** Insert missing `import` lines here (start of a line). */
  readonly importAt: number;
  /** Insert the function and call after this offset (end of a line), or at the start when undefined. */
  readonly after?: number;
}

function isImportLike(stmt: SyntaxNode): boolean {
  if (stmt.name === 'ImportStatement') return true;
  // `try: import x except ImportError: ...` belongs to the import block.
  if (stmt.name === 'TryStatement') {
    const body = stmt.getChild('Body');
    return !!body && !!body.getChild('ImportStatement');
  }
  return false;
}

function isFutureImport(stmt: SyntaxNode, text: string): boolean {
  return stmt.name === 'ImportStatement' && /^from\s+__future__\b/.test(text.slice(stmt.from, stmt.to));
}

function isDocstring(stmt: SyntaxNode): boolean {
  return stmt.name === 'ExpressionStatement' && stmt.firstChild?.name === 'String';
}

/** After the docstring, `from __future__` imports and the import block (but before the first construction). */
function anchors(tree: Tree, text: string, construction: SyntaxNode | undefined): Anchors {
  let after: number | undefined;
  let importAt: number | undefined;
  let first = true;
  for (let stmt = tree.topNode.firstChild; stmt; stmt = stmt.nextSibling) {
    if (stmt.name === 'Comment') continue;
    if (construction && stmt.from >= construction.from) break;
    if (first && isDocstring(stmt)) {
      after = blockEnd(text, stmt);
      first = false;
      continue;
    }
    first = false;
    if (isImportLike(stmt)) {
      if (importAt === undefined && !isFutureImport(stmt, text)) importAt = lineStart(text, stmt.from);
      after = blockEnd(text, stmt);
    }
  }
  const fallback = after === undefined ? 0 : after + (text.slice(after).match(/^(\r\n|\r|\n)/)?.[0].length ?? 0);
  return { importAt: importAt ?? fallback, ...(after !== undefined ? { after } : {}) };
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
  const available = [...(input.earlierImports ?? []), ...moduleLevelImports(tree, imports)];
  const targets = TARGET_ORDER.filter((t) => seedTargets(imports).includes(t) || input.otherTargets?.includes(t));
  const layout = layoutOf(text);
  const { eol, indent } = layout;
  const seed = String(options.seed);

  // 1. A library helper (Lightning, transformers) seeds already: update its seed, nothing else.
  for (let stmt = tree.topNode.firstChild; stmt; stmt = stmt.nextSibling) {
    const site = topLevelCallOf(stmt, text, imports, (_c, q) => !!q && LIBRARY_HELPERS.test(q));
    if (site) {
      const edits = replaceFirstArgument(site.call, text, seed);
      const name = text.slice(site.call.firstChild!.from, site.call.firstChild!.to);
      return { edits, summary: edits.length === 0 ? `${name}(${seed}) already seeds this file.` : `Set the seed of ${name} to ${seed}.` };
    }
  }

  // 2. An existing helper function.
  let helper: SyntaxNode | undefined;
  let helperName: string | undefined;
  let worker: SyntaxNode | undefined;
  for (let stmt = tree.topNode.firstChild; stmt; stmt = stmt.nextSibling) {
    const name = defName(stmt, text);
    if (name && HELPER_NAMES.has(name) && !helper) {
      helper = stmt;
      helperName = name;
    }
    if (name === 'seed_worker' && text.slice(stmt.from, stmt.to).includes(SEED_MARKER)) worker = stmt;
  }
  if (targets.length === 0 && !helper) {
    throw new EditRefused('this file imports no framework with a random number generator (random, numpy, torch, tensorflow, keras, jax, ...), so there is nothing to seed.');
  }
  const names = new Names(available);
  const construction = firstConstruction(tree, text, imports, input.modelNames);
  const where = anchors(tree, text, construction);
  const edits: TextEdit[] = [];
  const hasDataLoader = options.workers !== false && torchDataLoaderCalls(tree, text, imports).length > 0;
  const workerLines = hasDataLoader ? workerFunction(targets, names, indent) : undefined;

  const ours = helper && text.slice(helper.from, helper.to).includes(SEED_MARKER);
  let callName = 'seed_everything';
  let site: CallSite | undefined;
  const findCall = () => {
    for (let stmt = tree.topNode.firstChild; stmt && !site; stmt = stmt.nextSibling) {
      site = topLevelCallOf(stmt, text, imports, (c) => c.length === 1 && c[0] === callName);
    }
  };
  const workerText = workerLines && !worker && !/\bdef\s+seed_worker\b/.test(text) ? `${eol}${eol}${eol}${workerLines.join(eol)}` : '';
  let summary: string;
  if (!helper || ours) {
    const fn = seedFunction(targets, names, options, indent);
    const fnText = fn.lines.join(eol);
    const args = fn.deterministicParam ? `${seed}, deterministic=${options.deterministic ? 'True' : 'False'}` : seed;
    const call = `seed_everything(${args})`;
    const fresh = fn.returnsKey ? `key = ${call}` : call;
    if (!helper) {
      const block = `${fnText}${workerText}${eol}${eol}${eol}${fresh}`;
      if (where.after === undefined) edits.push({ offset: 0, length: 0, text: `${block}${eol}${eol}${eol}` });
      else edits.push({ offset: where.after, length: 0, text: `${eol}${eol}${eol}${block}` });
      summary = `Inserted seed_everything(${seed}) for ${describeTargets(targets)}`;
    } else {
      findCall();
      const end = blockEnd(text, helper);
      const replacement = fnText + workerText + (site ? '' : `${eol}${eol}${eol}${fresh}`);
      if (text.slice(helper.from, end) !== replacement) edits.push({ offset: helper.from, length: end - helper.from, text: replacement });
      if (worker && workerLines) {
        const wEnd = blockEnd(text, worker);
        const wText = workerLines.join(eol);
        if (text.slice(worker.from, wEnd) !== wText) edits.push({ offset: worker.from, length: wEnd - worker.from, text: wText });
      }
      if (site) {
        // Keep what the user assigns the key to; add `key = ` only when JAX needs it.
        const target = site.statement.name === 'AssignStatement' ? text.slice(site.statement.from, site.call.from) : 'key = ';
        const wanted = fn.returnsKey ? `${target}${call}` : call;
        if (text.slice(site.statement.from, site.statement.to) !== wanted) edits.push({ offset: site.statement.from, length: site.statement.to - site.statement.from, text: wanted });
      }
      summary = `seed_everything(${seed}) seeds ${describeTargets(targets)}`;
    }
  } else {
    // The user's own helper: add only the seeding lines it lacks, with its parameter name.
    callName = helperName!;
    findCall();
    const fnNode = helper.name === 'DecoratedStatement' ? helper.getChild('FunctionDefinition')! : helper;
    const param = firstParam(fnNode, text) ?? 'seed';
    const inside = seeding.references.filter((r) => r.from >= helper.from && r.to <= helper.to);
    const seeded = new Set(inside.flatMap((r) => r.api.seeds));
    const lacking = targets.filter((t) => !TARGET_RNGS[t].every((rng) => seeded.has(rng)) && t !== 'jax');
    const body = fnNode.getChild('Body');
    const bodyIndent = body ? indentOf(text, lastStatementStart(body) ?? body.from) : indent;
    const { seeds } = seedingLines(lacking, names, param);
    const tail = seeds.map((l) => `${eol}${bodyIndent}${l}`).join('') + workerText + (site ? '' : `${eol}${eol}${eol}${callName}(${seed})`);
    if (tail) edits.push({ offset: blockEnd(text, helper), length: 0, text: tail });
    if (site) edits.push(...replaceFirstArgument(site.call, text, seed));
    summary = seeds.length > 0 ? `Added ${describeTargets(lacking)} to ${callName}() and set its seed to ${seed}` : `${callName}(${seed}) seeds ${describeTargets(targets)}`;
  }

  // 4. DataLoaders get the worker helper and a seeded generator (PyTorch notes, "DataLoader").
  if (workerLines) {
    // A DataLoader inside code this plan rewrites is written anew; wiring it too would overlap.
    const wired = wireDataLoaders(tree, text, imports, names).filter((w) => !edits.some((e) => e.length > 0 && w.offset >= e.offset && w.offset <= e.offset + e.length));
    edits.push(...wired);
    if (wired.length > 0 || workerText) summary += '; DataLoaders get seed_worker and a seeded generator';
  }

  // 5. Imports the generated code needs and the file lacks (stdlib `os` first, as isort would).
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

function describeTargets(targets: readonly SeedTarget[]): string {
  return targets.length === 0 ? 'nothing' : targets.join(', ');
}

function firstParam(fn: SyntaxNode, text: string): string | undefined {
  const params = fn.getChild('ParamList');
  const name = params?.getChild('VariableName');
  return name ? text.slice(name.from, name.to) : undefined;
}

function lastStatementStart(body: SyntaxNode): number | undefined {
  let last: number | undefined;
  for (let c = body.firstChild; c; c = c.nextSibling) if (c.name !== ':' && c.name !== 'Comment') last = c.from;
  return last;
}


/** Replaces the first positional argument of `call` with `value` (no edit when it already is). */
function replaceFirstArgument(call: SyntaxNode, text: string, value: string): TextEdit[] {
  const list = call.getChild('ArgList');
  if (!list) return [];
  const args = callArgs(list, text);
  const first = args.positional[0] ?? args.keywords.get('seed');
  if (first) return text.slice(first.from, first.to) === value ? [] : [{ offset: first.from, length: first.to - first.from, text: value }];
  return [{ offset: list.from + 1, length: 0, text: value }];
}

/**
 * `worker_init_fn=seed_worker, generator=torch.Generator().manual_seed(torch.initial_seed())`
 * on every `DataLoader(...)` call that has neither: the generator fixes the
 * shuffling order and each worker's base seed; `torch.initial_seed()` is the
 * seed `seed_everything` just set.
 */
export function wireDataLoaders(tree: Tree, text: string, imports: readonly ImportBinding[], names: { of(module: string, alias?: string): string }): TextEdit[] {
  const edits: TextEdit[] = [];
  const torch = names.of('torch');
  for (const { list } of torchDataLoaderCalls(tree, text, imports)) {
    const args = callArgs(list, text);
    const add: string[] = [];
    if (!args.keywords.has('worker_init_fn')) add.push('worker_init_fn=seed_worker');
    if (!args.keywords.has('generator')) add.push(`generator=${torch}.Generator().manual_seed(${torch}.initial_seed())`);
    if (add.length === 0 || args.hasStarred) continue;
    edits.push(appendArgumentsAt(text, list.from, list.to - 1, add.join(', ')));
  }
  return edits;
}

/**
 * Every call of PyTorch's `DataLoader` with its argument list: a callee named
 * `DataLoader` that the imports resolve into `torch.` (or do not resolve at
 * all, e.g. a star import). Another package's DataLoader (`paddle.io`, ...)
 * takes no `torch.Generator`, so it is never wired or flagged.
 */
export function torchDataLoaderCalls(tree: Tree, text: string, imports: readonly ImportBinding[]): { call: SyntaxNode; list: SyntaxNode }[] {
  const found: { call: SyntaxNode; list: SyntaxNode }[] = [];
  // Most files have none: skip the walk.
  if (!text.includes('DataLoader')) return found;
  tree.iterate({
    enter(ref) {
      if (ref.name !== 'CallExpression') return;
      const callee = ref.node.firstChild && dottedName(ref.node.firstChild, text);
      if (!callee || callee[callee.length - 1] !== 'DataLoader') return;
      const q = qualify(callee, imports);
      if (q && !q.startsWith('torch.')) return;
      const list = ref.node.getChild('ArgList');
      if (list) found.push({ call: ref.node, list });
    },
  });
  return found;
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

/** Applies non-overlapping edits to `text` in one pass (linear in the text and the edits); overlapping edits are a planning error and throw. */
export function applyTextEdits(text: string, edits: readonly TextEdit[]): string {
  const sorted = [...edits].sort((a, b) => a.offset - b.offset);
  const parts: string[] = [];
  let at = 0;
  for (const e of sorted) {
    if (e.offset < at || e.offset + e.length > text.length) throw new RangeError(`overlapping or out-of-range text edits at offset ${e.offset}`);
    parts.push(text.slice(at, e.offset), e.text);
    at = e.offset + e.length;
  }
  parts.push(text.slice(at));
  return parts.join('');
}

