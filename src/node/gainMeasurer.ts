/**
 * The extension host's side of the advice's measured gains: one model run by
 * the signal engine (core/advice/measure.ts) on TensorFlow.js as
 * dist/signalTf.js loads it (tfjs-node where installed, else wasm, else cpu).
 * Its own bundle, dist/gainMeasurer.js, required by
 * src/analysis/gainMeasurements.ts on the first model to measure, so that the
 * engine (about 80 KB) and TensorFlow.js (1.8 MB) stay out of activation.
 */
import * as path from 'node:path';
import { measurableGraph, measureModel } from '../core/advice/measure';
import { LimitError } from '../core/limits';
import type { Model, ModelAnalysis } from '../core/model/types';
import type { Tree } from '../core/python/parse';
import type { LoadedTf } from '../core/signal/backendChoice';
import { SignalError } from '../core/signal/engine';
import { ExactInitError } from '../core/torch/init';
import type { MeasureModel, MeasureResult } from '../analysis/gainMeasurements';

/** A measurer on the first backend that starts; throws when none does. */
export async function createMeasurer(): Promise<MeasureModel> {
  const loaded = await (require(path.join(__dirname, 'signalTf.js')) as typeof import('./signalTf')).loadSignalTf();
  return (analysis, judged, tree, text, seed) => measureWith(loaded, analysis, judged, tree, text, seed);
}

async function measureWith(loaded: LoadedTf, analysis: ModelAnalysis, judged: Model, tree: Tree, text: string, seed: (model: Model) => bigint): Promise<MeasureResult> {
  const m = measurableGraph(analysis, judged, tree, text);
  if ('why' in m) return { why: m.why };
  try {
    return { measurement: await measureModel(loaded.tf, loaded.backend, m.model, m.graph, seed(m.model)) };
  } catch (error) {
    if (error instanceof SignalError || error instanceof ExactInitError || error instanceof LimitError) return { why: error.message };
    return { why: `the signal engine failed: ${error instanceof Error ? error.message : String(error)}` };
  }
}
