/**
 * Weight histograms sampled on the GPU of the histogram panel's page
 * (issue 13: "weight histograms generated on the local GPU"). The host sends
 * a {@link GpuSampleRequest} (a distribution, the element count, a seed, the
 * bins); the page runs {@link sampleOnTf} on a TensorFlow.js WebGPU or WebGL
 * backend and answers with counts and moments, O(bins) numbers.
 *
 * The values are generated on the device, not drawn in JavaScript and
 * uploaded (as `tf.randomNormal` does): each chunk is a Wichmann–Hill
 * stream (Wichmann & Hill 1982, AS 183: three multiplicative congruential
 * generators with moduli below 2^15). Position p of a component is
 * s·a^p mod m, and with p = r·C + c that is (s·(a^C)^r mod m)·(a^c mod m)
 * mod m: the page computes the two short factor vectors (√n values), and the
 * device multiplies every row by every column, modulo m. Every product stays
 * below 2^24, so float32 (the only number WebGL has) computes the integer
 * states exactly. Uniforms become normals by Box–Muller and truncated
 * normals by the inverse CDF (Wichura's PPND7), on the device too.
 *
 * This is a different stream from the CPU engine's (xoshiro128** +
 * ziggurat): the two agree in distribution, within sampling error, not bit
 * for bit. Exact mode (PyTorch's own values) never comes here.
 */
import type * as tfc from '@tensorflow/tfjs-core';
import { normalCdf } from '../init/schemes';
import { LIMITS } from '../limits';
import type { BinSpec, TailReference } from './histogram';
import { emptyTally, mergeMoments, type Moments, type Tally } from './histogram';
import { chunkState } from './prng';
import type { SamplingPlan } from './plan';

type Tf = typeof tfc;
type Tensor = tfc.Tensor;

/** The distributions the page samples: the i.i.d. kinds of a {@link SamplingPlan}. */
export type GpuDistribution =
  | { readonly kind: 'normal'; readonly mean: number; readonly std: number }
  | { readonly kind: 'uniform'; readonly low: number; readonly high: number }
  | { readonly kind: 'truncated_normal'; readonly mean: number; readonly std: number; readonly low: number; readonly high: number };

/** Host → page: sample `count` values of `distribution` with `seed`, binned by `bins`, in chunks of `chunk` elements. */
export interface GpuSampleRequest {
  readonly id: number;
  readonly distribution: GpuDistribution;
  readonly count: number;
  /** 0 … 2^64−1, decimal. */
  readonly seed: string;
  readonly bins: BinSpec;
  /** Centre and scale of the tail shares (the scheme's theoretical mean and std), as the CPU engine's. */
  readonly reference: TailReference;
  /** Elements per chunk, fixed by the host before the start ({@link LIMITS}.panelGpuChunk). */
  readonly chunk: number;
  /**
   * Sample even where the backend renders in software (SwiftShader,
   * llvmpipe): about 40× slower than the host's engine on 2 cores, so only
   * when the user asked for the GPU (`initlens.compute.backend` = `gpu`).
   */
  readonly software: boolean;
}

/** Page → host: what {@link sampleOnTf} found. `counts` has `bins + 2` slots: underflow, the bins, overflow. */
export interface GpuSampleAnswer {
  readonly id: number;
  /** The TensorFlow.js backend that ran (`webgpu` or `webgl`). */
  readonly backend: string;
  /** The device, in a few words ("SwiftShader", an adapter's vendor). */
  readonly device: string;
  /** Every candidate tried and why it did not run, then the one that ran: the tooltip. */
  readonly detail: string;
  readonly counts: readonly number[];
  readonly moments: Moments;
  readonly beyond2: number;
  readonly beyond3: number;
  readonly chunks: number;
  readonly ms: number;
}

// ---- which plans go to the page ----------------------------------------------

/** The request for `plan`, or why the page cannot sample it (structured schemes, constants). */
export function gpuRequestFor(plan: SamplingPlan, id: number, options: { readonly chunk?: number; readonly software?: boolean } = {}): { readonly request: GpuSampleRequest } | { readonly reason: string } {
  const chunk = options.chunk ?? LIMITS.panelGpuChunk.value;
  const g = plan.generator;
  if (g.kind !== 'normal' && g.kind !== 'uniform' && g.kind !== 'truncated_normal') return { reason: `${g.kind} is not i.i.d. draws; it is sampled in the extension host` };
  const distribution: GpuDistribution =
    g.kind === 'normal' ? { kind: 'normal', mean: g.mean, std: g.std } : g.kind === 'uniform' ? { kind: 'uniform', low: g.low, high: g.high } : { kind: 'truncated_normal', mean: g.mean, std: g.std, low: g.low, high: g.high };
  const { low, high, bins } = plan.binSpec;
  return { request: { id, distribution, count: plan.count, seed: plan.seed.toString(), bins: { low, high, bins }, reference: { mean: plan.reference.mean, std: plan.reference.std }, chunk: Math.min(chunk, LIMITS.panelGpuChunk.value), software: options.software === true } };
}

/**
 * Why the host does not ask the page for a series, or undefined when it does:
 * never under `cpu`, nor for a subsample or a hidden panel (its page is
 * discarded), and under `auto` not for tensors below `panelGpuMinElements`.
 */
export function gpuSkipReason(setting: 'auto' | 'cpu' | 'gpu', count: number, options: { readonly subsample: boolean; readonly visible: boolean }): string | undefined {
  if (setting === 'cpu') return 'not asked (initlens.compute.backend is "cpu")';
  if (options.subsample) return 'not asked for a subsample';
  if (!options.visible) return 'not asked: the panel is hidden';
  if (setting === 'auto' && count < LIMITS.panelGpuMinElements.value) {
    return `not asked: ${count.toLocaleString('en-US')} values are quicker in the extension host (under ${LIMITS.panelGpuMinElements.value.toLocaleString('en-US')} with "auto"; "gpu" sends every size)`;
  }
  return undefined;
}

/** Why an answer does not fit its request, or undefined (counts and moments must add up to the elements asked for). */
export function answerProblem(request: GpuSampleRequest, answer: GpuSampleAnswer): string | undefined {
  if (answer.id !== request.id) return `answer ${answer.id} is not for request ${request.id}`;
  if (answer.counts.length !== request.bins.bins + 2) return `${answer.counts.length} count slots for ${request.bins.bins} bins (expected ${request.bins.bins + 2})`;
  const total = answer.counts.reduce((a, b) => a + b, 0);
  if (total !== request.count) return `the counts add up to ${total}, not the ${request.count} elements asked for`;
  if (answer.moments.count !== request.count) return `the moments are of ${answer.moments.count} elements, not ${request.count}`;
  if (answer.chunks !== gpuChunks(request.count, request.chunk).length) return `${answer.chunks} chunks, not the ${gpuChunks(request.count, request.chunk).length} planned`;
  if (!(answer.beyond2 >= answer.beyond3 && answer.beyond3 >= 0 && answer.beyond2 <= request.count)) return 'the tail counts are inconsistent';
  return undefined;
}

/** The answer as the CPU engine's {@link Tally}, so the host summarizes both the same way. */
export function tallyOfAnswer(answer: GpuSampleAnswer): Tally {
  const tally = emptyTally(answer.counts.length - 2);
  tally.counts.set(answer.counts);
  Object.assign(tally.moments, answer.moments);
  tally.beyond2 = answer.beyond2;
  tally.beyond3 = answer.beyond3;
  return tally;
}

// ---- chunks ------------------------------------------------------------------

/** Columns of a chunk's grid of stream positions: the page computes rows + columns factors, the device rows × columns. */
export const GRID_COLUMNS = 1024;

/** One chunk: its elements `[start, start + length)` of the tensor. */
export interface GpuChunk {
  readonly index: number;
  readonly start: number;
  readonly length: number;
}

/** The chunks of `count` elements, at most `chunk` each: fixed before the start, whatever the backend. */
export function gpuChunks(count: number, chunk: number): GpuChunk[] {
  if (!Number.isSafeInteger(count) || count < 1) throw new RangeError(`count must be a positive integer, got ${count}`);
  if (!Number.isSafeInteger(chunk) || chunk < 1 || chunk > LIMITS.panelGpuChunk.value) throw new RangeError(`chunk must be an integer from 1 to ${LIMITS.panelGpuChunk.value}, got ${chunk}`);
  const out: GpuChunk[] = [];
  for (let start = 0, index = 0; start < count; start += chunk, index++) out.push({ index, start, length: Math.min(chunk, count - start) });
  return out;
}

/** Uniforms one element takes: Box–Muller uses two (one normal per pair), the others one. */
export function uniformsPerElement(kind: GpuDistribution['kind']): number {
  return kind === 'normal' ? 2 : 1;
}

// ---- the stream ----------------------------------------------------------------

/** Wichmann & Hill's moduli and multipliers (AS 183). */
export const WH_MODULI = [30269, 30307, 30323] as const;
export const WH_MULTIPLIERS = [171, 172, 170] as const;

/** a·b mod m for integers below 2^15, exact in doubles. */
const mulMod = (a: number, b: number, m: number) => (a * b) % m;

function powMod(a: number, e: number, m: number): number {
  let result = 1;
  let base = a % m;
  for (let k = e; k > 0; k = Math.floor(k / 2)) {
    if (k % 2 === 1) result = mulMod(result, base, m);
    base = mulMod(base, base, m);
  }
  return result;
}

/** The three starting states of chunk `chunk` (each in 1 … m−1), from the seed through the CPU engine's splitmix chunk states. */
export function chunkStates(seed: bigint, chunk: number): [number, number, number] {
  const s = chunkState(seed, chunk, 1);
  return [0, 1, 2].map((k) => 1 + ((s[k] >>> 0) % (WH_MODULI[k] - 1))) as [number, number, number];
}

/**
 * The factor vectors of component `k` for `positions` stream positions from
 * state `state`: rows[r] = state·(a^C)^r mod m and, split for exact float32
 * products, cols[c] = a^c mod m = hi[c]·128 + lo[c].
 */
export function gridFactors(k: 0 | 1 | 2, state: number, positions: number): { rows: Float32Array; hi: Float32Array; lo: Float32Array } {
  const m = WH_MODULI[k];
  const a = WH_MULTIPLIERS[k];
  const rows = new Float32Array(Math.ceil(positions / GRID_COLUMNS));
  const step = powMod(a, GRID_COLUMNS, m);
  for (let r = 0, x = state % m; r < rows.length; r++, x = mulMod(x, step, m)) rows[r] = x;
  const hi = new Float32Array(GRID_COLUMNS);
  const lo = new Float32Array(GRID_COLUMNS);
  for (let c = 0, x = 1; c < GRID_COLUMNS; c++, x = mulMod(x, a, m)) {
    hi[c] = Math.floor(x / 128);
    lo[c] = x % 128;
  }
  return { rows, hi, lo };
}

/** v mod m on the device, for 0 ≤ v < 2^24: the quotient may be off by one where division rounds, and is corrected. */
function modOnTf(tf: Tf, v: Tensor, m: number): Tensor {
  const r = tf.sub(v, tf.mul(tf.floor(tf.div(v, m)), m));
  const up = tf.add(r, tf.mul(tf.cast(tf.less(r, 0), 'float32'), m));
  return tf.sub(up, tf.mul(tf.cast(tf.greaterEqual(up, m), 'float32'), m));
}

/**
 * The integer states of component `k` at stream positions 0 … positions−1
 * (flattened R×C grid, then cut to `positions`), computed on the device:
 * (rows·hi mod m)·128 + rows·lo, mod m. Every intermediate is below 2^24.
 */
export function statesOnTf(tf: Tf, k: 0 | 1 | 2, state: number, positions: number): Tensor {
  const m = WH_MODULI[k];
  const f = gridFactors(k, state, positions);
  const rows = tf.tensor2d(f.rows, [f.rows.length, 1]);
  const hi = tf.tensor2d(f.hi, [1, GRID_COLUMNS]);
  const lo = tf.tensor2d(f.lo, [1, GRID_COLUMNS]);
  const high = modOnTf(tf, tf.mul(rows, hi), m);
  const grid = modOnTf(tf, tf.add(tf.mul(high, 128), tf.mul(rows, lo)), m);
  return tf.slice(tf.reshape(grid, [-1]), [0], [positions]);
}

/** Uniforms in [0, 1) at positions 0 … positions−1 of the chunk stream from `states`: frac(x₁/m₁ + x₂/m₂ + x₃/m₃). */
export function uniformsOnTf(tf: Tf, states: readonly [number, number, number], positions: number): Tensor {
  const sum = tf.addN(([0, 1, 2] as const).map((k) => tf.div(statesOnTf(tf, k, states[k], positions), WH_MODULI[k])));
  return tf.sub(sum, tf.floor(sum));
}

// Wichura's PPND7 (Applied Statistics AS 241, 1988), the single-precision
// normal quantile (about 1e-7 relative): its central numerator has only
// positive terms, so float32 loses no digits to cancellation.
const PPND7_A = [5.910937472e1, 1.5929113202e2, 5.0434271938e1, 3.3871327179];
const PPND7_B = [6.71875636e1, 7.8757757664e1, 1.7895169469e1];
const PPND7_C = [1.7023821103e-1, 1.3067284816, 2.75681539, 1.4234372777];
const PPND7_D = [1.2021132975e-1, 7.370016425e-1];
const PPND7_E = [1.7337203997e-2, 4.284894225e-1, 3.081226386, 6.657905115];
const PPND7_F = [1.2258202635e-2, 2.4197894225e-1];

/** Horner's rule on the device: c₀xⁿ + … + cₙ, plus a trailing ·x + 1 when `one`. */
function polyOnTf(tf: Tf, coefficients: readonly number[], x: Tensor, one = false): Tensor {
  let acc: Tensor = tf.fill(x.shape, coefficients[0]);
  for (const c of coefficients.slice(1)) acc = tf.add(tf.mul(acc, x), c);
  return one ? tf.add(tf.mul(acc, x), 1) : acc;
}

/** The standard normal quantile of p ∈ (0, 1), elementwise on the device (PPND7). */
export function normalQuantileOnTf(tf: Tf, p: Tensor): Tensor {
  const q = tf.sub(p, 0.5);
  const r = tf.sub(0.180625, tf.mul(q, q));
  const central = tf.div(tf.mul(q, polyOnTf(tf, PPND7_A, r)), polyOnTf(tf, PPND7_B, r, true));
  // Tails: s = √(−ln min(p, 1 − p)), one rational function up to s = 5 (p ≈ 1.4e-11), another beyond.
  const s = tf.sqrt(tf.neg(tf.log(tf.minimum(p, tf.sub(1, p)))));
  const near = tf.sub(s, 1.6);
  const far = tf.sub(s, 5);
  const tail = tf.where(tf.lessEqual(s, 5), tf.div(polyOnTf(tf, PPND7_C, near), polyOnTf(tf, PPND7_D, near, true)), tf.div(polyOnTf(tf, PPND7_E, far), polyOnTf(tf, PPND7_F, far, true)));
  return tf.where(tf.lessEqual(tf.abs(q), 0.425), central, tf.mul(tf.sign(q), tail));
}

/** The chunk's values of `d` from its uniforms, on the device. */
function valuesOnTf(tf: Tf, d: GpuDistribution, states: readonly [number, number, number], length: number): Tensor {
  const u = uniformsOnTf(tf, states, length * uniformsPerElement(d.kind));
  if (d.kind === 'uniform') return tf.add(tf.mul(u, d.high - d.low), d.low);
  if (d.kind === 'normal') {
    // Box–Muller on 1 − u₁ ∈ (0, 1]: the radius is finite (at most 5.5 for float32 uniforms).
    const [u1, u2] = tf.split(u, 2);
    const radius = tf.sqrt(tf.mul(tf.log(tf.sub(1, u1)), -2));
    return tf.add(tf.mul(tf.mul(radius, tf.cos(tf.mul(u2, 2 * Math.PI))), d.std), d.mean);
  }
  // Inverse CDF between the bounds' probabilities (computed here in doubles), kept off 0 and 1.
  const pLow = normalCdf((d.low - d.mean) / d.std);
  const pHigh = normalCdf((d.high - d.mean) / d.std);
  const p = tf.clipByValue(tf.add(tf.mul(u, pHigh - pLow), pLow), 2 ** -24, 1 - 2 ** -24);
  return tf.clipByValue(tf.add(tf.mul(normalQuantileOnTf(tf, p), d.std), d.mean), d.low, d.high);
}

/** How counts are summed on the device: WebGL's `bincount` reads its input back to JavaScript, its segment sum does not. */
export type Binning = 'bincount' | 'segmentSum';

/**
 * Bins `x` on the device like histogram.ts's `tallyValues`: slot 0 the
 * underflow, 1 … bins the bins, bins + 1 the overflow, a value exactly at
 * `high` in the last bin; plus the moments' sums shifted by the reference
 * mean, min, max and the tail counts. Returns [stats (6 values), counts].
 */
export function binOnTf(tf: Tf, x: Tensor, spec: BinSpec, reference: TailReference, binning: Binning): [Tensor, Tensor] {
  const d = tf.sub(x, reference.mean);
  const absD = tf.abs(d);
  const scaled = tf.mul(tf.sub(x, spec.low), spec.bins / (spec.high - spec.low));
  const raw = tf.clipByValue(tf.add(tf.floor(scaled), 1), 0, spec.bins + 1);
  const slot = tf.cast(tf.where(tf.equal(x, spec.high), tf.fill(x.shape, spec.bins), raw), 'int32');
  const stats = tf.stack([
    tf.sum(d),
    tf.sum(tf.square(d)),
    tf.min(x),
    tf.max(x),
    tf.sum(tf.cast(tf.greater(absD, 2 * reference.std), 'float32')),
    tf.sum(tf.cast(tf.greater(absD, 3 * reference.std), 'float32')),
  ]);
  const counts = binning === 'bincount' ? tf.bincount(slot as tfc.Tensor1D, [], spec.bins + 2) : tf.unsortedSegmentSum(tf.onesLike(x), slot as tfc.Tensor1D, spec.bins + 2);
  return [stats, counts];
}

/** Folds one chunk's device sums into `total` (Chan's merge, in chunk order, as the CPU engine does). */
export function addChunkSums(total: Tally, reference: TailReference, n: number, s: ArrayLike<number>, counts: ArrayLike<number>): void {
  const mean = s[0] / n;
  mergeMoments(total.moments, { count: n, mean: reference.mean + mean, m2: Math.max(0, s[1] - s[0] * mean), min: s[2], max: s[3] });
  total.beyond2 += s[4];
  total.beyond3 += s[5];
  for (let i = 0; i < total.counts.length; i++) total.counts[i] += Math.round(counts[i]);
}

export interface GpuRun {
  readonly backend: string;
  readonly device: string;
  readonly detail: string;
  readonly binning: Binning;
}

/** Sampling stopped because the host no longer wants the answer. */
export class GpuCancelled extends Error {
  override readonly name = 'GpuCancelled';
}

/**
 * Samples `request` on `tf`'s backend, chunk by chunk (each chunk's tensors
 * freed before the next: memory is bounded by the chunk), checking
 * `cancelled` between chunks. Only the sums and counts come back to
 * JavaScript.
 */
export async function sampleOnTf(tf: Tf, run: GpuRun, request: GpuSampleRequest, cancelled: () => boolean = () => false): Promise<GpuSampleAnswer> {
  const started = performance.now();
  const seed = BigInt(request.seed);
  const chunks = gpuChunks(request.count, request.chunk);
  const total = emptyTally(request.bins.bins);
  for (const chunk of chunks) {
    if (cancelled()) throw new GpuCancelled(`request ${request.id} was cancelled`);
    const [stats, counts] = tf.tidy(() => binOnTf(tf, valuesOnTf(tf, request.distribution, chunkStates(seed, chunk.index), chunk.length), request.bins, request.reference, run.binning));
    const [s, c] = await Promise.all([stats.data(), counts.data()]);
    stats.dispose();
    counts.dispose();
    addChunkSums(total, request.reference, chunk.length, s, c);
  }
  return {
    id: request.id,
    backend: run.backend,
    device: run.device,
    detail: run.detail,
    counts: Array.from(total.counts),
    moments: { ...total.moments },
    beyond2: total.beyond2,
    beyond3: total.beyond3,
    chunks: chunks.length,
    ms: performance.now() - started,
  };
}
