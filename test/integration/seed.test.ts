/**
 * "Insert reproducible seed" and the reproducibility diagnostics inside a real
 * VS Code: the command with an argument (text after, undo restores it, second
 * run changes nothing), notebooks, diagnostics through
 * `vscode.languages.getDiagnostics`, quick fixes through
 * `vscode.executeCodeActionProvider`, and the settings that switch rules off.
 */
import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { waitFor } from './helpers';

const TRAINING = [
  'import numpy as np',
  'import torch',
  '',
  'model = torch.nn.Linear(4, 1)',
  'opt = torch.optim.SGD(model.parameters(), lr=0.1)',
  'loss = model(torch.ones(4)).sum()',
  'loss.backward()',
  'opt.step()',
  '',
].join('\n');

function ours(uri: vscode.Uri): vscode.Diagnostic[] {
  return vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'InitLens');
}

function codeOf(d: vscode.Diagnostic): string {
  return typeof d.code === 'object' ? String(d.code.value) : String(d.code);
}

async function untitled(content: string): Promise<vscode.TextDocument> {
  const document = await vscode.workspace.openTextDocument({ language: 'python', content });
  await vscode.window.showTextDocument(document);
  return document;
}

describe('Insert reproducible seed and diagnostics in VS Code', () => {
  afterEach(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('contributes initlens.insertSeed', async () => {
    assert.ok((await vscode.commands.getCommands(true)).includes('initlens.insertSeed'));
  });

  it('inserts the seed with an argument, as one undo step, and a second run changes nothing', async () => {
    const document = await untitled(TRAINING);
    const summary = await vscode.commands.executeCommand<string>('initlens.insertSeed', 7, { deterministic: false });
    assert.equal(summary, 'Inserted seed_everything(7) for numpy, torch; added import os.');
    const text = document.getText();
    assert.ok(text.startsWith('import os\nimport numpy as np\nimport torch\n\n\ndef seed_everything(seed: int, deterministic: bool = True):\n'), text);
    assert.ok(text.includes('\n    np.random.seed(seed)  #'), text);
    assert.ok(text.includes('\n    torch.cuda.manual_seed_all(seed)  #'), text);
    assert.ok(text.includes('\n\n\nseed_everything(7, deterministic=False)\n\nmodel = torch.nn.Linear(4, 1)\n'), text);
    const again = await vscode.commands.executeCommand<string>('initlens.insertSeed', 7, { deterministic: false });
    assert.match(again, /^Nothing to change: /);
    assert.equal(document.getText(), text);
    const updated = await vscode.commands.executeCommand<string>('initlens.insertSeed', 123, { deterministic: false });
    assert.equal(updated, 'seed_everything(123) seeds numpy, torch.');
    assert.equal(document.getText(), text.replace('seed_everything(7, deterministic=False)', 'seed_everything(123, deterministic=False)'));
    await vscode.commands.executeCommand('undo');
    assert.equal(document.getText(), text);
    await vscode.commands.executeCommand('undo');
    assert.equal(document.getText(), TRAINING);
  });

  it('refuses a file with a syntax error and leaves it unchanged', async () => {
    const broken = 'import torch\nmodel = torch.nn.Linear(4,\n';
    const document = await untitled(broken);
    assert.equal(await vscode.commands.executeCommand('initlens.insertSeed', 1), undefined);
    assert.equal(document.getText(), broken);
    assert.equal(await vscode.commands.executeCommand('initlens.insertSeed', -5, { uri: document.uri.toString() }), undefined);
  });

  it('seeds a notebook: into the import cell, or a new first cell', async () => {
    const data = new vscode.NotebookData([
      new vscode.NotebookCellData(vscode.NotebookCellKind.Code, 'import random\nimport torch\n', 'python'),
      new vscode.NotebookCellData(vscode.NotebookCellKind.Code, 'model = torch.nn.Linear(2, 2)\n', 'python'),
    ]);
    const notebook = await vscode.workspace.openNotebookDocument('jupyter-notebook', data);
    await vscode.window.showNotebookDocument(notebook);
    const summary = await vscode.commands.executeCommand<string>('initlens.insertSeed', 5);
    assert.equal(summary, 'Inserted seed_everything(5) for random, torch; added import os.');
    assert.equal(notebook.cellCount, 2);
    assert.ok(notebook.cellAt(0).document.getText().includes('\nseed_everything(5, deterministic=True)\n'));
    assert.equal(notebook.cellAt(1).document.getText(), 'model = torch.nn.Linear(2, 2)\n');

    const built = new vscode.NotebookData([
      new vscode.NotebookCellData(vscode.NotebookCellKind.Code, 'net = nn.Sequential(nn.Linear(2, 2))\n', 'python'),
      new vscode.NotebookCellData(vscode.NotebookCellKind.Code, 'import torch\nfrom torch import nn\n', 'python'),
    ]);
    const second = await vscode.workspace.openNotebookDocument('jupyter-notebook', built);
    await vscode.window.showNotebookDocument(second);
    assert.equal(await vscode.commands.executeCommand<string>('initlens.insertSeed', 9), 'Inserted seed_everything(9) for torch; added import os, import torch in a new first cell.');
    assert.equal(second.cellCount, 3);
    assert.ok(second.cellAt(0).document.getText().startsWith('import os\nimport torch\n\n\ndef seed_everything('));
    assert.ok(second.cellAt(0).document.getText().endsWith('\nseed_everything(9, deterministic=True)'));
  });

  it('shows diagnostics and applies their quick fixes (seedMissing, cudaManualSeed)', async () => {
    const document = await untitled(TRAINING.replace('import torch\n', 'import torch\ntorch.cuda.manual_seed(3)\n'));
    // cuda.manual_seed seeds torch-cuda partly: the file counts as seeding nothing, so both rules fire.
    const diagnostics = await waitFor(() => (ours(document.uri).length >= 1 ? ours(document.uri) : undefined), 'InitLens diagnostics');
    const cuda = diagnostics.find((d) => codeOf(d) === 'IL103');
    assert.ok(cuda, diagnostics.map(codeOf).join(', '));
    assert.deepEqual(cuda.range, new vscode.Range(2, 0, 2, 22));
    assert.equal(cuda.severity, vscode.DiagnosticSeverity.Warning);
    // The code links to the rule's section of the README shipped in the extension.
    assert.match(typeof cuda.code === 'object' ? cuda.code.target.toString() : '', /\/README\.md#il103-cuda-manual-seed$/);
    const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', document.uri, cuda.range);
    const fix = actions.find((a) => a.title === 'InitLens: Use manual_seed_all');
    assert.ok(fix?.edit, actions.map((a) => a.title).join(', '));
    assert.ok(await vscode.workspace.applyEdit(fix.edit));
    assert.equal(document.lineAt(2).text, 'torch.cuda.manual_seed_all(3)');
    // The diagnostic goes once the text is fixed (debounced re-check).
    await waitFor(() => !ours(document.uri).some((d) => codeOf(d) === 'IL103'), 'the cudaManualSeed diagnostic to clear');
    await vscode.commands.executeCommand('undo');
    assert.equal(document.lineAt(2).text, 'torch.cuda.manual_seed(3)');
  });

  it('a suppression comment silences its code on its line only (the core function initlens check uses)', async () => {
    const document = await untitled(TRAINING.replace('import torch\n', 'import torch\ntorch.cuda.manual_seed(3)  # initlens: ignore[IL103]\n'));
    await waitFor(() => ours(document.uri).find((d) => codeOf(d) === 'IL101'), 'IL101 (not suppressed)');
    assert.deepEqual(ours(document.uri).map(codeOf), ['IL101']);
  });

  it('seedMissing quick fix inserts seed_everything; the rule setting switches it off', async () => {
    const document = await untitled(TRAINING);
    const missing = await waitFor(() => ours(document.uri).find((d) => codeOf(d) === 'IL101'), 'seedMissing');
    assert.equal(missing.message, 'This file trains but never seeds its random number generators, so weights, dropout and data order change on every run.');
    assert.deepEqual(missing.range, new vscode.Range(6, 0, 6, 15));
    const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', document.uri, missing.range);
    const fix = actions.find((a) => a.title === 'InitLens: Insert seed_everything(42)');
    assert.ok(fix?.edit);
    assert.ok(await vscode.workspace.applyEdit(fix.edit));
    assert.ok(document.getText().includes('\nseed_everything(42, deterministic=True)\n'));
    await waitFor(() => ours(document.uri).length === 0 || undefined, 'no diagnostics after the fix');
    await vscode.commands.executeCommand('undo');
    assert.equal(document.getText(), TRAINING);
    await waitFor(() => ours(document.uri).some((d) => codeOf(d) === 'IL101') || undefined, 'seedMissing back after undo');
    const config = vscode.workspace.getConfiguration('initlens');
    try {
      await config.update('diagnostics.seedMissing', false, vscode.ConfigurationTarget.Global);
      await waitFor(() => !ours(document.uri).some((d) => codeOf(d) === 'IL101') || undefined, 'seedMissing off');
    } finally {
      await config.update('diagnostics.seedMissing', undefined, vscode.ConfigurationTarget.Global);
    }
    await waitFor(() => ours(document.uri).some((d) => codeOf(d) === 'IL101') || undefined, 'seedMissing on again');
  });

  it('flags a constant weight init and fixes it with the recommended scheme', async () => {
    const text = [
      'import torch.nn as nn',
      'import torch.nn.functional as F',
      '',
      '',
      'class M(nn.Module):',
      '    def __init__(self):',
      '        super().__init__()',
      '        self.fc = nn.Linear(4, 2)',
      '        nn.init.zeros_(self.fc.weight)',
      '',
      '    def forward(self, x):',
      '        return F.relu(self.fc(x))',
      '',
    ].join('\n');
    const document = await untitled(text);
    const d = await waitFor(() => ours(document.uri).find((x) => codeOf(x) === 'IL002'), 'symmetricInit');
    assert.deepEqual(d.range, new vscode.Range(8, 8, 8, 38));
    const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', document.uri, d.range);
    const fix = actions.find((a) => a.title.startsWith('InitLens: Initialize fc with'));
    assert.ok(fix?.edit, actions.map((a) => a.title).join(', '));
    assert.ok(await vscode.workspace.applyEdit(fix.edit));
    assert.equal(document.lineAt(8).text, '        nn.init.kaiming_normal_(self.fc.weight, nonlinearity="relu")');
  });

  it('clears diagnostics when the document closes', async () => {
    const document = await untitled('import torch\ntorch.cuda.manual_seed(1)\n');
    await waitFor(() => ours(document.uri).length > 0 || undefined, 'a diagnostic');
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
    await waitFor(() => ours(document.uri).length === 0 || undefined, 'diagnostics cleared on close');
  });

  // Last: its files on disk make the workspace index and watchers work while later tests wait for analyses.
  it('[tool.initlens] of the nearest pyproject.toml chooses the rules; a per-file ignore applies; seed.default is the fix seed', async () => {
    const folder = vscode.workspace.workspaceFolders?.[0];
    assert.ok(folder, 'the test workspace');
    const dir = vscode.Uri.joinPath(folder.uri, 'initlens-config-test');
    const write = (name: string, text: string) => vscode.workspace.fs.writeFile(vscode.Uri.joinPath(dir, name), new TextEncoder().encode(text));
    await write('pyproject.toml', '[tool.initlens]\nselect = ["IL1"]\nseed.default = 7\n\n[tool.initlens.per-file-ignores]\n"quiet_*.py" = ["IL103"]\n');
    const gpu = TRAINING.replace('import torch\n', 'import torch\ntorch.cuda.manual_seed(3)\n');
    await write('loud.py', gpu);
    await write('quiet_gpu.py', gpu);
    try {
      const loud = await vscode.workspace.openTextDocument(vscode.Uri.joinPath(dir, 'loud.py'));
      await vscode.window.showTextDocument(loud);
      await waitFor(() => (ours(loud.uri).length >= 2 ? true : undefined), 'IL101 and IL103 in loud.py');
      assert.deepEqual(ours(loud.uri).map(codeOf).sort(), ['IL101', 'IL103']);
      const missing = ours(loud.uri).find((d) => codeOf(d) === 'IL101')!;
      const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', loud.uri, missing.range);
      assert.ok(actions.some((a) => a.title === 'InitLens: Insert seed_everything(7)'), actions.map((a) => a.title).join(', '));
      const quiet = await vscode.workspace.openTextDocument(vscode.Uri.joinPath(dir, 'quiet_gpu.py'));
      await vscode.window.showTextDocument(quiet);
      await waitFor(() => ours(quiet.uri).find((d) => codeOf(d) === 'IL101'), 'IL101 in quiet_gpu.py');
      assert.deepEqual(ours(quiet.uri).map(codeOf), ['IL101']);
    } finally {
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
      await vscode.workspace.fs.delete(dir, { recursive: true });
    }
  });
});
