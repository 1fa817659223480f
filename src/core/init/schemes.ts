/**
 * Initialization schemes and the exact distributions they produce for a given
 * weight shape: the shared vocabulary of analysis (lenses, hovers), sampling
 * (histograms) and exact mode. Formulas mirror `torch/nn/init.py`
 * (`calculate_gain`, `_calculate_fan_in_and_fan_out`, `xavier_*`, `kaiming_*`)
 * and Keras `initializers` (`VarianceScaling` and its presets,
 * `compute_fans`); each function names the one it follows.
 */

/** `torch.nn.init.calculate_gain`'s nonlinearity names. */
export type Nonlinearity =
  | 'linear'
  | 'conv1d'
  | 'conv2d'
  | 'conv3d'
  | 'conv_transpose1d'
  | 'conv_transpose2d'
  | 'conv_transpose3d'
  | 'sigmoid'
  | 'tanh'
  | 'relu'
  | 'leaky_relu'
  | 'selu';

export const NONLINEARITIES: readonly Nonlinearity[] = [
  'linear',
  'conv1d',
  'conv2d',
  'conv3d',
  'conv_transpose1d',
  'conv_transpose2d',
  'conv_transpose3d',
  'sigmoid',
  'tanh',
  'relu',
  'leaky_relu',
  'selu',
];

/**
 * `torch.nn.init.calculate_gain(nonlinearity, param)`. For `leaky_relu`, `param`
 * is the negative slope (PyTorch's default 0.01 when omitted).
 */
export function calculateGain(nonlinearity: Nonlinearity, param?: number): number {
  switch (nonlinearity) {
    case 'tanh':
      return 5 / 3;
    case 'relu':
      return Math.SQRT2;
    case 'leaky_relu': {
      const slope = param ?? 0.01;
      return Math.sqrt(2 / (1 + slope * slope));
    }
    case 'selu':
      return 3 / 4;
    default:
      return 1;
  }
}

export interface Fans {
  readonly fanIn: number;
  readonly fanOut: number;
}

/**
 * `torch.nn.init._calculate_fan_in_and_fan_out`: PyTorch weights are
 * (out, in, *kernel), so fan_in = in·receptive, fan_out = out·receptive.
 * (ConvTranspose weights are (in, out/groups, *kernel): the same formula then
 * yields PyTorch's own, "swapped", fans.)
 */
export function torchFans(shape: readonly number[]): Fans {
  const f = fanFactors(shape, 'torch');
  const times = (dims: readonly number[]) => dims.reduce((a, b) => a * b, 1);
  return { fanIn: times(f.fanIn), fanOut: times(f.fanOut) };
}

/**
 * Keras `compute_fans`: kernels are channels-last, (*kernel, in, out); a
 * vector has fan_in = fan_out = its length; a scalar 1.
 */
export function kerasFans(shape: readonly number[]): Fans {
  const f = fanFactors(shape, 'keras');
  const times = (dims: readonly number[]) => dims.reduce((a, b) => a * b, 1);
  return { fanIn: times(f.fanIn), fanOut: times(f.fanOut) };
}

/**
 * The dimensions whose product is each fan, in the library's layout (the
 * rules of {@link torchFans} and {@link kerasFans}), for callers that
 * multiply exactly. Throws where PyTorch does (fewer than 2 dimensions).
 */
export function fanFactors<D>(shape: readonly D[], framework: Framework): { readonly fanIn: readonly D[]; readonly fanOut: readonly D[] } {
  if (framework === 'torch') {
    if (shape.length < 2) throw new RangeError('Fan in and fan out can not be computed for tensor with fewer than 2 dimensions');
    return { fanIn: [shape[1], ...shape.slice(2)], fanOut: [shape[0], ...shape.slice(2)] };
  }
  if (shape.length < 2) return { fanIn: shape.slice(0, 1), fanOut: shape.slice(0, 1) };
  const receptive = shape.slice(0, -2);
  return { fanIn: [shape[shape.length - 2], ...receptive], fanOut: [shape[shape.length - 1], ...receptive] };
}

export type FanMode = 'fan_in' | 'fan_out';

/**
 * A scheme as a user writes it: one `torch.nn.init` function with its
 * arguments, or one Keras initializer. Defaults follow each library's own.
 */
export type InitScheme =
  | { readonly kind: 'uniform'; readonly a: number; readonly b: number }
  | { readonly kind: 'normal'; readonly mean: number; readonly std: number }
  | { readonly kind: 'trunc_normal'; readonly mean: number; readonly std: number; readonly a: number; readonly b: number }
  | { readonly kind: 'constant'; readonly value: number }
  | { readonly kind: 'ones' }
  | { readonly kind: 'zeros' }
  | { readonly kind: 'eye' }
  | { readonly kind: 'dirac'; readonly groups: number }
  | { readonly kind: 'xavier_uniform'; readonly gain: number }
  | { readonly kind: 'xavier_normal'; readonly gain: number }
  | { readonly kind: 'kaiming_uniform'; readonly a: number; readonly mode: FanMode; readonly nonlinearity: Nonlinearity }
  | { readonly kind: 'kaiming_normal'; readonly a: number; readonly mode: FanMode; readonly nonlinearity: Nonlinearity }
  | { readonly kind: 'orthogonal'; readonly gain: number }
  | { readonly kind: 'sparse'; readonly sparsity: number; readonly std: number }
  | {
      readonly kind: 'variance_scaling';
      readonly scale: number;
      readonly mode: 'fan_in' | 'fan_out' | 'fan_avg';
      readonly distribution: 'truncated_normal' | 'untruncated_normal' | 'uniform';
    };

export type SchemeKind = InitScheme['kind'];

/** Which library's conventions (fan layout) a tensor follows. */
export type Framework = 'torch' | 'keras';

/**
 * The distribution every element of a tensor is drawn from, with its numbers
 * resolved for one shape. `structured` covers schemes whose elements are not
 * independent draws (eye, dirac, orthogonal, sparse): `marginal` then describes
 * one element's distribution where it is known.
 */
export type Distribution =
  | { readonly kind: 'uniform'; readonly low: number; readonly high: number }
  | { readonly kind: 'normal'; readonly mean: number; readonly std: number }
  | {
      readonly kind: 'truncated_normal';
      /** Parameters of the normal before truncation. */
      readonly mean: number;
      readonly std: number;
      /** Absolute bounds. */
      readonly low: number;
      readonly high: number;
    }
  | { readonly kind: 'constant'; readonly value: number }
  | { readonly kind: 'structured'; readonly scheme: 'eye' | 'dirac' | 'orthogonal' | 'sparse'; readonly description: string };

/** A scheme's resolved numbers for one tensor, for display and sampling. */
export interface ResolvedInit {
  readonly scheme: InitScheme;
  readonly shape: readonly number[];
  readonly fans?: Fans;
  /** The gain used, for schemes that have one. */
  readonly gain?: number;
  readonly distribution: Distribution;
  /** Standard deviation of one element (exact for the closed-form schemes). */
  readonly std: number;
  /** Half-width of the support, for bounded distributions. */
  readonly bound?: number;
}

/** Keras's `VarianceScaling` truncated-normal correction: the std of N(0,1) cut at ±2. */
export const KERAS_TRUNCATION_CORRECTION = 0.87962566103423978;

/** Standard deviation of N(mean, std) truncated to [a, b] (absolute bounds). */
export function truncatedNormalStd(mean: number, std: number, a: number, b: number): number {
  const alpha = (a - mean) / std;
  const beta = (b - mean) / std;
  const z = normalCdf(beta) - normalCdf(alpha);
  const pa = normalPdf(alpha);
  const pb = normalPdf(beta);
  const ta = Number.isFinite(alpha) ? alpha * pa : 0;
  const tb = Number.isFinite(beta) ? beta * pb : 0;
  const variance = 1 + (ta - tb) / z - ((pa - pb) / z) ** 2;
  return std * Math.sqrt(variance);
}

export function normalPdf(x: number): number {
  return Number.isFinite(x) ? Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI) : 0;
}

/** Standard normal CDF through erfc (W. J. Cody's rational approximations are overkill here: |error| < 1.2e-7). */
export function normalCdf(x: number): number {
  if (x === Infinity) return 1;
  if (x === -Infinity) return 0;
  return 0.5 * erfc(-x / Math.SQRT2);
}

/** Complementary error function (Numerical Recipes `erfcc`, fractional error < 1.2e-7). */
export function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}

function fanFor(mode: FanMode, fans: Fans): number {
  return mode === 'fan_in' ? fans.fanIn : fans.fanOut;
}

function checkPositive(fan: number, what: string): void {
  if (!(fan > 0)) throw new RangeError(`${what} is ${fan}: cannot initialize a tensor with a zero-sized dimension`);
}

/**
 * Resolves a scheme for a tensor of `shape`. Throws `RangeError` where PyTorch
 * or Keras would refuse (fewer than 2 dimensions for fan-based PyTorch schemes,
 * a zero fan, eye on a non-matrix, negative std, a > b).
 */
export function resolveInit(scheme: InitScheme, shape: readonly number[], framework: Framework = 'torch'): ResolvedInit {
  return resolveWith(scheme, shape, () => (framework === 'keras' ? kerasFans(shape) : torchFans(shape)));
}

/**
 * The numbers of a scheme that reads one fan only (kaiming_* and variance
 * scaling in mode fan_in or fan_out; PyTorch's default kaiming_uniform_(a=√5)
 * among them) on a tensor whose shape is partly symbolic but whose fan for
 * that mode is known: a depthwise convolution's fan_in = 1·3·3 = 9 with
 * `planes` output channels. Undefined for any other scheme or fan. The result
 * has no shape, and its `fans` hold the other fan as NaN (nothing reads it).
 */
export function resolveOneFan(scheme: InitScheme, fanIn: number | undefined, fanOut: number | undefined): ResolvedInit | undefined {
  const mode = scheme.kind === 'kaiming_uniform' || scheme.kind === 'kaiming_normal' || scheme.kind === 'variance_scaling' ? scheme.mode : undefined;
  const fan = mode === 'fan_in' ? fanIn : mode === 'fan_out' ? fanOut : undefined;
  if (fan === undefined || !(fan > 0)) return undefined;
  return resolveWith(scheme, [], () => ({ fanIn: mode === 'fan_in' ? fan : NaN, fanOut: mode === 'fan_out' ? fan : NaN }));
}

function resolveWith(scheme: InitScheme, shape: readonly number[], fansOf: () => Fans): ResolvedInit {
  switch (scheme.kind) {
    case 'uniform': {
      if (!(scheme.a <= scheme.b)) throw new RangeError(`uniform_ needs a <= b, got a=${scheme.a}, b=${scheme.b}`);
      return {
        scheme,
        shape,
        distribution: { kind: 'uniform', low: scheme.a, high: scheme.b },
        std: (scheme.b - scheme.a) / Math.sqrt(12),
        bound: Math.max(Math.abs(scheme.a), Math.abs(scheme.b)),
      };
    }
    case 'normal':
      if (!(scheme.std >= 0)) throw new RangeError(`normal_ needs std >= 0, got ${scheme.std}`);
      return { scheme, shape, distribution: { kind: 'normal', mean: scheme.mean, std: scheme.std }, std: scheme.std };
    case 'trunc_normal': {
      if (!(scheme.std > 0)) throw new RangeError(`trunc_normal_ needs std > 0, got ${scheme.std}`);
      if (!(scheme.a < scheme.b)) throw new RangeError(`trunc_normal_ needs a < b, got a=${scheme.a}, b=${scheme.b}`);
      return {
        scheme,
        shape,
        distribution: { kind: 'truncated_normal', mean: scheme.mean, std: scheme.std, low: scheme.a, high: scheme.b },
        std: truncatedNormalStd(scheme.mean, scheme.std, scheme.a, scheme.b),
        bound: Math.max(Math.abs(scheme.a), Math.abs(scheme.b)),
      };
    }
    case 'constant':
    case 'ones':
    case 'zeros': {
      const value = scheme.kind === 'constant' ? scheme.value : scheme.kind === 'ones' ? 1 : 0;
      return { scheme, shape, distribution: { kind: 'constant', value }, std: 0 };
    }
    case 'eye':
      if (shape.length !== 2) throw new RangeError('Only tensors with 2 dimensions are supported by eye_');
      return { scheme, shape, distribution: { kind: 'structured', scheme: 'eye', description: 'identity matrix: ones on the diagonal, zeros elsewhere' }, std: eyeStd(shape) };
    case 'dirac':
      if (shape.length < 3 || shape.length > 5) throw new RangeError('Only tensors with 3, 4, or 5 dimensions are supported by dirac_');
      if (shape[0] % scheme.groups !== 0) throw new RangeError('dim 0 must be divisible by groups');
      return { scheme, shape, distribution: { kind: 'structured', scheme: 'dirac', description: 'Dirac delta: each output channel copies one input channel (identity convolution)' }, std: diracStd(shape, scheme.groups) };
    case 'xavier_uniform':
    case 'xavier_normal': {
      const fans = fansOf();
      checkPositive(fans.fanIn + fans.fanOut, 'fan_in + fan_out');
      const std = scheme.gain * Math.sqrt(2 / (fans.fanIn + fans.fanOut));
      if (scheme.kind === 'xavier_normal') return { scheme, shape, fans, gain: scheme.gain, distribution: { kind: 'normal', mean: 0, std }, std };
      const bound = Math.sqrt(3) * std;
      return { scheme, shape, fans, gain: scheme.gain, distribution: { kind: 'uniform', low: -bound, high: bound }, std, bound };
    }
    case 'kaiming_uniform':
    case 'kaiming_normal': {
      const fans = fansOf();
      const fan = fanFor(scheme.mode, fans);
      checkPositive(fan, scheme.mode);
      const gain = calculateGain(scheme.nonlinearity, scheme.a);
      const std = gain / Math.sqrt(fan);
      if (scheme.kind === 'kaiming_normal') return { scheme, shape, fans, gain, distribution: { kind: 'normal', mean: 0, std }, std };
      const bound = Math.sqrt(3) * std;
      return { scheme, shape, fans, gain, distribution: { kind: 'uniform', low: -bound, high: bound }, std, bound };
    }
    case 'orthogonal': {
      if (shape.length < 2) throw new RangeError('Only tensors with 2 or more dimensions are supported by orthogonal_');
      const rows = shape[0];
      const cols = shape.slice(1).reduce((a, b) => a * b, 1);
      // Rows (or columns, whichever are fewer) are orthonormal: the mean square of
      // the entries is gain² · min(rows, cols) / (rows · cols) = gain² / max(rows, cols).
      const std = scheme.gain / Math.sqrt(Math.max(rows, cols));
      return {
        scheme,
        shape,
        gain: scheme.gain,
        distribution: { kind: 'structured', scheme: 'orthogonal', description: `(semi-)orthogonal ${rows}×${cols} matrix scaled by gain ${scheme.gain}` },
        std,
      };
    }
    case 'sparse': {
      if (shape.length !== 2) throw new RangeError('Only tensors with 2 dimensions are supported by sparse_');
      if (!(scheme.sparsity >= 0 && scheme.sparsity <= 1)) throw new RangeError(`sparsity must be in [0, 1], got ${scheme.sparsity}`);
      const rows = shape[0];
      const zeros = Math.ceil(scheme.sparsity * rows);
      const std = scheme.std * Math.sqrt((rows - zeros) / rows);
      return {
        scheme,
        shape,
        distribution: { kind: 'structured', scheme: 'sparse', description: `${zeros} of ${rows} entries per column zero, the rest N(0, ${scheme.std}²)` },
        std,
      };
    }
    case 'variance_scaling': {
      const fans = fansOf();
      const fan = scheme.mode === 'fan_in' ? fans.fanIn : scheme.mode === 'fan_out' ? fans.fanOut : (fans.fanIn + fans.fanOut) / 2;
      if (!(scheme.scale > 0)) throw new RangeError(`scale must be positive, got ${scheme.scale}`);
      const scale = scheme.scale / Math.max(1, fan);
      if (scheme.distribution === 'uniform') {
        const bound = Math.sqrt(3 * scale);
        return { scheme, shape, fans, distribution: { kind: 'uniform', low: -bound, high: bound }, std: Math.sqrt(scale), bound };
      }
      if (scheme.distribution === 'untruncated_normal') {
        const std = Math.sqrt(scale);
        return { scheme, shape, fans, distribution: { kind: 'normal', mean: 0, std }, std };
      }
      const std = Math.sqrt(scale) / KERAS_TRUNCATION_CORRECTION;
      return {
        scheme,
        shape,
        fans,
        distribution: { kind: 'truncated_normal', mean: 0, std, low: -2 * std, high: 2 * std },
        std: Math.sqrt(scale),
        bound: 2 * std,
      };
    }
  }
}

function eyeStd(shape: readonly number[]): number {
  const n = shape[0] * shape[1];
  const ones = Math.min(shape[0], shape[1]);
  const mean = ones / n;
  return Math.sqrt(ones / n - mean * mean);
}

function diracStd(shape: readonly number[], groups: number): number {
  const n = shape.reduce((a, b) => a * b, 1);
  const outPerGroup = shape[0] / groups;
  const ones = groups * Math.min(outPerGroup, shape[1]);
  const mean = ones / n;
  return Math.sqrt(ones / n - mean * mean);
}

/** Keras initializer presets, as `VarianceScaling` arguments (keras/src/initializers/random_initializers.py). */
export const KERAS_PRESETS = {
  glorot_uniform: { kind: 'variance_scaling', scale: 1, mode: 'fan_avg', distribution: 'uniform' },
  glorot_normal: { kind: 'variance_scaling', scale: 1, mode: 'fan_avg', distribution: 'truncated_normal' },
  he_uniform: { kind: 'variance_scaling', scale: 2, mode: 'fan_in', distribution: 'uniform' },
  he_normal: { kind: 'variance_scaling', scale: 2, mode: 'fan_in', distribution: 'truncated_normal' },
  lecun_uniform: { kind: 'variance_scaling', scale: 1, mode: 'fan_in', distribution: 'uniform' },
  lecun_normal: { kind: 'variance_scaling', scale: 1, mode: 'fan_in', distribution: 'truncated_normal' },
} as const satisfies Record<string, InitScheme>;

/** The Python call that applies `scheme` to `target` (e.g. `self.fc1.weight`); `nn` is the file's name for `torch.nn`. */
export function torchInitCall(scheme: InitScheme, target: string, nn = 'nn'): string {
  const num = (x: number) => formatPython(x);
  switch (scheme.kind) {
    case 'uniform':
      return `${nn}.init.uniform_(${target}, a=${num(scheme.a)}, b=${num(scheme.b)})`;
    case 'normal':
      return `${nn}.init.normal_(${target}, mean=${num(scheme.mean)}, std=${num(scheme.std)})`;
    case 'trunc_normal':
      return `${nn}.init.trunc_normal_(${target}, mean=${num(scheme.mean)}, std=${num(scheme.std)}, a=${num(scheme.a)}, b=${num(scheme.b)})`;
    case 'constant':
      return `${nn}.init.constant_(${target}, ${num(scheme.value)})`;
    case 'ones':
    case 'zeros':
    case 'eye':
      return `${nn}.init.${scheme.kind}_(${target})`;
    case 'dirac':
      return scheme.groups === 1 ? `${nn}.init.dirac_(${target})` : `${nn}.init.dirac_(${target}, groups=${scheme.groups})`;
    case 'xavier_uniform':
    case 'xavier_normal':
    case 'orthogonal':
      return scheme.gain === 1 ? `${nn}.init.${scheme.kind}_(${target})` : `${nn}.init.${scheme.kind}_(${target}, gain=${gainExpression(scheme.gain, nn)})`;
    case 'kaiming_uniform':
    case 'kaiming_normal': {
      const args = [target];
      if (scheme.a !== 0) args.push(`a=${num(scheme.a)}`);
      if (scheme.mode !== 'fan_in') args.push(`mode="${scheme.mode}"`);
      args.push(`nonlinearity="${scheme.nonlinearity}"`);
      return `${nn}.init.${scheme.kind}_(${args.join(', ')})`;
    }
    case 'sparse':
      return `${nn}.init.sparse_(${target}, sparsity=${num(scheme.sparsity)}, std=${num(scheme.std)})`;
    case 'variance_scaling':
      throw new RangeError('variance_scaling is a Keras initializer; use kerasInitializer()');
  }
}

/** Gains that are `calculate_gain` values are written as such. */
function gainExpression(gain: number, nn: string): string {
  const named: [number, string][] = [
    [5 / 3, `${nn}.init.calculate_gain("tanh")`],
    [Math.SQRT2, `${nn}.init.calculate_gain("relu")`],
    [3 / 4, `${nn}.init.calculate_gain("selu")`],
  ];
  return named.find(([g]) => g === gain)?.[1] ?? formatPython(gain);
}

/** Shortest Python literal that round-trips (`0.1`, `1.0`, `1e-05`). */
export function formatPython(x: number): string {
  if (Number.isInteger(x) && Math.abs(x) < 1e16) return `${x}.0`;
  const s = String(x);
  // JS writes 1e-7 where Python writes 1e-07.
  return s.replace(/e([+-])(\d)$/, 'e$10$2');
}
