/**
 * Layer sites of real model code (issue 11): a bare layer at module level,
 * modules kept in plain lists, library-layer subclasses built by a class of
 * the file, a layer replaced inside a module InitLens does not see into, and
 * what the interpreter reads to count loops (slices, list arithmetic,
 * comprehensions of constants, zip held in a name, class attributes).
 * Expected names and weight shapes were printed by torch 1.13.1
 * (`/usr/bin/python3`, each class instantiated as written; `named_modules()`
 * and `.weight.shape`); fans follow from the layouts (Linear: in → out;
 * Conv2d: in·k·k → out·k·k).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ModelAnalyzer } from '../../src/core/model/analyze';
import type { Model } from '../../src/core/model/types';
import { parsePython } from '../../src/core/python/parse';
import { planApply, EditRefused } from '../../src/core/edits/applyInit';
import { collectImports } from '../../src/core/python/imports';

function models(text: string): Model[] {
  return [...new ModelAnalyzer().analyze(parsePython(text), text).models];
}

function model(text: string, name: string): Model {
  const found = models(text).find((m) => m.name === name);
  assert.ok(found, `model ${name}`);
  return found;
}

/** [name, type, fanIn, fanOut, 1-based line] for each layer. */
function rows(m: Model): [string, string, unknown, unknown, number][] {
  return m.layers.map((l) => [l.name, l.type, l.fanIn, l.fanOut, l.line + 1]);
}

describe('sites: a bare layer at module level', () => {
  it('`fc = torch.nn.Linear(W.size(0), 1)` is a model of one layer, its fans from a torch factory shape', () => {
    const text = ['import torch', 'W = torch.randn(4, 1) * 5', 'fc = torch.nn.Linear(W.size(0), 1)', 'torch.nn.init.zeros_(fc.weight)', ''].join('\n');
    const fc = model(text, 'fc');
    assert.equal(fc.kind, 'torch-sequential');
    // torch: fc.weight.shape == [1, 4], named_modules() == [''].
    assert.deepEqual(rows(fc), [['', 'Linear', 4, 1, 3]]);
    assert.equal(fc.layers[0].activation?.activation.kind, 'identity');
    assert.equal(fc.layers[0].params.find((p) => p.name === 'weight')?.current.label.startsWith('zeros_'), true);
  });

  it('a tensor whose shape the module changes in place (or assigns again) gives no size', () => {
    const inPlace = ['import torch', 'W = torch.randn(4, 1)', 'W.unsqueeze_(0)', 'fc = torch.nn.Linear(W.size(0), 1)', ''].join('\n');
    assert.deepEqual(model(inPlace, 'fc').layers[0].fanIn, { symbol: '(W.size(0))' });
    const again = ['import torch', 'W = torch.randn(4, 1)', 'def f():', '    global W', '    W = torch.randn(2, 2)', 'fc = torch.nn.Linear(W.shape[0], 1)', ''].join('\n');
    assert.deepEqual(model(again, 'fc').layers[0].fanIn, { symbol: '(W.shape[0])' });
  });
});

describe('sites: modules in plain lists', () => {
  const text = [
    'import torch.nn as nn',
    'class Net(nn.Module):',
    '    def __init__(self, dims):',
    '        super().__init__()',
    '        self.layers = []',
    '        for d in range(len(dims) - 1):',
    "            self.layers = self.layers + [nn.Linear(dims[d], dims[d + 1]).to('cpu')]",
    '        self.extra = []',
    '        self.extra.append(nn.Linear(2, 3))',
    '        self.blocks = []',
    '        self.blocks.append(nn.Linear(5, 6))',
    '        self.net = nn.Sequential(*self.blocks)',
    '        self.heads = []',
    '        for _ in range(2):',
    '            self.heads.append(nn.Linear(7, 7))',
    '        self.heads = nn.ModuleList(self.heads)',
    '        self.apply(self._init)',
    '    def _init(self, m):',
    '        if isinstance(m, nn.Linear):',
    '            nn.init.zeros_(m.weight)',
    'net = Net([784, 500, 10])',
    '',
  ].join('\n');

  it('are built under the list and index, marked unregistered; a list given to a container is that container', () => {
    // torch: named_modules() == ['', 'net', 'net.0', 'heads', 'heads.0', 'heads.1']; net.layers weights [500, 784], [10, 500].
    const net = model(text, 'Net');
    assert.deepEqual(rows(net), [
      ['net.0', 'Linear', 5, 6, 11],
      ['heads.0', 'Linear', 7, 7, 15],
      ['heads.1', 'Linear', 7, 7, 15],
      ['layers.0', 'Linear', 784, 500, 7],
      ['layers.1', 'Linear', 500, 10, 7],
      ['extra.0', 'Linear', 2, 3, 9],
    ]);
    assert.deepEqual(
      net.layers.map((l) => l.unregistered ?? false),
      [false, false, false, true, true, true],
    );
  });

  it("the model's apply() does not reach them", () => {
    const net = model(text, 'Net');
    const label = (name: string) => net.layers.find((l) => l.name === name)?.params.find((p) => p.name === 'weight')?.current.source;
    assert.equal(label('net.0'), 'explicit');
    assert.equal(label('layers.0'), 'default');
    assert.equal(label('extra.0'), 'default');
  });
});

describe('sites: a library-layer subclass built by a class of the file', () => {
  it('is the layer at its construction, under the attribute it is given', () => {
    const text = [
      'import torch.nn as nn',
      'class Layer(nn.Linear):',
      '    def __init__(self, i, o):',
      '        super().__init__(i, o)',
      'class Host(nn.Module):',
      '    def __init__(self):',
      '        super().__init__()',
      '        self.a = Layer(3, 5)',
      '',
    ].join('\n');
    // torch: named_modules() == ['', 'a'], a.weight.shape == [5, 3].
    assert.deepEqual(rows(model(text, 'Host')), [['a', 'Linear', 3, 5, 8]]);
  });
});

describe('sites: a layer replaced inside a module InitLens does not see into', () => {
  const lines = [
    'import torch.nn as nn',
    'import torchvision',
    'class Siamese(nn.Module):',
    '    def __init__(self):',
    '        super().__init__()',
    '        self.resnet = torchvision.models.resnet18(weights=None)',
    '        self.resnet.conv1 = nn.Conv2d(1, 64, kernel_size=(7, 7), stride=(2, 2), padding=(3, 3), bias=False)',
  ];

  it('is listed under the module and the attribute (`resnet.conv1`, as named_modules() names it)', () => {
    const m = model([...lines, ''].join('\n'), 'Siamese');
    assert.deepEqual(rows(m), [['resnet.conv1', 'Conv2d', 49, 3136, 7]]);
    assert.equal(m.layers[0].rebuilt, undefined);
  });

  it('is marked when the module is rebuilt from its children (PyTorch renames it: resnet.0), and Apply refuses it', () => {
    const text = [...lines, '        self.resnet = nn.Sequential(*(list(self.resnet.children())[:-1]))', ''].join('\n');
    const m = model(text, 'Siamese');
    assert.equal(m.layers[0].name, 'resnet.conv1');
    assert.match(m.layers[0].rebuilt ?? '', /^self\.resnet = nn\.Sequential/);
    assert.throws(() => planApply(m, text, collectImports(parsePython(text), text), [m.layers[0]]), EditRefused);
  });
});

describe('sites: what the interpreter reads to count a loop', () => {
  it('slices, list concatenation and repetition, a comprehension of constants, and zip held in a name', () => {
    const text = [
      'import torch.nn as nn',
      'class Tok(nn.Module):',
      '    def __init__(self, n=2, c_in=3, c_out=16, mid=8):',
      '        super().__init__()',
      '        sizes = [c_in] + [mid for _ in range(n - 1)] + [c_out]',
      '        pairs = zip(sizes[:-1], sizes[1:])',
      '        self.convs = nn.Sequential(*[nn.Sequential(nn.Conv2d(a, b, 3), nn.ReLU()) for a, b in pairs])',
      '        strides = [2] + [1] * (n - 1)',
      '        top = sizes[::-1][0]',
      '        self.last = nn.Linear(len(strides), top)',
      '',
    ].join('\n');
    // torch: convs.0.0 [8, 3, 3, 3], convs.1.0 [16, 8, 3, 3], last [16, 2].
    assert.deepEqual(rows(model(text, 'Tok')), [
      ['convs.0.0', 'Conv2d', 27, 72, 7],
      ['convs.1.0', 'Conv2d', 72, 144, 7],
      ['last', 'Linear', 2, 16, 10],
    ]);
  });

  it('class attributes: `self.expansion`, and `block.expansion` with the class given as an argument', () => {
    const text = [
      'import torch.nn as nn',
      'class B(nn.Module):',
      '    expansion = 4',
      '    def __init__(self, i, p):',
      '        super().__init__()',
      '        self.c = nn.Conv2d(i, self.expansion * p, 1)',
      'class N(nn.Module):',
      '    def __init__(self, block):',
      '        super().__init__()',
      '        self.b = block(8, 2)',
      '        self.fc = nn.Linear(2 * block.expansion, 3)',
      'net = N(B)',
      '',
    ].join('\n');
    // torch: b.c.weight [8, 8, 1, 1], fc.weight [3, 8].
    assert.deepEqual(rows(model(text, 'N')), [['fc', 'Linear', 8, 3, 11]]);
    assert.deepEqual(rows(model(text, 'B')), [['c', 'Conv2d', 8, 8, 6]]);
  });
});

describe('sites: a class in several contexts', () => {
  it('beyond the context limit, what the contexts left out do not share is symbolic', () => {
    // 17 contexts with g = 32, then one with g = 12: the 4 * g = 128 the first ones share is not every context's.
    const text = [
      'import torch.nn as nn',
      'class B(nn.Module):',
      '    def __init__(self, i, g):',
      '        super().__init__()',
      '        self.fc = nn.Linear(i, 4 * g)',
      'class N(nn.Module):',
      '    def __init__(self):',
      '        super().__init__()',
      '        self.bs = nn.ModuleList()',
      '        for i in range(17):',
      '            self.bs.append(B(i + 1, 32))',
      '        self.bs.append(B(100, 12))',
      'net = N()',
      '',
    ].join('\n');
    const fc = model(text, 'B').layers[0];
    assert.deepEqual([fc.fanIn, fc.fanOut], [{ symbol: 'i' }, { symbol: '(4 * g)' }]);
  });

  it('a layer only some contexts build is listed with those contexts', () => {
    const text = [
      'import torch.nn as nn',
      'class T(nn.Module):',
      '    def __init__(self, n):',
      '        super().__init__()',
      '        sizes = [3] + [8] * n',
      '        self.convs = nn.Sequential(*[nn.Conv2d(a, b, 3) for a, b in zip(sizes[:-1], sizes[1:])])',
      '        self.head = nn.Linear(8, 2)',
      // Both run: a construction whose size InitLens cannot know, and one it can.
      'other = T(len(input()))',
      'model = T(2)',
      '',
    ].join('\n');
    const t = model(text, 'T');
    // torch, T(2): convs.0 [8, 3, 3, 3], convs.1 [8, 8, 3, 3]; T(len(input())) builds an unknown number of them.
    assert.deepEqual(rows(t), [
      ['head', 'Linear', 8, 2, 7],
      ['convs.0', 'Conv2d', 27, 72, 6],
      ['convs.1', 'Conv2d', 72, 72, 6],
    ]);
    assert.deepEqual(
      t.layers.map((l) => l.contexts?.map((c) => c.label)),
      [['T(len(input()))', 'T(2)'], ['T(2)'], ['T(2)']],
    );
  });
});

describe('sites: re-analysis', () => {
  it('a builder of a library-layer subclass, reused after an edit moves both, equals a fresh analysis', () => {
    const before = [
      'import torch.nn as nn',
      'class Host(nn.Module):',
      '    def __init__(self):',
      '        super().__init__()',
      '        self.a = Layer(3, 5)',
      'class Layer(nn.Linear):',
      '    def __init__(self, i, o):',
      '        super().__init__(i, o)',
      '        nn.init.zeros_(self.weight)',
      '',
    ].join('\n');
    const after = `# moved\n${before}`;
    const json = (ms: readonly Model[]) => JSON.stringify(ms, (_k, v: unknown) => (v instanceof Map ? [...v] : v));
    const analyzer = new ModelAnalyzer();
    analyzer.analyze(parsePython(before), before);
    const reused = analyzer.analyze(parsePython(after), after).models;
    assert.equal(reused.find((m) => m.name === 'Host')?.layers[0].span.from, after.indexOf('Layer(3, 5)'));
    assert.equal(json(reused), json(models(after)));
  });
});
