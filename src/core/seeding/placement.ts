/**
 * Where seeding code goes and what it finds already there: the import block
 * and the first statement that builds a model, optimizer or DataLoader (the
 * seed must come before it), seed helpers a file already has, their calls,
 * and the PyTorch DataLoader calls to wire. Only module-level code counts:
 * code inside functions runs later, when it is called.
 */
import { appendArgumentsAt } from '../edits/code';
import { blockEnd, lineStart } from '../edits/lines';
import { qualify, type ImportBinding } from '../python/imports';
import { dottedName, type SyntaxNode, type TextEdit, type Tree } from '../python/parse';
import { callArgs } from '../python/syntax';

/** Names of helper functions people write for this (recognized, never renamed). */
export const HELPER_NAMES = new Set(['seed_everything', 'set_seed', 'set_seeds', 'seed_all', 'set_random_seed', 'fix_seed']);

/** Library helpers that do the seeding themselves; InitLens only updates their seed. */
export const LIBRARY_HELPERS = /^(lightning(\.pytorch)?|pytorch_lightning|lightning_fabric(\.utilities\.seed)?)\.seed_everything$|^transformers(\.trainer_utils)?\.set_seed$/;

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

/** A top-level function definition's name. */
export function defName(node: SyntaxNode, text: string): string | undefined {
  const target = node.name === 'DecoratedStatement' ? node.getChild('FunctionDefinition') : node;
  if (!target || target.name !== 'FunctionDefinition') return undefined;
  const name = target.getChild('VariableName');
  return name ? text.slice(name.from, name.to) : undefined;
}


/** A module-level call to `name` (`seed_everything(42)` or `key = seed_everything(42)`). */
export interface CallSite {
  readonly statement: SyntaxNode;
  readonly call: SyntaxNode;
}

export function topLevelCallOf(stmt: SyntaxNode, text: string, imports: readonly ImportBinding[], match: (callee: string[], qualified: string | undefined) => boolean): CallSite | undefined {
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
export interface Anchors {
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
export function anchors(tree: Tree, text: string, construction: SyntaxNode | undefined): Anchors {
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

export function firstParam(fn: SyntaxNode, text: string): string | undefined {
  const params = fn.getChild('ParamList');
  const name = params?.getChild('VariableName');
  return name ? text.slice(name.from, name.to) : undefined;
}

export function lastStatementStart(body: SyntaxNode): number | undefined {
  let last: number | undefined;
  for (let c = body.firstChild; c; c = c.nextSibling) if (c.name !== ':' && c.name !== 'Comment') last = c.from;
  return last;
}


/** Replaces the first positional argument of `call` with `value` (no edit when it already is). */
export function replaceFirstArgument(call: SyntaxNode, text: string, value: string): TextEdit[] {
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
