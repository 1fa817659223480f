/**
 * One parse per document version, shared by every feature. Each open Python
 * document keeps an incremental parser that follows its change events, so a
 * keystroke re-parses only what it touched; lenses, hovers and commands ask
 * {@link DocumentAnalyses.get} and get the same analysis for the same version.
 */
import * as vscode from 'vscode';
import { IncrementalParser, type Tree } from '../core/python/parse';
import { analyzeSeeding, type SeedingAnalysis } from '../core/seeding/analyze';

/** Everything InitLens derives from one version of one document. */
export interface DocumentAnalysis {
  readonly version: number;
  readonly text: string;
  readonly tree: Tree;
  readonly seeding: SeedingAnalysis;
}

interface Entry {
  parser: IncrementalParser;
  version: number;
  analysis?: DocumentAnalysis;
}

export class DocumentAnalyses implements vscode.Disposable {
  private readonly entries = new Map<string, Entry>();
  private readonly disposables: vscode.Disposable[] = [];

  constructor() {
    vscode.workspace.onDidChangeTextDocument(this.onChange, this, this.disposables);
    vscode.workspace.onDidCloseTextDocument((d) => this.entries.delete(d.uri.toString()), this, this.disposables);
  }

  /** The analysis of the document's current version. */
  get(document: vscode.TextDocument): DocumentAnalysis {
    const key = document.uri.toString();
    let entry = this.entries.get(key);
    if (!entry) {
      entry = { parser: new IncrementalParser(document.getText()), version: document.version };
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
      entry.analysis = { version: entry.version, text, tree, seeding: analyzeSeeding(tree, text) };
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

  dispose(): void {
    this.disposables.forEach((d) => d.dispose());
    this.entries.clear();
  }
}
