/**
 * The Signal panel in a real VS Code: the "Show signal" lens command opens it,
 * the host posts the job (typed arrays through the webview's postMessage), and
 * the page computes every scheme on a TensorFlow.js backend that it names;
 * a model that cannot be simulated runs nothing.
 */
import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { SIGNAL_SCHEMES } from '../../src/core/signal/schemes';

interface Done {
  type: 'done';
  backend: string;
  summary: string;
  runs: number;
  cancelled: boolean;
  ms: number;
}

function workspaceFile(name: string): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder);
  return vscode.Uri.joinPath(folder.uri, name);
}

describe('signal panel', () => {
  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('opens from the Show signal lens and the page computes every scheme on the backend it names', async function () {
    this.timeout(120_000);
    const uri = workspaceFile('mnist_mlp.py');
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri));
    const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri);
    // "signal ×0.14 over 3 layers (in effect) · Show signal": the summary (measured once the advice measured the model), then the action.
    const lens = lenses.find((l) => l.command?.title.endsWith(' · Show signal'));
    assert.ok(lens?.command, 'a Show signal lens');
    assert.deepEqual(lens.command.arguments, [uri.toString(), 'MLP']);
    const done = await vscode.commands.executeCommand<Done | undefined>(lens.command.command, ...(lens.command.arguments ?? []));
    assert.ok(done, 'the page reported its run');
    assert.ok(['webgpu', 'webgl', 'wasm', 'cpu'].includes(done.backend), done.summary);
    assert.ok(done.summary.startsWith(done.backend), done.summary);
    assert.equal(done.runs, SIGNAL_SCHEMES.length);
    assert.equal(done.cancelled, false);
    console.log(`# signal panel in VS Code: ${done.summary}; ${done.runs} schemes in ${Math.round(done.ms)} ms`);
  });
});
