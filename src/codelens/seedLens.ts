/**
 * A code lens summarizing the file's seeding (which RNGs are seeded, which are
 * not, how many seeding problems), above the first seeding call or, when there
 * is none, above the first framework import. Clicking it opens the seed report.
 */
import * as vscode from 'vscode';
import type { DocumentAnalyses } from '../analysis/documentAnalyses';
import { Commands } from '../commands/ids';
import { seedSummary } from '../core/seeding/report';
import { registerLensProvider } from './provider';

export function registerSeedLens(analyses: DocumentAnalyses): vscode.Disposable {
  return registerLensProvider((document) => {
    const summary = seedSummary(analyses.get(document).seeding);
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
  });
}
