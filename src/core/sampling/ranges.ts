/**
 * The ranges of the numbers a user may set for a preview: one table, read by
 * the panel protocol's validators and by `initlens sample`'s options. The
 * bounds keep every derived quantity (bin edges, densities, ±2σ, a Kaiming gain) finite in
 * float64: 1e6 is far beyond any useful initialization and far below 1e308.
 */
import { MAX_BINS } from './plan';

/** A closed range of numbers; `above` makes the minimum exclusive, `integer` admits only integers. */
export interface Range {
  readonly min: number;
  readonly max: number;
  readonly above?: boolean;
  readonly integer?: boolean;
}

/** Largest magnitude of a scheme parameter (mean, std, bounds, gain, negative slope). */
export const MAX_PARAMETER = 1e6;

/** The numeric parameters of the init schemes. */
export const SCHEME_PARAMETER_RANGES = {
  /** Negative slope of leaky_relu (Kaiming's `a`). */
  a: { min: -MAX_PARAMETER, max: MAX_PARAMETER },
  gain: { min: 0, max: MAX_PARAMETER, above: true },
  mean: { min: -MAX_PARAMETER, max: MAX_PARAMETER },
  std: { min: 0, max: MAX_PARAMETER },
  low: { min: -MAX_PARAMETER, max: MAX_PARAMETER },
  high: { min: -MAX_PARAMETER, max: MAX_PARAMETER },
  /** `nn.init.constant_`'s value. */
  value: { min: -MAX_PARAMETER, max: MAX_PARAMETER },
  /** `nn.init.sparse_`'s fraction of zeros per column. */
  sparsity: { min: 0, max: 1 },
  /** Keras `VarianceScaling(scale=…)`. */
  scale: { min: 0, max: MAX_PARAMETER, above: true },
} as const satisfies Record<string, Range>;

/** Every number of the panel's controls. */
export const PARAMETER_RANGES = {
  ...SCHEME_PARAMETER_RANGES,
  bins: { min: 1, max: MAX_BINS, integer: true },
} as const satisfies Record<string, Range>;
