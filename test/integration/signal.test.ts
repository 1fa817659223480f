/**
 * The Signal panel in a real VS Code: the "Show signal" lens command opens it,
 * the host posts the job (typed arrays through the webview's postMessage), and
 * the page computes every scheme on a TensorFlow.js backend that it names;
 * a model that cannot be simulated runs nothing.
 */
import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { SIGNAL_SCHEMES } from '../../src/core/signal/schemes';
import { waitFor } from './helpers';

interface Done {
  type: 'done';
  backend: string;
  summary: string;
  runs: number;
  cancelled: boolean;
  ms: number;
  preview?: { backend: string; difference: number };
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
    // "signal ×0.14 over 3 layers (in effect, measured) · Show signal": the summary once the advice measured the model in the extension host, then the action.
    const lens = await waitFor(async () => (await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri)).find((l) => l.command?.title.endsWith('(in effect, measured) · Show signal')), 'the measured Show signal lens', 30_000);
    assert.ok(lens.command, 'a Show signal lens');
    assert.deepEqual(lens.command.arguments, [uri.toString(), 'MLP']);
    const done = await vscode.commands.executeCommand<Done | undefined>(lens.command.command, ...(lens.command.arguments ?? []));
    assert.ok(done, 'the page reported its run');
    assert.ok(['webgpu', 'webgl', 'wasm', 'cpu'].includes(done.backend), done.summary);
    assert.ok(done.summary.startsWith(done.backend), done.summary);
    assert.equal(done.runs, SIGNAL_SCHEMES.length);
    assert.equal(done.cancelled, false);
    // The host had TensorFlow.js loaded (it measured the model): the first chart was its run of the first scheme, which the page ran again.
    assert.ok(done.preview, 'the job carried the host preview');
    assert.ok(done.preview.difference <= 1e-3, `the host's run and the page's differ by ${done.preview.difference}`);
    console.log(`# signal panel in VS Code: ${done.summary}; ${done.runs} schemes in ${Math.round(done.ms)} ms; host preview on ${done.preview.backend}, worst relative difference from the page's run ${done.preview.difference}`);
  });
});
