/**
 * The initializations the signal view compares on one model, and the weights
 * each one gives it, drawn as PyTorch's CPU generator would (core/torch).
 *
 * "in effect" is the model exactly as built right after
 * `torch.manual_seed(seed)` (exact mode). Every other scheme is the article's
 * experiment written in PyTorch: build the model, `torch.manual_seed(seed)`
 * again, then for each Linear/Conv layer in construction (`modules()`) order
 * `init(weight)` and `zeros_(bias)` (a MultiheadAttention's `in_proj_weight`, and the
 * Linears inside attention and encoder layers, likewise); norm layers keep weight 1 and
 * bias 0; an Embedding keeps the weight it was built with (a lookup table, no fan-in
 * product: its scale is the model's own choice).
 * A recurrent layer (RNN, LSTM, GRU) gets `init` on every `weight_ih_l*` and
 * `weight_hh_l*` in `named_parameters()` order and `zeros_` on its biases:
 * each call on the whole stacked matrix (4·hidden × input for an LSTM), as
 * `nn.init.orthogonal_(lstm.weight_hh_l0)` does in PyTorch, so fans count
 * every gate's rows and orthogonal_ gives orthonormal columns across gates.
 * A composite model's layers are in that order already (composite.ts: every
 * instance's, as `modules()` visits them).
 * `recommended` does the same with each layer's own recommendation.
 * scripts/signal/reference.py does the same in Python.
 */
import type { InitScheme } from '../init/schemes';
import type { Model } from '../model/types';
import { exactParameters, type ExactMember, type ExactOptions, type StreamOptions } from '../torch/exact';
import { TorchGenerator } from '../torch/generator';
import { initTensor } from '../torch/init';
import { SignalError, type Weights } from './engine';
import { constructionOrder, type CompositeModel } from './composite';
import type { SignalGraph } from './graph';
import { stateDictKey } from '../model/layer';

export interface SignalScheme {
  /** The name on the command line and in the JSON. */
  readonly id: string;
  readonly label: string;
  /** The name in a chart's legend and the verdict ("He", "N(0, 0.01)"). */
  readonly short: string;
  /** What every Linear/Conv weight gets; undefined: the init in effect, or (`recommended`) each layer's recommendation. */
  readonly weight?: InitScheme;
  /** Each weight gets the analysis's recommendation for its layer (core/init/recommend.ts). */
  readonly recommended?: true;
  /** Data-dependent: `weight`, then each weight layer rescaled on the batch (LSUV, core/signal/lsuv.ts). */
  readonly lsuv?: true;
}

/** The schemes side by side: the init in effect, the article's failing cases, then the ones that keep the signal. */
export const SIGNAL_SCHEMES: readonly SignalScheme[] = [
  { id: 'in-effect', label: 'in effect', short: 'in effect' },
  { id: 'recommended', label: "InitLens's recommendation per layer", short: 'recommended', recommended: true },
  { id: 'zeros', label: 'zeros', short: 'zeros', weight: { kind: 'zeros' } },
  { id: 'constant', label: 'constant 0.01', short: 'constant 0.01', weight: { kind: 'constant', value: 0.01 } },
  { id: 'normal', label: 'N(0, 0.01)', short: 'N(0, 0.01)', weight: { kind: 'normal', mean: 0, std: 0.01 } },
  { id: 'xavier', label: 'Xavier normal (xavier_normal_, gain 1)', short: 'Xavier', weight: { kind: 'xavier_normal', gain: 1 } },
  { id: 'he', label: 'He normal (kaiming_normal_, fan_in, ReLU gain)', short: 'He', weight: { kind: 'kaiming_normal', a: 0, mode: 'fan_in', nonlinearity: 'relu' } },
  // 1/√fan_in: kaiming_normal_ with the linear gain of 1 is LeCun's normal (untruncated).
  { id: 'lecun', label: 'LeCun normal (std 1/√fan_in)', short: 'LeCun', weight: { kind: 'kaiming_normal', a: 0, mode: 'fan_in', nonlinearity: 'linear' } },
  { id: 'orthogonal', label: 'orthogonal (orthogonal_, gain 1)', short: 'orthogonal', weight: { kind: 'orthogonal', gain: 1 } },
  // Mishkin & Matas 2016, Algorithm 1: the orthogonal scheme's weights, then each layer scaled on the batch.
  { id: 'lsuv', label: 'LSUV (orthogonal, then each layer scaled to output variance 1 on the batch; Mishkin & Matas 2016)', short: 'LSUV', weight: { kind: 'orthogonal', gain: 1 }, lsuv: true },
];

export function signalScheme(id: string): SignalScheme | undefined {
  return SIGNAL_SCHEMES.find((s) => s.id === id);
}

/** Layer types whose weights (every tensor of kind `weight`) a scheme replaces. */
const WEIGHT_LAYERS: ReadonlySet<string> = new Set(['Linear', 'Conv1d', 'Conv2d', 'Conv3d', 'ConvTranspose1d', 'ConvTranspose2d', 'ConvTranspose3d', 'MultiheadAttention', 'TransformerEncoderLayer', 'TransformerEncoder']);
/** Recurrent layer types: a scheme replaces each input and recurrent weight matrix. */
const RECURRENT_LAYERS: ReadonlySet<string> = new Set(['RNN', 'LSTM', 'GRU']);

export interface SchemeWeights {
  readonly weights: Weights;
  /** True when every value the graph uses is PyTorch's bit for bit. */
  readonly exact: boolean;
  /** Why not, per parameter (empty when exact). */
  readonly reasons: readonly string[];
}

/** The parameters of `graph`'s layers under `scheme`, model built after `torch.manual_seed(seed)`. */
export function schemeWeights(model: Model, graph: SignalGraph, scheme: SignalScheme, seed: bigint, composite?: CompositeModel, draws?: StreamOptions): SchemeWeights {
  const needed = new Map(graph.layers.flatMap((l) => l.params.map((p) => [p.name, p] as const)));
  const weights = new Map<string, Float32Array>();
  const reasons: string[] = [];
  // The nn.Parameter members forward reads keep their values as built, whatever the scheme (no init of a scheme touches them).
  const members = new Set((graph.tensors ?? []).map((t) => t.name));
  const onParameter = (m: ExactMember) => {
    if (!members.has(m.name)) return;
    if (m.values.length === 0) throw new SignalError(`${scheme.id}: ${m.name} has no values (${m.reason ?? 'not reproduced'})`);
    weights.set(m.name, m.values);
    if (!m.exact) reasons.push(`${m.name}: ${m.reason ?? 'not reproduced'}`);
  };
  const memberOptions = members.size > 0 ? { onParameter } : {};
  if (!scheme.weight && !scheme.recommended) {
    // A composite draws in construction order (its children's layers where they are built).
    for (const p of exactParameters(composite?.construction ?? model, seed, { ...draws, ...placing(composite), ...memberOptions, limits: { values: 'exactValues', words: 'exactStreamWords' } })) {
      if (!needed.has(p.name)) continue;
      if (p.values.length === 0) throw new SignalError(`${scheme.id}: ${p.name} has no values (${p.reason ?? 'not reproduced'})`);
      weights.set(p.name, p.values);
      if (!p.exact) reasons.push(`${p.name}: ${p.reason ?? 'not reproduced'}`);
      else if (composite?.inexact) reasons.push(`${p.name}: ${composite.inexact}`);
    }
    return { weights, exact: reasons.length === 0, reasons };
  }
  const gen = new TorchGenerator(seed);
  const numel = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
  // Embeddings (and members) keep their values as built: exact mode's, computed for them only.
  const kept = members.size > 0 || model.layers.some((l) => l.params.some((p) => p.kind === 'embedding' && needed.has(stateDictKey(l.name, p.name))))
    ? new Map(exactParameters(composite?.construction ?? model, seed, { ...draws, ...placing(composite), ...memberOptions, materialize: (l) => model.layers.some((m) => m.name === l && m.params.some((p) => p.kind === 'embedding')), limits: { values: 'exactValues', words: 'exactStreamWords' } }).map((p) => [p.name, p] as const))
    : new Map<string, ReturnType<typeof exactParameters>[number]>();
  for (const layer of model.layers) {
    for (const p of layer.params) {
      const name = stateDictKey(layer.name, p.name);
      const shape = p.shape.every((d) => typeof d === 'number') ? (p.shape as number[]) : undefined;
      const draws = (WEIGHT_LAYERS.has(layer.type) && p.kind === 'weight') || (RECURRENT_LAYERS.has(layer.type) && (p.kind === 'weight' || p.kind === 'recurrent'));
      const built = p.kind === 'embedding' ? kept.get(name) : undefined;
      if (built && needed.has(name)) {
        if (built.values.length === 0) throw new SignalError(`${scheme.id}: ${name} has no values (${built.reason ?? 'not reproduced'})`);
        weights.set(name, built.values);
        if (!built.exact) reasons.push(`${name}: ${built.reason ?? 'not reproduced'}`);
        continue;
      }
      if (!shape) {
        // A layer of unknown size draws an unknown number of values: what follows is not reproducible.
        if (draws || needed.has(name)) reasons.push(`${name}: its size is not known`);
        continue;
      }
      if (draws) {
        const init = scheme.weight ?? p.recommendation?.scheme;
        // No recommendation without a known activation: nothing stands in for it.
        if (!init) throw new SignalError(`${scheme.id}: ${layer.name} has no recommendation (the activation after it is not known)`);
        const t = initTensor(gen, init, shape);
        if (!t.exact) reasons.push(`${name}: ${t.reason ?? 'not reproduced'}`);
        if (needed.has(name)) weights.set(name, t.values);
      } else if (needed.has(name)) {
        weights.set(name, new Float32Array(numel(shape)).fill(p.kind === 'norm_weight' ? 1 : 0));
      }
    }
  }
  return { weights, exact: reasons.length === 0, reasons };
}

/** A composite's construction order for exact mode: its draws placed per instance (composite.ts). */
function placing(composite: CompositeModel | undefined): Pick<ExactOptions, 'construction'> {
  return composite ? { construction: (offsets) => constructionOrder(composite.built, offsets) } : {};
}

/**
 * `torch.randint(0, high, shape, generator=torch.Generator().manual_seed(seed))` as float32 values: CPU
 * random_from_to draws one 32-bit word per element (high < 2^32) and takes it modulo high, in order.
 */
export function randint(shape: readonly number[], high: number, seed: bigint): Float32Array {
  const n = shape.reduce((a, b) => a * b, 1);
  const words = new TorchGenerator(seed).words(n);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = words[i] % high;
  return out;
}

/** `torch.randn(shape, generator=torch.Generator().manual_seed(seed))` in float32. */
export function randn(shape: readonly number[], seed: bigint): Float32Array {
  return new TorchGenerator(seed).normal32(shape.reduce((a, b) => a * b, 1), 0, 1);
}
