/**
 * TensorFlow.js in the panels' pages: the first backend that starts in this
 * browser, WebGPU, then WebGL, then wasm (SIMD; threads where the page is
 * cross-origin isolated), then cpu, each imported only when tried (their own
 * chunks). The Signal page (signal/compute.ts) tries them all; the histogram
 * page's GPU sampler (histogramGpu.ts) only the first two.
 */
import * as tf from '@tensorflow/tfjs-core';
import { backendSummary, start, type BackendMiss, type LoadedTf } from '../core/signal/backendChoice';

export type PageBackend = 'webgpu' | 'webgl' | 'wasm' | 'cpu';
export const PAGE_BACKENDS: readonly PageBackend[] = ['webgpu', 'webgl', 'wasm', 'cpu'];

/** The WebGPU slice of `navigator` (the DOM library of this build has no WebGPU types). */
interface GpuNavigator {
  readonly gpu?: { requestAdapter(): Promise<{ readonly info?: { readonly vendor?: string; readonly architecture?: string; readonly description?: string } } | null> };
}

const message = (error: unknown) => (error instanceof Error ? error.message : String(error)).split('\n')[0];

async function tryWebGpu(): Promise<string> {
  const gpu = (navigator as unknown as GpuNavigator).gpu;
  if (!gpu) throw new Error('this browser offers no WebGPU (navigator.gpu is absent)');
  const adapter = await gpu.requestAdapter();
  if (!adapter) throw new Error('no WebGPU adapter (no usable GPU, or it is blocked)');
  await import('@tensorflow/tfjs-backend-webgpu');
  await start(tf, 'webgpu');
  const info = adapter.info;
  return [info?.vendor, info?.architecture, info?.description].filter((x) => x).join(' ') || 'adapter';
}

async function tryWebGl(): Promise<string> {
  const canvas = document.createElement('canvas');
  const gl = (canvas.getContext('webgl2') ?? canvas.getContext('webgl')) as WebGLRenderingContext | null;
  if (!gl) throw new Error('no WebGL context (WebGL disabled, or the GPU is blocked)');
  const info = gl.getExtension('WEBGL_debug_renderer_info');
  const renderer = String(info ? gl.getParameter(info.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER));
  gl.getExtension('WEBGL_lose_context')?.loseContext();
  await import('@tensorflow/tfjs-backend-webgl');
  // 16-bit float textures would lose the signal's small values: float32 or nothing.
  if (!tf.env().getBool('WEBGL_RENDER_FLOAT32_CAPABLE')) throw new Error('this WebGL renders only 16-bit floats');
  await start(tf, 'webgl');
  return `WebGL ${tf.env().getNumber('WEBGL_VERSION')}, ${renderer}`;
}

async function tryWasm(wasmBase: string): Promise<string> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
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

/** The first of `candidates` that starts; `wasmBase` is the folder URL of the .wasm files, ending in `/`. */
export async function loadPageTf(wasmBase: string, candidates: readonly PageBackend[] = PAGE_BACKENDS): Promise<LoadedTf> {
  const failures: BackendMiss[] = [];
  for (const backend of candidates) {
    try {
      const detail = backend === 'webgpu' ? await tryWebGpu() : backend === 'webgl' ? await tryWebGl() : backend === 'wasm' ? await tryWasm(wasmBase) : await tryCpu();
      return { tf, backend, failures, detail, summary: backendSummary(backend, failures) };
    } catch (error) {
      failures.push({ backend, reason: message(error) });
    }
  }
  throw new Error(`no TensorFlow.js backend started: ${failures.map((f) => `${f.backend}: ${f.reason}`).join('; ')}`);
}

