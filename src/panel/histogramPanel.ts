/**
 * The histogram preview panel (webview), on the official shape: one panel,
 * `createOrShow`/`revive`, owned disposables, `localResourceRoots` limited to
 * the extension's `dist/` and `media/`, a CSP of `default-src 'none'` with a
 * fresh script nonce per render, data only through `postMessage` (validated
 * with `protocol.ts` both ways). Samples are computed on the page's GPU when
 * it has one and `initlens.compute.backend` is not `cpu` (pageGpu.ts), else
 * here, on the sampling engine's worker pool; either way the page only
 * receives bins and statistics. Exact mode always runs here.
 */
import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { saveExport } from './exportFile';
import { histogramPageHtml } from './histogramHtml';
import { gpuLine, PageGpu } from './pageGpu';
import { adviceOptions, type DocumentAnalyses } from '../analysis/documentAnalyses';
import { readConfig } from '../config';
import { adviseAnalysis, type Advice } from '../core/advice/judge';
import type { LibraryModelUse } from '../core/model/pretrained';
import { layerRows, previewPlan, previewProblem, seedFromFile, seriesData, type PreviewSeries } from '../core/preview/requests';
import { revivedState } from '../core/preview/revive';
import { mainParam, stateDictKey } from '../core/model/layer';
import { showDim } from '../core/model/evaluate';
import type { Model } from '../core/model/types';
import { backendLine, selectBackend, type ComputeBackend } from '../core/sampling/backends';
import { tallyChunk } from '../core/sampling/chunk';
import { summarize } from '../core/sampling/engine';
import { gpuSkipReason, tallyOfAnswer } from '../core/sampling/gpuSample';
import { emptyTally, tallyValues } from '../core/sampling/histogram';
import { exceeds, LimitError, limitMessage } from '../core/limits';
import { exactParameters, findTorchSeed, panelExactLimit } from '../core/torch/exact';
import { streamDraws } from '../core/torch/program';
import { npyBytes } from '../core/torch/npy';
import { planSampling, SamplingError, SUBSAMPLE_SIZE, type SamplingPlan } from '../core/sampling/plan';
import { SamplingPool } from '../core/sampling/pool';
import { isUserDocument } from '../arguments';
import { DEFAULT_CONTROLS, hostMessageProblem, parsePageMessage, type Controls, type HostMessage, type SeriesData } from '../webview/protocol';

export const VIEW_TYPE = 'initlens.histogram';

export interface PanelTarget {
  readonly uri: string;
  readonly model: string;
  readonly layer?: string;
}

type HistogramMessage = Extract<HostMessage, { type: 'histogram' }>;


export class HistogramPanel implements vscode.Disposable {
  static current: HistogramPanel | undefined;

  private readonly disposables: vscode.Disposable[] = [];
  private controls: Controls;
  private layer: string | undefined;
  /** The verdicts of the model's document, as last read (the overview flags its warnings). */
  private advice: Advice | undefined;
  private pool: SamplingPool | undefined;
  private backend: Promise<ComputeBackend> | undefined;
  private computation: AbortController | undefined;
  private thumbnails: AbortController | undefined;
  private requestId = 0;
  private ready = false;
  /** The page's GPU sampler, asked first unless the setting is `cpu`. */
  private readonly gpu = new PageGpu((m) => this.post(m));

  /** Opens (or reveals and retargets) the panel; resolves with the first complete histogram message. */
  static async createOrShow(extensionUri: vscode.Uri, analyses: DocumentAnalyses, target: PanelTarget): Promise<HistogramMessage | undefined> {
    if (HistogramPanel.current) {
      HistogramPanel.current.panel.reveal(undefined, true);
    } else {
      const panel = vscode.window.createWebviewPanel(VIEW_TYPE, 'InitLens', { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true }, panelOptions(extensionUri));
      HistogramPanel.current = new HistogramPanel(panel, extensionUri, analyses, target, undefined);
    }
    return HistogramPanel.current.retarget(target);
  }

  /**
   * Restores a panel after a restart from the state the serializer hands us:
   * only a valid state of a document the user has open again is followed;
   * otherwise the panel stays empty and says why (a saved state is page data,
   * and must not make InitLens open whatever URI it names).
   */
  static revive(panel: vscode.WebviewPanel, extensionUri: vscode.Uri, analyses: DocumentAnalyses, state: unknown): void {
    panel.webview.options = panelOptions(extensionUri);
    HistogramPanel.current?.dispose();
    const revived = revivedState(state, isUserDocument);
    if ('message' in revived) {
      HistogramPanel.current = new HistogramPanel(panel, extensionUri, analyses, undefined, undefined);
      HistogramPanel.current.post({ type: 'error', message: revived.message });
      return;
    }
    HistogramPanel.current = new HistogramPanel(panel, extensionUri, analyses, revived.state, revived.state.controls);
    void HistogramPanel.current.retarget(revived.state);
  }

  /** The model shown; undefined in a restored panel whose document is not open. */
  private target: PanelTarget | undefined;

  private constructor(
    private readonly panel: vscode.WebviewPanel,
    private readonly extensionUri: vscode.Uri,
    private readonly analyses: DocumentAnalyses,
    target: PanelTarget | undefined,
    controls: Controls | undefined,
  ) {
    this.target = target;
    this.controls = controls ?? DEFAULT_CONTROLS;
    this.panel.webview.html = this.html();
    this.panel.onDidDispose(() => this.dispose(), this, this.disposables);
    // A hidden panel's page is discarded (no retained context): what it was sampling is sampled here.
    this.panel.onDidChangeViewState((e) => e.webviewPanel.visible || this.gpu.fail('the panel was hidden'), this, this.disposables);
    this.panel.webview.onDidReceiveMessage((m: unknown) => void this.onMessage(m), this, this.disposables);
    this.analyses.onDidChange(
      (document) => {
        if (document.uri.toString() === this.target?.uri) void this.refresh();
      },
      this,
      this.disposables,
    );
    vscode.workspace.onDidChangeConfiguration(
      (e) => {
        if (e.affectsConfiguration('initlens.compute.backend')) this.backend = undefined;
      },
      this,
      this.disposables,
    );
  }

  private async retarget(target: PanelTarget): Promise<HistogramMessage | undefined> {
    const sameDocument = target.uri === this.target?.uri;
    this.target = target;
    const document = await vscode.workspace.openTextDocument(vscode.Uri.parse(target.uri, true));
    if (!sameDocument || this.controls === DEFAULT_CONTROLS) {
      // Exact mode by default when the file seeds PyTorch before building the model.
      const analysis = this.analyses.get(document);
      const model = analysis.models.models.find((m) => m.name === target.model);
      const torchSeed = model ? findTorchSeed(model, analysis.text, analysis.seeding) : undefined;
      const exactSeed = torchSeed && 'seed' in torchSeed ? BigInt.asUintN(64, torchSeed.seed).toString() : undefined;
      const seed = exactSeed ?? seedFromFile(analysis.seeding) ?? String(readConfig(document).seedDefault);
      this.controls = { ...this.controls, seed, values: exactSeed ? 'exact' : 'distribution' };
    }
    this.layer = target.layer;
    // Sampling starts at once, while the page is still loading: its messages
    // wait in `pending` and go out when the page says it is ready.
    return this.refresh();
  }

  /** Messages posted before the page was ready. */
  private pending: HostMessage[] = [];
  /** The document's library models (transfer learning), rows of the overview beside the layers. */
  private library: readonly LibraryModelUse[] = [];

  /** The model as it is now in the document, or undefined (with a message) when it is gone. */
  private async currentModel(): Promise<Model | undefined> {
    const target = this.target;
    if (!target) return undefined;
    const document = await vscode.workspace.openTextDocument(vscode.Uri.parse(target.uri, true));
    const analysis = this.analyses.get(document);
    const model = analysis.models.models.find((m) => m.name === target.model);
    // The same verdicts as the lenses, hovers and diagnostics.
    this.advice = adviseAnalysis(analysis.models, analysis.text, adviceOptions(analysis, readConfig(document).advice));
    this.library = analysis.models.libraryModels ?? [];
    if (!model) this.post({ type: 'error', message: `${target.model} is no longer in ${path.basename(document.uri.path)}.` });
    return model;
  }

  /**
   * Re-reads the model and recomputes the selected layer. The overview (rows
   * and thumbnails) is re-sent only when the model or the controls changed:
   * selecting another layer goes straight to sampling.
   */
  private async refresh(): Promise<HistogramMessage | undefined> {
    const model = await this.currentModel();
    if (!model || !this.target) return undefined;
    const rows = layerRows(model, (layer) => this.advice?.verdict(layer), this.library);
    if (!this.layer || !rows.some((r) => r.name === this.layer && r.previewable)) this.layer = rows.find((r) => r.previewable)?.name;
    const title = `InitLens: ${model.name}${this.layer ? ` · ${this.layer}` : ''}`;
    this.panel.title = title;
    const overview = JSON.stringify([this.target.uri, rows, this.controls]);
    const message: HostMessage = { type: 'model', uri: this.target.uri, title, model: model.name, framework: model.framework, layers: rows, selected: this.layer, controls: this.controls };
    if (overview !== this.overview) {
      this.overview = overview;
      this.post(message);
      void this.sendThumbnails(model);
    } else {
      this.post({ ...message, layers: [], sameLayers: true });
    }
    return this.compute(model);
  }

  /** What the page's overview shows, to skip re-sending it unchanged. */
  private overview = '';

  private getBackend(): Promise<ComputeBackend> {
    this.pool ??= new SamplingPool();
    this.backend ??= selectBackend(readConfig().computeBackend, { cpu: { pool: this.pool } });
    return this.backend;
  }

  /** Samples every series of the selected layer, posting progressive histograms. */
  private async compute(model: Model): Promise<HistogramMessage | undefined> {
    this.computation?.abort();
    const layer = model.layers.find((l) => l.name === this.layer);
    if (!layer) {
      this.post({ type: 'error', message: `${model.name} has no layer whose weights can be previewed.` });
      return undefined;
    }
    const problem = previewProblem(layer, this.advice?.verdict(layer));
    if (problem) {
      this.post({ type: 'error', message: problem });
      return undefined;
    }
    let preview;
    let plans: SamplingPlan[];
    try {
      preview = previewPlan(model, layer, this.controls);
      plans = preview.series.map((s) => planSampling(s.request));
    } catch (error) {
      this.post({ type: 'error', message: error instanceof SamplingError || error instanceof RangeError ? error.message : String(error) });
      return undefined;
    }
    const controller = new AbortController();
    this.computation = controller;
    const request = ++this.requestId;
    const backend = await this.getBackend();
    const partial: (SeriesData | undefined)[] = preview.series.map(() => undefined);
    const progress: number[] = preview.series.map(() => 0);
    let backendText = '';
    let backendDetail = '';
    const message = (phase: HistogramMessage['phase']): HistogramMessage => ({
      type: 'histogram',
      request,
      layer: layer.name,
      phase,
      progress: progress.reduce((a, b) => a + b, 0) / progress.length,
      fanIn: showDim(layer.fanIn),
      fanOut: showDim(layer.fanOut),
      series: partial.filter((s): s is SeriesData => s !== undefined),
      backend: backendText,
      ...(backendDetail ? { backendDetail } : {}),
      code: preview.code,
      ...(exact ? { exact: { status: exact.status, first: exact.first } } : {}),
    });
    const subsampleOnly = this.controls.size === 'subsample';
    const setting = readConfig().computeBackend;
    const exact = await this.exactSeries(model, layer, preview.series[0], plans[0]);
    if (exact?.series) {
      partial[0] = exact.series;
      progress[0] = 1;
    }
    try {
      await Promise.all(
        preview.series.map(async (series, i) => {
          if (i === 0 && exact?.series) return;
          const plan = plans[i];
          const first = i === 0 || (i === 1 && exact?.series);
          const prefix = exact?.series ? 'exact values computed in the extension host; other schemes: ' : '';
          const notOnGpu = gpuSkipReason(setting, plan.count, { subsample: subsampleOnly, visible: this.panel.visible });
          if (notOnGpu === undefined && plan.count > SUBSAMPLE_SIZE) {
            // The CPU engine's coarse first histogram while the page loads and samples (its own stream: replaced, not merged).
            partial[i] = seriesData(series, plan, summarize(plan, tallyChunk(plan, 0, SUBSAMPLE_SIZE)));
            progress[i] = SUBSAMPLE_SIZE / plan.count;
            if (!controller.signal.aborted) this.post(message('subsample'));
          }
          const onGpu = notOnGpu === undefined ? await this.gpu.sample(plan, controller.signal, setting === 'gpu') : { reason: notOnGpu };
          if ('answer' in onGpu) {
            partial[i] = seriesData(series, plan, summarize(plan, tallyOfAnswer(onGpu.answer)));
            progress[i] = 1;
            if (first) {
              backendText = `${prefix}${gpuLine(onGpu.answer)}`;
              backendDetail = `${onGpu.answer.detail}\nextension host: not needed`;
            }
            if (!controller.signal.aborted) this.post(message('refine'));
            return;
          }
          const result = await backend
            .sample(series.request, {
              signal: controller.signal,
              onProgress: (p) => {
                partial[i] = seriesData(series, plan, p.summary);
                progress[i] = p.done / p.total;
                if (controller.signal.aborted) return;
                this.post(message(p.phase === 'done' ? 'refine' : p.phase));
                // "Subsample" stops after the first coarse histogram.
                if (subsampleOnly && p.phase === 'subsample') controller.abort(new DOMException('subsample only', 'AbortError'));
              },
            })
            .catch((error: unknown) => {
              if (subsampleOnly && controller.signal.reason instanceof DOMException && controller.signal.reason.message === 'subsample only') return undefined;
              throw error;
            });
          if (result) {
            partial[i] = seriesData(series, plan, result);
            progress[i] = 1;
            if (first) {
              backendText = `${prefix}${backendLine(result.backend)}`;
              backendDetail = `the panel's GPU: ${onGpu.reason}\n${result.backend.name}: ran (${result.backend.reason})`;
            }
          } else {
            progress[i] = 1;
          }
        }),
      );
    } catch (error) {
      if (controller.signal.aborted && this.computation !== controller) return undefined; // superseded
      if (controller.signal.aborted) {
        this.post({ type: 'cancelled', request });
        return undefined;
      }
      this.post({ type: 'error', message: `Sampling failed: ${error instanceof Error ? error.message : String(error)}` });
      return undefined;
    }
    if (subsampleOnly) backendText ||= 'CPU engine: subsample of the first 65,536 weights';
    const done = message('done');
    this.post(done);
    return done;
  }

  /** The last exact tensor shown, for "Export tensor (.npy)". */
  private lastExact: { name: string; values: Float32Array; shape: readonly number[] } | undefined;

  /**
   * Exact mode: the very float32 values PyTorch's CPU generator gives the layer
   * for the seed, binned like a sample; or, when they cannot be established,
   * why only the distribution is shown (the caller then samples as usual).
   */
  private async exactSeries(model: Model, layer: Model['layers'][number], series: PreviewSeries | undefined, plan: SamplingPlan | undefined): Promise<{ status: string; first: number[]; series?: SeriesData } | undefined> {
    this.lastExact = undefined;
    if (this.controls.values !== 'exact' || !series || !plan || !this.target) return undefined;
    if (model.framework !== 'torch') return { status: 'Distribution only: exact mode reproduces PyTorch.', first: [] };
    if (series.role !== 'current') return { status: 'Distribution only: exact values exist for the scheme in effect, not for a scheme chosen here.', first: [] };
    const document = await vscode.workspace.openTextDocument(vscode.Uri.parse(this.target.uri, true));
    const analysis = this.analyses.get(document);
    const seedInfo = findTorchSeed(model, analysis.text, analysis.seeding);
    if (!('seed' in seedInfo)) return { status: `Distribution only: ${seedInfo.reason}.`, first: [] };
    const limit = panelExactLimit();
    if (exceeds(limit, plan.count)) return { status: `Distribution only: ${limitMessage(limit, plan.count)} (use \`initlens model --torch-exact\`).`, first: [] };
    const seed = BigInt(this.controls.seed);
    const param = mainParam(layer);
    const key = param ? stateDictKey(layer.name, param.name) : undefined;
    let found;
    try {
      found = exactParameters(model, seed, {
        materialize: (name) => name === layer.name,
        ...streamDraws(model, seedInfo, analysis),
        through: layer.name,
        limits: { values: limit, words: 'panelStreamWords' },
      }).find((p) => p.name === key);
    } catch (error) {
      if (error instanceof LimitError) return { status: `Distribution only: ${error.message} (use \`initlens model --torch-exact\`).`, first: [] };
      throw error;
    }
    if (!found || found.values.length === 0) return { status: `Distribution only: ${found?.reason ?? 'InitLens cannot order this layer in the model'}.`, first: [] };
    const tally = emptyTally(plan.binSpec.bins);
    tallyValues(found.values, found.values.length, plan.binSpec, plan.reference, tally);
    const summary = summarize(plan, tally);
    this.lastExact = { name: found.name, values: found.values, shape: found.shape };
    const status = found.exact
      ? `Exact: the values PyTorch (CPU) gives ${key} after torch.manual_seed(${seed}), bit for bit.`
      : `Distribution only (${found.reason ?? 'not established as exact'}): the values follow PyTorch's algorithm but are not guaranteed bit for bit.`;
    return { status, first: Array.from(found.values.subarray(0, 12)), series: { ...seriesData(series, plan, summary), label: `${series.label}, ${found.exact ? 'exact' : 'approximate'} values for seed ${seed}` } };
  }

  private async exportTensor(): Promise<void> {
    const exact = this.lastExact;
    if (!exact) {
      this.post({ type: 'error', message: 'No exact tensor is shown: switch Values to "Exact (PyTorch CPU)" on a seeded PyTorch model.' });
      return;
    }
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
    const uri = await vscode.window.showSaveDialog({ ...(folder ? { defaultUri: vscode.Uri.joinPath(folder, `${exact.name}.npy`) } : {}), filters: { NumPy: ['npy'] } });
    if (!uri) return;
    await vscode.workspace.fs.writeFile(uri, npyBytes(exact.values, exact.shape));
    vscode.window.setStatusBarMessage(`InitLens: saved ${path.basename(uri.path)} (float32, shape ${exact.shape.join('×')})`, 4000);
  }

  /** Small histograms of every layer's current initialization (subsamples: fast for any size). */
  private async sendThumbnails(model: Model): Promise<void> {
    this.thumbnails?.abort();
    const controller = new AbortController();
    this.thumbnails = controller;
    for (const layer of model.layers) {
      if (controller.signal.aborted) return;
      if (layer.role === 'normalizer' || previewProblem(layer, this.advice?.verdict(layer))) continue;
      const param = mainParam(layer);
      if (!param?.current.scheme) continue;
      const request = { scheme: param.current.scheme, shape: param.shape as number[], framework: layer.framework, seed: this.controls.seed, bins: 30 };
      try {
        const plan = planSampling(request);
        // The first chunk's leading elements: the same weights the engine's first preview shows.
        const tally = tallyChunk(plan, 0, 1 << 14);
        this.post({ type: 'thumbnail', layer: layer.name, counts: Array.from(tally.counts) });
      } catch {
        // A scheme the engine refuses (e.g. a huge orthogonal_) simply has no thumbnail.
      }
      await new Promise((r) => setImmediate(r));
    }
  }

  private async onMessage(raw: unknown): Promise<void> {
    // Only the checked copy is used: nothing the protocol does not name is kept or echoed.
    const parsed = parsePageMessage(raw);
    if ('problem' in parsed) {
      // A malformed GPU answer: what waits for it is sampled here instead.
      const type = typeof raw === 'object' && raw !== null ? (raw as { type?: unknown }).type : undefined;
      if (type === 'gpuSampled' || type === 'gpuUnavailable') this.gpu.fail(`the panel's GPU answer was refused: ${parsed.problem}`);
      this.post({ type: 'error', message: `InitLens ignored a message from the panel: ${parsed.problem}.` });
      return;
    }
    const message = parsed.value;
    switch (message.type) {
      case 'gpuSampled':
      case 'gpuUnavailable':
        this.gpu.onMessage(message);
        break;
      case 'ready':
        if (!this.ready) {
          this.ready = true;
          for (const m of this.pending.splice(0)) void this.panel.webview.postMessage(m);
        } else {
          // A hidden panel's page was reloaded (no retained context): it starts
          // empty, so send everything again.
          this.gpu.forget();
          this.overview = '';
          await this.refresh();
        }
        break;
      case 'select':
        this.layer = message.layer;
        if (this.target) this.target = { ...this.target, layer: message.layer };
        await this.refresh();
        break;
      case 'configure':
        this.controls = message.controls;
        await this.refresh();
        break;
      case 'cancel':
        this.computation?.abort(new DOMException('cancelled by the user', 'AbortError'));
        break;
      case 'copyCode': {
        const code = (await this.lastCode()) ?? '';
        await vscode.env.clipboard.writeText(code);
        vscode.window.setStatusBarMessage(`InitLens: copied ${code}`, 4000);
        break;
      }
      case 'export':
        await this.export(message.format, message.data);
        break;
      case 'exportTensor':
        await this.exportTensor();
        break;
    }
  }

  private async lastCode(): Promise<string | undefined> {
    const model = await this.currentModel();
    const layer = model?.layers.find((l) => l.name === this.layer);
    if (!model || !layer || previewProblem(layer, this.advice?.verdict(layer))) return undefined;
    return previewPlan(model, layer, this.controls).code;
  }

  private async export(format: 'csv' | 'svg' | 'png', data: string): Promise<void> {
    await saveExport(`${this.target?.model ?? 'model'}-${this.layer ?? 'model'}`.replace(/[^\w.-]+/g, '_'), format, data);
  }

  private post(raw: HostMessage): void {
    // The page refuses what the protocol does not allow; say so here rather than leave it blank.
    const problem = hostMessageProblem(raw);
    const message: HostMessage = problem === undefined ? raw : { type: 'error', message: `InitLens cannot show this ${raw.type}: ${problem.slice(0, 500)}.` };
    if (!this.ready) {
      // Only the latest histogram of a request matters; keep the queue short.
      if (message.type === 'histogram') this.pending = this.pending.filter((m) => m.type !== 'histogram' || m.request !== message.request);
      this.pending.push(message);
      return;
    }
    void this.panel.webview.postMessage(message);
  }

  private html(): string {
    const webview = this.panel.webview;
    const uri = (...parts: string[]) => webview.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, ...parts)).toString();
    return histogramPageHtml({
      cspSource: webview.cspSource,
      nonce: randomBytes(16).toString('base64'),
      script: uri('dist', 'webview.js'),
      gpu: uri('dist', 'signal', 'histogramGpu.js'),
      style: uri('media', 'panel.css'),
    });
  }

  dispose(): void {
    if (HistogramPanel.current === this) HistogramPanel.current = undefined;
    this.computation?.abort();
    this.thumbnails?.abort();
    this.gpu.fail('the panel was closed');
    void this.pool?.dispose();
    this.disposables.forEach((d) => d.dispose());
    this.panel.dispose();
  }
}

function panelOptions(extensionUri: vscode.Uri): vscode.WebviewPanelOptions & vscode.WebviewOptions {
  return {
    enableScripts: true,
    retainContextWhenHidden: false,
    localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist'), vscode.Uri.joinPath(extensionUri, 'media')],
  };
}
