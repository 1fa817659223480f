/**
 * Element-wise arithmetic of forward code beyond `x * number` (graph.ts's
 * `scale`), and the constant tensors a model registers as buffers: what
 * minGPT's NewGELU (`0.5 * x * (1.0 + torch.tanh(c * (x + 0.044715 *
 * torch.pow(x, 3.0))))`) and GPT's causal mask (`register_buffer("bias",
 * torch.tril(torch.ones(n, n)).view(1, 1, n, n))`, then
 * `att.masked_fill(self.bias[:, :, :T, :T] == 0, float('-inf'))`) compute,
 * each as PyTorch 1.13 does on its CPU in float32: a Python number meets a
 * float32 tensor as a float32 scalar, and `x ** 2` / `x ** 3` are products
 * (ATen's pow_tensor_scalar_optimized_kernel), not `pow`.
 */
import type { Tensor } from '@tensorflow/tfjs-core';
import type { Shape } from './graph';

type Tf = typeof import('@tensorflow/tfjs-core');

interface Base {
  readonly shape: Shape;
  readonly line: number;
}

/** The ops this module adds to the graph (graph.ts's SignalOp). */
export type ElementwiseOp =
  /** `a * b`, `a - b`, `a / b` of two tensors, broadcast as PyTorch does (`a + b` is graph.ts's `add`). */
  | (Base & { readonly kind: 'binary'; readonly fn: 'mul' | 'sub' | 'div'; readonly inputs: readonly [number, number] })
  /**
   * A tensor and a Python number: `x + c` (`add`), `x - c` (`sub`), `c - x` (`rsub`), `c / x` (`rdiv`),
   * `x ** c` / `torch.pow(x, c)` (`pow`), and the comparisons `x == c` / `x != c` (a boolean mask, no gradient).
   */
  | (Base & { readonly kind: 'scalar'; readonly fn: 'add' | 'sub' | 'rsub' | 'rdiv' | 'pow' | 'eq' | 'ne'; readonly input: number; readonly value: number })
  /** `torch.ones(shape)` / `torch.zeros(shape)` (`fill`), lower-triangular over the last two axes when `tril` is the diagonal of `torch.tril`. */
  | (Base & { readonly kind: 'constant'; readonly fill: number; readonly tril?: number })
  /** `x.masked_fill(mask, value)`: `value` where the boolean mask (broadcast to x) is true. */
  | (Base & { readonly kind: 'maskedFill'; readonly inputs: readonly [number, number]; readonly value: number });

export const ELEMENTWISE_KINDS: ReadonlySet<string> = new Set(['binary', 'scalar', 'constant', 'maskedFill']);

/** Whether a scalar op's result is a boolean mask (what `masked_fill` takes). */
export function isMask(op: { readonly kind: string; readonly fn?: string }): boolean {
  return op.kind === 'scalar' && (op.fn === 'eq' || op.fn === 'ne');
}

/** The op of `a <o> b` for a tensor and a number (either side) or two tensors; undefined for what this does not compute. */
export function elementwiseOp(o: string, a: { op: number } | { num: number }, b: { op: number } | { num: number }): { readonly kind: 'binary'; readonly fn: 'mul' | 'sub' | 'div' } | { readonly kind: 'scalar'; readonly fn: 'add' | 'sub' | 'rsub' | 'rdiv' | 'pow' | 'eq' | 'ne'; readonly value: number; readonly input: number } | undefined {
  if ('op' in a && 'op' in b) {
    if (o === '*') return { kind: 'binary', fn: 'mul' };
    if (o === '-') return { kind: 'binary', fn: 'sub' };
    if (o === '/') return { kind: 'binary', fn: 'div' };
    return undefined;
  }
  if ('op' in a && 'num' in b) {
    const fn = o === '+' ? 'add' : o === '-' ? 'sub' : o === '**' ? 'pow' : o === '==' ? 'eq' : o === '!=' ? 'ne' : undefined;
    return fn ? { kind: 'scalar', fn, value: b.num, input: a.op } : undefined;
  }
  if ('num' in a && 'op' in b) {
    const fn = o === '+' ? 'add' : o === '-' ? 'rsub' : o === '/' ? 'rdiv' : o === '==' ? 'eq' : o === '!=' ? 'ne' : undefined;
    return fn ? { kind: 'scalar', fn, value: a.num, input: b.op } : undefined;
  }
  return undefined;
}

/** One op of {@link ElementwiseOp}, on TensorFlow.js. */
export function evalElementwise(tf: Tf, op: ElementwiseOp, values: readonly Tensor[]): Tensor {
  switch (op.kind) {
    case 'binary': {
      const [a, b] = op.inputs.map((i) => values[i]);
      return op.fn === 'mul' ? tf.mul(a, b) : op.fn === 'sub' ? tf.sub(a, b) : tf.div(a, b);
    }
    case 'scalar': {
      const x = values[op.input];
      const c = tf.scalar(Math.fround(op.value));
      switch (op.fn) {
        case 'add':
          return tf.add(x, c);
        case 'sub':
          return tf.sub(x, c);
        case 'rsub':
          return tf.sub(c, x);
        case 'rdiv':
          return tf.div(c, x);
        case 'pow':
          // ATen: exponent 2 and 3 as products, 1 the identity, others std::pow.
          if (op.value === 1) return x;
          if (op.value === 2) return tf.mul(x, x);
          if (op.value === 3) return tf.mul(tf.mul(x, x), x);
          return tf.pow(x, c);
        case 'eq':
          return tf.cast(tf.equal(x, c), 'float32');
        case 'ne':
          return tf.cast(tf.notEqual(x, c), 'float32');
      }
      break;
    }
    case 'constant': {
      const n = op.shape.reduce((p, d) => p * d, 1);
      const data = new Float32Array(n).fill(op.fill);
      if (op.tril !== undefined) {
        const rows = op.shape[op.shape.length - 2];
        const cols = op.shape[op.shape.length - 1];
        for (let i = 0; i < n; i++) {
          const col = i % cols;
          const row = Math.floor(i / cols) % rows;
          if (col - row > op.tril) data[i] = 0;
        }
      }
      return tf.tensor(data, [...op.shape], 'float32');
    }
    case 'maskedFill': {
      const [x, mask] = op.inputs.map((i) => values[i]);
      const where = tf.broadcastTo(tf.notEqual(mask, tf.scalar(0)), x.shape);
      return tf.where(where, tf.fill(x.shape, Math.fround(op.value)), x);
    }
  }
  throw new Error(`elementwise op ${(op as { kind: string }).kind}`);
}
