/** The body of a pool task, shared by workers and the in-thread fallback. */
import { tallyChunk } from './chunk';
import { emptyTally, mergeTally, type Moments } from './histogram';
import { planSampling, type SamplingPlan } from './plan';
import type { ChunkTask, ChunkTaskResult } from './protocol';

let cached: { key: string; plan: SamplingPlan } | undefined;

/** Plans are cheap but not free (resolveInit, theory); a worker keeps the last one. */
function planFor(task: ChunkTask): SamplingPlan {
  const key = JSON.stringify(task.request, (_, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
  if (cached?.key !== key) cached = { key, plan: planSampling(task.request) };
  return cached.plan;
}

export function runChunkTask(task: ChunkTask): ChunkTaskResult {
  const abort = new Int32Array(task.abort);
  const chunks: number[] = [];
  const moments: Moments[] = [];
  let error: string | undefined;
  let aborted = false;
  try {
    const plan = planFor(task);
    const total = emptyTally(plan.binSpec.bins);
    for (let chunk = task.first; chunk < task.last; chunk++) {
      if (Atomics.load(abort, 0) !== 0) {
        aborted = true;
        break;
      }
      const tally = tallyChunk(plan, chunk);
      chunks.push(chunk);
      moments.push(tally.moments);
      mergeTally(total, tally);
    }
    return { id: task.id, chunks, moments, counts: total.counts, beyond2: total.beyond2, beyond3: total.beyond3, aborted };
  } catch (e) {
    error = e instanceof Error ? e.message : String(e);
  }
  return { id: task.id, chunks, moments, counts: new Float64Array(0), beyond2: 0, beyond3: 0, aborted, error };
}
