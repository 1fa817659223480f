/**
 * `initlens.showSignal(uri?, model?)` ("InitLens: Show signal"): opens the
 * Signal panel on a PyTorch model (the one around the cursor when called
 * without arguments). Resolves to the page's report of its first job (the
 * backend that ran, how many schemes), for automation and tests. Also
 * registers the serializer that restores the panel after a restart.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { DocumentAnalyses } from '../analysis/documentAnalyses';
import { commandTarget } from '../arguments';
import { readConfig } from '../config';
import { modelAtCursor } from '../editing';
import { rootModel } from '../core/model/root';
import { Commands, SIGNAL_VIEW_TYPE } from './ids';

/**
 * The panel's module (graph building, job preparation, the protocol's
 * readers) is its own bundle, dist/signalPanel.js, required on first use: it
 * is neither parsed nor run at activation (a computed path, so esbuild
 * leaves the require alone).
 */
export const panelModule = async () => require(path.join(__dirname, 'signalPanel.js')) as typeof import('../panel/signalPanel');

/** `initlens.compute.backend` of a file: which backends the Signal page may use. */
const backendsFor = (uri: string | undefined) => readConfig(uri ? vscode.Uri.parse(uri, true) : undefined).computeBackend;

export function registerShowSignal(extensionUri: vscode.Uri, analyses: DocumentAnalyses): vscode.Disposable {
  const command = vscode.commands.registerCommand(Commands.showSignal, async (...args: unknown[]) => {
    const target = commandTarget(Commands.showSignal, args, 2, 'workspace');
    if (!target) return undefined;
    const { SignalPanel } = await panelModule();
    if (target.uri !== undefined && target.model !== undefined) return SignalPanel.createOrShow(extensionUri, analyses, { uri: target.uri, model: target.model }, backendsFor);
    const editor = vscode.window.activeTextEditor;
    if (!editor || editor.document.languageId !== 'python') {
      void vscode.window.showErrorMessage('InitLens: open a Python file with a PyTorch model to see its signal.');
      return undefined;
    }
    const models = analyses.get(editor.document).models.models.filter((m) => m.framework === 'torch');
    const around = modelAtCursor(models, editor.document, editor.selection.active).model ?? rootModel(models);
    if (!around) {
      void vscode.window.showErrorMessage('InitLens: no PyTorch model found in this file.');
      return undefined;
    }
    return SignalPanel.createOrShow(extensionUri, analyses, { uri: editor.document.uri.toString(), model: around.name }, backendsFor);
  });
  const serializer = vscode.window.registerWebviewPanelSerializer(SIGNAL_VIEW_TYPE, {
    async deserializeWebviewPanel(panel, state: unknown) {
      (await panelModule()).SignalPanel.revive(panel, extensionUri, analyses, state, backendsFor);
    },
  });
  return vscode.Disposable.from(command, serializer);
}
