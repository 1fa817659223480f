/**
 * "InitLens: Check workspace" (`initlens.checkWorkspace`): every rule over the
 * workspace's `.py` files, as `initlens check` runs them, with the results in
 * the Problems panel for files that are not open too. A cancellable
 * notification shows the progress. Open documents keep their live
 * diagnostics (src/diagnostics/seedDiagnostics.ts); this collection holds the
 * other files, re-checked from disk when they change or are closed, once the
 * command has run. Files are found as the workspace index finds them
 * (`files.exclude`, hidden folders, environments), at most `checkFiles`, each
 * up to `inputBytes`. Notebooks are left to `initlens check` for now.
 */
import * as vscode from 'vscode';
import { checkDocument } from '../core/diagnostics/rules';
import { lineAt, lineStarts, unsuppressed } from '../core/diagnostics/suppress';
import { LIMITS } from '../core/limits';
import { ModelAnalyzer } from '../core/model/analyze';
import { parsePython, syntaxErrors } from '../core/python/parse';
import { analyzeSeeding } from '../core/seeding/analyze';
import { excludeGlob } from '../core/workspace/exclude';
import { Commands } from '../commands/ids';
import { readConfig } from '../config';
import type { ProjectConfigs } from './projectConfig';
import { chosenRules, toDiagnostic } from './seedDiagnostics';

/** What the command resolves to, for automation and tests. */
export interface WorkspaceCheckSummary {
  readonly files: number;
  readonly problems: number;
  readonly cancelled: boolean;
}

/** `positionAt` over a text, as `TextDocument.positionAt` counts (UTF-16 units within the line). */
function positions(text: string): Pick<vscode.TextDocument, 'positionAt'> {
  const starts = lineStarts(text);
  return {
    positionAt: (offset: number) => {
      const line = lineAt(starts, offset);
      return new vscode.Position(line, offset - starts[line]);
    },
  };
}

export function registerCheckWorkspace(projects: ProjectConfigs, extensionUri: vscode.Uri): vscode.Disposable {
  const readme = vscode.Uri.joinPath(extensionUri, 'README.md');
  const collection = vscode.languages.createDiagnosticCollection('initlens-workspace');
  const disposables: vscode.Disposable[] = [collection];
  let active = false;
  const isOpen = (uri: vscode.Uri) => vscode.workspace.textDocuments.some((d) => d.uri.toString() === uri.toString());

  /** The problems of one file on disk, or none when it cannot be read, is too large or does not parse. */
  const checkFile = async (uri: vscode.Uri): Promise<vscode.Diagnostic[]> => {
    let bytes: Uint8Array;
    try {
      const stat = await vscode.workspace.fs.stat(uri);
      if (stat.size > LIMITS.inputBytes.value) return [];
      bytes = await vscode.workspace.fs.readFile(uri);
    } catch {
      return [];
    }
    const text = new TextDecoder().decode(bytes).replace(/^\ufeff/, '');
    const tree = parsePython(text);
    if (syntaxErrors(tree, text).length > 0) return [];
    const chosen = chosenRules(uri, await projects.resolve(uri));
    const config = readConfig(uri);
    const findings = checkDocument(
      { text, tree, seeding: analyzeSeeding(tree, text), models: new ModelAnalyzer().analyze(tree, text) },
      { seed: chosen.seed, deterministic: config.seedDeterministic, warnOnly: config.seedWarnOnly },
      chosen.rules,
    );
    const at = positions(text);
    return unsuppressed(findings, tree, text).map((f) => toDiagnostic(at, f, readme));
  };

  const recheck = async (uri: vscode.Uri) => {
    if (!active || isOpen(uri)) return;
    collection.set(uri, await checkFile(uri));
  };

  const run = (): Thenable<WorkspaceCheckSummary> =>
    vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'InitLens: checking the workspace', cancellable: true }, async (progress, token) => {
      const exclude = excludeGlob(vscode.workspace.getConfiguration('files').get<Record<string, unknown>>('exclude') ?? {});
      const uris = await vscode.workspace.findFiles('**/*.py', exclude, LIMITS.checkFiles.value, token);
      collection.clear();
      active = true;
      let problems = 0;
      let done = 0;
      for (const uri of uris) {
        if (token.isCancellationRequested) return { files: done, problems, cancelled: true };
        progress.report({ message: `${done} of ${uris.length} files`, increment: 100 / Math.max(uris.length, 1) });
        done++;
        // An open file has its live diagnostics already.
        if (isOpen(uri)) continue;
        const diagnostics = await checkFile(uri);
        problems += diagnostics.length;
        if (diagnostics.length > 0) collection.set(uri, diagnostics);
      }
      return { files: done, problems, cancelled: false };
    });

  disposables.push(vscode.commands.registerCommand(Commands.checkWorkspace, run));
  const watcher = vscode.workspace.createFileSystemWatcher('**/*.py');
  watcher.onDidChange(recheck, undefined, disposables);
  watcher.onDidCreate(recheck, undefined, disposables);
  watcher.onDidDelete((uri) => collection.delete(uri), undefined, disposables);
  disposables.push(watcher);
  // The live collection takes over an opened file, and hands it back when it closes.
  vscode.workspace.onDidOpenTextDocument((d) => collection.delete(d.uri), undefined, disposables);
  vscode.workspace.onDidCloseTextDocument((d) => void recheck(d.uri), undefined, disposables);
  return new vscode.Disposable(() => disposables.forEach((d) => d.dispose()));
}
