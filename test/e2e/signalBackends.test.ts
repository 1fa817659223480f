/**
 * End to end: the Signal panel's page (dist/signal.js with its CSP, as
 * panel/signalHtml.ts writes it) in a real headless Chromium, served from
 * loopback, `acquireVsCodeApi` stubbed. Per browser configuration (SwiftShader's
 * software WebGPU, software WebGL, WebGL off, wasm blocked) it asserts that
 * the backend the page names is the one TensorFlow.js ran, and that every
 * scheme's per-layer stds match the CPU engine's in Node (tfjs-core's cpu
 * backend, itself checked against PyTorch in test/unit/signal.test.ts)
 * within 1e-3 relative (1e-7 absolute where the signal vanishes).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { version_cpu } from '@tensorflow/tfjs-backend-cpu';
import { openBrowser, type Session } from '../host/browser';
import { RESULTS, ROOT } from '../host/paths';
import { ModelAnalyzer } from '../../src/core/model/analyze';
import { parsePython } from '../../src/core/python/parse';
import { runGraph, type SignalStats } from '../../src/core/signal/engine';
import { buildGraph } from '../../src/core/signal/graph';
import { prepareRuns } from '../../src/core/signal/job';
import { SIGNAL_SCHEMES } from '../../src/core/signal/schemes';
import { signalPageHtml } from '../../src/panel/signalHtml';
import type { BackendSetting } from '../../src/core/sampling/backendSetting';

void version_cpu;

const MLP = `import torch
import torch.nn as nn

class SmallMLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(64, 48)
        self.fc2 = nn.Linear(48, 48)
        self.fc3 = nn.Linear(48, 32)
        self.fc4 = nn.Linear(32, 10)

    def forward(self, x):
        x = torch.tanh(self.fc1(x))
        x = torch.relu(self.fc2(x))
        x = torch.sigmoid(self.fc3(x))
        return self.fc4(x)
`;

const MIME: Record<string, string> = { '.js': 'text/javascript', '.css': 'text/css', '.wasm': 'application/wasm', '.map': 'application/json' };

/** dist/ and media/ over HTTP on loopback, and the page at `/`. */
function serve(): Promise<{ server: http.Server; origin: string }> {
  return new Promise((resolve) => {
    const server = http.createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      if (url.pathname === '/') {
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end(signalPageHtml({ cspSource: origin, nonce: 'e2e-nonce', script: `${origin}/dist/signal.js`, compute: `${origin}/dist/signal/compute.js`, wasm: `${origin}/dist/wasm/`, style: `${origin}/media/panel.css`, backends: (['auto', 'gpu', 'cpu'] as const).find((b) => b === url.searchParams.get('backends')) ?? 'auto' }));
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

interface PlainJob {
  [key: string]: unknown;
}

let origin: string;
let server: http.Server;
let job: PlainJob;
let expected: { scheme: string; stats: SignalStats }[];

const SOFTWARE_GL = ['--use-gl=angle', '--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--ignore-gpu-blocklist'];
const SOFTWARE_WEBGPU = [...SOFTWARE_GL, '--enable-unsafe-webgpu', '--enable-features=Vulkan', '--use-vulkan=swiftshader', '--use-webgpu-adapter=swiftshader'];

const close = (a: number, b: number) => Math.abs(a - b) <= 1e-3 * Math.abs(b) || Math.abs(a - b) <= 1e-7;

/** The page's CSV export (full precision), parsed back into stds per scheme and layer. */
function parseCsv(csv: string): Map<string, Record<string, string>[]> {
  const [header, ...rows] = csv.trim().split('\n');
  const keys = header.split(',');
  const out = new Map<string, Record<string, string>[]>();
  for (const row of rows) {
    const cells = row.split(',');
    const rec = Object.fromEntries(keys.map((k, i) => [k, cells[i]]));
    if (rec.layer === 'output') continue;
    out.set(rec.scheme, [...(out.get(rec.scheme) ?? []), rec]);
  }
  return out;
}

/**
 * Opens the page in a browser started with `gpu`, posts the job, and returns
 * what the page says ran, what TensorFlow.js ran, and the CSV it exports.
 */
async function runPage(gpu: readonly string[], blockWasm = false, backends: BackendSetting = 'auto'): Promise<{ backend: string; tfBackend: string; header: string; tooltip: string; csv: string; done: Record<string, unknown> }> {
  let session: Session | undefined;
  try {
    session = await openBrowser({ gpu });
    const page = session.page;
    if (blockWasm) await page.route(/\.wasm$/, (route) => route.abort());
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.addInitScript(() => {
      const posted: unknown[] = [];
      (window as unknown as { __posted: unknown[] }).__posted = posted;
      (window as unknown as { acquireVsCodeApi: () => unknown }).acquireVsCodeApi = () => ({ postMessage: (m: unknown) => posted.push(m), getState: () => undefined, setState: () => undefined });
    });
    await page.goto(`${origin}/?backends=${backends}`);
    await page.waitForFunction(() => (window as unknown as { __posted: { type: string }[] }).__posted.some((m) => m.type === 'ready'));
    await page.evaluate((plain) => {
      const f32 = (a: unknown) => new Float32Array(a as number[]);
      const runs = (plain.runs as { weights: { name: string; values: number[] }[] }[]).map((r) => ({ ...r, weights: r.weights.map((w) => ({ name: w.name, values: f32(w.values) })) }));
      window.postMessage({ ...plain, input: f32(plain.input), upstream: f32(plain.upstream), runs }, '*');
    }, job);
    await page.locator('html[data-signal-request="1"]').waitFor({ timeout: 120_000 });
    const done = (await page.evaluate(() => (window as unknown as { __posted: { type: string }[] }).__posted.find((m) => m.type === 'done'))) as Record<string, unknown>;
    const html = page.locator('html');
    const backend = (await html.getAttribute('data-backend')) ?? '';
    const tfBackend = (await html.getAttribute('data-tf-backend')) ?? '';
    const header = await page.locator('#backend').innerText();
    const tooltip = (await page.locator('#backend').getAttribute('title')) ?? '';
    await page.locator('#csv').click();
    await page.waitForFunction(() => (window as unknown as { __posted: { type: string }[] }).__posted.some((m) => m.type === 'export'));
    const csv = (await page.evaluate(() => (window as unknown as { __posted: { type: string; data?: string }[] }).__posted.find((m) => m.type === 'export')?.data)) ?? '';
    // PNG export: a PNG data URL the protocol accepts.
    await page.locator('#png').click();
    await page.waitForFunction(() => (window as unknown as { __posted: { type: string; format?: string }[] }).__posted.some((m) => m.type === 'export' && m.format === 'png'));
    const pngPrefix = await page.evaluate(() => (window as unknown as { __posted: { type: string; format?: string; data?: string }[] }).__posted.find((m) => m.format === 'png')?.data?.slice(0, 33));
    assert.equal(pngPrefix, 'data:image/png;base64,iVBORw0KGgo');
    fs.mkdirSync(RESULTS, { recursive: true });
    await page.screenshot({ path: path.join(RESULTS, `e2e-signal-${backend || 'none'}.png`), fullPage: true });
    assert.deepEqual(errors, []);
    return { backend, tfBackend, header, tooltip, csv, done };
  } finally {
    await session?.close();
  }
}

function assertMatchesCpu(csv: string): number {
  const got = parseCsv(csv);
  let worst = 0;
  for (const want of expected) {
    const rows = got.get(want.scheme);
    assert.ok(rows, `${want.scheme} is in the CSV`);
    assert.equal(rows.length, want.stats.layers.length);
    want.stats.layers.forEach((l, i) => {
      const r = rows[i];
      assert.equal(r.layer, l.name);
      for (const [field, a, b] of [
        ['out_std', Number(r.out_std), l.out.std],
        ['act_std', Number(r.act_std), l.act?.std ?? NaN],
        ['grad_std', Number(r.grad_std), l.grad.std],
        ['weight_grad_std', Number(r.weight_grad_std), l.weightGrad?.std ?? NaN],
      ] as [string, number, number][]) {
        if (Number.isNaN(b)) continue;
        assert.ok(close(a, b), `${want.scheme} ${l.name} ${field}: page ${a}, cpu ${b}`);
        if (b !== 0) worst = Math.max(worst, Math.abs(a - b) / Math.abs(b));
      }
    });
  }
  return worst;
}

describe('the Signal page in Chromium: backends and agreement with the CPU engine', { timeout: 600_000 }, () => {
  before(async () => {
    for (const file of ['dist/signal.js', 'dist/signal/compute.js', 'dist/wasm/tfjs-backend-wasm-simd.wasm']) assert.ok(fs.existsSync(path.join(ROOT, file)), `${file} is built (node esbuild.js)`);
    ({ server, origin } = await serve());
    const tree = parsePython(MLP);
    const model = new ModelAnalyzer().analyze(tree, MLP).models[0];
    const graph = buildGraph(model, tree, MLP);
    const prepared = prepareRuns(model, graph, { seed: 0n, inputSeed: 0n, schemes: SIGNAL_SCHEMES });
    tf.env().set('PROD', true);
    assert.ok(await tf.setBackend('cpu'));
    expected = [];
    for (const r of prepared.runs) expected.push({ scheme: r.scheme.id, stats: await runGraph(tf, graph, r.weights, prepared.input, prepared.upstream) });
    job = {
      type: 'job',
      request: 1,
      uri: 'file:///e2e/small_mlp.py',
      title: 'InitLens: signal of SmallMLP',
      model: model.name,
      settings: { seed: '0', inputSeed: '0', inputShape: graph.inputShape.join(',') },
      inputNote: graph.inputNote,
      graph: JSON.parse(JSON.stringify(graph)),
      input: Array.from(prepared.input),
      upstream: Array.from(prepared.upstream),
      runs: prepared.runs.map((r) => ({ scheme: r.scheme.id, label: r.scheme.label, short: r.scheme.short, exact: r.exact, reasons: r.reasons, weights: [...r.weights].map(([name, values]) => ({ name, values: Array.from(values) })) })),
      skipped: prepared.skipped,
    };
  });

  after(() => {
    server?.close();
  });

  it('WebGPU (SwiftShader) where this Chromium offers it: named as it ran, stds as the CPU engine', async (t) => {
    const r = await runPage(SOFTWARE_WEBGPU, false, 'gpu');
    if (r.backend !== 'webgpu') {
      // Visible: which backend ran instead, and why WebGPU did not.
      t.skip(`WebGPU did not start here: ${r.tooltip.split('\n').find((l) => l.startsWith('webgpu:')) ?? r.header}`);
      return;
    }
    assert.equal(r.tfBackend, 'webgpu');
    assert.match(r.header, /^Computed on webgpu/);
    const worst = assertMatchesCpu(r.csv);
    console.log(`# signal page: webgpu (${r.tooltip.split('\n').pop()}): ${r.done.runs} schemes in ${Math.round(Number(r.done.ms))} ms; worst relative difference from the CPU engine ${worst.toExponential(2)}`);
  });

  it('software WebGL (SwiftShader) by default: declined for wasm, named with why', async () => {
    const r = await runPage(SOFTWARE_GL);
    assert.equal(r.backend, 'wasm', r.tooltip);
    assert.equal(r.tfBackend, 'wasm');
    assert.match(r.header, /^Computed on wasm · not webgpu: .+, not webgl: SwiftShader renders in software$/);
    assert.match(r.tooltip, /\nwebgl: SwiftShader renders in software \(slower than wasm here; initlens\.compute\.backend "gpu" uses it anyway\)\n/);
    assertMatchesCpu(r.csv);
    console.log(`# signal page, initlens.compute.backend "auto" on SwiftShader: ${r.header}; ${r.done.runs} schemes in ${Math.round(Number(r.done.ms))} ms`);
  });

  it('software WebGPU (SwiftShader) by default: declined too', async (t) => {
    const r = await runPage(SOFTWARE_WEBGPU);
    const webgpu = r.tooltip.split('\n').find((l) => l.startsWith('webgpu:')) ?? '';
    if (!/renders in software/.test(webgpu)) {
      t.skip(`WebGPU offers no adapter here: ${webgpu}`);
      return;
    }
    assert.equal(r.backend, 'wasm', r.tooltip);
    assert.match(webgpu, /^webgpu: .*swiftshader.* renders in software \(slower than wasm here; initlens\.compute\.backend "gpu" uses it anyway\)$/i);
  });

  it('initlens.compute.backend "cpu": no GPU backend tried, named so', async () => {
    const r = await runPage(SOFTWARE_GL, false, 'cpu');
    assert.equal(r.backend, 'wasm', r.tooltip);
    assert.match(r.header, /^Computed on wasm · not webgpu: initlens\.compute\.backend is "cpu", not webgl: initlens\.compute\.backend is "cpu"/);
    assertMatchesCpu(r.csv);
  });

  it('software WebGL (SwiftShader) with initlens.compute.backend "gpu": webgl, named with why WebGPU did not run, stds as the CPU engine', async () => {
    const r = await runPage(SOFTWARE_GL, false, 'gpu');
    assert.equal(r.backend, 'webgl', r.tooltip);
    assert.equal(r.tfBackend, 'webgl');
    assert.match(r.header, /^Computed on webgl · not webgpu: \S/);
    assert.match(r.tooltip, /^webgpu: .+\nwebgl: ran \(WebGL 2, .*SwiftShader/s);
    assert.equal(r.done.backend, 'webgl');
    assert.equal(r.done.runs, SIGNAL_SCHEMES.length);
    const worst = assertMatchesCpu(r.csv);
    console.log(`# signal page: webgl (${r.tooltip.split('\n').pop()}): ${r.done.runs} schemes in ${Math.round(Number(r.done.ms))} ms; worst relative difference from the CPU engine ${worst.toExponential(2)}`);
  });

  it('WebGL off: wasm (SIMD, its .wasm file loaded under the CSP), stds as the CPU engine', async () => {
    const r = await runPage(['--disable-gpu', '--disable-webgl', '--disable-3d-apis']);
    assert.equal(r.backend, 'wasm', r.tooltip);
    assert.equal(r.tfBackend, 'wasm');
    assert.match(r.header, /^Computed on wasm · not webgpu: .+, not webgl: no WebGL context/);
    assert.match(r.tooltip, /\nwasm: ran \(SIMD, 1 thread: threads need a cross-origin isolated page\)$/);
    const worst = assertMatchesCpu(r.csv);
    console.log(`# signal page: wasm: ${r.done.runs} schemes in ${Math.round(Number(r.done.ms))} ms; worst relative difference from the CPU engine ${worst.toExponential(2)}`);
  });

  it('WebGL off and the .wasm files unreachable: cpu, each miss named', async () => {
    const r = await runPage(['--disable-gpu', '--disable-webgl', '--disable-3d-apis'], true);
    assert.equal(r.backend, 'cpu', r.tooltip);
    assert.equal(r.tfBackend, 'cpu');
    assert.match(r.header, /^Computed on cpu · not webgpu: .+, not webgl: .+, not wasm: \S/);
    assertMatchesCpu(r.csv);
  });
});
