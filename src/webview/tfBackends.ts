/**
 * TensorFlow.js in the panels' pages: the first backend that starts in this
 * browser, WebGPU, then WebGL, then wasm (SIMD; threads where the page is
 * cross-origin isolated), then cpu, each imported only when tried (their own
 * chunks). The Signal page (signal/compute.ts) tries them all; the histogram
 * page's GPU sampler (histogramGpu.ts) only the first two.
 */
import * as tf from '@tensorflow/tfjs-core';
import { backendSummary, start, type BackendMiss, type LoadedTf } from '../core/signal/backendChoice';
import type { BackendSetting } from '../core/sampling/backendSetting';

export type PageBackend = 'webgpu' | 'webgl' | 'wasm' | 'cpu';
export const PAGE_BACKENDS: readonly PageBackend[] = ['webgpu', 'webgl', 'wasm', 'cpu'];

/** Renderers and adapters that are the CPU in disguise: slower than wasm on the same CPU. */
export const SOFTWARE_RENDERER = /swiftshader|llvmpipe|softpipe|lavapipe|basic render|software/i;

/**
 * Which of the page's backends a panel may use: `initlens.compute.backend`.
 * `auto` (the default) declines a GPU backend that renders in software,
 * `gpu` takes it, `cpu` takes no GPU backend.
 */
export interface PageBackendOptions {
  readonly setting?: BackendSetting;
}

const SOFTWARE_ADVICE = 'initlens.compute.backend "gpu" uses it anyway';

/** The WebGPU slice of `navigator` (the DOM library of this build has no WebGPU types). */
interface GpuNavigator {
  readonly gpu?: { requestAdapter(): Promise<{ readonly isFallbackAdapter?: boolean; readonly info?: { readonly vendor?: string; readonly architecture?: string; readonly description?: string } } | null> };
}

const message = (error: unknown) => (error instanceof Error ? error.message : String(error)).split('\n')[0];

/** Throws where the setting takes no GPU backend. */
function gpuAllowed(options: PageBackendOptions): void {
  if (options.setting === 'cpu') throw new Error('initlens.compute.backend is "cpu"');
}

async function tryWebGpu(options: PageBackendOptions): Promise<string> {
  gpuAllowed(options);
  const gpu = (navigator as unknown as GpuNavigator).gpu;
  if (!gpu) throw new Error('this browser offers no WebGPU (navigator.gpu is absent)');
  const adapter = await gpu.requestAdapter();
  if (!adapter) throw new Error('no WebGPU adapter (no usable GPU, or it is blocked)');
  const info = adapter.info;
  const name = [info?.vendor, info?.architecture, info?.description].filter((x) => x).join(' ') || 'adapter';
  if (options.setting !== 'gpu' && (adapter.isFallbackAdapter === true || SOFTWARE_RENDERER.test(name))) {
    throw new Error(`${name} renders in software (slower than wasm here; ${SOFTWARE_ADVICE})`);
  }
  await import('@tensorflow/tfjs-backend-webgpu');
  await start(tf, 'webgpu');
  return name;
}

async function tryWebGl(options: PageBackendOptions): Promise<string> {
  gpuAllowed(options);
  const canvas = document.createElement('canvas');
  const gl = (canvas.getContext('webgl2') ?? canvas.getContext('webgl')) as WebGLRenderingContext | null;
  if (!gl) throw new Error('no WebGL context (WebGL disabled, or the GPU is blocked)');
  const info = gl.getExtension('WEBGL_debug_renderer_info');
  const renderer = String(info ? gl.getParameter(info.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER));
  gl.getExtension('WEBGL_lose_context')?.loseContext();
  if (options.setting !== 'gpu' && SOFTWARE_RENDERER.test(renderer)) {
    throw new Error(`${/swiftshader/i.test(renderer) ? 'SwiftShader' : renderer} renders in software (slower than wasm here; ${SOFTWARE_ADVICE})`);
  }
  await import('@tensorflow/tfjs-backend-webgl');
  // 16-bit float textures would lose the signal's small values: float32 or nothing.
  if (!tf.env().getBool('WEBGL_RENDER_FLOAT32_CAPABLE')) throw new Error('this WebGL renders only 16-bit floats');
  await start(tf, 'webgl');
  return `WebGL ${tf.env().getNumber('WEBGL_VERSION')}, ${renderer}`;
}

async function tryWasm(wasmBase: string): Promise<string> {
  const t0 = performance.now();
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  document.documentElement.dataset.wasmImport = String(Math.round(performance.now() - t0));
  wasm.setWasmPaths(wasmBase);
  await start(tf, 'wasm');
  const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
  const threads = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
  const threadText = threads ? `${wasm.getThreadsCount()} threads` : `1 thread${globalThis.crossOriginIsolated ? '' : ': threads need a cross-origin isolated page'}`;
  return `${simd ? 'SIMD' : 'no SIMD'}, ${threadText}`;
}

async function tryCpu(): Promise<string> {
  await import('@tensorflow/tfjs-backend-cpu');
  await start(tf, 'cpu');
  return 'JavaScript';
}

/**
 * The first of `candidates` that starts; `wasmBase` is the folder URL of the
 * .wasm files, ending in `/`. A GPU backend the setting declines is a miss,
 * with that reason.
 */
export async function loadPageTf(wasmBase: string, candidates: readonly PageBackend[] = PAGE_BACKENDS, options: PageBackendOptions = {}): Promise<LoadedTf> {
  const failures: BackendMiss[] = [];
  // How long each candidate took (ms), for the e2e run's timing.
  const timings: Record<string, number> = {};
  const timed = (backend: string, since: number) => {
    timings[backend] = Math.round(performance.now() - since);
    if (typeof document !== 'undefined') document.documentElement.dataset.tfTimings = JSON.stringify(timings);
  };
  for (const backend of candidates) {
    const since = performance.now();
    try {
      const detail = backend === 'webgpu' ? await tryWebGpu(options) : backend === 'webgl' ? await tryWebGl(options) : backend === 'wasm' ? await tryWasm(wasmBase) : await tryCpu();
      timed(backend, since);
      return { tf, backend, failures, detail, summary: backendSummary(backend, failures) };
    } catch (error) {
      timed(backend, since);
      failures.push({ backend, reason: message(error) });
    }
  }
  throw new Error(`no TensorFlow.js backend started: ${failures.map((f) => `${f.backend}: ${f.reason}`).join('; ')}`);
}

