/**
 * "InitLens: Check workspace": the rules over the workspace's files, their
 * problems in the Problems panel for files that are not open, with the same
 * codes as the live diagnostics, and no duplicate once a file is opened.
 */
import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { waitFor } from './helpers';

const codeOf = (d: vscode.Diagnostic) => (typeof d.code === 'object' ? String(d.code.value) : String(d.code));
const ours = (uri: vscode.Uri) => vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'InitLens');

describe('InitLens: Check workspace', () => {
  it('puts the problems of files that are not open in the Problems panel; an opened file is not counted twice', async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    const folder = vscode.workspace.workspaceFolders?.[0];
    assert.ok(folder, 'the test workspace');
    const mistakes = vscode.Uri.joinPath(folder.uri, 'seeding_mistakes.py');
    const summary = await vscode.commands.executeCommand<{ files: number; problems: number; cancelled: boolean }>('initlens.checkWorkspace');
    assert.equal(summary.cancelled, false);
    assert.ok(summary.files >= 4, JSON.stringify(summary));
    // initlens check examples/ gives IL104 and IL103 in seeding_mistakes.py (README "initlens check").
    assert.deepEqual(ours(mistakes).map(codeOf).sort(), ['IL103', 'IL104']);
    const document = await vscode.workspace.openTextDocument(mistakes);
    await vscode.window.showTextDocument(document);
    await waitFor(() => (ours(mistakes).length === 2 ? true : undefined), 'the live diagnostics, once');
    assert.deepEqual(ours(mistakes).map(codeOf).sort(), ['IL103', 'IL104']);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });
});
