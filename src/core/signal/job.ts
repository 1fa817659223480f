/**
 * What one signal report runs: the input and upstream gradient, and each
 * scheme's weights. Shared by `propagate` (the CLI, in this process) and the
 * Signal panel, whose host prepares this and whose page runs the engine.
 */
import type { Model } from '../model/types';
import type { StreamOptions } from '../torch/exact';
import { TorchGenerator } from '../torch/generator';
import { SignalError, type Weights } from './engine';
import type { CompositeModel } from './composite';
import type { SignalGraph } from './graph';
import { randint, randn, schemeWeights, type SignalScheme } from './schemes';

export interface SchemeRun {
  readonly scheme: SignalScheme;
  readonly weights: Weights;
  readonly exact: boolean;
  readonly reasons: readonly string[];
}

export interface PreparedRuns {
  /** `torch.randn(inputShape, generator=manual_seed(inputSeed))`; token indices `torch.randint(0, tokens, inputShape, …)` when an Embedding reads the input; or the batch given. */
  readonly input: Float32Array;
  /** The same for the output's shape from inputSeed + 1: `output.backward(upstream)`. */
  readonly upstream: Float32Array;
  readonly runs: readonly SchemeRun[];
  /** Schemes whose weights could not be formed, with why. */
  readonly skipped: readonly { readonly scheme: string; readonly why: string }[];
}

export interface PrepareOptions {
  readonly seed: bigint;
  readonly inputSeed: bigint;
  readonly schemes: readonly SignalScheme[];
  readonly input?: Float32Array;
  readonly composite?: CompositeModel;
  /** The document's draws around the model (src/core/torch/program.ts), for the weights in effect. */
  readonly draws?: StreamOptions;
}

/** One scheme prepared: its run, or why its weights could not be formed. */
export type PreparedScheme = { readonly run: SchemeRun } | { readonly skipped: { readonly scheme: string; readonly why: string } };

/**
 * The input and upstream gradient of a report, and a preparer of each
 * scheme's weights, one at a time (the Signal panel posts each as it is
 * ready). Schemes that draw the same way share one draw: LSUV starts from
 * the orthogonal scheme's very weights (same seed, same draws), and its QR
 * is the cost. Refused when nothing in `graph` can run.
 */
export function prepareJob(model: Model, graph: SignalGraph, options: Omit<PrepareOptions, 'schemes'>): { readonly input: Float32Array; readonly upstream: Float32Array; readonly prepare: (scheme: SignalScheme) => PreparedScheme } {
  if (graph.notSimulated.length > 0) throw new SignalError(`${model.name}: ${graph.notSimulated.map((n) => `not simulated: ${n.op} at line ${n.line} (${n.why})`).join('; ')}`);
  // Seeds PyTorch accepts, checked before any work (TorchGenerator throws SeedError otherwise).
  new TorchGenerator(options.seed);
  new TorchGenerator(options.inputSeed + 1n);
  // A batch of the user's (a .npy file) stands for the random input, its shape the graph's.
  const size = graph.inputShape.reduce((a, b) => a * b, 1);
  if (options.input && options.input.length !== size) throw new SignalError(`the batch has ${options.input.length} values, the input ${graph.inputShape.join('×')} needs ${size}`);
  const first = graph.ops[0];
  const input = options.input ?? (first?.kind === 'input' && first.tokens !== undefined ? randint(graph.inputShape, first.tokens, options.inputSeed) : randn(graph.inputShape, options.inputSeed));
  const upstream = randn(graph.ops[graph.output].shape, options.inputSeed + 1n);
  const drawn = new Map<string, ReturnType<typeof schemeWeights>>();
  const prepare = (scheme: SignalScheme): PreparedScheme => {
    // What a scheme's weights depend on: its init (or the model's own, or its recommendations).
    const key = JSON.stringify([scheme.weight ?? null, scheme.recommended === true]);
    try {
      const w = drawn.get(key) ?? schemeWeights(model, graph, scheme, options.seed, options.composite, options.draws);
      drawn.set(key, w);
      return { run: { scheme, weights: w.weights, exact: w.exact, reasons: w.reasons } };
    } catch (error) {
      if (!(error instanceof SignalError)) throw error;
      return { skipped: { scheme: scheme.id, why: error.message } };
    }
  };
  return { input, upstream, prepare };
}

/** The input, upstream gradient and weights of every scheme that can be formed (refused when nothing in `graph` can run, or no scheme can). */
export function prepareRuns(model: Model, graph: SignalGraph, options: PrepareOptions): PreparedRuns {
  const job = prepareJob(model, graph, options);
  const runs: SchemeRun[] = [];
  const skipped: { scheme: string; why: string }[] = [];
  for (const scheme of options.schemes) {
    const p = job.prepare(scheme);
    if ('run' in p) runs.push(p.run);
    else skipped.push(p.skipped);
  }
  if (runs.length === 0) throw noScheme(model, skipped);
  return { input: job.input, upstream: job.upstream, runs, skipped };
}

/** Why a report has nothing to run. */
export function noScheme(model: Model, skipped: readonly { readonly why: string }[]): SignalError {
  return new SignalError(`${model.name}: no scheme could run: ${skipped.map((x) => x.why).join('; ')}`);
}
