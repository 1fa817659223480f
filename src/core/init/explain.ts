/**
 * Short, exact explanations with the numbers filled in: the formula behind a
 * resolved scheme (as `torch/nn/init.py` and Keras `VarianceScaling` compute
 * it), and which scheme suits an activation, with its gain.
 */
import { activationLabel, type Activation } from '../model/activations';
import { schemeLabel } from '../model/initCalls';
import { recommend } from './recommend';
import { KERAS_TRUNCATION_CORRECTION, calculateGain, type ResolvedInit } from './schemes';

const f = (x: number) => Number(x.toPrecision(4)).toString();

function gainText(gain: number): string {
  if (Math.abs(gain - Math.SQRT2) < 1e-12) return '√2';
  if (Math.abs(gain - 5 / 3) < 1e-12) return '5/3';
  if (Math.abs(gain - Math.sqrt(1 / 3)) < 1e-12) return '√(1/3)';
  return f(gain);
}

/** The formula with this tensor's numbers, e.g. `std = gain/√fan_in = √2/√784 = 0.05051`. */
export function explainResolved(r: ResolvedInit): string {
  const s = r.scheme;
  switch (s.kind) {
    case 'kaiming_normal':
    case 'kaiming_uniform': {
      const fan = s.mode === 'fan_in' ? r.fans?.fanIn : r.fans?.fanOut;
      const gain = r.gain ?? 1;
      const std = `std = gain/√${s.mode} = ${gainText(gain)}/√${fan} = ${f(r.std)}`;
      return s.kind === 'kaiming_normal' ? `N(0, σ²) with ${std}` : `U(−b, b) with b = √3·std = ${f(r.bound ?? 0)} (${std})`;
    }
    case 'xavier_normal':
    case 'xavier_uniform': {
      const std = `std = gain·√(2/(fan_in+fan_out)) = ${gainText(s.gain)}·√(2/(${r.fans?.fanIn}+${r.fans?.fanOut})) = ${f(r.std)}`;
      return s.kind === 'xavier_normal' ? `N(0, σ²) with ${std}` : `U(−b, b) with b = √3·std = ${f(r.bound ?? 0)} (${std})`;
    }
    case 'variance_scaling': {
      const fan = s.mode === 'fan_in' ? `fan_in = ${r.fans?.fanIn}` : s.mode === 'fan_out' ? `fan_out = ${r.fans?.fanOut}` : `fan_avg = ${((r.fans?.fanIn ?? 0) + (r.fans?.fanOut ?? 0)) / 2}`;
      if (s.distribution === 'uniform') return `U(−limit, limit) with limit = √(3·${f(s.scale)}/fan) = ${f(r.bound ?? 0)} (${fan})`;
      if (s.distribution === 'untruncated_normal') return `N(0, σ²) with σ = √(${f(s.scale)}/fan) = ${f(r.std)} (${fan})`;
      return `N(0, σ²) cut at ±2σ with σ = √(${f(s.scale)}/fan)/${KERAS_TRUNCATION_CORRECTION} = ${f(r.distribution.kind === 'truncated_normal' ? r.distribution.std : r.std)} (${fan}); std after the cut ${f(r.std)}`;
    }
    case 'uniform':
      return `U(${f(s.a)}, ${f(s.b)}): std ${f(r.std)}`;
    case 'normal':
      return `N(${f(s.mean)}, ${f(s.std)}²)`;
    case 'trunc_normal':
      return `N(${f(s.mean)}, ${f(s.std)}²) cut to [${f(s.a)}, ${f(s.b)}]: std ${f(r.std)}`;
    case 'constant':
    case 'zeros':
    case 'ones':
      return `every element ${s.kind === 'constant' ? f(s.value) : s.kind === 'ones' ? '1' : '0'}: all units start identical (std 0)`;
    default:
      return `${schemeLabel(s)}: element std ${f(r.std)}`;
  }
}

/** Which scheme suits an activation and why, with its gain (PyTorch) or initializer (Keras). */
export function explainActivation(activation: Activation, framework: 'torch' | 'keras'): string {
  const rec = recommend(framework, 'weight', activation);
  if (!rec) return '';
  const label = activationLabel(activation);
  if (framework === 'keras') return `${label}: use \`${rec.name}\`. ${rec.reason}`;
  const s = rec.scheme;
  const gain =
    s.kind === 'kaiming_normal' || s.kind === 'kaiming_uniform'
      ? `calculate_gain("${s.nonlinearity}"${s.nonlinearity === 'leaky_relu' ? `, ${s.a}` : ''}) = ${f(calculateGain(s.nonlinearity, s.a))}`
      : s.kind === 'xavier_normal' || s.kind === 'xavier_uniform'
        ? `gain ${gainText(s.gain)}`
        : '';
  return `${label}: use \`${rec.name}\`${gain ? ` (${gain})` : ''}. ${rec.reason}`;
}
