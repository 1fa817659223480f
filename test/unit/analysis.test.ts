/**
 * Model analysis on the corpus in test/fixtures/models. Expected fans and
 * parameter counts are worked out by hand from the layer definitions (PyTorch
 * weight layouts, Keras channels-last kernels); expected standard deviations
 * come from the published formulas, evaluated with Python's `math`
 * (e.g. He: sqrt(2)/sqrt(fan_in); Xavier: gain*sqrt(2/(fan_in+fan_out))).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { ModelAnalyzer } from '../../src/core/model/analyze';
import { layerSummary } from '../../src/core/model/describe';
import { mainParam } from '../../src/core/model/layer';
import type { Layer, Model } from '../../src/core/model/types';
import { IncrementalParser, parsePython } from '../../src/core/python/parse';
import { ROOT } from '../host/paths';

function analyzeFixture(name: string): Model[] {
  const text = fs.readFileSync(path.join(ROOT, 'test', 'fixtures', 'models', name), 'utf8');
  return [...new ModelAnalyzer().analyze(parsePython(text), text).models];
}

function analyzeText(text: string): Model[] {
  return [...new ModelAnalyzer().analyze(parsePython(text), text).models];
}

function layer(model: Model | undefined, name: string): Layer {
  const found = model?.layers.find((l) => l.name === name);
  assert.ok(found, `layer ${name} in ${model?.name}`);
  return found;
}

function close(actual: number | undefined, expected: number, what: string): void {
  assert.ok(actual !== undefined && Math.abs(actual - expected) <= 1e-12 * Math.max(1, Math.abs(expected)), `${what}: ${actual} vs ${expected}`);
}

/** [layer, fanIn, fanOut, params, activation, recommended scheme, recommended std] */
type Row = [string, number, number, number, string, string, number];

function checkRows(model: Model | undefined, rows: Row[]): void {
  for (const [name, fanIn, fanOut, params, activation, scheme, std] of rows) {
    const l = layer(model, name);
    assert.deepEqual([l.fanIn, l.fanOut, l.paramCount, l.activation?.activation.kind], [fanIn, fanOut, params, activation], name);
    const p = mainParam(l);
    assert.equal(p?.recommendation?.name, scheme, name);
    close(p?.recommended?.std, std, `${name} std`);
  }
}

describe('PyTorch forward data flow', () => {
  const [flow, child] = analyzeFixture('torch_flow.py');

  it('finds the activation after each layer, however it is written', () => {
    assert.equal(flow.name, 'Flow');
    checkRows(flow, [
      // tanh(dec(relu(enc(x)))): nested calls
      ['enc', 32, 128, 32 * 128 + 128, 'relu', 'kaiming_normal_', 0.25],
      ['dec', 128, 32, 128 * 32 + 32, 'tanh', 'xavier_normal_', 0.18633899812498247],
      // self.act = nn.ReLU(inplace=True) in a later statement; fan_out from self.width = hidden * 2
      ['fc1', 32, 256, 32 * 256 + 256, 'relu', 'kaiming_normal_', 0.25],
      // Linear imported by name; x.sigmoid() method
      ['fc2', 256, 128, 256 * 128 + 128, 'sigmoid', 'xavier_normal_', 0.07216878364870322],
      // F.leaky_relu(h, 0.2) in the next statement: gain sqrt(2/(1+0.2^2))
      ['fc3', 128, 128, 128 * 128 + 128, 'leaky_relu', 'kaiming_normal_', 0.12257258446136501],
      // returned: the output layer
      ['fc4', 128, 10, 128 * 10 + 10, 'identity', 'xavier_normal_', 0.1203858530857692],
      // F.silu(self.bn(self.gate(h))): He through the normalizer
      ['gate', 128, 128, 128 * 128 + 128, 'silu', 'kaiming_normal_', 0.125],
      // SELU: LeCun normal, std 1/sqrt(fan_in)
      ['proj', 128, 128, 128 * 128, 'selu', 'kaiming_normal_ (LeCun)', 0.08838834764831843],
    ]);
    assert.equal(layer(flow, 'gate').normalizer, 'BatchNorm1d');
    assert.equal(layer(flow, 'fc3').activation?.activation.slope, 0.2);
    assert.equal(flow.paramCount, 100650);
  });

  it('recognizes subclasses of the file own modules', () => {
    assert.equal(child.name, 'Child');
    checkRows(child, [['head', 10, 2, 22, 'softmax', 'xavier_normal_', 0.408248290463863]]);
  });

  it('describes PyTorch defaults with their numbers', () => {
    const fc1 = mainParam(layer(flow, 'fc1'));
    assert.equal(fc1?.current.source, 'default');
    assert.equal(fc1?.current.label, 'kaiming_uniform_(a=√5) = U(±1/√fan_in)');
    // kaiming_uniform_(a=√5) on fan_in 32: std = sqrt(2/6)/sqrt(32), bound = 1/sqrt(32)
    close(fc1?.resolved?.std, Math.sqrt(2 / 6) / Math.sqrt(32), 'default std');
    close(fc1?.resolved?.bound, 1 / Math.sqrt(32), 'default bound');
    assert.equal(fc1?.agrees, false);
    const bias = layer(flow, 'fc1').params.find((p) => p.name === 'bias');
    assert.deepEqual(bias?.current.scheme, { kind: 'uniform', a: -1 / Math.sqrt(32), b: 1 / Math.sqrt(32) });
    assert.equal(bias?.recommendation?.name, 'zeros_');
  });
});

describe('PyTorch containers', () => {
  const [containers, sequential] = analyzeFixture('torch_containers.py');

  it('walks Sequential (nested, OrderedDict) and ModuleList comprehensions', () => {
    assert.deepEqual(
      containers.layers.map((l) => l.name),
      ['features.0', 'features.1', 'features.4', 'features.6.0', 'classifier.fc', 'classifier.out', 'blocks.0', 'blocks.1', 'blocks.2'],
    );
    checkRows(containers, [
      // Conv2d(3, 16, 3): weight (16, 3, 3, 3); BatchNorm2d, then ReLU
      ['features.0', 27, 144, 448, 'relu', 'kaiming_normal_', 0.2721655269759087],
      // groups=4: weight (32, 16/4, 3, 3)
      ['features.4', 36, 288, 32 * 4 * 9 + 32, 'leaky_relu', 'kaiming_normal_', 0.23112508176051214],
      // kernel (1, 3) in a nested Sequential followed by ELU
      ['features.6.0', 96, 96, 32 * 32 * 3 + 32, 'elu', 'kaiming_normal_', 0.14433756729740646],
      // 32 * 4 * 4 in, 4 * D_MODEL out; Dropout between Linear and GELU
      ['classifier.fc', 512, 256, 512 * 256 + 256, 'gelu', 'kaiming_normal_', 0.0625],
      ['classifier.out', 256, 10, 2570, 'identity', 'xavier_normal_', 0.086710996952412],
      // for block in self.blocks: x = F.mish(block(x))
      ['blocks.2', 64, 64, 4160, 'mish', 'kaiming_normal_', 0.1767766952966369],
    ]);
    assert.equal(layer(containers, 'features.0').normalizer, 'BatchNorm2d');
    assert.equal(containers.paramCount, 151146);
  });

  it('reads a module-level nn.Sequential as a model with state_dict names', () => {
    assert.equal(sequential.name, 'model');
    assert.equal(sequential.kind, 'torch-sequential');
    checkRows(sequential, [
      ['0', 10, 20, 220, 'tanh', 'xavier_normal_', 0.4303314829119352],
      ['2', 20, 5, 105, 'identity', 'xavier_normal_', 0.282842712474619],
    ]);
  });
});

describe('PyTorch layer zoo', () => {
  const [zoo] = analyzeFixture('torch_layers.py');

  it('computes fans as torch.nn.init._calculate_fan_in_and_fan_out does', () => {
    const fans = (n: string) => [layer(zoo, n).fanIn, layer(zoo, n).fanOut, layer(zoo, n).paramCount];
    assert.deepEqual(fans('emb'), [256, 32000, 32000 * 256]); // weight (32000, 256)
    assert.deepEqual(fans('bil'), [600, 1200, 40 * 20 * 30 + 40]); // weight (40, 20, 30)
    assert.deepEqual(fans('tconv'), [297, 144, 16 * 33 * 9 + 33]); // weight (in=16, out=33, 3, 3)
    assert.deepEqual(fans('conv3'), [300, 600, 8 * 4 * 75]); // (8, 4, 3, 5, 5), no bias
    assert.deepEqual(fans('conv1'), [1280, 640, 128 * 256 * 5 + 128]); // D // 2 outputs
    assert.deepEqual(fans('attn'), [256, 768, 3 * 256 * 256 + 3 * 256 + 256 * 256 + 256]);
  });

  it('expands recurrent layers per layer and direction, as state_dict names them', () => {
    const lstm = layer(zoo, 'lstm');
    assert.deepEqual(
      lstm.params.map((p) => `${p.name}${JSON.stringify(p.shape)}`),
      [
        'weight_ih_l0[2048,256]', 'weight_hh_l0[2048,512]', 'bias_ih_l0[2048]', 'bias_hh_l0[2048]',
        'weight_ih_l0_reverse[2048,256]', 'weight_hh_l0_reverse[2048,512]', 'bias_ih_l0_reverse[2048]', 'bias_hh_l0_reverse[2048]',
        'weight_ih_l1[2048,1024]', 'weight_hh_l1[2048,512]', 'bias_ih_l1[2048]', 'bias_hh_l1[2048]',
        'weight_ih_l1_reverse[2048,1024]', 'weight_hh_l1_reverse[2048,512]', 'bias_ih_l1_reverse[2048]', 'bias_hh_l1_reverse[2048]',
      ],
    );
    // RNNBase default: U(±1/sqrt(hidden_size))
    assert.deepEqual(lstm.params[0].current.scheme, { kind: 'uniform', a: -1 / Math.sqrt(512), b: 1 / Math.sqrt(512) });
    assert.equal(lstm.params[1].recommendation?.name, 'orthogonal_');
    assert.equal(layerSummary(layer(zoo, 'rnn')), 'ReLU · weight_ih_l0 → xavier_normal_ · weight_hh_l0 → orthogonal_');
    assert.deepEqual(layer(zoo, 'gru').params.map((p) => p.name), ['weight_ih_l0', 'weight_hh_l0']);
  });

  it('takes the Transformer activation from its argument and applies it to linear1', () => {
    const enc = layer(zoo, 'enc');
    assert.equal(enc.activation?.activation.kind, 'gelu');
    assert.deepEqual([enc.fanIn, enc.fanOut], [256, 1024]);
    assert.equal(mainParam(enc)?.name, 'linear1.weight');
  });

  it('keeps what it cannot resolve symbolic instead of guessing', () => {
    const unknown = layer(zoo, 'unknown');
    assert.deepEqual(unknown.fanOut, { symbol: 'self.missing' });
    assert.deepEqual(unknown.paramCount, { symbol: '?' });
    assert.equal(mainParam(unknown)?.recommended, undefined);
    assert.deepEqual(zoo.paramCount, { symbol: '?' });
  });
});

describe('existing initialization', () => {
  const [explicit, resnet, applied, external] = analyzeFixture('torch_inits.py');

  it('reads nn.init calls, in-place tensor methods and called methods; the last write wins', () => {
    const fc1 = layer(explicit, 'fc1').params;
    assert.deepEqual(fc1[0].current.scheme, { kind: 'kaiming_normal', a: 0, mode: 'fan_out', nonlinearity: 'relu' });
    assert.equal(fc1[0].agrees, true); // He with fan_out is a He variant
    assert.deepEqual(fc1[1].current.scheme, { kind: 'zeros' });
    // .data.normal_(0.0, 0.02) is overridden by _init_weights() -> xavier_uniform_(gain=calculate_gain("tanh"))
    assert.deepEqual(layer(explicit, 'fc2').params[0].current.scheme, { kind: 'xavier_uniform', gain: 5 / 3 });
    assert.equal(layer(explicit, 'fc2').params[0].agrees, true);
    assert.deepEqual(layer(explicit, 'fc3').params[0].current.scheme, { kind: 'constant', value: 0.01 });
    assert.equal(layer(explicit, 'fc3').params[0].agrees, false);
  });

  it('applies isinstance rules from for m in self.modules() loops, self.apply and model.apply', () => {
    assert.deepEqual(layer(resnet, 'conv').params[0].current.scheme, { kind: 'kaiming_normal', a: 0, mode: 'fan_out', nonlinearity: 'relu' });
    assert.deepEqual(layer(resnet, 'bn').params.map((p) => p.current.scheme), [{ kind: 'constant', value: 1 }, { kind: 'constant', value: 0 }]);
    assert.equal(layer(resnet, 'fc').params[0].current.source, 'default');
    assert.deepEqual(layer(applied, 'b').params.map((p) => p.current.scheme), [
      { kind: 'trunc_normal', mean: 0, std: 0.02, a: -2, b: 2 },
      { kind: 'zeros' },
    ]);
    assert.deepEqual(layer(external, 'l').params[0].current.scheme, { kind: 'orthogonal', gain: 1 });
  });
});

describe('patterns from well-known code', () => {
  const [block, , generator] = analyzeFixture('real_patterns.py');

  it('follows layer factories (torchvision conv3x3) and residual additions to the activation', () => {
    assert.deepEqual(block.layers.map((l) => [l.name, l.line, l.activation?.activation.kind, l.normalizer]), [
      ['conv1', 16, 'relu', 'BatchNorm2d'], // self.conv1 = conv3x3(...) on line 17: the call site, not the factory
      ['bn1', 17, undefined, undefined],
      ['conv2', 19, 'relu', 'BatchNorm2d'], // bn2, then out += identity, then self.relu(out)
      ['bn2', 20, undefined, undefined],
    ]);
    // conv3x3(inplanes, planes, stride): kernel 3, no bias; sizes are __init__ parameters without defaults.
    assert.deepEqual(layer(block, 'conv1').fanIn, { symbol: 'in_planes·3·3' });
    assert.equal(layer(block, 'conv1').params.length, 1);
  });

  it("applies the DCGAN tutorial's classname.find('Conv') rules through netG.apply(weights_init)", () => {
    assert.deepEqual(layer(generator, 'main.0').params[0].current.scheme, { kind: 'normal', mean: 0, std: 0.02 });
    assert.deepEqual(layer(generator, 'main.3').params[0].current.scheme, { kind: 'normal', mean: 0, std: 0.02 });
    assert.deepEqual(layer(generator, 'main.1').params.map((p) => p.current.scheme), [{ kind: 'normal', mean: 1, std: 0.02 }, { kind: 'constant', value: 0 }]);
    // ConvTranspose2d(100, 512, 4): weight (100, 512, 4, 4), fans as PyTorch computes them.
    assert.deepEqual([layer(generator, 'main.0').fanIn, layer(generator, 'main.0').fanOut], [512 * 16, 100 * 16]);
  });
});

describe('Keras', () => {
  const [cnn, mlp, functional, sub] = analyzeFixture('keras_models.py');

  it('infers input widths through Conv2D, pooling, Flatten (channels-last fans)', () => {
    assert.deepEqual(cnn.layers.map((l) => l.name), ['conv2d', 'conv2d_1', 'batch_normalization', 'dense', 'dense_1']);
    // kernel (3, 3, 1, 32): fan_in 9, fan_out 288; he_normal std sqrt(2/9)
    checkRows(cnn, [['conv2d', 9, 288, 320, 'relu', 'he_normal', 0.4714045207910317]]);
    // 28 -> conv3 valid 26 -> pool 13 -> conv same 13; Flatten 13*13*64
    assert.deepEqual([layer(cnn, 'dense').fanIn, layer(cnn, 'dense').fanOut], [10816, 128]);
    assert.equal(layer(cnn, 'conv2d_1').normalizer, 'BatchNormalization');
    assert.equal(layer(cnn, 'conv2d_1').activation?.activation.kind, 'relu');
    assert.deepEqual(mainParam(layer(cnn, 'dense'))?.current.scheme, { kind: 'variance_scaling', scale: 2, mode: 'fan_in', distribution: 'truncated_normal' });
    assert.deepEqual(mainParam(layer(cnn, 'dense_1'))?.current.scheme, { kind: 'normal', mean: 0, std: 0.01 });
    // 320 + 18496 + 4*64 (BatchNormalization incl. moving statistics) + 1384576 + 1290
    assert.equal(cnn.paramCount, 1404938);
  });

  it('follows model.add and LeakyReLU layers', () => {
    const dense = layer(mlp, 'dense');
    assert.deepEqual([dense.fanIn, dense.activation?.activation], [20, { kind: 'leaky_relu', slope: 0.1 }]);
    // VarianceScaling(scale=2/(1+0.1^2), fan_in): std sqrt(scale/20)
    close(mainParam(dense)?.recommended?.std, Math.sqrt(2 / 1.01 / 20), 'leaky std');
  });

  it('reads the functional API inside a function, with its parameter defaults', () => {
    assert.equal(functional.kind, 'keras-functional');
    assert.deepEqual(functional.layers.map((l) => [l.name, l.fanIn, l.activation?.activation.kind]), [
      ['embedding', 5000, 'identity'],
      ['lstm', 64, 'tanh'],
      ['dense', 32, 'selu'],
      ['dense_1', 16, 'identity'],
    ]);
    assert.equal(mainParam(layer(functional, 'dense'))?.recommendation?.name, 'lecun_normal');
  });

  it('reads subclassed keras.Model layers; unknown input widths stay symbolic', () => {
    // d1's activation= argument; d2 is returned by call() (test/unit/kerasCall.test.ts covers call()).
    assert.deepEqual(sub.layers.map((l) => [l.name, l.activation?.activation.kind, l.activation?.via]), [
      ['d1', 'relu', 'argument'],
      ['d2', 'identity', 'output'],
    ]);
    assert.deepEqual(layer(sub, 'd1').fanIn, { symbol: 'in' });
  });
});

describe('robustness', () => {
  it('keeps the classes around a half-typed one and never mixes their layers', () => {
    const models = analyzeFixture('broken.py');
    assert.deepEqual(models.map((m) => [m.name, m.layers.map((l) => l.name)]), [
      ['Before', ['fc']],
      ['Typing', ['fc']],
      ['After', ['out']],
    ]);
    assert.equal(layer(models[0], 'fc').activation?.activation.kind, 'relu');
    assert.equal(layer(models[2], 'out').activation?.activation.kind, 'sigmoid');
    assert.deepEqual(layer(models[1], 'fc').fanOut, { symbol: '?' });
  });

  it('survives garbage, deep nesting, NUL bytes and the size cap', () => {
    const analyzer = new ModelAnalyzer();
    const deep = `import torch.nn as nn\nx = ${'('.repeat(5000)}1${')'.repeat(5000)}\nm = nn.Sequential(nn.Linear(1, 2))\n`;
    assert.equal(analyzer.analyze(parsePython(deep), deep).models.length, 1);
    const garbage = Array.from({ length: 2000 }, (_, i) => String.fromCharCode(33 + ((i * 7919) % 90))).join('');
    assert.deepEqual(analyzer.analyze(parsePython(garbage), garbage).models, []);
    const nul = 'import torch\u0000';
    assert.match(analyzer.analyze(parsePython(nul), nul).notes[0], /NUL bytes/);
    const big = 'x = 1\n'.repeat(10);
    assert.match(analyzer.analyze(parsePython(big), big, { maxLength: 20 }).notes[0], /60 characters is above the 20 limit/);
  });

  it('re-analysis after an edit reuses unchanged classes and shifts their positions', () => {
    const text = fs.readFileSync(path.join(ROOT, 'test', 'fixtures', 'models', 'torch_flow.py'), 'utf8');
    const analyzer = new ModelAnalyzer();
    const parser = new IncrementalParser(text);
    const before = analyzer.analyze(parser.tree, text).models;
    const [from, line] = [before[0].layers[0].span.from, before[0].line];
    parser.applyEdits([{ offset: 0, length: 0, text: '# a comment\n' }]);
    const after = analyzer.analyze(parser.tree, parser.text).models;
    const fresh = new ModelAnalyzer().analyze(parsePython(parser.text), parser.text).models;
    assert.deepEqual(after, fresh);
    assert.equal(after[0], before[0], 'the cached model object is reused');
    assert.equal(after[0].layers[0].span.from, from + 12);
    assert.equal(after[0].line, line + 1);
  });

  it('resolves module constants, __init__ defaults and arithmetic', () => {
    const [m] = analyzeText('import torch.nn as nn\nD = 4 * 16\nclass M(nn.Module):\n    def __init__(self, h=D // 2, k=2 ** 3):\n        super().__init__()\n        self.a = nn.Linear(D, h * 3 - 1)\n        self.b = nn.Conv1d(h, k, kernel_size=k % 3)\n');
    assert.deepEqual(m.layers.map((l) => [l.fanIn, l.fanOut]), [
      [64, 95],
      [64, 16],
    ]);
  });
});
