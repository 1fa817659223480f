/**
 * Command arguments, checked before a command acts: the shape InitLens
 * generates (`core/commandArgs.ts`), and a URI only of a document already open
 * in this window (loaded, in an editor tab, or a cell of an open notebook);
 * commands that only show something also take a file of the workspace. A
 * command called with anything else shows why and does nothing.
 */
import * as vscode from 'vscode';
import { isUriString, readCommandTarget, type CommandTarget } from './core/commandArgs';

function uriKey(uri: string | vscode.Uri): string | undefined {
  if (typeof uri !== 'string') return uri.toString();
  if (!isUriString(uri)) return undefined;
  try {
    return vscode.Uri.parse(uri, true).toString();
  } catch {
    return undefined;
  }
}

/** URIs of everything the user has open in a tab. */
function tabUris(): Set<string> {
  const uris = new Set<string>();
  for (const tab of vscode.window.tabGroups.all.flatMap((g) => g.tabs)) {
    const input = tab.input;
    if (input instanceof vscode.TabInputText || input instanceof vscode.TabInputNotebook || input instanceof vscode.TabInputCustom) uris.add(input.uri.toString());
    else if (input instanceof vscode.TabInputTextDiff || input instanceof vscode.TabInputNotebookDiff) {
      uris.add(input.original.toString());
      uris.add(input.modified.toString());
    }
  }
  return uris;
}

/** Whether `uri` names a document the user has open (a restored tab counts before its document is loaded). */
export function isUserDocument(uri: string | vscode.Uri): boolean {
  const key = uriKey(uri);
  if (key === undefined) return false;
  if (vscode.workspace.textDocuments.some((d) => d.uri.toString() === key)) return true;
  if (vscode.window.visibleTextEditors.some((e) => e.document.uri.toString() === key)) return true;
  const tabs = tabUris();
  if (tabs.has(key)) return true;
  return vscode.workspace.notebookDocuments.some((nb) => tabs.has(nb.uri.toString()) && nb.getCells().some((c) => c.document.uri.toString() === key));
}

/** Whether `uri` is a file inside one of the window's workspace folders. */
function inWorkspace(uri: string): boolean {
  const key = uriKey(uri);
  return key !== undefined && vscode.workspace.getWorkspaceFolder(vscode.Uri.parse(key, true)) !== undefined;
}

/**
 * The target a command was called with (`[uri?, model?, layer?]`), or
 * undefined after telling the user why it was refused. A command that edits
 * (`reach: 'open'`) acts only on a document open in this window; one that only
 * shows something (`'workspace'`) also on a file of the workspace.
 */
export function commandTarget(command: string, args: readonly unknown[], accepts: 1 | 2 | 3, reach: 'open' | 'workspace'): CommandTarget | undefined {
  const target = readCommandTarget(args, accepts);
  const allowed = (uri: string) => isUserDocument(uri) || (reach === 'workspace' && inWorkspace(uri));
  const problem =
    'problem' in target
      ? target.problem
      : target.uri !== undefined && !allowed(target.uri)
        ? `${target.uri.slice(0, 200)} is not a document open in this window${reach === 'workspace' ? ' nor a file of its workspace' : ''}`
        : undefined;
  if (problem === undefined) return target as CommandTarget;
  void vscode.window.showErrorMessage(`InitLens refused ${command}: ${problem}. Nothing was changed.`);
  return undefined;
}

/** Opens (loads) a document that {@link commandTarget} accepted. */
export function openTarget(uri: string): Thenable<vscode.TextDocument> {
  return vscode.workspace.openTextDocument(vscode.Uri.parse(uri, true));
}
