/**
 * What the advice's measured gains are (measure.ts runs them; the judge reads
 * them): a model's measurement and each weight layer's figures. Apart from the
 * runner, so that the extension host's main bundle holds these types and
 * nothing of the signal engine (src/node/gainMeasurer.ts is loaded on first use).
 */
import type { Model, ModelAnalysis } from '../model/types';

/** One weight layer's measured figures (std, not second moments: the engine's statistics). */
export interface MeasuredLayer {
  /** Of its input, and of the gradient with respect to it. */
  readonly inStd: number;
  readonly inGrad: number;
  /** Of its own output (before any activation), and of the gradient with respect to it. */
  readonly outStd: number;
  readonly outGrad: number;
  /**
   * Of the next point: the input of the weight layer run after it (its activation, pooling, a
   * sum in between), or its own activation's output when it is the last; and that point's gradient.
   */
  readonly nextStd: number;
  readonly nextGrad: number;
}

/** One model's measurement: the run's settings and each weight layer's figures by `named_modules()` name. */
export interface ModelMeasurement {
  readonly model: string;
  readonly seed: bigint;
  readonly inputSeed: bigint;
  readonly inputShape: readonly number[];
  /** The TensorFlow.js backend that ran. */
  readonly backend: string;
  /** The weights were PyTorch's bit for bit (else seeded samples of the same distributions). */
  readonly exact: boolean;
  readonly layers: ReadonlyMap<string, MeasuredLayer>;
}

/** The measurements a judgement may use, by model name; `id` tells two sets apart (the judge's memo). */
export interface Measurements {
  readonly id: string;
  readonly models: ReadonlyMap<string, ModelMeasurement>;
}

let nextId = 0;

export function measurements(models: Iterable<ModelMeasurement>): Measurements {
  return { id: `m${++nextId}`, models: new Map([...models].map((m) => [m.model, m])) };
}

/** Why a model was not measured. */
export interface Unmeasured {
  readonly model: string;
  readonly why: string;
}


/**
 * The PyTorch models of an analysis that a measurement can be found for, by name: each whose name is
 * its own (two classes of one name are measured neither).
 */
export function uniquelyNamed(analysis: ModelAnalysis): { readonly unique: readonly Model[]; readonly duplicate: readonly Model[] } {
  const torch = analysis.models.filter((m) => m.framework === 'torch');
  const once = (m: Model) => torch.filter((n) => n.name === m.name).length === 1;
  return { unique: torch.filter(once), duplicate: torch.filter((m) => !once(m)) };
}
