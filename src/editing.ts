/**
 * What the commands and code actions share with the editor: the model and layer under the
 * cursor, and core text plans turned into one `WorkspaceEdit` (one undoable step).
 */
import * as vscode from 'vscode';
import type { TextEdit } from './core/python/parse';
import type { Layer, Model } from './core/model/types';

/** The model whose span holds `position`, and its layer written on that line, if any. */
export function modelAtCursor(models: readonly Model[], document: vscode.TextDocument, position: vscode.Position): { model?: Model; layer?: Layer } {
  const offset = document.offsetAt(position);
  const model = models.find((m) => m.span.from <= offset && offset <= m.span.to);
  const layer = model?.layers.find((l) => l.line === position.line);
  return { ...(model ? { model } : {}), ...(layer ? { layer } : {}) };
}

/** `edits` (offsets into `document`'s text) added to `edit` (a new one when omitted), for one `applyEdit`. */
export function workspaceEdit(document: vscode.TextDocument, edits: readonly TextEdit[], edit = new vscode.WorkspaceEdit()): vscode.WorkspaceEdit {
  for (const e of edits) edit.replace(document.uri, new vscode.Range(document.positionAt(e.offset), document.positionAt(e.offset + e.length)), e.text);
  return edit;
}

/**
 * A command's text plan applied as one undoable edit, unless the document changed since it was
 * analysed (`version`); says so in the status bar or a message. Resolves to the plan's summary, or
 * undefined when nothing was edited because of a change.
 */
export async function applyPlan(document: vscode.TextDocument, version: number, plan: { readonly edits: readonly TextEdit[]; readonly summary: string }): Promise<string | undefined> {
  if (plan.edits.length === 0) {
    void vscode.window.showInformationMessage(`InitLens: ${plan.summary}`);
    return plan.summary;
  }
  if (document.version !== version || !(await vscode.workspace.applyEdit(workspaceEdit(document, plan.edits)))) {
    void vscode.window.showErrorMessage('InitLens: the document changed while applying; nothing was edited. Try again.');
    return undefined;
  }
  vscode.window.setStatusBarMessage(`InitLens: ${plan.summary}`, 5000);
  return plan.summary;
}
