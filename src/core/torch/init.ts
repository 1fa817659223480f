/**
 * `torch.nn.init` on the emulated CPU generator (`torch/nn/init.py`, spec
 * §7): the Python double arithmetic before each kernel call, operation for
 * operation, then the kernels of {@link TorchGenerator}.
 */
import { calculateGain, torchFans, type InitScheme } from '../init/schemes';
import { checkLimit } from '../limits';
import { erf64, erfinv32 } from './erf';
import { TorchGenerator } from './generator';

/** A float32 tensor as PyTorch would fill it, and whether the emulation is bit-exact. */
export interface ExactTensor {
  readonly shape: readonly number[];
  readonly values: Float32Array;
  /** True when every bit is reproduced by rules the spec verified against PyTorch. */
  readonly exact: boolean;
  /** Why the values are "distribution only" (set when `exact` is false). */
  readonly reason?: string;
}

/** Raised for schemes or shapes PyTorch itself would reject, or that have no PyTorch meaning. */
export class ExactInitError extends Error {}

const numel = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** Why trunc_normal_ is not claimed exact (spec §7.4 step 3–5). */
export const TRUNC_NORMAL_REASON =
  'trunc_normal_ goes through erfinv and glibc erff/logf/expf: matched every PyTorch 1.13.1 fixture value, but not proven for all inputs, and newer glibc releases changed erff';
/** Why orthogonal_ is not claimed exact (spec §7.5). */
export const ORTHOGONAL_REASON = 'orthogonal_ goes through LAPACK QR: the normal draws are exact, the Q factor agrees to about 1e-6, not bit for bit';

function fans(shape: readonly number[]): { fanIn: number; fanOut: number } {
  try {
    return torchFans(shape);
  } catch (error) {
    throw new ExactInitError(error instanceof Error ? error.message : String(error));
  }
}

/**
 * Applies one `torch.nn.init` scheme (or tensor method such as `normal_`) to
 * a fresh float32 tensor of `shape`, drawing from `gen` exactly as PyTorch
 * does; the generator's stream continues from where it is.
 */
export function initTensor(gen: TorchGenerator, scheme: InitScheme, shape: readonly number[]): ExactTensor {
  const n = numel(shape);
  const exact = (values: Float32Array): ExactTensor => ({ shape, values, exact: true });
  switch (scheme.kind) {
    case 'uniform':
      return exact(gen.uniform32(n, scheme.a, scheme.b));
    case 'normal':
      return exact(gen.normal32(n, scheme.mean, scheme.std));
    case 'constant':
      return exact(filled(gen, n, scheme.value));
    case 'ones':
      return exact(filled(gen, n, 1));
    case 'zeros':
      return exact(filled(gen, n, 0));
    case 'eye':
      return exact(skipping(gen, n) ? new Float32Array(0) : eye(shape));
    case 'dirac':
      return exact(skipping(gen, n) ? new Float32Array(0) : dirac(shape, scheme.groups));
    case 'xavier_uniform': {
      const { fanIn, fanOut } = fans(shape);
      const std = scheme.gain * Math.sqrt(2.0 / (fanIn + fanOut));
      const a = Math.sqrt(3.0) * std;
      return exact(gen.uniform32(n, -a, a));
    }
    case 'xavier_normal': {
      const { fanIn, fanOut } = fans(shape);
      const std = scheme.gain * Math.sqrt(2.0 / (fanIn + fanOut));
      return exact(gen.normal32(n, 0, std));
    }
    case 'kaiming_uniform':
    case 'kaiming_normal': {
      // init.py: a zero-size tensor only warns, and draws nothing.
      if (shape.includes(0)) return exact(new Float32Array(0));
      const f = fans(shape);
      const fan = scheme.mode === 'fan_in' ? f.fanIn : f.fanOut;
      const gain = calculateGain(scheme.nonlinearity, scheme.a);
      // `gain / math.sqrt(fan)`, then `math.sqrt(3.0) * std`: this order, not a simplified formula (spec §7.3).
      const std = gain / Math.sqrt(fan);
      if (scheme.kind === 'kaiming_normal') return exact(gen.normal32(n, 0, std));
      const bound = Math.sqrt(3.0) * std;
      return exact(gen.uniform32(n, -bound, bound));
    }
    case 'trunc_normal':
      return { shape, values: truncNormal(gen, n, scheme.mean, scheme.std, scheme.a, scheme.b), exact: false, reason: TRUNC_NORMAL_REASON };
    case 'orthogonal':
      return { shape, values: orthogonal(gen, shape, scheme.gain), exact: false, reason: ORTHOGONAL_REASON };
    case 'sparse':
      return exact(sparse(gen, shape, scheme.sparsity, scheme.std));
    case 'variance_scaling':
      throw new ExactInitError('Keras VarianceScaling has no PyTorch CPU generator equivalent');
  }
}

/** True when `gen` skips a tensor of `n` values (as its bulk kernels do): nothing is allocated for it. */
const skipping = (gen: TorchGenerator, n: number) => gen.skipValues && n >= 16;

/**
 * A tensor of `n` copies of `value` (`constant_`, `ones_`, `zeros_`, norms'
 * affine parameters): no draws, and no memory when the values are skipped.
 */
export function filled(gen: TorchGenerator, n: number, value: number): Float32Array {
  return skipping(gen, n) ? new Float32Array(0) : new Float32Array(n).fill(value);
}

/** `trunc_normal_` (init.py `_no_grad_trunc_normal_`; spec §7.4). */
export function truncNormal(gen: TorchGenerator, n: number, mean: number, std: number, a: number, b: number): Float32Array {
  const normCdf = (x: number) => (1 + erf64(x / Math.sqrt(2))) / 2;
  const l = normCdf((a - mean) / std);
  const u = normCdf((b - mean) / std);
  const t = gen.uniform32(n, 2 * l - 1, 2 * u - 1);
  if (t.length !== n) return t; // values skipped (TorchGenerator.skipValues)
  const mul = Math.fround(std * Math.sqrt(2));
  const add = Math.fround(mean);
  const lo = Math.fround(a);
  const hi = Math.fround(b);
  for (let i = 0; i < n; i++) {
    const x = Math.fround(Math.fround(erfinv32(t[i]) * mul) + add);
    t[i] = Math.min(Math.max(x, lo), hi);
  }
  return t;
}

/**
 * `orthogonal_` (spec §7.5): the normal draws are PyTorch's; the QR is a
 * double-precision modified Gram–Schmidt, whose R has a positive diagonal, so
 * it yields the same Q as LAPACK plus the sign fix, up to rounding.
 */
export function orthogonal(gen: TorchGenerator, shape: readonly number[], gain: number): Float32Array {
  if (shape.length < 2) throw new ExactInitError('Only tensors with 2 or more dimensions are supported');
  const rows = shape[0];
  const cols = numel(shape) / rows;
  // The QR, not the draws, is the cost: skipped values need no QR.
  if (!(gen.skipValues && rows * cols >= 16)) checkLimit('orthogonalWork', rows * cols * Math.min(rows, cols), `orthogonal_ on ${rows}×${cols}`);
  const flat = gen.normal32(rows * cols, 0, 1);
  if (flat.length !== rows * cols) return flat; // values skipped (TorchGenerator.skipValues)
  const transpose = rows < cols;
  // Work on the tall matrix M (m × k, m ≥ k), column-major in doubles.
  const m = transpose ? cols : rows;
  const k = transpose ? rows : cols;
  const q = new Float64Array(m * k);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const v = flat[r * cols + c];
      if (transpose) q[r * m + c] = v;
      else q[c * m + r] = v;
    }
  }
  for (let j = 0; j < k; j++) {
    for (let i = 0; i < j; i++) {
      let dot = 0;
      for (let t = 0; t < m; t++) dot += q[i * m + t] * q[j * m + t];
      for (let t = 0; t < m; t++) q[j * m + t] -= dot * q[i * m + t];
    }
    let norm = 0;
    for (let t = 0; t < m; t++) norm += q[j * m + t] ** 2;
    norm = Math.sqrt(norm);
    for (let t = 0; t < m; t++) q[j * m + t] = norm === 0 ? 0 : q[j * m + t] / norm;
  }
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const v = transpose ? q[r * m + c] : q[c * m + r];
      out[r * cols + c] = Math.fround(v) * Math.fround(gain);
    }
  }
  return out;
}

/** `sparse_` (spec §7.6): the whole matrix `normal_(0, std)`, then per column a `randperm(rows)` picks the zeros. */
export function sparse(gen: TorchGenerator, shape: readonly number[], sparsity: number, std: number): Float32Array {
  if (shape.length !== 2) throw new ExactInitError('Only tensors with 2 dimensions are supported');
  const [rows, cols] = shape;
  const zeros = Math.ceil(sparsity * rows);
  const t = gen.normal32(rows * cols, 0, std);
  for (let c = 0; c < cols; c++) {
    const p = gen.randperm(rows);
    for (let i = 0; i < zeros; i++) t[p[i] * cols + c] = 0;
  }
  return t;
}

function eye(shape: readonly number[]): Float32Array {
  if (shape.length !== 2) throw new ExactInitError('Only tensors with 2 dimensions are supported');
  const [r, c] = shape;
  const out = new Float32Array(r * c);
  for (let i = 0; i < Math.min(r, c); i++) out[i * c + i] = 1;
  return out;
}

/** `dirac_` (init.py): ones at the kernel centre of each group's "identity" channels. */
function dirac(shape: readonly number[], groups: number): Float32Array {
  if (shape.length < 3 || shape.length > 5) throw new ExactInitError('Only tensors with 3, 4, or 5 dimensions are supported');
  if (shape[0] % groups !== 0) throw new ExactInitError('dim 0 must be divisible by groups');
  const out = new Float32Array(numel(shape));
  const perGroup = shape[0] / groups;
  const minDim = Math.min(perGroup, shape[1]);
  const kernel = shape.slice(2);
  const strides = shape.map((_, i) => numel(shape.slice(i + 1)));
  const centre = kernel.reduce((acc, k, i) => acc + Math.floor(k / 2) * strides[i + 2], 0);
  for (let g = 0; g < groups; g++) for (let d = 0; d < minDim; d++) out[(g * perGroup + d) * strides[0] + d * strides[1] + centre] = 1;
  return out;
}
