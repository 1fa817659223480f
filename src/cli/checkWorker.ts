/**
 * Entry of `dist/checkWorker.js`, a `worker_threads` worker of `initlens
 * check --jobs N`: each message is one {@link FileTask}, run by the same
 * {@link processFile} as the main thread, on the real file system,
 * with the project's other files read as the main thread reads them.
 */
import { parentPort } from 'node:worker_threads';
import { nodeFiles } from '../node/cliFiles';
import { projectLister } from '../node/workspaceFiles';
import { processFile, type FileTask } from './checkFile';
import { ProjectScan } from './workspace';

if (!parentPort) throw new Error('checkWorker.js must run as a worker thread');
const port = parentPort;
const io = nodeFiles();
// One scan per worker: each project is listed and its files read once per worker, whatever the number of files.
const scan = new ProjectScan({ ...io, project: projectLister() });
port.on('message', (message: { id: number; task: FileTask }) => {
  let reply: { id: number; outcome?: ReturnType<typeof processFile>; error?: string };
  try {
    reply = { id: message.id, outcome: processFile(message.task, io, scan) };
  } catch (error) {
    reply = { id: message.id, error: error instanceof Error ? error.message : String(error) };
  }
  port.postMessage(reply);
});
