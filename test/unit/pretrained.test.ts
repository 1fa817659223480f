/**
 * Transfer learning (issue 14): every form of pretrained weights is recognized
 * (src/core/model/pretrained.ts), loaded layers get the `pretrained` verdict and
 * no init advice while layers added after loading keep theirs (src/core/advice/pretrained.ts),
 * and exact mode replays the draws of torchvision constructors before the layers built
 * after them, bit for bit against torchvision 0.14 itself
 * (test/fixtures/advice/pretrained_stream.json, scripts/advice/pretrained_stream.py).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { adviseAnalysis } from '../../src/core/advice/judge';
import { lensOf, verdictJson } from '../../src/core/advice/present';
import { libraryModelHoverMarkdown, libraryModelState } from '../../src/core/advice/pretrained';
import { ModelAnalyzer } from '../../src/core/model/analyze';
import { isPretrained } from '../../src/core/model/pretrained';
import type { ModelAnalysis } from '../../src/core/model/types';
import { layerRows, previewProblem } from '../../src/core/preview/requests';
import { parsePython } from '../../src/core/python/parse';
import { analyzeSeeding } from '../../src/core/seeding/analyze';
import { exactParameters, findTorchSeed } from '../../src/core/torch/exact';
import { exactSection, streamDraws } from '../../src/core/torch/program';
import { f32Bits } from '../../src/core/torch/float';
import { ROOT } from '../host/paths';

const analyze = (text: string): ModelAnalysis => new ModelAnalyzer().analyze(parsePython(text), text);
const lines = (...l: string[]) => `${l.join('\n')}\n`;
const HEAD = ['import torch', 'import torch.nn as nn', 'import torchvision', 'from torchvision import models', 'from torchvision.models import resnet18, ResNet18_Weights'];

describe('pretrained weights: recognition', () => {
  it('torchvision weights= (string, enum member, DEFAULT), pretrained=True, and weights=None (built at random)', () => {
    const text = lines(
      ...HEAD,
      'a = models.resnet18(weights="IMAGENET1K_V1")',
      'b = resnet18(weights=ResNet18_Weights.DEFAULT).to("cpu")',
      'c = torchvision.models.resnet18(weights=models.ResNet18_Weights.IMAGENET1K_V1)',
      'd = torchvision.models.vgg16(pretrained=True)',
      'e = torchvision.models.resnet50(weights=None)',
      'f = models.resnet34()',
      'w = "IMAGENET1K_V2"',
      'g = models.resnet50(weights=w)',
    );
    const uses = analyze(text).libraryModels!;
    assert.deepEqual(
      uses.map((u) => [u.target, u.source, u.architecture, u.weights ?? null, u.line]),
      [
        ['a', 'torchvision', 'resnet18', 'IMAGENET1K_V1', 5],
        ['b', 'torchvision', 'resnet18', 'DEFAULT', 6],
        ['c', 'torchvision', 'resnet18', 'IMAGENET1K_V1', 7],
        ['d', 'torchvision', 'vgg16', 'pretrained=True', 8],
        ['e', 'torchvision', 'resnet50', null, 9],
        ['f', 'torchvision', 'resnet34', null, 10],
        ['g', 'torchvision', 'resnet50', 'w', 12],
      ],
    );
    assert.deepEqual(uses.map(isPretrained), [true, true, true, true, false, false, true]);
    assert.equal(libraryModelState(uses[0]), 'pretrained (IMAGENET1K_V1): not initialized at random');
    assert.equal(libraryModelState(uses[4]), "resnet50 (weights=None): initialized at random by the library's constructor");
  });

  it('timm.create_model(pretrained=True), X.from_pretrained (any class), Keras applications (weights="imagenet", the default, None), load_model', () => {
    const text = lines(
      'import timm',
      'from transformers import AutoModel, BertForSequenceClassification',
      'import tensorflow as tf',
      'import keras',
      'from tensorflow.keras.applications import ResNet50',
      'a = timm.create_model("resnet50", pretrained=True, num_classes=10)',
      'b = timm.create_model("vit_base_patch16_224")',
      'c = BertForSequenceClassification.from_pretrained("bert-base-uncased", num_labels=2)',
      'd = AutoModel.from_pretrained(checkpoint)',
      'e = MyModel.from_pretrained("./out")',
      'f = tf.keras.applications.MobileNetV2(weights="imagenet", include_top=False)',
      'g = keras.applications.efficientnet.EfficientNetB0(include_top=False)',
      'h = ResNet50(weights=None)',
      'i = keras.models.load_model("model.keras")',
      'j = tf.keras.models.load_model(path)',
    );
    const uses = analyze(text).libraryModels!;
    assert.deepEqual(
      uses.map((u) => [u.target, u.source, u.framework, u.architecture, u.weights ?? null]),
      [
        ['a', 'timm', 'torch', 'resnet50', 'pretrained=True'],
        ['b', 'timm', 'torch', 'vit_base_patch16_224', null],
        ['c', 'transformers', 'torch', 'BertForSequenceClassification', 'bert-base-uncased'],
        ['d', 'transformers', 'torch', 'AutoModel', 'checkpoint'],
        ['e', 'transformers', 'torch', 'MyModel', './out'],
        ['f', 'keras-applications', 'keras', 'MobileNetV2', 'imagenet'],
        ['g', 'keras-applications', 'keras', 'EfficientNetB0', 'imagenet'],
        ['h', 'keras-applications', 'keras', 'ResNet50', null],
        ['i', 'keras-load_model', 'keras', 'a saved model', 'model.keras'],
        ['j', 'keras-load_model', 'keras', 'a saved model', 'path'],
      ],
    );
  });

  it('load_state_dict on a model, a submodule and self, at module level and in __init__, with the file it reads', () => {
    const text = lines(
      ...HEAD,
      'model = models.resnet18()',
      'model.load_state_dict(torch.load("resnet18.pth", map_location="cpu"))',
      'model.layer4.load_state_dict(state["layer4"])',
      'class Net(nn.Module):',
      '    def __init__(self):',
      '        super().__init__()',
      '        self.backbone = resnet18(weights=ResNet18_Weights.IMAGENET1K_V1)',
      '        self.encoder = nn.Sequential(nn.Linear(8, 8), nn.ReLU())',
      '        self.encoder.load_state_dict(torch.load("encoder.pt"))',
      '        self.load_state_dict(ckpt)',
    );
    const uses = analyze(text).libraryModels!;
    assert.deepEqual(
      uses.map((u) => [u.kind, u.target, u.weights, u.inClass ?? null, u.inMethod ?? null]),
      [
        ['construct', 'model', undefined, null, null],
        ['load', 'model', 'resnet18.pth', null, null],
        ['load', 'model.layer4', 'state["layer4"]', null, null],
        ['construct', 'self.backbone', 'IMAGENET1K_V1', 'Net', '__init__'],
        ['load', 'self.encoder', 'encoder.pt', 'Net', '__init__'],
        ['load', 'self', 'ckpt', 'Net', '__init__'],
      ],
    );
    const plain = (md: string) => md.replace(/\\/g, '');
    assert.ok(plain(libraryModelHoverMarkdown(uses[1])).includes('load_state_dict copies values in and draws nothing'));
    assert.ok(plain(libraryModelHoverMarkdown(uses[3])).includes('depend on it (replayed where InitLens knows the architecture)'));
    assert.ok(plain(libraryModelHoverMarkdown(uses[3])).includes('pretrained (IMAGENET1K_V1): not initialized at random'));
  });
});

describe('pretrained weights: the analyzer reuses unchanged statements', () => {
  it('after an edit above, the uses move with their statements, lines and spans as a fresh analysis gives them', () => {
    const before = lines(...HEAD, 'model = models.resnet18(weights="IMAGENET1K_V1")', 'model.load_state_dict(torch.load("a.pt"))');
    const after = lines(...HEAD, '# a comment', 'x = 1', 'model = models.resnet18(weights="IMAGENET1K_V1")', 'model.load_state_dict(torch.load("a.pt"))');
    const analyzer = new ModelAnalyzer();
    analyzer.analyze(parsePython(before), before);
    const reused = analyzer.analyze(parsePython(after), after).libraryModels;
    assert.deepEqual(reused, analyze(after).libraryModels);
    assert.deepEqual(reused!.map((u) => [u.line, after.slice(u.span.from, u.span.to).slice(0, 22)]), [[7, 'models.resnet18(weight'], [8, 'model.load_state_dict(']]);
  });
});

describe('pretrained weights: advice', () => {
  const verdicts = (text: string) => {
    const analysis = analyze(text);
    const advice = adviseAnalysis(analysis, text);
    return { analysis, advice, get: (model: string, layer: string) => advice.verdict(analysis.models.find((m) => m.name === model)!.layers.find((l) => l.name === layer)!) };
  };

  it('a replaced head of a pretrained resnet18 gets its own verdict, saying what it replaces; a head replaced before a load is loaded', () => {
    const text = lines(...HEAD, 'model = models.resnet18(weights="IMAGENET1K_V1")', 'model.fc = nn.Linear(model.fc.in_features, 10)', 'other = models.resnet18()', 'other.fc = nn.Linear(512, 3)', 'other.load_state_dict(torch.load("ft.pt"))');
    const { get, analysis } = verdicts(text);
    const fc = get('model.fc', '')!;
    assert.equal(fc.level, 'ok');
    assert.equal(fc.rule, 'output');
    assert.ok(fc.message.startsWith('New layer beside the pretrained resnet18 (IMAGENET1K_V1) (line 6), so it starts at random: Output layer'), fc.message);
    const loaded = get('other.fc', '')!;
    assert.deepEqual([loaded.level, loaded.rule, loaded.pretrained], ['ok', 'pretrained', 'ft.pt']);
    const layer = analysis.models.find((m) => m.name === 'other.fc')!.layers[0];
    assert.deepEqual(lensOf(layer, loaded, 'suggestions'), { title: '$(check) pretrained (ft.pt): not initialized at random', tooltip: `${loaded.message} (${loaded.source.title})`, apply: false });
    assert.equal(verdictJson(loaded)?.pretrained, 'ft.pt');
  });

  it('in a class: layers loaded by load_state_dict after construction are pretrained, the new head beside a pretrained backbone is advised; the panel says pretrained', () => {
    const text = lines(
      ...HEAD,
      'class Net(nn.Module):',
      '    def __init__(self):',
      '        super().__init__()',
      '        self.backbone = resnet18(weights=ResNet18_Weights.IMAGENET1K_V1)',
      '        self.encoder = nn.Sequential(nn.Linear(512, 256), nn.ReLU(), nn.Linear(256, 256))',
      '        self.encoder.load_state_dict(torch.load("encoder.pt"))',
      '        self.head = nn.Linear(256, 10)',
      '    def forward(self, x):',
      '        return self.head(self.encoder(self.backbone(x)))',
    );
    const { get, analysis, advice } = verdicts(text);
    assert.deepEqual([get('Net', 'encoder.0')?.rule, get('Net', 'encoder.2')?.rule], ['pretrained', 'pretrained']);
    const head = get('Net', 'head')!;
    assert.equal(head.rule, 'output');
    assert.ok(head.message.startsWith('New layer beside the pretrained resnet18 (IMAGENET1K_V1) (line 9)'), head.message);
    const model = analysis.models[0];
    const rows = layerRows(model, (l) => advice.verdict(l), analysis.libraryModels);
    assert.deepEqual(rows.map((r) => [r.name, r.scheme, r.previewable]), [
      ['backbone', 'pretrained (IMAGENET1K_V1)', false],
      ['encoder.0', 'pretrained (encoder.pt)', false],
      ['encoder.2', 'pretrained (encoder.pt)', false],
      ['head', 'kaiming_uniform_(a=√5) = U(±1/√fan_in)', true],
    ]);
    assert.equal(previewProblem(model.layers[0], advice.verdict(model.layers[0])), 'encoder.0 is pretrained (encoder.pt): not initialized at random, so there is no histogram of a random init to show.');
    // The rule turned off: the verdicts of a random init.
    const off = adviseAnalysis(analysis, text, { level: 'problems', disabled: new Set(['pretrained']) });
    assert.notEqual(off.verdict(model.layers[0])?.rule, 'pretrained');
  });

  it('module level: a class is pretrained when every construction of it is loaded; one trained from scratch keeps its advice', () => {
    const cls = ['class Net(nn.Module):', '    def __init__(self):', '        super().__init__()', '        self.fc1 = nn.Linear(8, 8)', '        self.fc2 = nn.Linear(8, 2)', '    def forward(self, x):', '        return self.fc2(torch.relu(self.fc1(x)))'];
    const loadedOnly = verdicts(lines('import torch', 'import torch.nn as nn', ...cls, 'net = Net()', 'net.load_state_dict(torch.load(PATH))'));
    assert.equal(loadedOnly.get('Net', 'fc1')?.rule, 'pretrained');
    assert.equal(loadedOnly.get('Net', 'fc1')?.pretrained, 'PATH');
    // pytorch/tutorials cifar10_tutorial: trains `net = Net()`, then loads a checkpoint into a second Net().
    const both = verdicts(lines('import torch', 'import torch.nn as nn', ...cls, 'net = Net()', 'train(net)', 'net = Net()', 'net.load_state_dict(torch.load(PATH))'));
    assert.notEqual(both.get('Net', 'fc1')?.rule, 'pretrained');
    assert.notEqual(both.get('Net', 'fc2')?.rule, 'pretrained');
  });

  it('a load that only runs in a branch (resuming) or in a function (a training loop keeping its best weights) makes nothing pretrained; optimizers are no models', () => {
    const cls = ['class Net(nn.Module):', '    def __init__(self):', '        super().__init__()', '        self.fc1 = nn.Linear(8, 8)', '        self.fc2 = nn.Linear(8, 2)', '    def forward(self, x):', '        return self.fc2(torch.relu(self.fc1(x)))'];
    const text = lines(
      'import torch',
      'import torch.nn as nn',
      ...cls,
      'def train(model):',
      '    model.load_state_dict(best)',
      'net = Net()',
      'optimizer = torch.optim.SGD(net.parameters(), lr=0.1)',
      'if args.resume:',
      '    net.load_state_dict(torch.load(args.resume))',
      'optimizer.load_state_dict(ckpt["optimizer"])',
    );
    const { get, analysis } = verdicts(text);
    assert.notEqual(get('Net', 'fc1')?.rule, 'pretrained');
    const uses = analysis.libraryModels!;
    assert.deepEqual(uses.map((u) => [u.target, u.conditional, u.inFunction ?? null]), [['model', false, 'train'], ['net', true, null]]);
    assert.equal(libraryModelState(uses[1]), 'may load pretrained weights (args.resume): only when this branch runs, so the init in effect still counts');
  });

  it('Keras: the layers of a model built on a pretrained application are its new layers', () => {
    const text = lines(
      'from tensorflow import keras',
      'base = keras.applications.ResNet50(weights="imagenet", include_top=False, input_shape=(224, 224, 3))',
      'base.trainable = False',
      'model = keras.Sequential([base, keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(10, activation="softmax")])',
    );
    const { analysis, advice } = verdicts(text);
    const dense = analysis.models.flatMap((m) => m.layers).find((l) => l.type === 'Dense')!;
    assert.ok(advice.verdict(dense)!.message.startsWith('New layer beside the pretrained keras.applications.ResNet50 (imagenet) (line 2)'), advice.verdict(dense)!.message);
  });
});

const STREAM = JSON.parse(fs.readFileSync(path.join(ROOT, 'test', 'fixtures', 'advice', 'pretrained_stream.json'), 'utf8')) as {
  load_state_dict_draws_nothing: boolean;
  cases: { architecture: string; weights: string | null; seed: number; weight_bits: string[]; bias_bits: string[] }[];
};
const hex = (v: Float32Array) => Array.from(v.subarray(0, 8), (x) => `0x${f32Bits(x).toString(16).padStart(8, '0')}`);

describe('pretrained weights: exact mode', () => {
  it('torchvision itself: load_state_dict draws nothing (the claim the replay rests on)', () => {
    assert.equal(STREAM.load_state_dict_draws_nothing, true);
    assert.equal(STREAM.cases.length, 32);
  });

  it('a layer built after a torchvision constructor: bit for bit what torchvision 0.14 gives, weights or not (VGG draws less with weights)', () => {
    for (const c of STREAM.cases) {
      const text = lines('import torch', 'import torch.nn as nn', 'import torchvision', `torch.manual_seed(${c.seed})`, `model = torchvision.models.${c.architecture}(weights=${c.weights === null ? 'None' : `"${c.weights}"`})`, 'head = nn.Linear(16, 4)');
      const analysis = analyze(text);
      const seeding = analyzeSeeding(parsePython(text), text);
      const model = analysis.models.find((m) => m.name === 'head')!;
      const seed = findTorchSeed(model, text, seeding);
      assert.ok('seed' in seed);
      const params = exactParameters(model, seed.seed, { ...streamDraws(model, seed, { tree: parsePython(text), text, seeding, models: analysis }), limits: { values: 'exactValues', words: 'exactStreamWords' } });
      const what = `${c.architecture} weights=${c.weights} seed ${c.seed}`;
      assert.deepEqual(params.map((p) => p.exact), [true, true], what);
      assert.deepEqual(hex(params[0].values), c.weight_bits, what);
      assert.deepEqual(hex(params[1].values), c.bias_bits, what);
    }
  });

  it('a subscripted replaced head (vgg.classifier[6] = ...) after a pretrained VGG: its own verdict, exact values', () => {
    const c = STREAM.cases.find((x) => x.architecture === 'vgg16_bn' && x.weights !== null && x.seed === 12345)!;
    const text = lines('import torch', 'import torch.nn as nn', 'import torchvision', 'torch.manual_seed(12345)', 'vgg = torchvision.models.vgg16_bn(weights="IMAGENET1K_V1")', 'vgg.classifier[6] = nn.Linear(16, 4)');
    const analysis = analyze(text);
    const model = analysis.models.find((m) => m.name === 'vgg.classifier[6]')!;
    const v = adviseAnalysis(analysis, text).verdict(model.layers[0])!;
    assert.ok(v.message.startsWith('New layer beside the pretrained vgg16_bn (IMAGENET1K_V1) (line 5)'), v.message);
    const section = exactSection(model, model.layers[0], { tree: parsePython(text), text: text, seeding: analyzeSeeding(parsePython(text), text), models: analysis })!;
    assert.equal(section.status, 'exact (PyTorch CPU, seed 12345)');
    assert.deepEqual(hex(section.params[0].values), c.weight_bits);
  });

  it('inside __init__: self.backbone = resnet18(weights=...) before self.head, in the hover', () => {
    const c = STREAM.cases.find((x) => x.architecture === 'resnet18' && x.weights !== null && x.seed === 0)!;
    const text = lines(
      ...HEAD,
      'class Net(nn.Module):',
      '    def __init__(self):',
      '        super().__init__()',
      '        self.backbone = resnet18(weights=ResNet18_Weights.IMAGENET1K_V1)',
      '        self.head = nn.Linear(16, 4)',
      'torch.manual_seed(0)',
      'net = Net()',
    );
    const analysis = analyze(text);
    const model = analysis.models[0];
    const section = exactSection(model, model.layers[0], { tree: parsePython(text), text: text, seeding: analyzeSeeding(parsePython(text), text), models: analysis })!;
    assert.equal(section.status, 'exact (PyTorch CPU, seed 0)');
    assert.deepEqual(hex(section.params[0].values), c.weight_bits);
  });

  it('a constructor InitLens does not replay: the values are labelled "depends on the pretrained constructor: not exact"', () => {
    const text = lines('import torch', 'import torch.nn as nn', 'import timm', 'torch.manual_seed(0)', 'backbone = timm.create_model("resnet50", pretrained=True)', 'head = nn.Linear(16, 4)');
    const analysis = analyze(text);
    const model = analysis.models.find((m) => m.name === 'head')!;
    const section = exactSection(model, model.layers[0], { tree: parsePython(text), text: text, seeding: analyzeSeeding(parsePython(text), text), models: analysis })!;
    assert.equal(section.params[0].exact, false);
    assert.equal(section.params[0].reason, "timm resnet50 (pretrained=True, line 5) draws from the same stream before head is built: timm resnet50: InitLens does not replay this constructor's draws, so the values depend on the pretrained constructor: not exact");
    // A torchvision constructor with arguments that may change its draws is not replayed either.
    const zero = lines('import torch', 'import torch.nn as nn', 'import torchvision', 'torch.manual_seed(0)', 'm = torchvision.models.resnet18(zero_init_residual=True)', 'head = nn.Linear(16, 4)');
    const a2 = analyze(zero);
    const m2 = a2.models.find((m) => m.name === 'head')!;
    const s2 = exactSection(m2, m2.layers[0], { tree: parsePython(zero), text: zero, seeding: analyzeSeeding(parsePython(zero), zero), models: a2 })!;
    assert.match(s2.params[0].reason ?? '', /arguments other than weights and num_classes, so the values depend on the constructor: not exact$/);
  });
});

describe('pretrained weights: the transfer-learning files of the healthy corpus', () => {
  const dir = path.join(ROOT, 'test', 'fixtures', 'advice', 'healthy');
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as { files: { file: string; sha256: string; licenseFile: string }[] };
  const expected = JSON.parse(fs.readFileSync(path.join(dir, 'pretrained.json'), 'utf8')) as {
    files: Record<string, { libraryModels: { line: number; target: string; state: string; weights: string }[]; heads: Record<string, { measuredStdRatio: number }> }>;
  };

  it('every file is byte-identical to its pinned commit, with its licence beside it', async () => {
    const { createHash } = await import('node:crypto');
    assert.equal(manifest.files.length, 4);
    for (const f of manifest.files) {
      assert.equal(createHash('sha256').update(fs.readFileSync(path.join(dir, f.file))).digest('hex'), f.sha256, f.file);
      assert.ok(fs.existsSync(path.join(dir, f.licenseFile)), f.licenseFile);
    }
  });

  it('the library models each file builds or loads, and the replaced heads with the gain measured on PyTorch', () => {
    assert.equal(Object.keys(expected.files).length, 4);
    for (const [file, want] of Object.entries(expected.files)) {
      const text = fs.readFileSync(path.join(ROOT, file), 'utf8');
      const analysis = analyze(text);
      const got = (analysis.libraryModels ?? []).map((u) => ({
        line: u.line + 1,
        target: u.target,
        state: u.kind === 'load' && (u.conditional || u.inFunction !== undefined) ? 'conditional' : isPretrained(u) ? 'pretrained' : 'random',
        weights: u.weights,
      }));
      assert.deepEqual(got, want.libraryModels, file);
      const advice = adviseAnalysis(analysis, text);
      for (const [name, head] of Object.entries(want.heads)) {
        const model = analysis.models.find((m) => m.name === name);
        assert.ok(model, `${file}: ${name}`);
        const v = advice.verdict(model.layers[0])!;
        assert.notEqual(v.level, 'warning');
        assert.ok(v.message.startsWith('New layer beside the pretrained resnet18'), v.message);
        // The analytic gain agrees with the measured one within 1%.
        assert.ok(Math.abs(v.gain!.perLayer / head.measuredStdRatio - 1) < 0.01, `${name}: ${v.gain!.perLayer} vs ${head.measuredStdRatio}`);
      }
    }
  });
});

describe('pretrained weights: initlens analyze --json', () => {
  it('library models carry their state; verdicts only on the added or replaced layers', async () => {
    const { runInMemory } = await import('./cliHarness');
    const text = lines(...HEAD, 'model = models.resnet18(weights="IMAGENET1K_V1")', 'model.fc = nn.Linear(512, 10)');
    const run = runInMemory(['analyze', '--json', 'tl.py'], { 'tl.py': text });
    assert.equal(await run.code, 0, run.stderr);
    const out = JSON.parse(run.stdout) as { models: { name: string; layers: { verdict: { level: string; rule: string; message: string } }[] }[]; libraryModels: Record<string, unknown>[] };
    assert.deepEqual(out.libraryModels, [
      { line: 5, kind: 'construct', source: 'torchvision', callee: 'torchvision.models.resnet18', architecture: 'resnet18', target: 'model', inClass: null, pretrained: true, weights: 'IMAGENET1K_V1', state: 'pretrained (IMAGENET1K_V1): not initialized at random' },
    ]);
    assert.deepEqual(out.models.map((m) => m.name), ['model.fc']);
    const v = out.models[0].layers[0].verdict;
    assert.deepEqual([v.level, v.rule], ['ok', 'output']);
    assert.ok(v.message.startsWith('New layer beside the pretrained resnet18 (IMAGENET1K_V1) (line 6)'), v.message);
  });
});
