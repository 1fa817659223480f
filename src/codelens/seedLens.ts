/**
 * A code lens summarizing the file's seeding (which RNGs are seeded, which are
 * not, how many seeding problems), above the first seeding call or, when there
 * is none, above the first framework import. Clicking it opens the seed report.
 */
import * as vscode from 'vscode';
import type { DocumentAnalyses } from '../analysis/documentAnalyses';
import { Commands } from '../commands/ids';
import { seedSummary } from '../core/seeding/report';
import { onDidChangeConfig, readConfig } from '../config';
import { PYTHON } from '../selector';

class SeedLensProvider implements vscode.CodeLensProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  private readonly disposables: vscode.Disposable[] = [this.changed];
  readonly onDidChangeCodeLenses = this.changed.event;

  constructor(private readonly analyses: DocumentAnalyses) {
    onDidChangeConfig(() => this.changed.fire(), this.disposables);
  }

  provideCodeLenses(document: vscode.TextDocument): vscode.CodeLens[] {
    if (!readConfig(document).codeLensEnabled) return [];
    const summary = seedSummary(this.analyses.get(document).seeding);
    if (!summary) return [];
    const range = document.lineAt(summary.line).range;
    return [
      new vscode.CodeLens(range, {
        title: summary.title,
        tooltip: 'Show which random number generators this file seeds',
        command: Commands.showSeedReport,
        arguments: [document.uri.toString()],
      }),
    ];
  }

  dispose(): void {
    this.disposables.forEach((d) => d.dispose());
  }
}

export function registerSeedLens(analyses: DocumentAnalyses): vscode.Disposable {
  const provider = new SeedLensProvider(analyses);
  return vscode.Disposable.from(provider, vscode.languages.registerCodeLensProvider(PYTHON, provider));
}
