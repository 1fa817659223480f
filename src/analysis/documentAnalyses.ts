/**
 * One parse per document version, shared by every feature. Each open Python
 * document keeps an incremental parser that follows its change events, so a
 * keystroke re-parses only what it touched; lenses, hovers and commands ask
 * {@link DocumentAnalyses.get} and get the same analysis for the same version.
 */
import * as vscode from 'vscode';
import { ModelAnalyzer } from '../core/model/analyze';
import type { ModelAnalysis } from '../core/model/types';
import { IncrementalParser, type Tree } from '../core/python/parse';
import { analyzeSeeding, type SeedingAnalysis } from '../core/seeding/analyze';
import { onDidChangeConfig, readConfig } from '../config';

/** Everything InitLens derives from one version of one document. */
export interface DocumentAnalysis {
  readonly version: number;
  readonly text: string;
  readonly tree: Tree;
  readonly seeding: SeedingAnalysis;
  /** Models and layers; computed on first use for this version. */
  readonly models: ModelAnalysis;
}

interface Entry {
  parser: IncrementalParser;
  /** Keeps the models of unchanged top-level statements between versions. */
  models: ModelAnalyzer;
  version: number;
  analysis?: DocumentAnalysis;
}

export class DocumentAnalyses implements vscode.Disposable {
  private readonly entries = new Map<string, Entry>();
  private readonly disposables: vscode.Disposable[] = [];

  constructor() {
    vscode.workspace.onDidChangeTextDocument(this.onChange, this, this.disposables);
    vscode.workspace.onDidCloseTextDocument((d) => this.entries.delete(d.uri.toString()), this, this.disposables);
    onDidChangeConfig(() => this.invalidate(), this.disposables);
  }

  /** The analysis of the document's current version. */
  get(document: vscode.TextDocument): DocumentAnalysis {
    const key = document.uri.toString();
    let entry = this.entries.get(key);
    if (!entry) {
      entry = { parser: new IncrementalParser(document.getText()), models: new ModelAnalyzer(), version: document.version };
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
      const config = readConfig(document);
      let models: ModelAnalysis | undefined;
      const seeding = analyzeSeeding(tree, text);
      entry.analysis = {
        version: entry.version,
        text,
        tree,
        seeding,
        get models() {
          models ??= analyzer.analyze(tree, text, { variant: config.initVariant, maxLength: config.maxFileSize, imports: seeding.imports });
          return models;
        },
      };
    }
    return entry.analysis;
  }

  private onChange(event: vscode.TextDocumentChangeEvent): void {
    const entry = this.entries.get(event.document.uri.toString());
    if (!entry || event.contentChanges.length === 0) return;
    entry.parser.applyEdits(
      event.contentChanges.map((c) => ({ offset: c.rangeOffset, length: c.rangeLength, text: c.text })),
    );
    entry.version = event.document.version;
    entry.analysis = undefined;
  }

  /** Drops cached analyses (settings that change results were edited). */
  invalidate(): void {
    for (const entry of this.entries.values()) {
      entry.analysis = undefined;
      entry.models = new ModelAnalyzer();
    }
  }

  dispose(): void {
    this.disposables.forEach((d) => d.dispose());
    this.entries.clear();
  }
}
