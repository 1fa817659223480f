/**
 * The seeding features inside a real VS Code: lenses, hovers and the report
 * command through the public `vscode.execute*` API, on the `examples/` workspace.
 */
import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { waitFor, hoverText } from './helpers';

const EXTENSION_ID = 'initlens.initlens';

function workspaceFile(name: string): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'the suite runs with examples/ (a copy) as its workspace');
  return vscode.Uri.joinPath(folder.uri, name);
}

function lenses(uri: vscode.Uri): Thenable<vscode.CodeLens[]> {
  return vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri);
}

async function initLensTitles(uri: vscode.Uri): Promise<{ line: number; title: string }[]> {
  return (await lenses(uri))
    .filter((l) => l.command?.title.startsWith('InitLens:'))
    .map((l) => ({ line: l.range.start.line, title: l.command?.title ?? '' }));
}

describe('InitLens in VS Code', () => {
  before(async () => {
    const extension = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(extension, `${EXTENSION_ID} is loaded`);
    const document = await vscode.workspace.openTextDocument(workspaceFile('mnist_mlp.py'));
    await vscode.window.showTextDocument(document);
    await waitFor(() => extension.isActive, 'activation on a Python file');
  });

  afterEach(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('activates on Python and contributes its command', async () => {
    const commands = await vscode.commands.getCommands(true);
    assert.ok(commands.includes('initlens.showSeedReport'));
    const manifest = vscode.extensions.getExtension(EXTENSION_ID)?.packageJSON as { activationEvents: string[] };
    assert.ok(!manifest.activationEvents.includes('*'));
  });

  it('puts a seed lens above the seed call of the example model', async () => {
    const uri = workspaceFile('mnist_mlp.py');
    const titles = await waitFor(async () => (await initLensTitles(uri)).length > 0 && initLensTitles(uri), 'a lens');
    assert.deepEqual(titles, [{ line: 8, title: 'InitLens: seeded: torch CPU, torch CUDA · not seeded: random, NumPy' }]);
    const lens = (await lenses(uri)).find((l) => l.command?.title.startsWith('InitLens:'));
    assert.equal(lens?.command?.command, 'initlens.showSeedReport');
    assert.deepEqual(lens?.command?.arguments, [uri.toString()]);
  });

  it('explains torch.manual_seed on hover, with its exact range', async () => {
    const uri = workspaceFile('mnist_mlp.py');
    const document = await vscode.workspace.openTextDocument(uri);
    const line = document.lineAt(8).text;
    assert.equal(line, 'torch.manual_seed(42)');
    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', uri, new vscode.Position(8, 10));
    const ours = hovers.filter((h) => hoverText([h]).includes('InitLens'));
    assert.equal(ours.length, 1);
    assert.match(hoverText(ours), /Seeds PyTorch's CPU generator and the generators of every CUDA device\./);
    assert.deepEqual(ours[0].range, new vscode.Range(8, 0, 8, 17));
    const none = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', uri, new vscode.Position(8, 19));
    assert.equal(none.filter((h) => hoverText([h]).includes('InitLens')).length, 0);
  });

  it('flags each classic mistake in the mistakes example', async () => {
    const uri = workspaceFile('seeding_mistakes.py');
    await vscode.workspace.openTextDocument(uri);
    const titles = await waitFor(async () => (await initLensTitles(uri)).length > 0 && initLensTitles(uri), 'a lens');
    assert.deepEqual(titles, [{ line: 6, title: 'InitLens: not seeded: NumPy, torch CPU, torch CUDA · 3 seeding problems' }]);
    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', uri, new vscode.Position(6, 5));
    assert.match(hoverText(hovers), /Python reads it once, at interpreter start-up/);
  });

  it('opens the seed report from the command and returns its text', async () => {
    const uri = workspaceFile('mnist_mlp.py');
    const report = await vscode.commands.executeCommand<string>('initlens.showSeedReport', uri.toString());
    assert.match(report, /^# Seed report: mnist_mlp\.py\n/);
    assert.match(report, /\| Python `random` \| \*\*not seeded\*\* \|/);
    const shown = vscode.window.visibleTextEditors.find((e) => e.document.uri.scheme === 'initlens-report');
    assert.ok(shown, 'the report is visible');
    assert.equal(shown.document.languageId, 'markdown');
    assert.equal(shown.document.getText(), report);
  });

  it('reports on the active editor when run without an argument, and refuses non-Python editors', async () => {
    const python = await vscode.workspace.openTextDocument({ language: 'python', content: 'import random\nrandom.seed(1)\n' });
    await vscode.window.showTextDocument(python);
    const report = await vscode.commands.executeCommand<string>('initlens.showSeedReport');
    assert.match(report, /\| Python `random` \| `random\.seed\(1\)` \(line 2\) \|/);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    const text = await vscode.workspace.openTextDocument({ language: 'plaintext', content: 'hello' });
    await vscode.window.showTextDocument(text);
    assert.equal(await vscode.commands.executeCommand('initlens.showSeedReport'), undefined);
  });

  it('follows edits: the lens and hover ranges track the new text (incremental parse)', async () => {
    const document = await vscode.workspace.openTextDocument({
      language: 'python',
      content: 'import numpy as np\nimport torch\n\ntorch.manual_seed(0)\n',
    });
    const editor = await vscode.window.showTextDocument(document);
    const before = await waitFor(async () => (await initLensTitles(document.uri)).length > 0 && initLensTitles(document.uri), 'a lens');
    assert.deepEqual(before, [{ line: 3, title: 'InitLens: seeded: torch CPU, torch CUDA · not seeded: NumPy' }]);
    assert.ok(await editor.edit((b) => b.insert(new vscode.Position(3, 0), 'np.random.seed(0)\n')));
    assert.equal(document.getText(), 'import numpy as np\nimport torch\n\nnp.random.seed(0)\ntorch.manual_seed(0)\n');
    assert.deepEqual(await initLensTitles(document.uri), [{ line: 3, title: 'InitLens: seeded: NumPy, torch CPU, torch CUDA' }]);
    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', document.uri, new vscode.Position(4, 3));
    assert.deepEqual(hovers.find((h) => hoverText([h]).includes('InitLens'))?.range, new vscode.Range(4, 0, 4, 17));
    // Undo restores the text in one step and the analysis follows.
    await vscode.commands.executeCommand('undo');
    assert.equal(document.getText(), 'import numpy as np\nimport torch\n\ntorch.manual_seed(0)\n');
    assert.deepEqual(await initLensTitles(document.uri), before);
  });

  it('honours initlens.codeLens.enabled and initlens.hover.enabled', async () => {
    const uri = workspaceFile('mnist_mlp.py');
    await vscode.workspace.openTextDocument(uri);
    const config = vscode.workspace.getConfiguration('initlens');
    try {
      await config.update('codeLens.enabled', false, vscode.ConfigurationTarget.Global);
      await config.update('hover.enabled', false, vscode.ConfigurationTarget.Global);
      assert.deepEqual(await initLensTitles(uri), []);
      const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', uri, new vscode.Position(8, 10));
      assert.equal(hovers.filter((h) => hoverText([h]).includes('InitLens')).length, 0);
    } finally {
      await config.update('codeLens.enabled', undefined, vscode.ConfigurationTarget.Global);
      await config.update('hover.enabled', undefined, vscode.ConfigurationTarget.Global);
    }
    assert.equal((await initLensTitles(uri)).length, 1);
  });

  it('works in notebook cells', async () => {
    const data = new vscode.NotebookData([
      new vscode.NotebookCellData(vscode.NotebookCellKind.Code, 'import torch\ntorch.cuda.manual_seed(3)\n', 'python'),
    ]);
    const notebook = await vscode.workspace.openNotebookDocument('jupyter-notebook', data);
    await vscode.window.showNotebookDocument(notebook);
    const cell = notebook.cellAt(0).document;
    assert.equal(cell.uri.scheme, 'vscode-notebook-cell');
    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', cell.uri, new vscode.Position(1, 12));
    assert.match(hoverText(hovers), /Seeds the generator of the \*\*current\*\* CUDA device only\./);
    assert.deepEqual(await initLensTitles(cell.uri), [{ line: 1, title: 'InitLens: not seeded: torch CPU, torch CUDA · 1 seeding problem' }]);
  });
});
