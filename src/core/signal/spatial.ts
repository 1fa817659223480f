/**
 * Padding and nearest upsampling, the parameter-free spatial ops of image
 * generators and style-transfer nets (pytorch/examples fast_neural_style's
 * `ReflectionPad2d` and `interpolate(mode='nearest')`, PyTorch-GAN's
 * `nn.Upsample(scale_factor=2)`), as PyTorch 1.13 computes them on its CPU:
 * - `nn.ReflectionPad{1,2,3}d`, `nn.ReplicationPad{1,2,3}d`, `nn.ZeroPad2d`,
 *   `nn.ConstantPad{1,2,3}d` and `F.pad(x, pad, mode, value)`: `pad` lists
 *   (before, after) pairs from the last axis backwards, as PyTorch's does;
 *   non-negative only; reflection needs each pad below its axis' size.
 * - `nn.Upsample(scale_factor=k)` / `F.interpolate(x, scale_factor=k |
 *   size=…, mode='nearest')` with integer factors: ATen's nearest index
 *   `floor(i * (float)(1/k))` is checked, in float32, to repeat each input
 *   element exactly k times along every axis before the op is built (else it
 *   is named, not approximated).
 * Built from slices, reversals, concatenations and broadcasts, whose
 * gradients every TensorFlow.js backend has.
 */
import type { Tensor } from '@tensorflow/tfjs-core';
import type { Shape } from './graph';

type Tf = typeof import('@tensorflow/tfjs-core');

interface Base {
  readonly shape: Shape;
  readonly line: number;
}

export type PadMode = 'constant' | 'reflect' | 'replicate' | 'circular';

/** The ops this module adds to the graph (graph.ts's SignalOp). */
export type SpatialOp =
  /** `pads`: (before, after) per axis from the last one backwards (PyTorch's order), at most 3 axes. */
  | (Base & { readonly kind: 'pad'; readonly mode: PadMode; readonly input: number; readonly pads: readonly number[]; readonly value: number })
  /** Nearest upsampling by an integer factor per spatial axis (axes 2…). */
  | (Base & { readonly kind: 'upsample'; readonly input: number; readonly factors: readonly number[] });

export const SPATIAL_KINDS: ReadonlySet<string> = new Set(['pad', 'upsample']);

/** The padding modules of torch.nn: their mode and how many spatial axes they pad. */
export const PAD_MODULES: Readonly<Record<string, { readonly mode: PadMode; readonly dims: 1 | 2 | 3 }>> = {
  ReflectionPad1d: { mode: 'reflect', dims: 1 },
  ReflectionPad2d: { mode: 'reflect', dims: 2 },
  ReflectionPad3d: { mode: 'reflect', dims: 3 },
  ReplicationPad1d: { mode: 'replicate', dims: 1 },
  ReplicationPad2d: { mode: 'replicate', dims: 2 },
  ReplicationPad3d: { mode: 'replicate', dims: 3 },
  ZeroPad2d: { mode: 'constant', dims: 2 },
  ConstantPad1d: { mode: 'constant', dims: 1 },
  ConstantPad2d: { mode: 'constant', dims: 2 },
  ConstantPad3d: { mode: 'constant', dims: 3 },
};

/** A module's `padding` (an int for every side, or the tuple) as `pads`; a problem otherwise. */
export function padsOf(padding: unknown, dims: number): number[] | string {
  if (typeof padding === 'number') return Number.isInteger(padding) && padding >= 0 ? Array<number>(2 * dims).fill(padding) : 'a padding that is not a non-negative integer';
  if (Array.isArray(padding) && padding.length === 2 * dims && padding.every((p) => typeof p === 'number' && Number.isInteger(p) && p >= 0)) return padding as number[];
  return `a padding of ${2 * dims} non-negative integers is needed`;
}

/** The output shape of a pad, or why PyTorch would refuse it. */
export function paddedShape(input: Shape, mode: PadMode, pads: readonly number[]): number[] | string {
  const axes = pads.length / 2;
  if (!Number.isInteger(axes) || axes < 1 || axes > 3 || axes > input.length) return `a pad of ${pads.length} values for ${input.length} axes`;
  if (pads.some((p) => !Number.isInteger(p) || p < 0)) return 'negative or fractional padding is not simulated';
  const out = [...input];
  for (let k = 0; k < axes; k++) {
    const axis = input.length - 1 - k;
    const [before, after] = [pads[2 * k], pads[2 * k + 1]];
    if (mode === 'reflect' && (before >= input[axis] || after >= input[axis])) return `reflection padding ${before}, ${after} needs an axis longer than that (${input[axis]})`;
    if (mode === 'circular' && (before > input[axis] || after > input[axis])) return `circular padding ${before}, ${after} is longer than the axis (${input[axis]})`;
    if (mode === 'replicate' && input[axis] === 0) return 'replication padding of an empty axis';
    out[axis] = input[axis] + before + after;
  }
  return out;
}

/**
 * Whether ATen's nearest index for scale factor `factor` (`floor(i * (float)(1/factor))`, float32,
 * clamped to the last input index) repeats every input element exactly `factor` times for an axis
 * of `size` (PyTorch 1.13 `nearest_idx`; twice the size takes `i >> 1`).
 */
export function nearestRepeats(size: number, factor: number): boolean {
  if (!Number.isInteger(factor) || factor < 1) return false;
  if (factor === 1 || factor === 2) return true;
  const scale = Math.fround(1 / factor);
  for (let i = 0; i < size * factor; i++) {
    const src = Math.min(Math.floor(Math.fround(Math.fround(i) * scale)), size - 1);
    if (src !== Math.floor(i / factor)) return false;
  }
  return true;
}

/** The value of a spatial op on the backend (autodiff gives its gradient). */
export function evalSpatial(tf: Tf, op: SpatialOp, values: readonly Tensor[]): Tensor {
  const x = values[op.input];
  return op.kind === 'pad' ? pad(tf, x, op.mode, op.pads, op.value) : upsample(tf, x, op.factors);
}

function pad(tf: Tf, x: Tensor, mode: PadMode, pads: readonly number[], value: number): Tensor {
  if (mode === 'constant') {
    const paddings = x.shape.map((): [number, number] => [0, 0]);
    for (let k = 0; k < pads.length / 2; k++) paddings[x.rank - 1 - k] = [pads[2 * k], pads[2 * k + 1]];
    return tf.pad(x, paddings, value);
  }
  let y = x;
  for (let k = 0; k < pads.length / 2; k++) {
    const axis = x.rank - 1 - k;
    const [before, after] = [pads[2 * k], pads[2 * k + 1]];
    const n = y.shape[axis];
    const part = (from: number, size: number) => tf.slice(y, y.shape.map((_, a) => (a === axis ? from : 0)), y.shape.map((d, a) => (a === axis ? size : d)));
    const repeat = (t: Tensor, times: number) => tf.concat(Array<Tensor>(times).fill(t), axis);
    const pieces: Tensor[] = [];
    if (before > 0) pieces.push(mode === 'reflect' ? tf.reverse(part(1, before), axis) : mode === 'replicate' ? repeat(part(0, 1), before) : part(n - before, before));
    pieces.push(y);
    if (after > 0) pieces.push(mode === 'reflect' ? tf.reverse(part(n - 1 - after, after), axis) : mode === 'replicate' ? repeat(part(n - 1, 1), after) : part(0, after));
    if (pieces.length > 1) y = tf.concat(pieces, axis);
  }
  return y;
}

function upsample(tf: Tf, x: Tensor, factors: readonly number[]): Tensor {
  let y = x;
  factors.forEach((k, i) => {
    if (k === 1) return;
    const axis = 2 + i;
    const shape = y.shape;
    const before = shape.slice(0, axis).reduce((a, b) => a * b, 1);
    const after = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
    // Each element k times in a row: a new axis after `axis`, broadcast, folded back (rank 4 at most: tile's gradient has no more).
    const expanded = tf.reshape(y, [before, shape[axis], 1, after]);
    const tiled = tf.broadcastTo(expanded, [before, shape[axis], k, after]);
    y = tf.reshape(tiled, [...shape.slice(0, axis), shape[axis] * k, ...shape.slice(axis + 1)]);
  });
  return y;
}
