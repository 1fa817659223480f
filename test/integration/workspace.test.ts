/**
 * Files of the workspace in a real VS Code: a class defined in one file and
 * built in another with literal numbers gets those numbers in the defining
 * file's lenses and hovers, and they follow edits of the other file, on disk
 * and in an editor. The ReLU layer keeps PyTorch's default, std = 1/√(3·fan_in)
 * (784: 0.02062; 1024: 0.01804; 400: 0.02887; 300: 0.03333), with the same
 * analytic gain √(fan_in·std²/2) = ×0.41 whatever the fan (a note: no icon).
 */
import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { hoverText, waitFor } from './helpers';

const LAYERS = [
  'import torch.nn as nn',
  '',
  '',
  'class Block(nn.Module):',
  '    def __init__(self, dim, hidden):',
  '        super().__init__()',
  '        self.fc1 = nn.Linear(dim, hidden)',
  '        self.fc2 = nn.Linear(hidden, 10)',
  '',
  '    def forward(self, x):',
  '        return self.fc2(nn.functional.relu(self.fc1(x)))',
  '',
].join('\n');

const model = (dim: number) => ['from .layers import Block', '', '', 'def build():', `    return Block(dim=${dim}, hidden=256)`, ''].join('\n');

const encode = (text: string) => new TextEncoder().encode(text);

/** The lens of the ReLU layer fc1 when it has `std`. */
const fc1 = (std: string) => `ReLU · kaiming_uniform_(a=√5) = U(±1/√fan_in) · std ${std} · gain ×0.41`;

async function lensTitle(uri: vscode.Uri, line: number): Promise<string[]> {
  const lenses = (await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri)) ?? [];
  return lenses.filter((l) => l.range.start.line === line && l.command).map((l) => l.command?.title ?? '');
}

/** Waits until the lens over `line` reads `title`; the last titles seen are in the error. */
async function lensReads(uri: vscode.Uri, line: number, title: string): Promise<void> {
  let seen: string[] = [];
  try {
    await waitFor(async () => (seen = await lensTitle(uri, line)).includes(title), `the lens '${title}'`, 20_000);
  } catch (error) {
    throw new Error(`${(error as Error).message}; last seen: ${JSON.stringify(seen)}`);
  }
}

describe('files of the workspace', () => {
  const root = () => (vscode.workspace.workspaceFolders as readonly vscode.WorkspaceFolder[])[0].uri;
  const folder = () => vscode.Uri.joinPath(root(), 'ws_pkg');
  const layersUri = () => vscode.Uri.joinPath(folder(), 'layers.py');
  const modelUri = () => vscode.Uri.joinPath(folder(), 'model.py');

  before(async () => {
    await vscode.workspace.fs.createDirectory(folder());
    await vscode.workspace.fs.writeFile(layersUri(), encode(LAYERS));
    await vscode.workspace.fs.writeFile(modelUri(), encode(model(784)));
  });

  after(async () => {
    for (const d of vscode.workspace.textDocuments.filter((t) => t.isDirty && t.uri.path.includes('/ws_pkg/'))) {
      await vscode.window.showTextDocument(d);
      await vscode.commands.executeCommand('workbench.action.files.revert');
    }
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await vscode.workspace.fs.delete(folder(), { recursive: true });
  });

  it('shows the numbers another file builds a class with, and follows that file on disk and in the editor', async () => {
    const layers = await vscode.workspace.openTextDocument(layersUri());
    await vscode.window.showTextDocument(layers);
    await lensReads(layers.uri, 6, fc1('0.02062'));
    const hover = hoverText(await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', layers.uri, new vscode.Position(6, 24)));
    assert.match(hover, /\| 784 \| 256 \| 200,960 \|/);

    // The other file changes on disk (not open): the watcher.
    await vscode.workspace.fs.writeFile(modelUri(), encode(model(1024)));
    await lensReads(layers.uri, 6, fc1('0.01804'));

    // The other file is edited in an editor, unsaved: its editor text counts.
    const other = await vscode.workspace.openTextDocument(modelUri());
    await vscode.window.showTextDocument(other, { preview: false, preserveFocus: true, viewColumn: vscode.ViewColumn.Beside });
    const edit = new vscode.WorkspaceEdit();
    const at = other.getText().indexOf('1024');
    edit.replace(other.uri, new vscode.Range(other.positionAt(at), other.positionAt(at + 4)), '400');
    assert.equal(await vscode.workspace.applyEdit(edit), true);
    await lensReads(layers.uri, 6, fc1('0.02887'));
    const edited = hoverText(await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', layers.uri, new vscode.Position(6, 24)));
    assert.match(edited, /\| 400 \| 256 \| 102,656 \|/);
  });

  it('follows a package\'s __init__.py re-export, and reads no other file with initlens.analysis.workspaceFiles off', async () => {
    const pkg = vscode.Uri.joinPath(root(), 'ws_reexp');
    const layersAt = vscode.Uri.joinPath(pkg, 'layers.py');
    const train = vscode.Uri.joinPath(root(), 'ws_reexp_train.py');
    await vscode.workspace.fs.createDirectory(pkg);
    await vscode.workspace.fs.writeFile(layersAt, encode(LAYERS));
    await vscode.workspace.fs.writeFile(vscode.Uri.joinPath(pkg, '__init__.py'), encode('from .layers import Block\n'));
    await vscode.workspace.fs.writeFile(train, encode('from ws_reexp import Block\n\nmodel = Block(dim=300, hidden=256)\n'));
    const settings = vscode.workspace.getConfiguration('initlens');
    try {
      const layers = await vscode.workspace.openTextDocument(layersAt);
      await vscode.window.showTextDocument(layers);
      // 1/√(3·300) = 0.03333
      await lensReads(layers.uri, 6, fc1('0.03333'));
      await settings.update('analysis.workspaceFiles', false, vscode.ConfigurationTarget.Global);
      await waitFor(async () => /\| dim \| hidden \|/.test(hoverText(await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', layers.uri, new vscode.Position(6, 24)))), 'the symbolic fans with the setting off', 20_000);
      assert.ok(!(await lensTitle(layers.uri, 6)).some((t) => t.includes('0.03333')));
    } finally {
      await settings.update('analysis.workspaceFiles', undefined, vscode.ConfigurationTarget.Global);
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
      await vscode.workspace.fs.delete(pkg, { recursive: true });
      await vscode.workspace.fs.delete(train);
    }
  });
});
