/**
 * The advice of issue 14: InitLens's ⚠ against the answer keys measured in
 * PyTorch (scripts/advice/keys.py, test/fixtures/advice/<corpus>/keys.json),
 * the corpora's targets (no ⚠ on a healthy layer, ⚠ on every broken model), the lens, the hover and the diagnostic agreeing on every
 * layer (the pure functions the adapters call), the context rules with numbers
 * computed by hand, and the README's rule table.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { loadCorpusFile, score, type CorpusFile, type CorpusKey } from '../../src/core/advice/corpus';
import { adviseAnalysis } from '../../src/core/advice/judge';
import { lensOf } from '../../src/core/advice/present';
import { ADVICE_RULE_INFO, ADVICE_RULES, type AdviceOptions } from '../../src/core/advice/rules';
import { adviceRuleId, checkDocument } from '../../src/core/diagnostics/rules';
import { layerHoverMarkdown } from '../../src/core/hovers';
import { ModelAnalyzer } from '../../src/core/model/analyze';
import { mainParam } from '../../src/core/model/layer';
import { parsePython } from '../../src/core/python/parse';
import { analyzeSeeding } from '../../src/core/seeding/analyze';
import { ADVICE_DISAGREEMENTS } from '../fixtures/advice/disagreements';
import { ROOT } from '../host/paths';

const read = (p: string) => fs.readFileSync(path.join(ROOT, p), 'utf8');
const healthy: CorpusKey = JSON.parse(read('test/fixtures/advice/healthy/keys.json'));
const broken: CorpusKey = JSON.parse(read('test/fixtures/advice/broken/keys.json'));
const files: CorpusFile[] = [
  ...Object.keys(healthy.files).map((f) => loadCorpusFile('healthy', f, read(f))),
  ...Object.keys(broken.files).map((f) => loadCorpusFile('broken', f, read(path.join('test/fixtures/advice/broken', f)))),
];

function verdicts(text: string, options?: AdviceOptions) {
  const analysis = new ModelAnalyzer().analyze(parsePython(text), text);
  const advice = adviseAnalysis(analysis, text, options);
  const out = new Map<string, ReturnType<typeof advice.verdict>>();
  for (const m of analysis.models) for (const l of m.layers) out.set(`${m.name}.${l.name}`, advice.verdict(l));
  return out;
}

describe('advice corpora', () => {
  it('the keys were measured in PyTorch by scripts/advice/keys.py, with the README\'s thresholds', () => {
    for (const key of [healthy, broken]) {
      assert.equal(key.provenance.script, 'scripts/advice/keys.py');
      assert.match(key.provenance.torch, /^1\.13\./);
      assert.deepEqual(key.provenance.thresholds, { limit: 100, own: 1.1 });
    }
    // 9 models of test/fixtures/realworld and the 4 transfer-learning files of test/fixtures/advice/healthy.
    assert.equal(Object.keys(healthy.files).length, 13);
    assert.equal(Object.keys(broken.files).length, 7);
    // Torch's own verdicts meet the targets: the healthy models train as written, each broken one fails.
    for (const layers of Object.values(healthy.files)) for (const [k, v] of Object.entries(layers)) assert.equal(v.level, 'ok', k);
    for (const [file, layers] of Object.entries(broken.files)) assert.ok(Object.values(layers).some((v) => v.level === 'warning'), file);
  });

  it("InitLens's ⚠ is the measured key's on every layer of both corpora: no ⚠ on a healthy layer, a ⚠ on every broken model", () => {
    const s = score(files, { healthy, broken }, ADVICE_DISAGREEMENTS);
    assert.deepEqual(s.mismatches, []);
    assert.deepEqual(s.unmatched, []);
    // Every documented disagreement still occurs (an entry that no longer differs is removed).
    assert.deepEqual([...s.documented].sort(), ADVICE_DISAGREEMENTS.map((d) => `${d.file} ${d.layer}`).sort());
    assert.equal(s.healthyWarnings, 0);
    assert.equal(s.brokenMissed, 0);
    assert.equal(s.precision, 1);
    assert.equal(s.recall, 1);
    // The transfer files' loaded layers (resnet18 ×3: 20 convs and fc each; VGG16 features[0:23]: 10 convs) get no advice.
    assert.equal(s.pretrainedUnadvised, 21 * 3 - 2 + 10);
  });

  it("the transfer files: loaded layers keyed pretrained from the files' documented loads, replaced heads measured", () => {
    const T = 'test/fixtures/advice/healthy/';
    const tutorial = healthy.files[`${T}9bow/PyTorch-tutorials-kr-0.3.1/beginner_source/transfer_learning_tutorial.py`];
    const manifest: { files: { file: string }[] } = JSON.parse(read(`${T}manifest.json`));
    for (const { file } of manifest.files) assert.ok(healthy.files[T + file], file);
    // resnet18(pretrained=True) twice, each fc replaced by nn.Linear(512, 2) after the load (lines 258, 305).
    for (const v of ['model_ft', 'model_conv']) {
      const layers = Object.entries(tutorial).filter(([k]) => k.startsWith(`${v}.`));
      assert.equal(layers.length, 21);
      assert.deepEqual(layers.filter(([, x]) => x.rule !== 'pretrained').map(([k]) => k), [`${v}.fc`]);
      const head = tutorial[`${v}.fc`];
      assert.equal(head.level, 'ok');
      // U(±1/√512) on the backbone's features: ×0.577 analytic on unit inputs (pretrained_heads.py ×0.578); 2 units, one seeded batch.
      assert.ok(head.forward! > 0.1 && head.forward! < 1, `${head.forward}`);
      assert.ok(Math.abs(head.backward! - Math.sqrt(2 / (3 * 512))) < 0.005, `${head.backward}`);
      const judged = files.find((f) => f.file.endsWith('transfer_learning_tutorial.py'))!.layers.get(`${v}.fc`);
      assert.equal(judged?.layer.type, 'Linear');
    }
    const vgg = healthy.files[`${T}pytorch/examples/fast_neural_style/neural_style/vgg.py`];
    assert.deepEqual(Object.keys(vgg), ['0', '2', '5', '7', '10', '12', '14', '17', '19', '21'].map((i) => `Vgg16.slice${+i < 4 ? 1 : +i < 9 ? 2 : +i < 16 ? 3 : 4}.${i}`).sort());
    assert.ok(Object.values(healthy.files[`${T}pytorch/examples/cpp/transfer-learning/convert.py`]).every((x) => x.rule === 'pretrained'));
    const tf = healthy.files[`${T}tensorflow/examples/lite/examples/model_personalization/transfer_learning/generate_training_model.py`];
    assert.deepEqual(Object.keys(tf), ['TransferLearningModel.ws']);
    assert.deepEqual([tf['TransferLearningModel.ws'].level, tf['TransferLearningModel.ws'].forward], ['ok', 0]);
  });

  it('lens, hover and diagnostic agree on every layer of both corpora, at both levels', () => {
    for (const level of ['problems', 'suggestions'] as const) {
      const options: AdviceOptions = { level, disabled: new Set() };
      for (const f of files) {
        const tree = parsePython(f.text);
        const findings = checkDocument({ text: f.text, tree, seeding: analyzeSeeding(tree, f.text), models: f.analysis }, { seed: 0, deterministic: true, warnOnly: false, advice: options });
        const advice = adviseAnalysis(f.analysis, f.text, options);
        for (const [key, { model, layer }] of f.layers) {
          const v = advice.verdict(layer);
          const lens = lensOf(layer, v, level);
          const hover = layerHoverMarkdown(model, layer, 'file:///x.py', 'initlens.applyInit', { verdict: v, level });
          const param = mainParam(layer);
          const at = param?.current.source === 'explicit' && param.current.at ? param.current.at : (layer.kernelInitializer ?? layer.span);
          // Layers one call builds share one finding (per cure), named `blocks.0 … blocks.49 (50 layers)`, in its first layer's words.
          const diagnostic = v && findings.find((d) => d.rule === adviceRuleId(v) && d.from === at.from && d.to === at.to && (d.message.endsWith(`: ${v.message}`) || / \(\d+ layers\): /.test(d.message)));
          const warn = v?.level === 'warning';
          assert.equal(lens?.title.startsWith('$(warning)') ?? false, warn, `${f.file} ${key} lens`);
          assert.equal(hover.includes('$(warning)'), warn, `${f.file} ${key} hover`);
          assert.equal(diagnostic?.severity === 'warning', warn, `${f.file} ${key} diagnostic`);
          // Apply on the lens exactly where the diagnostic has a quick fix (small_normal_deep's shared modules() loop included).
          if (diagnostic) assert.equal(lens?.apply ?? false, diagnostic.fix !== undefined, `${f.file} ${key} Apply vs quick fix`);
          // A note shows (as information) exactly at the suggestions level.
          if (v?.level === 'note') assert.equal(diagnostic?.severity === 'information', level === 'suggestions', `${f.file} ${key} note`);
        }
      }
    }
  });
});

describe('advice rules', () => {
  it("the issue's Keras example: Dense(64, tanh, he_normal), fan_in 5408 — ok everywhere (lens, hover, diagnostic)", () => {
    const text = `import keras\nfrom keras import layers\n\nmodel = keras.Sequential([\n    keras.Input(shape=(5408,)),\n    layers.Dense(64, activation="tanh", kernel_initializer="he_normal"),\n    layers.Dense(10, activation="softmax"),\n])\n`;
    const v = [...verdicts(text).values()];
    // He: std √(2/5408) = 0.01923, within 1% of Glorot normal's √(2/(5408+64)) = 0.01912. Tanh, w = 2:
    // forward √E[tanh(√2·z)²] = 0.7211, backward √(2·E[tanh'(√2·z)²]) = 0.8361 (gains.json: 0.7212, 0.8357).
    assert.equal(v[0]?.level, 'ok');
    assert.equal(v[0]?.message, "he_normal (std 0.019) before Tanh: the signal's std changes ×0.72 per layer (analytic): fine.");
    assert.ok(Math.abs(v[0]!.gain!.perLayer - 0.7211) < 1e-4);
    assert.equal(v[1]?.level, 'ok');
    assert.equal(v[1]?.rule, 'output');
  });

  it('nanoGPT: every layer ok under the GPT-2 rule, residual projections recognized, never Kaiming', () => {
    const v = verdicts(read('test/fixtures/realworld/karpathy/nanoGPT/model.py'));
    for (const [key, verdict] of v) {
      if (!verdict) continue;
      assert.equal(verdict.level, 'ok', key);
      assert.ok(!/kaiming|\bHe\b/.test(verdict.message), key);
    }
    assert.match(v.get('MLP.c_proj')?.message ?? '', /0\.02\/√\(2·n_layer\)/);
    assert.equal(v.get('GPT.transformer.wte')?.rule, 'embedding');
  });

  it('BatchNorm after the layer: no warning even for N(0, 0.01); without it the same deep net warns', () => {
    const layers = (bn: boolean) => Array.from({ length: 8 }, () => `nn.Linear(256, 256), ${bn ? 'nn.BatchNorm1d(256), ' : ''}nn.ReLU(),`).join('\n    ');
    const net = (bn: boolean) =>
      `import torch.nn as nn\n\nclass Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.net = nn.Sequential(\n    ${layers(bn)}\n    nn.Linear(256, 10),\n)\n        for m in self.modules():\n            if isinstance(m, nn.Linear):\n                nn.init.normal_(m.weight, 0.0, 0.01)\n\n    def forward(self, x):\n        return self.net(x)\n`;
    const withBn = [...verdicts(net(true)).values()].filter((x) => x);
    assert.ok(withBn.every((x) => x!.level !== 'warning'));
    assert.equal(withBn[0]?.rule, 'normalizer');
    const without = [...verdicts(net(false)).values()].filter((x) => x);
    // w = 256·0.01² = 0.0256; ReLU: √(w/2) = 0.1131 per layer, 0.1131^8 = 2.68e-8 over the 8.
    assert.equal(without[0]?.level, 'warning');
    assert.ok(Math.abs(without[0]!.gain!.perLayer - Math.sqrt(0.0256 / 2)) < 1e-12);
    assert.ok(Math.abs(without[0]!.gain!.compound / Math.sqrt(0.0256 / 2) ** 8 - 1) < 1e-9);
    assert.equal(without[0]?.gain?.layers, 8);
  });

  it("a chain's compound is taken over each layer's own scale; a layer that does not add to it is spared", () => {
    // Keras's glorot_uniform: the first Dense (784→256) has w = 784·2/1040 = 1.5077, ReLU gain √(w/2) = 0.8682;
    // the 15 others w = 1, √0.5 each: 0.8682·0.5^7.5 = 4.796e-3 over the 16 (torch: keys.json, every one a warning).
    const keras = verdicts(read('test/fixtures/advice/broken/keras_glorot_relu_16.py'));
    const first = keras.get('model.dense');
    assert.equal(first?.level, 'warning');
    assert.ok(Math.abs(first!.gain!.compound / (Math.sqrt(784 / 1040) * 0.5 ** 7.5) - 1) < 1e-9);
    assert.match(first!.message, /×0\.87 in this layer, ×0\.72 per layer \(analytic\); over the 16 layers like it ×4\.8e-3/);
    assert.equal(keras.get('model.dense_7')?.level, 'warning');
    // One He layer among 19 Xavier ReLU layers: ×1 by itself, so it does not compound the chain's ×0.71^19 = 1.4e-3.
    const text = [
      'import torch',
      'import torch.nn as nn',
      'class Net(nn.Module):',
      '    def __init__(self):',
      '        super().__init__()',
      '        self.first = nn.Linear(256, 256)',
      '        self.layers = nn.ModuleList([nn.Linear(256, 256) for _ in range(19)])',
      '        self.head = nn.Linear(256, 10)',
      '        nn.init.kaiming_normal_(self.first.weight, nonlinearity="relu")',
      '        for layer in self.layers:',
      '            nn.init.xavier_normal_(layer.weight)',
      '    def forward(self, x):',
      '        x = torch.relu(self.first(x))',
      '        for layer in self.layers:',
      '            x = torch.relu(layer(x))',
      '        return self.head(x)',
      '',
    ].join('\n');
    const v = verdicts(text);
    assert.equal(v.get('Net.first')?.level, 'ok');
    assert.match(v.get('Net.first')!.message, /to which this layer does not add/);
    assert.equal(v.get('Net.layers')?.level ?? v.get('Net.layers.0')?.level, 'warning');
  });

  it('an init call shared by layers with different cures: no Apply and no quick fix (small_normal_deep), one where all agree', () => {
    // One normal_(0, 0.01) in a modules() loop for the 8 ReLU layers (He) and the output layer (Xavier/LeCun).
    const shared = [...verdicts(read('test/fixtures/advice/broken/small_normal_deep.py')).values()].filter((v) => v?.level === 'warning');
    assert.equal(shared.length, 8);
    assert.ok(shared.every((v) => v!.fix === undefined));
    // zeros_ written per layer: each has its own cure.
    const own = [...verdicts(read('test/fixtures/advice/broken/zeros.py')).values()].filter((v) => v?.level === 'warning');
    assert.equal(own.length, 2);
    assert.ok(own.every((v) => v!.fix !== undefined));
  });

  it("a long chain's compound is computed once for its layers: 2,000 tanh layers (numerically integrated) judged within 5 s", () => {
    const layers = Array.from({ length: 2000 }, () => 'nn.Linear(64, 64), nn.Tanh()').join(', ');
    const text = `import torch.nn as nn\nmodel = nn.Sequential(${layers}, nn.Linear(64, 2))\n`;
    const start = performance.now();
    const v = [...verdicts(text).values()];
    const ms = performance.now() - start;
    // PyTorch's default (w = 1/3) before tanh over 2,000 layers: the signal is gone; every hidden layer says so, with one compound.
    const hidden = v.filter((x) => x?.rule === 'signal-gain');
    assert.equal(hidden.length, 2000);
    assert.ok(hidden.every((x) => x!.level === 'warning' && x!.gain === hidden[0]!.gain), 'one shared compound');
    assert.ok(ms < 5000, `${ms.toFixed(0)} ms`);
  });

  it('rules can be turned off: the judge goes on to the next', () => {
    const text = read('test/fixtures/advice/broken/zeros.py');
    const off = verdicts(text, { level: 'problems', disabled: new Set(['symmetry']) });
    assert.notEqual(off.get('ZeroMLP.fc1')?.rule, 'symmetry');
    assert.equal(verdicts(text).get('ZeroMLP.fc1')?.rule, 'symmetry');
    const gainOff = verdicts(read('test/fixtures/advice/broken/xavier_relu_20.py'), { level: 'problems', disabled: new Set(['signal-gain']) });
    assert.ok([...gainOff.values()].every((x) => x?.level !== 'warning'));
  });

  it('residual net without norm: √(1 + branch gain²) per block, compounded over the blocks', () => {
    const v = verdicts(read('test/fixtures/advice/broken/residual_no_norm.py')).get('Block.fc2');
    // He on fc1 (ReLU): q = 1; fc2 He, no activation: q = 2 → √3 per block, over 16 blocks 3^8 = 6561.
    assert.equal(v?.rule, 'residual');
    assert.equal(v?.level, 'warning');
    assert.ok(Math.abs(v!.gain!.perLayer - Math.sqrt(3)) < 1e-12);
    assert.ok(Math.abs(v!.gain!.compound - 6561) < 1e-6);
    // fc1 compounds the same growth (torch measures its input gradient ×1.23 per block, keys.json): Fixup scales it by L^(−1/(2m−2)) = 16^(−1/2).
    const fc1 = verdicts(read('test/fixtures/advice/broken/residual_no_norm.py')).get('Block.fc1');
    assert.deepEqual([fc1?.level, fc1?.rule], ['warning', 'residual']);
    assert.match(fc1!.message, /16\^\(−1\/2\) = 0\.25/);
    assert.equal(fc1?.fix, undefined);
  });

  it('LSTM, embedding, SELU, bias and a zero output layer, each by its own rule', () => {
    const text = [
      'import torch',
      'import torch.nn as nn',
      'class Rnn(nn.Module):',
      '    def __init__(self):',
      '        super().__init__()',
      '        self.lstm = nn.LSTM(32, 64)',
      '        self.emb = nn.Embedding(1000, 32)',
      '    def forward(self, x):',
      '        return self.lstm(self.emb(x))',
      'class Selu(nn.Module):',
      '    def __init__(self):',
      '        super().__init__()',
      '        self.fc1 = nn.Linear(256, 256)',
      '        self.fc2 = nn.Linear(256, 256)',
      '        self.head = nn.Linear(256, 2)',
      '        nn.init.constant_(self.fc2.bias, 0.5)',
      '        nn.init.zeros_(self.head.weight)',
      '    def forward(self, x):',
      '        x = torch.selu(self.fc1(x))',
      '        x = torch.relu(self.fc2(x))',
      '        return self.head(x)',
      '',
    ].join('\n');
    const v = verdicts(text);
    const rule = (k: string) => [v.get(k)?.level, v.get(k)?.rule];
    assert.deepEqual(rule('Rnn.lstm'), ['note', 'lstm']);
    assert.deepEqual(rule('Rnn.emb'), ['ok', 'embedding']);
    // PyTorch's default (w = 1/3) before SELU: √E[selu(√(1/3)·z)²] = 0.6469 (torch, 4·10⁶ draws).
    assert.deepEqual(rule('Selu.fc1'), ['note', 'selu']);
    assert.ok(Math.abs(v.get('Selu.fc1')!.gain!.perLayer - 0.6469) < 5e-4);
    assert.deepEqual(rule('Selu.fc2'), ['note', 'bias']);
    // Zeros on the output layer: common practice, not a symmetry warning.
    assert.deepEqual(rule('Selu.head'), ['ok', 'output']);
  });

  it('residual with BatchNorm: the zero-γ note on the last conv of each branch; a transformer without GPT init: a note, no Kaiming', () => {
    const resnet = verdicts(read('test/fixtures/realworld/kuangliu/pytorch-cifar/models/resnet.py'));
    assert.deepEqual([resnet.get('BasicBlock.conv2')?.level, resnet.get('BasicBlock.conv2')?.rule], ['note', 'residual']);
    assert.deepEqual([resnet.get('BasicBlock.conv1')?.level, resnet.get('BasicBlock.conv1')?.rule], ['ok', 'normalizer']);
    const vit = verdicts(read('test/fixtures/realworld/lucidrains/vit-pytorch/vit_pytorch/vit.py'));
    const judged = [...vit.values()].filter((x) => x && x.rule === 'transformer');
    assert.ok(judged.length > 0);
    for (const x of judged) {
      assert.equal(x!.level, 'note');
      // It names the default in effect (kaiming_uniform_), but advises nothing Kaiming and has no Apply.
      assert.equal(x!.fix, undefined);
      assert.ok(!/kaiming_normal|He\b/.test(x!.message), x!.message);
    }
  });

  it('the README lists every rule with its source', () => {
    const readme = read('README.md');
    const section = readme.slice(readme.indexOf('## What InitLens recommends and why'), readme.indexOf('\n## ', readme.indexOf('## What InitLens recommends and why') + 1));
    assert.ok(section.length > 100);
    for (const rule of ADVICE_RULES) {
      assert.ok(section.includes(`| \`${rule}\` |`), rule);
      assert.ok(section.includes(ADVICE_RULE_INFO[rule].source.url), `${rule} source`);
    }
  });

  it('a scheme note cites the paper of the scheme it names: Glorot & Bengio for Xavier before tanh, He et al. for Kaiming before ReLU', () => {
    const text = [
      'import torch',
      'import torch.nn as nn',
      'class Net(nn.Module):',
      '    def __init__(self):',
      '        super().__init__()',
      '        self.a = nn.Linear(64, 64)',
      '        self.b = nn.Linear(64, 64)',
      '        self.out = nn.Linear(64, 2)',
      '    def forward(self, x):',
      '        return self.out(torch.relu(self.b(torch.tanh(self.a(x)))))',
      '',
    ].join('\n');
    const v = verdicts(text, { level: 'suggestions', disabled: new Set() });
    assert.deepEqual([v.get('Net.a')?.rule, v.get('Net.a')?.fix?.name.startsWith('xavier'), v.get('Net.a')?.source.title.startsWith('Glorot & Bengio')], ['scheme', true, true]);
    assert.deepEqual([v.get('Net.b')?.rule, v.get('Net.b')?.fix?.name.startsWith('kaiming'), v.get('Net.b')?.source.title.startsWith('He et al.')], ['scheme', true, true]);
  });
});
