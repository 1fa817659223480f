/**
 * LSUV, layer-sequential unit-variance initialization (Mishkin & Matas 2016,
 * "All you need is a good init", Algorithm 1): orthogonal weights, biases
 * zero (the orthogonal scheme's weights, schemes.ts), then each weight layer
 * in forward order rescaled, W ← W / √Var(B), until the variance of its
 * output B on the batch is within Tol_var of 1, at most T_max times.
 *
 * The order of one layer's steps, which scripts/signal/reference.py and the
 * generated `lsuv_init_` (core/edits/lsuv.ts) follow too: forward, measure
 * the variance (unbiased, torch.var's default, in double from the float32
 * output); stop when |Var − 1| < Tol_var, after T_max rescalings, or when the
 * variance is 0 or not finite (nothing to scale); else divide and repeat.
 *
 * Only the ops up to the layer are evaluated, and only the layer's own op
 * again after a rescaling: ops are in execution order, so none before it
 * reads its weight. A layer applied once (graph.ts refuses shared weights)
 * with a zero bias is linear in its weight, so one rescaling usually brings
 * the variance to 1 up to float rounding, and the second measure stops.
 */
import type * as tfc from '@tensorflow/tfjs-core';
import { stateDictKey } from '../model/stateDict';
import { disposeContext, graphParams, evalContext, evalKept, moments, runGraph, SignalError, type RunOptions, type SignalStats, type Tf, type Weights } from './engine';
import type { SignalGraph } from './graph';

/** The ops whose weight LSUV rescales: the Linear and Conv layers whose weight the schemes replace (schemes.ts). */
const RESCALED: ReadonlySet<string> = new Set(['linear', 'conv']);

/** The paper's Tol_var and T_max (its §2: "Tol_var = 0.1", at most 10 iterations). */
export const LSUV_TOLERANCE = 0.1;
export const LSUV_MAX_ITERATIONS = 10;

export interface LsuvLayer {
  /** `named_modules()` name. */
  readonly name: string;
  /** Rescalings applied (0 when the variance was already within the tolerance). */
  readonly iterations: number;
  /** The output variance last measured (after the last rescaling). */
  readonly variance: number;
  /** The product of the factors 1/√Var applied to the weight. */
  readonly scale: number;
  /** |variance − 1| < tolerance. */
  readonly converged: boolean;
}

export interface LsuvResult {
  readonly weights: Weights;
  readonly layers: readonly LsuvLayer[];
}

/** `weights` (the orthogonal scheme's) rescaled by LSUV on `batch` (the graph's input shape, row-major). */
export async function lsuvWeights(tf: Tf, graph: SignalGraph, weights: Weights, batch: Float32Array, tolerance = LSUV_TOLERANCE, maxIterations = LSUV_MAX_ITERATIONS): Promise<LsuvResult> {
  const shapes = new Map(graphParams(graph).map((p) => [p.name, p.shape] as const));
  for (const [name, shape] of shapes) {
    if (weights.get(name)?.length !== shape.reduce((a, b) => a * b, 1)) throw new SignalError(`LSUV: ${name} has no values of the shape ${shape.join('×')}`);
  }
  if (batch.length !== graph.inputShape.reduce((a, b) => a * b, 1)) throw new SignalError(`LSUV: the batch has ${batch.length} values, the input ${graph.inputShape.join('×')} needs ${graph.inputShape.reduce((a, b) => a * b, 1)}`);
  const out = new Map(weights);
  const params = new Map<string, tfc.Tensor>();
  const values: tfc.Tensor[] = [];
  const x = tf.tensor(batch, [...graph.inputShape]);
  const layers: LsuvLayer[] = [];
  const context = evalContext();
  try {
    for (const [name, shape] of shapes) params.set(name, tf.tensor(weights.get(name) as Float32Array, [...shape]));
    const evaluate = (i: number) => evalKept(tf, graph, i, values, params, x, context);
    let next = 0;
    for (const layer of graph.layers) {
      const name = stateDictKey(layer.name, 'weight');
      if (!RESCALED.has(graph.ops[layer.op].kind) || !shapes.has(name)) continue;
      for (; next <= layer.op; next++) values[next] = evaluate(next);
      const w = Float32Array.from(weights.get(name) as Float32Array);
      let iterations = 0;
      let scale = 1;
      let variance: number;
      for (;;) {
        variance = moments(await values[layer.op].data()).std ** 2;
        if (Math.abs(variance - 1) < tolerance || iterations === maxIterations || !(variance > 0 && Number.isFinite(variance))) break;
        // float32 weights divided by the float32 divisor, as `weight.div_(math.sqrt(var))` computes.
        const divisor = Math.fround(Math.sqrt(variance));
        for (let i = 0; i < w.length; i++) w[i] = w[i] / divisor;
        scale /= divisor;
        iterations++;
        params.get(name)?.dispose();
        params.set(name, tf.tensor(w, [...(shapes.get(name) as readonly number[])]));
        values[layer.op].dispose();
        values[layer.op] = evaluate(layer.op);
      }
      out.set(name, w);
      layers.push({ name: layer.name, iterations, variance, scale, converged: Math.abs(variance - 1) < tolerance });
    }
    return { weights: out, layers };
  } finally {
    x.dispose();
    for (const t of params.values()) t.dispose();
    for (const t of values) t?.dispose();
    disposeContext(context);
  }
}

/** One scheme's run: its weights (rescaled first when the scheme is LSUV), then the engine's forward and backward pass. */
export async function runScheme(tf: Tf, graph: SignalGraph, run: { readonly lsuv?: boolean; readonly weights: Weights }, input: Float32Array, upstream: Float32Array, options: RunOptions = {}): Promise<SignalStats & { readonly lsuv?: readonly LsuvLayer[] }> {
  if (!run.lsuv) return runGraph(tf, graph, run.weights, input, upstream, options);
  const scaled = await lsuvWeights(tf, graph, run.weights, input);
  return { ...(await runGraph(tf, graph, scaled.weights, input, upstream, options)), lsuv: scaled.layers };
}
