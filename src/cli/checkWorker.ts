/**
 * Entry of `dist/checkWorker.js`, a `worker_threads` worker of `initlens
 * check --jobs N`: each message is one {@link FileTask}, run by the same
 * {@link processFile} as the main thread, on the real file system.
 */
import { parentPort } from 'node:worker_threads';
import { nodeFiles } from '../node/cliFiles';
import { processFile, type FileTask } from './checkFile';

if (!parentPort) throw new Error('checkWorker.js must run as a worker thread');
const port = parentPort;
const io = nodeFiles();
port.on('message', (message: { id: number; task: FileTask }) => {
  let reply: { id: number; outcome?: ReturnType<typeof processFile>; error?: string };
  try {
    reply = { id: message.id, outcome: processFile(message.task, io) };
  } catch (error) {
    reply = { id: message.id, error: error instanceof Error ? error.message : String(error) };
  }
  port.postMessage(reply);
});
