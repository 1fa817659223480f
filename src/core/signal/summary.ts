/**
 * The model lens's signal summary (issue 13), "signal ×0.03 over 12 layers
 * (in effect)": how the std of a standardized input changes through the
 * model's weight layers with the init in effect, from the analytic gains of
 * core/advice/gain.ts (mean-field second moments, the same as the layer
 * lenses' "×0.00098 over 20"), not from the engine.
 *
 * Why analytic: the lens is recomputed whenever the analysis is (per
 * document version), in the extension host, where TensorFlow.js is not
 * loaded (the Signal panel computes in its page). Measured on the 2-core
 * helper machine (README "The Signal panel"): this summary takes microseconds
 * for a 50-layer model, while the engine on the cpu backend needs TensorFlow.js
 * loaded (about 0.3 s once, 1.7 MB) and then milliseconds per model for a
 * batch of 8, and the exact weights of the init in effect on top.
 *
 * The chain: the weight layers (Linear, Conv) in construction order, each
 * with its weight scale w = fan_in·σ², its bias's second moment and the
 * activation after it; a
 * normalizer between a layer and its activation (BatchNorm) resets the
 * pre-activation's second moment to 1. Residual additions and pooling are
 * not in it: the tooltip says so.
 */
import { hasGain, layerMoments } from '../advice/gain';
import { factor, weightScale } from '../advice/judge';
import { mainParam } from '../model/layer';
import type { InitScheme } from '../init/schemes';
import type { ModelMeasurement } from '../advice/measured';
import type { Model } from '../model/types';

/** The mean of one element under `scheme` (the centered schemes: 0). */
function meanOf(scheme: InitScheme): number {
  switch (scheme.kind) {
    case 'constant':
      return scheme.value;
    case 'ones':
      return 1;
    case 'normal':
    case 'trunc_normal':
      return scheme.mean;
    case 'uniform':
      return (scheme.a + scheme.b) / 2;
    default:
      return 0;
  }
}

export interface SignalSummary {
  /** Output std / input std, analytic. */
  readonly ratio: number;
  /** Weight layers in the chain. */
  readonly layers: number;
  /** `signal ×0.03 over 12 layers (in effect)`. */
  readonly title: string;
  readonly tooltip: string;
}

/**
 * Layers the mean-field chain has no step for: recurrences (their gain is over time steps),
 * attention and embeddings. A model with one gets no summary rather than a number that skips it.
 */
const NOT_CHAINED: ReadonlySet<string> = new Set(['RNN', 'LSTM', 'GRU', 'MultiheadAttention', 'TransformerEncoderLayer', 'TransformerDecoderLayer', 'TransformerEncoder', 'TransformerDecoder', 'Transformer', 'Embedding', 'EmbeddingBag']);

/**
 * The summary of a PyTorch model, or undefined when a layer's weight scale is not known (or it
 * has none), when a layer is one the chain cannot step through ({@link NOT_CHAINED}), or when the
 * model builds classes of the file, whose layers are not among its own.
 */
export function signalSummary(model: Model): SignalSummary | undefined {
  if (model.framework !== 'torch') return undefined;
  if (model.layers.some((l) => NOT_CHAINED.has(l.type)) || (model.submodules?.length ?? 0) > 0) return undefined;
  let q = 1;
  let layers = 0;
  for (const layer of model.layers) {
    if (layer.role !== 'weight' || layer.unregistered) continue;
    const param = mainParam(layer);
    if (!param || param.kind !== 'weight') continue;
    const w = weightScale(layer, param);
    if (w === undefined || !Number.isFinite(w)) return undefined;
    // The bias adds its second moment to the pre-activation's: E[y²] = w·q + E[b²] (PyTorch's default bias keeps a vanishing signal at a floor).
    const bias = layer.params.find((p) => p.kind === 'bias');
    if (bias && !bias.resolved) return undefined;
    const b2 = bias?.resolved ? bias.resolved.std ** 2 + meanOf(bias.resolved.scheme) ** 2 : 0;
    const a = layer.activation?.activation;
    const act = a && hasGain(a) ? a : { kind: 'identity' as const };
    q = layerMoments(act, 1, layer.normalizer ? 1 : w * q + b2).q;
    layers++;
  }
  if (layers === 0) return undefined;
  const ratio = Math.sqrt(q);
  const n = `${layers} ${layers === 1 ? 'layer' : 'layers'}`;
  return {
    ratio,
    layers,
    title: `signal ${factor(ratio)} over ${n} (in effect)`,
    tooltip: `Analytic: the std of a standardized input multiplied by ${factor(ratio)} through ${model.name}'s ${n} with the init in effect (mean-field second moments of each weight scale, bias and activation; a BatchNorm before an activation resets it; residual additions and pooling not counted). Show signal runs the model itself, forward and backward, per scheme.`,
  };
}

/**
 * The summary from the advice's measurement of the model (core/advice/measure.ts), when the
 * engine ran it: the std from its first weight layer's input to its last one's output (after
 * that layer's activation), measured with the init in effect. Undefined when nothing was measured.
 */
export function measuredSummary(model: Model, m: ModelMeasurement): SignalSummary | undefined {
  const rows = [...m.layers.values()];
  if (rows.length === 0 || !(rows[0].inStd > 0)) return undefined;
  const ratio = rows[rows.length - 1].nextStd / rows[0].inStd;
  const n = `${rows.length} ${rows.length === 1 ? 'layer' : 'layers'}`;
  return {
    ratio,
    layers: rows.length,
    title: `signal ${factor(ratio)} over ${n} (in effect, measured)`,
    tooltip: `Measured: one forward and backward pass of ${model.name} with the init in effect (torch.manual_seed(${m.seed}), input ${m.inputShape.join('×')}, ${m.backend}${m.exact ? '' : ', weights sampled'}): the std from the first weight layer's input to the last one's output is ${factor(ratio)} of what it was. Show signal runs every scheme side by side.`,
  };
}
