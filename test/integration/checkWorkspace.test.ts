/**
 * "InitLens: Check workspace": `initlens check` over the workspace, in the
 * editor. Its problems for files that are not open are exactly those the CLI
 * prints for the same folder (the same walk, `exclude` and `.gitignore`,
 * notebooks on their cells, classes built in other files), with the same
 * codes as the live diagnostics and no duplicate once a file is opened; they
 * follow changes on disk; the command cancels.
 *
 * The fixture (written into the test workspace, removed afterwards):
 * `ckws/legacy.py` is excluded by the root `pyproject.toml`, `ckws/train.py`
 * builds `Block(-3)` from `ckws/model.py`, and `ckws/analysis.ipynb` seeds
 * NumPy's legacy generator in its 2nd cell and draws from an unseeded
 * `default_rng()` in its 3rd (a Markdown cell comes first).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { waitFor } from './helpers';

const codeOf = (d: vscode.Diagnostic) => (typeof d.code === 'object' ? String(d.code.value) : String(d.code));
const ours = (uri: vscode.Uri) => vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'InitLens');

interface Summary {
  readonly found: number;
  readonly files: number;
  readonly problems: number;
  readonly cancelled: boolean;
}

const CUDA = 'import torch\ntorch.manual_seed(0)\ntorch.cuda.manual_seed(1)\n';
const MODEL = 'import torch.nn as nn\n\n\nclass Block(nn.Module):\n    def __init__(self, dim):\n        super().__init__()\n        self.fc = nn.Linear(dim, 4)\n\n    def forward(self, x):\n        return self.fc(x)\n';
const NOTEBOOK = {
  cells: [
    { cell_type: 'markdown', metadata: {}, source: ['# Analysis'] },
    { cell_type: 'code', metadata: {}, execution_count: null, outputs: [], source: ['import numpy as np\n', 'np.random.seed(0)\n'] },
    { cell_type: 'code', metadata: {}, execution_count: null, outputs: [], source: ['%matplotlib inline\n', 'rng = np.random.default_rng()\n'] },
  ],
  metadata: {},
  nbformat: 4,
  nbformat_minor: 5,
};

describe('InitLens: Check workspace', () => {
  const folder = () => {
    const f = vscode.workspace.workspaceFolders?.[0];
    assert.ok(f, 'the test workspace');
    return f.uri.fsPath;
  };
  const file = (rel: string) => vscode.Uri.file(path.join(folder(), rel));
  const write = (rel: string, text: string) => {
    fs.mkdirSync(path.dirname(file(rel).fsPath), { recursive: true });
    fs.writeFileSync(file(rel).fsPath, text);
  };

  before(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    write('pyproject.toml', '[tool.initlens]\nexclude = ["ckws/legacy.py"]\n');
    write('ckws/model.py', MODEL);
    write('ckws/train.py', 'from ckws.model import Block\n\nblock = Block(-3)\n');
    write('ckws/gpu.py', CUDA);
    write('ckws/legacy.py', CUDA);
    write('ckws/analysis.ipynb', JSON.stringify(NOTEBOOK, null, 1));
  });

  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    fs.rmSync(file('ckws').fsPath, { recursive: true, force: true });
    fs.rmSync(file('pyproject.toml').fsPath, { force: true });
  });

  it('puts the problems of files that are not open in the Problems panel; an opened file is not counted twice', async () => {
    const mistakes = file('seeding_mistakes.py');
    const summary = await vscode.commands.executeCommand<Summary>('initlens.checkWorkspace');
    assert.equal(summary.cancelled, false);
    assert.ok(summary.files >= 4, JSON.stringify(summary));
    // initlens check examples/ gives IL104 and IL103 in seeding_mistakes.py (README "initlens check").
    assert.deepEqual(ours(mistakes).map(codeOf).sort(), ['IL103', 'IL104']);
    const document = await vscode.workspace.openTextDocument(mistakes);
    await vscode.window.showTextDocument(document);
    await waitFor(() => (ours(mistakes).length === 2 ? true : undefined), 'the live diagnostics, once');
    assert.deepEqual(ours(mistakes).map(codeOf).sort(), ['IL103', 'IL104']);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    // Closed: this check's problems come back, still once.
    await waitFor(() => (ours(mistakes).length === 2 ? true : undefined), "the check's diagnostics back");
  });

  it('shows what initlens check prints for the folder: exclude, cross-file, the notebook on its cell', async () => {
    const summary = await vscode.commands.executeCommand<Summary>('initlens.checkWorkspace');
    assert.equal(summary.cancelled, false);
    assert.equal(summary.files, summary.found);
    // The CLI of this build over the same folder, in its JSON format.
    const extension = vscode.extensions.getExtension('initlens.initlens');
    assert.ok(extension);
    const cli = spawnSync(process.execPath, [path.join(extension.extensionPath, 'dist', 'cli.js'), 'check', '--format', 'json', '.'], { cwd: folder(), encoding: 'utf8' });
    assert.equal(cli.status, 1, cli.stderr);
    const printed = (JSON.parse(cli.stdout) as { files: number; problems: { path: string; cell?: number; line: number; column: number; code: string }[] });
    assert.equal(printed.files, summary.found);
    const key = (p: string, cell: number | undefined, line: number, column: number, code: string) => `${p}${cell ? `:cell ${cell}` : ''}:${line}:${column}: ${code}`;
    const expected = printed.problems.map((p) => key(p.path.split(path.sep).join('/'), p.cell, p.line, p.column, p.code)).sort();
    // Every problem of the fixture, as README "initlens check" reads them (legacy.py excluded, model.py's IL001 from train.py's Block(-3)).
    for (const line of ['ckws/analysis.ipynb:cell 3:2:7: IL105', 'ckws/gpu.py:3:1: IL103', 'ckws/model.py:7:29: IL001']) assert.ok(expected.includes(line), `${line} in ${expected.join(', ')}`);
    assert.ok(!expected.some((l) => l.startsWith('ckws/legacy.py')));

    const notebook = vscode.workspace.notebookDocuments.find((nb) => nb.uri.fsPath === file('ckws/analysis.ipynb').fsPath);
    assert.ok(notebook, 'the notebook is loaded to show its cells');
    const shown: string[] = [];
    for (const rel of printed.problems.map((p) => p.path).filter((p, i, all) => all.indexOf(p) === i)) {
      if (rel.endsWith('.ipynb')) continue;
      for (const d of ours(file(rel))) shown.push(key(rel.split(path.sep).join('/'), undefined, d.range.start.line + 1, d.range.start.character + 1, codeOf(d)));
    }
    for (const cell of notebook.getCells()) {
      for (const d of ours(cell.document.uri)) shown.push(key('ckws/analysis.ipynb', cell.index + 1, d.range.start.line + 1, d.range.start.character + 1, codeOf(d)));
    }
    assert.deepEqual(shown.sort(), expected);
    assert.deepEqual(ours(file('ckws/legacy.py')), []);
    assert.deepEqual(ours(notebook.uri), [], 'nothing on the .ipynb JSON itself');
    // The cell's problem: line 2 of cell 3, `np.random.default_rng()` from column 7, with its rule's link.
    const [cellProblem] = ours(notebook.cellAt(2).document.uri);
    assert.deepEqual([cellProblem.range.start.line, cellProblem.range.start.character], [1, 6]);
    assert.equal(notebook.cellAt(2).document.getText(cellProblem.range).startsWith('np.random.default_rng'), true);
    assert.ok(typeof cellProblem.code === 'object' && cellProblem.code.target.fragment.length > 0, 'links to the rule');
  });

  it('follows changes on disk: a fixed file, an importer changed, a file created and deleted', async () => {
    await vscode.commands.executeCommand<Summary>('initlens.checkWorkspace');
    assert.deepEqual(ours(file('ckws/gpu.py')).map(codeOf), ['IL103']);
    write('ckws/gpu.py', CUDA.replace('cuda.manual_seed(1)', 'cuda.manual_seed_all(1)'));
    await waitFor(() => ours(file('ckws/gpu.py')).length === 0, 'gpu.py checked again', 20_000);
    // model.py is unchanged; its Linear gets valid sizes from the file that builds it.
    assert.deepEqual(ours(file('ckws/model.py')).map(codeOf), ['IL001']);
    write('ckws/train.py', 'from ckws.model import Block\n\nblock = Block(3)\n');
    await waitFor(() => ours(file('ckws/model.py')).length === 0, 'model.py checked again after train.py changed', 20_000);
    write('ckws/fresh.py', CUDA);
    await waitFor(() => ours(file('ckws/fresh.py')).length === 1, 'a created file checked', 20_000);
    fs.rmSync(file('ckws/fresh.py').fsPath);
    await waitFor(() => ours(file('ckws/fresh.py')).length === 0, "a deleted file's problems removed", 20_000);
  });

  it('cancels: a cancelled run stops before the files it has not reached', async () => {
    write('ckws/gpu.py', CUDA);
    await waitFor(() => ours(file('ckws/gpu.py')).length === 1, 'gpu.py checked again', 20_000);
    const source = new vscode.CancellationTokenSource();
    const running = vscode.commands.executeCommand<Summary>('initlens.checkWorkspace', { cancel: source.token });
    source.cancel();
    const summary = await running;
    assert.equal(summary.cancelled, true);
    assert.ok(summary.found > 0 && summary.files < summary.found, JSON.stringify(summary));
    // The run cleared the panel and checked nothing: gpu.py's old problem is gone, not shown stale.
    assert.deepEqual(ours(file('ckws/gpu.py')), []);
    source.dispose();
  });
});
