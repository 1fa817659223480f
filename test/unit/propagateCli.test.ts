/**
 * `initlens propagate`: its JSON against a PyTorch answer key
 * (test/fixtures/signal), the backend it names, what it refuses and how.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { ROOT } from '../host/paths';
import { runCli } from '../../src/cli/run';
import { loadSignalTf, type NodeBackend } from '../../src/node/signalTf';

interface Key {
  text: string;
  model: string;
  seed: number;
  inputSeed: number;
  inputShape: number[];
  runs: { scheme: string; output: { std: number }; layers: { name: string; out: { std: number }; grad: { std: number } }[] }[];
}

const key = JSON.parse(fs.readFileSync(path.join(ROOT, 'test/fixtures/signal/residual-mlp.json'), 'utf8')) as Key;

/** The CLI in-process over in-memory files, its output read once the command has finished. */
async function run(argv: string[], files: Record<string, string>, backend: NodeBackend = 'cpu') {
  let stdout = '';
  let stderr = '';
  const code = await runCli(
    argv,
    {
      stdout: (t) => void (stdout += t),
      stderr: (t) => void (stderr += t),
      readFile: (p) => {
        if (p in files) return files[p];
        throw Object.assign(new Error('no such file'), { code: 'ENOENT' });
      },
      signalTf: () => loadSignalTf({ candidates: [backend] }),
    },
    '9.9.9',
  );
  return { code, stdout, stderr };
}

const relative = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

describe('initlens propagate', () => {
  for (const backend of ['cpu', 'wasm'] as const)
  it(`prints the issue's JSON, computed on the ${backend} backend, agreeing with PyTorch`, async () => {
    const r = await run(['propagate', 'm.py', '--json', '--seed', String(key.seed), '--input-seed', String(key.inputSeed), '--scheme', 'in-effect,he', '--no-workspace'], { 'm.py': key.text }, backend);
    assert.equal(r.code, 0, r.stderr);
    const json = JSON.parse(r.stdout);
    assert.equal(json.backend, backend);
    assert.equal(json.model, key.model);
    assert.deepEqual(json.inputShape, key.inputShape); // the default, from the first layer: (8, 20)
    assert.equal(json.exact, true);
    assert.deepEqual(json.notSimulated, []);
    assert.deepEqual(Object.keys(json).sort(), ['backend', 'exact', 'file', 'inputNote', 'inputSeed', 'inputShape', 'model', 'notSimulated', 'runs', 'seed', 'skipped']);
    assert.deepEqual(json.runs.map((x: { scheme: string }) => x.scheme), ['in-effect', 'he']);
    for (const got of json.runs) {
      const want = key.runs.find((k) => k.scheme === got.scheme)!;
      assert.ok(relative(got.output.std, want.output.std) < 1e-3, `${got.scheme} output`);
      assert.deepEqual(Object.keys(got.layers[0]).sort(), ['act', 'grad', 'line', 'name', 'out', 'type', 'weightGrad']);
      got.layers.forEach((l: { name: string; out: { std: number }; grad: { std: number } }, i: number) => {
        assert.equal(l.name, want.layers[i].name);
        assert.ok(relative(l.out.std, want.layers[i].out.std) < 1e-3, `${got.scheme} ${l.name} out`);
        assert.ok(relative(l.grad.std, want.layers[i].grad.std) < 1e-3, `${got.scheme} ${l.name} grad`);
      });
    }
    assert.equal(json.runs[0].layers[0].line, 9); // self.inp = nn.Linear(20, 64)
  });

  it('a composite model: its layers named from the root, the text table aligned to the longest name, the JSON against PyTorch', async () => {
    const k = JSON.parse(fs.readFileSync(path.join(ROOT, 'test/fixtures/signal/composite-blocks.json'), 'utf8')) as Key;
    const argv = ['propagate', 'm.py', '--model', k.model, '--seed', String(k.seed), '--input-seed', String(k.inputSeed), '--input-shape', k.inputShape.join(','), '--scheme', 'in-effect', '--no-workspace'];
    const json = await run([...argv, '--json'], { 'm.py': k.text });
    assert.equal(json.code, 0, json.stderr);
    const got = JSON.parse(json.stdout).runs[0];
    const want = k.runs.find((r) => r.scheme === 'in-effect')!;
    assert.deepEqual(got.layers.map((l: { name: string }) => l.name), want.layers.map((l) => l.name));
    assert.ok(want.layers.some((l) => l.name.split('.').length > 2), 'the key has nested layers');
    got.layers.forEach((l: { name: string; out: { std: number } }, i: number) => assert.ok(relative(l.out.std, want.layers[i].out.std) < 1e-3, l.name));
    const text = await run(argv, { 'm.py': k.text });
    assert.equal(text.code, 0, text.stderr);
    const table = text.stdout.split('\n').filter((line) => /^ {2}\S/.test(line));
    const header = table.find((line) => line.trimStart().startsWith('layer '))!;
    const end = header.indexOf('out std') + 'out std'.length;
    const rows = table.filter((line) => line !== header && /\(\w+\)/.test(line));
    assert.equal(rows.length, want.layers.length);
    // Every row's "out std" number ends under the header's: one column, whatever the name's length.
    for (const row of rows) assert.match(row.slice(0, end), /\S$/, row);
    for (const row of rows) assert.equal(row[end], ' ', row);
  });

  it('a recurrent model on the wasm backend: the gradient per time step in the JSON and the text, as PyTorch has it', async () => {
    const rnn = JSON.parse(fs.readFileSync(path.join(ROOT, 'test/fixtures/signal/rnn-vanishing.json'), 'utf8')) as Key & { runs: { layers: { stepGrad?: { first: number; last: number } }[] }[] };
    const argv = ['propagate', 'm.py', '--seed', String(rnn.seed), '--input-seed', String(rnn.inputSeed), '--input-shape', rnn.inputShape.join(','), '--scheme', 'in-effect', '--no-workspace'];
    const r = await run([...argv, '--json'], { 'm.py': rnn.text }, 'wasm');
    assert.equal(r.code, 0, r.stderr);
    const layer = JSON.parse(r.stdout).runs[0].layers[0];
    assert.deepEqual(Object.keys(layer).sort(), ['act', 'grad', 'line', 'name', 'out', 'stepGrad', 'type', 'weightGrad']);
    const want = rnn.runs[0].layers[0].stepGrad!;
    assert.ok(relative(layer.stepGrad.first, want.first) < 1e-3 && relative(layer.stepGrad.last, want.last) < 1e-3, JSON.stringify(layer.stepGrad));
    const text = await run(argv, { 'm.py': rnn.text }, 'wasm');
    assert.match(text.stdout, /\n {4} +input grad std at the first step 1\.26e-6, at the last 0\.0329\n/);
  });

  it('the attention, embedding, 3-d, transposed-conv, group-norm and cat models on the wasm backend agree with PyTorch, gradients included', async () => {
    for (const name of ['gpt-block', 'transformer-batch-first', 'conv3d-net', 'convtranspose-decoder', 'groupnorm-net', 'unet-cat']) {
      const k = JSON.parse(fs.readFileSync(path.join(ROOT, `test/fixtures/signal/${name}.json`), 'utf8')) as Key;
      const scheme = k.runs[k.runs.length - 1].scheme;
      const argv = ['propagate', 'm.py', '--json', '--model', k.model, '--seed', String(k.seed), '--input-seed', String(k.inputSeed), '--input-shape', k.inputShape.join(','), '--scheme', `in-effect,${scheme}`, '--no-workspace'];
      const r = await run(argv, { 'm.py': k.text }, 'wasm');
      assert.equal(r.code, 0, `${name}: ${r.stderr}`);
      const json = JSON.parse(r.stdout);
      assert.equal(json.backend, 'wasm');
      for (const got of json.runs) {
        const want = k.runs.find((x) => x.scheme === got.scheme)!;
        assert.ok(relative(got.output.std, want.output.std) < 1e-3, `${name} ${got.scheme} output`);
        got.layers.forEach((l: { name: string; out: { std: number }; grad: { std: number }; weightGrad: { std: number } | null }, i: number) => {
          const w = want.layers[i] as Key['runs'][number]['layers'][number] & { weightGrad: { std: number } | null };
          assert.equal(l.name, w.name);
          assert.ok(relative(l.out.std, w.out.std) < 1e-3, `${name} ${got.scheme} ${l.name} out`);
          assert.ok(relative(l.grad.std, w.grad.std) < 1e-3, `${name} ${got.scheme} ${l.name} grad`);
          if (w.weightGrad) assert.ok(relative(l.weightGrad!.std, w.weightGrad.std) < 1e-3, `${name} ${got.scheme} ${l.name} weightGrad`);
        });
      }
    }
  });

  it('bad arguments exit 2 with one line', async () => {
    const files = { 'm.py': key.text };
    for (const argv of [
      ['propagate'],
      ['propagate', 'm.py', 'n.py'],
      ['propagate', 'm.py', '--scheme', 'glorot'],
      ['propagate', 'm.py', '--input-shape', '8,0'],
      ['propagate', 'm.py', '--input-shape', '8,x'],
      ['propagate', 'm.py', '--input-seed', '1.5'],
      ['propagate', 'm.py', '--input-seed', '18446744073709551615'],
      ['propagate', 'm.py', '--seed', 'abc'],
      ['propagate', 'm.py', '--frob'],
    ]) {
      const r = await run(argv, files);
      assert.equal(r.code, 2, argv.join(' '));
      assert.equal(r.stdout, '');
      assert.match(r.stderr, /^initlens: [^\n]+\n$/, argv.join(' '));
    }
  });

  it('a model it cannot simulate: exit 1, each op named with its line (and listed in the JSON)', async () => {
    const text = 'import torch.nn as nn\nclass R(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.rnn = nn.GRU(4, 8)\n    def forward(self, x):\n        return self.rnn(x)\n';
    const r = await run(['propagate', 'r.py', '--input-shape', '3,2,4'], { 'r.py': text });
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^initlens: r\.py:7: not simulated: return self\.rnn\(x\) \(forward returns several values \(one output\.backward\(g\) needs one\)\)\n$/);
    const j = await run(['propagate', 'r.py', '--input-shape', '3,2,4', '--json'], { 'r.py': text });
    assert.equal(j.code, 1);
    assert.deepEqual(JSON.parse(j.stdout).notSimulated, [{ op: 'return self.rnn(x)', line: 7, why: 'forward returns several values (one output.backward(g) needs one)' }]);
  });

  it('a model whose sizes are not known here (a GPT whose config comes from another file) says that the input shape is why', async () => {
    const text = 'import torch.nn as nn\nclass GPT(nn.Module):\n    def __init__(self, config):\n        super().__init__()\n        self.wte = nn.Embedding(config.vocab_size, config.n_embd)\n    def forward(self, idx):\n        b, t = idx.size()\n        return self.wte(idx)\n';
    const j = await run(['propagate', 'gpt.py', '--json'], { 'gpt.py': text });
    assert.equal(j.code, 1);
    assert.deepEqual(JSON.parse(j.stdout).notSimulated, [
      { op: 'idx.size()', line: 7, why: "size() without an index; the input's shape is not known: wte (Embedding), the first layer built, has sizes InitLens cannot evaluate here" },
    ]);
  });

  it('a model that is one module-level layer runs as one row, named as the model (pytorch/examples regression)', async () => {
    const file = 'test/fixtures/realworld/pytorch/examples/regression/main.py';
    const r = await run(['propagate', file, '--scheme', 'he'], { [file]: fs.readFileSync(path.join(ROOT, file), 'utf8') });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^fc in .*: input 8×4 \(from fc \(Linear\)\)/);
    assert.match(r.stdout, /\n  fc \(Linear\) +1\.43 /);
  });

  it('a model above the signal limits is refused before it runs (exit 1)', async () => {
    const text = 'import torch.nn as nn\nmodel = nn.Sequential(nn.Linear(65536, 65536), nn.ReLU(), nn.Linear(65536, 65536))\n';
    const r = await run(['propagate', 'm.py'], { 'm.py': text });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^initlens: model: [\d,]+ (values|multiply-adds) is above the limit of [\d,]+ (values|multiply-adds) for (the activations of a signal run|a signal run \(forward\))\n$/);
  });

  it('names the backend that ran and why the ones before it did not, in one line', async () => {
    const missing = (name: string) => {
      throw Object.assign(new Error(`Cannot find module '${name}'`), { code: 'MODULE_NOT_FOUND' });
    };
    const loaded = await loadSignalTf({ candidates: ['tfjs-node-gpu', 'tfjs-node', 'cpu'], requireModule: missing });
    assert.equal(loaded.backend, 'cpu');
    assert.equal(loaded.summary, 'cpu · not tfjs-node-gpu: not installed, not tfjs-node: not installed');
    const r = await run(['propagate', 'm.py', '--scheme', 'he', '--no-workspace'], { 'm.py': key.text });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout.split('\n')[0], /, backend cpu$/);
  });

  it('TensorFlow.js is in its own bundle, dist/signalTf.js, not in dist/cli.js (start-up of --help and analyze)', () => {
    const cli = fs.readFileSync(path.join(ROOT, 'dist', 'cli.js'), 'utf8');
    const signalTf = fs.readFileSync(path.join(ROOT, 'dist', 'signalTf.js'), 'utf8');
    // A string of tfjs-core's engine, present in every build of it.
    const marker = 'no registration found';
    assert.ok(signalTf.includes(marker));
    assert.ok(!cli.includes(marker), 'dist/cli.js bundles TensorFlow.js');
    for (const file of ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm']) assert.ok(fs.existsSync(path.join(ROOT, 'dist', 'wasm', file)), file);
  });
});
