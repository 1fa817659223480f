/**
 * A `worker_threads` pool for the sampling engine: sized to the machine
 * (`os.availableParallelism()`), workers started lazily on the first task,
 * unref'd while idle so they never keep a process alive, and terminated by
 * {@link SamplingPool.dispose}.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { ChunkTask, ChunkTaskResult } from './protocol';

export interface PoolOptions {
  /** Number of workers; default `os.availableParallelism()`. */
  readonly size?: number;
  /** Path of the bundled worker script; default {@link defaultWorkerScript}. */
  readonly workerScript?: string;
}

/**
 * `samplingWorker.js` next to the running bundle (`dist/` for the extension and
 * the CLI), else in `dist/` of the nearest InitLens package above it (tests and
 * benchmarks run from `out/`).
 */
export function defaultWorkerScript(from: string = __dirname): string {
  const beside = path.join(from, 'samplingWorker.js');
  if (fs.existsSync(beside)) return beside;
  for (let dir = from; ; dir = path.dirname(dir)) {
    const manifest = path.join(dir, 'package.json');
    if (fs.existsSync(manifest)) {
      try {
        if ((JSON.parse(fs.readFileSync(manifest, 'utf8')) as { name?: string }).name === 'initlens') {
          const script = path.join(dir, 'dist', 'samplingWorker.js');
          if (fs.existsSync(script)) return script;
          throw new Error(`${script} is missing: run 'node esbuild.js' first`);
        }
      } catch (error) {
        if (error instanceof SyntaxError) continue;
        throw error;
      }
    }
    if (path.dirname(dir) === dir) throw new Error(`samplingWorker.js not found beside ${from} nor in an InitLens dist/ above it`);
  }
}

interface Slot {
  readonly worker: Worker;
  busy?: { readonly resolve: (r: ChunkTaskResult) => void; readonly reject: (e: Error) => void };
}

type Task = Omit<ChunkTask, 'id'>;

export class SamplingPool {
  readonly size: number;
  private readonly script: string | undefined;
  private readonly slots: Slot[] = [];
  private readonly queue: { task: Task; resolve: (r: ChunkTaskResult) => void; reject: (e: Error) => void }[] = [];
  private nextId = 1;
  private disposed = false;

  constructor(options: PoolOptions = {}) {
    const size = options.size ?? os.availableParallelism();
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`pool size must be a positive integer, got ${size}`);
    this.size = size;
    this.script = options.workerScript;
  }

  /** Workers started so far (they start on demand). */
  get started(): number {
    return this.slots.length;
  }

  /** Runs one task on the next free worker. */
  run(task: Task): Promise<ChunkTaskResult> {
    if (this.disposed) return Promise.reject(new Error('sampling pool is disposed'));
    return new Promise((resolve, reject) => {
      this.queue.push({ task, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    while (this.queue.length > 0) {
      let slot = this.slots.find((s) => !s.busy);
      if (!slot && this.slots.length < this.size) slot = this.spawn();
      if (!slot) return;
      const next = this.queue.shift()!;
      slot.busy = { resolve: next.resolve, reject: next.reject };
      // Busy workers keep the process alive until they answer; idle ones do not.
      slot.worker.ref();
      slot.worker.postMessage({ ...next.task, id: this.nextId++ } satisfies ChunkTask);
    }
  }

  private spawn(): Slot {
    const worker = new Worker(this.script ?? defaultWorkerScript());
    const slot: Slot = { worker };
    worker.unref();
    worker.on('message', (result: ChunkTaskResult) => {
      const busy = slot.busy;
      slot.busy = undefined;
      worker.unref();
      busy?.resolve(result);
      this.pump();
    });
    worker.on('error', (error) => {
      // A crashed worker is replaced on the next pump; its task fails.
      this.slots.splice(this.slots.indexOf(slot), 1);
      slot.busy?.reject(error);
      slot.busy = undefined;
      this.pump();
    });
    this.slots.push(slot);
    return slot;
  }

  /** Terminates every worker; pending tasks are rejected. */
  async dispose(): Promise<void> {
    this.disposed = true;
    for (const q of this.queue.splice(0)) q.reject(new Error('sampling pool is disposed'));
    const slots = this.slots.splice(0);
    for (const s of slots) s.busy?.reject(new Error('sampling pool is disposed'));
    await Promise.all(slots.map((s) => s.worker.terminate()));
  }
}
