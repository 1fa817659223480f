/**
 * Which initialization suits a weight, from the activation that follows it.
 * One table, checkable against its sources:
 * - He/Kaiming (He et al. 2015, `torch.nn.init.kaiming_*`): ReLU family; the
 *   gain comes from `calculate_gain`, with `a` = negative slope for LeakyReLU.
 * - Xavier/Glorot (Glorot & Bengio 2010): tanh (gain 5/3 in PyTorch), sigmoid,
 *   and linear/softmax outputs.
 * - LeCun normal: SELU (Klambauer et al. 2017). PyTorch's docs say to use
 *   `nonlinearity='linear'` for SELU, giving variance 1/fan_in.
 * - Orthogonal recurrent weights (Saxe et al. 2014), Xavier input weights.
 * - Biases 0; embeddings N(0, 1) (PyTorch's own default); norms 1 and 0.
 * Keras gets the matching named initializers (`he_normal`, `glorot_uniform`, …).
 */
import type { Activation, ActivationKind } from '../model/activations';
import { KERAS_PRESETS, calculateGain, resolveInit, type Framework, type InitScheme } from './schemes';

/** Normal or uniform variant of the recommended family (setting `initlens.init.variant`). */
export type Variant = 'normal' | 'uniform';

export type ParamKind = 'weight' | 'recurrent' | 'bias' | 'norm_weight' | 'norm_bias' | 'embedding' | 'bias_kv';

export interface Recommendation {
  readonly scheme: InitScheme;
  /** Family name shown in lenses: `kaiming_normal_`, `xavier_uniform_`, `he_normal`. */
  readonly name: string;
  /** One sentence: why. */
  readonly reason: string;
}

type Family = 'he' | 'xavier' | 'xavier_tanh' | 'lecun';

const FAMILY: Record<ActivationKind, Family> = {
  relu: 'he',
  relu6: 'he',
  leaky_relu: 'he',
  prelu: 'he',
  elu: 'he',
  celu: 'he',
  gelu: 'he',
  silu: 'he',
  mish: 'he',
  hardswish: 'he',
  softplus: 'he',
  selu: 'lecun',
  tanh: 'xavier_tanh',
  sigmoid: 'xavier',
  hardtanh: 'xavier',
  softsign: 'xavier',
  softmax: 'xavier',
  log_softmax: 'xavier',
  identity: 'xavier',
};

const REASONS: Record<Family, string> = {
  he: 'He/Kaiming keeps the variance of ReLU-family outputs constant from layer to layer (gain √2).',
  xavier: 'Xavier/Glorot balances forward and backward variance for saturating or linear outputs.',
  xavier_tanh: 'Xavier/Glorot with tanh gain 5/3 keeps tanh units out of saturation.',
  lecun: 'LeCun normal (variance 1/fan_in) is what self-normalizing SELU networks assume.',
};

/** The recommendation for one parameter, or undefined when there is none to make. */
export function recommend(
  framework: Framework,
  kind: ParamKind,
  activation: Activation | undefined,
  variant: Variant = 'normal',
): Recommendation | undefined {
  switch (kind) {
    case 'bias':
      return framework === 'keras'
        ? { scheme: { kind: 'zeros' }, name: 'zeros', reason: 'Biases start at 0; the weights break the symmetry.' }
        : { scheme: { kind: 'zeros' }, name: 'zeros_', reason: 'Biases start at 0; the weights break the symmetry (0.01 before a ReLU is an option against dead units).' };
    case 'norm_weight':
    case 'norm_bias':
    case 'embedding':
    case 'bias_kv':
      // The libraries' own conventions (γ=1, β=0; PyTorch embeddings N(0,1)) are the norm.
      return undefined;
    case 'recurrent':
      return framework === 'keras'
        ? { scheme: { kind: 'orthogonal', gain: 1 }, name: 'orthogonal', reason: 'Orthogonal recurrent weights preserve the hidden state norm over time steps.' }
        : { scheme: { kind: 'orthogonal', gain: 1 }, name: 'orthogonal_', reason: 'Orthogonal recurrent weights preserve the hidden state norm over time steps.' };
    case 'weight':
      break;
  }
  if (!activation) return undefined;
  const family = FAMILY[activation.kind];
  return framework === 'keras' ? kerasRecommendation(family, activation, variant) : torchRecommendation(family, activation, variant);
}

function torchRecommendation(family: Family, activation: Activation, variant: Variant): Recommendation {
  const reason = REASONS[family];
  switch (family) {
    case 'he': {
      const leaky = activation.kind === 'leaky_relu' || activation.kind === 'prelu';
      const slope = leaky ? activation.slope ?? (activation.kind === 'prelu' ? 0.25 : 0.01) : 0;
      const nonlinearity = leaky ? 'leaky_relu' : 'relu';
      const scheme: InitScheme = { kind: variant === 'normal' ? 'kaiming_normal' : 'kaiming_uniform', a: slope, mode: 'fan_in', nonlinearity };
      const gain = calculateGain(nonlinearity, slope);
      const why = leaky ? `${reason.replace('(gain √2)', `(gain √(2/(1+a²)) = ${gain.toFixed(4)} for a = ${slope})`)}` : reason;
      return { scheme, name: `${scheme.kind}_`, reason: why };
    }
    case 'lecun':
      return { scheme: { kind: 'kaiming_normal', a: 0, mode: 'fan_in', nonlinearity: 'linear' }, name: 'kaiming_normal_ (LeCun)', reason };
    case 'xavier':
    case 'xavier_tanh': {
      const kind = variant === 'normal' ? 'xavier_normal' : 'xavier_uniform';
      return { scheme: { kind, gain: family === 'xavier_tanh' ? calculateGain('tanh') : 1 }, name: `${kind}_`, reason };
    }
  }
}

function kerasRecommendation(family: Family, activation: Activation, variant: Variant): Recommendation {
  const reason = REASONS[family];
  switch (family) {
    case 'he': {
      const leaky = activation.kind === 'leaky_relu' && activation.slope !== undefined && activation.slope !== 0;
      if (leaky) {
        const slope = activation.slope as number;
        const scheme: InitScheme = { kind: 'variance_scaling', scale: 2 / (1 + slope * slope), mode: 'fan_in', distribution: variant === 'normal' ? 'truncated_normal' : 'uniform' };
        return { scheme, name: 'VarianceScaling', reason: `${reason} For LeakyReLU(${slope}) the scale is 2/(1+a²).` };
      }
      const name = variant === 'normal' ? 'he_normal' : 'he_uniform';
      return { scheme: KERAS_PRESETS[name], name, reason };
    }
    case 'lecun':
      return { scheme: KERAS_PRESETS.lecun_normal, name: 'lecun_normal', reason };
    case 'xavier':
    case 'xavier_tanh': {
      const name = variant === 'normal' ? 'glorot_normal' : 'glorot_uniform';
      return { scheme: KERAS_PRESETS[name], name, reason: REASONS.xavier };
    }
  }
}

/**
 * Whether `current` already does what `recommended` would, for a tensor of
 * `shape`: the same per-element standard deviation (within 1%) and the same
 * kind of randomness. Uniform and normal variants of one family agree.
 */
export function agrees(current: InitScheme, recommended: InitScheme, shape: readonly number[] | undefined, framework: Framework): boolean {
  const constant = (s: InitScheme) => s.kind === 'zeros' || s.kind === 'ones' || s.kind === 'constant';
  if (constant(recommended) || constant(current)) {
    return constant(current) && constant(recommended) && value(current) === value(recommended);
  }
  if (current.kind === 'orthogonal' || recommended.kind === 'orthogonal') return current.kind === recommended.kind;
  // He with fan_out (torchvision's choice for convolutions) preserves the backward
  // pass instead of the forward one: a legitimate He variant, not a mismatch.
  const kaiming = (s: InitScheme) => s.kind === 'kaiming_normal' || s.kind === 'kaiming_uniform';
  if (kaiming(current) && kaiming(recommended) && 'nonlinearity' in current && 'nonlinearity' in recommended) {
    return current.nonlinearity === recommended.nonlinearity && current.a === recommended.a;
  }
  if (!shape) return sameFamily(current, recommended);
  try {
    const a = resolveInit(current, shape, framework).std;
    const b = resolveInit(recommended, shape, framework).std;
    return Math.abs(a - b) <= 0.01 * b;
  } catch {
    return false;
  }
}

function value(s: InitScheme): number {
  return s.kind === 'ones' ? 1 : s.kind === 'constant' ? s.value : 0;
}

function sameFamily(a: InitScheme, b: InitScheme): boolean {
  const fam = (s: InitScheme) => s.kind.replace(/_(normal|uniform)$/, '');
  if (fam(a) !== fam(b)) return false;
  if ((a.kind === 'kaiming_normal' || a.kind === 'kaiming_uniform') && (b.kind === 'kaiming_normal' || b.kind === 'kaiming_uniform')) {
    return a.nonlinearity === b.nonlinearity && a.a === b.a && a.mode === b.mode;
  }
  if ((a.kind === 'xavier_normal' || a.kind === 'xavier_uniform') && (b.kind === 'xavier_normal' || b.kind === 'xavier_uniform')) return a.gain === b.gain;
  return JSON.stringify(a) === JSON.stringify(b);
}
