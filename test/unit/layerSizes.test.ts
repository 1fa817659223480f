/**
 * Layer sizes that PyTorch or Keras would reject are shown as problems at the
 * layer, with no number derived from them; counts stay exact; and the one
 * layer table drives exact mode for every module kind, checked bit for bit
 * against PyTorch where `/usr/bin/python3 -c "import torch"` works (skipped
 * with a visible message elsewhere). The verdicts in CASES were recorded by
 * running torch 1.13 on each constructor call; the live test re-checks them.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { checkDocument } from '../../src/core/diagnostics/rules';
import { layerHoverMarkdown } from '../../src/core/hovers';
import { planApply, EditRefused } from '../../src/core/edits/applyInit';
import { ModelAnalyzer } from '../../src/core/model/analyze';
import { describeModel, layerSummary } from '../../src/core/model/describe';
import { isFloatSyntax } from '../../src/core/model/evaluate';
import type { Model } from '../../src/core/model/types';
import { previewProblem } from '../../src/core/preview/requests';
import { parsePython } from '../../src/core/python/parse';
import { analyzeSeeding } from '../../src/core/seeding/analyze';
import { exactParameters } from '../../src/core/torch/exact';
import { ROOT } from '../host/paths';
import { mulberry32 } from '../fuzz/random';

const PYTHON = '/usr/bin/python3';
const HEAD = 'import torch\nimport torch.nn as nn\n';

function analyze(text: string): readonly Model[] {
  return new ModelAnalyzer().analyze(parsePython(text), text).models;
}

/** The one layer of `nn.Sequential(<call>)`, after `prelude` (module constants). */
function layerOf(call: string, prelude = '') {
  const models = analyze(`${HEAD}${prelude}model = nn.Sequential(${call})\n`);
  assert.equal(models.length, 1, call);
  return models[0].layers[0];
}

function torchAvailable(): boolean {
  return spawnSync(PYTHON, ['-c', 'import torch, numpy'], { encoding: 'utf8' }).status === 0;
}

/**
 * Constructor calls, what torch 1.13 does with each (`ok`, or the exception
 * it raises), and the problem InitLens reports (none when PyTorch builds it).
 * `stricter`: InitLens reports what PyTorch happens to accept.
 */
const CASES: { call: string; prelude?: string; torch: string; problem?: string; stricter?: string }[] = [
  { call: 'nn.Linear(-5, 3)', torch: 'RuntimeError', problem: 'in_features = -5 is negative' },
  { call: 'nn.Linear(4 * 1e308, 2)', torch: 'TypeError', problem: 'in_features = 4 * 1e308 (inf) is a float; PyTorch needs an int' },
  { call: 'nn.Linear(2.5, 3)', torch: 'TypeError', problem: 'in_features = 2.5 is a float; PyTorch needs an int' },
  { call: 'nn.Linear(2.0, 3)', torch: 'TypeError', problem: 'in_features = 2.0 is a float; PyTorch needs an int' },
  { call: 'nn.Linear(HIDDEN / 2, 3)', prelude: 'HIDDEN = 64\n', torch: 'TypeError', problem: 'in_features = HIDDEN / 2 (32.0) is a float; PyTorch needs an int' },
  { call: 'nn.Linear(HIDDEN // 2, 3)', prelude: 'HIDDEN = 64\n', torch: 'ok' },
  { call: 'nn.Linear(3, "8")', torch: 'TypeError', problem: 'out_features = "8" is a string, not an int' },
  { call: 'nn.Linear(3, None)', torch: 'TypeError', problem: 'out_features = None is None, not an int' },
  { call: 'nn.Linear(True, 3)', torch: 'ok', problem: 'in_features = True is a bool, not an int', stricter: 'torch.empty reads a bool as 0/1 in some positions only' },
  { call: 'nn.Linear(0, 3)', torch: 'ok' },
  { call: 'nn.Linear(3, 0)', torch: 'ok' },
  { call: 'nn.Linear(3, 10**23)', torch: 'TypeError', problem: 'out_features = 10**23 (1e+23) is beyond int64; PyTorch rejects it' },
  { call: 'nn.Embedding(2**53 + 2, 0)', torch: 'ok', problem: 'num_embeddings = 2**53 + 2 (9007199254740994) is beyond 9,007,199,254,740,991, the largest size InitLens computes with (limit layerSize)', stricter: 'a limit of InitLens (exact integers in a double)' },
  { call: 'nn.Bilinear(0, 3, 2)', torch: 'ZeroDivisionError', problem: 'in1_features = 0 must be at least 1' },
  { call: 'nn.Bilinear(3, 0, 2)', torch: 'ok' },
  { call: 'nn.Conv2d(4, 8, 3, groups=3)', torch: 'ValueError', problem: 'in_channels = 4 is not divisible by groups = 3' },
  { call: 'nn.Conv2d(4, 6, 3, groups=4)', torch: 'ValueError', problem: 'out_channels = 6 is not divisible by groups = 4' },
  { call: 'nn.Conv2d(4, 4, 3, groups=0)', torch: 'ValueError', problem: 'groups = 0 must be at least 1' },
  { call: 'nn.Conv2d(4, 4, (3, -1))', torch: 'RuntimeError', problem: 'kernel_size = (3, -1) has an element that is negative' },
  { call: 'nn.Conv2d(0, 4, 3)', torch: 'ok' },
  { call: 'nn.ConvTranspose2d(4, 0, 3)', torch: 'ok' },
  { call: 'nn.Embedding(10, 3, padding_idx=10)', torch: 'AssertionError', problem: 'padding_idx = 10 is not within num_embeddings = 10' },
  { call: 'nn.Embedding(10, 3, padding_idx=-10)', torch: 'ok' },
  { call: 'nn.Embedding(0, 3)', torch: 'ok' },
  { call: 'nn.LSTM(-1, -1)', torch: 'ValueError', problem: 'input_size = -1 is negative; hidden_size = -1 is negative' },
  { call: 'nn.LSTM(3, 0)', torch: 'ValueError', problem: 'hidden_size = 0 must be at least 1' },
  { call: 'nn.LSTM(3, 4, 0)', torch: 'IndexError', problem: 'num_layers = 0 must be at least 1' },
  { call: 'nn.LSTM(3, 4, 2.0)', torch: 'TypeError', problem: 'num_layers = 2.0 is a float; PyTorch needs an int' },
  { call: 'nn.LSTM(3, 4, proj_size=4)', torch: 'ValueError', problem: 'proj_size = 4 is not smaller than hidden_size = 4' },
  { call: 'nn.GRU(3, 4, proj_size=2)', torch: 'ValueError', problem: 'proj_size = 2: only LSTM has projections' },
  { call: 'nn.LSTM(0, 4)', torch: 'ok' },
  { call: 'nn.LSTMCell(3, 0)', torch: 'ok' },
  { call: 'nn.LSTMCell(3, -1)', torch: 'RuntimeError', problem: 'hidden_size = -1 is negative' },
  { call: 'nn.MultiheadAttention(0, 1)', torch: 'ZeroDivisionError', problem: 'embed_dim = 0 must be at least 1' },
  { call: 'nn.MultiheadAttention(4, 1, kdim=-1)', torch: 'RuntimeError', problem: 'kdim = -1 is negative' },
  { call: 'nn.MultiheadAttention(4, 1, kdim=0)', torch: 'ok' },
  { call: 'nn.MultiheadAttention(2, 1, kdim=2, vdim=2.0)', torch: 'ok', problem: 'vdim = 2.0 is a float; PyTorch needs an int', stricter: 'PyTorch builds no tensor from a kdim/vdim equal to embed_dim (2.0 == 2)' },
  { call: 'nn.TransformerEncoderLayer(0, 1)', torch: 'ZeroDivisionError', problem: 'd_model = 0 must be at least 1' },
  { call: 'nn.TransformerEncoderLayer(4, 1, 0)', torch: 'ok' },
  { call: 'nn.BatchNorm1d(-2)', torch: 'RuntimeError', problem: 'num_features = -2 is negative' },
  { call: 'nn.LayerNorm([3, 2.5])', torch: 'TypeError', problem: 'normalized_shape = [3, 2.5] has an element that is a float; PyTorch needs an int' },
  { call: 'nn.GroupNorm(2, 0)', torch: 'ok' },
  { call: 'nn.GroupNorm(3, 4)', torch: 'ValueError', problem: 'num_channels = 4 is not divisible by num_groups = 3' },
  { call: 'nn.GroupNorm(0, 4)', torch: 'ZeroDivisionError', problem: 'num_channels = 4 is not divisible by num_groups = 0' },
  { call: 'nn.MultiheadAttention(6, 4)', torch: 'AssertionError', problem: 'embed_dim = 6 is not divisible by num_heads = 4' },
  { call: 'nn.MultiheadAttention(6, -3)', torch: 'ok' },
  { call: 'nn.MultiheadAttention(6, None)', torch: 'TypeError', problem: 'num_heads = None is not a number' },
  { call: 'nn.TransformerEncoderLayer(6, 0)', torch: 'ZeroDivisionError', problem: 'd_model = 6 is not divisible by nhead = 0' },
];

describe('layer sizes PyTorch would reject', () => {
  it('the reproducer negative_and_infinite_dims.py: problems at the layer, no fans, counts, std, bounds, Preview or Apply', () => {
    const text = fs.readFileSync(path.join(ROOT, 'test/fixtures/reliability/negative_and_infinite_dims.py'), 'utf8');
    const [model] = analyze(text);
    assert.deepEqual(model.layers.map((l) => [l.name, (l.problems ?? []).map((p) => p.message)]), [
      ['rnn', ['input_size = -1 is negative', 'hidden_size = -1 is negative']],
      ['fc', ['in_features = -5 is negative']],
      ['big', ['in_features = 4 * 1e308 (inf) is a float; PyTorch needs an int']],
    ]);
    for (const layer of model.layers) {
      assert.equal(layer.fanIn, undefined, layer.name);
      assert.equal(layer.fanOut, undefined, layer.name);
      assert.deepEqual(layer.paramCount, { symbol: '?' }, layer.name);
      for (const p of layer.params) {
        assert.equal(p.count, undefined, `${layer.name}.${p.name}`);
        assert.equal(p.resolved, undefined, `${layer.name}.${p.name}`);
        assert.equal(p.recommended, undefined, `${layer.name}.${p.name}`);
        assert.equal(p.recommendation, undefined, `${layer.name}.${p.name}`);
      }
      assert.match(previewProblem(layer) ?? '', new RegExp(`^${layer.name}: ${layer.problems![0].message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.$`));
      // The layer lens shows this text instead of a recommendation and numbers.
      assert.equal(layerSummary(layer), layer.problems!.map((p) => p.message).join('; '));
    }
    assert.deepEqual(model.paramCount, { symbol: '?' });
    // Each problem points at the argument as written.
    const at = model.layers.flatMap((l) => (l.problems ?? []).map((p) => text.slice(p.at!.from, p.at!.to)));
    assert.deepEqual(at, ['-1', '-1', '-5', '4 * 1e308']);
    const json = describeModel(model);
    assert.deepEqual(json.layers.map((l) => [l.fanIn, l.fanOut, l.params, l.recommended, l.current?.std]), [[null, null, null, null, null], [null, null, null, null, null], [null, null, null, null, null]]);
    assert.deepEqual(json.layers[1].problems, [{ argument: 'in_features', message: 'in_features = -5 is negative' }]);
    assert.throws(() => planApply(model, text, analyzeSeeding(parsePython(text), text).imports), (e: unknown) => e instanceof EditRefused);
  });

  it('the layer hover shows the problem, escaped, instead of the numbers table and the Apply link', () => {
    const text = `${HEAD}model = nn.Sequential(nn.Linear("[x](command:initlens.applyInit)", 3), nn.ReLU())\n`;
    const [model] = analyze(text);
    const md = layerHoverMarkdown(model, model.layers[0], 'file:///m.py', 'initlens.applyInit');
    assert.equal(md, [
      '**InitLens** · `Linear` 0 in model',
      '',
      // Every ASCII punctuation mark of the text is backslash-escaped (core/markdown.ts): the link is plain text.
      '$(error) in\\_features \\= \\"\\[x\\]\\(command\\:initlens\\.applyInit\\)\\" is a string\\, not an int\\.',
      '',
      'PyTorch would reject these arguments, so InitLens shows no sizes or numbers for this layer.',
      '',
      '[torch\\.nn\\.init docs](https://pytorch.org/docs/stable/nn.init.html)',
    ].join('\n'));
    assert.ok(!md.includes('| fan_in') && !md.includes('command:initlens.applyInit?'));
  });

  it('an error diagnostic at each rejected argument, and no init diagnostics for the layer', () => {
    const text = fs.readFileSync(path.join(ROOT, 'test/fixtures/reliability/negative_and_infinite_dims.py'), 'utf8');
    const tree = parsePython(text);
    const findings = checkDocument({ text, tree, seeding: analyzeSeeding(tree, text), models: new ModelAnalyzer().analyze(tree, text) }, { seed: 42, deterministic: true, warnOnly: false }, new Set(['invalidLayerSize', 'symmetricInit', 'signalGain']));
    assert.deepEqual(findings.map((f) => [f.rule, f.severity, text.slice(f.from, f.to), f.message]), [
      ['invalidLayerSize', 'error', '-1', 'LSTM rnn: input_size = -1 is negative; PyTorch would reject it.'],
      ['invalidLayerSize', 'error', '-1', 'LSTM rnn: hidden_size = -1 is negative; PyTorch would reject it.'],
      ['invalidLayerSize', 'error', '-5', 'Linear fc: in_features = -5 is negative; PyTorch would reject it.'],
      ['invalidLayerSize', 'error', '4 * 1e308', 'Linear big: in_features = 4 * 1e308 (inf) is a float; PyTorch needs an int; PyTorch would reject it.'],
    ]);
    assert.equal(new Set(findings.map((f) => f.from)).size, 4, 'the two -1 are different arguments');
    // A limit of InitLens's own is a warning that does not blame PyTorch.
    const deep = `${HEAD}model = nn.Sequential(nn.Embedding(2 ** 53 + 2, 0))\n`;
    const deepTree = parsePython(deep);
    const limit = checkDocument({ text: deep, tree: deepTree, seeding: analyzeSeeding(deepTree, deep), models: new ModelAnalyzer().analyze(deepTree, deep) }, { seed: 42, deterministic: true, warnOnly: false }, new Set(['invalidLayerSize']));
    assert.deepEqual(limit.map((f) => [f.severity, deep.slice(f.from, f.to), f.message]), [
      ['warning', '2 ** 53 + 2', 'Embedding 0: num_embeddings = 2 ** 53 + 2 (9007199254740994) is beyond 9,007,199,254,740,991, the largest size InitLens computes with (limit layerSize); InitLens shows no numbers for this layer.'],
    ]);
  });

  it(`${CASES.length} constructor calls: the problem InitLens reports, or none where PyTorch builds the layer`, () => {
    for (const c of CASES) {
      const layer = layerOf(c.call, c.prelude);
      assert.equal((layer.problems ?? []).map((p) => p.message).join('; ') || undefined, c.problem, c.call);
      // Only InitLens's own limits are marked as such (a warning, not an error).
      assert.equal(layer.problems?.some((p) => p.limit) ?? false, c.stricter?.startsWith('a limit') ?? false, `${c.call}: limit`);
      if (!c.problem) {
        assert.equal(typeof layer.paramCount, 'number', `${c.call}: counted`);
        for (const v of [layer.fanIn, layer.fanOut]) if (typeof v === 'number') assert.ok(Number.isSafeInteger(v) && v >= 0, `${c.call}: fan ${v}`);
        for (const p of layer.params) {
          for (const r of [p.resolved, p.recommended]) if (r) assert.ok(Number.isFinite(r.std) && r.std >= 0 && (r.bound === undefined || Number.isFinite(r.bound)), `${c.call} ${p.name}`);
        }
      }
    }
  });

  it('empty tensors (a 0 size PyTorch accepts) get counts but no distribution numbers', () => {
    const linear = layerOf('nn.Linear(0, 3)');
    assert.deepEqual([linear.fanIn, linear.fanOut, linear.paramCount], [0, 3, 3]);
    const [weight, bias] = linear.params;
    assert.deepEqual([weight.count, weight.resolved, weight.recommended], [0, undefined, undefined]);
    // Linear.reset_parameters: bound = 0 when fan_in is 0, so the bias is U(-0, 0) = 0.
    assert.deepEqual([bias.count, bias.resolved?.std], [3, 0]);
    const cell = layerOf('nn.LSTMCell(3, 0)');
    assert.equal(cell.paramCount, 0);
    assert.ok(cell.params.every((p) => p.resolved === undefined && p.recommended === undefined));
  });

  it('Keras: rejected units, and widths inferred from them or from a negative input_shape, give no numbers (and do not throw)', () => {
    const text = [
      'from tensorflow import keras',
      'a = keras.Sequential([keras.layers.Dense(-5, input_shape=(3,)), keras.layers.Dense(4), keras.layers.Dense(2.5), keras.layers.Dense(3)])',
      'b = keras.Sequential([keras.layers.Dense(8, input_shape=(-3,)), keras.layers.Dense(4)])',
      '',
    ].join('\n');
    const [a, b] = analyze(text);
    assert.deepEqual(a.layers.map((l) => [l.name, l.problems?.map((p) => p.message), l.paramCount, l.fanIn]), [
      ['dense', ['units = -5 is negative'], { symbol: '?' }, undefined],
      ['dense_1', undefined, { symbol: '?' }, undefined],
      ['dense_2', ['units = 2.5 is a float; Keras needs an int'], { symbol: '?' }, undefined],
      ['dense_3', undefined, { symbol: '?' }, undefined],
    ]);
    // Keras 3 compute_fans of the (8, 4) kernel: fan_in 8, fan_out 4; 8·4 + 4 parameters.
    assert.deepEqual(b.layers.map((l) => [l.name, l.paramCount, l.fanIn, l.fanOut]), [['dense', { symbol: '?' }, undefined, undefined], ['dense_1', 36, 8, 4]]);
    assert.match(previewProblem(b.layers[0]) ?? '', /not known/);
  });

  it('isFloatSyntax: float literals, true division and float operands; ints and names are not', () => {
    const expr = (src: string) => {
      const text = `x = ${src}\n`;
      const tree = parsePython(text);
      const node = tree.topNode.firstChild!.lastChild!;
      return isFloatSyntax(node, text);
    };
    assert.deepEqual(['2.0', '1e3', '-2.5', '(4) / 2', 'h * 1.0', '2 ** 0.5', '-(3 // 1.0)'].map(expr), [true, true, true, true, true, true, true]);
    assert.deepEqual(['2', '0x1e', '-5', '4 // 2', 'h * 2', '0b10 + 1', 'h'].map(expr), [false, false, false, false, false, false, false]);
  });
});

describe('exact parameter counts', () => {
  it('counts above 2^53 − 1 are exact digits, not rounded doubles; totals too', () => {
    const [model] = analyze(`${HEAD}model = nn.Sequential(nn.Embedding(2**40 + 1, 2**20), nn.Embedding(2**40 + 1, 2**20))\n`);
    const one = (2n ** 40n + 1n) * 2n ** 20n;
    assert.deepEqual(model.layers[0].paramCount, { symbol: one.toLocaleString('en-US') });
    assert.equal(model.layers[0].params[0].count, undefined, 'no rounded per-tensor count');
    assert.deepEqual(model.paramCount, { symbol: (2n * one).toLocaleString('en-US') });
    const json = describeModel(model);
    assert.equal(json.params, (2n * one).toString());
    assert.equal(json.layers[0].params, one.toString());
    // 1152922604118474752 is not a double: Number() would have said ...474800.
    assert.notEqual(String(Number(one)), one.toString());
  });

  it('exact mode refuses a recurrent stack deeper than the layers the table lists, with the limit, instead of replaying part of it', () => {
    const text = `${HEAD}torch.manual_seed(0)\nmodel = nn.Sequential(nn.LSTM(2, 2, 1001))\n`;
    const [model] = analyze(text);
    // 1001 layers of 4·2·(2 + 2) + 2·4·2 = 48 parameters each, counted in closed form.
    assert.equal(model.layers[0].paramCount, 48 * 1001);
    assert.throws(() => exactParameters(model, 0n), /^LimitError: 0 \(LSTM\): 1,001 layers is above the limit of 1,000 layers for recurrent layers listed per module$/);
  });

  it('exact mode refuses a layer with a rejected size, and everything drawn after it is distribution only', () => {
    const text = `${HEAD}torch.manual_seed(0)\nmodel = nn.Sequential(nn.Linear(2, 2), nn.Linear(2.0, 3), nn.Linear(3, 3))\n`;
    const params = exactParameters(analyze(text)[0], 0n);
    assert.deepEqual(params.map((p) => [p.name, p.exact]), [['0.weight', true], ['0.bias', true], ['1.weight', false], ['1.bias', false], ['2.weight', false], ['2.bias', false]]);
    assert.match(params[2].reason!, /in_features = 2\.0 is a float/);
    assert.match(params[4].reason!, /stream position after it is unknown/);
  });
});

/** Modules the PyTorch 1.13.1 fixture does not cover, built after a seed and followed by a Linear that shows the stream position. */
const LIVE_MODULES = [
  'Linear(0, 3)', 'Linear(3, 0)', 'Bilinear(3, 4, 2)', 'Conv1d(4, 6, 3, groups=2, bias=False)', 'Conv2d(0, 4, 3)', 'ConvTranspose1d(4, 6, 3, groups=2)',
  'ConvTranspose3d(2, 3, (1, 2, 2))', 'Embedding(6, 3, padding_idx=-1)', 'EmbeddingBag(5, 2)', 'RNN(3, 4, 2, nonlinearity="relu")',
  'LSTM(5, 6, num_layers=2, bidirectional=True, proj_size=2)', 'GRU(3, 4, bias=False)', 'RNNCell(3, 5)', 'GRUCell(2, 3)', 'LSTMCell(4, 0)',
  'MultiheadAttention(8, 2, bias=False)', 'MultiheadAttention(6, 3, kdim=4, vdim=5)', 'TransformerDecoderLayer(8, 2, dim_feedforward=16)',
  'TransformerEncoderLayer(4, 1, 0)', 'GroupNorm(2, 4)', 'LayerNorm((2, 3))', 'BatchNorm3d(3, affine=False)',
];

describe('exact mode from the one layer table, side by side with PyTorch', () => {
  it(`${LIVE_MODULES.length} modules then a Linear: names, shapes and every bit of every tensor PyTorch initializes`, (t) => {
    if (!torchAvailable()) return t.skip(`${PYTHON} -c "import torch" failed: install python3-torch python3-numpy (Debian) to compare with PyTorch itself`);
    const seeds = LIVE_MODULES.map((_, i) => 1000 + i * 7919);
    const script = [
      'import json, sys, torch, numpy as np',
      'torch.set_num_threads(1)',
      'out = []',
      'for seed, module in json.load(sys.stdin):',
      '    torch.manual_seed(seed)',
      "    m = eval('torch.nn.Sequential(torch.nn.' + module + ', torch.nn.Linear(2, 2))')",
      '    out.append([[n, list(p.shape), [int(x) for x in p.detach().numpy().astype(np.float32).view(np.uint32).ravel()]] for n, p in m.named_parameters()])',
      'print(json.dumps(out))',
    ].join('\n');
    const r = spawnSync(PYTHON, ['-c', script], { input: JSON.stringify(LIVE_MODULES.map((m, i) => [seeds[i], m])), encoding: 'utf8', maxBuffer: 64 << 20 });
    assert.equal(r.status, 0, r.stderr);
    const want = JSON.parse(r.stdout) as [string, number[], number[]][][];
    LIVE_MODULES.forEach((module, i) => {
      const text = `${HEAD}torch.manual_seed(${seeds[i]})\nmodel = nn.Sequential(nn.${module}, nn.Linear(2, 2))\n`;
      const params = exactParameters(analyze(text)[0], BigInt(seeds[i]));
      assert.deepEqual(params.map((p) => [p.name, [...p.shape]]), want[i].map(([n, s]) => [n, s]), `${module}: names and shapes`);
      params.forEach((p, j) => {
        // _ConvNd leaves the bias of a fan_in-0 conv as torch.empty's memory: not reproducible, and labelled so.
        if (module === 'Conv2d(0, 4, 3)' && p.name === '0.bias') return assert.equal(p.exact, false);
        assert.equal(p.exact, true, `${module} ${p.name}: ${p.reason}`);
        assert.deepEqual(Array.from(new Uint32Array(p.values.buffer, p.values.byteOffset, p.values.length)), want[i][j][2], `${module} ${p.name}`);
      });
    });
  });

  it(`the recorded PyTorch verdicts of the ${CASES.length} constructor calls still hold`, (t) => {
    if (!torchAvailable()) return t.skip(`${PYTHON} -c "import torch" failed: install python3-torch python3-numpy (Debian) to check the verdicts with PyTorch itself`);
    const script = [
      'import json, sys, warnings, torch',
      'import torch.nn as nn',
      "warnings.simplefilter('ignore')",
      'out = []',
      'for prelude, call in json.load(sys.stdin):',
      '    env = {"nn": nn}',
      '    try:',
      '        exec(prelude, env)',
      '        eval(call, env)',
      "        out.append('ok')",
      '    except Exception as e:',
      '        out.append(type(e).__name__)',
      'print(json.dumps(out))',
    ].join('\n');
    const r = spawnSync(PYTHON, ['-c', script], { input: JSON.stringify(CASES.map((c) => [c.prelude ?? '', c.call])), encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const verdicts = JSON.parse(r.stdout) as string[];
    CASES.forEach((c, i) => {
      assert.equal(verdicts[i], c.torch, c.call);
      // Where PyTorch builds the layer InitLens reports nothing, unless the case says why it is stricter.
      assert.equal(c.torch === 'ok' && c.problem !== undefined, c.stricter !== undefined, c.call);
    });
  });
});

/** Constructor templates: every size argument InitLens checks is a slot; the other arguments are fixed and valid. */
const TEMPLATES = [
  'Linear(#, #)', 'Bilinear(#, #, #)', 'Conv1d(#, #, #, groups=#)', 'Conv2d(#, #, (#, #))', 'ConvTranspose2d(#, #, #, groups=#)',
  'Embedding(#, #, padding_idx=#)', 'EmbeddingBag(#, #)', 'LSTM(#, #, #, proj_size=#)', 'GRU(#, #, #)', 'RNN(#, #, #, bidirectional=True)',
  'LSTMCell(#, #)', 'GRUCell(#, #)', 'RNNCell(#, #)', 'MultiheadAttention(#, #, kdim=#, vdim=#)', 'TransformerEncoderLayer(#, #, #)',
  'TransformerDecoderLayer(#, 1, #)', 'BatchNorm2d(#)', 'LayerNorm(#)', 'LayerNorm((#, #))', 'GroupNorm(#, #)',
];
/** Values PyTorch may accept or reject as sizes (bools are left out: InitLens rejects them on purpose, see CASES). */
const SLOT_VALUES = ['0', '1', '2', '3', '4', '6', '-1', '-4', '2.0', '2.5', '1e3', '4 / 2', '4 // 2', 'None', '"3"', '2 ** 40'];

/** `count` calls from the templates, with slot values drawn by a fixed-seed generator. */
function generatedCalls(count: number): string[] {
  const random = mulberry32(12345);
  const next = (n: number) => Math.floor(random() * n);
  return Array.from({ length: count }, () => `nn.${TEMPLATES[next(TEMPLATES.length)].replace(/#/g, () => SLOT_VALUES[next(SLOT_VALUES.length)])}`);
}

const GENERATED = generatedCalls(600);

describe('generated constructor calls', () => {
  it(`${GENERATED.length} calls: nothing throws, every number is finite, every count an exact integer, no numbers where there is a problem`, () => {
    for (const call of GENERATED) {
      const layer = layerOf(call);
      if (layer.problems) {
        assert.deepEqual([layer.fanIn, layer.fanOut, layer.paramCount], [undefined, undefined, { symbol: '?' }], call);
        assert.ok(layer.params.every((p) => p.count === undefined && !p.resolved && !p.recommended && !p.recommendation), call);
        continue;
      }
      for (const v of [layer.fanIn, layer.fanOut]) if (typeof v === 'number') assert.ok(Number.isSafeInteger(v) && v >= 0, `${call}: fan ${v}`);
      assert.ok(typeof layer.paramCount === 'number' ? Number.isSafeInteger(layer.paramCount) && layer.paramCount >= 0 : /^[\d,]+$/.test(layer.paramCount.symbol), `${call}: count ${JSON.stringify(layer.paramCount)}`);
      for (const p of layer.params) {
        assert.ok(p.shape.every((d) => typeof d === 'number' && Number.isSafeInteger(d) && d >= 0), `${call} ${p.name}: shape ${JSON.stringify(p.shape)}`);
        for (const r of [p.resolved, p.recommended]) if (r) assert.ok([r.std, r.bound ?? 0, r.gain ?? 0, r.fans?.fanIn ?? 0, r.fans?.fanOut ?? 0].every(Number.isFinite) && r.std >= 0, `${call} ${p.name}`);
      }
    }
  });

  it(`${GENERATED.length} calls: InitLens reports a problem exactly where PyTorch raises`, (t) => {
    if (!torchAvailable()) return t.skip(`${PYTHON} -c "import torch" failed: install python3-torch python3-numpy (Debian) to compare with PyTorch itself`);
    const script = [
      'import json, sys, warnings, torch',
      'import torch.nn as nn',
      "warnings.simplefilter('ignore')",
      'out = []',
      'for call in json.load(sys.stdin):',
      '    try:',
      '        eval(call)',
      "        out.append('ok')",
      '    except Exception as e:',
      '        out.append(type(e).__name__)',
      'print(json.dumps(out))',
    ].join('\n');
    // 2 ** 40 sizes would allocate terabytes: PyTorch is asked about the same call with 2 ** 40 → 7 (both valid sizes to InitLens).
    const r = spawnSync(PYTHON, ['-c', script], { input: JSON.stringify(GENERATED.map((c) => c.replace(/2 \*\* 40/g, '7'))), encoding: 'utf8', maxBuffer: 16 << 20 });
    assert.equal(r.status, 0, r.stderr);
    const verdicts = JSON.parse(r.stdout) as string[];
    const disagreements = GENERATED.flatMap((call, i) => {
      const problem = (layerOf(call.replace(/2 \*\* 40/g, '7')).problems ?? []).map((p) => p.message).join('; ');
      return (verdicts[i] === 'ok') === (problem === '') ? [] : [`${call}: PyTorch ${verdicts[i]}, InitLens "${problem}"`];
    });
    assert.deepEqual(disagreements, []);
  });
});
