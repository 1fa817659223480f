/**
 * From a sampling request (scheme, shape, seed, bins) to a plan: the resolved
 * distribution (`resolveInit`), how the element stream is cut into chunks,
 * the fixed bin range and the theory. Plans are plain data rebuilt from the
 * request on every worker, so main thread and workers agree by construction.
 */
import { normalCdf, normalPdf, resolveInit, type Framework, type InitScheme, type ResolvedInit } from '../init/schemes';
import { exceeds, LIMITS, limitMessage } from '../limits';
import { MAX_U64_SEED, U64_SEED_RANGE } from '../seeds';
import type { BinSpec, TailReference } from './histogram';
import type { Theory } from './theory';

/** What to sample: one scheme applied to one tensor shape with one seed. */
export interface SampleRequest {
  readonly scheme: InitScheme;
  readonly shape: readonly number[];
  /** Fan conventions: PyTorch (out, in, *kernel) or Keras (*kernel, in, out). Default `torch`. */
  readonly framework?: Framework;
  /** 0 … 2^64−1, as PyTorch's `manual_seed` accepts; a decimal string keeps all 64 bits across JSON. */
  readonly seed: bigint | number | string;
  /** Number of histogram bins, 1 … 10000. Default 100. */
  readonly bins?: number;
}

/** Elements per chunk: each chunk has its own seeded stream, so results do not depend on the worker count. */
export const CHUNK_SIZE = 1 << 20;

/** Elements of the first, coarse histogram (the head of chunk 0, so it is a prefix of the real tensor). */
export const SUBSAMPLE_SIZE = 1 << 16;

/** Histogram bins at most ({@link LIMITS}). */
export const MAX_BINS = LIMITS.bins.value;

/** How elements are generated; mirrors `Distribution` plus the structured schemes. */
export type PlanKind =
  | { readonly kind: 'uniform'; readonly low: number; readonly high: number }
  | { readonly kind: 'normal'; readonly mean: number; readonly std: number }
  | { readonly kind: 'truncated_normal'; readonly mean: number; readonly std: number; readonly low: number; readonly high: number }
  | { readonly kind: 'constant'; readonly value: number }
  | { readonly kind: 'eye'; readonly rows: number; readonly cols: number }
  | { readonly kind: 'dirac'; readonly shape: readonly number[]; readonly groups: number }
  | { readonly kind: 'orthogonal'; readonly rows: number; readonly cols: number; readonly gain: number }
  | { readonly kind: 'sparse'; readonly rows: number; readonly cols: number; readonly zeros: number; readonly std: number };

export interface SamplingPlan {
  readonly request: SampleRequest;
  readonly seed: bigint;
  readonly resolved: ResolvedInit;
  readonly generator: PlanKind;
  /** Number of elements of the tensor. */
  readonly count: number;
  readonly chunks: number;
  /** Elements per chunk (whole columns for sparse_; the whole matrix for orthogonal_). */
  readonly chunkSize: number;
  readonly binSpec: BinSpec;
  readonly reference: TailReference;
  readonly theory: Theory;
}

/** A request the engine cannot honour; the message is meant for the user as is. */
export class SamplingError extends Error {
  override readonly name = 'SamplingError';
}

/** Parses and range-checks a seed. */
export function normalizeSeed(seed: bigint | number | string): bigint {
  let value: bigint;
  if (typeof seed === 'bigint') value = seed;
  else if (typeof seed === 'number') {
    if (!Number.isSafeInteger(seed)) throw new SamplingError(`seed must be an integer in ${U64_SEED_RANGE}, got ${seed}`);
    value = BigInt(seed);
  } else {
    if (!/^\d+$/.test(seed.trim())) throw new SamplingError(`seed must be an integer in ${U64_SEED_RANGE}, got '${seed}'`);
    value = BigInt(seed.trim());
  }
  if (value < 0n || value > MAX_U64_SEED) throw new SamplingError(`seed must be an integer in ${U64_SEED_RANGE}, got ${value}`);
  return value;
}

function checkShape(shape: readonly number[]): number {
  if (shape.length === 0) throw new SamplingError('shape needs at least one dimension');
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || d <= 0) throw new SamplingError(`shape dimensions must be positive integers, got ${shape.join(',')}`);
  }
  const count = shape.reduce((a, b) => a * b, 1);
  if (exceeds('sampleElements', count)) throw new SamplingError(limitMessage('sampleElements', count, `shape ${shape.join('×')}`));
  return count;
}

/** Builds the plan, or throws {@link SamplingError} with a message for the user. */
export function planSampling(request: SampleRequest): SamplingPlan {
  const seed = normalizeSeed(request.seed);
  const count = checkShape(request.shape);
  const bins = request.bins ?? 100;
  if (!Number.isInteger(bins) || bins < 1 || bins > MAX_BINS) throw new SamplingError(`bins must be an integer in 1..${MAX_BINS}, got ${bins}`);
  let resolved: ResolvedInit;
  try {
    resolved = resolveInit(request.scheme, request.shape, request.framework ?? 'torch');
  } catch (error) {
    throw new SamplingError(error instanceof Error ? error.message : String(error));
  }
  for (const [name, value] of [
    ['std', resolved.std],
    ['gain', resolved.gain ?? 0],
  ] as const) {
    if (!Number.isFinite(value)) throw new SamplingError(`${request.scheme.kind}: ${name} is not finite for shape ${request.shape.join('×')}`);
  }
  const generator = planKind(resolved);
  const { chunks, chunkSize } = chunking(generator, count);
  const { binSpec, reference, theory } = binsAndTheory(generator, resolved, bins);
  return { request, seed, resolved, generator, count, chunks, chunkSize, binSpec, reference, theory };
}

function planKind(resolved: ResolvedInit): PlanKind {
  const d = resolved.distribution;
  const shape = resolved.shape;
  switch (d.kind) {
    case 'uniform':
      return d.low === d.high ? { kind: 'constant', value: d.low } : d;
    case 'normal':
      return d.std === 0 ? { kind: 'constant', value: d.mean } : d;
    case 'truncated_normal':
    case 'constant':
      return d;
    case 'structured': {
      const scheme = resolved.scheme;
      const rows = shape[0];
      const cols = shape.slice(1).reduce((a, b) => a * b, 1);
      if (scheme.kind === 'eye') return { kind: 'eye', rows, cols };
      if (scheme.kind === 'dirac') return { kind: 'dirac', shape, groups: scheme.groups };
      if (scheme.kind === 'orthogonal') {
        const work = rows * cols * Math.min(rows, cols);
        if (exceeds('orthogonalWork', work)) {
          throw new SamplingError(
            `${limitMessage('orthogonalWork', work, `orthogonal_ on ${rows}×${cols} is a dense QR`)} (e.g. 512×1024 or 4096×256). ` +
              `Its entries have std gain/√max(rows, cols) = ${resolved.std.toPrecision(6)}`,
          );
        }
        return { kind: 'orthogonal', rows, cols, gain: scheme.gain };
      }
      if (scheme.kind === 'sparse') return { kind: 'sparse', rows, cols, zeros: Math.ceil(scheme.sparsity * rows), std: scheme.std };
      throw new SamplingError(`no sampler for structured scheme ${d.scheme}`);
    }
  }
}

function chunking(generator: PlanKind, count: number): { chunks: number; chunkSize: number } {
  if (generator.kind === 'orthogonal') return { chunks: 1, chunkSize: count };
  if (generator.kind === 'sparse') {
    // sparse_ zeroes a fixed number of entries per column, so a chunk is a run of whole columns.
    const columns = Math.max(1, Math.floor(CHUNK_SIZE / generator.rows));
    return { chunks: Math.ceil(generator.cols / columns), chunkSize: columns * generator.rows };
  }
  return { chunks: Math.ceil(count / CHUNK_SIZE), chunkSize: CHUNK_SIZE };
}

/** Structured schemes hold zeros and ones; a range of [-0.5, 1.5] puts both inside bins. */
const INDICATOR_SPEC = { low: -0.5, high: 1.5 };

function binsAndTheory(generator: PlanKind, resolved: ResolvedInit, bins: number): { binSpec: BinSpec; reference: TailReference; theory: Theory } {
  const std = resolved.std;
  switch (generator.kind) {
    case 'uniform': {
      const mean = (generator.low + generator.high) / 2;
      return { binSpec: { low: generator.low, high: generator.high, bins }, reference: { mean, std }, theory: { ...generator, mean, std } };
    }
    case 'normal':
      // ±4σ holds all but 6e-5 of the mass; the rest is counted as under/overflow.
      return { binSpec: { low: generator.mean - 4 * generator.std, high: generator.mean + 4 * generator.std, bins }, reference: { mean: generator.mean, std }, theory: generator };
    case 'truncated_normal': {
      // trunc_normal_'s default bounds (±2 absolute) can be 100σ wide: bin the mass, not the support.
      const low = Math.max(generator.low, generator.mean - 4 * generator.std);
      const high = Math.min(generator.high, generator.mean + 4 * generator.std);
      const mean = truncatedMean(generator);
      return { binSpec: { low, high, bins }, reference: { mean, std }, theory: generator };
    }
    case 'constant': {
      const half = Math.max(0.5, Math.abs(generator.value) * 0.5);
      return { binSpec: { low: generator.value - half, high: generator.value + half, bins }, reference: { mean: generator.value, std: 0 }, theory: generator };
    }
    case 'eye':
    case 'dirac': {
      const n = resolved.shape.reduce((a, b) => a * b, 1);
      const ones = onesOf(generator);
      return {
        binSpec: { ...INDICATOR_SPEC, bins },
        reference: { mean: ones / n, std },
        theory: {
          kind: 'point_masses',
          points: [
            { value: 0, probability: (n - ones) / n },
            { value: 1, probability: ones / n },
          ],
        },
      };
    }
    case 'orthogonal':
      return { binSpec: { low: -4 * std, high: 4 * std, bins }, reference: { mean: 0, std }, theory: { kind: 'approximate_normal', mean: 0, std } };
    case 'sparse': {
      const zeroProbability = generator.zeros / generator.rows;
      const s = generator.std > 0 ? generator.std : 1;
      return {
        binSpec: { low: -4 * s, high: 4 * s, bins },
        reference: { mean: 0, std },
        theory: { kind: 'mixture', zeroProbability, normal: { mean: 0, std: generator.std } },
      };
    }
  }
}

/** Number of ones eye_/dirac_ write (torch/nn/init.py: `eye_` fills min(rows, cols); `dirac_` one per output channel up to in_channels, per group). */
export function onesOf(generator: Extract<PlanKind, { kind: 'eye' | 'dirac' }>): number {
  if (generator.kind === 'eye') return Math.min(generator.rows, generator.cols);
  const outPerGroup = generator.shape[0] / generator.groups;
  return generator.groups * Math.min(outPerGroup, generator.shape[1]);
}

function truncatedMean(g: { mean: number; std: number; low: number; high: number }): number {
  const alpha = (g.low - g.mean) / g.std;
  const beta = (g.high - g.mean) / g.std;
  const z = normalCdf(beta) - normalCdf(alpha);
  return g.mean + (g.std * (normalPdf(alpha) - normalPdf(beta))) / z;
}
