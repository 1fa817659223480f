/**
 * Streaming statistics: a fixed-range histogram plus moments, min, max and
 * tail shares, accumulated as samples are drawn and merged exactly across
 * chunks and workers. Memory is O(bins) whatever the tensor size.
 */

/** A fixed binning, decided from the theoretical distribution before any sample is drawn. */
export interface BinSpec {
  readonly low: number;
  readonly high: number;
  readonly bins: number;
}

/** Bin edges, `bins + 1` of them. */
export function binEdges(spec: BinSpec): number[] {
  const width = (spec.high - spec.low) / spec.bins;
  return Array.from({ length: spec.bins + 1 }, (_, i) => (i === spec.bins ? spec.high : spec.low + i * width));
}

/**
 * Moments of one chunk, or of several merged. `m2` is the sum of squared
 * deviations from `mean` (Welford's M2), so merges follow Chan, Golub &
 * LeVeque (1979) and stay accurate for 1e9 samples.
 */
export interface Moments {
  count: number;
  mean: number;
  m2: number;
  min: number;
  max: number;
}

export function emptyMoments(): Moments {
  return { count: 0, mean: 0, m2: 0, min: Infinity, max: -Infinity };
}

/** Chan et al.'s pairwise update: `into ← into ∪ other`. Merge order fixes the last bits, so callers merge in chunk order. */
export function mergeMoments(into: Moments, other: Moments): void {
  if (other.count === 0) return;
  if (into.count === 0) {
    Object.assign(into, other);
    return;
  }
  const count = into.count + other.count;
  const delta = other.mean - into.mean;
  into.mean += (delta * other.count) / count;
  into.m2 += other.m2 + (delta * delta * into.count * other.count) / count;
  into.count = count;
  if (other.min < into.min) into.min = other.min;
  if (other.max > into.max) into.max = other.max;
}

/**
 * What one chunk (or a merge of chunks) contributes: counts per bin plus the
 * values below and above the range, the moments, and how many values lie
 * beyond 2σ and 3σ of the theoretical mean (σ the scheme's theoretical std).
 */
export interface Tally {
  /** `bins + 2` entries: [underflow, bin 0 … bin n-1, overflow]. Integers, so sums are exact in any order. */
  readonly counts: Float64Array;
  readonly moments: Moments;
  beyond2: number;
  beyond3: number;
}

export function emptyTally(bins: number): Tally {
  return { counts: new Float64Array(bins + 2), moments: emptyMoments(), beyond2: 0, beyond3: 0 };
}

/** Adds `other` into `into`: counts and tail counts exactly, moments by {@link mergeMoments}. */
export function mergeTally(into: Tally, other: Tally): void {
  const a = into.counts;
  const b = other.counts;
  for (let i = 0; i < a.length; i++) a[i] += b[i];
  mergeMoments(into.moments, other.moments);
  into.beyond2 += other.beyond2;
  into.beyond3 += other.beyond3;
}

/** The reference point and scale of the tail shares: the theoretical mean and std. */
export interface TailReference {
  readonly mean: number;
  readonly std: number;
}

/**
 * Bins `values[0..n)` into `tally`. Moments use sums shifted by the
 * theoretical mean (the shift keeps Σ(x−c)² free of cancellation) and are
 * folded into the tally with one Chan merge per call.
 */
export function tallyValues(values: Float64Array | Float32Array, n: number, spec: BinSpec, reference: TailReference, tally: Tally): void {
  if (n === 0) return;
  const counts = tally.counts;
  const low = spec.low;
  const bins = spec.bins;
  const scale = bins / (spec.high - spec.low);
  const c = reference.mean;
  const t2 = 2 * reference.std;
  const t3 = 3 * reference.std;
  let s1 = 0;
  let s2 = 0;
  let min = Infinity;
  let max = -Infinity;
  let beyond2 = 0;
  let beyond3 = 0;
  for (let i = 0; i < n; i++) {
    const x = values[i];
    const d = x - c;
    s1 += d;
    s2 += d * d;
    min = Math.min(min, x);
    max = Math.max(max, x);
    const ad = Math.abs(d);
    if (ad > t2) {
      beyond2++;
      if (ad > t3) beyond3++;
    }
    const f = (x - low) * scale;
    // Slot 0 is the underflow and slot bins+1 the overflow; a value exactly at
    // `high` belongs to the last bin (closed upper edge, like numpy.histogram).
    const bin = f < 0 ? 0 : f < bins ? (f | 0) + 1 : f === bins || x === spec.high ? bins : bins + 1;
    counts[bin]++;
  }
  const mean = s1 / n;
  mergeMoments(tally.moments, { count: n, mean: c + mean, m2: Math.max(0, s2 - s1 * mean), min, max });
  tally.beyond2 += beyond2;
  tally.beyond3 += beyond3;
}

/** Adds `count` copies of one value (the zeros of sparse_, constants, eye and dirac). */
export function tallyRepeated(value: number, count: number, spec: BinSpec, reference: TailReference, tally: Tally): void {
  if (count === 0) return;
  const f = (value - spec.low) * (spec.bins / (spec.high - spec.low));
  const bin = f < 0 ? 0 : f < spec.bins ? (f | 0) + 1 : f === spec.bins ? spec.bins : spec.bins + 1;
  tally.counts[bin] += count;
  mergeMoments(tally.moments, { count, mean: value, m2: 0, min: value, max: value });
  const d = Math.abs(value - reference.mean);
  if (d > 2 * reference.std) tally.beyond2 += count;
  if (d > 3 * reference.std) tally.beyond3 += count;
}
