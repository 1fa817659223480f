/**
 * The Signal panel's page (dist/signal.js). It receives a job from the host
 * (signalProtocol.ts), imports the compute module on the first one (TensorFlow.js
 * and its backends are not loaded at panel open), runs every scheme on the
 * backend that starts here, and draws per layer, against depth: the forward
 * std and the gradient std on log scales, the dead and saturated fractions,
 * one line per scheme; the verdict; a per-layer table; CSV, SVG and PNG exports.
 * Colours come from the --vscode-* theme variables.
 */
import * as Plot from '@observablehq/plot';
import { svgToPngDataUrl } from '../pngExport';
import { backendDetail, type LoadedTf } from '../../core/signal/backendChoice';
import { arrival } from '../../core/signal/delivery';
import { statsDifference } from '../../core/signal/agreement';
import { signalVerdict } from '../../core/signal/verdict';
import { histogramPoints, type Histograms } from '../../core/signal/histograms';
import { DEFAULT_SIGNAL_SETTINGS, parseSignalHostMessage, parseSignalPanelState, type SignalHostMessage, type SignalPageMessage, type SignalPanelState, type SignalSettings } from '../signalProtocol';
import { depthPoints, layerRows, sampleStd, signalCsv, undrawable, type Metric, type SchemeResult } from '../signalViewModel';
import type * as Compute from './compute';

interface VsCodeApi {
  postMessage(message: SignalPageMessage): void;
  getState(): unknown;
  setState(state: SignalPanelState): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

type Job = Extract<SignalHostMessage, { type: 'job' }>;
type JobRun = Job['runs'][number];
/** A job whose schemes grow as the host's `runs` messages arrive. */
type LiveJob = Job & { runs: JobRun[]; skipped: Job['skipped'][number][]; pending: number };

const vscode = acquireVsCodeApi();
const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const dataset = document.documentElement.dataset;
dataset.scriptStart = String(Date.now());

/** A colour per scheme from the theme's chart palette; the second round is dashed. */
const PALETTE = Object.entries({ blue: '#3794ff', red: '#f14c4c', green: '#89d185', orange: '#d18616', purple: '#b180d7', yellow: '#cca700' }).map(([c, fallback]) => `var(--vscode-charts-${c}, ${fallback})`);
const style = (i: number) => ({ stroke: PALETTE[i % PALETTE.length], dashed: i >= PALETTE.length });

const saved = parseSignalPanelState(vscode.getState());
let state: SignalPanelState | undefined = 'value' in saved ? saved.value : undefined;
let job: LiveJob | undefined;
/** Wakes the run waiting for the next scheme of `job`. */
let arrived: (() => void) | undefined;
let results: (SchemeResult | undefined)[] = [];
const hidden = new Set<string>();
let cancelled = false;
let computing: Promise<void> | undefined;

function post(message: SignalPageMessage): void {
  vscode.postMessage(message);
}

function setStatus(text: string, isError = false): void {
  const el = $('message');
  el.textContent = text;
  el.classList.toggle('error', isError);
}

// ---- controls ----------------------------------------------------------------

let data: string | undefined;

function showSettings(s: SignalSettings): void {
  $<HTMLInputElement>('input-shape').value = s.inputShape;
  $<HTMLInputElement>('input-seed').value = s.inputSeed;
  $<HTMLInputElement>('seed').value = s.seed;
  data = s.data;
  // A batch file gives the input its shape and replaces the seeded input.
  $('batch').textContent = data ? decodeURIComponent(data.slice(data.lastIndexOf('/') + 1)) : 'random input';
  $('random-data').hidden = !data;
  $<HTMLInputElement>('input-shape').disabled = data !== undefined;
  $<HTMLInputElement>('input-seed').disabled = data !== undefined;
}

function readSettings(): SignalSettings {
  return { inputShape: $<HTMLInputElement>('input-shape').value.trim(), inputSeed: $<HTMLInputElement>('input-seed').value.trim(), seed: $<HTMLInputElement>('seed').value.trim(), ...(data ? { data } : {}) };
}

$('controls').addEventListener('submit', (event) => {
  event.preventDefault();
  const settings = readSettings();
  if (state) {
    state = { ...state, settings };
    vscode.setState(state);
  }
  setStatus('Preparing the weights…');
  post({ type: 'configure', settings });
});
$('pick-data').addEventListener('click', () => post({ type: 'pickData' }));
$('random-data').addEventListener('click', () => {
  data = undefined;
  setStatus('Preparing the weights…');
  post({ type: 'configure', settings: { ...readSettings(), inputShape: '' } });
});
$('input-shape').addEventListener('focus', () => ($('shape-help').hidden = false));
$('input-shape').addEventListener('blur', () => ($('shape-help').hidden = true));
$('cancel').addEventListener('click', () => {
  cancelled = true;
});

// ---- compute -----------------------------------------------------------------

let loaded: Promise<{ compute: typeof Compute; tf: LoadedTf }> | undefined;
/** How long a page whose host runs the first scheme waits for the job before it loads TensorFlow.js anyway (see the end of this file). */
const HOST_FIRST_WAIT_MS = 300;

/** The compute module and its backend, loaded once (from page start). */
function backend(): Promise<{ compute: typeof Compute; tf: LoadedTf }> {
  loaded ??= (async () => {
    const compute = (await import(document.body.dataset.compute as string)) as typeof Compute;
    dataset.computeLoaded = String(Date.now());
    const setting = document.body.dataset.backends;
    const tf = await compute.loadPageTf(document.body.dataset.wasm as string, compute.PAGE_BACKENDS, { setting: setting === 'gpu' || setting === 'cpu' ? setting : 'auto' });
    dataset.tfReady = String(Date.now());
    return { compute, tf };
  })();
  return loaded;
}

/** Scheme `index` of `j`, once the host has posted it; undefined after the last one, or when `j` is replaced. */
async function schemeOf(j: LiveJob, index: number): Promise<JobRun | undefined> {
  while (index >= j.runs.length && j.pending > 0 && job === j) await new Promise<void>((resolve) => (arrived = resolve));
  return job === j ? j.runs[index] : undefined;
}

/** How many schemes `j` will have run when complete, as known now. */
const expected = (j: LiveJob) => j.runs.length + j.pending;

async function run(received: Job): Promise<void> {
  // When the job arrived and when the backend was ready, for the e2e run's timing (wall clock).
  dataset.jobArrived ??= String(Date.now());
  if (received.posted !== undefined) dataset.jobPosted ??= String(received.posted);
  const next: LiveJob = { ...received, runs: [...received.runs], skipped: [...received.skipped], pending: received.pending ?? 0 };
  // A job already running stops at its next scheme; this one starts after it.
  cancelled = true;
  job = next;
  arrived?.();
  await computing;
  cancelled = false;
  results = [];
  renderSchemes(next);
  const preview = next.preview;
  const first = next.runs[0];
  if (preview && first) {
    // The extension host ran the first scheme already: its chart now, this page's own run replaces it.
    results[0] = { scheme: first.scheme, short: first.short, exact: first.exact, stats: preview.stats };
    $('backend').textContent = `${first.short}: computed in the extension host on ${preview.summary}; starting TensorFlow.js here…`;
    $('backend').title = 'The extension host had TensorFlow.js loaded (for the measured gains) and ran the first scheme for this chart. This page then runs every scheme on the backend it starts, the first again.';
  }
  renderAll();
  if (preview && first) {
    dataset.firstChart ??= String(Date.now());
    dataset.firstChartBy = 'host';
  }
  let previewDifference: number | undefined;
  const started = performance.now();
  const progress = $<HTMLProgressElement>('progress');
  progress.hidden = false;
  progress.value = 0;
  $('cancel').hidden = false;
  setStatus(`Loading TensorFlow.js…`);
  let done = 0;
  let summary = '';
  let name = '';
  try {
    const { compute, tf } = await backend();
    dataset.backendReady ??= String(Date.now());
    name = tf.backend;
    summary = tf.summary;
    $('backend').textContent = `Computed on ${tf.summary}`;
    $('backend').title = backendDetail(tf);
    dataset.backend = tf.backend;
    dataset.tfBackend = tf.tf.getBackend();
    setStatus(`${next.runs[0]?.short ?? ''}: computing on ${tf.backend} (1 of ${expected(next)})…`);
    done = await compute.runJob(
      tf,
      next,
      (i) => schemeOf(next, i),
      (i, stats) => {
        const r = next.runs[i];
        if (i === 0 && preview) {
          previewDifference = statsDifference(preview.stats, stats);
          dataset.previewDifference = String(previewDifference);
        }
        results[i] = { scheme: r.scheme, short: r.short, exact: r.exact, stats };
        progress.value = (i + 1) / expected(next);
        renderAll();
        // When the first scheme's lines were drawn, for the e2e run's timing (wall clock).
        if (i === 0) {
          dataset.firstChart ??= String(Date.now());
          dataset.firstChartBy ??= 'page';
        }
        const following = next.runs[i + 1];
        if (following) setStatus(`${following.short}: computing on ${tf.backend} (${i + 2} of ${expected(next)})…`);
        else if (next.pending > 0) setStatus(`Preparing the weights of the next scheme (${i + 2} of ${expected(next)})…`);
      },
      () => cancelled || job !== next,
    );
    if (job === next && done > 0) await drawHistograms(next);
    if (job === next) {
      setStatus(done < expected(next) ? `Cancelled after ${done} of ${expected(next)} schemes.` : `${next.runs.length} schemes, ${next.graph.layers.length} layers, input ${next.settings.inputShape} (${next.inputNote}) in ${Math.round(performance.now() - started)} ms.`);
    }
  } catch (error) {
    setStatus(`The signal could not be computed: ${error instanceof Error ? error.message : String(error)}`, true);
  } finally {
    progress.hidden = true;
    $('cancel').hidden = true;
  }
  const ms = performance.now() - started;
  dataset.signalRequest = String(next.request);
  dataset.signalMs = ms.toFixed(1);
  post({ type: 'done', request: next.request, backend: name || 'none', summary: summary || 'no backend started', runs: done, cancelled: done < expected(next), ms, ...(preview && previewDifference !== undefined ? { preview: { backend: preview.backend, difference: previewDifference } } : {}) });
}

// ---- drawing -----------------------------------------------------------------

function renderSchemes(j: Job): void {
  const box = $('schemes');
  box.replaceChildren(
    Object.assign(document.createElement('legend'), { textContent: 'Schemes' }),
    ...j.runs.map((r, i) => {
      const label = document.createElement('label');
      const box = document.createElement('input');
      box.type = 'checkbox';
      box.checked = !hidden.has(r.short);
      box.addEventListener('change', () => {
        if (box.checked) hidden.delete(r.short);
        else hidden.add(r.short);
        renderAll();
      });
      const swatch = document.createElement('span');
      const s = style(i);
      swatch.className = `line-swatch${s.dashed ? ' dashed' : ''}`;
      swatch.style.setProperty('--swatch', s.stroke);
      label.title = `${r.label}${r.exact ? '' : ` (distribution only: ${r.reasons[0] ?? ''})`}`;
      label.append(box, swatch, document.createTextNode(r.short));
      return label;
    }),
  );
  for (const id of ['table-scheme', 'histogram-scheme']) {
    const select = $<HTMLSelectElement>(id);
    const before = select.value;
    select.replaceChildren(...j.runs.map((r) => new Option(r.short, r.scheme)));
    if (j.runs.some((r) => r.scheme === before)) select.value = before;
    // The histograms open on the init in effect.
    else if (id === 'histogram-scheme' && j.runs.some((r) => r.scheme === 'in-effect')) select.value = 'in-effect';
  }
  $('notes').textContent = j.skipped.map((s) => `Not run: ${s.why}`).join(' ');
}
$('table-scheme').addEventListener('change', () => renderTable());
$('histogram-scheme').addEventListener('change', () => {
  if (job) void drawHistograms(job);
});

let histograms: Histograms | undefined;

/** The Glorot & Bengio view of the scheme chosen: one forward pass on the same backend, then one density curve per layer. */
async function drawHistograms(j: Job): Promise<void> {
  const index = j.runs.findIndex((r) => r.scheme === $<HTMLSelectElement>('histogram-scheme').value);
  if (index < 0 || !loaded) return;
  try {
    const { compute, tf } = await loaded;
    const h = await compute.histogramsOf(tf, j, index);
    if (job !== j) return;
    histograms = h;
    renderHistograms();
    dataset.histogramScheme = j.runs[index].scheme;
  } catch (error) {
    $('histogram-note').textContent = `No histograms: ${error instanceof Error ? error.message : String(error)}`;
  }
}

function renderHistograms(): void {
  const h = histograms;
  if (!h) return;
  const width = Math.max(320, Math.min(900, $('forward').clientWidth || 640));
  const points = histogramPoints(h);
  $('histograms').replaceChildren(
    Plot.plot({
      width,
      height: 260,
      marginLeft: 64,
      style: { background: 'transparent', color: 'var(--vscode-foreground)', fontSize: '11px' },
      x: { label: 'value after the activation →', grid: true },
      y: { label: '↑ density', grid: true },
      color: { type: 'linear', scheme: 'viridis' },
      marks: [Plot.line(points, { x: 'x', y: 'density', z: 'layer', stroke: 'depth', strokeWidth: 1.4, title: (p: { layer: string }) => p.layer })],
    }),
  );
  const outputs = h.layers.filter((l) => l.of === 'output').map((l) => l.name);
  $('histogram-note').textContent = `${h.bins} bins from ${h.lo.toPrecision(3)} to ${h.hi.toPrecision(3)}, every layer on the same axis, coloured from the first layer (purple) to the last (yellow).${outputs.length ? ` No activation follows ${outputs.join(', ')}: its output is drawn.` : ''}`;
}

function shown(): SchemeResult[] {
  return results.filter((r): r is SchemeResult => r !== undefined && !hidden.has(r.short));
}

function chart(metric: Metric, extra: Metric | undefined, label: string, log: boolean): SVGSVGElement | HTMLElement {
  const j = job as Job;
  const width = Math.max(320, Math.min(900, $('forward').clientWidth || 640));
  const order = j.runs.map((r) => r.short);
  const depth = j.graph.layers.length;
  const marks: Plot.Markish[] = [];
  for (const [m, dash] of [[metric, false], ...(extra ? [[extra, true]] : [])] as [Metric, boolean][]) {
    const points = depthPoints(shown(), m);
    for (const short of order) {
      const i = order.indexOf(short);
      const s = style(i);
      const data = points.filter((p) => p.scheme === short);
      if (data.length === 0) continue;
      const strokeDasharray = s.dashed !== dash ? '5,3' : undefined;
      marks.push(Plot.line(data, { x: 'depth', y: 'y', stroke: s.stroke, strokeWidth: 1.8, ...(strokeDasharray ? { strokeDasharray } : {}) }));
      marks.push(Plot.dot(data, { x: 'depth', y: 'y', fill: s.stroke, r: 2.5, title: (p: { layer: string; y: number }) => `${short} · ${p.layer}${extra ? ` · ${m === 'zero' ? 'dead' : 'saturated'}` : ''}: ${p.y.toPrecision(4)}` }));
    }
  }
  return Plot.plot({
    width,
    height: 260,
    marginLeft: 64,
    style: { background: 'transparent', color: 'var(--vscode-foreground)', fontSize: '11px' },
    // Every chart on the same depth axis, integer ticks.
    x: { label: 'layer (forward order) →', grid: true, domain: [1, Math.max(2, depth)], ...(depth <= 16 ? { ticks: Array.from({ length: depth }, (_, i) => i + 1) } : {}), tickFormat: 'd' },
    y: log ? { type: 'log', label, grid: true } : { label, grid: true, domain: [0, 1] },
    marks,
  });
}

function renderAll(): void {
  if (!job) return;
  const have = shown();
  $('forward').replaceChildren(chart('forward', undefined, '↑ std', true));
  $('gradient').replaceChildren(chart('gradient', undefined, '↑ gradient std', true));
  $('fractions').replaceChildren(chart('zero', 'saturated', '↑ fraction dead (solid) · saturated (dashed)', false));
  $('forward-note').textContent = undrawable(have, 'forward').map((n) => `Not on the log scale: ${n}.`).join(' ');
  $('gradient-note').textContent = undrawable(have, 'gradient').map((n) => `Not on the log scale: ${n}.`).join(' ');
  const all = results.filter((r): r is SchemeResult => r !== undefined);
  if (all.length > 0) {
    // Token indices (an Embedding reads the input) have no signal scale: the output is rated against 1.
    const tokens = job.graph.ops[0]?.kind === 'input' && job.graph.ops[0].tokens !== undefined;
    $('verdict').textContent = signalVerdict(all.map((r) => ({ short: r.short, output: r.stats.output })), tokens ? null : sampleStd(job.input), job.graph.layers.length);
  } else {
    $('verdict').textContent = '';
  }
  renderTable();
}

function renderTable(): void {
  const scheme = $<HTMLSelectElement>('table-scheme').value;
  const r = results.find((x) => x?.scheme === scheme);
  const table = $('table');
  if (!r) {
    table.replaceChildren();
    return;
  }
  table.replaceChildren(
    ...layerRows(r).map((cells, row) => {
      const tr = document.createElement('tr');
      cells.forEach((text, c) => {
        const cell = document.createElement(row === 0 || c === 0 ? 'th' : 'td');
        if (row === 0 && c > 0) cell.setAttribute('scope', 'col');
        if (c === 0 && row > 0) cell.setAttribute('scope', 'row');
        cell.textContent = text;
        tr.append(cell);
      });
      return tr;
    }),
  );
}

// ---- export ------------------------------------------------------------------

/** The three charts as one SVG document, theme variables resolved (files have no theme). */
function standaloneSvg(): string | undefined {
  const svgs = ['forward', 'gradient', 'fractions', 'histograms'].map((id) => $(id).querySelector('svg')).filter((s): s is SVGSVGElement => s !== null);
  if (svgs.length === 0) return undefined;
  const computed = getComputedStyle(document.documentElement);
  const resolve = (value: string) => value.replace(/var\((--[\w-]+)\)/g, (_, name: string) => computed.getPropertyValue(name).trim() || 'currentColor');
  const ns = 'http://www.w3.org/2000/svg';
  const root = document.createElementNS(ns, 'svg');
  let y = 0;
  let width = 0;
  for (const svg of svgs) {
    const clone = svg.cloneNode(true) as SVGSVGElement;
    for (const el of [clone, ...clone.querySelectorAll('*')]) for (const a of [...el.attributes]) if (a.value.includes('var(')) el.setAttribute(a.name, resolve(a.value));
    const h = Number(svg.getAttribute('height')) || 260;
    const w = Number(svg.getAttribute('width')) || 640;
    clone.setAttribute('y', String(y));
    y += h;
    width = Math.max(width, w);
    root.append(clone);
  }
  root.setAttribute('xmlns', ns);
  root.setAttribute('width', String(width));
  root.setAttribute('height', String(y));
  root.setAttribute('style', `background:${computed.getPropertyValue('--vscode-editor-background').trim() || 'white'};color:${computed.getPropertyValue('--vscode-foreground').trim() || 'black'}`);
  return new XMLSerializer().serializeToString(root);
}

/** The chart as PNG (pngExport.ts). */
async function exportPng(): Promise<void> {
  const svg = standaloneSvg();
  const data = svg ? await svgToPngDataUrl(svg) : undefined;
  if (data) post({ type: 'export', format: 'png', data });
}
$('png').addEventListener('click', () => void exportPng());

$('csv').addEventListener('click', () => {
  const all = results.filter((r): r is SchemeResult => r !== undefined);
  if (all.length > 0) post({ type: 'export', format: 'csv', data: signalCsv(all) });
});
$('svg').addEventListener('click', () => {
  const svg = standaloneSvg();
  if (svg) post({ type: 'export', format: 'svg', data: svg });
});

// ---- messages ----------------------------------------------------------------

/** The first job messages as they came (`job1:start@<wall clock ms>`), copies included: for the e2e run's account of the channel. */
const arrivals: string[] = [];
function logArrival(what: string): void {
  if (arrivals.length >= 24) return;
  arrivals.push(`${what}@${Date.now()}`);
  dataset.arrivals = arrivals.join(' ');
}

window.addEventListener('message', (event: MessageEvent<unknown>) => {
  // When the first message came, before it is read, for the e2e run's timing (wall clock).
  dataset.firstMessage ??= String(Date.now());
  const parsed = parseSignalHostMessage(event.data);
  if ('problem' in parsed) {
    setStatus(`InitLens ignored a message from the extension: ${parsed.problem}.`, true);
    return;
  }
  const msg = parsed.value;
  if (msg.type !== 'error') logArrival(`${msg.type}${msg.request}:${arrival(job, msg)}`);
  if (msg.type === 'runs') {
    // More schemes of the job in progress (those of a replaced job, and copies posted again on ready, are dropped).
    if (job && arrival(job, msg) === 'append') {
      job.runs.push(...msg.runs);
      job.skipped.push(...msg.skipped);
      job.pending = msg.pending;
      renderSchemes(job);
      arrived?.();
    }
    return;
  }
  if (msg.type === 'error') {
    // No more schemes come for the job in progress.
    if (job) job.pending = 0;
    arrived?.();
    setStatus(msg.message, true);
    $('verdict').textContent = '';
    return;
  }
  // A job posted as the page loaded and again on ready runs once.
  if (arrival(job, msg) === 'drop') return;
  $('title').textContent = msg.title;
  document.title = msg.title;
  showSettings(msg.settings);
  state = { uri: msg.uri, model: msg.model, settings: msg.settings };
  vscode.setState(state);
  computing = run(msg);
});

showSettings(state?.settings ?? DEFAULT_SIGNAL_SETTINGS);
// `ready` once the webview has handed over what it held for this page (at its `load`, or 200 ms after
// DOMContentLoaded; then a margin, as that handler runs after this one), naming the job that came with it:
// the host posts again only what the page lacks (core/signal/delivery.ts).
void new Promise<void>((resolve) => {
  window.addEventListener(
    'load',
    () => {
      dataset.loadEvent = String(Date.now());
      resolve();
    },
    { once: true },
  );
  setTimeout(resolve, 250);
})
  .then(() => new Promise((resolve) => setTimeout(resolve, 50)))
  .then(() => {
    dataset.readyHolds = job ? String(job.request) : 'none';
    post({ type: 'ready', ...(job ? { request: job.request } : {}) });
  });
// The panel opens for a job: TensorFlow.js and its backend load while the host prepares it, not after.
// A failure stays in `loaded` and is reported by the job that awaits it. Where the host said it will
// run the first scheme itself (`data-host-first`), the job and its chart come first: loading
// TensorFlow.js as the page loads keeps its main thread busy when the webview hands the job over
// (measured in the e2e run: the job then arrived 70–110 ms after the page's load instead of 5–20 ms).
// The job starts the backend as soon as it has drawn that chart; the timer is for a job that is late.
if (document.body.dataset.hostFirst === '1') setTimeout(() => backend().catch(() => undefined), HOST_FIRST_WAIT_MS);
else backend().catch(() => undefined);
