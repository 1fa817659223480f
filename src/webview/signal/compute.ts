/**
 * The Signal page's compute module (dist/signal/compute.js, an ES module
 * the page imports when it starts, while the host prepares the first job:
 * never at extension activation): TensorFlow.js
 * with the first backend that starts in this browser, WebGPU, then WebGL,
 * then wasm (SIMD; threads where the page is cross-origin isolated), then
 * cpu, each imported only when tried (their own chunks), and the very engine
 * of core/signal run on it.
 */
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import type { LoadedTf } from '../../core/signal/backendChoice';
import type { SignalStats } from '../../core/signal/engine';
import { formWeights } from '../../core/signal/formed';
import { layerHistograms, type Histograms } from '../../core/signal/histograms';
import { lsuvWeights, runScheme } from '../../core/signal/lsuv';
import type { SignalHostMessage } from '../signalProtocol';

export { loadPageTf, PAGE_BACKENDS, type PageBackend } from '../tfBackends';

type Job = Extract<SignalHostMessage, { type: 'job' }>;
type Run = Job['runs'][number];

/** Each run's weights, formed here once (core/signal/formed.ts: the host sends most as draws of the seeded generator). */
const formedWeights = new WeakMap<Run, ReadonlyMap<string, Float32Array>>();
export function weightsOf(run: Run): ReadonlyMap<string, Float32Array> {
  let w = formedWeights.get(run);
  if (!w) formedWeights.set(run, (w = formWeights(run.weights)));
  return w;
}

/**
 * Runs each scheme of `job` in turn, as `next` gives them (the host posts
 * them as it prepares them: `next` waits for the one not there yet, and
 * resolves undefined after the last), calling `onRun` after each (the page
 * draws then) and yielding to the page in between, so progress shows and a
 * cancel click is seen; resolves to the number of schemes run.
 */
export async function runJob(loaded: LoadedTf, job: Job, next: (index: number) => Promise<Job['runs'][number] | undefined>, onRun: (index: number, stats: SignalStats) => void, cancelled: () => boolean): Promise<number> {
  let done = 0;
  for (let i = 0; ; i++) {
    const run = await next(i);
    if (!run || cancelled()) break;
    const weights = weightsOf(run);
    const stats = await runScheme(loaded.tf, job.graph, { weights, lsuv: run.lsuv === true }, job.input, job.upstream);
    done++;
    onRun(i, stats);
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
  return done;
}

/** The Glorot & Bengio view of one scheme of `job`: its layers' activation histograms (LSUV's weights rescaled first, as its run did). */
export async function histogramsOf(loaded: LoadedTf, job: Job, index: number): Promise<Histograms> {
  const run = job.runs[index];
  let weights = weightsOf(run);
  if (run.lsuv) weights = (await lsuvWeights(loaded.tf, job.graph, weights, job.input)).weights;
  return layerHistograms(loaded.tf, job.graph, weights, job.input);
}
