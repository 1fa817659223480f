/**
 * The advice's measured gains in the editor (issue 14, core/advice/measure.ts):
 * each PyTorch model of an open document that the signal engine can run is run
 * once, forward and backward, in the background, and the verdicts of the lens,
 * the hover, the diagnostics and the panels are then driven by what it
 * measured. Until then, and for the models it cannot run, they use the
 * analytic gains, and say so.
 *
 * A measurement is kept per model and reused while what it depends on is
 * unchanged: the class's text, the seed before it is built and the contexts
 * it is built in (their labels carry the arguments), so that typing elsewhere
 * in the file changes nothing. TensorFlow.js is loaded (dist/signalTf.js:
 * tfjs-node where installed, else wasm, else cpu) on the first model to
 * measure, never at activation. One document is measured at a time, each
 * model within LIMITS.adviceMultiplyAdds and LIMITS.adviceValues.
 */
import * as vscode from 'vscode';
import { measurements, uniquelyNamed, type Measurements, type ModelMeasurement } from '../core/advice/measured';
import type { Model, ModelAnalysis } from '../core/model/types';
import { findTorchSeed } from '../core/torch/exact';
import type { SeedingAnalysis } from '../core/seeding/analyze';
import type { Tree } from '../core/python/parse';

/** A model's measurement, or why there is none. */
export type MeasureResult = { readonly measurement: ModelMeasurement; readonly why?: undefined } | { readonly measurement?: undefined; readonly why: string };

/** Measures one judged model of an analysis (src/node/gainMeasurer.ts); `seed`: the seed its weights are built after. */
export type MeasureModel = (analysis: ModelAnalysis, judged: Model, tree: Tree, text: string, seed: (model: Model) => bigint) => Promise<MeasureResult>;

/** What the service reads of a document's analysis. */
export interface MeasuredDocument {
  readonly text: string;
  readonly tree: Tree;
  readonly seeding: SeedingAnalysis;
  readonly models: ModelAnalysis;
}

interface Slot {
  readonly key: string;
  /** Undefined: not measurable (`why`). */
  readonly measurement?: ModelMeasurement;
  readonly why?: string;
}

/** Quiet time after an analysis changed before its models are measured. */
const MEASURE_DELAY_MS = 200;

export class GainMeasurements implements vscode.Disposable {
  private readonly slots = new Map<string, Map<string, Slot>>();
  private readonly snapshots = new WeakMap<ModelAnalysis, { readonly generation: number; readonly value: Measurements | undefined }>();
  private readonly timers = new Map<string, ReturnType<typeof setTimeout>>();
  private readonly pending = new Set<string>();
  /** The analyses measured: asking again for one of them schedules nothing (whatever a key says). */
  private readonly measuredAnalyses = new WeakSet<ModelAnalysis>();
  private generation = 0;
  private running = false;
  private measurer?: Promise<MeasureModel | undefined>;
  private disposed = false;
  private readonly measured = new vscode.EventEmitter<vscode.TextDocument>();
  private readonly disposables: vscode.Disposable[] = [this.measured];
  /** New measurements of a document's models are in: its verdicts may have changed. */
  readonly onDidMeasure = this.measured.event;

  /**
   * `analysisOf`: the current analysis of a document; `load`: the measurer (it loads TensorFlow.js);
   * `enabled`: `initlens.advice.measure` for a document.
   */
  constructor(
    private readonly analysisOf: (document: vscode.TextDocument) => MeasuredDocument,
    private readonly load: () => Promise<MeasureModel>,
    private readonly enabled: (document: vscode.TextDocument) => boolean,
  ) {
    vscode.workspace.onDidCloseTextDocument((d) => this.forget(d), undefined, this.disposables);
  }

  /**
   * The measurements known now for `analysis` (of `document`), the same object while nothing
   * new is measured; schedules the measuring of the models that have none yet.
   */
  current(document: vscode.TextDocument, analysis: MeasuredDocument): Measurements | undefined {
    if (!this.enabled(document)) return undefined;
    const hit = this.snapshots.get(analysis.models);
    if (hit && hit.generation === this.generation) return hit.value;
    const slots = this.slots.get(document.uri.toString());
    const found: ModelMeasurement[] = [];
    let missing = false;
    for (const model of uniquelyNamed(analysis.models).unique) {
      const slot = slots?.get(model.name);
      if (!slot || slot.key !== keyOf(model, analysis)) missing = true;
      else if (slot.measurement) found.push(slot.measurement);
    }
    if (missing && !this.measuredAnalyses.has(analysis.models)) this.schedule(document);
    const value = found.length > 0 ? measurements(found) : undefined;
    this.snapshots.set(analysis.models, { generation: this.generation, value });
    return value;
  }

  private schedule(document: vscode.TextDocument): void {
    const uri = document.uri.toString();
    if (this.disposed || this.timers.has(uri)) return;
    this.timers.set(
      uri,
      setTimeout(() => {
        this.timers.delete(uri);
        this.pending.add(uri);
        void this.drain(document);
      }, MEASURE_DELAY_MS),
    );
  }

  /** Measures the pending documents one at a time. */
  private async drain(document: vscode.TextDocument): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      while (this.pending.size > 0 && !this.disposed) {
        const uri = this.pending.values().next().value as string;
        this.pending.delete(uri);
        const doc = uri === document.uri.toString() ? document : vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri);
        if (!doc || doc.isClosed) continue;
        // A failure is the analysis's, not the engine's (measureOne catches those): leave the document analytic.
        if (await this.measure(doc).catch(() => false)) this.measured.fire(doc);
      }
    } finally {
      this.running = false;
    }
  }

  /** Measures the models of `document` whose slot is missing or stale; true when any changed. */
  private async measure(document: vscode.TextDocument): Promise<boolean> {
    const analysis = this.analysisOf(document);
    const uri = document.uri.toString();
    let slots = this.slots.get(uri);
    if (!slots) this.slots.set(uri, (slots = new Map()));
    let changed = false;
    this.measuredAnalyses.add(analysis.models);
    for (const model of uniquelyNamed(analysis.models).unique) {
      const key = keyOf(model, analysis);
      if (slots.get(model.name)?.key === key) continue;
      const slot = await this.measureOne(model, analysis, key);
      if (this.disposed || document.isClosed) return false;
      slots.set(model.name, slot);
      changed = true;
    }
    if (changed) this.generation++;
    return changed;
  }

  private async measureOne(judged: Model, analysis: MeasuredDocument, key: string): Promise<Slot> {
    const measure = await (this.measurer ??= this.load().catch(() => undefined));
    if (!measure) return { key, why: 'TensorFlow.js did not load' };
    const seed = (model: Model) => {
      const found = findTorchSeed(model, analysis.text, analysis.seeding);
      return 'seed' in found ? found.seed : 0n;
    };
    const r = await measure(analysis.models, judged, analysis.tree, analysis.text, seed);
    return { key, ...(r.measurement ? { measurement: r.measurement } : { why: r.why }) };
  }

  private forget(document: vscode.TextDocument): void {
    const uri = document.uri.toString();
    clearTimeout(this.timers.get(uri));
    this.timers.delete(uri);
    this.pending.delete(uri);
    this.slots.delete(uri);
  }

  /** Settings that change analyses were edited: measure again. */
  invalidate(): void {
    this.slots.clear();
    this.generation++;
  }

  dispose(): void {
    this.disposed = true;
    this.timers.forEach((t) => clearTimeout(t));
    this.timers.clear();
    this.disposables.forEach((d) => d.dispose());
  }
}

/** What a model's measurement depends on: its class's text, the seed before it is built, the contexts it is built in. */
function keyOf(model: Model, analysis: MeasuredDocument): string {
  const seed = findTorchSeed(model, analysis.text, analysis.seeding);
  const contexts = analysis.models.instances ? analysis.models.instances(model.name).map((t) => t.label) : [];
  return `${'seed' in seed ? seed.seed : 'none'}|${contexts.join(';')}|${analysis.text.slice(model.span.from, model.span.to)}`;
}
