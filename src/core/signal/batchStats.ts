/**
 * BatchNorm's batch statistics in training mode and the per-channel sums of
 * its backward pass, accumulated in double precision as ATen's CPU kernels
 * accumulate them (accscalar_t is double for float there;
 * batch_norm_cpu_collect_stats: mean = float(Σx / n), var = Σ float(x − mean)²
 * / n, invstd = float(1 / √(var + eps))).
 *
 * Only the wasm backend needs this: its Sum kernel adds in float32, one value
 * after the other, and over a channel's 2048 values (kuangliu's MobileNetV2 on
 * two 32×32 images) the variance came out about 10⁻⁶ off, which moved every
 * BatchNorm output by 4·10⁻⁷ of its std, four times PyTorch's own rounding.
 * The cpu backend sums in JavaScript numbers (doubles) already, and a GPU
 * backend's values stay on the GPU: both keep TensorFlow.js's reductions.
 */
import type { Tensor } from '@tensorflow/tfjs-core';

type Tf = typeof import('@tensorflow/tfjs-core');

/** Backends whose reductions add in float32 and whose values are read back cheaply. */
const DOUBLE_SUM_BACKENDS: ReadonlySet<string> = new Set(['wasm']);

/** Whether the statistics are summed here rather than by the backend. */
function summedHere(tf: Tf): boolean {
  return DOUBLE_SUM_BACKENDS.has(tf.getBackend());
}

/** The shape of one value per channel (axis 1), broadcast over the others. */
function channelShape(x: Tensor): number[] {
  return [1, x.shape[1] as number, ...Array<number>(x.rank - 2).fill(1)];
}

/** Σ over every axis but the channel (axis 1), per channel, of `values` shaped like `x` (N, C, …), in doubles. */
function channelSums(x: Tensor, values: ArrayLike<number>, f: (v: number, c: number) => number = (v) => v): Float64Array {
  const n = x.shape[0] as number;
  const c = x.shape[1] as number;
  const inner = x.size / (n * c);
  const sums = new Float64Array(c);
  for (let b = 0; b < n; b++)
    for (let k = 0; k < c; k++) {
      const from = (b * c + k) * inner;
      let s = 0;
      for (let i = 0; i < inner; i++) s += f(values[from + i], k);
      sums[k] += s;
    }
  return sums;
}

/**
 * The batch's mean and 1/√(biased variance + eps) over every axis but the channel, shaped (1, C, 1, …):
 * `tf.moments` and `tf.rsqrt`, or ATen's double sums on a backend of {@link DOUBLE_SUM_BACKENDS}.
 */
export function batchMoments(tf: Tf, x: Tensor, axes: number[], eps: number): { mean: Tensor; invstd: Tensor } {
  if (!summedHere(tf)) {
    const { mean, variance } = tf.moments(x, axes, true);
    return { mean, invstd: tf.rsqrt(tf.add(variance, eps)) };
  }
  const values = x.dataSync() as Float32Array;
  const count = x.size / (x.shape[1] as number);
  const mean = Float32Array.from(channelSums(x, values), (s) => s / count);
  const squares = channelSums(x, values, (v, k) => Math.fround(Math.fround(v - mean[k]) ** 2));
  const invstd = Float32Array.from(squares, (s) => 1 / Math.sqrt(s / count + eps));
  const shape = channelShape(x);
  return { mean: tf.tensor(mean, shape), invstd: tf.tensor(invstd, shape) };
}

/** Σ `t` over `axes` (every axis but the channel), per channel, shaped (C): `tf.sum`, or in doubles as {@link batchMoments}. */
export function channelSum(tf: Tf, t: Tensor, axes: number[]): Tensor {
  if (!summedHere(tf)) return tf.sum(t, axes);
  return tf.tensor(Float32Array.from(channelSums(t, t.dataSync() as Float32Array)), [t.shape[1] as number]);
}
