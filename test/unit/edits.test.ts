import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EditRefused, planApply } from '../../src/core/edits/applyInit';
import { explainActivation, explainResolved } from '../../src/core/init/explain';
import { resolveInit } from '../../src/core/init/schemes';
import { ModelAnalyzer } from '../../src/core/model/analyze';
import { collectImports } from '../../src/core/python/imports';
import { parsePython, type TextEdit } from '../../src/core/python/parse';

function applyEdits(text: string, edits: readonly TextEdit[]): string {
  let out = text;
  for (const e of [...edits].sort((a, b) => b.offset - a.offset)) out = out.slice(0, e.offset) + e.text + out.slice(e.offset + e.length);
  return out;
}

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

  it('adds or replaces kernel_initializer, after a trailing comma too', () => {
    const text = 'from tensorflow import keras\nm = keras.Sequential([\n    keras.layers.Dense(8, activation="relu", input_shape=(4,),),\n    keras.layers.Dense(1, activation="tanh", kernel_initializer="zeros"),\n])\n';
    assert.equal(
      applied(text, 'm'),
      'from tensorflow import keras\nm = keras.Sequential([\n    keras.layers.Dense(8, activation="relu", input_shape=(4,), kernel_initializer="he_normal"),\n    keras.layers.Dense(1, activation="tanh", kernel_initializer="glorot_normal"),\n])\n',
    );
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
