/**
 * TensorFlow.js for the signal engine in Node (the CLI; the extension host
 * leaves the computing to the panel's page): `@tensorflow/tfjs-node-gpu`,
 * then `@tensorflow/tfjs-node` where installed and loadable, then the wasm
 * backend (SIMD; its .wasm files beside this bundle), then the cpu backend.
 * Each candidate that did not run is recorded with why.
 *
 * Its own bundle, dist/signalTf.js, required by dist/cli.js only when
 * `initlens propagate` runs: TensorFlow.js is 1.8 MB of JavaScript that
 * `--help`, `analyze` and `check` never need (src/cli.ts).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
// Named imports: the packages' builds are not in their sideEffects lists, so bare imports would be dropped by the bundler.
import { version_cpu } from '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths, version_wasm } from '@tensorflow/tfjs-backend-wasm';
import { describeLoadFailure, nodeRequire, type BackendFailure, type RequireModule } from '../core/sampling/backends';
import type { Tf } from '../core/signal/engine';
import { backendSummary, start, type LoadedTf } from '../core/signal/backendChoice';

export type NodeBackend = 'tfjs-node-gpu' | 'tfjs-node' | 'wasm' | 'cpu';
export const NODE_BACKENDS: readonly NodeBackend[] = ['tfjs-node-gpu', 'tfjs-node', 'wasm', 'cpu'];

export interface LoadOptions {
  /** The candidates, in order (default: all of {@link NODE_BACKENDS}). */
  readonly candidates?: readonly NodeBackend[];
  /** Where the wasm backend's .wasm files are (default: beside this bundle, dist/wasm/, else in node_modules). */
  readonly wasmDir?: string;
  readonly requireModule?: RequireModule;
}

/** The folder holding tfjs-backend-wasm.wasm: dist/wasm beside the bundle, or the package's own dist (tests). */
function defaultWasmDir(): string | undefined {
  const beside = path.join(__dirname, 'wasm');
  if (fs.existsSync(path.join(beside, 'tfjs-backend-wasm.wasm'))) return beside;
  try {
    return path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist');
  } catch {
    return undefined;
  }
}

const message = (error: unknown) => (error instanceof Error ? error.message : String(error)).split('\n')[0];

/** What the default load started, once it has (the Signal panel's host preview reads it: {@link startedSignalTf}). */
let started: LoadedTf | undefined;

/**
 * The backend a default {@link loadSignalTf} already started in this process (the extension host's measured
 * gains load it in the background), or undefined: nothing is loaded by asking.
 */
export function startedSignalTf(): LoadedTf | undefined {
  return started;
}

/** The first candidate that starts, as a `tf` namespace for the engine, with the failures before it. */
export async function loadSignalTf(options: LoadOptions = {}): Promise<LoadedTf> {
  const loaded = await loadFirst(options);
  if (options.candidates === undefined && options.wasmDir === undefined && options.requireModule === undefined) started ??= loaded;
  return loaded;
}

async function loadFirst(options: LoadOptions): Promise<LoadedTf> {
  const failures: BackendFailure[] = [];
  const requireModule = options.requireModule ?? nodeRequire;
  for (const candidate of options.candidates ?? NODE_BACKENDS) {
    try {
      if (candidate === 'tfjs-node-gpu' || candidate === 'tfjs-node') {
        // A native package brings its own tfjs-core (and gradients): its namespace is the engine's tf.
        const native = requireModule(`@tensorflow/${candidate}`) as Tf;
        if (!(await native.setBackend('tensorflow'))) throw new Error('the tensorflow backend did not start');
        return { tf: native, backend: candidate, failures, summary: backendSummary(candidate, failures) };
      }
      if (candidate === 'wasm') {
        void version_wasm;
        const dir = options.wasmDir ?? defaultWasmDir();
        if (!dir) throw new Error('its .wasm files are not found');
        // Node's worker_threads are not Web Workers: the single-threaded SIMD (or plain) build.
        tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
        setWasmPaths(`${dir}${path.sep}`);
        await start(tf, 'wasm');
        const detail = (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) ? 'SIMD, 1 thread' : 'no SIMD, 1 thread';
        return { tf, backend: 'wasm', failures, detail, summary: backendSummary('wasm', failures, detail) };
      }
      void version_cpu;
      await start(tf, 'cpu');
      return { tf, backend: 'cpu', failures, summary: backendSummary('cpu', failures) };
    } catch (error) {
      failures.push({ backend: candidate, reason: candidate.startsWith('tfjs-node') ? describeLoadFailure(`@tensorflow/${candidate}`, error) : message(error) });
    }
  }
  throw new Error(`no TensorFlow.js backend started: ${failures.map((f) => `${f.backend}: ${f.reason}`).join('; ')}`);
}
