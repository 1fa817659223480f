/**
 * Model lenses, hovers and the Apply command in a real VS Code: lens titles
 * and the edited text are compared exactly; expected numbers follow from the
 * formulas (He: sqrt(2)/sqrt(784) = 0.05051; Xavier tanh: 5/3*sqrt(2/512) = 0.1042).
 */
import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { waitFor, hoverText } from './helpers';

const MLP = [
  'import torch',
  'import torch.nn as nn',
  'import torch.nn.functional as F',
  '',
  '',
  'class MLP(nn.Module):',
  '    def __init__(self, hidden: int = 256):',
  '        super().__init__()',
  '        self.fc1 = nn.Linear(784, hidden)',
  '        self.fc2 = nn.Linear(hidden, hidden)',
  '        self.out = nn.Linear(hidden, 10)',
  '',
  '    def forward(self, x):',
  '        x = F.relu(self.fc1(x))',
  '        x = torch.tanh(self.fc2(x))',
  '        return self.out(x)',
  '',
].join('\n');

async function lensRows(uri: vscode.Uri): Promise<string[]> {
  const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri);
  return lenses
    .filter((l) => l.command && !l.command.title.startsWith('InitLens:'))
    .sort((a, b) => a.range.start.line - b.range.start.line)
    .map((l) => `${l.range.start.line}: ${l.command?.title}`);
}

async function open(content: string): Promise<vscode.TextDocument> {
  const document = await vscode.workspace.openTextDocument({ language: 'python', content });
  await vscode.window.showTextDocument(document);
  return document;
}

describe('model lenses, hovers and Apply', () => {
  afterEach(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('shows the model and one lens per weight layer with exact numbers', async () => {
    const document = await open(MLP);
    const rows = await waitFor(async () => ((await lensRows(document.uri)).length > 0 ? lensRows(document.uri) : undefined), 'model lenses');
    assert.deepEqual(rows, [
      '5: InitLens · MLP: 3 weight layers · 269,322 parameters',
      '5: Preview histograms',
      '5: Show signal',
      '5: Add _init_weights()',
      '8: $(warning) ReLU → kaiming_normal_ · std 0.05051',
      '8: Apply',
      '8: Preview',
      '9: $(warning) Tanh → xavier_normal_ · std 0.1042',
      '9: Apply',
      '9: Preview',
      '10: $(warning) no activation → xavier_normal_ · std 0.08671',
      '10: Apply',
      '10: Preview',
    ]);
  });

  it('hovers a layer with fans, parameters, the default and the recommendation', async () => {
    const document = await open(MLP);
    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', document.uri, new vscode.Position(8, 24));
    const text = hoverText(hovers);
    assert.match(text, /\| 784 \| 256 \| 200,960 \|/);
    assert.match(text, /Followed by \*\*ReLU\*\* \(in forward\(\)\)/);
    assert.match(text, /PyTorch default: `kaiming_uniform_\(a=√5\) = U\(±1\/√fan_in\)` — U\(−b, b\) with b = √3·std = 0\.03571/);
    assert.match(text, /Recommended: \*\*kaiming_normal_\*\* — N\(0, σ²\) with std = gain\/√fan_in = √2\/√784 = 0\.05051/);
    assert.match(text, /nn\.init\.kaiming_normal_\(self\.fc1\.weight, nonlinearity="relu"\)/);
  });

  it('shows the exact first values PyTorch gives a layer when the file seeds before building the model', async () => {
    const seeded = MLP.replace('import torch.nn.functional as F\n', 'import torch.nn.functional as F\n\ntorch.manual_seed(7)\n') + 'model = MLP()\n';
    const document = await open(seeded);
    const line = document.getText().split('\n').findIndex((l) => l.includes('self.fc1 = nn.Linear'));
    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', document.uri, new vscode.Position(line, 24));
    // The status is escaped Markdown (it can quote the seed argument as written).
    assert.match(hoverText(hovers), /\*\*Values\*\* — exact \\\(PyTorch CPU\\, seed 7\\\)/);
  });

  it('applies the whole model as one undoable edit, idempotently', async () => {
    const document = await open(MLP);
    await waitFor(async () => (await lensRows(document.uri)).length > 0, 'lenses');
    const summary = await vscode.commands.executeCommand<string>('initlens.applyInit', document.uri.toString(), 'MLP');
    assert.equal(summary, 'Added MLP._init_weights(), called at the end of __init__.');
    const expected = MLP.replace(
      '        self.out = nn.Linear(hidden, 10)\n',
      [
        '        self.out = nn.Linear(hidden, 10)',
        '        self._init_weights()',
        '',
        '    def _init_weights(self):',
        '        """Initialization matched to each layer\'s activation (added by InitLens)."""',
        '        nn.init.kaiming_normal_(self.fc1.weight, nonlinearity="relu")',
        '        nn.init.zeros_(self.fc1.bias)',
        '        nn.init.xavier_normal_(self.fc2.weight, gain=nn.init.calculate_gain("tanh"))',
        '        nn.init.zeros_(self.fc2.bias)',
        '        nn.init.xavier_normal_(self.out.weight)',
        '        nn.init.zeros_(self.out.bias)',
        '',
      ].join('\n'),
    );
    assert.equal(document.getText(), expected);
    assert.deepEqual((await lensRows(document.uri)).filter((r) => r.startsWith('8:')), ['8: $(check) ReLU → kaiming_normal_ · std 0.05051', '8: Preview']);
    // Again: nothing left to do, nothing changes.
    assert.equal(await vscode.commands.executeCommand('initlens.applyInit', document.uri.toString(), 'MLP'), 'MLP already initializes every layer as recommended.');
    assert.equal(document.getText(), expected);
    // One undo restores the original.
    await vscode.commands.executeCommand('undo');
    assert.equal(document.getText(), MLP);
  });

  it('applies one layer into the existing method and replaces what it wrote before', async () => {
    const document = await open(MLP);
    await vscode.commands.executeCommand('initlens.applyInit', document.uri.toString(), 'MLP', 'fc1');
    assert.match(document.getText(), /def _init_weights\(self\):\n {8}"""[^\n]*"""\n {8}nn\.init\.kaiming_normal_\(self\.fc1\.weight, nonlinearity="relu"\)\n {8}nn\.init\.zeros_\(self\.fc1\.bias\)\n\n {4}def forward/);
    const config = vscode.workspace.getConfiguration('initlens');
    try {
      await config.update('init.variant', 'uniform', vscode.ConfigurationTarget.Global);
      assert.ok((await lensRows(document.uri)).includes('9: $(warning) Tanh → xavier_uniform_ · std 0.1042 (±0.1804)'));
      await vscode.commands.executeCommand('initlens.applyInit', document.uri.toString(), 'MLP', 'fc2');
      const text = document.getText();
      assert.equal(text.match(/self\.fc2\.weight/g)?.length, 1);
      assert.match(text, /nn\.init\.xavier_uniform_\(self\.fc2\.weight, gain=nn\.init\.calculate_gain\("tanh"\)\)/);
    } finally {
      await config.update('init.variant', undefined, vscode.ConfigurationTarget.Global);
    }
  });

  it('sets kernel_initializer on Keras layers', async () => {
    const keras = 'from tensorflow import keras\n\nmodel = keras.Sequential([\n    keras.layers.Dense(64, activation="relu", input_shape=(20,)),\n    keras.layers.Dense(1),\n])\n';
    const document = await open(keras);
    await vscode.commands.executeCommand('initlens.applyInit', document.uri.toString(), 'model');
    assert.equal(document.getText(), keras.replace('input_shape=(20,))', 'input_shape=(20,), kernel_initializer="he_normal")'));
  });

  it('refuses to edit a model with a syntax error and leaves the text alone', async () => {
    const broken = MLP.replace('self.fc2 = nn.Linear(hidden, hidden)', 'self.fc2 = nn.Linear(hidden, hidden))');
    const document = await open(broken);
    assert.equal(await vscode.commands.executeCommand('initlens.applyInit', document.uri.toString(), 'MLP'), undefined);
    assert.equal(document.getText(), broken);
  });

  it('analyzes models in notebook cells', async () => {
    const data = new vscode.NotebookData([new vscode.NotebookCellData(vscode.NotebookCellKind.Code, 'import torch.nn as nn\nnet = nn.Sequential(nn.Linear(8, 4), nn.ReLU(), nn.Linear(4, 1))\n', 'python')]);
    const notebook = await vscode.workspace.openNotebookDocument('jupyter-notebook', data);
    await vscode.window.showNotebookDocument(notebook);
    const rows = await waitFor(async () => ((await lensRows(notebook.cellAt(0).document.uri)).length > 0 ? lensRows(notebook.cellAt(0).document.uri) : undefined), 'cell lenses');
    assert.deepEqual(rows.slice(0, 5), ['1: InitLens · net: 2 weight layers · 41 parameters', '1: Preview histograms', '1: Show signal', '1: Add init code', '1: $(warning) ReLU → kaiming_normal_ · std 0.5']);
  });
});
