/**
 * `initlens.showSeedReport`: opens a read-only Markdown report of which RNGs a
 * Python file imports, what seeds each one, and the seeding traps it contains.
 * Takes the document URI as an optional argument (lenses and hovers pass it);
 * defaults to the active editor. Resolves to the report text, for automation.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { DocumentAnalyses } from '../analysis/documentAnalyses';
import { seedReportMarkdown } from '../core/seeding/report';
import { commandTarget, openTarget } from '../arguments';
import { Commands } from './ids';

const SCHEME = 'initlens-report';

export function registerShowSeedReport(analyses: DocumentAnalyses): vscode.Disposable {
  const changed = new vscode.EventEmitter<vscode.Uri>();
  const content: vscode.TextDocumentContentProvider = {
    onDidChange: changed.event,
    async provideTextDocumentContent(reportUri) {
      const source = await vscode.workspace.openTextDocument(vscode.Uri.parse(reportUri.query));
      return seedReportMarkdown(analyses.get(source).seeding, source.getText(), path.basename(source.uri.path));
    },
  };

  const command = async (...args: unknown[]): Promise<string | undefined> => {
    // A Uri object (another extension's call) counts as its string.
    const target = commandTarget(Commands.showSeedReport, args.length === 1 && args[0] instanceof vscode.Uri ? [args[0].toString()] : args, 1, 'workspace');
    if (!target) return undefined;
    const document = await sourceDocument(target.uri);
    if (!document) {
      void vscode.window.showErrorMessage(
        'InitLens: open a Python file (or notebook cell) first; the seed report describes the active Python document.',
      );
      return undefined;
    }
    const name = path.basename(document.uri.path) || 'untitled';
    const reportUri = vscode.Uri.from({ scheme: SCHEME, path: `/Seed report - ${name}.md`, query: document.uri.toString() });
    changed.fire(reportUri);
    const report = await vscode.workspace.openTextDocument(reportUri);
    await vscode.languages.setTextDocumentLanguage(report, 'markdown');
    await vscode.window.showTextDocument(report, { preview: true, viewColumn: vscode.ViewColumn.Beside });
    return report.getText();
  };

  return vscode.Disposable.from(
    changed,
    vscode.workspace.registerTextDocumentContentProvider(SCHEME, content),
    vscode.commands.registerCommand(Commands.showSeedReport, command),
  );
}

/** The document a (checked) command argument names, or the active Python editor's. */
async function sourceDocument(uri: string | undefined): Promise<vscode.TextDocument | undefined> {
  if (uri !== undefined) return openTarget(uri);
  const active = vscode.window.activeTextEditor?.document;
  return active?.languageId === 'python' ? active : undefined;
}
