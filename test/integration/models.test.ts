/**
 * Model lenses, hovers and the Apply command in a real VS Code: lens titles
 * and the edited text are compared exactly. The numbers follow from the
 * formulas: PyTorch's default std is 1/√(3·fan_in) (784: 0.02062, 256: 0.03608),
 * He's √2/√fan_in (784: 0.05051, 256: 0.08839); the analytic gain of a layer
 * with w = fan_in·std² is √(w/2) before ReLU (the default's w = 1/3: ×0.41, and
 * ×(1/6)^4 = 7.7e-4 over 8 such layers) and √w with no activation (×0.58).
 * A shallow MLP under the default is fine (no ⚠, no Apply); a deep ReLU stack
 * under it gets ⚠ and Apply on every hidden layer (src/core/advice/judge.ts).
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

/** Eight Linear → ReLU layers under PyTorch's default, then an output layer: the signal shrinks ×7.7e-4 over them. */
const DEEP = [
  'import torch',
  'import torch.nn as nn',
  'import torch.nn.functional as F',
  '',
  '',
  'class Deep(nn.Module):',
  '    def __init__(self, width: int = 256):',
  '        super().__init__()',
  '        self.fc1 = nn.Linear(784, width)',
  ...[2, 3, 4, 5, 6, 7, 8].map((i) => `        self.fc${i} = nn.Linear(width, width)`),
  '        self.out = nn.Linear(width, 10)',
  '',
  '    def forward(self, x):',
  ...[1, 2, 3, 4, 5, 6, 7, 8].map((i) => `        x = F.relu(self.fc${i}(x))`),
  '        return self.out(x)',
  '',
].join('\n');

/** PyTorch's default init of Linear, as the lenses name it. */
const DEFAULT = 'kaiming_uniform_(a=√5) = U(±1/√fan_in)';

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
  // The lens texts below are the analytic gains, computed by hand; the measured ones are advice.test.ts's.
  before(async () => {
    await vscode.workspace.getConfiguration('initlens').update('advice.measure', false, vscode.ConfigurationTarget.Global);
  });
  after(async () => {
    await vscode.workspace.getConfiguration('initlens').update('advice.measure', undefined, vscode.ConfigurationTarget.Global);
  });

  afterEach(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('shows the model and one lens per weight layer with exact numbers: the default on a shallow MLP is fine (no ⚠, no Apply)', async () => {
    const document = await open(MLP);
    const rows = await waitFor(async () => ((await lensRows(document.uri)).length > 0 ? lensRows(document.uri) : undefined), 'model lenses');
    assert.deepEqual(rows, [
      '5: InitLens · MLP: 3 weight layers · 269,322 parameters',
      '5: Preview histograms',
      // Analytic, biases included (src/core/signal/summary.ts); PyTorch gives 0.12 on torch.randn(4096, 784).
      '5: signal ×0.14 over 3 layers (in effect) · Show signal',
      '5: Apply LSUV',
      // A scheme suggestion with a healthy gain is a note, marked only at the `suggestions` level.
      `8: ReLU · ${DEFAULT} · std 0.02062 · gain ×0.41`,
      '8: Preview',
      `9: Tanh · ${DEFAULT} · std 0.03608 · gain ×0.46`,
      '9: Preview',
      `10: $(check) no activation · ${DEFAULT} · std 0.03608 · gain ×0.58`,
      '10: Preview',
    ]);
  });

  it('shows ⚠ and Apply on every hidden layer of a deep ReLU stack under the default, ✓ on its output layer', async () => {
    const document = await open(DEEP);
    const rows = await waitFor(async () => ((await lensRows(document.uri)).length > 0 ? lensRows(document.uri) : undefined), 'model lenses');
    assert.deepEqual(rows.slice(0, 8), [
      '5: InitLens · Deep: 9 weight layers · 664,074 parameters',
      '5: Preview histograms',
      // PyTorch gives 0.038 on torch.randn(4096, 784): the default biases keep the signal far above the weights' ×7.7e-4.
      '5: signal ×0.04 over 9 layers (in effect) · Show signal',
      '5: Apply LSUV',
      '5: Add _init_weights()',
      `8: $(warning) ReLU · ${DEFAULT} · std 0.02062 · gain ×0.41 (×7.7e-4 over 8)`,
      '8: Apply',
      '8: Preview',
    ]);
    assert.deepEqual(rows.filter((r) => r.startsWith('15:') || r.startsWith('16:')), [
      `15: $(warning) ReLU · ${DEFAULT} · std 0.03608 · gain ×0.41 (×7.7e-4 over 8)`,
      '15: Apply',
      '15: Preview',
      `16: $(check) no activation · ${DEFAULT} · std 0.03608 · gain ×0.58`,
      '16: Preview',
    ]);
    assert.equal(rows.filter((r) => r.endsWith(': Apply')).length, 8);
  });

  it('hovers a layer with fans, parameters, the default and the verdict: fine on the MLP, a warning with its cure on the deep stack', async () => {
    const document = await open(MLP);
    const text = hoverText(await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', document.uri, new vscode.Position(8, 24)));
    assert.match(text, /\| 784 \| 256 \| 200,960 \|/);
    assert.match(text, /Followed by \*\*ReLU\*\* \(in forward\(\)\)/);
    assert.match(text, /PyTorch default: `kaiming_uniform_\(a=√5\) = U\(±1\/√fan_in\)` — U\(−b, b\) with b = √3·std = 0\.03571 \(std = gain\/√fan_in = √\(1\/3\)\/√784 = 0\.02062\)/);
    // The verdict, escaped Markdown: a note (He's std against the default's), fine, no ⚠ and no Apply.
    assert.ok(text.includes("kaiming\\_normal\\_ would give std 0\\.051\\; yours gives 0\\.021\\: fine \\(the signal\\'s std changes ×0\\.41 per layer \\(analytic\\)\\)\\."), text);
    assert.ok(!text.includes('$(warning)') && !text.includes('command:initlens.applyInit'), text);
    const deep = await open(DEEP);
    const warned = hoverText(await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', deep.uri, new vscode.Position(8, 24)));
    assert.ok(
      warned.includes(
        "$(warning) PyTorch\\'s default kaiming\\_uniform\\_\\(a\\=√5\\) \\= U\\(±1\\/√fan\\_in\\) \\(std 0\\.021\\) before ReLU\\: the signal\\'s std changes ×0\\.41 per layer \\(analytic\\)\\; over the 8 layers like it ×7\\.7e\\-4\\. kaiming\\_normal\\_ gives ×1 over them \\(analytic\\)\\. Source: [Schoenholz et al\\. 2017\\, Deep Information Propagation](https://arxiv.org/abs/1611.01232).",
      ),
      warned,
    );
    assert.match(warned, /nn\.init\.kaiming_normal_\(self\.fc1\.weight, nonlinearity="relu"\)/);
    assert.match(warned, /\[Apply\]\(command:initlens\.applyInit\?/);
  });

  it('shows the exact first values PyTorch gives a layer when the file seeds before building the model', async () => {
    const seeded = MLP.replace('import torch.nn.functional as F\n', 'import torch.nn.functional as F\n\ntorch.manual_seed(7)\n') + 'model = MLP()\n';
    const document = await open(seeded);
    const line = document.getText().split('\n').findIndex((l) => l.includes('self.fc1 = nn.Linear'));
    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', document.uri, new vscode.Position(line, 24));
    // The status is escaped Markdown (it can quote the seed argument as written).
    assert.match(hoverText(hovers), /\*\*Values\*\* — exact \\\(PyTorch CPU\\, seed 7\\\)/);
  });

  it('applies the whole model as one undoable edit, idempotently: exactly the layers with ⚠', async () => {
    const document = await open(DEEP);
    await waitFor(async () => (await lensRows(document.uri)).length > 0, 'lenses');
    const summary = await vscode.commands.executeCommand<string>('initlens.applyInit', document.uri.toString(), 'Deep');
    assert.equal(summary, 'Added Deep._init_weights(), called at the end of __init__.');
    const expected = DEEP.replace(
      '        self.out = nn.Linear(width, 10)\n',
      [
        '        self.out = nn.Linear(width, 10)',
        '        self._init_weights()',
        '',
        '    def _init_weights(self):',
        '        """Initialization matched to each layer\'s activation (added by InitLens)."""',
        // The output layer's default is fine: it is left alone.
        ...[1, 2, 3, 4, 5, 6, 7, 8].flatMap((i) => [`        nn.init.kaiming_normal_(self.fc${i}.weight, nonlinearity="relu")`, `        nn.init.zeros_(self.fc${i}.bias)`]),
        '',
      ].join('\n'),
    );
    assert.equal(document.getText(), expected);
    const after = await waitFor(async () => {
      const rows = await lensRows(document.uri);
      return rows.some((r) => r.startsWith('8: $(check)')) ? rows : undefined;
    }, 'the lenses of the applied text');
    assert.deepEqual(after.filter((r) => r.startsWith('8:') || r.startsWith('9:')), [
      '8: $(check) ReLU · kaiming_normal_(relu) · std 0.05051 · gain ×1 (×1 over 8)',
      '8: Preview',
      '9: $(check) ReLU · kaiming_normal_(relu) · std 0.08839 · gain ×1 (×1 over 8)',
      '9: Preview',
    ]);
    assert.deepEqual(after.filter((r) => r.endsWith(': Apply') || r.endsWith(': Update _init_weights()') || r.includes('$(warning)')), []);
    // Again: nothing left to do, nothing changes.
    assert.equal(await vscode.commands.executeCommand('initlens.applyInit', document.uri.toString(), 'Deep'), 'nothing in Deep needs a change: no verdict has a cure to apply.');
    assert.equal(document.getText(), expected);
    // One undo restores the original.
    await vscode.commands.executeCommand('undo');
    assert.equal(document.getText(), DEEP);
  });

  it('applies nothing to a whole model whose verdicts have no cure', async () => {
    const document = await open(MLP);
    await waitFor(async () => (await lensRows(document.uri)).length > 0, 'lenses');
    assert.equal(await vscode.commands.executeCommand('initlens.applyInit', document.uri.toString(), 'MLP'), 'nothing in MLP needs a change: no verdict has a cure to apply.');
    assert.equal(document.getText(), MLP);
  });

  it('applies one layer into the existing method and replaces what it wrote before', async () => {
    // A layer named explicitly is applied whatever its verdict (the command's own contract).
    const document = await open(MLP);
    await vscode.commands.executeCommand('initlens.applyInit', document.uri.toString(), 'MLP', 'fc1');
    assert.match(document.getText(), /def _init_weights\(self\):\n {8}"""[^\n]*"""\n {8}nn\.init\.kaiming_normal_\(self\.fc1\.weight, nonlinearity="relu"\)\n {8}nn\.init\.zeros_\(self\.fc1\.bias\)\n\n {4}def forward/);
    const config = vscode.workspace.getConfiguration('initlens');
    try {
      await config.update('init.variant', 'uniform', vscode.ConfigurationTarget.Global);
      // The note of fc2 now names the uniform variant (Xavier for tanh: 5/3·√(2/512) = 0.1042).
      await waitFor(
        async () => hoverText(await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', document.uri, new vscode.Position(9, 24))).includes('xavier\\_uniform\\_ would give std 0\\.1\\; yours gives 0\\.036\\: fine'),
        'the uniform variant in the hover of fc2',
      );
      await vscode.commands.executeCommand('initlens.applyInit', document.uri.toString(), 'MLP', 'fc2');
      const text = document.getText();
      assert.equal(text.match(/self\.fc2\.weight/g)?.length, 1);
      assert.match(text, /nn\.init\.xavier_uniform_\(self\.fc2\.weight, gain=nn\.init\.calculate_gain\("tanh"\)\)/);
    } finally {
      await config.update('init.variant', undefined, vscode.ConfigurationTarget.Global);
    }
  });

  it('sets kernel_initializer on Keras layers: the constant one gets he_normal, the output layer keeps its default', async () => {
    const keras = 'from tensorflow import keras\n\nmodel = keras.Sequential([\n    keras.layers.Dense(64, activation="relu", input_shape=(20,), kernel_initializer="zeros"),\n    keras.layers.Dense(1),\n])\n';
    const document = await open(keras);
    const rows = await waitFor(async () => ((await lensRows(document.uri)).length > 0 ? lensRows(document.uri) : undefined), 'model lenses');
    assert.deepEqual(rows.filter((r) => !r.startsWith('2:')), ['3: $(warning) ReLU · zeros · std 0', '3: Apply', '3: Preview', '4: $(check) no activation · glorot_uniform · std 0.1754 · gain ×1.4', '4: Preview']);
    assert.equal(await vscode.commands.executeCommand('initlens.applyInit', document.uri.toString(), 'model'), 'Set kernel_initializer on dense.');
    assert.equal(document.getText(), keras.replace('kernel_initializer="zeros"', 'kernel_initializer="he_normal"'));
  });

  it('Apply LSUV writes lsuv_init_ and its call after the model is built as one undoable edit; applying again changes nothing', async () => {
    const text = `${MLP}\n\nmodel = MLP()\n`;
    const document = await open(text);
    const summary = await vscode.commands.executeCommand<string>('initlens.applyLsuv', document.uri.toString(), 'MLP');
    assert.equal(summary, 'LSUV for MLP: wrote lsuv_init_(); called it after model is built (line 19).');
    const written = document.getText();
    assert.ok(written.startsWith('import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\n\n\ndef lsuv_init_(model, batch, tol=0.1, max_iter=10):\n'), written);
    assert.ok(written.endsWith('\nmodel = MLP()\nlsuv_init_(model, torch.randn(8, 784))  # LSUV on a random batch: pass real inputs, e.g. next(iter(train_loader))[0]\n'), written);
    assert.equal(await vscode.commands.executeCommand('initlens.applyLsuv', document.uri.toString(), 'MLP'), 'MLP already has lsuv_init_() and its call.');
    assert.equal(document.getText(), written);
    // One undo step takes all of it back.
    await vscode.commands.executeCommand('undo');
    assert.equal(document.getText(), text);
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
    // Default std 1/√(3·8) = 0.2041 and 1/√(3·4) = 0.2887; two layers, nothing to cure.
    assert.deepEqual(rows, [
      '1: InitLens · net: 2 weight layers · 41 parameters',
      '1: Preview histograms',
      // (1/3 + 1/24)/2 after the ReLU, then /3 + 1/12 (the biases' second moments): √0.1458 = 0.38.
      '1: signal ×0.38 over 2 layers (in effect) · Show signal',
      '1: Apply LSUV',
      `1: ReLU · ${DEFAULT} · std 0.2041 · gain ×0.41`,
      '1: Preview',
      `1: $(check) no activation · ${DEFAULT} · std 0.2887 · gain ×0.58`,
      '1: Preview',
    ]);
  });
});
