/**
 * The `worker_threads` pool of `initlens check --jobs N`: N workers running
 * dist/checkWorker.js, each given the next file as soon as it answers (files
 * differ a lot in cost), the outcomes put back in walk order so the output is
 * the same whatever N. With `weights` (file sizes) the heaviest files go
 * first, so that no large file is left for the end while the other workers
 * idle (python3-torch's largest file takes 6% of the whole check, and it
 * comes late in walk order). Workers are terminated when the run ends.
 */
import { Worker } from 'node:worker_threads';
import type { FileOutcome, FileTask } from './checkFile';

/** Files per worker below which a worker is not started (one took 150–170 ms to its first answer, README "initlens check"). */
export const FILES_PER_WORKER = 4;

/**
 * Runs every task on `jobs` workers; rejects on a worker's failure (a defect,
 * reported as one line). `progress` hears of each outcome as it arrives (the
 * editor's workspace check shows them at once). Once `signal` aborts, no
 * further file is handed out, the workers are terminated and the promise
 * resolves with the outcomes so far: the tasks not finished have none
 * (`undefined`).
 */
export async function runPool(
  script: string,
  tasks: readonly FileTask[],
  jobs: number,
  progress?: (done: number, index: number, outcome: FileOutcome) => void,
  weights?: readonly number[],
  signal?: AbortSignal,
): Promise<(FileOutcome | undefined)[]> {
  let done = 0;
  const outcomes: (FileOutcome | undefined)[] = new Array(tasks.length);
  // The order tasks are handed out in; stable, so equal weights keep walk order.
  const order = tasks.map((_, i) => i);
  if (weights) order.sort((a, b) => weights[b] - weights[a] || a - b);
  let next = 0;
  const workers: Worker[] = [];
  const stopped: (() => void)[] = [];
  const abort = () => stopped.forEach((stop) => stop());
  signal?.addEventListener('abort', abort);
  try {
    await Promise.all(
      Array.from({ length: signal?.aborted ? 0 : Math.min(jobs, tasks.length) }, () => {
        const worker = new Worker(script);
        workers.push(worker);
        return new Promise<void>((resolve, reject) => {
          stopped.push(resolve);
          const feed = () => {
            if (next >= tasks.length || signal?.aborted) return resolve();
            const id = order[next++];
            worker.postMessage({ id, task: tasks[id] });
          };
          worker.on('message', (reply: { id: number; outcome?: FileOutcome; error?: string }) => {
            if (reply.outcome === undefined) return reject(new Error(`${tasks[reply.id].path}: ${reply.error ?? 'no outcome'}`));
            if (signal?.aborted) return resolve();
            outcomes[reply.id] = reply.outcome;
            progress?.(++done, reply.id, reply.outcome);
            feed();
          });
          worker.on('error', reject);
          worker.on('exit', (code) => {
            if (!signal?.aborted && (next < tasks.length || code !== 0)) reject(new Error(`a check worker exited (code ${code})`));
          });
          feed();
        });
      }),
    );
  } finally {
    signal?.removeEventListener('abort', abort);
    await Promise.all(workers.map((w) => w.terminate()));
  }
  return outcomes;
}
