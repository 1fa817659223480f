/**
 * `initlens.showHistogram(uri?, model?, layer?)` ("InitLens: Preview weight
 * histograms"): opens the panel on a model (the one around the cursor when
 * called without arguments) and one of its layers. Resolves to the first
 * complete histogram message sent to the panel, for automation and tests.
 * Also registers the serializer that restores the panel after a restart.
 */
import * as vscode from 'vscode';
import type { DocumentAnalyses } from '../analysis/documentAnalyses';
import { HistogramPanel, VIEW_TYPE } from '../panel/histogramPanel';
import { commandTarget } from '../arguments';
import { modelAtCursor } from '../editing';
import { rootModel } from '../core/model/root';
import { Commands } from './ids';

export function registerShowHistogram(extensionUri: vscode.Uri, analyses: DocumentAnalyses): vscode.Disposable {
  const command = vscode.commands.registerCommand(Commands.showHistogram, async (...args: unknown[]) => {
    const target = commandTarget(Commands.showHistogram, args, 3, 'workspace');
    if (!target) return undefined;
    const { uri, model, layer } = target;
    if (uri !== undefined && model !== undefined) {
      return HistogramPanel.createOrShow(extensionUri, analyses, { uri, model, ...(layer !== undefined ? { layer } : {}) });
    }
    const editor = vscode.window.activeTextEditor;
    if (!editor || editor.document.languageId !== 'python') {
      void vscode.window.showErrorMessage('InitLens: open a Python file with a PyTorch or Keras model to preview its weights.');
      return undefined;
    }
    const { models } = analyses.get(editor.document).models;
    const atCursor = modelAtCursor(models, editor.document, editor.selection.active);
    const around = atCursor.model ?? rootModel(models);
    if (!around) {
      void vscode.window.showErrorMessage('InitLens: no PyTorch or Keras model found in this file.');
      return undefined;
    }
    const onLine = atCursor.layer;
    return HistogramPanel.createOrShow(extensionUri, analyses, { uri: editor.document.uri.toString(), model: around.name, ...(onLine ? { layer: onLine.name } : {}) });
  });
  const serializer = vscode.window.registerWebviewPanelSerializer(VIEW_TYPE, {
    async deserializeWebviewPanel(panel, state: unknown) {
      HistogramPanel.revive(panel, extensionUri, analyses, state);
    },
  });
  return vscode.Disposable.from(command, serializer);
}
