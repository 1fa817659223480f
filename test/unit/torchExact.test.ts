/**
 * Exact mode on whole models, the .npy/.npz writers and the CLI, against the
 * PyTorch 1.13.1 fixture; plus, where `/usr/bin/python3 -c "import torch"`
 * works, fresh random seeds and shapes compared bit for bit with PyTorch
 * itself (skipped with a visible message elsewhere).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { runCli } from '../../src/cli/run';
import type { InitScheme } from '../../src/core/init/schemes';
import { ModelAnalyzer } from '../../src/core/model/analyze';
import type { Model } from '../../src/core/model/types';
import { parsePython } from '../../src/core/python/parse';
import { analyzeSeeding } from '../../src/core/seeding/analyze';
import { exactParameters, exactTensor, findTorchSeed } from '../../src/core/torch/exact';
import { exactSection, torchDraws } from '../../src/core/torch/program';
import { TorchGenerator } from '../../src/core/torch/generator';
import { initTensor } from '../../src/core/torch/init';
import { crc32, npyBytes, npzBytes } from '../../src/core/torch/npy';
import { ROOT } from '../host/paths';
import { kernelTiers } from './kernelTiers';

/** Loaded first, so the default tier here is the best one (relaxed SIMD on). */
const TIERS = kernelTiers();
const PYTHON = '/usr/bin/python3';
const fixture = JSON.parse(fs.readFileSync(path.join(ROOT, 'test/fixtures/torch/torch-1.13.1-cpu.json'), 'utf8')) as {
  modules: { seed: string; module: string; params: { name: string; out: { n: number; bits?: number[]; head?: number[] } }[] }[];
};

function analyze(text: string): { models: readonly Model[]; text: string } {
  return { models: new ModelAnalyzer().analyze(parsePython(text), text).models, text };
}

const bitsOf = (v: Float32Array) => Array.from(new Uint32Array(v.buffer, v.byteOffset, v.length));

function fixtureModule(name: string, seed: string) {
  const c = fixture.modules.find((m) => m.module === name && m.seed === seed);
  assert.ok(c, name);
  return c;
}

function torchAvailable(): boolean {
  return spawnSync(PYTHON, ['-c', 'import torch, numpy'], { encoding: 'utf8' }).status === 0;
}

describe('exactParameters: models from source, against PyTorch', () => {
  it('a module-level Sequential after torch.manual_seed(0) matches the fixture, parameter by parameter', () => {
    const text = 'import torch\nfrom torch import nn\ntorch.manual_seed(0)\nmodel = nn.Sequential(nn.Linear(20, 64), nn.ReLU(), nn.Linear(64, 10))\n';
    const { models } = analyze(text);
    const seeding = analyzeSeeding(parsePython(text), text);
    const found = findTorchSeed(models[0], text, seeding);
    // from: the seed call; built: where the Sequential is built (library constructions in between draw first).
    assert.deepEqual(found, { seed: 0n, line: 2, from: text.indexOf('torch.manual_seed'), built: text.indexOf('nn.Sequential') });
    const params = exactParameters(models[0], 0n);
    const want = fixtureModule('Sequential(Linear(20,64),ReLU(),Linear(64,10))', '0');
    assert.deepEqual(params.map((p) => p.name), want.params.map((p) => p.name));
    params.forEach((p, i) => {
      assert.equal(p.exact, true, p.name);
      const rec = want.params[i].out;
      const got = bitsOf(p.values);
      assert.deepEqual(rec.bits ? got : got.slice(0, rec.head!.length), rec.bits ?? rec.head, p.name);
    });
  });

  it('a class with a TransformerEncoderLayer: MultiheadAttention construction order, state_dict names', () => {
    const text = [
      'import torch', 'import torch.nn as nn', '', 'class Net(nn.Module):', '    def __init__(self):', '        super().__init__()',
      '        self.enc = nn.TransformerEncoderLayer(16, 4, dim_feedforward=32)', '', '    def forward(self, x):', '        return self.enc(x)', '',
      'torch.manual_seed(42)', 'net = Net()', '',
    ].join('\n');
    const analysis = analyze(text);
    const { models } = analysis;
    const seeding = analyzeSeeding(parsePython(text), text);
    const found = findTorchSeed(models[0], text, seeding);
    assert.ok('seed' in found && found.seed === 42n);
    const params = exactParameters(models[0], 42n);
    const want = fixtureModule('TransformerEncoderLayer(16,4,dim_feedforward=32)', '42');
    assert.deepEqual(params.map((p) => p.name), want.params.map((p) => `enc.${p.name}`));
    params.forEach((p, i) => {
      const rec = want.params[i].out;
      const got = bitsOf(p.values);
      assert.deepEqual(rec.bits ? got : got.slice(0, 256), rec.bits ?? rec.head, p.name);
    });
    // The hover computes only the hovered layer, with the same values.
    const section = exactSection(models[0], models[0].layers[0], { tree: parsePython(text), text, seeding, models: analysis });
    assert.equal(section?.status, 'exact (PyTorch CPU, seed 42)');
    assert.deepEqual(bitsOf(section!.params[0].values), bitsOf(params[0].values));
  });

  it('skipping the values of other layers keeps the stream position exact', () => {
    const text = 'import torch\nfrom torch import nn\ntorch.manual_seed(7)\nmodel = nn.Sequential(nn.Linear(300, 200), nn.Embedding(50, 3), nn.Linear(200, 5))\n';
    const { models } = analyze(text);
    const all = exactParameters(models[0], 7n);
    const last = exactParameters(models[0], 7n, { materialize: (l) => l === '2' });
    assert.equal(last[0].values.length, 0);
    assert.deepEqual(bitsOf(last[3].values), bitsOf(all[3].values));
    assert.deepEqual(bitsOf(last[4].values), bitsOf(all[4].values));
  });

  it('labels what is not established "distribution only", with the reason', () => {
    const text = [
      'import torch', 'import torch.nn as nn', '', 'class Net(nn.Module):', '    def __init__(self, width):', '        super().__init__()',
      '        self.a = nn.Linear(4, 4)', '        self.b = nn.Linear(4, width)', '        self.c = nn.Linear(4, 4)', '        nn.init.trunc_normal_(self.a.weight, std=0.02)', '',
      'torch.manual_seed(0)', 'net = Net(int(sys.argv[1]))', '',
    ].join('\n');
    const { models } = analyze(text);
    const params = exactParameters(models[0], 0n);
    const byName = new Map(params.map((p) => [p.name, p]));
    assert.equal(byName.get('a.bias')!.exact, true);
    assert.equal(byName.get('a.weight')!.exact, false);
    assert.match(byName.get('a.weight')!.reason!, /trunc_normal_|stream position/);
    assert.equal(byName.get('b.weight')!.exact, false);
    assert.match(byName.get('b.weight')!.reason!, /width|not known/);
    assert.equal(byName.get('c.weight')!.exact, false, 'after an unknown size the stream position is unknown');
    // Built as Net(8), the width is known where the model is built (the module tree), and so are b and c.
    const built = analyze(text.replace('Net(int(sys.argv[1]))', 'Net(8)')).models[0];
    const known = new Map(exactParameters(built, 0n).map((p) => [p.name, p]));
    assert.equal(known.get('b.weight')!.exact, true);
    assert.deepEqual(known.get('b.weight')!.shape, [8, 4]);
    assert.equal(known.get('c.weight')!.exact, true);
  });

  it('findTorchSeed: literal seeds only, before the model; other draws in __init__', () => {
    const seedOf = (text: string) => {
      const { models } = analyze(text);
      return findTorchSeed(models[0], text, analyzeSeeding(parsePython(text), text));
    };
    const head = 'import torch\nfrom torch import nn\n';
    assert.deepEqual(seedOf(`${head}model = nn.Sequential(nn.Linear(2, 2))\n`), { reason: 'no torch.manual_seed(...) before the model is built' });
    assert.match((seedOf(`${head}s = 3\ntorch.manual_seed(s)\nmodel = nn.Sequential(nn.Linear(2, 2))\n`) as { reason: string }).reason, /not an integer literal/);
    assert.deepEqual(seedOf(`${head}torch.manual_seed(-1)\nmodel = nn.Sequential(nn.Linear(2, 2))\n`), { seed: -1n, line: 2, from: head.length, built: head.length + 'torch.manual_seed(-1)\nmodel = '.length });
    // A draw in between is the stream's to replay (moduleOrder.test.ts), not a reason to give up the seed.
    assert.equal((seedOf(`${head}torch.manual_seed(1)\nx = torch.randint(0, 5, (3,))\nmodel = nn.Sequential(nn.Linear(2, 2))\n`) as { seed: bigint }).seed, 1n);
    const text = `${head}class Net(nn.Module):\n    def __init__(self, k=3):\n        super().__init__()\n        self.a = nn.Linear(2, 2)\n        self.p = nn.Parameter(torch.randint(0, k, (2,)).float())\n        self.b = nn.Linear(2, 2)\n\ntorch.manual_seed(1)\nnet = Net()\n`;
    const analysis = analyze(text);
    const { models } = analysis;
    const tree = parsePython(text);
    const params = exactParameters(models[0], 1n, { otherDraws: torchDraws({ tree, text, seeding: analyzeSeeding(tree, text), models: analysis }) });
    assert.equal(params.find((p) => p.name === 'a.weight')!.exact, true);
    assert.match(params.find((p) => p.name === 'b.weight')!.reason!, /torch.randint/);
  });

  it('exactTensor gives the spec test vectors; Keras models are refused', () => {
    assert.deepEqual(bitsOf(exactTensor({ kind: 'normal', mean: 0, std: 1 }, [16], 0n).values.subarray(0, 4)), [0xbf901b85, 0xbf93808a, 0xbe804bd6, 0xbede255d]);
    const { models } = analyze('from tensorflow import keras\nmodel = keras.Sequential([keras.layers.Dense(4, input_shape=(3,))])\n');
    assert.throws(() => exactParameters(models[0], 0n), /PyTorch/);
  });
});

/** Reads back a stored zip: names and contents, checking signatures and CRCs. */
function unzip(bytes: Uint8Array): Map<string, Uint8Array> {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const end = bytes.length - 22;
  assert.equal(v.getUint32(end, true), 0x06054b50);
  const entries = v.getUint16(end + 10, true);
  let at = v.getUint32(end + 16, true);
  const out = new Map<string, Uint8Array>();
  for (let i = 0; i < entries; i++) {
    assert.equal(v.getUint32(at, true), 0x02014b50);
    const crc = v.getUint32(at + 16, true);
    const size = v.getUint32(at + 20, true);
    const nameLength = v.getUint16(at + 28, true);
    const local = v.getUint32(at + 42, true);
    const name = new TextDecoder().decode(bytes.subarray(at + 46, at + 46 + nameLength));
    assert.equal(v.getUint32(local, true), 0x04034b50);
    const dataAt = local + 30 + v.getUint16(local + 26, true);
    const data = bytes.subarray(dataAt, dataAt + size);
    assert.equal(crc32(data), crc, name);
    out.set(name, data);
    at += 46 + nameLength;
  }
  return out;
}

describe('.npy and .npz writers', () => {
  it('writes npy headers numpy accepts: 64-byte aligned, <f4, C order, shape', () => {
    const npy = npyBytes(new Float32Array([1, -2, 0.5, 3, 4, 5]), [2, 3]);
    const headerLength = new DataView(npy.buffer).getUint16(8, true);
    assert.equal((10 + headerLength) % 64, 0);
    const header = new TextDecoder().decode(npy.subarray(10, 10 + headerLength));
    assert.match(header, /^\{'descr': '<f4', 'fortran_order': False, 'shape': \(2, 3\), \} *\n$/);
    assert.equal(new DataView(npy.buffer).getFloat32(10 + headerLength + 8, true), 0.5);
    assert.match(new TextDecoder().decode(npyBytes(new Float32Array(3), [3]).subarray(10, 80)), /'shape': \(3,\)/);
    assert.throws(() => npyBytes(new Float32Array(3), [2, 2]), RangeError);
    assert.equal(crc32(new TextEncoder().encode('123456789')), 0xcbf43926);
  });

  it('writes an npz (stored zip) whose entries read back byte for byte', () => {
    const a = new Float32Array([1, 2, 3, 4]);
    const zip = npzBytes([{ name: 'fc.weight', values: a, shape: [2, 2] }, { name: 'fc.bias', values: new Float32Array([7]), shape: [1] }]);
    const files = unzip(zip);
    assert.deepEqual([...files.keys()], ['fc.weight.npy', 'fc.bias.npy']);
    assert.deepEqual(files.get('fc.weight.npy'), npyBytes(a, [2, 2]));
  });

  it('np.load reads the npz that `initlens model --npz` writes, with PyTorch\'s values', (t) => {
    if (!torchAvailable()) return t.skip(`${PYTHON} with torch and numpy not found: np.load/PyTorch comparison skipped`);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'initlens-npz-'));
    const py = path.join(dir, 'net.py');
    fs.writeFileSync(py, 'import torch\nimport torch.nn as nn\n\nclass Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.conv = nn.Conv2d(3, 8, 3)\n        self.emb = nn.Embedding(10, 4, padding_idx=1)\n        self.gru = nn.GRU(4, 6, num_layers=2, bidirectional=True)\n        self.fc = nn.Linear(6, 2)\n        nn.init.kaiming_normal_(self.fc.weight, nonlinearity="relu")\n\n    def forward(self, x):\n        return x\n\ntorch.manual_seed(2024)\nmodel = Net()\n');
    const npz = path.join(dir, 'out.npz');
    const r = run(['model', py, '--torch-exact', '--class', 'Net', '--npz', npz], true);
    assert.equal(r.code, 0, r.stderr);
    const check = spawnSync(PYTHON, ['-c', `
import numpy as np, torch, runpy, sys
ns = runpy.run_path(sys.argv[1])
torch.manual_seed(2024); m = ns['Net']()
z = np.load(sys.argv[2])
sd = dict(m.named_parameters())
assert sorted(z.files) == sorted(sd), (z.files, list(sd))
bad = [k for k in z.files if z[k].dtype != np.float32 or z[k].shape != tuple(sd[k].shape) or not np.array_equal(z[k].view(np.uint32), sd[k].detach().numpy().view(np.uint32))]
print('bad', bad)
sys.exit(1 if bad else 0)
`, py, npz], { encoding: 'utf8' });
    assert.equal(check.status, 0, check.stdout + check.stderr);
  });
});

/** The CLI in-process, with a real file system. */
function run(argv: string[], writes = false) {
  let stdout = '';
  let stderr = '';
  const code = runCli(argv, {
    stdout: (t) => void (stdout += t),
    stderr: (t) => void (stderr += t),
    readFile: (p) => fs.readFileSync(p, 'utf8'),
    ...(writes ? { writeFile: (p: string, d: string | Uint8Array) => fs.writeFileSync(p, d) } : {}),
  }, '9.9.9');
  assert.equal(typeof code, 'number');
  return { code: code as number, stdout, stderr };
}

describe('CLI exact mode', () => {
  it('sample --torch-exact in-process: exact header, values, bits, JSON, usage errors', async () => {
    let out = '';
    let err = '';
    const io = { stdout: (t: string) => void (out += t), stderr: (t: string) => void (err += t), readFile: () => '' };
    assert.equal(await runCli(['sample', '--scheme', 'normal', '--shape', '3', '--torch-exact', '--format', 'bits'], io, '0'), 0);
    assert.match(out, /exact \(PyTorch CPU, seed 0\)/);
    assert.match(out, /0x3fc53f5c\n0xbe963c50\n0xc00b7149/);
    out = '';
    assert.equal(await runCli(['sample', '--scheme', 'trunc_normal', '--shape', '5', '--torch-exact', '--seed', '-1', '--json'], io, '0'), 0);
    const json = JSON.parse(out) as { exact: boolean; reason: string; seed: string; values: number[] };
    assert.equal(json.exact, false);
    assert.match(json.reason, /erfinv/);
    assert.equal(json.seed, '-1');
    assert.equal(json.values.length, 5);
    assert.equal(await runCli(['sample', '--scheme', 'he_normal', '--shape', '3,3', '--torch-exact'], io, '0'), 2);
    assert.equal(await runCli(['sample', '--scheme', 'normal', '--shape', '3', '--format', 'bits'], io, '0'), 2);
    assert.equal(await runCli(['sample', '--scheme', 'normal', '--shape', '3', '--torch-exact', '--seed', '18446744073709551616'], io, '0'), 2);
    assert.match(err, /--seed must be/);
  });

  it('model --torch-exact via dist/cli.js: seed from the file, exact marks, npz written', () => {
    const cli = path.join(ROOT, 'dist/cli.js');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'initlens-cli-'));
    const py = path.join(dir, 'seq.py');
    fs.writeFileSync(py, 'import torch\nfrom torch import nn\ntorch.manual_seed(42)\nmodel = nn.Sequential(nn.Linear(3, 2))\n');
    const npz = path.join(dir, 'w.npz');
    const r = spawnSync(process.execPath, [cli, 'model', py, '--torch-exact', '--format', 'bits', '--values', '6', '--npz', npz], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /torch.manual_seed\(42\) \(torch.manual_seed on line 3\): 2 of 2 parameters exact/);
    assert.match(r.stdout, /0\.weight \[2×3\] exact\n {6}0x3ee20009 0x3ef55a65 0xbe0a80e2 0x3f07c5b4 0xbe018916 0x3dee999a/);
    assert.match(r.stdout, /0\.bias \[2\] exact\n {6}0xbe8fea7d 0x3ead9a4b/);
    assert.deepEqual([...unzip(new Uint8Array(fs.readFileSync(npz))).keys()], ['0.weight.npy', '0.bias.npy']);
    const bad = spawnSync(process.execPath, [cli, 'model', py], { encoding: 'utf8' });
    assert.equal(bad.status, 2);
    const noSeed = path.join(dir, 'noseed.py');
    fs.writeFileSync(noSeed, 'import torch\nfrom torch import nn\nmodel = nn.Sequential(nn.Linear(3, 2))\n');
    const r2 = spawnSync(process.execPath, [cli, 'model', noSeed, '--torch-exact'], { encoding: 'utf8' });
    assert.equal(r2.status, 1);
    assert.match(r2.stderr, /pass --seed N/);
  });
});

describe('side by side with PyTorch (fresh random seeds and shapes)', () => {
  it('uniform_, normal_ (both paths), kaiming/xavier, sequences: every bit, with every kernel tier that runs here', (t) => {
    if (!torchAvailable()) return t.skip(`${PYTHON} -c "import torch" failed: install python3-torch python3-numpy (Debian) to compare with PyTorch itself`);
    const cases: { seed: string; op: string; n: number; shape: number[]; p: number[] }[] = [];
    const rnd = (k: number) => Math.floor(Math.random() * k);
    for (let i = 0; i < 40; i++) {
      const seed = (BigInt(rnd(2 ** 30)) * BigInt(rnd(2 ** 30)) * BigInt(rnd(2 ** 4) + 1) - (1n << 61n)).toString();
      const shape = [1 + rnd(40), 1 + rnd(30)];
      const op = ['uniform', 'normal', 'normal_small', 'kaiming_normal', 'xavier_uniform'][i % 5];
      if (op === 'normal_small') shape.splice(0, 2, 1 + rnd(15));
      cases.push({ seed, op, n: shape.reduce((a, b) => a * b, 1), shape, p: [Math.random() * 2 - 1, Math.random() * 3] });
    }
    // Large tensors: several kernel chunks and mt19937 states, and a tail block.
    for (let i = 0; i < 4; i++) {
      const shape = [200 + rnd(300), 100 + rnd(200)];
      cases.push({ seed: String(rnd(2 ** 31)), op: i % 2 ? 'uniform' : 'normal', n: shape[0] * shape[1], shape, p: [Math.random() * 2 - 1, Math.random() * 3] });
    }
    const tiers = TIERS.flatMap(({ tier, unavailable }) => {
      if (unavailable) t.diagnostic(`${tier} kernels not compared: ${unavailable}`);
      return unavailable ? [] : [tier];
    });
    const script = `
import json, sys, torch, numpy as np
torch.set_num_threads(1)
out = []
for c in json.load(sys.stdin):
    torch.manual_seed(int(c['seed']))
    t = torch.empty(c['shape'])
    a, b = c['p']
    if c['op'] == 'uniform': t.uniform_(min(a, b), max(a, b))
    elif c['op'] in ('normal', 'normal_small'): t.normal_(a, b)
    elif c['op'] == 'kaiming_normal': torch.nn.init.kaiming_normal_(t, nonlinearity='relu')
    else: torch.nn.init.xavier_uniform_(t, gain=b)
    small = torch.empty(3).normal_()
    out.append([int(x) for x in t.numpy().view(np.uint32).ravel()] + [int(x) for x in small.numpy().view(np.uint32)])
print(json.dumps(out))
`;
    const r = spawnSync(PYTHON, ['-c', script], { input: JSON.stringify(cases), encoding: 'utf8', maxBuffer: 64 << 20 });
    assert.equal(r.status, 0, r.stderr);
    const want = JSON.parse(r.stdout) as number[][];
    for (const tier of tiers) {
      cases.forEach((c, i) => {
        const gen = new TorchGenerator(BigInt(c.seed), { kernels: tier });
        const [a, b] = c.p;
        let v: Float32Array;
        if (c.op === 'uniform') v = gen.uniform32(c.n, Math.min(a, b), Math.max(a, b));
        else if (c.op === 'normal' || c.op === 'normal_small') v = gen.normal32(c.n, a, b);
        else if (c.op === 'kaiming_normal') v = exactTensorOn(gen, { kind: 'kaiming_normal', a: 0, mode: 'fan_in', nonlinearity: 'relu' }, c.shape);
        else v = exactTensorOn(gen, { kind: 'xavier_uniform', gain: b }, c.shape);
        const got = [...bitsOf(v), ...bitsOf(gen.normal32(3, 0, 1))];
        const label = `${tier} kernels: seed ${c.seed} ${c.op} ${JSON.stringify(c.shape)} ${c.p}`;
        const k = got.findIndex((x, j) => x !== want[i][j]);
        assert.equal(got.length, want[i].length, label);
        assert.equal(k, -1, `${label}: element ${k} is 0x${got[k]?.toString(16)}, PyTorch 0x${want[i][k]?.toString(16)}`);
      });
    }
  });
});

function exactTensorOn(gen: TorchGenerator, scheme: InitScheme, shape: number[]): Float32Array {
  return initTensor(gen, scheme, shape).values;
}

