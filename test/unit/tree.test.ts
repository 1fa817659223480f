/**
 * The module tree (src/core/model/tree.ts): classes built inside classes,
 * constructor values and inits flowing down. The fixture
 * test/fixtures/models/torch_tree.py was instantiated with torch 1.13
 * (`/usr/bin/python3`): `Net(Config())`, `resnet()` and the module-level
 * `small`; the fans below are what `nn.init._calculate_fan_in_and_fan_out`
 * printed for each weight, and the stds are torch/nn/init.py's formulas for
 * the init in effect (the measured stds agreed to 2 digits: 0.0201, 0.0082,
 * 0.0203, 0.1165, 0.0823, 0.059, 0.2076).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { layerHoverMarkdown } from '../../src/core/hovers';
import { ModelAnalyzer } from '../../src/core/model/analyze';
import { mainParam } from '../../src/core/model/layer';
import type { Layer, Model } from '../../src/core/model/types';
import { IncrementalParser, parsePython } from '../../src/core/python/parse';
import { ROOT } from '../host/paths';

const FIXTURE = fs.readFileSync(path.join(ROOT, 'test', 'fixtures', 'models', 'torch_tree.py'), 'utf8');

function analyze(text: string): readonly Model[] {
  return new ModelAnalyzer().analyze(parsePython(text), text).models;
}

function layer(models: readonly Model[], model: string, name: string): Layer {
  const found = models.find((m) => m.name === model)?.layers.find((l) => l.name === name);
  assert.ok(found, `${model}.${name}`);
  return found;
}

const std = (l: Layer, param = 'weight') => l.params.find((p) => p.name === param)?.resolved?.std;

describe('module tree', () => {
  const models = analyze(FIXTURE);

  it('a config class read through a parameter gives a root its defaults, and they flow to the classes it builds', () => {
    const net = models.find((m) => m.name === 'Net');
    assert.deepEqual(net?.contexts, [{ label: 'Config defaults', count: 1 }]);
    const head = layer(models, 'Net', 'head');
    assert.deepEqual([head.fanIn, head.fanOut], [64, 10]);
    const mlp = models.find((m) => m.name === 'MLP');
    // nn.ModuleList([MLP(config) for _ in range(config.depth)]): one context, three times.
    assert.deepEqual(mlp?.contexts, [{ label: 'Net', count: 3, builtBy: 'Net' }]);
    assert.deepEqual([layer(models, 'MLP', 'fc').fanIn, layer(models, 'MLP', 'fc').fanOut], [64, 256]);
    assert.deepEqual([layer(models, 'MLP', 'proj').fanIn, layer(models, 'MLP', 'proj').fanOut], [256, 64]);
  });

  it("a parent's apply() and named_parameters() loop overwrite its children's inits, in PyTorch's order", () => {
    // _init_weights: normal_(0, 0.02) on every Linear, zeros_ on its bias; then proj.weight gets 0.02/√(2·3).
    assert.equal(std(layer(models, 'MLP', 'fc')), 0.02);
    assert.equal(std(layer(models, 'MLP', 'fc'), 'bias'), 0);
    assert.ok(Math.abs((std(layer(models, 'MLP', 'proj')) as number) - 0.02 / Math.sqrt(6)) < 1e-15);
    assert.equal(layer(models, 'MLP', 'proj').params[0].current.source, 'explicit');
    assert.equal(std(layer(models, 'Net', 'head')), 0.02);
    // Init code written in MLP would be overwritten by Net's: nothing is recommended there, and the hover says why.
    assert.equal(layer(models, 'MLP', 'fc').params[0].current.by, 'Net');
    assert.equal(mainParam(layer(models, 'MLP', 'fc'))?.recommendation, undefined);
    const hover = layerHoverMarkdown(models.find((m) => m.name === 'MLP') as Model, layer(models, 'MLP', 'fc'), 'file:///t.py', 'initlens.applyInit');
    assert.match(hover, /Set by `Net`'s init, which runs after MLP is built/);
    assert.doesNotMatch(hover, /\[Apply\]/);
    // Net's own head is Net's own code: advice as usual.
    assert.equal(layer(models, 'Net', 'head').params[0].current.by, undefined);
  });

  it('class arguments and a module-level function give the contexts; where they differ the numbers stay symbolic, each context listed', () => {
    const stem = layer(models, 'ResNet', 'stem');
    assert.deepEqual([stem.fanIn, stem.fanOut], [27, 144]);
    assert.ok(Math.abs((std(stem) as number) - Math.sqrt(2 / 144)) < 1e-15);
    const conv = layer(models, 'BasicBlock', 'conv');
    assert.deepEqual([conv.fanIn, conv.fanOut], [{ symbol: 'in_planes·3·3' }, { symbol: 'planes·3·3' }]);
    // Both contexts inherit ResNet's modules() loop: that much is common.
    assert.equal(mainParam(conv)?.current.label, 'kaiming_normal_(relu, fan_out)');
    assert.deepEqual(
      conv.contexts?.map((c) => [c.builtBy, c.fanIn, c.fanOut, c.init]),
      [
        ['ResNet', 144, 288, 'kaiming_normal_(relu, fan_out)'],
        ['ResNet', 288, 576, 'kaiming_normal_(relu, fan_out)'],
      ],
    );
    assert.ok(Math.abs((conv.contexts?.[0].std as number) - Math.sqrt(2 / 288)) < 1e-15);
    assert.ok(Math.abs((conv.contexts?.[1].std as number) - Math.sqrt(2 / 576)) < 1e-15);
  });

  it('the hover names where the numbers come from, and every context where they differ', () => {
    const find = (name: string) => models.find((m) => m.name === name) as Model;
    const mlp = layerHoverMarkdown(find('MLP'), layer(models, 'MLP', 'fc'), 'file:///t.py', 'initlens.applyInit');
    assert.match(mlp, /Sizes as built in `Net` \(×3\)\./);
    const block = layerHoverMarkdown(find('BasicBlock'), layer(models, 'BasicBlock', 'conv'), 'file:///t.py', 'initlens.applyInit');
    assert.match(block, /BasicBlock is built in 2 different ways; in each:/);
    assert.match(block, /\| in `ResNet` \| 144 \| 288 \| `kaiming_normal_\(relu, fan_out\)` \| 0\.08333 \|/);
    assert.match(block, /\| in `ResNet` \| 288 \| 576 \| `kaiming_normal_\(relu, fan_out\)` \| 0\.05893 \|/);
  });

  it('a construction at module level is the context of the class it builds', () => {
    const fc = layer(models, 'Small', 'fc');
    assert.deepEqual([fc.fanIn, fc.fanOut], [8, 24]);
    assert.deepEqual(models.find((m) => m.name === 'Small')?.contexts, [{ label: 'Small(hidden=24)', count: 1 }]);
    // PyTorch's default: kaiming_uniform_(a=√5), std 1/√(3·fan_in).
    assert.ok(Math.abs((std(fc) as number) - 1 / Math.sqrt(24)) < 1e-15);
  });

  it("a module-level model.apply(fn) reaches the classes the model builds (PyTorch's apply recurses)", () => {
    const text = [
      'import torch.nn as nn',
      'class Inner(nn.Module):',
      '    def __init__(self):',
      '        super().__init__()',
      '        self.fc = nn.Linear(4, 4)',
      'class Outer(nn.Module):',
      '    def __init__(self):',
      '        super().__init__()',
      '        self.inner = Inner()',
      '        self.head = nn.Linear(4, 2)',
      'def init(m):',
      '    if isinstance(m, nn.Linear):',
      '        nn.init.normal_(m.weight, 0.0, 0.02)',
      'model = Outer().to("cpu")',
      'model.apply(init)',
      '',
    ].join('\n');
    const found = analyze(text);
    assert.equal(std(layer(found, 'Inner', 'fc')), 0.02);
    assert.equal(std(layer(found, 'Outer', 'head')), 0.02);
  });

  it('more classes than the tree follows: every class is analyzed once, the rest stays within the limits (was: a hang)', () => {
    // A chain of 600 classes, each building the next: deeper than treeDepth, more than treeAnalyses.
    const lines = ['import torch.nn as nn'];
    for (let i = 0; i < 600; i++) {
      lines.push(`class C${i}(nn.Module):`, '    def __init__(self, d=8):', '        super().__init__()', `        self.fc = nn.Linear(d, d)`);
      if (i < 599) lines.push(`        self.next = C${i + 1}(d * 2)`);
    }
    const found = analyze(lines.join('\n') + '\n');
    assert.equal(found.length, 600);
    // C1 is built by C0 with d = 16; past the depth the tree follows (12), d is unknown, never the default 8.
    assert.deepEqual([layer(found, 'C1', 'fc').fanIn, layer(found, 'C1', 'fc').fanOut], [16, 16]);
    assert.deepEqual([layer(found, 'C11', 'fc').fanIn, layer(found, 'C11', 'fc').fanOut], [8 * 2 ** 11, 8 * 2 ** 11]);
    assert.deepEqual([layer(found, 'C599', 'fc').fanIn, layer(found, 'C599', 'fc').fanOut], [{ symbol: 'd' }, { symbol: 'd' }]);
  });

  it('classes built an unknown number of times (a comprehension or an append over range(unknown)) still get the parent\'s context and inits', () => {
    const text = [
      'import torch.nn as nn',
      'class Block(nn.Module):',
      '    def __init__(self, config):',
      '        super().__init__()',
      '        self.fc = nn.Linear(config.n_embd, 4 * config.n_embd)',
      'class GPT(nn.Module):',
      '    def __init__(self, config, depth):',
      '        super().__init__()',
      '        self.h = nn.ModuleList([Block(config) for _ in range(config.n_layer)])',
      '        self.extra = nn.ModuleList([])',
      '        for _ in range(depth):',
      '            self.extra.append(Block(config))',
      '            self.extra.append(nn.Linear(3, 3))',
      '        self.apply(self._init_weights)',
      '    def _init_weights(self, module):',
      '        if isinstance(module, nn.Linear):',
      '            nn.init.normal_(module.weight, mean=0.0, std=0.02)',
      '',
    ].join('\n');
    const found = analyze(text);
    // PyTorch's apply() reaches every Block, however many there are: normal_(0, 0.02); the sizes stay unknown.
    assert.equal(std(layer(found, 'Block', 'fc')), 0.02);
    assert.equal(layer(found, 'Block', 'fc').params[0].current.by, 'GPT');
    assert.deepEqual(layer(found, 'Block', 'fc').fanIn, { symbol: 'config.n_embd' });
    // A library layer at an unknown index has no name to report: it is not listed under a made-up one.
    assert.deepEqual(found.find((m) => m.name === 'GPT')?.layers.map((l) => l.name), []);
  });

  it("transformers' convention: post_init() runs the _init_weights a file's PreTrainedModel subclass writes (inherited methods resolve through the file's bases)", () => {
    const text = [
      'import torch.nn as nn',
      'from transformers import PreTrainedModel',
      'class TinyPreTrainedModel(PreTrainedModel):',
      '    def _init_weights(self, module):',
      '        if isinstance(module, nn.Linear):',
      '            module.weight.data.normal_(mean=0.0, std=0.02)',
      '            if module.bias is not None:',
      '                module.bias.data.zero_()',
      '        elif isinstance(module, nn.Embedding):',
      '            module.weight.data.normal_(mean=0.0, std=self.config.initializer_range)',
      'class TinyModel(TinyPreTrainedModel):',
      '    def __init__(self, config):',
      '        super().__init__(config)',
      '        self.wte = nn.Embedding(100, 16)',
      '        self.fc = nn.Linear(16, 16)',
      '        self.post_init()',
      'class NoPostInit(TinyPreTrainedModel):',
      '    def __init__(self, config):',
      '        super().__init__(config)',
      '        self.fc = nn.Linear(16, 16)',
      '',
    ].join('\n');
    const found = analyze(text);
    assert.equal(std(layer(found, 'TinyModel', 'fc')), 0.02);
    assert.equal(std(layer(found, 'TinyModel', 'fc'), 'bias'), 0);
    // The std is the config's, unknown here: the scheme is known, its number is not invented.
    const wte = layer(found, 'TinyModel', 'wte').params[0];
    assert.equal(wte.current.source, 'explicit');
    assert.equal(wte.resolved?.std, undefined);
    // Without post_init(), PyTorch's defaults stay (kaiming_uniform_(a=√5): std 1/√(3·16)).
    assert.ok(Math.abs((std(layer(found, 'NoPostInit', 'fc')) as number) - 1 / Math.sqrt(48)) < 1e-12);
    // An edit of the base reaches the subclass when the same analyzer runs again.
    const analyzer = new ModelAnalyzer();
    analyzer.analyze(parsePython(text), text);
    const edited = text.replace('std=0.02', 'std=0.05');
    const again = analyzer.analyze(parsePython(edited), edited).models;
    assert.equal(std(layer(again, 'TinyModel', 'fc')), 0.05);
  });

  it('a parameter with no value where the class is built shadows a module constant of the same name', () => {
    const text = 'import torch.nn as nn\nhidden = 7\nclass A(nn.Module):\n    def __init__(self, hidden):\n        super().__init__()\n        self.fc = nn.Linear(4, hidden)\n';
    assert.deepEqual(layer(analyze(text), 'A', 'fc').fanOut, { symbol: 'hidden' });
  });

  it('re-analysis after edits equals a fresh analysis, values and inits flowing across classes', () => {
    const parser = new IncrementalParser(FIXTURE);
    const analyzer = new ModelAnalyzer();
    analyzer.analyze(parser.tree, parser.text);
    const edits = [
      // In Config: every MLP gets new widths.
      { find: 'width: int = 64', text: 'width: int = 32' },
      // In Config: the depth changes the proj std of MLP through Net.
      { find: 'depth: int = 3', text: 'depth: int = 8' },
      // Above everything: every span moves.
      { find: '"""The module tree', text: '# moved\n"""The module tree' },
      // In ResNet's rule: BasicBlock's inits change.
      { find: "mode='fan_out'", text: "mode='fan_in'" },
    ];
    for (const edit of edits) {
      const offset = parser.text.indexOf(edit.find);
      parser.applyEdits([{ offset, length: edit.find.length, text: edit.text }]);
      const after = analyzer.analyze(parser.tree, parser.text).models;
      const fresh = new ModelAnalyzer().analyze(parsePython(parser.text), parser.text).models;
      assert.deepEqual(after, fresh, edit.text);
    }
    const final = analyzer.analyze(parser.tree, parser.text).models;
    assert.deepEqual([layer(final, 'MLP', 'fc').fanIn, layer(final, 'MLP', 'fc').fanOut], [32, 128]);
    assert.ok(Math.abs((std(layer(final, 'MLP', 'proj')) as number) - 0.02 / Math.sqrt(16)) < 1e-15);
    assert.equal(mainParam(layer(final, 'BasicBlock', 'conv'))?.current.label, 'kaiming_normal_(relu)');
  });
});

/**
 * Patterns of the real-world corpus (pytorch/examples' siamese_network, lucidrains' CCT, kuangliu's
 * MobileNetV2), each checked against torch 1.13 (/usr/bin/python3): a recorder around
 * nn.init.xavier_uniform_ saw only `fc.0.weight`; torch.fx traced `lin → gelu → proj` and
 * `tok.seq.0 → tok.seq.1` (a ReLU); `nn.init._calculate_fan_in_and_fan_out` gives a depthwise 3×3
 * convolution fan_in 9 for every width, so its default kaiming_uniform_(a=√5) std is
 * calculate_gain('leaky_relu', √5)/√9 = 0.19245008972987523.
 */
describe('module tree: patterns of real model files', () => {
  it('self.fc.apply(fn) initializes the modules of fc only', () => {
    const models = analyze([
      'import torch.nn as nn',
      'class Siam(nn.Module):',
      '    def __init__(self):',
      '        super().__init__()',
      '        self.body = nn.Sequential(nn.Linear(4, 8), nn.ReLU())',
      '        self.fc = nn.Sequential(nn.Linear(8, 3))',
      '        self.fc.apply(self.init_weights)',
      '    def init_weights(self, m):',
      '        if isinstance(m, nn.Linear):',
      '            nn.init.xavier_uniform_(m.weight)',
      '',
    ].join('\n'));
    assert.equal(mainParam(layer(models, 'Siam', 'fc.0'))?.current.label, 'xavier_uniform_');
    assert.ok(Math.abs((std(layer(models, 'Siam', 'fc.0')) as number) - 0.4264014327112209) < 1e-12);
    assert.equal(mainParam(layer(models, 'Siam', 'body.0'))?.current.source, 'default');
    assert.ok(Math.abs((std(layer(models, 'Siam', 'body.0')) as number) - 0.28867513459481287) < 1e-12);
  });

  it('a function held by an attribute (self.act = F.gelu) is the activation where forward calls it', () => {
    const models = analyze([
      'import torch.nn as nn',
      'import torch.nn.functional as F',
      'class Ffn(nn.Module):',
      '    def __init__(self):',
      '        super().__init__()',
      '        self.lin = nn.Linear(4, 16)',
      '        self.proj = nn.Linear(16, 4)',
      '        self.act = F.gelu',
      '    def forward(self, x):',
      '        return self.proj(self.act(self.lin(x)))',
      '',
    ].join('\n'));
    assert.equal(layer(models, 'Ffn', 'lin').activation?.activation.kind, 'gelu');
    assert.equal(layer(models, 'Ffn', 'proj').activation?.activation.kind, 'identity');
  });

  it('a parameter given a class (activation=nn.ReLU) does not take its default None in the built class', () => {
    const models = analyze([
      'import torch.nn as nn',
      'class Tok(nn.Module):',
      '    def __init__(self, activation=None):',
      '        super().__init__()',
      '        self.seq = nn.Sequential(nn.Conv2d(3, 8, 3), nn.Identity() if activation is None else activation())',
      '    def forward(self, x):',
      '        return self.seq(x)',
      'class M(nn.Module):',
      '    def __init__(self):',
      '        super().__init__()',
      '        self.tok = Tok(activation=nn.ReLU)',
      '    def forward(self, x):',
      '        return self.tok(x)',
      '',
    ].join('\n'));
    assert.equal(layer(models, 'Tok', 'seq.0').activation?.activation.kind, 'relu');
  });

  it('a scheme of one fan has its std when that fan is known and the other is not (a depthwise convolution)', () => {
    const models = analyze([
      'import torch.nn as nn',
      'class Block(nn.Module):',
      '    def __init__(self, planes):',
      '        super().__init__()',
      '        self.dw = nn.Conv2d(planes, planes, 3, groups=planes, bias=False)',
      '        self.pw = nn.Conv2d(planes, 2 * planes, 1, bias=False)',
      '',
    ].join('\n'));
    const dw = layer(models, 'Block', 'dw');
    assert.deepEqual([dw.fanIn, typeof dw.fanOut], [9, 'object']);
    assert.ok(Math.abs((std(dw) as number) - 0.19245008972987523) < 1e-15);
    // fan_in = planes: nothing to compute.
    assert.equal(std(layer(models, 'Block', 'pw')), undefined);
  });
});
