/**
 * One signal report: a model's graph run under each scheme on the same
 * input and upstream gradient, in the shape `initlens propagate --json`
 * prints (issue 13).
 */
import type { Model } from '../model/types';
import type { LayerSignal, Tf } from './engine';
import type { NotSimulated, SignalGraph } from './graph';
import { prepareRuns } from './job';
import { runScheme, type LsuvLayer } from './lsuv';
import type { SignalScheme } from './schemes';
import type { CompositeModel } from './composite';
import type { StreamOptions } from '../torch/exact';

export interface PropagateOptions {
  /** `torch.manual_seed(seed)` before the model is built. */
  readonly seed: bigint;
  /** The input is `torch.randn(shape, generator=torch.Generator().manual_seed(inputSeed))`; the upstream gradient uses inputSeed + 1. */
  readonly inputSeed: bigint;
  readonly schemes: readonly SignalScheme[];
  /** The TensorFlow.js backend that runs (`tf.getBackend()`), for the report. */
  readonly backend: string;
  /** A batch of real inputs (a `.npy` file) instead of the random input: the graph's input shape, row-major. */
  readonly data?: { readonly file: string; readonly dtype: string; readonly values: Float32Array };
  /** The model's instances, when it is composite (`model` is then its flattened model). */
  readonly composite?: CompositeModel;
  /** The document's draws around the model (src/core/torch/program.ts), for the weights in effect. */
  readonly draws?: StreamOptions;
}

export interface SignalRun {
  readonly scheme: string;
  readonly label: string;
  /** True when the weights are PyTorch's bit for bit. */
  readonly exact: boolean;
  /** Why not, when not. */
  readonly reasons?: readonly string[];
  readonly output: { readonly std: number };
  readonly layers: readonly LayerSignal[];
  /** LSUV only: what each weight layer's rescaling did. */
  readonly lsuv?: readonly LsuvLayer[];
}

export interface SignalReport {
  readonly model: string;
  readonly seed: string;
  readonly inputSeed: string;
  readonly inputShape: readonly number[];
  /** The batch file that stood for the random input, when one did. */
  readonly data?: { readonly file: string; readonly dtype: string };
  /** How the input shape was chosen. */
  readonly inputNote: string;
  /** Every run's weights exact. */
  readonly exact: boolean;
  readonly backend: string;
  readonly notSimulated: readonly NotSimulated[];
  readonly runs: readonly SignalRun[];
  /** Schemes whose weights could not be formed (no recommendation for a layer, values not known), with why. */
  readonly skipped: readonly { readonly scheme: string; readonly why: string }[];
}

/** Runs every scheme of `options` on `graph` (refused with {@link SignalError} when something in it is not simulated). */
export async function propagate(tf: Tf, model: Model, graph: SignalGraph, options: PropagateOptions): Promise<SignalReport> {
  const prepared = prepareRuns(model, graph, { ...options, ...(options.data ? { input: options.data.values } : {}) });
  const runs: SignalRun[] = [];
  for (const r of prepared.runs) {
    const stats = await runScheme(tf, graph, { weights: r.weights, lsuv: r.scheme.lsuv }, prepared.input, prepared.upstream);
    runs.push({ scheme: r.scheme.id, label: r.scheme.label, exact: r.exact, ...(r.exact ? {} : { reasons: r.reasons }), ...stats });
  }
  const skipped = prepared.skipped;
  return {
    model: model.name,
    seed: options.seed.toString(),
    inputSeed: options.inputSeed.toString(),
    inputShape: graph.inputShape,
    ...(options.data ? { data: { file: options.data.file, dtype: options.data.dtype } } : {}),
    inputNote: graph.inputNote,
    exact: runs.every((r) => r.exact),
    backend: options.backend,
    notSimulated: graph.notSimulated,
    runs,
    skipped,
  };
}
