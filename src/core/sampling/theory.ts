/**
 * The theoretical side of a histogram: CDFs, densities and expected bin
 * counts of the distributions `resolveInit` yields, for the overlay curve and
 * for goodness-of-fit tests.
 */
import { normalCdf, normalPdf } from '../init/schemes';

/**
 * One element's distribution, as the overlay draws it. `mixture` is sparse_'s
 * point mass at zero plus a normal; `point_masses` covers eye_ and dirac_;
 * `approximate_normal` is orthogonal_'s marginal, which tends to
 * N(0, gain²/max(rows, cols)) as the matrix grows but is not exactly normal.
 */
export type Theory =
  | { readonly kind: 'uniform'; readonly low: number; readonly high: number; readonly mean: number; readonly std: number }
  | { readonly kind: 'normal'; readonly mean: number; readonly std: number }
  | { readonly kind: 'truncated_normal'; readonly mean: number; readonly std: number; readonly low: number; readonly high: number }
  | { readonly kind: 'constant'; readonly value: number }
  | { readonly kind: 'point_masses'; readonly points: readonly { readonly value: number; readonly probability: number }[] }
  | { readonly kind: 'mixture'; readonly zeroProbability: number; readonly normal: { readonly mean: number; readonly std: number } }
  | { readonly kind: 'approximate_normal'; readonly mean: number; readonly std: number };

/** P(X ≤ x) under `theory` (Φ itself is accurate to about 1e-7, from `schemes.ts`). */
export function theoryCdf(theory: Theory, x: number): number {
  switch (theory.kind) {
    case 'uniform':
      return x <= theory.low ? 0 : x >= theory.high ? 1 : (x - theory.low) / (theory.high - theory.low);
    case 'normal':
    case 'approximate_normal':
      return theory.std === 0 ? (x >= theory.mean ? 1 : 0) : normalCdf((x - theory.mean) / theory.std);
    case 'truncated_normal': {
      if (x <= theory.low) return 0;
      if (x >= theory.high) return 1;
      const a = normalCdf((theory.low - theory.mean) / theory.std);
      const b = normalCdf((theory.high - theory.mean) / theory.std);
      return (normalCdf((x - theory.mean) / theory.std) - a) / (b - a);
    }
    case 'constant':
      return x >= theory.value ? 1 : 0;
    case 'point_masses':
      return theory.points.reduce((sum, p) => sum + (x >= p.value ? p.probability : 0), 0);
    case 'mixture': {
      const { mean, std } = theory.normal;
      const normal = std === 0 ? (x >= mean ? 1 : 0) : normalCdf((x - mean) / std);
      return theory.zeroProbability * (x >= 0 ? 1 : 0) + (1 - theory.zeroProbability) * normal;
    }
  }
}

/** Density at `x` of the continuous part (point masses contribute nothing here; see {@link theoryCdf}). */
export function theoryDensity(theory: Theory, x: number): number {
  switch (theory.kind) {
    case 'uniform':
      return x >= theory.low && x <= theory.high && theory.high > theory.low ? 1 / (theory.high - theory.low) : 0;
    case 'normal':
    case 'approximate_normal':
      return theory.std === 0 ? 0 : normalPdf((x - theory.mean) / theory.std) / theory.std;
    case 'truncated_normal': {
      if (x < theory.low || x > theory.high) return 0;
      const z = normalCdf((theory.high - theory.mean) / theory.std) - normalCdf((theory.low - theory.mean) / theory.std);
      return normalPdf((x - theory.mean) / theory.std) / (theory.std * z);
    }
    case 'constant':
    case 'point_masses':
      return 0;
    case 'mixture': {
      const { mean, std } = theory.normal;
      return std === 0 ? 0 : ((1 - theory.zeroProbability) * normalPdf((x - mean) / std)) / std;
    }
  }
}

/** Expected count per bin for `count` samples: count · (F(right edge) − F(left edge)). */
export function expectedCounts(theory: Theory, edges: readonly number[], count: number): number[] {
  const out: number[] = [];
  for (let i = 0; i + 1 < edges.length; i++) {
    // The last bin is closed on the right, like tallyValues.
    const right = i + 2 === edges.length ? theoryCdf(theory, edges[i + 1]) : theoryCdf(theory, edges[i + 1] - Number.EPSILON * Math.max(1, Math.abs(edges[i + 1])));
    const left = theoryCdf(theory, edges[i] - Number.EPSILON * Math.max(1, Math.abs(edges[i])));
    out.push(count * Math.max(0, right - left));
  }
  return out;
}
