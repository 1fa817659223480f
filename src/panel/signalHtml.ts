/**
 * The Signal panel's page, as HTML (no `vscode` import: the e2e run serves
 * this very page, CSP included, to Chromium). The CSP is the histogram
 * panel's plus what TensorFlow.js needs: scripts from the extension's own
 * folders (the compute module and its backend chunks, imported on the first
 * job), `'wasm-unsafe-eval'` and `connect-src` for the wasm backend's .wasm
 * files, and `blob:` workers for its threads.
 */
import type { BackendSetting } from '../core/sampling/backendSetting';

export interface SignalPageUris {
  /** `webview.cspSource`. */
  readonly cspSource: string;
  readonly nonce: string;
  /** dist/signal.js: the page. */
  readonly script: string;
  /** dist/signal/compute.js: TensorFlow.js and the engine, imported when the page starts. */
  readonly compute: string;
  /** The folder of the .wasm files (dist/wasm/), ending in `/`. */
  readonly wasm: string;
  readonly style: string;
  /** `initlens.compute.backend`: which of the page's backends it may use (tfBackends.ts). */
  readonly backends: BackendSetting;
  /** Modules fetched as the page parses (dist/signal/preload.json: compute.js and the wasm backend's chunks), and the SIMD .wasm file. */
  readonly preload?: { readonly modules: readonly string[]; readonly wasm: string };
  /** The extension host has TensorFlow.js loaded and will likely post the first scheme's figures with the job (panel/signalPanel.ts): the page lets the job in before it loads its own. */
  readonly hostFirst?: boolean;
}

const attr = (s: string) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');

export function signalPageHtml(u: SignalPageUris): string {
  const csp = [
    "default-src 'none'",
    `img-src ${u.cspSource} data:`,
    // Observable Plot writes style attributes and a <style> element into its SVG.
    `style-src ${u.cspSource} 'unsafe-inline'`,
    `script-src 'nonce-${u.nonce}' ${u.cspSource} 'wasm-unsafe-eval'`,
    `connect-src ${u.cspSource}`,
    'worker-src blob:',
  ].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${attr(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${attr(u.style)}">
${(u.preload?.modules ?? []).map((m) => `<link rel="modulepreload" href="${attr(m)}">\n`).join('')}${u.preload ? `<link rel="preload" as="fetch" crossorigin="anonymous" href="${attr(u.preload.wasm)}">\n` : ''}<title>InitLens: Signal</title>
</head>
<body data-compute="${attr(u.compute)}" data-wasm="${attr(u.wasm)}" data-backends="${attr(u.backends)}"${u.hostFirst ? ' data-host-first="1"' : ''}>
<header><h1 id="title">InitLens: Signal</h1><span id="backend" tabindex="0"></span></header>
<form id="controls" aria-label="Signal controls">
  <label>Input shape<input id="input-shape" placeholder="from the first layer" aria-describedby="shape-help"></label>
  <label>Input seed<input id="input-seed" inputmode="numeric"></label>
  <label>Model seed<input id="seed" inputmode="numeric" placeholder="the file's, else 0"></label>
  <span class="batch">Batch: <span id="batch">random input</span> <button id="pick-data" type="button" title="A .npy file of real inputs, batch axis first: read, never executed">Choose .npy…</button><button id="random-data" type="button" hidden>Use random input</button></span>
  <button id="run" type="submit">Run</button>
</form>
<p id="shape-help" hidden>Dimensions separated by commas, batch first (8,784 or 8,3,32,32).</p>
<section id="status" role="status" aria-live="polite"><progress id="progress" max="1" value="0" hidden></progress><button id="cancel" type="button" hidden>Cancel</button><span id="message">Loading…</span></section>
<p id="verdict" aria-live="polite"></p>
<fieldset id="schemes"><legend>Schemes</legend></fieldset>
<h2>Forward std per layer (after the activation)</h2>
<div id="forward" class="signal-chart" role="img" aria-label="Forward std per layer"></div>
<p id="forward-note" class="note"></p>
<h2>Gradient std per layer (with respect to its output)</h2>
<div id="gradient" class="signal-chart" role="img" aria-label="Gradient std per layer"></div>
<p id="gradient-note" class="note"></p>
<h2>Dead and saturated fractions</h2>
<div id="fractions" class="signal-chart" role="img" aria-label="Dead (exact zero) and saturated fractions per layer"></div>
<h2>Activation histograms per layer <label>for <select id="histogram-scheme"></select></label></h2>
<div id="histograms" class="signal-chart" role="img" aria-label="Histogram of the activation values of each layer, for the chosen scheme"></div>
<p id="histogram-note" class="note"></p>
<div id="actions"><button id="csv" type="button">Export CSV</button><button id="svg" type="button">Export SVG</button><button id="png" type="button">Export PNG</button></div>
<details><summary>Per layer, as a table</summary><label>Scheme <select id="table-scheme"></select></label><table id="table" aria-label="Per-layer statistics"></table></details>
<p id="notes" class="note"></p>
<script nonce="${u.nonce}" src="${attr(u.script)}"></script>
</body>
</html>`;
}
