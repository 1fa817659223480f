/**
 * The histogram page's GPU sampler (dist/signal/histogramGpu.js, an ES
 * module the page imports on the host's first `gpuSample`, never at panel
 * open): TensorFlow.js on WebGPU, else WebGL, and nothing else. wasm and cpu
 * would be no faster than the extension host's own engine, so without a GPU
 * backend the page answers "no GPU: <reason>" and the host samples as before.
 */
import { backendDetail, type LoadedTf } from '../core/signal/backendChoice';
import { sampleOnTf, type GpuSampleAnswer, type GpuSampleRequest } from '../core/sampling/gpuSample';
import { loadPageTf, SOFTWARE_RENDERER } from './tfBackends';

let loading: Promise<LoadedTf> | undefined;

/** Why there is no GPU backend here ("no GPU: webgpu: …; webgl: …"). */
export class NoGpu extends Error {
  override readonly name = 'NoGpu';
}

/** The device in a few words: "SwiftShader" for Chromium's software renderer, else the renderer or adapter named by the backend. */
export function deviceOf(loaded: Pick<LoadedTf, 'backend' | 'detail'>): string {
  const detail = loaded.detail ?? '';
  if (/swiftshader/i.test(detail)) return 'SwiftShader';
  const name = (loaded.backend === 'webgl' ? detail.replace(/^WebGL \d, /, '') : detail).trim();
  return name.length > 60 ? `${name.slice(0, 59)}…` : name || 'GPU';
}

/** TensorFlow.js with WebGPU or WebGL, loaded once; rejects with {@link NoGpu} where neither starts. */
export function loadGpu(): Promise<LoadedTf> {
  // Loaded once for the page's life, software renderers included: each request says whether it takes one.
  loading ??= loadPageTf('', ['webgpu', 'webgl'], { setting: 'gpu' }).catch((error: unknown) => {
    throw new NoGpu(`no GPU: ${(error instanceof Error ? error.message : String(error)).replace(/^no TensorFlow\.js backend started: /, '')}`);
  });
  return loading;
}

/** Samples `request` on the page's GPU (see core/sampling/gpuSample.ts). */
export async function sample(request: GpuSampleRequest, cancelled: () => boolean): Promise<GpuSampleAnswer> {
  const loaded = await loadGpu();
  if (!request.software && SOFTWARE_RENDERER.test(loaded.detail ?? '')) {
    throw new NoGpu(`no GPU: ${loaded.backend} renders on ${deviceOf(loaded)}, in software, slower than the extension host (initlens.compute.backend "gpu" uses it anyway)`);
  }
  // WebGL's bincount reads its input back to JavaScript; its segment sum stays on the GPU. WebGPU's bincount is a GPU kernel.
  const binning = loaded.backend === 'webgl' ? 'segmentSum' : 'bincount';
  const answer = await sampleOnTf(loaded.tf, { backend: loaded.backend, device: deviceOf(loaded), detail: backendDetail(loaded), binning }, request, cancelled);
  // What TensorFlow.js actually ran on, for the e2e run to compare with what the page names.
  document.documentElement.dataset.gpuBackend = loaded.tf.getBackend();
  return answer;
}
