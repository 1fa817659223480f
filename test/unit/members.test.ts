/**
 * What `self.<attr>` holds (src/core/model/members.ts): layers inside
 * collections and containers (issue 11, "Missed layers"). Expected names are
 * PyTorch's `named_modules()` names, printed by torch 1.13 for each input
 * (`/usr/bin/python3`, the class instantiated as written); fans follow from
 * the weight layouts (Linear: in → out; Conv2d: in·k·k → out·k·k);
 * activations are the next module of the Sequential, or what forward applies.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { ModelAnalyzer } from '../../src/core/model/analyze';
import type { Model } from '../../src/core/model/types';
import { parsePython } from '../../src/core/python/parse';
import { ROOT } from '../host/paths';

function models(text: string): Model[] {
  return [...new ModelAnalyzer().analyze(parsePython(text), text).models];
}

/** [name, type, fanIn, fanOut, activation] for each layer, in the model's order. */
function rows(model: Model | undefined): [string, string, unknown, unknown, string | undefined][] {
  assert.ok(model, 'model');
  return model.layers.map((l) => [l.name, l.type, l.fanIn, l.fanOut, l.activation?.activation.kind]);
}

function model(text: string, name: string): Model | undefined {
  return models(text).find((m) => m.name === name);
}

describe('members: comments inside containers', () => {
  it('a comment among nn.Sequential arguments shifts no index and breaks no chain', () => {
    const text = [
      'import torch.nn as nn',
      'class A(nn.Module):',
      '    def __init__(self):',
      '        super().__init__()',
      '        self.features = nn.Sequential(',
      '            # stem',
      '            nn.Conv2d(3, 8, 3),',
      '            # normalized',
      '            nn.BatchNorm2d(8),  # then',
      '            nn.ReLU(),',
      '            nn.Conv2d(8, 4, 1),',
      '        )',
      '    def forward(self, x):',
      '        return self.features(x)',
      '',
    ].join('\n');
    // torch 1.13: ['', 'features', 'features.0', 'features.1', 'features.2', 'features.3']
    assert.deepEqual(rows(model(text, 'A')), [
      ['features.0', 'Conv2d', 3 * 9, 8 * 9, 'relu'],
      ['features.1', 'BatchNorm2d', undefined, undefined, undefined],
      ['features.3', 'Conv2d', 8, 4, 'identity'],
    ]);
  });
});

describe('members: layers inside collections and containers (fixture torch_members.py)', () => {
  const text = fs.readFileSync(path.join(ROOT, 'test', 'fixtures', 'models', 'torch_members.py'), 'utf8');
  const all = models(text);
  const of = (name: string) => all.find((m) => m.name === name);

  it('nn.ModuleDict(dict(name=module, ...)) names its keys in order (nanoGPT)', () => {
    // torch 1.13: transformer.wte, transformer.h, transformer.h.0, transformer.h.1, transformer.ln_f, head
    // Embedding(100, 16): weight (100, 16), fan_in 16, fan_out 100.
    assert.deepEqual(rows(of('G')), [
      ['transformer.wte', 'Embedding', 16, 100, undefined],
      ['transformer.h.0', 'Linear', 16, 16, undefined],
      ['transformer.h.1', 'Linear', 16, 16, undefined],
      ['transformer.ln_f', 'LayerNorm', undefined, undefined, undefined],
      ['head', 'Linear', 16, 100, undefined],
    ]);
  });

  it('a method returning nn.Sequential(*layers) built in a loop over a module-level dict entry (VGG _make_layers)', () => {
    // torch 1.13: features.0 Conv2d (8, 3, 3, 3), features.1 BatchNorm2d, features.2 ReLU, features.3 MaxPool2d,
    // features.4 Conv2d (16, 8, 3, 3), features.5 BatchNorm2d, features.6 ReLU, features.7 AvgPool2d, classifier.
    assert.deepEqual(rows(of('V')), [
      ['features.0', 'Conv2d', 3 * 9, 8 * 9, 'relu'],
      ['features.1', 'BatchNorm2d', undefined, undefined, undefined],
      ['features.4', 'Conv2d', 8 * 9, 16 * 9, 'relu'],
      ['features.5', 'BatchNorm2d', undefined, undefined, undefined],
      ['classifier', 'Linear', 16, 10, undefined],
    ]);
    assert.equal(of('V')?.layers[0].normalizer, 'BatchNorm2d');
  });

  it('a local function returning a list, spread into nn.Sequential with its parameters bound per call (PyTorch-GAN block)', () => {
    // torch 1.13: model.0 Linear (32, 10), model.1 LeakyReLU, model.2 Linear (64, 32), model.3 BatchNorm1d,
    // model.4 LeakyReLU, model.5 Linear (5, 64), model.6 Tanh.
    assert.deepEqual(rows(of('Gen')), [
      ['model.0', 'Linear', 10, 32, 'leaky_relu'],
      ['model.2', 'Linear', 32, 64, 'leaky_relu'],
      ['model.3', 'BatchNorm1d', undefined, undefined, undefined],
      ['model.5', 'Linear', 64, 5, 'tanh'],
    ]);
    const slopes = of('Gen')?.layers.filter((l) => l.activation?.activation.kind === 'leaky_relu').map((l) => (l.activation?.activation as { slope?: number }).slope);
    assert.deepEqual(slopes, [0.2, 0.2]);
  });

  it('local modules and lists registered later: assignment, *list, starred comprehension, extend/append in a loop, ModuleList(list)', () => {
    // torch 1.13: conv, net.0, net.1, deep.0-2, heads.0 Linear (8, 4), heads.1 Tanh, heads.2 Linear (16, 8), heads.3 Linear (24, 16).
    // No forward: only Sequential chaining decides activations (a ModuleList chains nothing).
    assert.deepEqual(rows(of('L')), [
      ['conv', 'Conv2d', 3, 4, undefined],
      ['net.0', 'Linear', 4, 4, 'relu'],
      ['deep.0', 'Linear', 4, 4, 'identity'],
      ['deep.1', 'Linear', 4, 4, 'identity'],
      ['deep.2', 'Linear', 4, 4, undefined],
      ['heads.0', 'Linear', 4, 8, undefined],
      ['heads.2', 'Linear', 8, 16, undefined],
      ['heads.3', 'Linear', 16, 24, undefined],
    ]);
    assert.equal(of('L')?.layers[0].attribute, 'conv');
  });

  it('self.add_module with names formatted per iteration, and nn.Sequential subclasses (super().__init__(*layers) / OrderedDict)', () => {
    // torch 1.13: denselayer1 Linear (4, 4), denselayer2 Linear (4, 8), norm2; Seq: 0, 1, 2; Named: fc, act.
    // Sequential's own forward chains them; the last module's consumer is outside the class.
    assert.deepEqual(rows(of('Dense')), [
      ['denselayer1', 'Linear', 4, 4, 'identity'],
      ['denselayer2', 'Linear', 8, 4, undefined],
      ['norm2', 'BatchNorm1d', undefined, undefined, undefined],
    ]);
    assert.equal(of('Dense')?.layers[1].normalizer, 'BatchNorm1d');
    assert.deepEqual(rows(of('Seq')), [
      ['0', 'Linear', 4, 4, 'relu'],
      ['2', 'Linear', 4, 2, undefined],
    ]);
    assert.deepEqual(rows(of('Named')), [['fc', 'Linear', 3, 4, 'sigmoid']]);
  });

  it('conditional expressions: the branch a known condition picks, else the one with layers against nn.Identity(); getattr(nn, name)', () => {
    // torch 1.13 (other=3): to_out.0 Linear (8, 64), to_out.1 Dropout, skip Linear (8, 8), rnn GRU, none Identity.
    // project_out = not (8 == 1 and ...) is True; `dim != other` is unknown here: skip holds the only layers.
    // to_out.0's output goes through Dropout (neutral) to whatever uses to_out: unknown without a forward.
    const c = of('C');
    assert.deepEqual(
      rows(c).filter(([, type]) => type !== 'GRU'),
      [
        ['to_out.0', 'Linear', 64, 8, undefined],
        ['skip', 'Linear', 8, 8, undefined],
      ],
    );
    assert.deepEqual(
      c?.layers.map((l) => [l.name, l.type]),
      [
        ['to_out.0', 'Linear'],
        ['skip', 'Linear'],
        ['rnn', 'GRU'],
      ],
    );
  });
});

describe('members: what InitLens cannot count', () => {
  it('a list grown in a loop of unknown length keeps the modules before it, not those at unknown indices', () => {
    // With n unknown, net.1 … net.n and the last Linear's index (net.<n + 1>) are unknown: a wrong index would
    // put lenses and Apply's init code on another module. net.0 is net.0 whatever n is.
    const text = [
      'import torch.nn as nn',
      'class U(nn.Module):',
      '    def __init__(self, n):',
      '        super().__init__()',
      '        layers = [nn.Linear(2, 4)]',
      '        for _ in range(n):',
      '            layers.append(nn.Linear(4, 4))',
      '        layers.append(nn.Linear(4, 1))',
      '        self.net = nn.Sequential(*layers)',
      '        self.head = nn.Sequential(*[nn.Linear(4, 4) for _ in range(n)])',
      '',
    ].join('\n');
    assert.deepEqual(
      model(text, 'U')?.layers.map((l) => l.name),
      ['net.0'],
    );
  });

  it('a module-level dict read by a class is part of what its cached analysis depends on', () => {
    const text = (widths: string) =>
      [
        'import torch.nn as nn',
        `cfg = {'A': [${widths}]}`,
        'class V(nn.Module):',
        "    def __init__(self, name='A'):",
        '        super().__init__()',
        '        layers = []',
        '        c = 3',
        '        for x in cfg[name]:',
        '            layers += [nn.Conv2d(c, x, 1)]',
        '            c = x',
        '        self.features = nn.Sequential(*layers)',
        '',
      ].join('\n');
    const analyzer = new ModelAnalyzer();
    const fans = (t: string) => analyzer.analyze(parsePython(t), t).models.find((m) => m.name === 'V')?.layers.map((l) => [l.name, l.fanIn, l.fanOut]);
    assert.deepEqual(fans(text('8')), [['features.0', 3, 8]]);
    assert.deepEqual(fans(text('8, 16')), [
      ['features.0', 3, 8],
      ['features.1', 8, 16],
    ]);
  });
});
