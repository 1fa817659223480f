/**
 * Activation functions a module class of the file computes by hand, like
 * minGPT's `NewGELU` (`0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi)
 * * (x + 0.044715 * torch.pow(x, 3.0))))`): its forward's returned
 * expression, evaluated as a function of its input at a few points, is
 * compared with PyTorch's formulas (torch/nn/modules/activation.py's
 * documentation). Only elementwise arithmetic, `math` and the elementwise
 * functions of `torch`, `torch.nn.functional` and tensors are evaluated;
 * anything else (an attribute, a layer, a reduction) means "not a formula".
 */
import type { SyntaxNode } from '../python/parse';
import { statements } from '../python/syntax';
import type { Activation, ActivationKind } from './activations';
import type { Context } from './context';
import { arithmetic } from './evaluate';

/** Inputs the expression is evaluated at: both signs, near 0 and in the tails (|x| ≤ 3 keeps erf's series exact to ~1e-13). */
const POINTS = [-2.9, -1.7, -1.05, -0.55, -0.12, 0.07, 0.36, 0.9, 1.45, 2.6];
/** Two different activations differ far more (the tanh approximation of GELU is within 5e-4 of GELU, not 1e-9). */
const TOLERANCE = 1e-9;
/** Nodes evaluated per point: bounds the work on a long expression. */
const MAX_NODES = 256;
/** Local assignments before the return (`cdf = ...; return x * cdf`). */
const MAX_STATEMENTS = 8;

type Fn = (...args: number[]) => number;

/** erf by its Taylor series (exact to double precision for |x| ≤ 3, where the points lie), else by the continued fraction of erfc. */
function erf(x: number): number {
  const a = Math.abs(x);
  if (a > 3) {
    // erfc(a) = exp(-a²)/√π · 1/(a + 1/2/(a + 1/(a + 3/2/(a + ...)))) (Lentz-free backward evaluation, 60 terms).
    let f = a;
    for (let k = 60; k >= 1; k--) f = a + k / 2 / f;
    const erfc = Math.exp(-a * a) / Math.sqrt(Math.PI) / f;
    return Math.sign(x) * (1 - erfc);
  }
  let term = x;
  let sum = x;
  for (let n = 1; n < 100; n++) {
    term *= (-x * x) / n;
    const next = term / (2 * n + 1);
    sum += next;
    if (Math.abs(next) < 1e-17 * Math.abs(sum)) break;
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
const softplus = (x: number) => Math.log1p(Math.exp(x));
const relu = (x: number) => Math.max(0, x);
const relu6 = (x: number) => Math.min(Math.max(0, x), 6);

/** Elementwise functions by qualified name (`torch.tanh`, `torch.nn.functional.softplus`, `math.sqrt`) or tensor method. */
const FUNCTIONS: Record<string, Fn> = {
  tanh: Math.tanh,
  sigmoid,
  exp: Math.exp,
  log: Math.log,
  sqrt: Math.sqrt,
  rsqrt: (x) => 1 / Math.sqrt(x),
  erf,
  abs: Math.abs,
  relu,
  relu6,
  softplus,
  pow: (x, y) => x ** y,
  square: (x) => x * x,
  neg: (x) => -x,
  reciprocal: (x) => 1 / x,
};
const MATH_CONSTANTS: Record<string, number> = { 'math.pi': Math.PI, 'math.e': Math.E, 'torch.pi': Math.PI, 'numpy.pi': Math.PI };
const MODULES = ['math', 'torch', 'torch.nn.functional', 'torch.special', 'numpy'];

/** PyTorch's activations as functions (SELU's constants from torch/nn/functional.py). */
const REFERENCES: readonly (readonly [ActivationKind, Fn])[] = [
  ['relu', relu],
  ['relu6', relu6],
  ['gelu', (x) => 0.5 * x * (1 + erf(x / Math.SQRT2))],
  // GELU's tanh approximation (nn.GELU(approximate='tanh')): the same kind for initialization.
  ['gelu', (x) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)))],
  ['silu', (x) => x * sigmoid(x)],
  ['mish', (x) => x * Math.tanh(softplus(x))],
  ['elu', (x) => (x > 0 ? x : Math.expm1(x))],
  ['selu', (x) => 1.0507009873554805 * (x > 0 ? x : 1.6732632423543772 * Math.expm1(x))],
  ['hardswish', (x) => (x * relu6(x + 3)) / 6],
  ['tanh', Math.tanh],
  ['sigmoid', sigmoid],
  ['hardtanh', (x) => Math.min(Math.max(x, -1), 1)],
  ['softsign', (x) => x / (1 + Math.abs(x))],
  ['softplus', softplus],
];

/**
 * The activation `fn` (a `forward(self, x)`) computes of its first parameter,
 * when its body is local assignments and a return of an elementwise formula
 * that equals one of PyTorch's activations; else undefined.
 */
export function formulaActivation(fn: SyntaxNode, param: string, ctx: Context): Activation | undefined {
  const body = fn.getChild('Body');
  if (!body) return undefined;
  const steps: [string | undefined, SyntaxNode][] = [];
  for (const stmt of statements(body)) {
    if (steps.length >= MAX_STATEMENTS) return undefined;
    // A docstring.
    if (stmt.name === 'ExpressionStatement' && stmt.firstChild?.name === 'String') continue;
    if (stmt.name === 'AssignStatement') {
      const target = stmt.firstChild;
      const value = stmt.lastChild;
      if (target?.name !== 'VariableName' || target.nextSibling?.name !== 'AssignOp' || !value || value === target) return undefined;
      steps.push([ctx.slice(target), value]);
      continue;
    }
    if (stmt.name === 'ReturnStatement') {
      const value = stmt.lastChild;
      if (!value || value.name === 'return') return undefined;
      steps.push([undefined, value]);
      break;
    }
    return undefined;
  }
  const last = steps[steps.length - 1];
  if (!last || last[0] !== undefined) return undefined;
  const values: number[] = [];
  for (const x of POINTS) {
    const env = new Map<string, number>([[param, x]]);
    let result: number | undefined;
    for (const [name, node] of steps) {
      const budget = { left: MAX_NODES };
      const v = evaluateAt(node, env, ctx, budget);
      if (v === undefined || !Number.isFinite(v)) return undefined;
      if (name === undefined) result = v;
      else env.set(name, v);
    }
    if (result === undefined) return undefined;
    values.push(result);
  }
  // An expression that does not read its input at all is a constant, no activation.
  if (values.every((v) => v === values[0])) return undefined;
  const found = REFERENCES.find(([, f]) => POINTS.every((x, i) => Math.abs(values[i] - f(x)) <= TOLERANCE * Math.max(1, Math.abs(f(x)))));
  return found ? { kind: found[0] } : undefined;
}

function evaluateAt(node: SyntaxNode, env: ReadonlyMap<string, number>, ctx: Context, budget: { left: number }): number | undefined {
  if (budget.left-- <= 0) return undefined;
  switch (node.name) {
    case 'Number': {
      const text = ctx.slice(node).replace(/_/g, '');
      const v = /^[0-9.eE+-]+$/.test(text) ? Number(text) : NaN;
      return Number.isFinite(v) ? v : undefined;
    }
    case 'VariableName':
      return env.get(ctx.slice(node));
    case 'ParenthesizedExpression': {
      const inner = node.firstChild?.nextSibling;
      return inner && inner.name !== ')' ? evaluateAt(inner, env, ctx, budget) : undefined;
    }
    case 'UnaryExpression': {
      const op = node.firstChild;
      const operand = node.lastChild;
      if (!op || !operand || op === operand) return undefined;
      const v = evaluateAt(operand, env, ctx, budget);
      if (v === undefined) return undefined;
      const o = ctx.slice(op);
      return o === '-' ? -v : o === '+' ? v : undefined;
    }
    case 'BinaryExpression': {
      const left = node.firstChild;
      const op = left?.nextSibling;
      const right = node.lastChild;
      if (!left || !op || !right || op.name !== 'ArithOp') return undefined;
      const a = evaluateAt(left, env, ctx, budget);
      const b = evaluateAt(right, env, ctx, budget);
      return a === undefined || b === undefined ? undefined : arithmetic(ctx.slice(op), a, b);
    }
    case 'MemberExpression': {
      const q = ctx.qualified(node);
      return q !== undefined ? MATH_CONSTANTS[q] : undefined;
    }
    case 'CallExpression':
      return call(node, env, ctx, budget);
    default:
      return undefined;
  }
}

/** `torch.tanh(v)`, `math.sqrt(v)`, `F.softplus(v)`, `v.pow(3)`: positional arguments only. */
function call(node: SyntaxNode, env: ReadonlyMap<string, number>, ctx: Context, budget: { left: number }): number | undefined {
  const callee = node.firstChild;
  const list = node.getChild('ArgList');
  if (!callee || !list) return undefined;
  const args: number[] = [];
  for (let c = list.firstChild; c; c = c.nextSibling) {
    if (c.name === '(' || c.name === ')' || c.name === ',') continue;
    // A keyword or a starred argument: not evaluated.
    if (c.name === 'AssignOp' || c.name === '*' || c.name === '**' || c.nextSibling?.name === 'AssignOp') return undefined;
    const v = evaluateAt(c, env, ctx, budget);
    if (v === undefined) return undefined;
    args.push(v);
  }
  const qualified = ctx.qualified(callee);
  const dot = qualified ? qualified.lastIndexOf('.') : -1;
  if (qualified && dot > 0 && MODULES.includes(qualified.slice(0, dot))) {
    const f = FUNCTIONS[qualified.slice(dot + 1)];
    return f && args.length === f.length ? f(...args) : undefined;
  }
  // A tensor method on an evaluated value (`(x + 1).pow(2)`, `x.sigmoid()`).
  if (callee.name === 'MemberExpression' && callee.getChild('PropertyName')) {
    const object = callee.firstChild;
    const f = FUNCTIONS[ctx.slice(callee.getChild('PropertyName') as SyntaxNode)];
    const self = object ? evaluateAt(object, env, ctx, budget) : undefined;
    return f && self !== undefined && args.length === f.length - 1 ? f(self, ...args) : undefined;
  }
  return undefined;
}
