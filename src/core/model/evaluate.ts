/**
 * Resolves constructor arguments to numbers where the source allows: literals,
 * module-level constants, `__init__` parameters with defaults, and simple
 * arithmetic (`hidden * 2`, `4 * d_model`, `H // 2`, `2 ** 8`). Anything else is
 * kept as its source text, so lenses show `fan_in = in_dim` rather than a guess.
 */
import { exceeds, LIMITS } from '../limits';
import { dottedName, type SyntaxNode } from '../python/parse';
import { callArgs, unwrap, sequenceElements } from '../python/syntax';

/** A value the evaluator understands. */
export type Value = number | string | boolean | null | readonly Value[];

/** Names visible to an expression, innermost scope first. */
export type Scope = ReadonlyMap<string, Value>;

/** A number, or the source text of what could not be resolved. */
export type Dim = number | { readonly symbol: string };

/** Elements and nesting of each tuple or list value, known when it is built (values share their parts, so a size is never recounted). */
const shapes = new WeakMap<readonly Value[], { readonly size: number; readonly depth: number }>();

/** Elements of a value counted through its nested tuples and lists (a scalar is 1). */
export function valueSize(value: Value): number {
  return Array.isArray(value) ? shapeOf(value).size : 1;
}

function shapeOf(values: readonly Value[]): { readonly size: number; readonly depth: number } {
  let known = shapes.get(values);
  if (!known) {
    let size = 0;
    let depth = 0;
    for (const v of values) {
      const inner = Array.isArray(v) ? shapeOf(v) : { size: 1, depth: 0 };
      size += inner.size;
      depth = Math.max(depth, inner.depth);
    }
    known = { size, depth: depth + 1 };
    shapes.set(values, known);
  }
  return known;
}

/** Evaluates `node`; undefined when it is not a supported constant expression. */
export function evaluate(node: SyntaxNode | undefined, text: string, scope: Scope, depth = 0): Value | undefined {
  if (!node || exceeds('expressionDepth', depth)) return undefined;
  const n = unwrap(node);
  switch (n.name) {
    case 'Number': {
      const raw = text.slice(n.from, n.to).replace(/_/g, '');
      if (/[jJ]$/.test(raw)) return undefined;
      // Number() reads Python's 0x/0o/0b prefixes and exponents alike.
      const value = Number(raw);
      return Number.isFinite(value) ? value : undefined;
    }
    case 'Boolean':
      return text.slice(n.from, n.to) === 'True';
    case 'None':
      return null;
    case 'String': {
      const raw = text.slice(n.from, n.to);
      const m = /^(['"])((?:\\.|(?!\1).)*)\1$/s.exec(raw);
      return m ? m[2] : undefined;
    }
    case 'VariableName':
      return scope.get(text.slice(n.from, n.to));
    case 'MemberExpression': {
      if (n.getChild('[')) return subscript(n, text, scope, depth);
      // `self.hidden` set earlier in __init__ is in scope under its dotted name.
      const name = dottedName(n, text);
      return name ? scope.get(name.join('.')) : undefined;
    }
    case 'UnaryExpression': {
      const op = n.firstChild;
      const value = evaluate(op?.nextSibling ?? undefined, text, scope, depth + 1);
      if (typeof value !== 'number' || !op) return undefined;
      const sign = text.slice(op.from, op.to);
      return sign === '-' ? -value : sign === '+' ? value : undefined;
    }
    case 'BinaryExpression': {
      const left = n.firstChild;
      const op = left?.nextSibling;
      const right = op?.nextSibling;
      if (!left || !op || !right) return undefined;
      const a = evaluate(left, text, scope, depth + 1);
      const b = evaluate(right, text, scope, depth + 1);
      if (typeof a !== 'number' || typeof b !== 'number') return undefined;
      return arithmetic(text.slice(op.from, op.to), a, b);
    }
    case 'CallExpression':
      return builtinCall(n, text, scope, depth);
    case 'TupleExpression':
    case 'ArrayExpression': {
      const elements = sequenceElements(n);
      if (!elements) return undefined;
      const values: Value[] = [];
      for (const e of elements) {
        const v = evaluate(e, text, scope, depth + 1);
        if (v === undefined) return undefined;
        values.push(v);
      }
      // `c2 = (c1, c1)` doubles per line: a constant too large or too deep to follow is unknown.
      const { size, depth: nesting } = shapeOf(values);
      return exceeds('constantElements', size) || exceeds('constantDepth', nesting) ? undefined : values;
    }
    default:
      return undefined;
  }
}

/** The scope key of a dict entry: `cfg["VGG11"]` (dict literals of string keys are in scope entry by entry). */
export function entryKey(dict: string, key: string): string {
  return `${dict}[${JSON.stringify(key)}]`;
}

/** `dims[0]`, `dims[-1]` of a known list or tuple; `cfg['VGG11']` of a dict literal in scope. */
function subscript(n: SyntaxNode, text: string, scope: Scope, depth: number): Value | undefined {
  const object = n.firstChild;
  const open = n.getChild('[');
  const index = open?.nextSibling;
  if (!object || !index || index.nextSibling?.name !== ']') return undefined;
  const key = evaluate(index, text, scope, depth + 1);
  if (typeof key === 'string') {
    const name = dottedName(object, text);
    return name ? scope.get(entryKey(name.join('.'), key)) : undefined;
  }
  const value = evaluate(object, text, scope, depth + 1);
  if (!Array.isArray(value) || typeof key !== 'number' || !Number.isInteger(key)) return undefined;
  const list = value as readonly Value[];
  return list[key < 0 ? list.length + key : key];
}

/**
 * Builtins and math functions of constant arguments, as models write sizes:
 * `int(planes * (base_width / 64.))` (torchvision), `int(np.prod(img_shape))`
 * (PyTorch-GAN), `0.02 / math.sqrt(2 * n_layer)` (nanoGPT), `len(dims)`,
 * `max(1, c // 16)`. A name the file binds itself (`int = ...`) is not the builtin.
 */
function builtinCall(n: SyntaxNode, text: string, scope: Scope, depth: number): Value | undefined {
  const callee = n.firstChild;
  const list = n.getChild('ArgList');
  if (!callee || !list) return undefined;
  const name = callee.name === 'VariableName' || callee.name === 'MemberExpression' ? text.slice(callee.from, callee.to).replace(/\s+/g, '') : '';
  // `W.size(0)` of a tensor whose shape is in scope as `W.shape` (moduleScope.ts).
  const size = /^([\w.]+)\.size$/.exec(name);
  const shape = size ? scope.get(`${size[1]}.shape`) : undefined;
  if (Array.isArray(shape)) {
    const inner = callArgs(list, text);
    if (inner.keywords.size > 0 || inner.hasStarred || inner.positional.length > 1) return undefined;
    if (inner.positional.length === 0) return shape;
    const i = evaluate(inner.positional[0], text, scope, depth + 1);
    return typeof i === 'number' && Number.isInteger(i) ? shape[i < 0 ? shape.length + i : i] : undefined;
  }
  const fn = BUILTINS[name];
  if (!fn || scope.has(name.split('.')[0])) return undefined;
  const inner = callArgs(list, text);
  if (inner.keywords.size > 0 || inner.hasStarred || inner.positional.length === 0) return undefined;
  const args: Value[] = [];
  for (const a of inner.positional) {
    const v = evaluate(a, text, scope, depth + 1);
    if (v === undefined) return undefined;
    args.push(v);
  }
  const r = fn(args);
  return typeof r === 'number' && !Number.isFinite(r) ? undefined : r;
}

const numbers = (args: readonly Value[]): number[] | undefined => {
  const flat = args.length === 1 && Array.isArray(args[0]) ? (args[0] as readonly Value[]) : args;
  return flat.every((v) => typeof v === 'number' || typeof v === 'boolean') ? flat.map(Number) : undefined;
};
const unary = (f: (x: number) => number) => (args: readonly Value[]) => (args.length === 1 && (typeof args[0] === 'number' || typeof args[0] === 'boolean') ? f(Number(args[0])) : undefined);
const productOf = (args: readonly Value[]) => (args.length === 1 ? numbers(args)?.reduce((a, b) => a * b, 1) : undefined);
const sqrt = unary((x) => (x >= 0 ? Math.sqrt(x) : NaN));

const BUILTINS: Readonly<Record<string, (args: readonly Value[]) => Value | undefined>> = {
  // The builtin truncates toward 0.
  int: unary(Math.trunc),
  float: unary((x) => x),
  abs: unary(Math.abs),
  len: (args) => (args.length === 1 && (Array.isArray(args[0]) || typeof args[0] === 'string') ? (args[0] as readonly Value[] | string).length : undefined),
  max: (args) => {
    const xs = numbers(args);
    return xs && xs.length > 0 ? Math.max(...xs) : undefined;
  },
  min: (args) => {
    const xs = numbers(args);
    return xs && xs.length > 0 ? Math.min(...xs) : undefined;
  },
  sum: (args) => (args.length === 1 ? numbers(args)?.reduce((a, b) => a + b, 0) : undefined),
  'math.sqrt': sqrt,
  'np.sqrt': sqrt,
  'numpy.sqrt': sqrt,
  'math.ceil': unary(Math.ceil),
  'math.floor': unary(Math.floor),
  'math.prod': productOf,
  'np.prod': productOf,
  'numpy.prod': productOf,
};

/** A Python arithmetic operator on two numbers (`op` as written: `+`, `//`, `**`, ...); undefined where Python raises or the result is not finite. */
export function arithmetic(op: string, a: number, b: number): number | undefined {
  switch (op) {
    case '+':
      return a + b;
    case '-':
      return a - b;
    case '*':
      return a * b;
    case '/':
      return b === 0 ? undefined : a / b;
    case '//':
      return b === 0 ? undefined : Math.floor(a / b);
    case '%':
      return b === 0 ? undefined : a - b * Math.floor(a / b);
    case '**': {
      const r = a ** b;
      return Number.isFinite(r) ? r : undefined;
    }
    default:
      return undefined;
  }
}

/**
 * Whether Python gives `node` a float type, from its syntax: a float literal
 * (`2.0`, `1e3`), true division, or arithmetic with a float operand; for a
 * tuple or list, whether any element is a float. Names are not followed
 * (their values are kept as plain numbers).
 */
export function isFloatSyntax(node: SyntaxNode | undefined, text: string, depth = 0): boolean {
  if (!node || depth > LIMITS.expressionDepth.value) return false;
  const n = unwrap(node);
  if (n.name === 'Number') return !/^0[xob]/i.test(text.slice(n.from, n.to)) && /[.eE]/.test(text.slice(n.from, n.to));
  if (n.name === 'UnaryExpression') return isFloatSyntax(n.lastChild ?? undefined, text, depth + 1);
  if (n.name === 'TupleExpression' || n.name === 'ArrayExpression') return (sequenceElements(n) ?? []).some((e) => isFloatSyntax(e, text, depth + 1));
  if (n.name !== 'BinaryExpression') return false;
  const left = n.firstChild;
  const op = left?.nextSibling;
  if (!left || !op) return false;
  if (text.slice(op.from, op.to) === '/') return true;
  return isFloatSyntax(left, text, depth + 1) || isFloatSyntax(op.nextSibling ?? undefined, text, depth + 1);
}

/** A non-negative integer dimension, or the expression's text when unresolved. */
export function dim(node: SyntaxNode | undefined, text: string, scope: Scope, fallback?: number): Dim | undefined {
  if (!node) return fallback;
  const value = evaluate(node, text, scope);
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return value;
  return { symbol: text.slice(node.from, node.to).replace(/\s+/g, ' ') };
}

export function isKnown(d: Dim | undefined): d is number {
  return typeof d === 'number';
}

/** Renders a dimension for humans (`784`, `hidden`). */
export function showDim(d: Dim | undefined): string {
  if (d === undefined) return '?';
  return typeof d === 'number' ? String(d) : d.symbol;
}

/** Product of dimensions (a symbolic product when any is unknown). */
export function product(dims: readonly (Dim | undefined)[]): Dim {
  if (dims.every(isKnown)) return dims.reduce((a, b) => a * b, 1);
  if (dims.some((d) => d === undefined || (typeof d === 'object' && d.symbol === '?'))) return { symbol: '?' };
  return { symbol: dims.map((d) => (typeof d === 'object' && /[^\w.]/.test(d.symbol) ? `(${d.symbol})` : showDim(d))).join('·') };
}
