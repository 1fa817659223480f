/**
 * Exact mode across a module's statements (src/core/torch/program.ts): what
 * the module draws between the seed and a model's construction, and between
 * the construction and the inits its statements run on it, against PyTorch 1.13
 * running the very same programs (scripts/exact/module_order.py, fixture
 * test/fixtures/torch/module_order.json).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { ModelAnalyzer } from '../../src/core/model/analyze';
import { parsePython } from '../../src/core/python/parse';
import { analyzeSeeding } from '../../src/core/seeding/analyze';
import { exactParameters, findTorchSeed, type ExactMember, type ExactParameter } from '../../src/core/torch/exact';
import { f32Bits } from '../../src/core/torch/float';
import { exactSection, moduleConstructions, streamDraws } from '../../src/core/torch/program';
import { constructionOrder, signalModel } from '../../src/core/signal/composite';
import { ROOT } from '../host/paths';

interface Program {
  readonly name: string;
  readonly text: string;
  readonly models: readonly { readonly model: string; readonly params: Readonly<Record<string, readonly string[]>> }[];
}

const KEY = JSON.parse(fs.readFileSync(path.join(ROOT, 'test/fixtures/torch/module_order.json'), 'utf8')) as { readonly values: number; readonly programs: readonly Program[] };

const hex = (values: Float32Array, n: number) => [...values.slice(0, n)].map((v) => `0x${f32Bits(v).toString(16).padStart(8, '0')}`);

/** Every parameter of `name` in `program`, as exact mode gives it with the program's own seed. */
function exactOf(program: Program, name: string): ExactParameter[] {
  const tree = parsePython(program.text);
  const models = new ModelAnalyzer().analyze(tree, program.text);
  const seeding = analyzeSeeding(tree, program.text);
  const model = models.models.find((m) => m.name === name);
  assert.ok(model, `${program.name}: model ${name}`);
  const found = findTorchSeed(model, program.text, seeding);
  assert.ok('seed' in found, `${program.name}: ${name} is seeded by the file`);
  return exactParameters(model, found.seed, { ...streamDraws(model, found, { tree, text: program.text, seeding, models }), limits: { values: 'exactValues', words: 'exactStreamWords' } });
}

function program(name: string): Program {
  const p = KEY.programs.find((x) => x.name === name);
  assert.ok(p, name);
  return p;
}

/** Asserts every parameter of every model of `name` exact and PyTorch's bit for bit. */
function allExact(name: string): void {
  const p = program(name);
  for (const want of p.models) {
    const got = exactOf(p, want.model);
    assert.deepEqual(got.map((x) => x.name), Object.keys(want.params), `${name} ${want.model}: state_dict() order`);
    for (const g of got) {
      assert.equal(g.exact, true, `${name} ${want.model} ${g.name}: ${g.reason ?? ''}`);
      assert.deepEqual(hex(g.values, KEY.values), want.params[g.name], `${name} ${want.model} ${g.name} bit for bit`);
    }
  }
}

/** Every layer parameter of the composite `name` of `program` (a class building classes of the file), as the Signal view's "in effect" draws it. */
function compositeExact(program: Program, name: string, text = program.text, members?: ExactMember[]): ExactParameter[] {
  const tree = parsePython(text);
  const analysis = new ModelAnalyzer().analyze(tree, text, { instances: true });
  const found = analysis.models.find((m) => m.name === name);
  assert.ok(found, `${program.name}: model ${name}`);
  const { model, composite } = signalModel(analysis, found, tree, text);
  assert.ok(composite, `${program.name}: ${name} is composite`);
  const seeding = analyzeSeeding(tree, text);
  const seed = findTorchSeed(found, text, seeding);
  assert.ok('seed' in seed, `${program.name}: ${name} is seeded by the file`);
  const draws = streamDraws(model, seed, { tree, text, seeding, models: analysis });
  return exactParameters(composite.construction, seed.seed, { ...draws, construction: (offsets) => constructionOrder(composite.built, offsets), ...(members ? { onParameter: (m: ExactMember) => void members.push(m) } : {}), limits: { values: 'exactValues', words: 'exactStreamWords' } });
}

describe('exact mode follows the module: constructions and the inits run after them', () => {
  it('built, then initialized (PyTorch-GAN): the discriminator draws before the generator is initialized', () => allExact('built-then-initialized'));

  it('each initialized when built (pytorch/examples dcgan): the generator and its init draw before the discriminator', () => allExact('each-initialized-when-built'));

  it('a module-level Sequential initialized after another layer is built', () => allExact('sequential-init-after-another-layer'));

  it('a second torch.manual_seed between a construction and its init: that init is distribution only; the model seeded by it is exact', () => {
    const p = program('reseeded-between');
    const g = exactOf(p, 'G');
    const weight = g.find((x) => x.name === 'fc.weight');
    assert.equal(weight?.exact, false);
    assert.equal(weight?.reason, "torch.manual_seed (line 32) draws from the same stream before fc.weight's normal_(0, 0.02) runs: it seeds the stream again");
    // Every init after the loss is distribution only: nothing claims more than InitLens knows.
    assert.ok(g.filter((x) => x.name.endsWith('weight')).every((x) => !x.exact));
    const want = p.models.find((m) => m.model === 'D');
    assert.ok(want);
    for (const d of exactOf(p, 'D')) {
      assert.equal(d.exact, true, d.reason);
      assert.deepEqual(hex(d.values, KEY.values), want.params[d.name], `D ${d.name}`);
    }
  });

  it('a torch draw between a construction and its init (torch.randn(5)) is replayed: the init is exact', () => allExact('noise-between'));

  it('every sampling factory between the seed and the model is replayed (randn, rand, float64, randint both ranges, randperm, normal, .normal_/.uniform_ on a fresh tensor); another generator and the CPU device leave the stream as it is', () => allExact('noise-before'));

  it('module constants give a draw its size, and a function defined between the seed and the model but called afterwards draws nothing before it (pytorch/examples regression)', () => allExact('noise-constants'));

  it('nn.Parameter members drawn in __init__ with sizes written there are replayed between the layers', () => {
    const p = program('parameter-drawn-in-init');
    const want = p.models[0].params;
    const got = exactOf(p, 'M');
    // The layers' parameters: the members drawn between them are not layers (their values are not InitLens's to show).
    assert.deepEqual(got.map((x) => x.name), ['a.weight', 'a.bias', 'b.weight', 'b.bias']);
    for (const g of got) {
      assert.equal(g.exact, true, `${g.name}: ${g.reason ?? ''}`);
      assert.deepEqual(hex(g.values, KEY.values), want[g.name], `${g.name} bit for bit`);
    }
  });

  it('a draw InitLens cannot replay or that may run before the model loses the stream, saying why', () => {
    const head = 'import torch\nimport torch.nn as nn\n';
    const cases: [string, string][] = [
      ['torch.manual_seed(0)\nx = torch.randn(n)\nnet = nn.Linear(2, 2)\n', 'torch.randn (line 4) draws from the same stream before net is built: its size is not known here'],
      ['torch.manual_seed(0)\nx = torch.randn_like(torch.zeros(3))\nnet = nn.Linear(2, 2)\n', 'torch.randn_like (line 4) draws from the same stream before net is built: its shape comes from another tensor'],
      ['torch.manual_seed(0)\nx = torch.randn(3, dtype=torch.float16)\nnet = nn.Linear(2, 2)\n', 'torch.randn (line 4) draws from the same stream before net is built: its dtype torch.float16 is not replayed'],
      [`torch.manual_seed(0)\nx = torch.randn(3, dtype=${'a'.repeat(100)})\nnet = nn.Linear(2, 2)\n`, `torch.randn (line 4) draws from the same stream before net is built: its dtype ${'a'.repeat(59)}… is not replayed`],
      ['torch.manual_seed(0)\nx = torch.randn(3, device=dev)\nnet = nn.Linear(2, 2)\n', 'torch.randn (line 4) draws from the same stream before net is built: its generator or device is not known here'],
      ['torch.manual_seed(0)\nif True:\n    x = torch.randn(3)\nnet = nn.Linear(2, 2)\n', 'torch.randn (line 5) draws from the same stream before net is built: it is inside a block or function, which InitLens does not follow: it may run before the model is built'],
      ['torch.manual_seed(0)\ndef f():\n    return torch.rand(3)\nx = f()\nnet = nn.Linear(2, 2)\n', 'torch.rand (line 5) draws from the same stream before net is built: it is inside a block or function, which InitLens does not follow: it may run before the model is built'],
      ['class A(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.fc = nn.Linear(2, 2)\ntorch.manual_seed(0)\nif True:\n    a = A()\nnet = nn.Linear(2, 2)\n', 'A(...) (line 9) draws from the same stream before net is built: it is inside a block or function, which InitLens does not follow: it may run before the model is built'],
    ];
    for (const [body, reason] of cases) {
      const text = head + body;
      const tree = parsePython(text);
      const models = new ModelAnalyzer().analyze(tree, text);
      const model = models.models.find((m) => m.name === 'net');
      assert.ok(model, body);
      const seeding = analyzeSeeding(tree, text);
      const found = findTorchSeed(model, text, seeding);
      assert.ok('seed' in found, body);
      const params = exactParameters(model, found.seed, streamDraws(model, found, { tree, text, seeding, models }));
      assert.deepEqual(params.map((x) => [x.name, x.exact, x.reason]), [['weight', false, reason], ['bias', false, reason]], body);
    }
  });

  it('a weight written by two apply functions drew twice: distribution only, saying so; the biases drawn at construction stay exact', () => {
    const p = program('initialized-twice');
    const want = p.models[0];
    const got = exactOf(p, 'M');
    assert.deepEqual(got.map((x) => [x.name, x.exact]), [['a.weight', false], ['a.bias', true], ['b.weight', false], ['b.bias', true]]);
    assert.equal(got[0].reason, 'a.weight is initialized more than once (normal_(0, 0.02), then uniform_(-0.1, 0.1)), and InitLens replays the last call only');
    for (const x of got.filter((g) => g.exact)) assert.deepEqual(hex(x.values, KEY.values), want.params[x.name], x.name);
  });

  it('inits written in __init__ between constructors draw there: the later layers are exact, and so is the hover of one', () => {
    allExact('init-between-constructors');
    const p = program('init-between-constructors');
    const tree = parsePython(p.text);
    const models = new ModelAnalyzer().analyze(tree, p.text);
    const m = models.models[0];
    // The hover builds up to the hovered layer only: c's values still come after b's xavier_normal_.
    const c = m.layers.find((l) => l.name === 'c');
    assert.ok(c);
    const section = exactSection(m, c, { tree, text: p.text, seeding: analyzeSeeding(tree, p.text), models });
    assert.equal(section?.status, 'exact (PyTorch CPU, seed 5)');
    assert.deepEqual(hex(section.params[0].values, KEY.values), p.models[0].params['c.weight']);
  });

  it('the hover says the same: exact values for the discriminator built after the generator', () => {
    const p = program('built-then-initialized');
    const tree = parsePython(p.text);
    const models = new ModelAnalyzer().analyze(tree, p.text);
    const d = models.models.find((m) => m.name === 'D');
    assert.ok(d);
    const section = exactSection(d, d.layers[0], { tree, text: p.text, seeding: analyzeSeeding(tree, p.text), models });
    assert.equal(section?.status, 'exact (PyTorch CPU, seed 0)');
    assert.deepEqual(hex(section.params[0].values, KEY.values), p.models.find((m) => m.model === 'D')?.params['fc.weight']);
  });

  it('nn.Parameter members of a size only the constructor gives (torch.randn(dim), torch.empty(dim).normal_()) are drawn with the shape the analysis reads: the members and the layers after them are exact', () => {
    const p = program('parameter-sized-in-init');
    const tree = parsePython(p.text);
    const models = new ModelAnalyzer().analyze(tree, p.text);
    const model = models.models[0];
    const seeding = analyzeSeeding(tree, p.text);
    const members: ExactMember[] = [];
    const params = exactParameters(model, 0n, { ...streamDraws(model, undefined, { tree, text: p.text, seeding, models }), onParameter: (m) => void members.push(m) });
    assert.deepEqual(params.map((x) => x.name), ['a.weight', 'a.bias', 'b.weight', 'b.bias']);
    assert.deepEqual(members.map((m) => [m.name, m.shape]), [['p', [4]], ['q', [4]]]);
    for (const x of [...params, ...members]) {
      assert.equal(x.exact, true, `${x.name}: ${x.reason ?? ''}`);
      assert.deepEqual(hex(x.values, KEY.values), p.models[0].params[x.name], `${x.name} bit for bit`);
    }
  });

  it('an nn.Parameter drawn in __init__ by what InitLens does not replay (nn.init on a tensor, a size not known there): the layers after it are distribution only', () => {
    const head = ['import torch', 'import torch.nn as nn', 'class M(nn.Module):', '    def __init__(self, dim=4, n=None):', '        super().__init__()', '        self.a = nn.Linear(4, 4)'];
    for (const [draw, label] of [
      ['self.p = nn.Parameter(torch.zeros(1, 4)); nn.init.trunc_normal_(self.p, std=0.02)', 'torch.nn.init.trunc_normal_ (line 7) draws from the same stream before b is built'],
      ['self.p = nn.Parameter(torch.randn(n))', 'torch.randn (line 7) draws from the same stream before b is built: its size is not known here'],
    ]) {
      const text = [...head, `        ${draw}`, '        self.b = nn.Linear(4, 2)', 'torch.manual_seed(0)', 'm = M()', ''].join('\n');
      const tree = parsePython(text);
      const models = new ModelAnalyzer().analyze(tree, text);
      const model = models.models[0];
      const seeding = analyzeSeeding(tree, text);
      const params = exactParameters(model, 0n, streamDraws(model, undefined, { tree, text, seeding, models }));
      assert.deepEqual(params.map((p) => [p.name, p.exact]), [['a.weight', true], ['a.bias', true], ['b.weight', false], ['b.bias', false]], draw);
      assert.equal(params[2].reason, label, draw);
    }
  });

  it('a composite: the root\'s nn.Parameter draws run between its own layer and its child\'s, where __init__ writes them', () => {
    const p = program('composite-root-parameter');
    const want = p.models[0].params;
    const got = compositeExact(p, 'Root');
    assert.deepEqual(got.map((x) => x.name), ['a.weight', 'a.bias', 'blk.fc.weight', 'blk.fc.bias', 'blk.out.weight', 'blk.out.bias', 'head.weight', 'head.bias']);
    for (const g of got) {
      assert.equal(g.exact, true, `${g.name}: ${g.reason ?? ''}`);
      assert.deepEqual(hex(g.values, KEY.values), want[g.name], `${g.name} bit for bit`);
    }
  });

  it('a composite: a child class\'s own nn.Parameter draw runs once per instance, between that instance\'s layers', () => {
    const p = program('composite-child-parameter');
    const want = p.models[0].params;
    const got = compositeExact(p, 'Root');
    assert.deepEqual(got.map((x) => x.name), ['blocks.0.fc.weight', 'blocks.0.fc.bias', 'blocks.0.out.weight', 'blocks.0.out.bias', 'blocks.1.fc.weight', 'blocks.1.fc.bias', 'blocks.1.out.weight', 'blocks.1.out.bias', 'head.weight', 'head.bias']);
    for (const g of got) {
      assert.equal(g.exact, true, `${g.name}: ${g.reason ?? ''}`);
      assert.deepEqual(hex(g.values, KEY.values), want[g.name], `${g.name} bit for bit`);
    }
  });

  it("a composite's nn.Parameter members as built: each instance's, bit for bit, with the size its constructor gives, the arithmetic around the draw, an in-place draw on a fresh tensor and a fill", () => {
    for (const [name, want] of [
      ['composite-root-parameter', ['p', 'q', 'blk.gamma']],
      ['composite-child-parameter', ['blocks.0.gamma', 'blocks.1.gamma']],
      ['composite-member-sized', ['a.gamma', 'a.beta', 'a.shift', 'b.gamma', 'b.beta', 'b.shift', 'tail']],
    ] as const) {
      const p = program(name);
      const members: ExactMember[] = [];
      const layers = compositeExact(p, 'Root', p.text, members);
      assert.deepEqual(members.map((m) => m.name).sort(), [...want].sort(), name);
      for (const m of [...members, ...layers]) {
        assert.equal(m.exact, true, `${name} ${m.name}: ${m.reason ?? ''}`);
        assert.deepEqual(hex(m.values, KEY.values), p.models[0].params[m.name], `${name} ${m.name} bit for bit`);
      }
    }
  });

  it('a member InitLens cannot reproduce says why: written again by an nn.init call, or other arithmetic around its draw', () => {
    const p = program('composite-member-sized');
    for (const [from, to, member, why] of [
      ['        self.shift = nn.Parameter(torch.zeros(dim))\n', '        self.shift = nn.Parameter(torch.zeros(dim))\n        nn.init.trunc_normal_(self.shift, std=0.02)\n', 'a.shift', '__init__ writes it again (init.trunc_normal_(self.shift…)'],
      ['torch.randn(dim) * 0.1', 'torch.randn(dim) // 0.1', 'a.gamma', 'a.gamma: InitLens does not compute the arithmetic around its draw'],
      ['torch.randn(dim) * 0.1', 'torch.randn(dim) * torch.ones(dim)', 'a.gamma', 'a.gamma: its shape is not known here'],
      // The code quoted in the reason is document text: at most 60 characters of it.
      ['        self.shift = nn.Parameter(torch.zeros(dim))\n', `        self.shift = nn.Parameter(torch.zeros(dim))\n        nn.init.${'x'.repeat(100)}_(self.shift)\n`, 'a.shift', `__init__ writes it again (init.${'x'.repeat(55)}…)`],
    ] as const) {
      const text = p.text.replace(from, to);
      assert.notEqual(text, p.text);
      const members: ExactMember[] = [];
      compositeExact(p, 'Root', text, members);
      const m = members.find((x) => x.name === member);
      assert.equal(m?.exact, false, member);
      assert.equal(m?.reason?.startsWith(why) || m?.reason?.includes(why), true, `${member}: ${m?.reason}`);
    }
  });

  it('a composite whose root builds a child in a helper method: a draw of its __init__ cannot be placed among them, and what follows is distribution only, saying why', () => {
    const p = program('composite-root-parameter');
    const text = p.text
      .replace('        self.blk = Block()\n', '        self.blk = self._block()\n')
      .replace('    def forward(self, x):\n        return self.head', '    def _block(self):\n        return Block()\n\n    def forward(self, x):\n        return self.head');
    assert.notEqual(text, p.text);
    const got = compositeExact(p, 'Root', text);
    // a is written before the draw: exact. blk is built by the helper, which may run before or after it.
    assert.deepEqual(got.map((x) => [x.name, x.exact]), [['a.weight', true], ['a.bias', true], ['blk.fc.weight', false], ['blk.fc.bias', false], ['blk.out.weight', false], ['blk.out.bias', false], ['head.weight', false], ['head.bias', false]]);
    assert.equal(got[2].reason, 'torch.randn (line 20) draws from the same stream before blk.fc is built: Root builds some of its modules outside __init__, so InitLens cannot tell where this draw runs among them');
    for (const g of got.slice(0, 2)) assert.deepEqual(hex(g.values, KEY.values), p.models[0].params[g.name], `${g.name} bit for bit`);
  });

  it('constructions: top-level calls of the file\'s classes and its module-level models, in order; not those in definitions', () => {
    const text = [
      'import torch.nn as nn',
      'class A(nn.Module):',
      '    def __init__(self):',
      '        super().__init__()',
      '        self.fc = nn.Linear(2, 2)',
      'def build():',
      '    return A()',
      'a = A().to("cpu")',
      'seq = nn.Sequential(nn.Linear(2, 2), A())',
      'b = [A(), A()]',
      '',
    ].join('\n');
    const tree = parsePython(text);
    const models = new ModelAnalyzer().analyze(tree, text).models;
    const got = moduleConstructions(tree, text, models).map((c) => `${c.model}@${text.slice(c.from, c.to)}`);
    assert.deepEqual(got, ['A@A()', 'seq@nn.Sequential(nn.Linear(2, 2), A())', 'A@A()', 'A@A()']);
  });
});
