/**
 * The Glorot & Bengio view (2010, figures 6–7): for one scheme, the histogram
 * of the values each weight layer hands on (its activation's output, or its
 * own output where no activation follows), all layers on one value axis, so
 * that a signal shrinking towards 0 with depth, or piling up at ±1 where tanh
 * saturates, shows as the curves narrowing or splitting layer after layer.
 *
 * One forward pass on the engine's ops (engine.ts `evalOp`), nothing kept
 * for a backward pass; the values read back are the graph's own, bounded
 * when it was built (limits.ts `signalValues`).
 */
import type * as tfc from '@tensorflow/tfjs-core';
import { disposeContext, evalContext, evalKept, SignalError, type Tf, type Weights } from './engine';
import type { SignalGraph } from './graph';

export interface LayerHistogram {
  readonly name: string;
  /** 'activation': after the activation that follows the layer; 'output': the layer's own output. */
  readonly of: 'activation' | 'output';
  /** Counts per bin of the common range. */
  readonly counts: readonly number[];
  readonly n: number;
}

export interface Histograms {
  /** The common range: the smallest and largest value over every layer. */
  readonly lo: number;
  readonly hi: number;
  readonly bins: number;
  readonly layers: readonly LayerHistogram[];
}

/** Bins of the view. */
export const HISTOGRAM_BINS = 60;

/** The histograms of every layer of `graph` under `weights` on `input` (the graph's input shape). */
export async function layerHistograms(tf: Tf, graph: SignalGraph, weights: Weights, input: Float32Array, bins = HISTOGRAM_BINS): Promise<Histograms> {
  if (!(Number.isInteger(bins) && bins >= 1 && bins <= 10_000)) throw new SignalError(`histogram bins must be an integer from 1 to 10000, got ${bins}`);
  const params = new Map<string, tfc.Tensor>();
  const values: tfc.Tensor[] = [];
  const x = tf.tensor(input, [...graph.inputShape]);
  const context = evalContext();
  try {
    for (const l of graph.layers) {
      for (const p of l.params) {
        const w = weights.get(p.name);
        if (!w || w.length !== p.shape.reduce((a, b) => a * b, 1)) throw new SignalError(`${p.name}: no values of the shape ${p.shape.join('×')}`);
        params.set(p.name, tf.tensor(w, [...p.shape]));
      }
    }
    graph.ops.forEach((_, i) => {
      values[i] = evalKept(tf, graph, i, values, params, x, context);
    });
    const read: { name: string; of: 'activation' | 'output'; v: ArrayLike<number> }[] = [];
    for (const l of graph.layers) read.push({ name: l.name, of: l.act !== undefined ? 'activation' : 'output', v: await values[l.act ?? l.op].data() });
    let lo = Infinity;
    let hi = -Infinity;
    for (const r of read) {
      for (let i = 0; i < r.v.length; i++) {
        const y = r.v[i];
        if (!Number.isFinite(y)) continue;
        if (y < lo) lo = y;
        if (y > hi) hi = y;
      }
    }
    if (!(lo <= hi)) {
      lo = -1;
      hi = 1;
    }
    if (lo === hi) {
      // One value everywhere (all-zero weights): a bin around it.
      lo -= 0.5;
      hi += 0.5;
    }
    const width = (hi - lo) / bins;
    const layers = read.map((r) => {
      const counts = new Array<number>(bins).fill(0);
      let n = 0;
      for (let i = 0; i < r.v.length; i++) {
        const y = r.v[i];
        if (!Number.isFinite(y)) continue;
        counts[Math.min(bins - 1, Math.floor((y - lo) / width))]++;
        n++;
      }
      return { name: r.name, of: r.of, counts, n };
    });
    return { lo, hi, bins, layers };
  } finally {
    x.dispose();
    for (const t of params.values()) t.dispose();
    for (const t of values) t?.dispose();
    disposeContext(context);
  }
}

/** Density points of the histograms (count / (n · bin width) at each bin's centre), for a chart; depth is 1-based. */
export function histogramPoints(h: Histograms): { layer: string; depth: number; x: number; density: number }[] {
  const width = (h.hi - h.lo) / h.bins;
  return h.layers.flatMap((l, d) => l.counts.map((c, i) => ({ layer: l.name, depth: d + 1, x: h.lo + (i + 0.5) * width, density: l.n > 0 ? c / (l.n * width) : 0 })));
}
