/**
 * The histogram panel in a real VS Code: opened by the command a lens runs,
 * it samples in the extension host and sends bins and statistics whose values
 * follow from the schemes (std of PyTorch's default for fan_in 784:
 * (1/sqrt(784))/sqrt(3); He: sqrt(2)/sqrt(784)), within the sampling error of
 * a standard deviation estimated from n values (relative sd about 1/sqrt(2n)).
 */
import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { ModelAnalyzer } from '../../src/core/model/analyze';
import { parsePython } from '../../src/core/python/parse';
import { exactParameters } from '../../src/core/torch/exact';

interface Histogram {
  layer: string;
  phase: string;
  series: { role: string; label: string; count: number; std: number; theoryStd: number; counts: number[] }[];
  code: string;
  backend: string;
  exact?: { status: string; first: number[] };
}

function workspaceFile(name: string): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder);
  return vscode.Uri.joinPath(folder.uri, name);
}

describe('histogram panel', () => {
  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('opens from the Preview lens command and receives the layer histograms', async () => {
    const uri = workspaceFile('mnist_mlp.py');
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri));
    const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri);
    const preview = lenses.find((l) => l.command?.title === 'Preview' && l.command.arguments?.[2] === 'fc1');
    assert.ok(preview?.command, 'a Preview lens on fc1');
    const result = await vscode.commands.executeCommand<Histogram>(preview.command.command, ...(preview.command.arguments ?? []));
    assert.equal(result.layer, 'fc1');
    assert.equal(result.phase, 'done');
    assert.deepEqual(result.series.map((s) => s.role), ['current', 'recommended']);
    const n = 256 * 784;
    for (const s of result.series) assert.equal(s.count, n);
    const tolerance = 5 / Math.sqrt(2 * n);
    const [current, recommended] = result.series;
    assert.ok(Math.abs(current.std / (1 / 28 / Math.sqrt(3)) - 1) < tolerance, `default std ${current.std}`);
    assert.ok(Math.abs(recommended.std / (Math.SQRT2 / 28) - 1) < tolerance, `He std ${recommended.std}`);
    // The file calls torch.manual_seed(42) before MLP() is built: exact mode is on, and the
    // first values are the ones the PyTorch CPU emulation gives fc1.weight (bit-exactness
    // itself is tested against real PyTorch in the unit tests).
    assert.match(result.exact?.status ?? '', /^Exact: the values PyTorch \(CPU\) gives fc1\.weight after torch\.manual_seed\(42\), bit for bit\.$/);
    const document = await vscode.workspace.openTextDocument(uri);
    const text = document.getText();
    const tree = parsePython(text);
    const model = new ModelAnalyzer().analyze(tree, text).models[0];
    const expected = exactParameters(model, 42n, { materialize: (n) => n === 'fc1' }).find((p) => p.name === 'fc1.weight');
    assert.deepEqual(result.exact?.first, Array.from(expected?.values.subarray(0, 12) ?? []));
    assert.match(result.series[0].label, /exact values for seed 42$/);
    assert.match(result.backend, /CPU engine/);
    // The tab title reaches the extension host's tab model asynchronously.
    const label = () => vscode.window.tabGroups.all.flatMap((g) => g.tabs).find((t) => t.input instanceof vscode.TabInputWebview)?.label;
    for (let i = 0; i < 50 && label() !== 'InitLens: MLP · fc1'; i++) await new Promise((r) => setTimeout(r, 100));
    assert.equal(label(), 'InitLens: MLP · fc1');
  });

  it('is reproducible for the same seed and follows the selected layer', async () => {
    const uri = workspaceFile('mnist_mlp.py').toString();
    const a = await vscode.commands.executeCommand<Histogram>('initlens.showHistogram', uri, 'MLP', 'fc2');
    const b = await vscode.commands.executeCommand<Histogram>('initlens.showHistogram', uri, 'MLP', 'fc2');
    assert.equal(a.layer, 'fc2');
    assert.deepEqual(a.series[0].counts, b.series[0].counts);
    assert.equal(a.code, 'nn.init.kaiming_uniform_(self.fc2.weight, a=2.23606797749979, nonlinearity="leaky_relu")');
  });
});
