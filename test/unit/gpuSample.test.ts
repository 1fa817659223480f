/**
 * The histogram page's GPU sampler (core/sampling/gpuSample.ts), its protocol
 * messages (webview/protocol.ts) and the host's client (panel/pageGpu.ts),
 * run on tfjs-core's cpu backend: the very tensor code the page runs on
 * WebGPU/WebGL (the e2e run, test/e2e/histogramGpu.test.ts, runs it there).
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
// A named import: the package's node build is not in its sideEffects list, so a bare import would be dropped by the bundler.
import { version_cpu } from '@tensorflow/tfjs-backend-cpu';
import { LIMITS } from '../../src/core/limits';
import { sampleCpu } from '../../src/core/sampling/engine';
import {
  answerProblem,
  binOnTf,
  chunkStates,
  GRID_COLUMNS,
  gpuChunks,
  gpuRequestFor,
  gpuSkipReason,
  normalQuantileOnTf,
  sampleOnTf,
  statesOnTf,
  tallyOfAnswer,
  WH_MODULI,
  WH_MULTIPLIERS,
  type GpuSampleAnswer,
  type GpuSampleRequest,
} from '../../src/core/sampling/gpuSample';
import { planSampling, type SampleRequest } from '../../src/core/sampling/plan';
import { summarize } from '../../src/core/sampling/engine';
import { histogramPageHtml } from '../../src/panel/histogramHtml';
import { gpuLine, PageGpu } from '../../src/panel/pageGpu';
import { hostMessageProblem, parseHostMessage, parsePageMessage, type HostMessage } from '../../src/webview/protocol';

void version_cpu;

const RUN = { backend: 'cpu', device: 'test', detail: 'cpu: ran', binning: 'bincount' } as const;

before(async () => {
  tf.env().set('PROD', true);
  assert.ok(await tf.setBackend('cpu'));
});

function requestOf(sample: SampleRequest, id = 1, chunk?: number): GpuSampleRequest {
  const built = gpuRequestFor(planSampling(sample), id, { chunk });
  assert.ok('request' in built, 'reason' in built ? built.reason : '');
  return built.request;
}

const NORMAL: SampleRequest = { scheme: { kind: 'normal', mean: 0.5, std: 2 }, shape: [300, 1000], seed: '18446744073709551615', bins: 100 };

describe('chunk planning', () => {
  it('cuts a tensor into chunks of at most the limit, fixed before the start', () => {
    assert.deepEqual(gpuChunks(10, 4), [
      { index: 0, start: 0, length: 4 },
      { index: 1, start: 4, length: 4 },
      { index: 2, start: 8, length: 2 },
    ]);
    assert.equal(gpuChunks(2 ** 30, LIMITS.panelGpuChunk.value).length, 1024);
    assert.equal(gpuChunks(2 ** 20 + 1, 2 ** 20).at(-1)?.length, 1);
    assert.throws(() => gpuChunks(10, LIMITS.panelGpuChunk.value + 1), /chunk must be an integer from 1 to 1048576/);
    assert.throws(() => gpuChunks(0, 4), /count must be a positive integer/);
  });

  it('asks the page only for i.i.d. kinds, with the plan\'s bins and reference, and the chunk bounded by the limit', () => {
    const r = requestOf(NORMAL, 7, 2 ** 40);
    assert.deepEqual(r, { id: 7, distribution: { kind: 'normal', mean: 0.5, std: 2 }, count: 300_000, seed: '18446744073709551615', bins: { low: 0.5 - 8, high: 0.5 + 8, bins: 100 }, reference: { mean: 0.5, std: 2 }, chunk: 2 ** 20, software: false });
    const software = gpuRequestFor(planSampling(NORMAL), 7, { software: true });
    assert.ok('request' in software && software.request.software);
    assert.deepEqual(gpuRequestFor(planSampling({ scheme: { kind: 'orthogonal', gain: 1 }, shape: [8, 8], seed: 0 }), 1), { reason: 'orthogonal is not i.i.d. draws; it is sampled in the extension host' });
    assert.deepEqual(gpuRequestFor(planSampling({ scheme: { kind: 'constant', value: 3 }, shape: [8], seed: 0 }), 1), { reason: 'constant is not i.i.d. draws; it is sampled in the extension host' });
  });
});

describe('which series go to the page', () => {
  it('never under cpu, nor a subsample or a hidden panel; under auto from 2^20 values; under gpu every size', () => {
    const shown = { subsample: false, visible: true };
    assert.equal(gpuSkipReason('cpu', 2 ** 24, shown), 'not asked (initlens.compute.backend is "cpu")');
    assert.equal(gpuSkipReason('gpu', 2 ** 24, { subsample: true, visible: true }), 'not asked for a subsample');
    assert.equal(gpuSkipReason('auto', 2 ** 24, { subsample: false, visible: false }), 'not asked: the panel is hidden');
    assert.equal(gpuSkipReason('auto', 2 ** 20 - 1, shown), 'not asked: 1,048,575 values are quicker in the extension host (under 1,048,576 with "auto"; "gpu" sends every size)');
    assert.equal(gpuSkipReason('auto', 2 ** 20, shown), undefined);
    assert.equal(gpuSkipReason('gpu', 1, shown), undefined);
  });
});

describe('the stream on the device', () => {
  it('computes the Wichmann–Hill states exactly: the sequential recurrence x ← a·x mod m', () => {
    const positions = 3 * GRID_COLUMNS + 17;
    for (const seed of [0n, 1n, 2n ** 64n - 1n]) {
      const states = chunkStates(seed, 5);
      for (const k of [0, 1, 2] as const) {
        const got = tf.tidy(() => statesOnTf(tf, k, states[k], positions).dataSync());
        assert.ok(states[k] >= 1 && states[k] < WH_MODULI[k]);
        let x = states[k];
        for (let p = 0; p < positions; p++) {
          assert.equal(got[p], x, `seed ${seed} component ${k} position ${p}`);
          x = (x * WH_MULTIPLIERS[k]) % WH_MODULI[k];
        }
      }
    }
  });

  it('draws different streams per chunk and per seed', () => {
    assert.notDeepEqual(chunkStates(0n, 0), chunkStates(0n, 1));
    assert.notDeepEqual(chunkStates(0n, 0), chunkStates(1n, 0));
  });

  it('inverts the normal CDF to float32 accuracy over (0, 1), against a double-precision bisection', () => {
    // erfc to double precision: its Taylor series below 3, Laplace's continued fraction above.
    const erfc = (x: number): number => {
      const z = Math.abs(x);
      let r: number;
      if (z < 3) {
        let term = z;
        let sum = z;
        for (let n = 1; n < 120; n++) {
          term *= (-z * z) / n;
          sum += term / (2 * n + 1);
        }
        r = 1 - (2 / Math.sqrt(Math.PI)) * sum;
      } else {
        let f = 0;
        for (let n = 80; n >= 1; n--) f = n / 2 / (z + f);
        r = Math.exp(-z * z) / Math.sqrt(Math.PI) / (z + f);
      }
      return x >= 0 ? r : 2 - r;
    };
    const quantile = (p: number) => {
      let lo = -10;
      let hi = 10;
      for (let k = 0; k < 100; k++) {
        const m = (lo + hi) / 2;
        if (0.5 * erfc(-m / Math.SQRT2) < p) lo = m;
        else hi = m;
      }
      return (lo + hi) / 2;
    };
    const ps = [1e-6, 1e-4, 0.001, 0.02, 0.02425, 0.03, ...Array.from({ length: 999 }, (_, i) => (i + 1) / 1000), 0.97, 0.97575, 0.98, 0.999, 0.9999].map(Math.fround);
    const got = tf.tidy(() => normalQuantileOnTf(tf, tf.tensor1d(ps)).dataSync());
    let worst = 0;
    let at = 0;
    ps.forEach((p, i) => {
      const want = quantile(p);
      // The slope of Φ⁻¹ turns float32's rounding of p into |dx| ≈ 6e-8·p/φ(x): allowed, plus 1e-6 absolute.
      const error = Math.abs(got[i] - want) / (1e-6 + (6e-8 * Math.min(p, 1 - p) * Math.sqrt(2 * Math.PI)) / Math.exp((-want * want) / 2));
      if (error > worst) [worst, at] = [error, p];
    });
    assert.ok(worst <= 1, `worst at p = ${at}: ${worst.toFixed(2)} of the tolerance`);
  });
});

describe('binning on the device', () => {
  it('counts like the closed-upper-edge histogram, against counts known by construction', () => {
    const spec = { low: -1, high: 3, bins: 8 };
    const width = 0.5;
    const want = new Array<number>(spec.bins + 2).fill(0);
    const values: number[] = [];
    let state = 12345;
    const random = () => ((state = (state * 48271) % 2147483647) / 2147483647);
    for (let i = 0; i < 5000; i++) {
      const bin = Math.floor(random() * spec.bins);
      // Well inside its bin: float32 rounding cannot move it across an edge.
      values.push(spec.low + (bin + 0.05 + 0.9 * random()) * width);
      want[bin + 1]++;
    }
    // The edges themselves: low in the first bin, high in the last (closed), beyond them under- and overflow.
    values.push(-1, 3, 3, -1.5, -100, 3.25, 50);
    want[1] += 1;
    want[spec.bins] += 2;
    want[0] += 2;
    want[spec.bins + 1] += 2;
    for (const binning of ['bincount', 'segmentSum'] as const) {
      const [stats, counts] = tf.tidy(() => binOnTf(tf, tf.tensor1d(values), spec, { mean: 1, std: 0.5 }, binning));
      assert.deepEqual(Array.from(counts.dataSync()), want, binning);
      const s = stats.dataSync();
      const f = values.map((v) => Math.fround(v));
      const d = f.map((v) => v - 1);
      assert.ok(Math.abs(s[0] - d.reduce((a, b) => a + b, 0)) < 1e-2);
      assert.ok(Math.abs(s[1] - d.reduce((a, b) => a + b * b, 0)) / d.reduce((a, b) => a + b * b, 0) < 1e-5);
      assert.equal(s[2], Math.min(...f));
      assert.equal(s[3], Math.max(...f));
      assert.equal(s[4], d.filter((x) => Math.abs(x) > 1).length);
      assert.equal(s[5], d.filter((x) => Math.abs(x) > 1.5).length);
      stats.dispose();
      counts.dispose();
    }
  });
});

/**
 * The GPU sample and the CPU engine's are two independent samples of n values
 * of the same law: their means differ by σ·√(2/n) (one standard error of the
 * difference), their stds by at most σ·√((κ−1)/(2n)) with kurtosis κ ≤ 3 for
 * these laws, i.e. σ/√n; a bin expecting e values differs by √(2e). Five
 * standard errors: a false alarm about once in 1.7 million per quantity.
 */
function assertAgrees(sample: SampleRequest, chunk: number, gpu: GpuSampleAnswer, cpu: Awaited<ReturnType<typeof sampleCpu>>): void {
  const plan = planSampling(sample);
  const got = summarize(plan, tallyOfAnswer(gpu));
  const n = plan.count;
  const sigma = plan.resolved.std;
  assert.equal(got.count, n);
  assert.ok(Math.abs(got.mean - cpu.mean) <= 5 * sigma * Math.sqrt(2 / n), `mean ${got.mean} vs ${cpu.mean}`);
  assert.ok(Math.abs(got.std - cpu.std) <= (5 * sigma) / Math.sqrt(n), `std ${got.std} vs ${cpu.std}`);
  cpu.theory.expected.forEach((e, i) => assert.ok(Math.abs(got.bins.counts[i] - cpu.bins.counts[i]) <= 5 * Math.sqrt(2 * (e + 1)), `bin ${i}: ${got.bins.counts[i]} vs ${cpu.bins.counts[i]} (expected ${e.toFixed(1)})`));
  assert.ok(got.min >= plan.binSpec.low - 6 * sigma && got.max <= plan.binSpec.high + 6 * sigma);
  assert.equal(gpu.chunks, Math.ceil(n / chunk));
}

describe('sampling on the device agrees with the CPU engine within sampling error', () => {
  const cases: [string, SampleRequest][] = [
    ['normal', NORMAL],
    ['uniform (kaiming_uniform_)', { scheme: { kind: 'kaiming_uniform', a: Math.sqrt(5), mode: 'fan_in', nonlinearity: 'leaky_relu' }, shape: [256, 1200], seed: 3, bins: 60 }],
    ['truncated normal at ±2σ', { scheme: { kind: 'trunc_normal', mean: 0, std: 1, a: -2, b: 2 }, shape: [200_000], seed: 11, bins: 80 }],
    ['truncated normal, bounds 100σ wide (timm std=.02)', { scheme: { kind: 'trunc_normal', mean: 0, std: 0.02, a: -2, b: 2 }, shape: [200_000], seed: 12, bins: 80 }],
    ['truncated normal, asymmetric', { scheme: { kind: 'trunc_normal', mean: 0.1, std: 0.5, a: -0.5, b: 1.5 }, shape: [200_000], seed: 13, bins: 50 }],
  ];
  for (const [name, sample] of cases) {
    it(name, async () => {
      const chunk = 2 ** 17;
      const request = requestOf(sample, 4, chunk);
      const tensors = tf.memory().numTensors;
      const gpu = await sampleOnTf(tf, RUN, request);
      assert.equal(answerProblem(request, gpu), undefined);
      assert.equal(tf.memory().numTensors, tensors, 'every chunk\'s tensors are freed');
      assertAgrees(sample, chunk, gpu, await sampleCpu(sample));
    });
  }

  it('is reproducible for a seed, and another seed draws another sample', async () => {
    const request = requestOf(NORMAL, 1, 2 ** 17);
    const a = await sampleOnTf(tf, RUN, request);
    const b = await sampleOnTf(tf, RUN, request);
    assert.deepEqual(a.counts, b.counts);
    const c = await sampleOnTf(tf, RUN, { ...request, seed: '1' });
    assert.notDeepEqual(a.counts, c.counts);
  });

  it('stops between chunks when cancelled', async () => {
    let asked = 0;
    await assert.rejects(
      sampleOnTf(tf, RUN, requestOf(NORMAL, 1, 2 ** 16), () => ++asked > 2),
      /request 1 was cancelled/,
    );
    assert.equal(asked, 3);
  });
});

/** `want` exactly, or its start where it ends in "…" (the bounds of a float range print as 309 digits). */
function assertProblem(got: string | undefined, want: string): void {
  if (want.endsWith('…')) assert.ok(got?.startsWith(want.slice(0, -1)), `${got} starts with ${want}`);
  else assert.equal(got, want);
}

describe('the protocol messages', () => {
  const request = requestOf(NORMAL, 9, 2 ** 16);
  let answer: GpuSampleAnswer;
  before(async () => {
    answer = { ...(await sampleOnTf(tf, RUN, request)), backend: 'webgl', device: 'SwiftShader' };
  });

  it('accepts well-formed requests and answers, as fresh copies', () => {
    for (const m of [{ type: 'gpuSample', request }, { type: 'gpuCancel', id: 9 }] as HostMessage[]) assert.deepEqual(parseHostMessage(structuredClone(m)), { value: m });
    for (const m of [{ type: 'gpuSampled', answer }, { type: 'gpuUnavailable', id: 9, reason: 'no GPU: webgpu: no adapter; webgl: no WebGL context' }]) assert.deepEqual(parsePageMessage(structuredClone(m)), { value: m });
  });

  it('refuses malformed requests with a specific reason', () => {
    const cases: [unknown, string][] = [
      [{ ...request, distribution: { kind: 'cauchy' } }, 'unknown distribution kind "cauchy"'],
      [{ ...request, distribution: { kind: 'normal', mean: 0, std: 0 } }, 'request.distribution.std must be a number above 0 and at most …'],
      [{ ...request, distribution: { kind: 'uniform', low: 1, high: 1 } }, 'request.distribution: low must be below high'],
      [{ ...request, count: 2 ** 30 + 1 }, 'request.count must be an integer from 1 to 1,073,741,824'],
      [{ ...request, chunk: 2 ** 21 }, 'request.chunk must be an integer from 1 to 1,048,576'],
      [{ ...request, seed: '18446744073709551616' }, 'request.seed must be an integer from 0 to 2^64−1 (decimal digits)'],
      [{ ...request, bins: { low: 0, high: 1, bins: 10_001 } }, 'request.bins.bins must be an integer from 1 to 10,000'],
      [{ ...request, extra: 1 }, 'request has an unknown field "extra"'],
      [{ ...request, software: 'yes' }, 'request.software must be true or false'],
    ];
    for (const [r, problem] of cases) assertProblem(hostMessageProblem({ type: 'gpuSample', request: r }), problem);
  });

  it('refuses malformed answers with a specific reason', () => {
    const cases: [unknown, string][] = [
      [{ ...answer, backend: 'cpu' }, 'answer.backend must be one of webgpu, webgl'],
      [{ ...answer, counts: [...answer.counts.slice(0, -1), answer.counts.at(-1)! + 1] }, `answer.counts add up to ${request.count + 1}, not answer.moments.count (${request.count})`],
      [{ ...answer, counts: [1, 2] }, 'answer.counts must hold the underflow, at least one bin and the overflow'],
      [{ ...answer, beyond3: answer.beyond2 + 1 }, 'answer.beyond3 ≤ answer.beyond2 ≤ answer.moments.count must hold'],
      [{ ...answer, moments: { ...answer.moments, m2: -1 } }, 'answer.moments.m2 must be a number from 0 to …'],
      [{ ...answer, moments: { ...answer.moments, mean: Number.NaN } }, 'answer.moments.mean must be a number from …'],
    ];
    for (const [a, problem] of cases) {
      const parsed = parsePageMessage({ type: 'gpuSampled', answer: a });
      assertProblem('problem' in parsed ? parsed.problem : undefined, problem);
    }
    // Well-formed, but not what was asked: the host's check against its request.
    assert.equal(answerProblem({ ...request, bins: { ...request.bins, bins: 50 } }, answer), '102 count slots for 50 bins (expected 52)');
    assert.equal(answerProblem({ ...request, count: request.count + 1 }, answer), `the counts add up to ${request.count}, not the ${request.count + 1} elements asked for`);
    assert.equal(answerProblem({ ...request, id: 8 }, answer), 'answer 9 is not for request 8');
  });

  it('the page may import the GPU sampler from the extension only: its CSP and its data-gpu URL', () => {
    const html = histogramPageHtml({ cspSource: 'https://ext.example', nonce: 'N0nce', script: 'https://ext.example/dist/webview.js', gpu: 'https://ext.example/dist/signal/histogramGpu.js', style: 'https://ext.example/media/panel.css' });
    const csp = /http-equiv="Content-Security-Policy" content="([^"]+)"/.exec(html)?.[1];
    assert.equal(csp, "default-src 'none'; img-src https://ext.example data:; style-src https://ext.example 'unsafe-inline'; script-src 'nonce-N0nce' https://ext.example");
    assert.match(html, /<body data-gpu="https:\/\/ext\.example\/dist\/signal\/histogramGpu\.js">/);
    assert.equal([...html.matchAll(/<script /g)].length, 1);
  });

  it('names the backend that ran in one line', () => {
    assert.equal(gpuLine({ backend: 'webgl', device: 'SwiftShader' }), 'sampled on the GPU in the panel: webgl (SwiftShader)');
  });
});

describe("the host's client of the page's GPU", () => {
  const plan = planSampling(NORMAL);
  const fakeAnswer = (id: number, count = plan.count): GpuSampleAnswer => {
    const counts = new Array<number>(plan.binSpec.bins + 2).fill(0);
    counts[50] = count;
    return { id, backend: 'webgl', device: 'SwiftShader', detail: 'webgpu: no adapter\nwebgl: ran', counts, moments: { count, mean: 0.5, m2: 1, min: 0, max: 1 }, beyond2: 0, beyond3: 0, chunks: 1, ms: 1 };
  };

  it('posts the request, resolves with the checked answer, and refuses one that does not fit', async () => {
    const posted: HostMessage[] = [];
    const gpu = new PageGpu((m) => posted.push(m));
    const pending = gpu.sample(plan, new AbortController().signal);
    assert.equal(posted[0].type, 'gpuSample');
    const id = posted[0].type === 'gpuSample' ? posted[0].request.id : 0;
    gpu.onMessage({ type: 'gpuSampled', answer: fakeAnswer(id) });
    assert.deepEqual(await pending, { answer: fakeAnswer(id) });
    const wrong = gpu.sample(plan, new AbortController().signal);
    gpu.onMessage({ type: 'gpuSampled', answer: fakeAnswer(id + 1, 5) });
    assert.deepEqual(await wrong, { reason: `the panel's GPU answer was refused: the counts add up to 5, not the ${plan.count} elements asked for` });
  });

  it('remembers "no GPU" for the page\'s life, and forgets it when the page reloads', async () => {
    const posted: HostMessage[] = [];
    const gpu = new PageGpu((m) => posted.push(m));
    const first = gpu.sample(plan, new AbortController().signal);
    gpu.onMessage({ type: 'gpuUnavailable', id: 1, reason: 'no GPU: webgpu: no adapter; webgl: no WebGL context' });
    assert.deepEqual(await first, { reason: 'no GPU: webgpu: no adapter; webgl: no WebGL context' });
    assert.deepEqual(await gpu.sample(plan, new AbortController().signal), { reason: 'no GPU: webgpu: no adapter; webgl: no WebGL context' });
    assert.equal(posted.length, 1);
    gpu.forget();
    const again = gpu.sample(plan, new AbortController().signal);
    assert.equal(posted.length, 2);
    gpu.fail('the panel was closed');
    assert.deepEqual(await again, { reason: 'the panel was closed' });
  });

  it('tells the page to stop when aborted, and gives up after its wait', async () => {
    const posted: HostMessage[] = [];
    const gpu = new PageGpu((m) => posted.push(m), 20);
    const controller = new AbortController();
    const aborted = gpu.sample(plan, controller.signal);
    controller.abort(new DOMException('cancelled by the user', 'AbortError'));
    await assert.rejects(aborted, /cancelled by the user/);
    assert.deepEqual(posted.at(-1), { type: 'gpuCancel', id: 1 });
    assert.deepEqual(await gpu.sample(plan, new AbortController().signal), { reason: 'the panel did not answer within the limit of 120,000 milliseconds for the panel page\'s GPU histogram' });
    assert.deepEqual(posted.at(-1), { type: 'gpuCancel', id: 2 });
  });
});
