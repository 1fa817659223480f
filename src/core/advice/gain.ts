/**
 * The analytic variance gain of a layer and the activation after it, and its
 * compound over a chain of layers like it: mean-field signal propagation at
 * initialization (He et al. 2015, §2.2; Poole et al. 2016; Schoenholz et al. 2017).
 *
 * Derivation. Let the weights be i.i.d. with mean 0 and variance σ², the bias 0,
 * and the layer's input x have second moment q = E[x_j²]. One pre-activation
 * y_i = Σ_j W_ij x_j (n = fan_in terms; for a convolution n = C_in·k_h·k_w) has
 * E[y_i²] = n·σ²·q, and given x it is exactly normal when W is (nearly so by
 * the central limit theorem otherwise). Writing w = n·σ² (the "σ_w²" of
 * mean-field theory) and v = w·q, the output's second moment is
 *
 *     q' = E[φ(y)²] = ∫ φ(√v·z)² Dz,   z ~ N(0, 1),
 *
 * and the forward gain of the layer is √(q'/q). Backwards, g_x = Wᵀ(φ'(y) ⊙ g_y),
 * so E[g_x²] = m·σ²·E[φ'(y)²]·E[g_y²] with m = fan_out; over a chain of layers
 * like this one (m = n) the backward gain is √(w·E[φ'(√v·z)²]).
 * Second moments, not variances, are what propagate: a sigmoid's mean of 1/2
 * feeds the next layer's sum as much as its spread does.
 *
 * Closed forms (homogeneous φ, gain independent of q):
 *   identity      q' = w·q                 gain² = w
 *   ReLU          q' = w·q/2               gain² = w/2        (He: σ² = 2/n → 1)
 *   LeakyReLU(a)  q' = w·q·(1+a²)/2        gain² = w(1+a²)/2
 * the same for the backward gain (E[relu'²] = 1/2). Every other activation is
 * integrated numerically (Simpson's rule on z ∈ [−10, 10]), and the chain is
 * iterated from q₀ = 1 (standardized inputs): forward compound √(q_N/q₀),
 * backward compound √(Π χ(q_l)), χ(q) = w·E[φ'(√(w·q)·z)²].
 *
 * scripts/advice/measure_gains.py measures the same quantities on real PyTorch
 * chains; test/unit/adviceGain.test.ts compares them.
 */
import type { Activation, ActivationKind } from '../model/activations';
import { erf64 as erf } from '../torch/erf';

/** φ and φ' of one activation (PyTorch's definitions and default parameters). */
interface Pair {
  readonly f: (x: number) => number;
  readonly d: (x: number) => number;
}

const SELU_ALPHA = 1.6732632423543772;
const SELU_SCALE = 1.0507009873554805;
const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
const softplus = (x: number) => (x > 20 ? x : Math.log1p(Math.exp(x)));
const phi = (x: number) => 0.5 * (1 + erf(x / Math.SQRT2));
const pdf = (x: number) => Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);

function pair(kind: ActivationKind, slope: number | undefined): Pair | undefined {
  switch (kind) {
    case 'identity':
      return { f: (x) => x, d: () => 1 };
    case 'relu':
      return { f: (x) => (x > 0 ? x : 0), d: (x) => (x > 0 ? 1 : 0) };
    case 'leaky_relu':
    case 'prelu': {
      const a = slope ?? (kind === 'prelu' ? 0.25 : 0.01);
      return { f: (x) => (x > 0 ? x : a * x), d: (x) => (x > 0 ? 1 : a) };
    }
    case 'relu6':
      return { f: (x) => Math.min(Math.max(x, 0), 6), d: (x) => (x > 0 && x < 6 ? 1 : 0) };
    case 'elu':
    case 'celu':
      // alpha = 1 (PyTorch's default for both): identical functions.
      return { f: (x) => (x > 0 ? x : Math.expm1(x)), d: (x) => (x > 0 ? 1 : Math.exp(x)) };
    case 'selu':
      return { f: (x) => SELU_SCALE * (x > 0 ? x : SELU_ALPHA * Math.expm1(x)), d: (x) => SELU_SCALE * (x > 0 ? 1 : SELU_ALPHA * Math.exp(x)) };
    case 'gelu':
      // The exact (erf) form, nn.GELU()'s default.
      return { f: (x) => x * phi(x), d: (x) => phi(x) + x * pdf(x) };
    case 'silu':
      return { f: (x) => x * sigmoid(x), d: (x) => sigmoid(x) * (1 + x * (1 - sigmoid(x))) };
    case 'mish':
      return {
        f: (x) => x * Math.tanh(softplus(x)),
        d: (x) => {
          const t = Math.tanh(softplus(x));
          return t + x * (1 - t * t) * sigmoid(x);
        },
      };
    case 'hardswish':
      return { f: (x) => (x <= -3 ? 0 : x >= 3 ? x : (x * (x + 3)) / 6), d: (x) => (x <= -3 ? 0 : x >= 3 ? 1 : (2 * x + 3) / 6) };
    case 'tanh':
      return { f: Math.tanh, d: (x) => 1 - Math.tanh(x) ** 2 };
    case 'sigmoid':
      return { f: sigmoid, d: (x) => sigmoid(x) * (1 - sigmoid(x)) };
    case 'hardtanh':
      return { f: (x) => Math.max(-1, Math.min(1, x)), d: (x) => (x > -1 && x < 1 ? 1 : 0) };
    case 'softsign':
      return { f: (x) => x / (1 + Math.abs(x)), d: (x) => 1 / (1 + Math.abs(x)) ** 2 };
    case 'softplus':
      return { f: softplus, d: sigmoid };
    case 'softmax':
    case 'log_softmax':
      // Not elementwise: output layers, judged by their own rule.
      return undefined;
  }
}

/** E[g(√v·z)], z ~ N(0,1), by Simpson's rule on [−10, 10] (error far below the 1e-4 the tests ask). */
function expect(g: (x: number) => number, v: number): number {
  const s = Math.sqrt(v);
  const n = 2000;
  const h = 20 / n;
  let sum = 0;
  for (let i = 0; i <= n; i++) {
    const z = -10 + i * h;
    const w = i === 0 || i === n ? 1 : i % 2 === 1 ? 4 : 2;
    sum += w * g(s * z) * pdf(z);
  }
  return (sum * h) / 3;
}

/** The factor E[φ(y)²]/E[y²] of homogeneous activations (exact), undefined for the rest. */
function homogeneous(kind: ActivationKind, slope: number | undefined): number | undefined {
  if (kind === 'identity') return 1;
  if (kind === 'relu') return 0.5;
  if (kind === 'leaky_relu' || kind === 'prelu') {
    const a = slope ?? (kind === 'prelu' ? 0.25 : 0.01);
    return (1 + a * a) / 2;
  }
  return undefined;
}

/** Whether the gain of this activation can be computed (elementwise activations). */
export function hasGain(activation: Activation): boolean {
  return pair(activation.kind, activation.slope) !== undefined;
}

/** One layer's moments at input second moment q: the output's second moment and the backward factor χ. */
export function layerMoments(activation: Activation, w: number, q: number): { q: number; chi: number } {
  const h = homogeneous(activation.kind, activation.slope);
  if (h !== undefined) return { q: h * w * q, chi: h * w };
  const p = pair(activation.kind, activation.slope);
  if (!p) throw new RangeError(`no elementwise gain for ${activation.kind}`);
  const v = w * q;
  if (v === 0) return { q: p.f(0) ** 2, chi: w * p.d(0) ** 2 };
  return { q: expect((x) => p.f(x) ** 2, v), chi: w * expect((x) => p.d(x) ** 2, v) };
}

/** The analytic gains of a chain of `layers` layers like one (weight scale w = fan_in·σ², activation φ), from q₀ = 1. */
export interface ChainGain {
  /** Weight scale w = fan_in·σ². */
  readonly w: number;
  readonly layers: number;
  /** Output std / input std of the first layer. */
  readonly forward1: number;
  /** Input-gradient std / output-gradient std of one layer at the first layer's input. */
  readonly backward1: number;
  /** √(q_N/q₀). */
  readonly forward: number;
  /** √(Π χ). */
  readonly backward: number;
}

const cache = new Map<string, ChainGain>();

export function chainGain(activation: Activation, w: number, layers: number): ChainGain {
  const key = `${activation.kind}/${activation.slope ?? ''}/${w}/${layers}`;
  const hit = cache.get(key);
  if (hit) return hit;
  let q = 1;
  let logChi = 0;
  let forward1 = 0;
  let backward1 = 0;
  for (let l = 0; l < layers; l++) {
    const m = layerMoments(activation, w, q);
    if (l === 0) {
      forward1 = Math.sqrt(m.q);
      backward1 = Math.sqrt(m.chi);
    }
    logChi += Math.log(m.chi);
    q = m.q;
  }
  const out = { w, layers, forward1, backward1, forward: Math.sqrt(q), backward: Math.exp(logChi / 2) };
  if (cache.size > 10_000) cache.clear();
  cache.set(key, out);
  return out;
}

/** The factor the compound is judged by: the forward or backward one farther from 1 (in log scale). */
export function worst(g: ChainGain): { pass: 'forward' | 'backward'; compound: number; perLayer: number } {
  const f = Math.abs(Math.log(g.forward || Number.MIN_VALUE));
  const b = Math.abs(Math.log(g.backward || Number.MIN_VALUE));
  return b > f
    ? { pass: 'backward', compound: g.backward, perLayer: g.backward ** (1 / g.layers) }
    : { pass: 'forward', compound: g.forward, perLayer: g.forward ** (1 / g.layers) };
}
