/**
 * Small, allocation-light queries over lezer Python nodes used by the model
 * analysis: the parts of a call, literal values, and the statements of a body.
 */
import type { SyntaxNode } from './parse';

/** Tokens between the parts of calls and literals; a comment among the arguments (`nn.Sequential(  # stem`) is no argument. */
const PUNCTUATION = new Set(['(', ')', ',', '[', ']', '{', '}', ':', '.', 'AssignOp', '*', '**', 'Comment']);

/** The arguments of an `ArgList` node: positional in order, keywords by name. */
export interface CallArgs {
  readonly positional: readonly SyntaxNode[];
  readonly keywords: ReadonlyMap<string, SyntaxNode>;
  /** True when `*args` or `**kwargs` make positions unknowable. */
  readonly hasStarred: boolean;
  /** The `*x` and `**x` arguments in order, each with the number of positional arguments before it. */
  readonly spreads: readonly { readonly node: SyntaxNode; readonly kind: '*' | '**'; readonly at: number }[];
}

export function callArgs(argList: SyntaxNode, text: string): CallArgs {
  const positional: SyntaxNode[] = [];
  const keywords = new Map<string, SyntaxNode>();
  let hasStarred = false;
  let pendingName: string | undefined;
  let starred: '*' | '**' | undefined;
  const spreads: { node: SyntaxNode; kind: '*' | '**'; at: number }[] = [];
  for (let child = argList.firstChild; child; child = child.nextSibling) {
    const name = child.name;
    if (name === '*' || name === '**') {
      starred = name;
      continue;
    }
    if (name === 'AssignOp') continue;
    if (PUNCTUATION.has(name)) {
      if (name === ',') starred = undefined;
      continue;
    }
    // `name=value` arrives as VariableName, AssignOp, value.
    const next = child.nextSibling;
    if (name === 'VariableName' && next?.name === 'AssignOp') {
      pendingName = text.slice(child.from, child.to);
      continue;
    }
    if (pendingName !== undefined) {
      keywords.set(pendingName, child);
      pendingName = undefined;
    } else if (starred) {
      hasStarred = true;
      spreads.push({ node: child, kind: starred, at: positional.length });
    } else {
      positional.push(child);
    }
  }
  return { positional, keywords, hasStarred, spreads };
}

/** The argument bound to a parameter: keyword first, else its position. */
export function argument(args: CallArgs, name: string, position?: number): SyntaxNode | undefined {
  return args.keywords.get(name) ?? (position !== undefined ? args.positional[position] : undefined);
}

/** A Python string literal's value (plain, single-line, no f-string), else undefined. */
export function stringValue(node: SyntaxNode | undefined, text: string): string | undefined {
  if (!node || node.name !== 'String') return undefined;
  const raw = text.slice(node.from, node.to);
  const m = /^([rRbBuU]?)(['"])((?:\\.|(?!\2).)*)\2$/s.exec(raw);
  if (!m) return undefined;
  return m[1] === 'r' || m[1] === 'R' ? m[3] : m[3].replace(/\\(['"\\])/g, '$1');
}

/** True / False / None literals. */
export function constantValue(node: SyntaxNode | undefined, text: string): boolean | null | undefined {
  if (!node) return undefined;
  const raw = text.slice(node.from, node.to);
  if (node.name === 'Boolean') return raw === 'True';
  if (node.name === 'None') return null;
  return undefined;
}

/** The statements directly inside a `Body` (or the script), skipping punctuation. */
export function statements(body: SyntaxNode): SyntaxNode[] {
  const out: SyntaxNode[] = [];
  for (let child = body.firstChild; child; child = child.nextSibling) {
    if (child.name !== ':' && !child.type.isError && child.name !== 'Comment') out.push(child);
  }
  return out;
}

/** Elements of a list/tuple literal, or undefined for anything else. */
export function sequenceElements(node: SyntaxNode): SyntaxNode[] | undefined {
  if (node.name !== 'ArrayExpression' && node.name !== 'TupleExpression' && node.name !== 'ParenthesizedExpression') return undefined;
  const out: SyntaxNode[] = [];
  for (let child = node.firstChild; child; child = child.nextSibling) {
    if (!PUNCTUATION.has(child.name)) out.push(child);
  }
  return out;
}

/** The single expression inside parentheses, unwrapped (`((x))` → `x`). */
export function unwrap(node: SyntaxNode): SyntaxNode {
  let current = node;
  while (current.name === 'ParenthesizedExpression') {
    const inner = sequenceElements(current);
    if (!inner || inner.length !== 1) break;
    current = inner[0];
  }
  return current;
}

/**
 * Whether two nodes are the same node. Lezer creates node objects on demand,
 * so the same node reached twice is two objects: compare positions and type.
 */
export function same(a: SyntaxNode | null | undefined, b: SyntaxNode | null | undefined): boolean {
  return !!a && !!b && a.from === b.from && a.to === b.to && a.type === b.type;
}

/** Every descendant of `node` (pre-order), optionally only those named `name`. */
export function* descendants(node: SyntaxNode, name?: string): Generator<SyntaxNode> {
  const cursor = node.cursor();
  const { from, to } = node;
  while (cursor.next() && cursor.from < to && cursor.to <= to && cursor.from >= from) {
    if (name === undefined || cursor.name === name) yield cursor.node;
  }
}

/** Whether `node` contains a parse error (an unfinished call, a half-typed line). */
export function hasError(node: SyntaxNode): boolean {
  for (const d of descendants(node)) if (d.type.isError) return true;
  return false;
}
