/**
 * The engine around the kernels: determinism for any worker count, progress
 * and its latency, cancellation, bounded memory on nn.Embedding(250000, 4096),
 * and the compute backends (the tfjs adapter driven by the pure-JS
 * `@tensorflow/tfjs`, selection and its recorded failures).
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { backendLine, describeLoadFailure, loadTfjsNode, selectBackend, TfjsBackend, type TfjsModule } from '../../src/core/sampling/backends';
import { sampleCpu, type SampleProgress, type SampleResult } from '../../src/core/sampling/engine';
import type { SampleRequest } from '../../src/core/sampling/plan';
import { SamplingPool } from '../../src/core/sampling/pool';

const kaiming: SampleRequest = { scheme: { kind: 'kaiming_normal', a: 0, mode: 'fan_in', nonlinearity: 'relu' }, shape: [4096, 2048], seed: 42 };
const embedding: SampleRequest = { scheme: { kind: 'normal', mean: 0, std: 1 }, shape: [250000, 4096], seed: 1 };

/** Everything a result says about the tensor (not timings nor the backend report). */
function essence(r: SampleResult) {
  return { count: r.count, mean: r.mean, std: r.std, min: r.min, max: r.max, b2: r.beyond2Sigma, b3: r.beyond3Sigma, bins: r.bins };
}

const pools: SamplingPool[] = [];
function pool(size: number): SamplingPool {
  const p = new SamplingPool({ size });
  pools.push(p);
  return p;
}
after(async () => {
  await Promise.all(pools.map((p) => p.dispose()));
});

describe('sampling engine: determinism', () => {
  const requests: SampleRequest[] = [
    kaiming,
    { scheme: { kind: 'trunc_normal', mean: 0, std: 0.02, a: -0.04, b: 0.05 }, shape: [3, 1_500_000], seed: '18446744073709551615', bins: 37 },
    { scheme: { kind: 'kaiming_uniform', a: Math.sqrt(5), mode: 'fan_in', nonlinearity: 'leaky_relu' }, shape: [1000, 5000], seed: 5 },
    { scheme: { kind: 'sparse', sparsity: 0.1, std: 0.01 }, shape: [3000, 2000], seed: 5 },
  ];
  it('gives bit-identical results in-thread and with 1, 2 and 4 workers', async () => {
    const sizes = [1, 2, 4].map(pool);
    for (const request of requests) {
      const inline = essence(await sampleCpu(request));
      for (const p of sizes) assert.deepEqual(essence(await sampleCpu(request, { pool: p })), inline, `${request.scheme.kind} with ${p.size} workers`);
      assert.equal(inline.count, request.shape.reduce((a, b) => a * b, 1));
      assert.equal(inline.bins.counts.reduce((a, b) => a + b, 0) + inline.bins.underflow + inline.bins.overflow, inline.count);
    }
  });

  it('changes with the seed', async () => {
    const a = await sampleCpu({ ...kaiming, shape: [256, 784] });
    const b = await sampleCpu({ ...kaiming, shape: [256, 784], seed: 43 });
    assert.notDeepEqual(a.bins.counts, b.bins.counts);
    assert.notEqual(a.mean, b.mean);
  });
});

describe('sampling engine: progress and cancellation', () => {
  it('reports a subsample histogram first, then refinements, then done', async () => {
    const phases: SampleProgress['phase'][] = [];
    const done: number[] = [];
    const result = await sampleCpu({ ...kaiming, shape: [4096, 4096] }, { pool: pool(2), onProgress: (p) => (phases.push(p.phase), done.push(p.done)) });
    assert.equal(phases[0], 'subsample');
    assert.equal(done[0], 65536);
    assert.equal(phases.at(-1), 'done');
    assert.equal(done.at(-1), result.count);
    assert.deepEqual([...done].sort((a, b) => a - b), done, 'progress only grows');
  });

  it('delivers the first histogram of a 1e9-element tensor within 100 ms', async () => {
    const controller = new AbortController();
    const started = performance.now();
    let first: number | undefined;
    const run = sampleCpu(embedding, {
      pool: pool(2),
      signal: controller.signal,
      onProgress: (p) => {
        first ??= performance.now() - started;
        if (p.summary.count > 0) controller.abort();
      },
    });
    await assert.rejects(run, { name: 'AbortError' });
    assert.ok(first !== undefined && first < 100, `first progress after ${first} ms`);
  });

  it('stops promptly when aborted, and the pool stays usable', async () => {
    const p = pool(2);
    const controller = new AbortController();
    const run = sampleCpu(embedding, { pool: p, signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    const t = performance.now();
    await assert.rejects(run, { name: 'AbortError' });
    assert.ok(performance.now() - t < 1000, 'aborted within a second');
    const again = await sampleCpu({ ...kaiming, shape: [256, 784] }, { pool: p });
    assert.equal(again.count, 256 * 784);
  });

  it('an aborted request rejects with its reason while the next one completes on the same pool', async () => {
    const p = pool(2);
    const controller = new AbortController();
    const first = sampleCpu(embedding, { pool: p, signal: controller.signal });
    controller.abort(new DOMException('superseded by a newer sampling request', 'AbortError'));
    const second = sampleCpu({ ...kaiming, shape: [512, 512] }, { pool: p });
    await assert.rejects(first, (e: unknown) => e instanceof DOMException && e.name === 'AbortError' && /superseded/.test(e.message));
    assert.equal((await second).count, 512 * 512);
  });
});

describe('sampling engine: bounded memory', () => {
  it('nn.Embedding(250000, 4096): 1.024e9 weights with peak RSS growth ≤ 64 MB', async () => {
    const p = pool(2);
    await sampleCpu({ ...kaiming, shape: [1024, 1024 * 8] }, { pool: p }); // start and warm the workers first
    global.gc?.();
    const base = process.memoryUsage().rss;
    let peak = base;
    const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
    try {
      const result = await sampleCpu(embedding, { pool: p, onProgress: () => (peak = Math.max(peak, process.memoryUsage().rss)) });
      peak = Math.max(peak, process.memoryUsage().rss);
      assert.equal(result.count, 1_024_000_000);
      // Mean of N(0,1) over 1e9 draws: within 5/√n.
      assert.ok(Math.abs(result.mean) < 5 / Math.sqrt(result.count), `mean ${result.mean}`);
      assert.ok(Math.abs(result.std - 1) < 5 * Math.sqrt(2 / (4 * result.count)), `std ${result.std}`);
      const growth = (peak - base) / 2 ** 20;
      console.log(`1.024e9 normals: ${(result.elapsedMs / 1000).toFixed(1)} s, ${(result.count / result.elapsedMs / 1e3).toFixed(0)} M/s, peak RSS growth ${growth.toFixed(1)} MB`);
      assert.ok(growth <= 64, `peak RSS grew by ${growth.toFixed(1)} MB`);
    } finally {
      clearInterval(timer);
    }
  });
});

describe('sampling backends', () => {
  it('the tfjs adapter (pure-JS @tensorflow/tfjs injected) bins a seeded normal, reproducibly, with the right moments', async () => {
    const backend = new TfjsBackend(tf as TfjsModule, 'tfjs', 'injected for the test');
    const request: SampleRequest = { scheme: { kind: 'normal', mean: 1, std: 3 }, shape: [1500, 1000], seed: 9, bins: 30 };
    const a = await backend.sample(request);
    const b = await backend.sample(request);
    assert.deepEqual(essence(a), essence(b));
    assert.equal(a.backend.name, 'tfjs');
    assert.equal(a.count, 1.5e6);
    assert.equal(a.bins.counts.reduce((x, y) => x + y, 0) + a.bins.underflow + a.bins.overflow, a.count);
    assert.ok(Math.abs(a.mean - 1) < (5 * 3) / Math.sqrt(a.count), `mean ${a.mean}`);
    assert.ok(Math.abs(a.std - 3) < 5 * 3 * Math.sqrt(2 / (4 * a.count)), `std ${a.std}`);
    // Bin counts against the expected counts: each within 6 binomial standard deviations.
    a.bins.counts.forEach((c, i) => {
      const e = a.theory.expected[i];
      assert.ok(Math.abs(c - e) < 6 * Math.sqrt(e) + 1, `bin ${i}: ${c} vs ${e}`);
    });
    // Keras's ±2σ truncation maps onto tf.truncatedNormal.
    const keras = await backend.sample({ scheme: { kind: 'variance_scaling', scale: 2, mode: 'fan_in', distribution: 'truncated_normal' }, shape: [300, 1000], framework: 'keras', seed: 1 });
    assert.equal(keras.backend.name, 'tfjs');
    const g = keras.plan.generator;
    assert.ok(g.kind === 'truncated_normal' && keras.min >= Math.fround(g.low) && keras.max <= Math.fround(g.high));
    // Structured schemes fall back to the CPU engine and say why.
    const eye = await backend.sample({ scheme: { kind: 'eye' }, shape: [4, 4], seed: 0 });
    assert.equal(eye.backend.name, 'cpu');
    assert.match(eye.backend.reason, /eye is structured/);
  });

  it('classifies load failures: not installed, missing CUDA/cuDNN library, missing binding, no device', () => {
    const notFound = Object.assign(new Error("Cannot find module '@tensorflow/tfjs-node-gpu'\nRequire stack: …"), { code: 'MODULE_NOT_FOUND' });
    assert.equal(describeLoadFailure('@tensorflow/tfjs-node-gpu', notFound), 'not installed (npm install @tensorflow/tfjs-node-gpu)');
    assert.match(
      describeLoadFailure('@tensorflow/tfjs-node-gpu', new Error('libcudnn.so.8: cannot open shared object file: No such file or directory')),
      /^library failed to load: cuDNN library libcudnn\.so\.8 is missing/,
    );
    assert.match(describeLoadFailure('@tensorflow/tfjs-node-gpu', new Error('libcudart.so.11.0: cannot open shared object file')), /CUDA library libcudart\.so\.11\.0/);
    assert.match(
      describeLoadFailure('@tensorflow/tfjs-node', Object.assign(new Error("Cannot find module '/x/lib/napi-v8/tfjs_binding.node'"), { code: 'MODULE_NOT_FOUND' })),
      /native binding is missing/,
    );
    assert.match(describeLoadFailure('@tensorflow/tfjs-node-gpu', new Error('CUDA_ERROR_NO_DEVICE: no CUDA-capable device is detected')), /^no device/);
  });

  it('selection: cpu is cpu; gpu and auto fall back in order, recording each failure', async () => {
    assert.equal((await selectBackend('cpu')).name, 'cpu');
    const missing = (name: string) => {
      throw Object.assign(new Error(`Cannot find module '${name}'`), { code: 'MODULE_NOT_FOUND' });
    };
    const gpu = await selectBackend('gpu', { requireModule: missing });
    const r = await gpu.sample({ scheme: { kind: 'zeros' }, shape: [2, 2], seed: 0 });
    assert.equal(r.backend.name, 'cpu');
    assert.deepEqual(
      r.backend.failures?.map((f) => f.backend),
      ['tfjs-node-gpu', 'tfjs-node'],
    );
    assert.match(r.backend.reason, /"gpu" requested: no TensorFlow\.js backend could be loaded/);
    // The real loader on this machine: neither package is installed (the GPU one fails to install offline).
    const real = loadTfjsNode();
    assert.equal(real.tf, undefined);
    assert.equal(real.failures.length, 2);
    // A loaded tfjs-node-gpu: gpu takes it; auto takes whichever the calibration measures faster.
    const fakeGpu = ({ ...tf, getBackend: () => 'tensorflow' }) as TfjsModule;
    const only = (name: string) => (name === '@tensorflow/tfjs-node-gpu' ? fakeGpu : missing(name));
    assert.equal((await selectBackend('gpu', { requireModule: only })).name, 'tfjs-node-gpu');
    const slowTf = await selectBackend('auto', { requireModule: only, calibrate: async () => ({ tfjsMs: 50, cpuMs: 10 }) });
    const auto = await slowTf.sample({ scheme: { kind: 'normal', mean: 0, std: 1 }, shape: [10], seed: 0 });
    assert.equal(auto.backend.name, 'cpu');
    assert.match(auto.backend.reason, /auto: the CPU engine is faster \(measured .*tfjs-node-gpu 50 ms, CPU engine 10 ms\)/);
    assert.equal((await selectBackend('auto', { requireModule: only, calibrate: async () => ({ tfjsMs: 5, cpuMs: 10 }) })).name, 'tfjs-node-gpu');
    // A package that loads but has no device behind it.
    const noDevice = ({ ...tf, getBackend: () => 'cpu' }) as TfjsModule;
    const loaded = loadTfjsNode((name) => (name === '@tensorflow/tfjs-node-gpu' ? noDevice : missing(name)));
    assert.match(loaded.failures[0].reason, /no device/);
  });

  it("the panel's backend line says in a few words what ran and why, with no install commands", async () => {
    const missing = (name: string) => {
      throw Object.assign(new Error(`Cannot find module '${name}'`), { code: 'MODULE_NOT_FOUND' });
    };
    const zeros = { scheme: { kind: 'zeros' }, shape: [2, 2], seed: 0 } as const;
    const line = async (setting: 'auto' | 'cpu' | 'gpu', requireModule: (name: string) => unknown, calibrate?: () => Promise<{ tfjsMs: number; cpuMs: number }>) =>
      backendLine((await (await selectBackend(setting, { requireModule, ...(calibrate ? { calibrate } : {}) })).sample({ ...zeros, scheme: { kind: 'normal', mean: 0, std: 1 } })).backend);
    assert.equal(await line('auto', missing), 'CPU engine: the optional TensorFlow.js GPU backend is not installed');
    assert.equal(await line('gpu', missing), 'CPU engine: initlens.compute.backend is "gpu", but the optional TensorFlow.js GPU backend is not installed');
    assert.equal(await line('cpu', missing), 'CPU engine: set by initlens.compute.backend');
    const cuda = (name: string) => {
      if (name === '@tensorflow/tfjs-node-gpu') throw new Error('libcudart.so.11.0: cannot open shared object file: No such file or directory');
      return missing(name);
    };
    assert.equal(await line('gpu', cuda), 'CPU engine: initlens.compute.backend is "gpu", but tfjs-node-gpu could not load (library failed to load: CUDA library libcudart.so.11.0 is missing)');
    const fakeGpu = ({ ...tf, getBackend: () => 'tensorflow' }) as TfjsModule;
    const only = (name: string) => (name === '@tensorflow/tfjs-node-gpu' ? fakeGpu : missing(name));
    assert.equal(await line('auto', only, async () => ({ tfjsMs: 50, cpuMs: 10 })), 'CPU engine: faster than tfjs-node-gpu here (10 vs 50 ms for 2^22 normals)');
    assert.equal(await line('auto', only, async () => ({ tfjsMs: 5, cpuMs: 10 })), 'TensorFlow.js on the GPU (CUDA): faster than the CPU engine here (5 vs 10 ms for 2^22 normals)');
    assert.equal(await line('gpu', only), 'TensorFlow.js on the GPU (CUDA): set by initlens.compute.backend');
    assert.equal(backendLine({ name: 'cpu', reason: 'r', summary: 's', workers: 8 }), 'CPU engine, 8 workers: s');
    for (const setting of ['auto', 'gpu'] as const) assert.doesNotMatch(await line(setting, missing), /npm/);
  });
});
