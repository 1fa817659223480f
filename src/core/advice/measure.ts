/**
 * Measured gains (issue 14): where the signal engine can run a model, the
 * advice's signal-gain rule is driven by what one forward and one backward
 * pass of the model in effect show, instead of the mean-field formulas of
 * gain.ts. The run is the Signal panel's "in effect" scheme with its
 * defaults: the weights right after `torch.manual_seed(seed)` (the file's own
 * seed, else 0), the input `torch.randn(shape)` from a generator seeded 0, the
 * upstream gradient from seed 1, BatchNorm on batch statistics, dropout off.
 *
 * A model is measured only when its graph runs as written (nothing "not
 * simulated"), when it is not composite (its layers are the class's own, so
 * that each row is one layer the judge judges), and when it fits the advice's
 * bounds (LIMITS.adviceMultiplyAdds, LIMITS.adviceValues): the editor measures
 * in the background on every change of a model. The others keep the analytic
 * gain, stated as such.
 *
 * What a layer's gain is: as scripts/advice/keys.py measures it in PyTorch,
 * from the layer's input to the input of the weight layer run after it (its
 * activation, pooling, a residual sum in between), forward and, for the
 * gradient with respect to those inputs, backward.
 */
import { LimitError, LIMITS } from '../limits';
import { measurements, uniquelyNamed, type Measurements, type MeasuredLayer, type ModelMeasurement, type Unmeasured } from './measured';
import type { Model, ModelAnalysis } from '../model/types';
import type { Tree } from '../python/parse';
import { analyzeSeeding } from '../seeding/analyze';
import { findTorchSeed } from '../torch/exact';
import { ExactInitError } from '../torch/init';
import { SignalError, type LayerSignal, type Tf } from '../signal/engine';
import { signalModel } from '../signal/composite';
import { buildGraph, type SignalGraph } from '../signal/graph';
import { prepareRuns } from '../signal/job';
import { runScheme } from '../signal/lsuv';
import { signalScheme } from '../signal/schemes';

/** The seed a measurement of `model` builds its weights after: the file's `torch.manual_seed` before it is built, else 0. */
export function measureSeed(model: Model, tree: Tree, text: string): bigint {
  const found = findTorchSeed(model, text, analyzeSeeding(tree, text));
  return 'seed' in found ? found.seed : 0n;
}

/** The graph a measurement runs, or why the model keeps the analytic gain. */
export function measurableGraph(analysis: ModelAnalysis, judged: Model, tree: Tree, text: string): { readonly model: Model; readonly graph: SignalGraph } | { readonly why: string } {
  if (judged.framework !== 'torch') return { why: 'the signal engine runs PyTorch models only' };
  if ((judged.submodules?.length ?? 0) > 0) return { why: 'it builds classes of its own (composite): its layers are judged per class' };
  // The class in the context the module tree analyzed it in (its numbers given), as the Signal panel runs it.
  const picked = signalModel(analysis, judged, tree, text);
  if (picked.composite) return { why: 'it builds classes of its own (composite): its layers are judged per class' };
  const model = picked.model;
  let graph: SignalGraph;
  try {
    graph = buildGraph(model, tree, text);
  } catch (error) {
    if (error instanceof LimitError || error instanceof SignalError) return { why: error.message };
    throw error;
  }
  if (graph.notSimulated.length > 0) return { why: `not simulated: ${graph.notSimulated[0].op} at line ${graph.notSimulated[0].line}` };
  if (graph.layers.length === 0) return { why: 'no weight layer runs' };
  const above = aboveBackground(graph);
  return above ? { why: above } : { model, graph };
}

/**
 * Why the extension host does not run `graph` by itself (its size is above what it runs in the
 * background: LIMITS.adviceMultiplyAdds, adviceWeights, adviceValues), or undefined when it may. The
 * measured gains and the Signal panel's host preview (panel/signalPanel.ts) keep to it.
 */
export function aboveBackground(graph: SignalGraph): string | undefined {
  if (graph.multiplyAdds > LIMITS.adviceMultiplyAdds.value) return `${graph.multiplyAdds.toExponential(1)} multiply-adds, above the ${LIMITS.adviceMultiplyAdds.value.toExponential(1)} measured in the background`;
  const weights = graph.layers.reduce((n, l) => n + l.params.reduce((k, p) => k + p.shape.reduce((a, b) => a * b, 1), 0), 0);
  if (weights > LIMITS.adviceWeights.value) return `${weights.toExponential(1)} weights, above the ${LIMITS.adviceWeights.value.toExponential(1)} measured in the background`;
  if (graph.values > LIMITS.adviceValues.value) return `${graph.values.toExponential(1)} intermediate values, above the ${LIMITS.adviceValues.value.toExponential(1)} measured in the background`;
  return undefined;
}

/**
 * The per-layer figures of one run ({@link runGraph} with `inputs`), in forward order: a layer's
 * own forward gain is nextStd/inStd, its backward gain inGrad/nextGrad, so that the gains of a chain
 * multiply to the change from its first layer's input to the point after its last.
 */
export function measuredLayers(layers: readonly LayerSignal[]): Map<string, MeasuredLayer> {
  const out = new Map<string, MeasuredLayer>();
  const rows = layers.filter((l) => l.input !== undefined);
  rows.forEach((l, k) => {
    const input = l.input as NonNullable<LayerSignal['input']>;
    const next = rows[k + 1]?.input;
    // A layer run twice (weights shared) keeps its first row.
    if (out.has(l.name)) return;
    out.set(l.name, { inStd: input.std, inGrad: input.grad, outStd: l.out.std, outGrad: l.grad.std, nextStd: next?.std ?? (l.act ?? l.out).std, nextGrad: next?.grad ?? l.grad.std });
  });
  return out;
}

/** Runs `graph` once with the init in effect and returns the model's measurement (throws SignalError / ExactInitError when it cannot). */
export async function measureModel(tf: Tf, backend: string, model: Model, graph: SignalGraph, seed: bigint): Promise<ModelMeasurement> {
  const inputSeed = 0n;
  const prepared = prepareRuns(model, graph, { seed, inputSeed, schemes: [signalScheme('in-effect')!] });
  const run = prepared.runs[0];
  const stats = await runScheme(tf, graph, { weights: run.weights }, prepared.input, prepared.upstream, { inputs: true });
  return { model: model.name, seed, inputSeed, inputShape: graph.inputShape, backend, exact: run.exact, layers: measuredLayers(stats.layers) };
}

/** What a measurement of `analysis` would run: each model's graph, or why it keeps the analytic gain. */
export interface MeasurePlan {
  readonly graphs: readonly { readonly model: Model; readonly graph: SignalGraph }[];
  readonly unmeasured: readonly Unmeasured[];
}

/** The plan of {@link measureAnalysis}, built before anything runs (`initlens analyze` loads TensorFlow.js only when it has a graph). */
export function planMeasurement(analysis: ModelAnalysis, tree: Tree, text: string): MeasurePlan {
  const { unique, duplicate } = uniquelyNamed(analysis);
  const graphs: { model: Model; graph: SignalGraph }[] = [];
  const unmeasured: Unmeasured[] = duplicate.map((m) => ({ model: m.name, why: 'another model of the file has the same name' }));
  for (const model of unique) {
    const m = measurableGraph(analysis, model, tree, text);
    if ('why' in m) unmeasured.push({ model: model.name, why: m.why });
    else graphs.push(m);
  }
  return { graphs, unmeasured };
}

/** Measures every model of `analysis` that can be (see {@link measurableGraph}); the others are listed with why. */
export async function measureAnalysis(tf: Tf, backend: string, analysis: ModelAnalysis, tree: Tree, text: string, plan = planMeasurement(analysis, tree, text)): Promise<{ readonly measurements: Measurements; readonly unmeasured: readonly Unmeasured[] }> {
  const done: ModelMeasurement[] = [];
  const unmeasured: Unmeasured[] = [...plan.unmeasured];
  for (const m of plan.graphs) {
    const model = m.model;
    try {
      done.push(await measureModel(tf, backend, m.model, m.graph, measureSeed(m.model, tree, text)));
    } catch (error) {
      if (!(error instanceof SignalError || error instanceof ExactInitError || error instanceof LimitError)) throw error;
      unmeasured.push({ model: model.name, why: error.message });
    }
  }
  return { measurements: measurements(done), unmeasured };
}
