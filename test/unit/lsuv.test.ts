/**
 * LSUV (issue 13): the strict .npy reader against files real NumPy wrote
 * (test/fixtures/npy, scripts/signal/npy_fixtures.py), `initlens propagate
 * --scheme lsuv --data batch.npy` against scripts/signal/reference.py's LSUV
 * in real PyTorch on the same batch, and "Apply LSUV": the text plan (one
 * function, its call, the imports, the file's indentation, idempotent, valid
 * Python) and the generated function run in real PyTorch, every layer's output
 * variance within the tolerance of 1 afterwards. The PyTorch parts skip
 * visibly where /usr/bin/python3 has no torch.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { ROOT } from '../host/paths';
import { runCli } from '../../src/cli/run';
import { loadSignalTf } from '../../src/node/signalTf';
import { applyTextEdits } from '../../src/core/edits/apply';
import { LSUV_FUNCTION, planLsuv } from '../../src/core/edits/lsuv';
import { ModelAnalyzer } from '../../src/core/model/analyze';
import { collectImports } from '../../src/core/python/imports';
import { parsePython, syntaxErrors } from '../../src/core/python/parse';
import { buildGraph } from '../../src/core/signal/graph';
import { LSUV_TOLERANCE } from '../../src/core/signal/lsuv';
import { signalSummary } from '../../src/core/signal/summary';
import { histogramPoints, layerHistograms } from '../../src/core/signal/histograms';
import { prepareRuns } from '../../src/core/signal/job';
import { signalScheme, type SignalScheme } from '../../src/core/signal/schemes';
import { npyBytes, NpyError, readNpy } from '../../src/core/torch/npy';
import { jobRun, parseSignalPageMessage, parseSignalPanelState } from '../../src/webview/signalProtocol';
import { histogramsOf, runJob } from '../../src/webview/signal/compute';
import { propagate } from '../../src/core/signal/propagate';
import type { SignalStats } from '../../src/core/signal/engine';

const PYTHON = '/usr/bin/python3';
const NPY = path.join(ROOT, 'test/fixtures/npy');
const npyKeys = JSON.parse(fs.readFileSync(path.join(NPY, 'keys.json'), 'utf8')) as {
  good: Record<string, { shape: number[]; dtype: string; values: number[] }>;
  bad: Record<string, string>;
};

let torchChecked: boolean | undefined;
function torchAvailable(): boolean {
  torchChecked ??= spawnSync(PYTHON, ['-c', 'import torch, numpy'], { encoding: 'utf8' }).status === 0;
  return torchChecked;
}
const NO_TORCH = `${PYTHON} -c "import torch, numpy" failed: install python3-torch python3-numpy (Debian) to run this against PyTorch`;

describe('.npy reader', () => {
  for (const [file, want] of Object.entries(npyKeys.good)) {
    it(`${file}: the values torch.from_numpy(a).float() holds`, () => {
      const a = readNpy(fs.readFileSync(path.join(NPY, file)), 1e6);
      assert.deepEqual(a.shape, want.shape);
      assert.deepEqual(Array.from(a.values), want.values.map(Math.fround));
    });
  }
  for (const [file, message] of Object.entries(npyKeys.bad)) {
    it(`${file}: refused, saying ${JSON.stringify(message)}`, () => {
      assert.throws(
        () => readNpy(fs.readFileSync(path.join(NPY, file)), 1e6),
        (e: unknown) => e instanceof NpyError && e.message.includes(message) && !e.message.includes('\n'),
      );
    });
  }
  it('refuses more values than the caller takes, before converting any', () => {
    const bytes = npyBytes(new Float32Array(24), [4, 6]);
    assert.equal(readNpy(bytes, 24).values.length, 24);
    assert.throws(() => readNpy(bytes, 23), /holds 24 values, more than the 23/);
  });
  it('reads back what its own writer writes, and refuses headers that are not the plain dict', () => {
    const v = Float32Array.from([1.5, -2, 3.25, 0]);
    assert.deepEqual(Array.from(readNpy(npyBytes(v, [2, 2]), 10).values), Array.from(v));
    const withHeader = (dict: string) => {
      const head = `${dict}\n`;
      const out = new Uint8Array(10 + head.length + 16);
      out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
      new DataView(out.buffer).setUint16(8, head.length, true);
      for (let i = 0; i < head.length; i++) out[10 + i] = head.charCodeAt(i);
      return out;
    };
    assert.equal(readNpy(withHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }"), 10).values.length, 4);
    for (const [dict, why] of [
      ["{'descr': '<f4', 'fortran_order': False, 'shape': (4), }", "1-tuple needs its ','"],
      ["{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), 'x': 1}", "unexpected key 'x'"],
      ["{'descr': '<f4', 'shape': (2, 2)}", "no 'fortran_order'"],
      ["{'descr': '<f4', 'fortran_order': 0, 'shape': (2, 2)}", 'expected True or False'],
      ["{'descr': '<f2', 'fortran_order': False, 'shape': (8,)}", "dtype '<f2'"],
      ["{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2)} junk", 'text after the dict'],
    ]) {
      assert.throws(() => readNpy(withHeader(dict), 100), (e: unknown) => e instanceof NpyError && e.message.includes(why), dict);
    }
  });
});

const MLP = `import torch
import torch.nn as nn
import torch.nn.functional as F


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(6, 32)
        self.bn = nn.BatchNorm1d(32)
        self.fc2 = nn.Linear(32, 32)
        self.fc3 = nn.Linear(32, 3)

    def forward(self, x):
        x = F.relu(self.bn(self.fc1(x)))
        x = torch.tanh(self.fc2(x))
        return self.fc3(x)
`;

/** The CLI in-process, its text files in memory and its binary files from disk. */
async function cli(argv: string[], files: Record<string, string>) {
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
      readBytes: (p, limit) => {
        const b = fs.readFileSync(p);
        if (b.length > limit) throw new Error('too large');
        return b;
      },
      signalTf: () => loadSignalTf({ candidates: ['cpu'] }),
    },
    '9.9.9',
  );
  return { code, stdout, stderr };
}

interface Run {
  scheme: string;
  output: { std: number };
  layers: { name: string; out: { std: number }; grad: { std: number }; act: { std: number } | null }[];
  lsuv?: { name: string; iterations: number; variance: number }[];
}

describe('initlens propagate --scheme lsuv --data', () => {
  const data = path.join(NPY, 'f4-v1.npy'); // (4, 6) float32

  it('LSUV on the batch of the .npy file agrees with PyTorch (reference.py lsuv) layer by layer, within 1e-3', async (t) => {
    const r = await cli(['propagate', 'm.py', '--model', 'Net', '--seed', '3', '--scheme', 'in-effect,lsuv', '--data', data, '--json', '--no-workspace'], { 'm.py': MLP });
    assert.equal(r.code, 0, r.stderr);
    const json = JSON.parse(r.stdout) as { inputShape: number[]; data: { file: string; dtype: string }; runs: Run[] };
    assert.deepEqual(json.inputShape, [4, 6]);
    assert.deepEqual(json.data, { file: data, dtype: '<f4' });
    const lsuv = json.runs[1];
    assert.deepEqual(lsuv.lsuv?.map((l) => l.name), ['fc1', 'fc2', 'fc3']);
    // Every rescaled layer's output variance is within the tolerance of 1 (the bn layer is no weight layer).
    for (const l of lsuv.layers.filter((x) => x.name !== 'bn')) assert.ok(Math.abs(l.out.std ** 2 - 1) < LSUV_TOLERANCE, `${l.name}: var ${l.out.std ** 2}`);
    if (!torchAvailable()) return t.skip(NO_TORCH);
    const script = `
import json, sys, types
sys.path.insert(0, ${JSON.stringify(path.join(ROOT, 'scripts/signal'))})
import numpy as np, torch
import reference
ns = types.ModuleType('m'); exec(compile(${JSON.stringify(MLP)}, 'm.py', 'exec'), ns.__dict__)
out = []
for scheme in ['in-effect', 'lsuv']:
    torch.manual_seed(3)
    model = ns.Net()
    reference.apply_scheme(model, scheme, 3)
    x = torch.from_numpy(np.load(${JSON.stringify(data)})).float()
    rec = reference.lsuv(model, x) if scheme == 'lsuv' else None
    res = reference.run(model, x, 1)
    out.append({'scheme': scheme, **res, **({'lsuv': rec} if rec is not None else {})})
print(json.dumps(out, default=lambda o: None))
`;
    const py = spawnSync(PYTHON, ['-c', script], { encoding: 'utf8' });
    assert.equal(py.status, 0, py.stderr);
    const want = JSON.parse(py.stdout) as Run[];
    const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);
    want.forEach((w, i) => {
      const g = json.runs[i];
      assert.ok(rel(g.output.std, w.output.std) < 1e-3, `${w.scheme} output ${g.output.std} vs ${w.output.std}`);
      w.layers.forEach((wl, j) => {
        assert.equal(g.layers[j].name, wl.name);
        assert.ok(rel(g.layers[j].out.std, wl.out.std) < 1e-3, `${w.scheme} ${wl.name} out ${g.layers[j].out.std} vs ${wl.out.std}`);
        assert.ok(rel(g.layers[j].grad.std, wl.grad.std) < 1e-3, `${w.scheme} ${wl.name} grad`);
      });
    });
    assert.deepEqual(json.runs[1].lsuv?.map((l) => [l.name, l.iterations]), want[1].lsuv?.map((l) => [l.name, l.iterations]));
  });

  it('a batch whose shape does not fit the model, and a malformed file: exit 1 with one specific line', async () => {
    const wrong = path.join(NPY, 'f8-v2.npy'); // (2, 3, 4)
    const r = await cli(['propagate', 'm.py', '--data', wrong, '--no-workspace'], { 'm.py': MLP });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^initlens: --data [^\n]*f8-v2\.npy: its shape 2×3×4 does not fit Net \([^\n]*\)\n$/);
    const fortran = await cli(['propagate', 'm.py', '--data', path.join(NPY, 'fortran.npy'), '--no-workspace'], { 'm.py': MLP });
    assert.equal(fortran.code, 1);
    assert.match(fortran.stderr, /^initlens: --data [^\n]*fortran\.npy: the \.npy array is in Fortran order[^\n]*\n$/);
    const missing = await cli(['propagate', 'm.py', '--data', path.join(NPY, 'nothing.npy'), '--no-workspace'], { 'm.py': MLP });
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^initlens: cannot read '[^\n]*nothing\.npy' \(ENOENT\)\n$/);
  });

  it('bad arguments exit 2 with one line', async () => {
    for (const argv of [
      ['propagate', 'm.py', '--scheme', 'lsuv,lsuv'],
      ['propagate', 'm.py', '--scheme', ''],
      ['propagate', 'm.py', '--data', ''],
      ['propagate', 'm.py', '--data'],
      ['propagate', 'm.py', '--data', data, '--input-shape', '8,6'],
    ]) {
      const r = await cli(argv, { 'm.py': MLP });
      assert.equal(r.code, 2, `${argv.join(' ')}: ${r.stderr}`);
      assert.equal(r.stdout, '');
      assert.match(r.stderr, /^initlens: [^\n]+\n$/, argv.join(' '));
    }
  });
});

function plan(text: string, name: string) {
  const tree = parsePython(text);
  const model = new ModelAnalyzer().analyze(tree, text).models.find((m) => m.name === name);
  assert.ok(model, name);
  const graph = buildGraph(model, tree, text);
  return planLsuv({ text, tree, imports: collectImports(tree, text), model, ...(graph.notSimulated.length === 0 ? { inputShape: graph.inputShape } : {}) });
}

/** Applies the plan twice: the second changes nothing; the result is valid Python with one function. */
function applyTwice(text: string, name: string): string {
  const once = applyTextEdits(text, plan(text, name).edits);
  assert.deepEqual(syntaxErrors(parsePython(once), once), [], once);
  const again = plan(once, name);
  assert.deepEqual(again.edits, [], 'a second apply changes nothing');
  assert.match(again.summary, /already has lsuv_init_\(\) and its call/);
  assert.equal(once.split(`def ${LSUV_FUNCTION}(`).length, 2);
  return once;
}

const CNN_MAIN = `import torch
from torch import nn


class Small(nn.Module):
  def __init__(self):
    super().__init__()
    self.conv = nn.Conv2d(3, 8, 3, padding=1)
    self.bn = nn.BatchNorm2d(8)
    self.drop = nn.Dropout(0.5)
    self.fc = nn.Linear(8 * 8 * 8, 10)

  def forward(self, x):
    x = torch.relu(self.bn(self.conv(x)))
    x = self.drop(x)
    return self.fc(x.flatten(1))


def main():
  device = torch.device("cpu")
  net = Small().to(device)
  return net
`;

describe('Apply LSUV: the plan', () => {
  it('a class built at module level: the function after the imports, the call after the construction, in the file\'s 4-space style', () => {
    const text = `${MLP}\n\nmodel = Net()\nprint(model)\n`;
    const out = applyTwice(text, 'Net');
    assert.ok(out.startsWith('import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\n\n\ndef lsuv_init_(model, batch, tol=0.1, max_iter=10):\n    """LSUV init'));
    assert.match(out, /\nmodel = Net\(\)\nlsuv_init_\(model, torch\.randn\(8, 6\)\)  # LSUV on a random batch: pass real inputs[^\n]*\nprint\(model\)\n$/);
    assert.ok(out.includes('\n                m.weight.div_(var ** 0.5)\n'));
  });

  it('2-space indentation, `from torch import nn` only: import torch added once, the call inside main() after `.to(device)`', () => {
    const out = applyTwice(CNN_MAIN, 'Small');
    assert.ok(out.startsWith('import torch\nfrom torch import nn\n'), 'torch is already imported: nothing added');
    const noTorch = CNN_MAIN.replace('import torch\nfrom torch import nn\n', 'from torch import nn\n').replace(/torch\.(relu|device)/g, 'nn.functional.relu');
    const fixed = applyTwice(noTorch, 'Small');
    assert.ok(fixed.startsWith('import torch\nfrom torch import nn\n'));
    assert.equal(fixed.match(/^import torch$/gm)?.length, 1);
    assert.match(out, /\n  net = Small\(\)\.to\(device\)\n  lsuv_init_\(net, torch\.randn\(8, 3, 8, 8\)\)  #[^\n]*\n  return net\n/);
    assert.ok(out.includes('\n  layers = [m for m in model.modules() if isinstance(m, (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d))]\n'));
  });

  it('a free-standing Sequential: the call after its (multi-line) statement; a model not built in the file: only the function, saying how to call it', () => {
    const seq = 'import torch.nn as nn\n\nmodel = nn.Sequential(\n    nn.Linear(10, 20),\n    nn.Tanh(),\n    nn.Linear(20, 2),\n)\n';
    const out = applyTwice(seq, 'model');
    assert.ok(out.startsWith('import torch\nimport torch.nn as nn\n'));
    assert.match(out, /\n\)\nlsuv_init_\(model, torch\.randn\(8, 10\)\)  #[^\n]*\n$/);
    const p = plan(MLP, 'Net');
    assert.match(p.summary, /no call: Net is not built in this file; call lsuv_init_\(model, batch\) after building it/);
    const once = applyTextEdits(MLP, p.edits);
    assert.deepEqual(syntaxErrors(parsePython(once), once), []);
    assert.deepEqual(plan(once, 'Net').edits, []);
  });

  it('CRLF files keep CRLF', () => {
    const text = `${MLP}\nmodel = Net()\n`.replace(/\n/g, '\r\n');
    const out = applyTextEdits(text, plan(text, 'Net').edits);
    assert.ok(!/[^\r]\n/.test(out));
    assert.deepEqual(plan(out, 'Net').edits, []);
  });
});

describe('Apply LSUV: the generated function in real PyTorch', () => {
  /** Appends a check to the applied file: after the call, each Linear/Conv output's variance on the same kind of batch. */
  function runChecked(source: string, build: string, shape: number[]): { name: string; var: number }[] {
    const check = `
torch.manual_seed(0)
_m = ${build}
_x = torch.randn(${shape.join(', ')})
lsuv_init_(_m, _x)
_seen = []
_hooks = [m.register_forward_hook(lambda mod, i, o, n=n: _seen.append((n, o.detach().double().var().item())))
          for n, m in _m.named_modules() if isinstance(m, (torch.nn.Linear, torch.nn.Conv2d))]
_m.train()
for _d in _m.modules():
    if isinstance(_d, torch.nn.Dropout):
        _d.eval()
with torch.no_grad():
    _m(_x)
import json
print(json.dumps([{'name': n, 'var': v} for n, v in _seen]))
`;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'initlens-lsuv-'));
    try {
      const file = path.join(dir, 'model.py');
      fs.writeFileSync(file, source + check);
      const py = spawnSync(PYTHON, [file], { encoding: 'utf8', timeout: 120_000 });
      assert.equal(py.status, 0, py.stderr);
      return JSON.parse(py.stdout.trim().split('\n').pop() as string);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }

  it('an MLP with BatchNorm and tanh: every layer\'s output variance is within the tolerance of 1', (t) => {
    if (!torchAvailable()) return t.skip(NO_TORCH);
    const applied = applyTwice(`${MLP}\nmodel = Net()\n`, 'Net');
    const got = runChecked(applied, 'Net()', [64, 6]);
    assert.deepEqual(got.map((g) => g.name), ['fc1', 'fc2', 'fc3']);
    for (const g of got) assert.ok(Math.abs(g.var - 1) < LSUV_TOLERANCE, `${g.name}: var ${g.var}`);
  });

  it('a conv net with dropout, 2-space indented, built in main(): the same, and running main() calls it too', (t) => {
    if (!torchAvailable()) return t.skip(NO_TORCH);
    const applied = applyTwice(CNN_MAIN, 'Small');
    const got = runChecked(`${applied}\nmain()\n`, 'Small()', [16, 3, 8, 8]);
    assert.deepEqual(got.map((g) => g.name), ['conv', 'fc']);
    for (const g of got) assert.ok(Math.abs(g.var - 1) < LSUV_TOLERANCE, `${g.name}: var ${g.var}`);
  });
});

describe('model lens summary (analytic)', () => {
  const keysDir = path.join(ROOT, 'test/fixtures/signal');
  const keys = fs.readdirSync(keysDir).filter((f) => f.endsWith('.json')).map((f) => JSON.parse(fs.readFileSync(path.join(keysDir, f), 'utf8')) as { name: string; text?: string; file?: string; model: string; runs: { scheme: string; output: { std: number } }[] });
  const summaryOf = (key: (typeof keys)[number]) => {
    const text = key.text ?? fs.readFileSync(path.join(ROOT, key.file as string), 'utf8');
    const model = new ModelAnalyzer().analyze(parsePython(text), text).models.find((m) => m.name === key.model);
    assert.ok(model);
    return signalSummary(model);
  };
  it('plain MLP chains (default init, biases included): within 20% of PyTorch\'s output std of the init in effect', () => {
    // deep-mlp-example: 51 default Linear layers, where only the biases keep the signal from 10⁻²⁰ (×0.028 in PyTorch).
    for (const [name, layers] of [['deep-mlp-example', 51], ['deep-relu', 15], ['deep-tanh', 12]] as const) {
      const key = keys.find((k) => k.name === name);
      assert.ok(key);
      const s = summaryOf(key);
      const want = key.runs.find((r) => r.scheme === 'in-effect')?.output.std as number;
      assert.ok(s && Math.abs(s.ratio - want) / want < 0.2, `${name}: ${s?.ratio} vs ${want}`);
      assert.equal(s.layers, layers);
      assert.match(s.title, new RegExp(`^signal ×0\\.0\\d+ over ${layers} layers \\(in effect\\)$`));
      assert.match(s.tooltip, /^Analytic: /);
    }
  });
  it('no summary for what the chain cannot step through: recurrent, attention and embedding layers, classes of the file as modules', () => {
    const none = ['lstm-classifier', 'gru-bidirectional', 'rnn-vanishing', 'rnn-relu-stack', 'lstm-states', 'gpt-block', 'transformer-encoder', 'transformer-batch-first', 'embedding-bag', 'composite-blocks'];
    for (const name of none) {
      const key = keys.find((k) => k.name === name);
      assert.ok(key, name);
      assert.equal(summaryOf(key), undefined, name);
    }
  });
  it('prints each summary beside PyTorch (pooling, LayerNorm and residuals are not in the analytic chain: conv nets differ more)', (t) => {
    for (const key of keys) t.diagnostic(`${key.name}: ${summaryOf(key)?.title} vs PyTorch ${key.runs.find((r) => r.scheme === 'in-effect')?.output.std}`);
  });
});

describe('activation histograms (the Glorot & Bengio view)', () => {
  it('Xavier on the 12-layer tanh MLP: each layer\'s histogram as PyTorch\'s values give it (range within 1e-5, counts within 2 per bin)', async (t) => {
    if (!torchAvailable()) return t.skip(NO_TORCH);
    const key = JSON.parse(fs.readFileSync(path.join(ROOT, 'test/fixtures/signal/deep-tanh.json'), 'utf8')) as { text: string; seed: number; inputSeed: number; inputShape: number[] };
    const tf = (await loadSignalTf({ candidates: ['cpu'] })).tf;
    const tree = parsePython(key.text);
    const model = new ModelAnalyzer().analyze(tree, key.text).models[0];
    const graph = buildGraph(model, tree, key.text, { inputShape: key.inputShape });
    const prepared = prepareRuns(model, graph, { seed: BigInt(key.seed), inputSeed: BigInt(key.inputSeed), schemes: [signalScheme('xavier') as SignalScheme] });
    const h = await layerHistograms(tf, graph, prepared.runs[0].weights, prepared.input, 40);
    const script = `
import json, sys, types
sys.path.insert(0, ${JSON.stringify(path.join(ROOT, 'scripts/signal'))})
import torch
import reference
ns = types.ModuleType('m'); exec(compile(${JSON.stringify(key.text)}, 'm.py', 'exec'), ns.__dict__)
model = ns.model
reference.apply_scheme(model, 'xavier', ${key.seed})
x = torch.randn(${key.inputShape.join(', ')}, generator=torch.Generator().manual_seed(${key.inputSeed}))
vals = []
with torch.no_grad():
    mods = list(model)
    for i, m in enumerate(mods):
        x = m(x)
        if isinstance(m, torch.nn.Tanh) or i == len(mods) - 1:
            vals.append(x.double().flatten())
lo = min(v.min().item() for v in vals); hi = max(v.max().item() for v in vals)
w = (hi - lo) / 40
print(json.dumps({'lo': lo, 'hi': hi, 'counts': [torch.clamp(((v - lo) / w).floor().long(), max=39).bincount(minlength=40).tolist() for v in vals]}))
`;
    const py = spawnSync(PYTHON, ['-c', script], { encoding: 'utf8' });
    assert.equal(py.status, 0, py.stderr);
    const want = JSON.parse(py.stdout) as { lo: number; hi: number; counts: number[][] };
    assert.ok(Math.abs(h.lo - want.lo) <= 1e-5 * Math.abs(want.lo) && Math.abs(h.hi - want.hi) <= 1e-5 * Math.abs(want.hi), `${h.lo}..${h.hi} vs ${want.lo}..${want.hi}`);
    assert.equal(h.layers.length, 12);
    assert.deepEqual(h.layers.map((l) => l.of), [...Array<string>(11).fill('activation'), 'output']);
    h.layers.forEach((l, i) => {
      assert.equal(l.n, 8 * 256);
      l.counts.forEach((c, b) => assert.ok(Math.abs(c - want.counts[i][b]) <= 2, `layer ${i + 1} bin ${b}: ${c} vs ${want.counts[i][b]}`));
    });
    // The densities integrate to 1 per layer.
    const pts = histogramPoints(h);
    const width = (h.hi - h.lo) / h.bins;
    for (const name of new Set(pts.map((p) => p.layer))) assert.ok(Math.abs(pts.filter((p) => p.layer === name).reduce((a, p) => a + p.density * width, 0) - 1) < 1e-9);
  });
});

describe('the Signal panel protocol: the batch and LSUV', () => {
  it('reads a pickData request, a batch URI in the settings and an LSUV run; refuses a batch that is no URI', () => {
    assert.deepEqual(parseSignalPageMessage({ type: 'pickData' }), { value: { type: 'pickData' } });
    const settings = { seed: '', inputSeed: '0', inputShape: '4,6', data: 'file:///home/u/batch.npy' };
    assert.deepEqual(parseSignalPageMessage({ type: 'configure', settings }), { value: { type: 'configure', settings } });
    assert.deepEqual(parseSignalPanelState({ uri: 'file:///home/u/m.py', model: 'Net', settings }), { value: { uri: 'file:///home/u/m.py', model: 'Net', settings } });
    const bad = parseSignalPageMessage({ type: 'configure', settings: { ...settings, data: 'rm -rf /' } });
    assert.ok('problem' in bad && /data/.test(bad.problem), JSON.stringify(bad));
  });
});

describe("the Signal page's compute module", () => {
  it('rescales the LSUV run as propagate does, and draws its histograms from the rescaled weights', async () => {
    const loaded = await loadSignalTf({ candidates: ['cpu'] });
    const tree = parsePython(MLP);
    const model = new ModelAnalyzer().analyze(tree, MLP).models[0];
    const graph = buildGraph(model, tree, MLP);
    const schemes = [signalScheme('orthogonal') as SignalScheme, signalScheme('lsuv') as SignalScheme];
    const prepared = prepareRuns(model, graph, { seed: 0n, inputSeed: 0n, schemes });
    const job = {
      type: 'job' as const, request: 1, uri: 'file:///m.py', title: '', model: 'Net', settings: { seed: '0', inputSeed: '0', inputShape: '' }, inputNote: '', graph,
      input: prepared.input, upstream: prepared.upstream, skipped: [],
      runs: prepared.runs.map(jobRun),
    };
    // LSUV starts from the orthogonal scheme's very draws: one QR for both.
    assert.equal(prepared.runs[1].weights, prepared.runs[0].weights);
    const got: SignalStats[] = [];
    assert.equal(await runJob(loaded, job, async (i) => job.runs[i], (_, s) => got.push(s), () => false), 2);
    const want = await propagate(loaded.tf, model, graph, { seed: 0n, inputSeed: 0n, schemes, backend: 'cpu' });
    assert.deepEqual(got.map((s) => s.output.std), want.runs.map((r) => r.output.std));
    assert.ok(Math.abs(got[1].layers[0].out.std - 1) < 0.05 && Math.abs(got[0].layers[0].out.std - 1) > 0.05);
    // The histogram of LSUV's first layer is its rescaled output's: wider than the orthogonal one's.
    const [orth, lsuv] = [await histogramsOf(loaded, job, 0), await histogramsOf(loaded, job, 1)];
    assert.ok(lsuv.hi - lsuv.lo > orth.hi - orth.lo, `${lsuv.lo}..${lsuv.hi} vs ${orth.lo}..${orth.hi}`);
  });
});
