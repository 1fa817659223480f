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
 * - `nn.Upsample(mode='linear' | 'bilinear' | 'trilinear')`, `nn.UpsamplingBilinear2d`
 *   and `F.interpolate(…, mode=…, align_corners=…)`: ATen's upsample_linear1d /
 *   bilinear2d / trilinear3d on the CPU, separable, one axis at a time from the
 *   last (the order of its nested sums), each a product with the matrix of the
 *   two taps and weights of {@link linearTaps}.
 * - A convolution's `padding_mode` other than zeros: the `pad` op its
 *   `_conv_forward` calls (`F.pad(x, _reversed_padding_repeated_twice, mode)`),
 *   then the convolution without padding ({@link convPads}).
 * Built from slices, reversals, concatenations, broadcasts, transposes and matrix
 * products, whose gradients every TensorFlow.js backend has.
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
  | (Base & { readonly kind: 'upsample'; readonly input: number; readonly factors: readonly number[] })
  /**
   * Linear interpolation of the spatial axes (2…) to `shape`'s sizes; `scales`: the scale_factor given
   * per axis, 0 where the output size was given (ATen's "no scale": input / output size is used).
   */
  | (Base & { readonly kind: 'interpolate'; readonly input: number; readonly alignCorners: boolean; readonly scales: readonly number[] });

export const SPATIAL_KINDS: ReadonlySet<string> = new Set(['pad', 'upsample', 'interpolate']);

/** The linear modes of `F.interpolate` and the rank of the input each takes (upsample_linear1d, bilinear2d, trilinear3d). */
export const LINEAR_MODES: Readonly<Record<string, number>> = { linear: 3, bilinear: 4, trilinear: 5 };

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

/**
 * A convolution's padding as the `pads` of the `pad` op its `_conv_forward` applies for a
 * `padding_mode` other than zeros: `_reversed_padding_repeated_twice`, i.e. the last axis first, each
 * axis' padding on both sides; for `padding='same'`, dilation·(kernel − 1) split with the smaller
 * half before (`_ConvNd.__init__`).
 */
export function convPads(padding: readonly number[] | 'same', kernel: readonly number[], dilation: readonly number[]): number[] {
  const pads: number[] = [];
  for (let i = kernel.length - 1; i >= 0; i--) {
    if (padding === 'same') {
      const total = dilation[i] * (kernel[i] - 1);
      const before = Math.floor(total / 2);
      pads.push(before, total - before);
    } else pads.push(padding[i], padding[i]);
  }
  return pads;
}

/** The size ATen's upsampling gives an axis of `size` for `scale_factor` (`static_cast<int64_t>(size * scale)`, in double). */
export function scaledSize(size: number, scale: number): number {
  return Math.floor(size * scale);
}

/**
 * The two taps and weights of each output position of a linear interpolation from `inSize` to
 * `outSize` positions, as ATen 1.13's CPU upsample_linear kernels compute them: the scale in float32
 * (`area_pixel_compute_scale`: (in − 1) / (out − 1) with align_corners, else 1 / scale_factor when one
 * is given (`scale` > 0), else in / out), the source index in double (`area_pixel_compute_source_index`:
 * scale · i, or scale · (i + 0.5) − 0.5 clamped at 0), its integer part the first tap, the next one the
 * second (the first again at the last position), λ₁ the fraction clamped to [0, 1] rounded to float32
 * and λ₀ = 1 − λ₁ in float32; an unchanged size is a copy. (Each weight checked against PyTorch's
 * interpolation of one-hot rows: scripts/signal/spatial2_fixtures.py.)
 */
export function linearTaps(inSize: number, outSize: number, alignCorners: boolean, scale: number): { i0: number[]; i1: number[]; l0: number[]; l1: number[] } {
  const taps = { i0: [] as number[], i1: [] as number[], l0: [] as number[], l1: [] as number[] };
  const ratio = alignCorners ? (outSize > 1 ? Math.fround(Math.fround(inSize - 1) / Math.fround(outSize - 1)) : 0) : scale > 0 ? Math.fround(1 / scale) : Math.fround(inSize / outSize);
  for (let i = 0; i < outSize; i++) {
    if (inSize === outSize) {
      taps.i0.push(i);
      taps.i1.push(i);
      taps.l0.push(1);
      taps.l1.push(0);
      continue;
    }
    const source = alignCorners ? ratio * i : Math.max(ratio * (i + 0.5) - 0.5, 0);
    const i0 = Math.trunc(source);
    const l1 = Math.fround(Math.min(Math.max(source - i0, 0), 1));
    taps.i0.push(i0);
    taps.i1.push(i0 < inSize - 1 ? i0 + 1 : i0);
    taps.l1.push(l1);
    taps.l0.push(Math.fround(1 - l1));
  }
  return taps;
}

/** The value of a spatial op on the backend (autodiff gives its gradient). */
export function evalSpatial(tf: Tf, op: SpatialOp, values: readonly Tensor[]): Tensor {
  const x = values[op.input];
  if (op.kind === 'pad') return pad(tf, x, op.mode, op.pads, op.value);
  if (op.kind === 'upsample') return upsample(tf, x, op.factors);
  return interpolate(tf, x, op.shape.slice(2), op.alignCorners, op.scales);
}

/**
 * Linear interpolation, one spatial axis at a time from the last: the axis moved last, a product
 * with the (in × out) matrix holding each output's two weights (its other entries are zeros, which
 * add nothing), moved back. The gradient is the transposed product: ATen's backward scatter-add.
 */
function interpolate(tf: Tf, x: Tensor, sizes: readonly number[], alignCorners: boolean, scales: readonly number[]): Tensor {
  let y = x;
  for (let i = sizes.length - 1; i >= 0; i--) {
    const axis = 2 + i;
    const inSize = y.shape[axis];
    const outSize = sizes[i];
    if (inSize === outSize) continue;
    const taps = linearTaps(inSize, outSize, alignCorners, scales[i]);
    const matrix = new Float32Array(inSize * outSize);
    for (let o = 0; o < outSize; o++) {
      matrix[taps.i0[o] * outSize + o] += taps.l0[o];
      matrix[taps.i1[o] * outSize + o] += taps.l1[o];
    }
    const last = y.rank - 1;
    const perm = y.shape.map((_, a) => (a === axis ? last : a === last ? axis : a));
    const moved = axis === last ? y : tf.transpose(y, perm);
    const product = tf.matMul(tf.reshape(moved, [-1, inSize]), tf.tensor2d(matrix, [inSize, outSize]));
    const back = tf.reshape(product, [...moved.shape.slice(0, -1), outSize]);
    y = axis === last ? back : tf.transpose(back, perm);
  }
  return y;
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
