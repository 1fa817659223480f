/**
 * Which TensorFlow.js backend ran the signal engine, and why the ones tried
 * before it did not, as one short line (the panel's header, the CLI's report)
 * and a detail text (the panel's tooltip). Shared by the Node loader
 * (node/signalTf.ts) and the page's (webview/signal/backends.ts).
 */
import type { Tf } from './engine';

/** One candidate that did not start, and why. */
export interface BackendMiss {
  readonly backend: string;
  readonly reason: string;
}

export interface LoadedTf {
  /** The namespace the engine runs on, its backend set and gradients registered. */
  readonly tf: Tf;
  /** The backend that runs (`webgpu`, `webgl`, `wasm`, `cpu`, `tfjs-node-gpu`, `tfjs-node`). */
  readonly backend: string;
  readonly failures: readonly BackendMiss[];
  /** {@link backendSummary}: the short line. */
  readonly summary: string;
  /** What the backend is (adapter, renderer, SIMD and threads), when known. */
  readonly detail?: string;
}

/** Longest reason kept in the short line; the detail text has the whole of it. */
const SHORT_REASON = 48;

function short(reason: string): string {
  const first = reason.split(/[;(:\n]/)[0].trim();
  return first.length > SHORT_REASON ? `${first.slice(0, SHORT_REASON - 1)}…` : first;
}

/** "wasm (SIMD, 1 thread) · not webgpu: no adapter, not webgl: no WebGL2 context". */
export function backendSummary(backend: string, failures: readonly BackendMiss[], detail?: string): string {
  const ran = `${backend}${detail ? ` (${detail})` : ''}`;
  return failures.length === 0 ? ran : `${ran} · ${failures.map((f) => `not ${f.backend}: ${short(f.reason)}`).join(', ')}`;
}

/** Every candidate tried, in order, with the whole reason: the tooltip. */
export function backendDetail(loaded: Pick<LoadedTf, 'backend' | 'failures' | 'detail'>): string {
  return [...loaded.failures.map((f) => `${f.backend}: ${f.reason}`), `${loaded.backend}: ran${loaded.detail ? ` (${loaded.detail})` : ''}`].join('\n');
}

/**
 * `tf.setBackend(name)`, throwing with the reason TensorFlow.js gives when the
 * backend does not start: it only warns on the console, so its warnings are
 * taken for the reason (and kept off the console, with its advice to install
 * other backends: PROD stays set afterwards).
 */
export async function start(tf: Tf, name: string): Promise<void> {
  const warnings: string[] = [];
  const warn = console.warn;
  console.warn = (...args: unknown[]) => void warnings.push(args.map(String).join(' '));
  tf.env().set('PROD', false);
  try {
    if (await tf.setBackend(name)) return;
  } finally {
    console.warn = warn;
    tf.env().set('PROD', true);
  }
  const reason = warnings.filter((w) => !/^Initialization of backend/.test(w)).map((w) => w.split('\n')[0]).join('; ');
  throw new Error(reason || `the ${name} backend did not start`);
}
