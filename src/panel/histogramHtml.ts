/**
 * The histogram panel's page, as HTML (no `vscode` import: the e2e run serves
 * this very page, CSP included, to Chromium). Scripts come only with the
 * render's nonce or from the extension's own folders: the GPU sampler
 * (dist/signal/histogramGpu.js and its TensorFlow.js chunks) is imported
 * from there on the host's first `gpuSample`.
 */
export interface HistogramPageUris {
  /** `webview.cspSource`. */
  readonly cspSource: string;
  readonly nonce: string;
  /** dist/webview.js: the page. */
  readonly script: string;
  /** dist/signal/histogramGpu.js: the GPU sampler. */
  readonly gpu: string;
  readonly style: string;
}

const attr = (s: string) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');

export function histogramPageHtml(u: HistogramPageUris): string {
  const csp = [
    "default-src 'none'",
    `img-src ${u.cspSource} data:`,
    // Observable Plot writes style attributes and a <style> element into its SVG.
    `style-src ${u.cspSource} 'unsafe-inline'`,
    `script-src 'nonce-${u.nonce}' ${u.cspSource}`,
  ].join('; ');
  const number = (id: string, label: string, attrs = 'step="any"') => `<label>${label}<input id="${id}" type="number" ${attrs}></label>`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${attr(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${attr(u.style)}">
<title>InitLens</title>
</head>
<body data-gpu="${attr(u.gpu)}">
<header><h1 id="title">InitLens</h1><span id="backend" tabindex="0"></span></header>
<section id="controls" aria-label="Sampling controls">
<label>Seed<input id="seed" inputmode="numeric" aria-describedby="seed-help"></label>
<label>Scheme<select id="scheme"></select></label>
<label data-for="kaiming">Mode<select id="mode"><option value="fan_in">fan_in</option><option value="fan_out">fan_out</option></select></label>
<label data-for="kaiming">Nonlinearity<select id="nonlinearity"></select></label>
<span data-for="kaiming">${number('a', 'a (negative slope)')}</span>
<span data-for="xavier orthogonal">${number('gain', 'Gain', 'step="any" min="0"')}</span>
<span data-for="normal trunc_normal constant">${number('mean', 'Mean (constant: value)')}</span>
<span data-for="normal trunc_normal">${number('std', 'Std', 'step="any" min="0"')}</span>
<span data-for="uniform trunc_normal">${number('low', 'Low')}</span>
<span data-for="uniform trunc_normal">${number('high', 'High')}</span>
${number('bins', 'Bins', 'min="1" max="10000" step="1"')}
<label>Count scale<select id="scale"><option value="linear">linear</option><option value="log">log</option></select></label>
<label>Sample<select id="size"><option value="full">full tensor</option><option value="subsample">subsample (65,536)</option></select></label>
<label>Values<select id="values-mode"><option value="exact">Exact (PyTorch CPU)</option><option value="distribution">Distribution</option></select></label>
</section>
<p id="seed-help" hidden>An integer from 0 to 2^64−1; by default the file's torch.manual_seed value.</p>
<section id="status" role="status" aria-live="polite"><progress id="progress" max="1" value="0"></progress><button id="cancel" hidden>Cancel</button><span id="message">Loading…</span></section>
<ul id="legend" aria-label="Legend"></ul>
<div id="chart" role="img" aria-label="Histogram"></div>
<table id="stats" aria-label="Statistics"></table>
<section id="exact" hidden aria-label="Exact values"><p id="exact-status"></p><p>First values: <code id="exact-values"></code></p></section>
<div id="actions"><button id="copy">Copy init code</button><button id="png">Export PNG</button><button id="svg">Export SVG</button><button id="csv">Export CSV</button><button id="npy" hidden>Export tensor (.npy)</button></div>
<details><summary>Bins as a table</summary><table id="bins" aria-label="Bins"></table></details>
<h2>Layers</h2>
<ul id="layers" aria-label="Layers of the model"></ul>
<script nonce="${u.nonce}" src="${attr(u.script)}"></script>
</body>
</html>`;
}
