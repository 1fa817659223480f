/**
 * The Signal panel (issue 13): does this model's signal vanish or explode at
 * initialization? The host builds the forward graph and each scheme's
 * weights (core/signal/job.ts) and posts them as a job; the page runs the
 * engine on the TensorFlow.js backend that starts there, the user's GPU
 * where there is one (webview/signal/compute.ts). On the official shape of
 * the histogram panel: one panel, owned disposables, `localResourceRoots`
 * limited to dist/ and media/, a CSP with a fresh nonce, messages read with
 * signalProtocol.ts both ways.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { saveExport } from './exportFile';
import type { BackendSetting } from '../core/sampling/backendSetting';
import type { DocumentAnalyses } from '../analysis/documentAnalyses';
import { isUserDocument } from '../arguments';
import { checkLimit, exceeds, limitMessage, LIMITS, LimitError } from '../core/limits';
import { NpyError, readNpy, type NpyArray } from '../core/torch/npy';
import { SignalError } from '../core/signal/engine';
import { buildGraph } from '../core/signal/graph';
import { signalModel } from '../core/signal/composite';
import { postEarly, toRepost } from '../core/signal/delivery';
import { noScheme, prepareJob, type SchemeRun } from '../core/signal/job';
import { aboveBackground } from '../core/advice/measure';
import type { LoadedTf } from '../core/signal/backendChoice';
import type { SignalGraph } from '../core/signal/graph';
import { runScheme } from '../core/signal/lsuv';
import { SIGNAL_SCHEMES } from '../core/signal/schemes';
import { readPanelSettings } from '../core/signal/settings';
import { findTorchSeed } from '../core/torch/exact';
import { streamDraws } from '../core/torch/program';
import { ExactInitError } from '../core/torch/init';
import { DEFAULT_SIGNAL_SETTINGS, jobRun, type HostPreview, parseSignalPageMessage, parseSignalPanelState, type SignalHostMessage, type SignalPageMessage, type SignalSettings } from '../webview/signalProtocol';
import { signalPageHtml } from './signalHtml';
import { planLsuv } from '../core/edits/lsuv';
import { EditRefused, type EditPlan } from '../core/edits/applyInit';
import type { ImportBinding } from '../core/python/imports';
import type { Tree } from '../core/python/parse';
import type { Model } from '../core/model/types';

import { SIGNAL_VIEW_TYPE } from '../commands/ids';

export interface SignalTarget {
  readonly uri: string;
  readonly model: string;
}

type Done = Extract<SignalPageMessage, { type: 'done' }>;

/** `initlens.compute.backend` for the model's file (config.ts reads it, in the extension's bundle). */
export type BackendsFor = (uri: string | undefined) => BackendSetting;

export class SignalPanel implements vscode.Disposable {
  static current: SignalPanel | undefined;

  private readonly disposables: vscode.Disposable[] = [];
  private settings: SignalSettings = DEFAULT_SIGNAL_SETTINGS;
  private target: SignalTarget | undefined;
  private ready = false;
  /** Who waits for the page's ready (a job's later schemes). */
  private readyWaiters: (() => void)[] = [];
  /** Messages posted while the page loads: the latest job and the schemes that follow it, posted again if the page lacks them when ready (core/signal/delivery.ts). */
  private pending: { message: SignalHostMessage; posted: boolean }[] = [];
  private requestId = 0;
  /** Resolvers of the job in flight, by request: the command resolves with what the page computed. */
  private readonly waiting = new Map<number, (done: Done | undefined) => void>();

  /** Opens (or reveals and retargets) the panel; resolves with the page's report of the first job (undefined when none ran). */
  static createOrShow(extensionUri: vscode.Uri, analyses: DocumentAnalyses, target: SignalTarget, backendsFor: BackendsFor): Promise<Done | undefined> {
    if (SignalPanel.current) {
      SignalPanel.current.panel.reveal(undefined, true);
    } else {
      const panel = vscode.window.createWebviewPanel(SIGNAL_VIEW_TYPE, 'InitLens: Signal', { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true }, panelOptions(extensionUri));
      SignalPanel.current = new SignalPanel(panel, extensionUri, analyses, backendsFor, backendsFor(target.uri));
    }
    const current = SignalPanel.current;
    if (current.target?.uri !== target.uri || current.target.model !== target.model) current.settings = DEFAULT_SIGNAL_SETTINGS;
    current.target = target;
    return current.send();
  }

  /** Restores a panel after a restart: only a valid state of a document the user has open again is followed. */
  static revive(panel: vscode.WebviewPanel, extensionUri: vscode.Uri, analyses: DocumentAnalyses, state: unknown, backendsFor: BackendsFor): void {
    panel.webview.options = panelOptions(extensionUri);
    SignalPanel.current?.dispose();
    const parsed = parseSignalPanelState(state);
    const current = new SignalPanel(panel, extensionUri, analyses, backendsFor, backendsFor('value' in parsed ? parsed.value.uri : undefined));
    SignalPanel.current = current;
    if ('problem' in parsed || !isUserDocument(parsed.value.uri)) {
      current.post({ type: 'error', message: 'The model of this Signal panel is not open: run "InitLens: Show signal" on it again.' });
      return;
    }
    current.target = { uri: parsed.value.uri, model: parsed.value.model };
    current.settings = parsed.value.settings;
    void current.send();
  }

  private constructor(
    private readonly panel: vscode.WebviewPanel,
    private readonly extensionUri: vscode.Uri,
    private readonly analyses: DocumentAnalyses,
    private readonly backendsFor: BackendsFor,
    /** The backends the page was given (`initlens.compute.backend` of the model's file): it loads one as it starts. */
    private backends: BackendSetting,
  ) {
    this.panel.webview.html = this.html();
    this.panel.onDidDispose(() => this.dispose(), this, this.disposables);
    vscode.workspace.onDidChangeConfiguration(
      (e) => {
        if (this.target && e.affectsConfiguration('initlens.compute.backend', vscode.Uri.parse(this.target.uri, true))) void this.send();
      },
      this,
      this.disposables,
    );
    this.panel.webview.onDidReceiveMessage((m: unknown) => void this.onMessage(m), this, this.disposables);
  }

  /** Prepares the job of the current target and settings and posts it (or what stands in its way). */
  private async send(): Promise<Done | undefined> {
    const target = this.target;
    if (!target) return undefined;
    const backends = this.backendsFor(target.uri);
    if (backends !== this.backends) {
      // The page chose its backend as it started: it starts again with the new one; this job is held for it as it loads (posted again on ready if it lacks it).
      this.backends = backends;
      this.ready = false;
      this.panel.webview.html = this.html();
    }
    // A page that is still to load gets its HTML on its way before the host works on the job.
    if (!this.ready) await new Promise((resolve) => setTimeout(resolve, 0));
    const document = await vscode.workspace.openTextDocument(vscode.Uri.parse(target.uri, true));
    const analysis = this.analyses.get(document);
    const found_ = analysis.models.models.find((m) => m.name === target.model && m.framework === 'torch');
    if (!found_) {
      this.post({ type: 'error', message: `${target.model} is not a PyTorch model of ${path.basename(document.uri.path)} (the signal is simulated for PyTorch models).` });
      return undefined;
    }
    const settings = readPanelSettings(this.settings);
    if ('problem' in settings) {
      this.post({ type: 'error', message: `Not run: ${settings.problem}.` });
      return undefined;
    }
    // A composite model (classes of the file inside it) runs as one: every instance in its context (core/signal/composite.ts).
    const picked = signalModel(analysis.models, found_, analysis.tree, analysis.text);
    const model = picked.model;
    const found = settings.value.seed === undefined ? findTorchSeed(model, analysis.text, analysis.seeding) : undefined;
    const seed = settings.value.seed ?? (found && 'seed' in found ? found.seed : 0n);
    const request = ++this.requestId;
    const data = this.settings.data ? await readBatch(this.settings.data) : undefined;
    if (data && 'problem' in data) {
      this.post({ type: 'error', message: `Not run: ${data.problem}.` });
      return undefined;
    }
    const batch = data?.value;
    try {
      const shape = batch?.shape ?? settings.value.inputShape;
      const graph = buildGraph(model, analysis.tree, analysis.text, { ...(shape ? { inputShape: shape } : {}), ...(picked.composite ? { composite: picked.composite } : {}), ...(picked.binding ? { binding: picked.binding } : {}) });
      const misfit = batch && graph.notSimulated.find((n) => n.why === 'the shapes do not fit');
      if (misfit) {
        this.post({ type: 'error', message: `Not run: the batch ${path.basename(vscode.Uri.parse(this.settings.data as string).path)} of shape ${batch.shape.join('×')} does not fit ${model.name} (${misfit.op}, line ${misfit.line}).` });
        return undefined;
      }
      if (graph.notSimulated.length > 0) {
        this.post({ type: 'error', message: `${model.name} cannot be simulated: ${graph.notSimulated.map((n) => `not simulated: ${n.op} at line ${n.line} (${n.why})`).join('; ')}.`, notSimulated: graph.notSimulated });
        return undefined;
      }
      // Every scheme's weights go to the page at once: bounded before any is drawn.
      const weights = graph.layers.reduce((n, l) => n + l.params.reduce((m, p) => m + p.shape.reduce((a, b) => a * b, 1), 0), 0);
      checkLimit('signalPanelWeights', weights * SIGNAL_SCHEMES.length, model.name);
      // The file's own draws around the model: before it when the seed is the file's, after it up to the inits its statements run.
      const draws = streamDraws(model, found && 'seed' in found ? found : undefined, analysis);
      const job = prepareJob(model, graph, { seed, inputSeed: settings.value.inputSeed, draws, ...(batch ? { input: batch.values } : {}), ...(picked.composite ? { composite: picked.composite } : {}) });
      // The first scheme that forms goes with the job, so the page draws its chart while the host prepares the rest.
      const skipped: { scheme: string; why: string }[] = [];
      let first = 0;
      let prepared: ReturnType<typeof job.prepare> | undefined;
      while (first < SIGNAL_SCHEMES.length && !(prepared && 'run' in prepared)) {
        prepared = job.prepare(SIGNAL_SCHEMES[first++]);
        if ('skipped' in prepared) skipped.push(prepared.skipped);
      }
      if (!prepared || !('run' in prepared)) throw noScheme(model, skipped);
      const title = `InitLens: signal of ${model.name}`;
      this.panel.title = title;
      // While the page starts its own TensorFlow.js, the host's (when already loaded) runs the first scheme for the first chart.
      const preview = await hostPreview(graph, prepared.run, job.input, job.upstream);
      if (request !== this.requestId || SignalPanel.current !== this) return undefined;
      const done = new Promise<Done | undefined>((resolve) => this.waiting.set(request, resolve));
      this.post({
        type: 'job',
        request,
        uri: target.uri,
        title,
        model: model.name,
        // What ran, so the fields show it: the seed found in the file, the default shape.
        settings: { seed: seed.toString(), inputSeed: settings.value.inputSeed.toString(), inputShape: graph.inputShape.join(','), ...(this.settings.data ? { data: this.settings.data } : {}) },
        inputNote: picked.context ? `${graph.inputNote}; ${model.name} as ${picked.context} builds it` : graph.inputNote,
        graph,
        input: job.input,
        upstream: job.upstream,
        runs: [jobRun(prepared.run)],
        skipped,
        pending: SIGNAL_SCHEMES.length - first,
        posted: Date.now(),
        ...(preview ? { preview } : {}),
      });
      // The other schemes are prepared once the page is up: drawing them while it loads slows its start (the CPU is shared).
      await this.whenReady();
      for (let i = first; i < SIGNAL_SCHEMES.length; i++) {
        // Between schemes the host yields, so the job is on its way and a newer request or a closed panel stops this one.
        await new Promise((resolve) => setImmediate(resolve));
        if (request !== this.requestId || SignalPanel.current !== this) break;
        const pending = SIGNAL_SCHEMES.length - i - 1;
        let p: ReturnType<typeof job.prepare>;
        try {
          p = job.prepare(SIGNAL_SCHEMES[i]);
        } catch (error) {
          // A scheme past a limit is not run, with why; anything else ends the job where it is.
          const known = error instanceof LimitError || error instanceof ExactInitError;
          this.post({ type: 'runs', request, runs: [], skipped: [{ scheme: SIGNAL_SCHEMES[i].id, why: error instanceof Error ? error.message : String(error) }], pending: known ? pending : 0 });
          if (known) continue;
          throw error;
        }
        this.post({ type: 'runs', request, runs: 'run' in p ? [jobRun(p.run)] : [], skipped: 'skipped' in p ? [p.skipped] : [], pending });
      }
      return done;
    } catch (error) {
      if (error instanceof SignalError || error instanceof LimitError || error instanceof ExactInitError) {
        this.post({ type: 'error', message: error.message });
        return undefined;
      }
      throw error;
    }
  }

  private async onMessage(raw: unknown): Promise<void> {
    const parsed = parseSignalPageMessage(raw);
    if ('problem' in parsed) {
      this.post({ type: 'error', message: `InitLens ignored a message from the panel: ${parsed.problem}.` });
      return;
    }
    const message = parsed.value;
    switch (message.type) {
      case 'ready':
        if (!this.ready) {
          this.ready = true;
          for (const m of toRepost(this.pending, message.request)) void this.panel.webview.postMessage(m);
          this.pending = [];
          for (const resolve of this.readyWaiters.splice(0)) resolve();
        } else {
          await this.send();
        }
        break;
      case 'configure':
        this.settings = message.settings;
        await this.send();
        break;
      case 'pickData': {
        const picked = await vscode.window.showOpenDialog({ canSelectMany: false, openLabel: 'Use as batch', filters: { 'NumPy array': ['npy'] }, title: 'A batch of real inputs for the signal (batch axis first)' });
        if (!picked?.[0]) break;
        this.settings = { ...this.settings, data: picked[0].toString() };
        await this.send();
        break;
      }
      case 'done':
        this.waiting.get(message.request)?.(message);
        this.waiting.delete(message.request);
        break;
      case 'export':
        await this.export(message.format, message.data);
        break;
    }
  }

  private async export(format: 'csv' | 'svg' | 'png', data: string): Promise<void> {
    await saveExport(`${this.target?.model ?? 'model'}-signal`.replace(/[^\w.-]+/g, '_'), format, data);
  }

  /** Resolves when the page is ready, or at once when it is, or after a few seconds (a page that never says so still gets its schemes). */
  private whenReady(): Promise<void> {
    if (this.ready) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, 5000);
      this.readyWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private post(message: SignalHostMessage): void {
    // While the page loads the job goes at once (the webview holds it for the page, which needs it before its
    // first chart); the schemes after it wait for ready (core/signal/delivery.ts).
    const now = this.ready || postEarly(message);
    if (!this.ready) {
      // Only the latest job matters while the page loads: a new one (or an error) replaces what is kept.
      if (message.type !== 'runs') this.pending = [];
      this.pending.push({ message, posted: now });
    }
    if (now) void this.panel.webview.postMessage(message);
  }

  private html(): string {
    const webview = this.panel.webview;
    const uri = (...parts: string[]) => webview.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, ...parts)).toString();
    return signalPageHtml({
      cspSource: webview.cspSource,
      nonce: randomBytes(16).toString('base64'),
      script: uri('dist', 'signal.js'),
      compute: uri('dist', 'signal', 'compute.js'),
      wasm: `${uri('dist', 'wasm')}/`,
      style: uri('media', 'panel.css'),
      backends: this.backends,
      preload: this.preload(uri),
      // A hint only: the job may still come without a preview (a larger model), and the page then loads its backend at once.
      hostFirst: hostTf() !== undefined,
    });
  }

  /** What the page fetches as it parses, from dist/signal/preload.json (the build writes it); nothing when it is absent or unreadable. */
  private preload(uri: (...parts: string[]) => string): { modules: string[]; wasm: string } | undefined {
    try {
      const files = JSON.parse(fs.readFileSync(path.join(this.extensionUri.fsPath, 'dist', 'signal', 'preload.json'), 'utf8')) as unknown;
      if (!Array.isArray(files) || !files.every((f) => typeof f === 'string' && /^[\w.-]+\.js$/.test(f))) return undefined;
      return { modules: files.map((f: string) => uri('dist', 'signal', f)), wasm: uri('dist', 'wasm', 'tfjs-backend-wasm-simd.wasm') };
    } catch {
      return undefined;
    }
  }

  dispose(): void {
    if (SignalPanel.current === this) SignalPanel.current = undefined;
    for (const resolve of this.waiting.values()) resolve(undefined);
    this.waiting.clear();
    this.disposables.forEach((d) => d.dispose());
    this.panel.dispose();
  }
}

/**
 * The extension host's TensorFlow.js, when its measured gains already started it (dist/signalTf.js is
 * loaded in this process: src/analysis/gainMeasurements.ts); never loaded here, as loading it (about
 * 0.3 s) would compete with the page's own start.
 */
function hostTf(): LoadedTf | undefined {
  const loaded = require.cache[path.join(__dirname, 'signalTf.js')];
  return loaded ? (loaded.exports as Partial<typeof import('../node/signalTf')>).startedSignalTf?.() : undefined;
}

/**
 * `run` computed in the extension host for the page's first chart (core/signal/lsuv.ts's runScheme, the
 * page's very code), within the sizes the host runs in the background (core/advice/measure.ts); undefined
 * when its TensorFlow.js is not loaded, the model is larger, or the run fails: the page runs every scheme
 * itself in any case, and says what went wrong there.
 */
async function hostPreview(graph: SignalGraph, run: SchemeRun, input: Float32Array, upstream: Float32Array): Promise<HostPreview | undefined> {
  const loaded = hostTf();
  if (!loaded || aboveBackground(graph) !== undefined) return undefined;
  try {
    const stats = await runScheme(loaded.tf, graph, { weights: run.weights, lsuv: run.scheme.lsuv === true }, input, upstream);
    return { backend: loaded.backend, summary: loaded.summary, stats: { output: stats.output, layers: stats.layers } };
  } catch {
    return undefined;
  }
}

/** A `.npy` batch chosen in the panel: its size checked before it is read, then parsed strictly (core/torch/npy.ts); never executed. */
async function readBatch(uri: string): Promise<{ readonly value: NpyArray } | { readonly problem: string }> {
  const file = vscode.Uri.parse(uri, true);
  const name = path.basename(file.path);
  try {
    const stat = await vscode.workspace.fs.stat(file);
    if (exceeds('npyBatchBytes', stat.size)) return { problem: `${name}: ${limitMessage('npyBatchBytes', stat.size)}` };
    return { value: readNpy(await vscode.workspace.fs.readFile(file), LIMITS.signalValues.value) };
  } catch (error) {
    if (error instanceof NpyError) return { problem: `${name}: ${error.message}` };
    return { problem: `${name} cannot be read (${error instanceof Error ? error.message : String(error)})` };
  }
}

/**
 * The "Apply LSUV" plan (core/edits/lsuv.ts) with the model's input shape
 * from its signal graph, for the random batch of the call: here, in the
 * panel's bundle, because the graph builder is not loaded at activation.
 */
export function lsuvPlan(model: Model, tree: Tree, text: string, imports: readonly ImportBinding[]): EditPlan | { readonly refused: string } {
  let inputShape: readonly number[] | undefined;
  try {
    const graph = buildGraph(model, tree, text);
    if (graph.notSimulated.length === 0) inputShape = graph.inputShape;
  } catch (error) {
    if (!(error instanceof LimitError)) throw error;
  }
  try {
    return planLsuv({ text, tree, imports, model, ...(inputShape ? { inputShape } : {}) });
  } catch (error) {
    // Across bundles the class differs: the refusal travels as its message.
    if (error instanceof EditRefused) return { refused: error.message };
    throw error;
  }
}

function panelOptions(extensionUri: vscode.Uri): vscode.WebviewPanelOptions & vscode.WebviewOptions {
  return {
    enableScripts: true,
    retainContextWhenHidden: false,
    localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist'), vscode.Uri.joinPath(extensionUri, 'media')],
  };
}
