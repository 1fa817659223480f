import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyTextEdits } from '../../src/core/edits/apply';
import { EditRefused, planApply } from '../../src/core/edits/applyInit';
import { explainActivation, explainResolved } from '../../src/core/init/explain';
import { resolveInit } from '../../src/core/init/schemes';
import { ModelAnalyzer } from '../../src/core/model/analyze';
import { collectImports } from '../../src/core/python/imports';
import { parsePython } from '../../src/core/python/parse';

const applyEdits = applyTextEdits;

function plan(text: string, model: string, layer?: string) {
  const tree = parsePython(text);
  const m = new ModelAnalyzer().analyze(tree, text).models.find((x) => x.name === model);
  assert.ok(m, model);
  return planApply(m, text, collectImports(tree, text), layer ? m.layers.filter((l) => l.name === layer) : undefined);
}

function applied(text: string, model: string, layer?: string): string {
  return applyEdits(text, plan(text, model, layer).edits);
}

describe('planApply', () => {
  it('reaches a submodule whose OrderedDict name is no identifier through getattr, and applies once', () => {
    const text = 'from collections import OrderedDict\nimport torch.nn as nn\n\nclass M(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.body = nn.Sequential(OrderedDict([("conv-1", nn.Conv2d(3, 8, 3)), ("relu", nn.ReLU())]))\n\n    def forward(self, x):\n        return self.body(x)\n';
    const once = applied(text, 'M');
    assert.ok(once.includes('        nn.init.kaiming_normal_(getattr(self.body, "conv-1").weight, nonlinearity="relu")\n        nn.init.zeros_(getattr(self.body, "conv-1").bias)\n'), once);
    assert.equal(applyEdits(once, plan(once, 'M', 'body.conv-1').edits), once);
  });

  it('writes no init code for a recurrent stack deeper than it lists (reliability: hover_lstm_num_layers_1e6.py)', () => {
    const text = 'import torch\nimport torch.nn as nn\n\nclass M(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.rnn = nn.LSTM(8, 8, num_layers=10**6)\n        self.fc = nn.Linear(8, 2)\n\n    def forward(self, x):\n        return self.fc(torch.relu(self.rnn(x)[0]))\n';
    assert.throws(() => plan(text, 'M', 'rnn'), (e: unknown) => e instanceof EditRefused && e.message === 'LSTM rnn stacks 1,000,000 layers; InitLens lists their tensors only up to the limit of 1,000 layers for recurrent layers listed per module, so it writes no init code for it.');
    // The whole-model Apply initializes the other layers only.
    const whole = applied(text, 'M');
    assert.ok(whole.includes('nn.init.xavier_normal_(self.fc.weight)'), whole);
    assert.ok(!whole.includes('self.rnn.'), whole);
  });

  it('keeps tabs and CRLF line endings, and uses the file own alias for torch.nn', () => {
    const text = 'import torch.nn as tnn\r\nclass M(tnn.Module):\r\n\tdef __init__(self):\r\n\t\tsuper().__init__()\r\n\t\tself.fc = tnn.Linear(4, 2)\r\n\r\n\tdef forward(self, x):\r\n\t\treturn tnn.functional.relu(self.fc(x))\r\n';
    assert.equal(
      applied(text, 'M'),
      text.replace(
        '\t\tself.fc = tnn.Linear(4, 2)\r\n',
        '\t\tself.fc = tnn.Linear(4, 2)\r\n\t\tself._init_weights()\r\n\r\n\tdef _init_weights(self):\r\n\t\t"""Initialization matched to each layer\'s activation (added by InitLens)."""\r\n\t\ttnn.init.kaiming_normal_(self.fc.weight, nonlinearity="relu")\r\n\t\ttnn.init.zeros_(self.fc.bias)\r\n',
      ),
    );
  });

  it('writes into an existing init method and calls it when __init__ does not', () => {
    const text = [
      'import torch.nn as nn',
      'class M(nn.Module):',
      '    def __init__(self):',
      '        super().__init__()',
      '        self.fc = nn.Linear(4, 2)',
      '',
      '    def reset_parameters(self):',
      '        nn.init.normal_(self.fc.weight, std=0.01)',
      '',
      '    def forward(self, x):',
      '        return nn.functional.relu(self.fc(x))',
      '',
    ].join('\n');
    const out = applied(text, 'M');
    assert.equal(
      out,
      text
        .replace('        nn.init.normal_(self.fc.weight, std=0.01)', '        nn.init.kaiming_normal_(self.fc.weight, nonlinearity="relu")\n        nn.init.zeros_(self.fc.bias)')
        .replace('        self.fc = nn.Linear(4, 2)\n', '        self.fc = nn.Linear(4, 2)\n        self.reset_parameters()\n'),
    );
    assert.deepEqual(plan(out, 'M').edits, []);
  });

  it('inits a free-standing Sequential right after it, replacing its own lines on re-apply', () => {
    const text = 'import torch\nnet = torch.nn.Sequential(torch.nn.Linear(3, 3), torch.nn.Tanh())\nprint(net)\n';
    const out = applied(text, 'net');
    assert.equal(out, 'import torch\nnet = torch.nn.Sequential(torch.nn.Linear(3, 3), torch.nn.Tanh())\ntorch.nn.init.xavier_normal_(net[0].weight, gain=torch.nn.init.calculate_gain("tanh"))\ntorch.nn.init.zeros_(net[0].bias)\nprint(net)\n');
    assert.deepEqual(plan(out, 'net').edits, []);
  });

  it("refuses a Sequential a function returns: no line after the return would run, and no name holds it (usuyama/pytorch-unet's double_conv; found by the fuzz test)", () => {
    const text = 'import torch.nn as nn\ndef block(c):\n    return nn.Sequential(\n        nn.Conv2d(c, c, 3),\n        nn.ReLU(inplace=True),\n    )\n';
    assert.throws(() => plan(text, 'model'), (e: unknown) => e instanceof EditRefused && /a function returns: InitLens writes no init code after a return/.test(e.message));
    assert.throws(() => plan(text, 'model', '0'), EditRefused);
  });

  it('adds or replaces kernel_initializer, after a trailing comma too', () => {
    const text = 'from tensorflow import keras\nm = keras.Sequential([\n    keras.layers.Dense(8, activation="relu", input_shape=(4,),),\n    keras.layers.Dense(1, activation="tanh", kernel_initializer="zeros"),\n])\n';
    assert.equal(
      applied(text, 'm'),
      'from tensorflow import keras\nm = keras.Sequential([\n    keras.layers.Dense(8, activation="relu", input_shape=(4,), kernel_initializer="he_normal"),\n    keras.layers.Dense(1, activation="tanh", kernel_initializer="glorot_normal"),\n])\n',
    );
  });

  it('keeps lone-CR line breaks and tab indentation (was: LF and four spaces inserted)', () => {
    const text = 'import torch.nn as nn\rclass M(nn.Module):\r\tdef __init__(self):\r\t\tsuper().__init__()\r\t\tself.fc = nn.Linear(4, 2)\r\r\tdef forward(self, x):\r\t\treturn nn.functional.relu(self.fc(x))\r';
    const out = applied(text, 'M');
    assert.equal(
      out,
      text.replace(
        '\t\tself.fc = nn.Linear(4, 2)\r',
        '\t\tself.fc = nn.Linear(4, 2)\r\t\tself._init_weights()\r\r\tdef _init_weights(self):\r\t\t"""Initialization matched to each layer\'s activation (added by InitLens)."""\r\t\tnn.init.kaiming_normal_(self.fc.weight, nonlinearity="relu")\r\t\tnn.init.zeros_(self.fc.bias)\r',
      ),
    );
    assert.deepEqual(plan(out, 'M').edits, []);
  });

  it('moves a one-line init method body to its own line before adding to it, and indents the call like the body of a multi-line __init__ header', () => {
    const text = [
      'import torch.nn as nn',
      'class M(nn.Module):',
      '    def __init__(',
      '            self,',
      '    ):',
      '        super().__init__()',
      '        self.fc = nn.Linear(4, 2)  # the only layer',
      '',
      '    def reset_parameters(self): pass  # later',
      '',
      '    def forward(self, x):',
      '        return nn.functional.relu(self.fc(x))',
      '',
    ].join('\n');
    const out = applied(text, 'M');
    assert.equal(
      out,
      text
        .replace('        self.fc = nn.Linear(4, 2)  # the only layer\n', '        self.fc = nn.Linear(4, 2)  # the only layer\n        self.reset_parameters()\n')
        .replace(
          '    def reset_parameters(self): pass  # later\n',
          '    def reset_parameters(self):\n        pass  # later\n        nn.init.kaiming_normal_(self.fc.weight, nonlinearity="relu")\n        nn.init.zeros_(self.fc.bias)\n',
        ),
    );
    assert.deepEqual(plan(out, 'M').edits, []);
  });

  it('replaces an init call inside a one-line method once, keeping its comment (was: not idempotent)', () => {
    const text = [
      'import torch',
      'import torch.nn as nn',
      'class D(nn.Module):',
      '    def __init__(self):',
      '        super().__init__()',
      '        self.fc = nn.Linear(4, 2)',
      '        self.reset_parameters()',
      '    def reset_parameters(self): nn.init.constant_(self.fc.weight, 0.1)  # one line',
      '    def forward(self, x):',
      '        return torch.relu(self.fc(x))',
      '',
    ].join('\n');
    const out = applied(text, 'D');
    assert.equal(
      out,
      text.replace(
        '    def reset_parameters(self): nn.init.constant_(self.fc.weight, 0.1)  # one line\n',
        '    def reset_parameters(self):\n        nn.init.kaiming_normal_(self.fc.weight, nonlinearity="relu")  # one line\n        nn.init.zeros_(self.fc.bias)\n',
      ),
    );
    assert.deepEqual(plan(out, 'D').edits, []);
  });

  it('writes through the init method\'s own parameter name, and one line per tensor when an attribute is assigned twice (was: self where there is none; not idempotent)', () => {
    const text = [
      'import torch',
      'import torch.nn as nn',
      'class E(nn.Module):',
      '    def __init__(self):',
      '        super().__init__()',
      '        self.fc = nn.Linear(4, 2)',
      '        self.fc = nn.Linear(4, 3)',
      '        self.init_weights()',
      '',
      '    def init_weights(m):',
      '        pass',
      '',
      '    def forward(self, x):',
      '        return torch.relu(self.fc(x))',
      '',
    ].join('\n');
    const out = applied(text, 'E');
    assert.equal(out, text.replace('    def init_weights(m):\n        pass\n', '    def init_weights(m):\n        pass\n        nn.init.kaiming_normal_(m.fc.weight, nonlinearity="relu")\n        nn.init.zeros_(m.fc.bias)\n'));
    assert.deepEqual(plan(out, 'E').edits, []);
  });

  it('puts kernel_initializer before a comment inside the call (was: written into the comment)', () => {
    const text = 'from tensorflow import keras\nm = keras.Sequential([\n    keras.layers.Dense(64, activation="relu",  # hidden, "quoted)"\n    ),\n    keras.layers.Dense(1, activation="tanh")  # out\n])\n';
    // The output layer's default (glorot_uniform) already suits tanh: only the hidden layer changes.
    const out = applied(text, 'm');
    assert.equal(
      out,
      'from tensorflow import keras\nm = keras.Sequential([\n    keras.layers.Dense(64, activation="relu", kernel_initializer="he_normal"  # hidden, "quoted)"\n    ),\n    keras.layers.Dense(1, activation="tanh")  # out\n])\n',
    );
    assert.deepEqual(plan(out, 'm').edits, []);
  });

  it('plans a one-line Sequential of thousands of layers in linear time (was: 13 s for 1 MB)', () => {
    // Planning 4× the layers may take about 4× as long; a quadratic plan takes 16×.
    const time = (n: number) => {
      const layers = Array.from({ length: n }, (_, i) => `nn.Linear(${8 + (i % 5)}, ${8 + ((i + 1) % 5)}), nn.ReLU()`).join(', ');
      const text = `import torch.nn as nn\nmodel = nn.Sequential(${layers})\n`;
      const tree = parsePython(text);
      const m = new ModelAnalyzer().analyze(tree, text).models[0];
      const imports = collectImports(tree, text);
      let best = Infinity;
      let out = '';
      for (let k = 0; k < 3; k++) {
        const start = performance.now();
        out = applyEdits(text, planApply(m, text, imports).edits);
        best = Math.min(best, performance.now() - start);
      }
      // Every layer got its two lines, in order.
      const lines = out.split('\n');
      assert.equal(lines.length, 3 + 2 * n);
      assert.equal(lines[1 + 2 * n], `nn.init.zeros_(model[${2 * n - 2}].bias)`);
      return best;
    };
    const small = time(1500);
    const large = time(6000);
    assert.ok(large < 8 * small + 50, `1,500 layers ${small.toFixed(0)} ms, 6,000 layers ${large.toFixed(0)} ms`);
  });

  it('refuses when there is nothing it can recommend, or no torch.nn to call', () => {
    assert.throws(() => plan('import torch.nn as nn\nclass M(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.fc = nn.Linear(2, 2)\n', 'M'), EditRefused);
  });
});

describe('explanations', () => {
  it('fills the formulas with the layer numbers', () => {
    const he = resolveInit({ kind: 'kaiming_normal', a: 0, mode: 'fan_in', nonlinearity: 'relu' }, [256, 784]);
    assert.equal(explainResolved(he), 'N(0, σ²) with std = gain/√fan_in = √2/√784 = 0.05051');
    const xavier = resolveInit({ kind: 'xavier_uniform', gain: 5 / 3 }, [256, 784]);
    // b = sqrt(3) * 5/3 * sqrt(2/1040) = 0.126592...
    assert.equal(explainResolved(xavier), 'U(−b, b) with b = √3·std = 0.1266 (std = gain·√(2/(fan_in+fan_out)) = 5/3·√(2/(784+256)) = 0.07309)');
    const torchDefault = resolveInit({ kind: 'kaiming_uniform', a: Math.sqrt(5), mode: 'fan_in', nonlinearity: 'leaky_relu' }, [256, 784]);
    assert.equal(explainResolved(torchDefault), 'U(−b, b) with b = √3·std = 0.03571 (std = gain/√fan_in = √(1/3)/√784 = 0.02062)');
  });

  it('says which scheme suits an activation, with its gain', () => {
    assert.equal(
      explainActivation({ kind: 'leaky_relu', slope: 0.2 }, 'torch'),
      'LeakyReLU(0.2): use `kaiming_normal_` (calculate_gain("leaky_relu", 0.2) = 1.387). He/Kaiming keeps the variance of ReLU-family outputs constant from layer to layer (gain √(2/(1+a²)) = 1.3868 for a = 0.2).',
    );
    assert.match(explainActivation({ kind: 'tanh' }, 'torch'), /^Tanh: use `xavier_normal_` \(gain 5\/3\)\./);
    assert.match(explainActivation({ kind: 'selu' }, 'keras'), /^SELU: use `lecun_normal`\./);
  });
});
