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
