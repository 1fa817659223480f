/**
 * The CPU sampling engine: progressive, cancellable, optionally parallel.
 *
 * 1. A coarse histogram of the tensor's first {@link SUBSAMPLE_SIZE} elements
 *    is computed in-thread and reported at once (well under 100 ms for any
 *    tensor size, since it never depends on the size).
 * 2. The whole tensor is then binned chunk by chunk, on the worker pool when
 *    one is given, with progress reports (at most every 50 ms) and checks of
 *    the `AbortSignal` between chunks.
 * 3. Per-chunk moments are merged in chunk order and counts are integer sums,
 *    so the result is bit-identical for any number of workers.
 */
import { tallyChunk } from './chunk';
import { binEdges, emptyMoments, emptyTally, mergeMoments, mergeTally, type Moments, type Tally } from './histogram';
import { planSampling, SUBSAMPLE_SIZE, type SampleRequest, type SamplingPlan } from './plan';
import type { SamplingPool } from './pool';
import type { ChunkTaskResult } from './protocol';
import { runChunkTask } from './tasks';
import { expectedCounts, theoryDensity, type Theory } from './theory';

/** Which compute backend produced a result, and why it was chosen. */
export interface BackendReport {
  /** `cpu` (this engine), or the tfjs package that ran. */
  readonly name: 'cpu' | 'tfjs-node-gpu' | 'tfjs-node' | 'tfjs';
  readonly reason: string;
  /** Why this backend ran, in a few words for the panel (no install steps: see {@link backendLine}). */
  readonly summary?: string;
  /** Workers used by the CPU engine (0: in-thread). */
  readonly workers?: number;
  /** Candidates that were tried and failed, in order, each with its reason. */
  readonly failures?: readonly { readonly backend: string; readonly reason: string }[];
}

/** Histogram and statistics of a tensor (or, during progress, of the part binned so far). */
export interface SampleSummary {
  readonly count: number;
  readonly mean: number;
  /** Population standard deviation (ddof = 0, like numpy's default). */
  readonly std: number;
  readonly min: number;
  readonly max: number;
  /** Share of elements with |x − μ| > 2σ and > 3σ, μ and σ the scheme's theoretical mean and std. */
  readonly beyond2Sigma: number;
  readonly beyond3Sigma: number;
  readonly bins: { readonly edges: number[]; readonly counts: number[]; readonly underflow: number; readonly overflow: number };
}

export interface SampleResult extends SampleSummary {
  readonly plan: SamplingPlan;
  readonly backend: BackendReport;
  /** The overlay: the distribution, its density at the bin centres and the expected counts per bin. */
  readonly theory: Theory & { readonly std: number; readonly density: number[]; readonly expected: number[] };
  readonly elapsedMs: number;
}

export interface SampleProgress {
  /** `subsample`: the first coarse histogram; `refine`: part of the tensor; `done`: all of it. */
  readonly phase: 'subsample' | 'refine' | 'done';
  readonly done: number;
  readonly total: number;
  readonly summary: SampleSummary;
  readonly elapsedMs: number;
}

export interface SampleOptions {
  readonly onProgress?: (progress: SampleProgress) => void;
  readonly signal?: AbortSignal;
  /** Worker pool; without one, chunks run in this thread, yielding between chunks. */
  readonly pool?: SamplingPool;
}

/** Chunks per pool task: about 4M elements, 30–60 ms, which bounds cancellation latency. */
const CHUNKS_PER_TASK = 2;
const PROGRESS_INTERVAL_MS = 50;

/** Rejection value of a cancelled request (a DOMException named AbortError, like fetch's). */
function abortError(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('sampling was cancelled', 'AbortError');
}

export function summarize(plan: SamplingPlan, tally: Tally): SampleSummary {
  const m = tally.moments;
  const bins = plan.binSpec.bins;
  return {
    count: m.count,
    mean: m.mean,
    std: m.count > 0 ? Math.sqrt(m.m2 / m.count) : 0,
    min: m.min,
    max: m.max,
    beyond2Sigma: m.count > 0 ? tally.beyond2 / m.count : 0,
    beyond3Sigma: m.count > 0 ? tally.beyond3 / m.count : 0,
    bins: { edges: binEdges(plan.binSpec), counts: Array.from(tally.counts.subarray(1, bins + 1)), underflow: tally.counts[0], overflow: tally.counts[bins + 1] },
  };
}

/** The final result: summary, theory overlay and the backend report. */
export function finish(plan: SamplingPlan, tally: Tally, backend: BackendReport, started: number): SampleResult {
  const summary = summarize(plan, tally);
  const edges = summary.bins.edges;
  const centres = edges.slice(0, -1).map((e, i) => (e + edges[i + 1]) / 2);
  return {
    ...summary,
    plan,
    backend,
    theory: {
      ...plan.theory,
      std: plan.resolved.std,
      density: centres.map((x) => theoryDensity(plan.theory, x)),
      expected: expectedCounts(plan.theory, edges, plan.count),
    },
    elapsedMs: performance.now() - started,
  };
}

/**
 * Samples `request` on the CPU. Resolves with the full-tensor result; rejects
 * with `signal.reason` when aborted, or a `SamplingError` for a bad request.
 */
export async function sampleCpu(request: SampleRequest, options: SampleOptions = {}): Promise<SampleResult> {
  const started = performance.now();
  const { signal, onProgress, pool } = options;
  const plan = planSampling(request);
  if (signal?.aborted) throw abortError(signal);
  const elapsed = () => performance.now() - started;

  // Orthogonal_ is one dense QR: there is no cheap prefix to show first.
  if (plan.chunks > 1 || (plan.count > SUBSAMPLE_SIZE && plan.generator.kind !== 'orthogonal')) {
    const head = tallyChunk(plan, 0, SUBSAMPLE_SIZE);
    onProgress?.({ phase: 'subsample', done: head.moments.count, total: plan.count, summary: summarize(plan, head), elapsedMs: elapsed() });
  }

  const perChunk: (Moments | undefined)[] = new Array(plan.chunks);
  const running = emptyTally(plan.binSpec.bins);
  let done = 0;
  let lastReport = performance.now();
  const absorb = (result: ChunkTaskResult) => {
    if (result.error !== undefined) throw new Error(result.error);
    result.chunks.forEach((chunk, i) => {
      perChunk[chunk] = result.moments[i];
      mergeMoments(running.moments, result.moments[i]);
    });
    for (let i = 0; i < running.counts.length; i++) running.counts[i] += result.counts[i];
    running.beyond2 += result.beyond2;
    running.beyond3 += result.beyond3;
    done += result.chunks.length;
    if (onProgress && done < plan.chunks && performance.now() - lastReport >= PROGRESS_INTERVAL_MS) {
      lastReport = performance.now();
      onProgress({ phase: 'refine', done: running.moments.count, total: plan.count, summary: summarize(plan, running), elapsedMs: elapsed() });
    }
  };

  const abortBuffer = new SharedArrayBuffer(4);
  const abortFlag = new Int32Array(abortBuffer);
  const tasks: { first: number; last: number }[] = [];
  for (let first = 0; first < plan.chunks; first += CHUNKS_PER_TASK) tasks.push({ first, last: Math.min(plan.chunks, first + CHUNKS_PER_TASK) });

  const useWorkers = pool !== undefined && plan.chunks > 1;
  if (useWorkers) {
    const onAbort = () => Atomics.store(abortFlag, 0, 1);
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      await new Promise<void>((resolve, reject) => {
        let next = 0;
        let inFlight = 0;
        let failed = false;
        const fail = (error: unknown) => {
          if (failed) return;
          failed = true;
          Atomics.store(abortFlag, 0, 1);
          reject(error);
        };
        signal?.addEventListener('abort', () => fail(abortError(signal)), { once: true });
        const launch = () => {
          // Keep every worker busy plus one task queued, so none idles between tasks.
          while (!failed && next < tasks.length && inFlight < pool.size + 1) {
            const t = tasks[next++];
            inFlight++;
            pool.run({ request, first: t.first, last: t.last, abort: abortBuffer }).then(
              (result) => {
                inFlight--;
                if (failed) return;
                try {
                  absorb(result);
                } catch (error) {
                  fail(error);
                  return;
                }
                if (next === tasks.length && inFlight === 0) resolve();
                else launch();
              },
              (error: unknown) => fail(error),
            );
          }
        };
        launch();
      });
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  } else {
    for (const t of tasks) {
      for (let chunk = t.first; chunk < t.last; chunk++) {
        absorb(runChunkTask({ id: 0, request, first: chunk, last: chunk + 1, abort: abortBuffer }));
        // Yield so that an abort (or a newer request) is seen between chunks.
        if (plan.chunks > 1) await new Promise<void>((r) => setImmediate(r));
        if (signal?.aborted) throw abortError(signal);
      }
    }
  }
  if (signal?.aborted) throw abortError(signal);

  // Deterministic final statistics: moments folded in chunk order.
  const final = emptyTally(plan.binSpec.bins);
  final.counts.set(running.counts);
  final.beyond2 = running.beyond2;
  final.beyond3 = running.beyond3;
  const moments = emptyMoments();
  for (const m of perChunk) if (m) mergeMoments(moments, m);
  Object.assign(final.moments, moments);
  const backend: BackendReport = {
    name: 'cpu',
    reason: 'CPU engine (xoshiro128** + ziggurat)',
    workers: useWorkers ? pool.size : 0,
  };
  const result = finish(plan, final, backend, started);
  onProgress?.({ phase: 'done', done: plan.count, total: plan.count, summary: result, elapsedMs: elapsed() });
  return result;
}

/** Reference tally of a whole plan in this thread, chunks merged in order (what the engine yields for any worker count). */
export function tallyAll(plan: SamplingPlan): Tally {
  const total = emptyTally(plan.binSpec.bins);
  for (let chunk = 0; chunk < plan.chunks; chunk++) mergeTally(total, tallyChunk(plan, chunk));
  return total;
}
