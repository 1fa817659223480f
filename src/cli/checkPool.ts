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

/** Runs every task on `jobs` workers; rejects on a worker's failure (a defect, reported as one line). */
export async function runPool(script: string, tasks: readonly FileTask[], jobs: number, progress?: (done: number) => void, weights?: readonly number[]): Promise<FileOutcome[]> {
  let done = 0;
  const outcomes: FileOutcome[] = new Array(tasks.length);
  // The order tasks are handed out in; stable, so equal weights keep walk order.
  const order = tasks.map((_, i) => i);
  if (weights) order.sort((a, b) => weights[b] - weights[a] || a - b);
  let next = 0;
  const workers: Worker[] = [];
  try {
    await Promise.all(
      Array.from({ length: Math.min(jobs, tasks.length) }, () => {
        const worker = new Worker(script);
        workers.push(worker);
        return new Promise<void>((resolve, reject) => {
          const feed = () => {
            if (next >= tasks.length) return resolve();
            const id = order[next++];
            worker.postMessage({ id, task: tasks[id] });
          };
          worker.on('message', (reply: { id: number; outcome?: FileOutcome; error?: string }) => {
            if (reply.outcome === undefined) return reject(new Error(`${tasks[reply.id].path}: ${reply.error ?? 'no outcome'}`));
            outcomes[reply.id] = reply.outcome;
            progress?.(++done);
            feed();
          });
          worker.on('error', reject);
          worker.on('exit', (code) => {
            if (next < tasks.length || code !== 0) reject(new Error(`a check worker exited (code ${code})`));
          });
          feed();
        });
      }),
    );
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  return outcomes;
}
