/**
 * nn.TransformerEncoder (src/core/model/encoderStack.ts and its catalog
 * entry): the encoder layer read where it is built, the parameters of its
 * copies, and exact mode against real PyTorch (scripts/exact/encoder_stack.py,
 * fixture test/fixtures/torch/encoder_stack.json): one layer's draws where it
 * is constructed, every copy the same values.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { adviseAnalysis } from '../../src/core/advice/judge';
import { ModelAnalyzer } from '../../src/core/model/analyze';
import type { Model } from '../../src/core/model/types';
import { parsePython } from '../../src/core/python/parse';
import { analyzeSeeding } from '../../src/core/seeding/analyze';
import { exactParameters, findTorchSeed, type ExactParameter } from '../../src/core/torch/exact';
import { f32Bits } from '../../src/core/torch/float';
import { exactSection, streamDraws } from '../../src/core/torch/program';
import { ROOT } from '../host/paths';

interface Program {
  readonly name: string;
  readonly text: string;
  readonly model: string;
  readonly copiesEqual: boolean;
  readonly params: Readonly<Record<string, readonly string[]>>;
}

const KEY = JSON.parse(fs.readFileSync(path.join(ROOT, 'test/fixtures/torch/encoder_stack.json'), 'utf8')) as { readonly values: number; readonly programs: readonly Program[] };

const hex = (values: Float32Array, n: number) => [...values.slice(0, n)].map((v) => `0x${f32Bits(v).toString(16).padStart(8, '0')}`);

function modelOf(text: string, name: string): { model: Model; exact: () => ExactParameter[] } {
  const tree = parsePython(text);
  const models = new ModelAnalyzer().analyze(tree, text);
  const model = models.models.find((m) => m.name === name);
  assert.ok(model, name);
  return {
    model,
    exact() {
      const seeding = analyzeSeeding(tree, text);
      const found = findTorchSeed(model, text, seeding);
      assert.ok('seed' in found, `${name} is seeded by the file`);
      return exactParameters(model, found.seed, { ...streamDraws(model, found, { tree, text, seeding, models }), limits: { values: 'exactValues', words: 'exactStreamWords' } });
    },
  };
}

function program(name: string): Program {
  const p = KEY.programs.find((x) => x.name === name);
  assert.ok(p, name);
  return p;
}

describe('nn.TransformerEncoder: exact mode against PyTorch 1.13', () => {
  for (const name of ['local-layer', 'layer-built-early', 'inline-layer', 'apply-after']) {
    it(`${name}: every parameter exact and PyTorch's bit for bit, in state_dict() order`, () => {
      const p = program(name);
      // PyTorch: every copy starts with layers.0's values, until an apply(fn) draws into each.
      assert.equal(p.copiesEqual, name !== 'apply-after');
      const got = modelOf(p.text, p.model).exact();
      assert.deepEqual(got.map((x) => x.name), Object.keys(p.params));
      for (const g of got) {
        assert.equal(g.exact, true, `${name} ${g.name}: ${g.reason ?? ''}`);
        assert.deepEqual(hex(g.values, KEY.values), p.params[g.name], `${name} ${g.name}`);
      }
    });
  }
});

describe('nn.TransformerEncoder: the hover computes one layer, with the same values', () => {
  it('layer-built-early: the Linear built between the encoder layer and the stack, and the stack itself', () => {
    const p = program('layer-built-early');
    const tree = parsePython(p.text);
    const models = new ModelAnalyzer().analyze(tree, p.text);
    const model = models.models[0];
    for (const name of ['proj', 'encoder']) {
      const layer = model.layers.find((l) => l.name === name);
      assert.ok(layer, name);
      const section = exactSection(model, layer, { tree, text: p.text, seeding: analyzeSeeding(tree, p.text), models });
      assert.equal(section?.status, 'exact (PyTorch CPU, seed 5)', name);
      for (const param of section.params) assert.deepEqual(hex(param.values, KEY.values), p.params[param.name], param.name);
    }
  });
});

describe('nn.TransformerEncoder: the layer and its arguments', () => {
  it('the stack of the issue: N copies, their parameter count, the encoder layer arguments, the copies labelled', () => {
    const { model } = modelOf(program('local-layer').text, 'Net');
    const enc = model.layers.find((l) => l.name === 'enc');
    assert.ok(enc);
    assert.equal(enc.type, 'TransformerEncoder');
    assert.equal(enc.problems, undefined);
    // 3 × (in_proj 3·16·16 + 48, out_proj 256 + 16, linear1 32·16 + 32, linear2 16·32 + 16, two norms 2·32) = 3 × 2224.
    assert.equal(enc.paramCount, 6672);
    assert.equal(enc.args.get('d_model'), 16);
    assert.equal(enc.args.get('batch_first'), true);
    assert.equal(enc.params.filter((p) => p.name.endsWith('.linear1.weight')).length, 3);
    const copy = enc.params.find((p) => p.name === 'layers.2.linear1.weight');
    assert.match(copy?.current.label ?? '', /deep copy: the values of layers\.0\.linear1\.weight/);
  });

  it('the verdict says the copies start with the same weights (PyTorch: every copy equals layers.0)', () => {
    const text = program('local-layer').text;
    const analysis = new ModelAnalyzer().analyze(parsePython(text), text);
    const enc = analysis.models[0].layers.find((l) => l.name === 'enc');
    assert.ok(enc);
    const message = adviseAnalysis(analysis, text).verdict(enc)?.message ?? '';
    assert.match(message, /its 3 layers are deep copies of one encoder layer, so they start with the same weights/);
  });

  it('an encoder layer InitLens cannot read is a layer problem, not numbers', () => {
    const text = 'import torch.nn as nn\n\nclass M(nn.Module):\n    def __init__(self, layer):\n        super().__init__()\n        self.enc = nn.TransformerEncoder(layer, 2)\n\n    def forward(self, x):\n        return self.enc(x)\n';
    const enc = modelOf(text, 'M').model.layers.find((l) => l.name === 'enc');
    assert.ok(enc?.problems);
    assert.match(enc.problems[0].message, /^encoder_layer = layer: InitLens reads an nn\.TransformerEncoderLayer/);
    assert.equal(enc.problems[0].limit, true);
  });

  it('a norm other than nn.LayerNorm is a layer problem', () => {
    const text = 'import torch.nn as nn\n\nclass M(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.enc = nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2), 2, norm=nn.BatchNorm1d(8))\n\n    def forward(self, x):\n        return self.enc(x)\n';
    const enc = modelOf(text, 'M').model.layers.find((l) => l.name === 'enc');
    assert.match(enc?.problems?.[0].message ?? '', /^norm = nn\.BatchNorm1d\(8\): InitLens reads None or an nn\.LayerNorm/);
  });

  it('one encoder layer given to two stacks: the second is not claimed exact', () => {
    const text = [
      'import torch', 'import torch.nn as nn', '', 'class Two(nn.Module):', '    def __init__(self):', '        super().__init__()',
      '        layer = nn.TransformerEncoderLayer(8, 2, 16)', '        self.a = nn.TransformerEncoder(layer, 2)', '        self.b = nn.TransformerEncoder(layer, 1)', '',
      '    def forward(self, x):', '        return self.b(self.a(x))', '', '', 'torch.manual_seed(0)', 'net = Two()', '',
    ].join('\n');
    const got = modelOf(text, 'Two').exact();
    assert.ok(got.filter((p) => p.layer === 'a').every((p) => p.exact));
    const b = got.filter((p) => p.layer === 'b');
    assert.ok(b.length > 0 && b.every((p) => !p.exact));
    assert.match(b[0].reason ?? '', /is given to a too/);
  });
});
