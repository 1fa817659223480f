/**
 * The histogram panel's page (`dist/webview.js`, bundled for the browser).
 * It renders what the host sends (validated with `protocol.ts`), keeps its
 * state with `getState`/`setState`, and reports user actions back. Charts are
 * drawn with Observable Plot as SVG, coloured through `--vscode-*` variables so
 * they follow the theme; exports resolve those variables first.
 */
import * as Plot from '@observablehq/plot';
import { svgToPngDataUrl } from './pngExport';
import { DEFAULT_CONTROLS, PANEL_SCHEMES, NONLINEARITY_CHOICES, controlsProblem, parseHostMessage, parsePanelState, type Controls, type HostMessage, type PageMessage, type PanelState, type SeriesData } from './protocol';
import type * as Gpu from './histogramGpu';
import { binsCsv, densityBars, markers, placeMarkers, statsRows, theoryCurve, xDomain } from './viewModel';

interface VsCodeApi {
  postMessage(message: PageMessage): void;
  getState(): unknown;
  setState(state: PanelState): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

// Timestamps (wall clock) that let the e2e run tell apart VS Code creating the
// webview, this page loading, and InitLens drawing: see the README benchmarks.
const timeline = document.documentElement.dataset;
timeline.navStart = String(Math.round(performance.timeOrigin));
timeline.scriptStart = String(Date.now());

const vscode = acquireVsCodeApi();
const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

/** Colours per series role, from the theme. */
const COLORS: Record<SeriesData['role'], string> = {
  current: 'var(--vscode-charts-blue)',
  custom: 'var(--vscode-charts-blue)',
  recommended: 'var(--vscode-charts-green)',
  default: 'var(--vscode-charts-orange)',
};

const saved = parsePanelState(vscode.getState());
let state: PanelState | undefined = 'value' in saved ? saved.value : undefined;
let controls: Controls = state?.controls ?? DEFAULT_CONTROLS;
let lastHistogram: Extract<HostMessage, { type: 'histogram' }> | undefined;

function post(message: PageMessage): void {
  vscode.postMessage(message);
}

function setStatus(text: string, isError = false): void {
  const el = $('message');
  el.textContent = text;
  el.classList.toggle('error', isError);
}

// ---- controls ----------------------------------------------------------------

function fillSelect(id: string, values: readonly string[], labels?: Record<string, string>): void {
  const select = $<HTMLSelectElement>(id);
  select.replaceChildren(...values.map((v) => new Option(labels?.[v] ?? v, v)));
}

fillSelect('scheme', ['current', ...PANEL_SCHEMES], { current: 'in effect in the code' });
fillSelect('nonlinearity', NONLINEARITY_CHOICES);

function showControls(c: Controls): void {
  $<HTMLInputElement>('seed').value = c.seed;
  $<HTMLSelectElement>('scheme').value = c.scheme;
  $<HTMLSelectElement>('mode').value = c.mode;
  $<HTMLSelectElement>('nonlinearity').value = c.nonlinearity;
  for (const key of ['a', 'gain', 'mean', 'std', 'low', 'high', 'bins'] as const) $<HTMLInputElement>(key).value = String(c[key]);
  $<HTMLSelectElement>('scale').value = c.scale;
  $<HTMLSelectElement>('size').value = c.size;
  $<HTMLSelectElement>('values-mode').value = c.values;
  // Only the parameters of the chosen scheme are shown.
  for (const el of document.querySelectorAll<HTMLElement>('[data-for]')) {
    el.hidden = !(el.dataset.for ?? '').split(' ').some((k) => c.scheme.startsWith(k));
  }
}

function readControls(): Controls {
  const num = (id: string) => Number($<HTMLInputElement>(id).value);
  return {
    seed: $<HTMLInputElement>('seed').value.trim(),
    scheme: $<HTMLSelectElement>('scheme').value as Controls['scheme'],
    mode: $<HTMLSelectElement>('mode').value as Controls['mode'],
    nonlinearity: $<HTMLSelectElement>('nonlinearity').value as Controls['nonlinearity'],
    a: num('a'),
    gain: num('gain'),
    mean: num('mean'),
    std: num('std'),
    low: num('low'),
    high: num('high'),
    bins: num('bins'),
    scale: $<HTMLSelectElement>('scale').value as Controls['scale'],
    size: $<HTMLSelectElement>('size').value as Controls['size'],
    values: $<HTMLSelectElement>('values-mode').value as Controls['values'],
  };
}

function onControlsChanged(): void {
  const next = readControls();
  const problem = controlsProblem(next);
  if (problem) {
    setStatus(problem, true);
    return;
  }
  const onlyScale = JSON.stringify({ ...next, scale: controls.scale }) === JSON.stringify(controls);
  controls = next;
  showControls(controls);
  saveState();
  // The scale is drawn here; everything else needs new samples.
  if (onlyScale && lastHistogram) render(lastHistogram);
  else post({ type: 'configure', controls });
}

for (const el of document.querySelectorAll<HTMLElement>('#controls input, #controls select')) {
  el.addEventListener('change', onControlsChanged);
}

function saveState(): void {
  if (state) {
    state = { ...state, controls };
    vscode.setState(state);
  }
}

// ---- chart -------------------------------------------------------------------

/** The chart's plot area, in pixels from its left and right edges (marker labels are placed against it). */
const MARGIN_LEFT = 56;
const MARGIN_RIGHT = 20;
/** Line height of a row of marker labels at the 11px font. */
const LABEL_ROW_PX = 13;

function chart(series: readonly SeriesData[], scale: 'linear' | 'log', width: number): SVGSVGElement | HTMLElement {
  const [lo, hi] = xDomain(series);
  const marks: Plot.Markish[] = [];
  series.forEach((s, i) => {
    const bars = densityBars(s, scale);
    if (i === 0) {
      marks.push(Plot.rectY(bars, { x1: 'x1', x2: 'x2', y: 'y', fill: COLORS[s.role], fillOpacity: 0.55, title: (b: { x1: number; x2: number; y: number }) => `${s.label}\n[${b.x1.toPrecision(4)}, ${b.x2.toPrecision(4)}): density ${b.y.toPrecision(4)}` }));
    } else {
      // Other schemes as step outlines on the same axes.
      const steps = bars.flatMap((b) => [{ x: b.x1, y: b.y }, { x: b.x2, y: b.y }]);
      marks.push(Plot.line(steps, { x: 'x', y: 'y', stroke: COLORS[s.role], strokeWidth: 1.5 }));
    }
    const curve = theoryCurve(s, scale);
    if (curve.length > 0) marks.push(Plot.line(curve, { x: 'x', y: 'y', stroke: COLORS[s.role], strokeDasharray: '4,3', strokeWidth: 1.5 }));
  });
  const primary = series[0];
  if (primary) {
    const m = markers(primary);
    marks.push(Plot.ruleX(m, { x: 'x', stroke: 'var(--vscode-editorLineNumber-foreground)', strokeDasharray: '2,3' }));
    // Labels in rows that never overlap (viewModel.placeMarkers), one text mark per row.
    const placed = placeMarkers(m, { domain: [lo, hi], range: [MARGIN_LEFT, width - MARGIN_RIGHT] });
    for (let row = 0; placed.some((p) => p.row === row); row++) {
      marks.push(Plot.text(placed.filter((p) => p.row === row), { x: 'x', text: 'label', frameAnchor: 'top', dy: 2 + row * LABEL_ROW_PX, fill: 'var(--vscode-descriptionForeground)' }));
    }
  }
  if (scale === 'linear') marks.push(Plot.ruleY([0], { stroke: 'var(--vscode-foreground)' }));
  return Plot.plot({
    width,
    height: 320,
    marginLeft: MARGIN_LEFT,
    marginRight: MARGIN_RIGHT,
    style: { background: 'transparent', color: 'var(--vscode-foreground)', fontSize: '11px' },
    x: { domain: [lo, hi], label: 'weight value', grid: true },
    y: { type: scale, label: 'density', grid: true },
    marks,
  });
}

function render(msg: Extract<HostMessage, { type: 'histogram' }>): void {
  lastHistogram = msg;
  const host = $('chart');
  const width = Math.max(320, Math.min(900, host.clientWidth || 640));
  const started = performance.now();
  const svg = chart(msg.series, controls.scale, width);
  host.replaceChildren(svg);
  // Drawing time, for the e2e run's report.
  host.dataset.renderMs = (performance.now() - started).toFixed(1);
  timeline.firstRender ??= String(Date.now());
  if (timeline.selectClick) timeline.selectRender ??= String(Date.now());
  host.dataset.request = String(msg.request);
  host.dataset.phase = msg.phase;
  host.setAttribute('aria-label', `Histogram of ${msg.layer}: ${msg.series.map((s) => s.label).join(' vs ')}`);
  // Legend: which colour is which scheme.
  $('legend').replaceChildren(
    ...msg.series.map((s, i) => {
      const item = document.createElement('li');
      const swatch = document.createElement('span');
      swatch.className = `swatch ${i === 0 ? 'filled' : 'outline'}`;
      swatch.style.setProperty('--swatch', COLORS[s.role]);
      item.append(swatch, document.createTextNode(s.label));
      return item;
    }),
  );
  renderTable($('stats'), statsRows(msg.series, msg.fanIn, msg.fanOut));
  renderBinsTable(msg.series[0]);
  const progress = $<HTMLProgressElement>('progress');
  progress.value = msg.progress;
  progress.hidden = msg.phase === 'done';
  $<HTMLButtonElement>('cancel').hidden = msg.phase === 'done';
  $('backend').textContent = msg.backend;
  $('backend').title = msg.backendDetail ?? '';
  // Exact mode: the status, the first values, and the tensor export.
  $('exact').hidden = !msg.exact;
  $<HTMLButtonElement>('npy').hidden = !msg.exact || !msg.exact.first.length;
  if (msg.exact) {
    $('exact-status').textContent = msg.exact.status;
    $('exact-values').textContent = msg.exact.first.map((v) => v.toPrecision(8)).join('  ');
  }
  const first = msg.series[0];
  setStatus(msg.phase === 'done' ? `${msg.layer}: ${first ? first.count.toLocaleString('en-US') : 0} weights` : `${msg.layer}: ${Math.round(msg.progress * 100)}% sampled…`);
  $('layers').querySelectorAll('li').forEach((li) => li.classList.toggle('selected', li.dataset.layer === msg.layer));
}

function renderTable(table: HTMLElement, rows: string[][]): void {
  table.replaceChildren(
    ...rows.map((cells, r) => {
      const tr = document.createElement('tr');
      cells.forEach((text, c) => {
        const cell = document.createElement(r === 0 || c === 0 ? 'th' : 'td');
        if (r === 0 && c > 0) cell.setAttribute('scope', 'col');
        if (c === 0 && r > 0) cell.setAttribute('scope', 'row');
        cell.textContent = text;
        tr.append(cell);
      });
      return tr;
    }),
  );
}

function renderBinsTable(s: SeriesData | undefined): void {
  const rows = [['bin', 'lower', 'upper', 'count']];
  s?.counts.forEach((count, i) => rows.push([String(i + 1), s.edges[i].toPrecision(5), s.edges[i + 1].toPrecision(5), String(count)]));
  renderTable($('bins'), rows);
}

// ---- overview ----------------------------------------------------------------

function renderModel(msg: Extract<HostMessage, { type: 'model' }>): void {
  $('title').textContent = msg.title;
  document.title = msg.title;
  controls = msg.controls;
  showControls(controls);
  state = { uri: msg.uri, model: msg.model, ...(msg.selected ? { layer: msg.selected } : {}), controls };
  vscode.setState(state);
  // Only the title and the selection moved: keep the overview (and its thumbnails).
  if (msg.sameLayers) {
    $('layers').querySelectorAll('li').forEach((li) => li.classList.toggle('selected', li.dataset.layer === msg.selected));
    return;
  }
  $('layers').replaceChildren(
    ...msg.layers.map((row) => {
      const li = document.createElement('li');
      li.dataset.layer = row.name;
      const button = document.createElement('button');
      button.disabled = !row.previewable;
      button.className = 'layer';
      const name = document.createElement('span');
      name.className = 'name';
      name.textContent = `${row.flag ? '⚠ ' : ''}${row.name}`;
      const detail = document.createElement('span');
      detail.className = 'detail';
      detail.textContent = `${row.type} ${row.shape} · ${row.activation} · ${row.scheme}`;
      const thumb = document.createElement('span');
      thumb.className = 'thumb';
      button.append(name, thumb, detail);
      if (row.flag) button.title = row.flag;
      button.addEventListener('click', () => {
        timeline.selectClick = String(Date.now());
        delete timeline.selectRender;
        post({ type: 'select', layer: row.name });
        if (state) {
          state = { ...state, layer: row.name };
          vscode.setState(state);
        }
      });
      li.append(button);
      if (row.flag) {
        const reason = document.createElement('p');
        reason.className = 'flag';
        reason.textContent = row.flag;
        li.append(reason);
      }
      return li;
    }),
  );
}

function renderThumbnail(msg: Extract<HostMessage, { type: 'thumbnail' }>): void {
  const li = [...$('layers').querySelectorAll<HTMLElement>('li')].find((el) => el.dataset.layer === msg.layer);
  const slot = li?.querySelector('.thumb');
  if (!slot) return;
  const max = Math.max(1, ...msg.counts);
  const data = msg.counts.map((c, i) => ({ i, y: c / max }));
  slot.replaceChildren(
    Plot.plot({ width: 120, height: 28, margin: 0, axis: null, style: { background: 'transparent' }, x: { domain: [0, msg.counts.length] }, y: { domain: [0, 1] }, marks: [Plot.rectY(data, { x1: 'i', x2: (d: { i: number }) => d.i + 1, y: 'y', fill: 'var(--vscode-charts-blue)' })] }),
  );
}

// ---- export ------------------------------------------------------------------

/** The chart's SVG with theme variables replaced by their current values (files have no theme). */
function standaloneSvg(): string | undefined {
  const svg = $('chart').querySelector('svg');
  if (!svg) return undefined;
  const clone = svg.cloneNode(true) as SVGSVGElement;
  const computed = getComputedStyle(document.documentElement);
  const resolve = (value: string) => value.replace(/var\((--[\w-]+)\)/g, (_, name: string) => computed.getPropertyValue(name).trim() || 'currentColor');
  for (const el of [clone, ...clone.querySelectorAll('*')]) {
    for (const attr of [...el.attributes]) if (attr.value.includes('var(')) el.setAttribute(attr.name, resolve(attr.value));
  }
  clone.setAttribute('xmlns', 'http://www.w3.org/2000/svg');
  clone.style.background = computed.getPropertyValue('--vscode-editor-background').trim() || 'white';
  clone.style.color = computed.getPropertyValue('--vscode-foreground').trim() || 'black';
  return new XMLSerializer().serializeToString(clone);
}

async function exportPng(): Promise<void> {
  const svg = standaloneSvg();
  const data = svg ? await svgToPngDataUrl(svg) : undefined;
  if (data) post({ type: 'export', format: 'png', data });
}

$('copy').addEventListener('click', () => post({ type: 'copyCode' }));
$('svg').addEventListener('click', () => {
  const svg = standaloneSvg();
  if (svg) post({ type: 'export', format: 'svg', data: svg });
});
$('png').addEventListener('click', () => void exportPng());
$('csv').addEventListener('click', () => {
  if (lastHistogram?.series[0]) post({ type: 'export', format: 'csv', data: binsCsv(lastHistogram.series[0]) });
});
$('cancel').addEventListener('click', () => post({ type: 'cancel' }));
$('npy').addEventListener('click', () => post({ type: 'exportTensor' }));

// ---- messages ----------------------------------------------------------------

window.addEventListener('message', (event: MessageEvent<unknown>) => {
  const parsed = parseHostMessage(event.data);
  if ('problem' in parsed) {
    setStatus(`InitLens ignored a message from the extension: ${parsed.problem}.`, true);
    return;
  }
  const msg = parsed.value;
  switch (msg.type) {
    case 'model':
      renderModel(msg);
      break;
    case 'thumbnail':
      renderThumbnail(msg);
      break;
    case 'histogram':
      render(msg);
      break;
    case 'cancelled':
      $<HTMLProgressElement>('progress').hidden = true;
      $<HTMLButtonElement>('cancel').hidden = true;
      setStatus('Cancelled: the chart shows what was sampled so far.');
      break;
    case 'error':
      setStatus(msg.message, true);
      break;
    case 'gpuSample':
      void sampleOnGpu(msg.request);
      break;
    case 'gpuCancel':
      cancelledGpu.add(msg.id);
      break;
  }
});

// ---- the GPU sampler -----------------------------------------------------------
// The host asks for a series by distribution, count and seed; the module
// (TensorFlow.js on WebGPU or WebGL) is imported on the first request only.

let gpu: Promise<typeof Gpu> | undefined;
const cancelledGpu = new Set<number>();

async function sampleOnGpu(request: Extract<HostMessage, { type: 'gpuSample' }>['request']): Promise<void> {
  try {
    const url = document.body.dataset.gpu;
    if (!url) throw new Error('no GPU: this page has no GPU sampler');
    gpu ??= import(url) as Promise<typeof Gpu>;
    const answer = await (await gpu).sample(request, () => cancelledGpu.has(request.id));
    post({ type: 'gpuSampled', answer });
  } catch (error) {
    if (cancelledGpu.has(request.id)) return;
    const reason = error instanceof Error ? error.message : String(error);
    post({ type: 'gpuUnavailable', id: request.id, reason: (reason.startsWith('no GPU') ? reason : `the GPU sampler failed: ${reason}`).slice(0, 2000) });
  } finally {
    cancelledGpu.delete(request.id);
  }
}

showControls(controls);
post({ type: 'ready' });
