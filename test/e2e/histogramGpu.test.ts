/**
 * End to end: the histogram panel's page (dist/webview.js with its CSP, as
 * panel/histogramHtml.ts writes it) in a real headless Chromium, served from
 * loopback, `acquireVsCodeApi` stubbed. The test plays the host: it posts the
 * `gpuSample` request the host would (core/sampling/gpuSample.ts
 * `gpuRequestFor`), and reads the page's answer. Per browser configuration
 * (SwiftShader's software WebGPU, software WebGL, WebGL off) it asserts that
 * the backend the answer names is the one TensorFlow.js ran, and that the
 * histogram agrees with the CPU engine's in Node within sampling error.
 *
 * Tolerance: the page's sample and the CPU engine's are two independent
 * samples of n values (different generators), so their means differ by
 * σ·√(2/n) per standard error, their stds by at most σ/√n (kurtosis ≤ 3 for
 * these laws), and a bin expecting e values by √(2e). Each is allowed 5
 * standard errors: about one false alarm in 1.7 million per quantity, while
 * a wrong scale or shift (a 1% error in σ is 14 standard errors at n = 2^21)
 * fails.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openBrowser, type Session } from '../host/browser';
import { RESULTS, ROOT } from '../host/paths';
import { sampleCpu, summarize, type SampleResult } from '../../src/core/sampling/engine';
import { answerProblem, gpuRequestFor, tallyOfAnswer, type GpuSampleAnswer, type GpuSampleRequest } from '../../src/core/sampling/gpuSample';
import { planSampling, type SampleRequest } from '../../src/core/sampling/plan';
import { histogramPageHtml } from '../../src/panel/histogramHtml';
import { gpuLine } from '../../src/panel/pageGpu';
import { parsePageMessage } from '../../src/webview/protocol';

const MIME: Record<string, string> = { '.js': 'text/javascript', '.css': 'text/css', '.wasm': 'application/wasm', '.map': 'application/json' };

/** dist/ and media/ over HTTP on loopback, and the page at `/`. */
function serve(): Promise<{ server: http.Server; origin: string }> {
  return new Promise((resolve) => {
    const server = http.createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      if (url.pathname === '/') {
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end(histogramPageHtml({ cspSource: origin, nonce: 'e2e-nonce', script: `${origin}/dist/webview.js`, gpu: `${origin}/dist/signal/histogramGpu.js`, style: `${origin}/media/panel.css` }));
        return;
      }
      const file = path.normalize(path.join(ROOT, url.pathname));
      if (!/^\/(dist|media)\//.test(url.pathname) || !file.startsWith(ROOT) || !fs.existsSync(file)) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-type': MIME[path.extname(file)] ?? 'application/octet-stream' });
      res.end(fs.readFileSync(file));
    });
    server.listen(0, '127.0.0.1', () => resolve({ server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }));
  });
}

const SOFTWARE_GL = ['--use-gl=angle', '--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--ignore-gpu-blocklist'];
const SOFTWARE_WEBGPU = [...SOFTWARE_GL, '--enable-unsafe-webgpu', '--enable-features=Vulkan', '--use-vulkan=swiftshader', '--use-webgpu-adapter=swiftshader'];
const NO_GPU = ['--disable-gpu', '--disable-webgl', '--disable-3d-apis'];

/** What the host would sample: a kaiming_normal_ 2048×1024 (2^21 values, two chunks), a kaiming_uniform_ and a trunc_normal_ at ±2σ, then the first again. */
const SAMPLES: { name: string; sample: SampleRequest }[] = [
  { name: 'kaiming_normal_', sample: { scheme: { kind: 'kaiming_normal', a: 0, mode: 'fan_in', nonlinearity: 'relu' }, shape: [2048, 1024], seed: '42', bins: 100 } },
  { name: 'kaiming_uniform_', sample: { scheme: { kind: 'kaiming_uniform', a: Math.sqrt(5), mode: 'fan_in', nonlinearity: 'leaky_relu' }, shape: [1000, 784], seed: '7', bins: 60 } },
  { name: 'trunc_normal_(std=.02)', sample: { scheme: { kind: 'trunc_normal', mean: 0, std: 0.02, a: -0.04, b: 0.04 }, shape: [768, 768], seed: '0', bins: 80 } },
  // The first again, another seed: its shaders are compiled now, so this is the steady-state figure.
  { name: 'kaiming_normal_, warm', sample: { scheme: { kind: 'kaiming_normal', a: 0, mode: 'fan_in', nonlinearity: 'relu' }, shape: [2048, 1024], seed: '43', bins: 100 } },
];

let origin: string;
let server: http.Server;
const cpu = new Map<string, SampleResult>();

interface PageRun {
  readonly answers: unknown[];
  /** `html[data-gpu-backend]`: what TensorFlow.js ran on. */
  readonly tfBackend: string;
}

/** Opens the page in a browser started with `gpu`, posts each request as the host would, and returns the page's answers. */
async function runPage(gpu: readonly string[], requests: readonly GpuSampleRequest[], label: string): Promise<PageRun> {
  let session: Session | undefined;
  try {
    session = await openBrowser({ gpu });
    const page = session.page;
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.addInitScript(() => {
      const posted: unknown[] = [];
      (window as unknown as { __posted: unknown[] }).__posted = posted;
      (window as unknown as { acquireVsCodeApi: () => unknown }).acquireVsCodeApi = () => ({ postMessage: (m: unknown) => posted.push(m), getState: () => undefined, setState: () => undefined });
    });
    await page.goto(`${origin}/`);
    await page.waitForFunction(() => (window as unknown as { __posted: { type: string }[] }).__posted.some((m) => m.type === 'ready'));
    const answers: unknown[] = [];
    // One at a time, as the timing figure is per request.
    for (const request of requests) {
      await page.evaluate((r) => window.postMessage({ type: 'gpuSample', request: r }, '*'), request);
      const handle = await page.waitForFunction(
        (id) => (window as unknown as { __posted: { type: string; id?: number; answer?: { id: number } }[] }).__posted.find((m) => (m.type === 'gpuSampled' && m.answer?.id === id) || (m.type === 'gpuUnavailable' && m.id === id)),
        request.id,
        { timeout: 300_000 },
      );
      answers.push(await handle.jsonValue());
    }
    const tfBackend = (await page.locator('html').getAttribute('data-gpu-backend')) ?? '';
    fs.mkdirSync(RESULTS, { recursive: true });
    await page.screenshot({ path: path.join(RESULTS, `e2e-histogram-gpu-${label}.png`) });
    assert.deepEqual(errors, []);
    return { answers, tfBackend };
  } finally {
    await session?.close();
  }
}

/** The host's requests; `software`: as with initlens.compute.backend "gpu" (SwiftShader is a software renderer). */
function requests(software = true): GpuSampleRequest[] {
  return SAMPLES.map((s, i) => {
    const built = gpuRequestFor(planSampling(s.sample), i + 1, { software });
    assert.ok('request' in built);
    return built.request;
  });
}

/** Checks one answer as the host does, then against the CPU engine; returns the largest deviation in standard errors. */
function assertAgrees(name: string, request: GpuSampleRequest, raw: unknown): { answer: GpuSampleAnswer; worst: number } {
  const parsed = parsePageMessage(raw);
  assert.ok('value' in parsed, 'problem' in parsed ? parsed.problem : '');
  assert.equal(parsed.value.type, 'gpuSampled', JSON.stringify(raw).slice(0, 300));
  const answer = (parsed.value as Extract<typeof parsed.value, { type: 'gpuSampled' }>).answer;
  assert.equal(answerProblem(request, answer), undefined);
  const sample = SAMPLES.find((s) => s.name === name)!.sample;
  const plan = planSampling(sample);
  const got = summarize(plan, tallyOfAnswer(answer));
  const want = cpu.get(name)!;
  const n = plan.count;
  const sigma = plan.resolved.std;
  const deviations = [Math.abs(got.mean - want.mean) / (sigma * Math.sqrt(2 / n)), Math.abs(got.std - want.std) / (sigma / Math.sqrt(n))];
  want.theory.expected.forEach((e, i) => deviations.push(Math.abs(got.bins.counts[i] - want.bins.counts[i]) / Math.sqrt(2 * (e + 1))));
  const worst = Math.max(...deviations);
  assert.ok(deviations[0] <= 5, `${name} mean: page ${got.mean}, cpu ${want.mean}`);
  assert.ok(deviations[1] <= 5, `${name} std: page ${got.std}, cpu ${want.std}`);
  assert.ok(worst <= 5, `${name}: a bin is ${worst.toFixed(1)} standard errors off`);
  return { answer, worst };
}

describe('the histogram page samples on the GPU in Chromium, and agrees with the CPU engine', { timeout: 900_000 }, () => {
  before(async () => {
    for (const file of ['dist/webview.js', 'dist/signal/histogramGpu.js']) assert.ok(fs.existsSync(path.join(ROOT, file)), `${file} is built (node esbuild.js)`);
    ({ server, origin } = await serve());
    for (const s of SAMPLES) {
      const started = performance.now();
      cpu.set(s.name, await sampleCpu(s.sample));
      console.log(`# CPU engine (in-thread, Node): ${s.name} ${planSampling(s.sample).count} values in ${Math.round(performance.now() - started)} ms`);
    }
  });

  after(() => {
    server?.close();
  });

  const check = (label: string, run: PageRun, backend: string) => {
    const reqs = requests();
    run.answers.forEach((raw, i) => {
      const { answer, worst } = assertAgrees(SAMPLES[i].name, reqs[i], raw);
      assert.equal(answer.backend, backend);
      assert.equal(run.tfBackend, answer.backend, 'the backend named is the one TensorFlow.js ran');
      console.log(`# histogram page, ${label}: ${SAMPLES[i].name} ${reqs[i].count} values in ${Math.round(answer.ms)} ms (${answer.chunks} chunks); worst deviation from the CPU engine ${worst.toFixed(2)} standard errors; "${gpuLine(answer)}"`);
    });
  };

  it('WebGPU (SwiftShader) where this Chromium offers it: named as it ran, histograms as the CPU engine\'s', async (t) => {
    const run = await runPage(SOFTWARE_WEBGPU, requests(), 'webgpu');
    const first = run.answers[0] as { type: string; answer?: GpuSampleAnswer; reason?: string };
    if (first.type !== 'gpuSampled' || first.answer?.backend !== 'webgpu') {
      // Visible: which backend ran instead, and why WebGPU did not.
      t.skip(`WebGPU did not start here: ${first.answer?.detail.split('\n').find((l) => l.startsWith('webgpu:')) ?? first.reason}`);
      return;
    }
    check('webgpu', run, 'webgpu');
  });

  it('software WebGL (SwiftShader): webgl, named with its device and why WebGPU did not run, histograms as the CPU engine\'s', async () => {
    const run = await runPage(SOFTWARE_GL, requests(), 'webgl');
    const first = run.answers[0] as { type: string; answer: GpuSampleAnswer };
    assert.equal(first.type, 'gpuSampled', JSON.stringify(first).slice(0, 300));
    assert.equal(gpuLine(first.answer), 'sampled on the GPU in the panel: webgl (SwiftShader)');
    assert.match(first.answer.detail, /^webgpu: .+\nwebgl: ran \(WebGL 2, .*SwiftShader/s);
    check('webgl (SwiftShader)', run, 'webgl');
  });

  it('software WebGL under "auto": the page declines SwiftShader (slower than the host) and says so', async () => {
    const run = await runPage(SOFTWARE_GL, requests(false).slice(0, 1), 'webgl-auto');
    const parsed = parsePageMessage(run.answers[0]);
    assert.ok('value' in parsed && parsed.value.type === 'gpuUnavailable', JSON.stringify(run.answers[0]));
    assert.equal(parsed.value.reason, 'no GPU: webgl renders on SwiftShader, in software, slower than the extension host (initlens.compute.backend "gpu" uses it anyway)');
  });

  it('WebGL off: the page answers "no GPU" with each reason, and loads no wasm or cpu backend', async () => {
    const run = await runPage(NO_GPU, requests().slice(0, 1), 'none');
    const parsed = parsePageMessage(run.answers[0]);
    assert.ok('value' in parsed && parsed.value.type === 'gpuUnavailable', JSON.stringify(run.answers[0]));
    assert.equal(parsed.value.id, 1);
    assert.match(parsed.value.reason, /^no GPU: webgpu: .+; webgl: no WebGL context/);
    assert.equal(run.tfBackend, '');
  });
});
