/**
 * One parse per document version, shared by every feature. Each open Python
 * document keeps an incremental parser that follows its change events, so a
 * keystroke re-parses only what it touched; lenses, hovers and commands ask
 * {@link DocumentAnalyses.get} and get the same analysis for the same version.
 * Views that follow a document (diagnostics, the histogram panel) subscribe to
 * {@link DocumentAnalyses.onDidChange}, debounced once here. Constructions of
 * a document's classes in other workspace files come from the
 * {@link WorkspaceIndex}; when they change, so does the analysis.
 */
import * as vscode from 'vscode';
import { ModelAnalyzer } from '../core/model/analyze';
import type { ModelAnalysis } from '../core/model/types';
import { IncrementalParser, type Tree } from '../core/python/parse';
import { analyzeSeeding, type SeedingAnalysis } from '../core/seeding/analyze';
import type { Measurements } from '../core/advice/measured';
import type { AdviceOptions } from '../core/advice/rules';
import { onDidChangeConfig, readConfig } from '../config';
import { GainMeasurements, type MeasureModel } from './gainMeasurements';
import type { WorkspaceIndex } from './workspaceIndex';

/** Everything InitLens derives from one version of one document. */
export interface DocumentAnalysis {
  readonly version: number;
  readonly text: string;
  readonly tree: Tree;
  readonly seeding: SeedingAnalysis;
  /** Models and layers; computed on first use for this version. */
  readonly models: ModelAnalysis;
  /** The gains measured so far for its models (gainMeasurements.ts); asking schedules the rest. */
  readonly measured: Measurements | undefined;
}

/** The advice options a feature judges a document with: the settings', on the gains measured so far. */
export function adviceOptions(analysis: DocumentAnalysis, base: AdviceOptions): AdviceOptions {
  const measured = analysis.measured;
  return measured ? { ...base, measured } : base;
}

interface Entry {
  parser: IncrementalParser;
  /** Keeps the models of unchanged top-level statements between versions. */
  models: ModelAnalyzer;
  /** The document object the entry follows: a later document at the same URI (an untitled name reused) is another one. */
  readonly document: vscode.TextDocument;
  version: number;
  analysis?: DocumentAnalysis;
}

/** Quiet time after the last keystroke before {@link DocumentAnalyses.onDidChange} fires. */
export const CHANGE_DEBOUNCE_MS = 300;

export class DocumentAnalyses implements vscode.Disposable {
  private readonly entries = new Map<string, Entry>();
  private readonly timers = new Map<string, ReturnType<typeof setTimeout>>();
  private readonly changed = new vscode.EventEmitter<vscode.TextDocument>();
  private readonly disposables: vscode.Disposable[] = [this.changed];

  /**
   * A document's text changed and typing paused for {@link CHANGE_DEBOUNCE_MS}
   * (one event per pause), or its constructions in other files changed; never
   * for a closed document.
   */
  readonly onDidChange: vscode.Event<vscode.TextDocument> = this.changed.event;

  private readonly measurements?: GainMeasurements;

  /**
   * `workspace`: where constructions of a document's classes in other files come from (none: each document on its own);
   * `measurer`: loads what measures the advice's gains (none: analytic gains only).
   */
  constructor(
    private readonly workspace?: WorkspaceIndex,
    measurer?: () => Promise<MeasureModel>,
  ) {
    if (measurer) {
      this.measurements = new GainMeasurements((d) => this.get(d), measurer, (d) => readConfig(d).adviceMeasure);
      this.measurements.onDidMeasure((d) => !d.isClosed && this.changed.fire(d), undefined, this.disposables);
      this.disposables.push(this.measurements);
    }
    workspace?.onDidChange(this.onExternal, this, this.disposables);
    vscode.workspace.onDidChangeTextDocument(this.onChange, this, this.disposables);
    vscode.workspace.onDidCloseTextDocument(this.onClose, this, this.disposables);
    onDidChangeConfig(() => this.invalidate(), this.disposables);
  }

  /** The analysis of the document's current version. */
  get(document: vscode.TextDocument): DocumentAnalysis {
    const key = document.uri.toString();
    let entry = this.entries.get(key);
    // VS Code may report a close late or not at all (untitled documents), and a
    // new document at the same URI starts at version 1 again: follow the object.
    if (!entry || entry.document !== document) {
      entry = { document, parser: new IncrementalParser(document.getText()), models: new ModelAnalyzer(), version: document.version };
      this.entries.set(key, entry);
    } else if (entry.version !== document.version) {
      // Change events are followed as they come; a version we did not see means
      // we missed some (e.g. a reopened document), so start over.
      entry.parser.reset(document.getText());
      entry.version = document.version;
      entry.analysis = undefined;
    }
    if (!entry.analysis) {
      const text = entry.parser.text;
      const tree = entry.parser.tree;
      const analyzer = entry.models;
      const workspace = this.workspace;
      const config = readConfig(document);
      let models: ModelAnalysis | undefined;
      const seeding = analyzeSeeding(tree, text);
      const measurements = this.measurements;
      entry.analysis = {
        version: entry.version,
        text,
        tree,
        seeding,
        get models() {
          if (!models) {
            const external = (config.workspaceFiles && workspace?.sites(document, tree, text)) || [];
            // The files the document imports, as known now (after sites(), which reads them).
            const files = config.workspaceFiles ? workspace?.files(document) : undefined;
            models = analyzer.analyze(tree, text, { variant: config.initVariant, maxLength: config.maxFileSize, imports: seeding.imports, external, ...(files ? { files } : {}), instances: true });
          }
          return models;
        },
        get measured() {
          return measurements?.current(document, this);
        },
      };
    }
    return entry.analysis;
  }

  private onChange(event: vscode.TextDocumentChangeEvent): void {
    if (event.contentChanges.length === 0) return;
    const key = event.document.uri.toString();
    const entry = this.entries.get(key);
    if (entry?.document === event.document) {
      entry.parser.applyEdits(
        event.contentChanges.map((c) => ({ offset: c.rangeOffset, length: c.rangeLength, text: c.text })),
      );
      entry.version = event.document.version;
      entry.analysis = undefined;
    }
    const document = event.document;
    clearTimeout(this.timers.get(key));
    this.timers.set(
      key,
      setTimeout(() => {
        this.timers.delete(key);
        if (!document.isClosed) this.changed.fire(document);
      }, CHANGE_DEBOUNCE_MS),
    );
  }

  /** Other files now build the document's classes differently: analyze it again. */
  private onExternal(document: vscode.TextDocument): void {
    const entry = this.entries.get(document.uri.toString());
    if (entry?.document !== document || document.isClosed) return;
    entry.analysis = undefined;
    this.changed.fire(document);
  }

  private onClose(document: vscode.TextDocument): void {
    const key = document.uri.toString();
    clearTimeout(this.timers.get(key));
    this.timers.delete(key);
    this.entries.delete(key);
  }

  /** Drops cached analyses (settings that change results were edited). */
  invalidate(): void {
    this.measurements?.invalidate();
    for (const entry of this.entries.values()) {
      entry.analysis = undefined;
      entry.models = new ModelAnalyzer();
    }
  }

  dispose(): void {
    this.timers.forEach((t) => clearTimeout(t));
    this.timers.clear();
    this.disposables.forEach((d) => d.dispose());
    this.entries.clear();
  }
}
