/**
 * Entry of `dist/samplingWorker.js`, a `worker_threads` worker of the sampling
 * pool: rebuilds the plan from the request and bins the chunks it is given.
 */
import { parentPort } from 'node:worker_threads';
import { runChunkTask } from './tasks';
import type { ChunkTask } from './protocol';

if (!parentPort) throw new Error('samplingWorker.js must run as a worker thread');
const port = parentPort;
port.on('message', (task: ChunkTask) => {
  const result = runChunkTask(task);
  port.postMessage(result, [result.counts.buffer as ArrayBuffer]);
});
