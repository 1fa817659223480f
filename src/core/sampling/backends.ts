/**
 * Compute backends behind one interface, chosen by the `initlens.compute.backend`
 * setting (`auto` | `cpu` | `gpu`):
 *
 * - `cpu`: the engine of engine.ts (xoshiro128** + ziggurat, worker pool).
 * - `gpu`: TensorFlow.js through `@tensorflow/tfjs-node-gpu`, then
 *   `@tensorflow/tfjs-node`, then the CPU engine, each failure recorded with
 *   its reason (not installed; native library failed to load, naming the
 *   missing CUDA/cuDNN library; no device).
 * - `auto`: the CPU engine unless a tfjs-node backend loads and a calibration
 *   run measures it faster; the report says what was measured.
 *
 * The tfjs adapter takes the tfjs module as a value, so tests run this very
 * code path with the pure-JS `@tensorflow/tfjs`. Its random numbers come from
 * tfjs's own seeded generator (alea, drawn in JavaScript on every backend), so
 * a tfjs histogram is reproducible per backend but is not the CPU engine's
 * stream.
 */
import type * as Tf from '@tensorflow/tfjs';
import { sampleCpu, finish, type BackendReport, type SampleOptions, type SampleResult } from './engine';
import { emptyTally, mergeMoments, type Tally } from './histogram';
import { chunkState } from './prng';
import { CHUNK_SIZE, planSampling, type SampleRequest, type SamplingPlan } from './plan';

import type { BackendSetting } from './backendSetting';
export { BACKEND_SETTINGS, type BackendSetting } from './backendSetting';

/** The tfjs API the adapter uses: any of `@tensorflow/tfjs`, `-node`, `-node-gpu`. */
export type TfjsModule = Pick<
  typeof Tf,
  'tidy' | 'randomNormal' | 'randomUniform' | 'truncatedNormal' | 'sub' | 'mul' | 'add' | 'floor' | 'clipByValue' | 'cast' | 'bincount' | 'sum' | 'square' | 'min' | 'max' | 'abs' | 'greater' | 'getBackend' | 'stack' | 'ready'
>;

/** One failed candidate and why. */
export interface BackendFailure {
  readonly backend: string;
  readonly reason: string;
}

/** Classifies a `require` failure of a tfjs-node package from its error text. */
export function describeLoadFailure(moduleName: string, error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'MODULE_NOT_FOUND' && message.includes(`'${moduleName}'`)) return `not installed (npm install ${moduleName})`;
  const library = /(lib[\w+-]+\.so(?:\.[\w.]+)?|\w+\.dll)/.exec(message)?.[1];
  if (/CUDA_ERROR_NO_DEVICE|no CUDA-capable device|could not find any GPU|no GPU devices? (?:found|available)/i.test(message)) return 'no device: no CUDA-capable GPU found';
  if (library) {
    const kind = /cudnn/i.test(library) ? 'cuDNN' : /cu(?:da|blas|fft|rand|solver|sparse)|nvrtc|nvinfer/i.test(library) ? 'CUDA' : /tensorflow/i.test(library) ? 'libtensorflow' : 'native';
    return `library failed to load: ${kind} library ${library} is missing (${message.split('\n')[0]})`;
  }
  if (/tfjs_binding\.node/.test(message)) return `library failed to load: the native binding is missing (its install downloads libtensorflow; ${message.split('\n')[0]})`;
  return `failed to load: ${message.split('\n')[0]}`;
}

/** How a module is required; injectable so tests can simulate each failure. */
export type RequireModule = (name: string) => unknown;

/** The real loader: literal requires, left external by esbuild.js and never bundled. */
export const nodeRequire: RequireModule = (name) => {
  // Literal names let esbuild see (and keep external) exactly these two packages.
  if (name === '@tensorflow/tfjs-node-gpu') return require('@tensorflow/tfjs-node-gpu') as unknown;
  if (name === '@tensorflow/tfjs-node') return require('@tensorflow/tfjs-node') as unknown;
  throw new Error(`unexpected module ${name}`);
};

/** A backend that can run a request. */
export interface ComputeBackend {
  readonly name: BackendReport['name'];
  sample(request: SampleRequest, options?: SampleOptions): Promise<SampleResult>;
}

/** Why a plan cannot run on tfjs (structured schemes, truncations other than ±2σ), or undefined. */
export function tfjsUnsupported(plan: SamplingPlan): string | undefined {
  const g = plan.generator;
  if (g.kind === 'uniform' || g.kind === 'normal') return undefined;
  if (g.kind === 'constant') return 'a constant needs no random numbers; the CPU engine bins it analytically';
  if (g.kind === 'truncated_normal') {
    const cut = 2 * g.std;
    const symmetric = Math.abs(g.low - (g.mean - cut)) <= 1e-12 * Math.max(1, Math.abs(cut)) && Math.abs(g.high - (g.mean + cut)) <= 1e-12 * Math.max(1, Math.abs(cut));
    return symmetric ? undefined : 'tf.truncatedNormal only cuts at ±2σ; other bounds run on the CPU engine';
  }
  return `${g.kind} is structured (not i.i.d. draws); it runs on the CPU engine`;
}

/**
 * The tfjs adapter: per chunk of {@link CHUNK_SIZE} elements, draw on the tfjs
 * backend with a seed derived from (seed, chunk), bin with `tf.bincount`, and
 * reduce the moments on the device; only O(bins) numbers come back.
 */
export class TfjsBackend implements ComputeBackend {
  constructor(
    private readonly tf: TfjsModule,
    readonly name: 'tfjs-node-gpu' | 'tfjs-node' | 'tfjs',
    private readonly reason: string,
    private readonly failures: readonly BackendFailure[] = [],
    private readonly summary?: string,
  ) {}

  async sample(request: SampleRequest, options: SampleOptions = {}): Promise<SampleResult> {
    const started = performance.now();
    const plan = planSampling(request);
    const unsupported = tfjsUnsupported(plan);
    if (unsupported) {
      const result = await sampleCpu(request, options);
      return { ...result, backend: { ...result.backend, reason: `${this.name} available, but ${unsupported}`, summary: unsupported, failures: this.failures } };
    }
    await this.tf.ready();
    const tf = this.tf;
    const spec = plan.binSpec;
    const total = emptyTally(spec.bins);
    const g = plan.generator;
    const chunks = Math.ceil(plan.count / CHUNK_SIZE);
    for (let chunk = 0; chunk < chunks; chunk++) {
      if (options.signal?.aborted) throw options.signal.reason ?? new DOMException('sampling was cancelled', 'AbortError');
      const length = Math.min(CHUNK_SIZE, plan.count - chunk * CHUNK_SIZE);
      // tfjs seeds are numbers (alea under the hood): 32 bits of the chunk's state.
      const seed = chunkState(plan.seed, chunk)[0] >>> 0;
      const [stats, counts] = tf.tidy(() => {
        const x =
          g.kind === 'uniform'
            ? tf.randomUniform([length], g.low, g.high, 'float32', seed)
            : g.kind === 'normal'
              ? tf.randomNormal([length], g.mean, g.std, 'float32', seed)
              : g.kind === 'truncated_normal'
                ? tf.truncatedNormal([length], g.mean, g.std, 'float32', seed)
                : unreachable(g.kind);
        const d = tf.sub(x, plan.reference.mean);
        const absD = tf.abs(d);
        const scaled = tf.mul(tf.sub(x, spec.low), spec.bins / (spec.high - spec.low));
        // Slots: 0 underflow, 1..bins the bins, bins+1 overflow (as histogram.ts).
        const slot = tf.cast(tf.clipByValue(tf.add(tf.floor(scaled), 1), 0, spec.bins + 1), 'int32');
        const stat = tf.stack([
          tf.sum(d),
          tf.sum(tf.square(d)),
          tf.min(x),
          tf.max(x),
          tf.sum(tf.cast(tf.greater(absD, 2 * plan.reference.std), 'float32')),
          tf.sum(tf.cast(tf.greater(absD, 3 * plan.reference.std), 'float32')),
        ]);
        return [stat, tf.bincount(slot as Tf.Tensor1D, [], spec.bins + 2)];
      });
      const [s, c] = await Promise.all([stats.data(), counts.data()]);
      stats.dispose();
      counts.dispose();
      addChunk(total, plan, length, s, c);
    }
    const backend: BackendReport = { name: this.name, reason: this.reason, ...(this.summary ? { summary: this.summary } : {}), failures: this.failures };
    return finish(plan, total, backend, started);
  }
}

function unreachable(kind: string): never {
  throw new Error(`tfjs adapter: ${kind} should have been routed to the CPU engine`);
}

function addChunk(total: Tally, plan: SamplingPlan, n: number, s: ArrayLike<number>, c: ArrayLike<number>): void {
  const mean = s[0] / n;
  mergeMoments(total.moments, { count: n, mean: plan.reference.mean + mean, m2: Math.max(0, s[1] - s[0] * mean), min: s[2], max: s[3] });
  total.beyond2 += s[4];
  total.beyond3 += s[5];
  // A value exactly at `high` is in the last bin, like tallyValues (closed upper edge).
  for (let i = 0; i < total.counts.length; i++) total.counts[i] += c[i];
}

/** The CPU engine as a backend. */
export class CpuBackend implements ComputeBackend {
  readonly name = 'cpu';
  constructor(
    private readonly reason: string,
    private readonly failures: readonly BackendFailure[] = [],
    private readonly defaults: SampleOptions = {},
    private readonly summary?: string,
  ) {}

  async sample(request: SampleRequest, options: SampleOptions = {}): Promise<SampleResult> {
    const result = await sampleCpu(request, { ...this.defaults, ...options });
    return { ...result, backend: { ...result.backend, reason: this.reason, ...(this.summary ? { summary: this.summary } : {}), failures: this.failures } };
  }
}

export interface SelectOptions {
  readonly requireModule?: RequireModule;
  /** Passed to the CPU engine (its worker pool). */
  readonly cpu?: SampleOptions;
  /** For `auto`: measures a loaded tfjs backend against the CPU engine. Default: a 2^22-element normal on each. */
  readonly calibrate?: (tfjs: ComputeBackend, cpu: ComputeBackend) => Promise<{ tfjsMs: number; cpuMs: number }>;
}

const TFJS_CANDIDATES = [
  { module: '@tensorflow/tfjs-node-gpu', name: 'tfjs-node-gpu' },
  { module: '@tensorflow/tfjs-node', name: 'tfjs-node' },
] as const;

/** Loads the first tfjs-node package that works, recording each failure. */
export function loadTfjsNode(requireModule: RequireModule = nodeRequire): { tf?: TfjsModule; name?: 'tfjs-node-gpu' | 'tfjs-node'; failures: BackendFailure[] } {
  const failures: BackendFailure[] = [];
  for (const candidate of TFJS_CANDIDATES) {
    try {
      const tf = requireModule(candidate.module) as TfjsModule;
      if (typeof tf?.randomNormal !== 'function') throw new Error(`${candidate.module} does not export the tfjs API`);
      const backend = tf.getBackend();
      if (backend !== 'tensorflow') throw new Error(`no device: ${candidate.module} loaded but its active backend is '${backend}'`);
      return { tf, name: candidate.name, failures };
    } catch (error) {
      failures.push({ backend: candidate.name, reason: describeLoadFailure(candidate.module, error) });
    }
  }
  return { failures };
}

const defaultCalibration = async (tfjs: ComputeBackend, cpu: ComputeBackend) => {
  const request: SampleRequest = { scheme: { kind: 'normal', mean: 0, std: 1 }, shape: [1 << 22], seed: 0 };
  const time = async (b: ComputeBackend) => {
    await b.sample({ ...request, shape: [1 << 16] });
    const t = performance.now();
    await b.sample(request);
    return performance.now() - t;
  };
  return { tfjsMs: await time(tfjs), cpuMs: await time(cpu) };
};

/** Picks the backend for a setting value. The returned backend's reports say which ran and why. */
export async function selectBackend(setting: BackendSetting, options: SelectOptions = {}): Promise<ComputeBackend> {
  if (setting === 'cpu') return new CpuBackend('initlens.compute.backend is "cpu"', [], options.cpu, 'set by initlens.compute.backend');
  const loaded = loadTfjsNode(options.requireModule);
  const failed = loaded.failures.map((f) => `${f.backend}: ${f.reason}`).join('; ');
  const asked = setting === 'gpu' ? 'initlens.compute.backend is "gpu", but ' : '';
  if (!loaded.tf || !loaded.name) {
    // The first failure that is not a plain absence says what went wrong; absence of the optional packages is the usual case.
    const broken = loaded.failures.find((f) => !f.reason.startsWith('not installed'));
    const summary = broken ? `${asked}${broken.backend} could not load (${broken.reason.replace(/ \(.*$/, '')})` : `${asked}the optional TensorFlow.js GPU backend is not installed`;
    return new CpuBackend(`${setting === 'gpu' ? '"gpu" requested' : 'auto'}: no TensorFlow.js backend could be loaded (${failed}); using the CPU engine`, loaded.failures, options.cpu, summary);
  }
  const label = loaded.name === 'tfjs-node-gpu' ? 'CUDA' : 'libtensorflow on the CPU';
  if (setting === 'gpu') return new TfjsBackend(loaded.tf, loaded.name, `"gpu" requested: ${loaded.name} (${label})${failed ? `, after ${failed}` : ''}`, loaded.failures, 'set by initlens.compute.backend');
  const candidate = new TfjsBackend(loaded.tf, loaded.name, '', loaded.failures);
  const cpu = new CpuBackend('', [], options.cpu);
  const { tfjsMs, cpuMs } = await (options.calibrate ?? defaultCalibration)(candidate, cpu);
  const measured = `measured 2^22 normals + histogram: ${loaded.name} ${tfjsMs.toFixed(0)} ms, CPU engine ${cpuMs.toFixed(0)} ms`;
  const times = `${Math.min(tfjsMs, cpuMs).toFixed(0)} vs ${Math.max(tfjsMs, cpuMs).toFixed(0)} ms for 2^22 normals`;
  return tfjsMs < cpuMs
    ? new TfjsBackend(loaded.tf, loaded.name, `auto: ${loaded.name} is faster (${measured})`, loaded.failures, `faster than the CPU engine here (${times})`)
    : new CpuBackend(`auto: the CPU engine is faster (${measured})`, loaded.failures, options.cpu, `faster than ${loaded.name} here (${times})`);
}

/** What each backend is, in the panel's words. */
const BACKEND_LABELS: Record<BackendReport['name'], string> = {
  cpu: 'CPU engine',
  'tfjs-node-gpu': 'TensorFlow.js on the GPU (CUDA)',
  'tfjs-node': 'TensorFlow.js (libtensorflow, CPU)',
  tfjs: 'TensorFlow.js',
};

/**
 * The panel's one line on what computed a histogram and why, e.g.
 * "CPU engine, 8 workers: the optional TensorFlow.js GPU backend is not
 * installed". A VS Code user gets no npm commands here; the CLI prints the
 * full {@link BackendReport.reason} and failures.
 */
export function backendLine(report: BackendReport): string {
  const ran = `${BACKEND_LABELS[report.name]}${report.name === 'cpu' && report.workers ? `, ${report.workers} workers` : ''}`;
  return `${ran}: ${report.summary ?? report.reason}`;
}
