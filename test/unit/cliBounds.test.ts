/**
 * Issue 12: the CLI answers malformed invocations with one line and exit 2
 * (1 when the input or the work fails), never a stack trace, and refuses
 * work above its bounds before starting. Runs in-process on the real file
 * system (the binary's own bounded reader), plus a few runs of dist/cli.js.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../../src/cli/run';
import { schemeFromArgs } from '../../src/cli/sample';
import { DEFAULT_MAX_LENGTH } from '../../src/core/model/analyze';
import { BACKEND_SETTINGS } from '../../src/core/sampling/backends';
import { settingDefault, settingEnum } from '../../src/core/settings';
import { LIMITS } from '../../src/core/limits';
import { nodeFiles } from '../../src/node/cliFiles';
import { readBounded } from '../../src/node/readBounded';
import { ROOT } from '../host/paths';

const MODEL = 'import torch\nimport torch.nn as nn\ntorch.manual_seed(0)\nclass M(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.fc = nn.Linear(4, 3)\n    def forward(self, x):\n        return torch.relu(self.fc(x))\nm = M()\n';

let dir = '';
const file = (name: string) => path.join(dir, name);

before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'initlens-bounds-'));
  fs.writeFileSync(file('m.py'), MODEL);
  fs.mkdirSync(file('folder.py'));
  fs.writeFileSync(file('big_linear.py'), MODEL.replace('nn.Linear(4, 3)', 'nn.Linear(20000, 20000)'));
  // One byte above the limit, and a 50 MB sparse file: neither is read past the limit.
  fs.writeFileSync(file('over.py'), Buffer.alloc(LIMITS.inputBytes.value + 1, 0x23));
  fs.writeFileSync(file('at_limit.py'), Buffer.alloc(LIMITS.inputBytes.value, 0x23));
  const fd = fs.openSync(file('fifty_mb.py'), 'w');
  fs.ftruncateSync(fd, 50 * 1024 * 1024);
  fs.closeSync(fd);
});

after(() => fs.rmSync(dir, { recursive: true, force: true }));

async function run(argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t), readFile: nodeFiles().readFile }, '9.9.9');
  return { code, stdout, stderr };
}

/** Exactly one `initlens: …` line on stderr, nothing on stdout, no stack frame. */
function assertOneLine(r: { code: number; stdout: string; stderr: string }, code: number, label: string): void {
  assert.equal(r.code, code, `${label}: exit code (stderr: ${r.stderr})`);
  assert.equal(r.stdout, '', `${label}: stdout`);
  assert.match(r.stderr, /^initlens: [^\n]+\n$/, `${label}: one line`);
  assert.doesNotMatch(r.stderr, /\n\s+at /, `${label}: no stack frame`);
}

/** Malformed values for an option, each with why it is malformed. */
const BAD_NUMBERS = ['', 'abc', '0x10', '0b11', 'NaN', 'Infinity', '-Infinity', '1e999', ' 1', '1_000', '1,5', '9'.repeat(400)];
const BAD_INTEGERS = [...BAD_NUMBERS, '1.5', '1e3', '-1'];

/** The malformed invocations, generated: [argv, expected exit code]. */
function malformed(): [string[], number][] {
  const cases: [string[], number][] = [];
  const m = () => file('m.py');
  const sample = (...args: string[]) => ['sample', '--scheme', 'normal', '--shape', '2,2', ...args];
  // Unknown commands, flags, and flags missing their value.
  for (const argv of [['frobnicate'], ['--frob'], ['-z'], ['report', '--frob', m()], ['analyze', '--frob', m()], ['model', m(), '--torch-exact', '--frob'], ['seed', m(), '--frob'], sample('--frob'), sample('-q')]) cases.push([argv, 2]);
  for (const option of ['scheme', 'shape', 'mode', 'nonlinearity', 'a', 'gain', 'mean', 'std', 'low', 'high', 'value', 'sparsity', 'groups', 'scale', 'distribution', 'framework', 'seed', 'bins', 'values', 'backend', 'format']) cases.push([sample(`--${option}`), 2]);
  for (const option of ['class', 'seed', 'npz', 'values', 'format']) cases.push([['model', m(), '--torch-exact', `--${option}`], 2]);
  cases.push([['seed', m(), '--seed'], 2]);
  // Wrong counts of positionals and missing modes.
  for (const argv of [['report'], ['report', m(), m()], ['analyze'], ['model'], ['model', m()], ['model', m(), m(), '--torch-exact'], ['seed'], ['seed', m(), m()], ['sample', 'x'], ['sample', '--shape', '2,2'], ['sample', '--scheme', 'normal']]) cases.push([argv, 2]);
  // Numeric options: every malformed spelling.
  for (const option of ['a', 'gain', 'mean', 'std', 'low', 'high', 'value', 'sparsity', 'scale']) {
    for (const bad of BAD_NUMBERS) cases.push([sample(`--${option}`, bad), 2]);
  }
  for (const option of ['bins', 'values', 'seed']) for (const bad of BAD_INTEGERS) cases.push([sample(`--${option}`, bad), 2]);
  for (const bad of BAD_INTEGERS.filter((b) => b !== '-1')) cases.push([['model', m(), '--torch-exact', '--values', bad], 2], [['model', m(), '--torch-exact', '--seed', bad], 2]);
  for (const bad of BAD_INTEGERS) cases.push([['seed', m(), '--seed', bad], 2]);
  for (const bad of ['', 'abc', '2,,2', '2,0', '0', '-2', '2.5', '0x10', '1e3', ' 2', '2,', ',2', '9'.repeat(400)]) cases.push([['sample', '--scheme', 'normal', '--shape', bad], 2]);
  // Out of range: the issue's own examples, and each range's edges.
  for (const args of [
    ['--mean', '1e308', '--std', '1e308'],
    ['--mean', '1e31'],
    ['--std', '-1'],
    ['--std', '-0.5'],
    ['--bins', '0'],
    ['--bins', String(LIMITS.bins.value + 1)],
    ['--values', String(LIMITS.printedValues.value + 1)],
    ['--seed', '18446744073709551616'],
    ['--backend', 'tpu'],
    ['--framework', 'jax'],
    ['--format', 'bits'],
  ]) cases.push([sample(...args), 2]);
  for (const args of [
    ['--scheme', 'xavier_normal', '--gain', '-1'],
    ['--scheme', 'kaiming_normal', '--mode', 'fan_avg'],
    ['--scheme', 'kaiming_normal', '--nonlinearity', 'swish'],
    ['--scheme', 'variance_scaling', '--scale', '0'],
    ['--scheme', 'variance_scaling', '--distribution', 'normal'],
    ['--scheme', 'sparse', '--sparsity', '1.5'],
    ['--scheme', 'sparse'],
    ['--scheme', 'constant'],
    ['--scheme', 'dirac', '--groups', '0'],
    ['--scheme', 'uniform', '--low', '1', '--high', '1'],
    ['--scheme', 'trunc_normal', '--std', '0'],
    ['--scheme', 'he_normal', '--torch-exact'],
    ['--scheme', 'nope'],
  ]) cases.push([['sample', '--shape', '4,4', ...args], 2]);
  cases.push([['model', m(), '--torch-exact', '--seed', '18446744073709551616'], 2], [['model', m(), '--torch-exact', '--format', 'hex'], 2]);
  cases.push([['seed', m(), '--seed', '4294967296'], 2], [['seed', m(), '--deterministic', '--no-deterministic'], 2], [['seed', '-', '--write'], 2]);
  // Files that cannot be read: missing, a directory, a device, too large (analyze reports them as usage errors).
  for (const bad of [file('missing.py'), file('folder.py'), '/dev/zero', file('over.py'), file('fifty_mb.py')]) {
    cases.push([['report', bad], 1], [['analyze', bad], 2], [['model', bad, '--torch-exact', '--seed', '0'], 1], [['seed', bad], 1]);
  }
  return cases;
}

describe('CLI: malformed invocations', () => {
  it('each gets exactly one line on stderr and exit code 2 (1 for unreadable input), never a stack trace', async () => {
    const cases = malformed();
    assert.ok(cases.length >= 150, `${cases.length} invocations`);
    for (const [argv, code] of cases) assertOneLine(await run(argv), code, argv.join(' '));
  });

  it('the issue examples get specific messages', async () => {
    const cases: [string[], string][] = [
      [['sample', '--scheme', 'normal', '--shape', '2,2', '--mean', '1e308', '--std', '1e308'], '--mean must be at least -1000000 and at most 1000000, got 1e308'],
      [['sample', '--scheme', 'xavier_normal', '--shape', '2,2', '--gain', '-1'], '--gain must be above 0 and at most 1000000, got -1'],
      [['model', file('m.py'), '--torch-exact', '--values', ''], "--values expects an integer from 0 to 1000000, got ''"],
      [['model', file('m.py'), '--torch-exact', '--values', '0x10'], "--values expects an integer from 0 to 1000000, got '0x10'"],
      [['seed', file('m.py'), '--seed', '-1'], '--seed must be an integer from 0 to 4294967295, got -1'],
    ];
    for (const [argv, message] of cases) {
      const r = await run(argv);
      assertOneLine(r, 2, argv.join(' '));
      assert.equal(r.stderr, `initlens: ${message} (see 'initlens --help')\n`);
    }
  });

  it('a negative seed is a value, not a flag, wherever seeds may be negative', async () => {
    const r = await run(['model', file('m.py'), '--torch-exact', '--seed', '-1', '--values', '1']);
    assert.equal(r.code, 0, r.stderr);
    // torch.manual_seed(-1); nn.Linear(4, 3).weight.flatten()[0] -> 0.4937993884086609
    assert.match(r.stdout, /^M in .*torch\.manual_seed\(-1\)[^\n]*\n  fc\.weight \[3×4\] exact\n      0\.4937993884086609 …\n/);
  });
});

describe('CLI: work above the bounds is refused before it starts', () => {
  it('sample --shape 100000,100000: the element limit, at once', async () => {
    const start = performance.now();
    const r = await run(['sample', '--scheme', 'normal', '--shape', '100000,100000']);
    assertOneLine(r, 2, 'shape');
    assert.equal(r.stderr, "initlens: --shape 100000×100000: 10,000,000,000 elements is above the limit of 1,073,741,824 elements for a sampled tensor (see 'initlens --help')\n");
    assert.ok(performance.now() - start < 1000);
  });

  it('exact orthogonal 4000×4000: the QR limit, before the draws', async () => {
    const start = performance.now();
    const r = await run(['sample', '--scheme', 'orthogonal', '--shape', '4000,4000', '--torch-exact']);
    assertOneLine(r, 2, 'orthogonal');
    // 4000 · 4000 · 4000 = 6.4e10 multiply-adds.
    assert.equal(r.stderr, "initlens: orthogonal_ on 4000×4000: 64,000,000,000 multiply-adds is above the limit of 268,435,456 multiply-adds for orthogonal_ (rows·cols·min(rows, cols)) (see 'initlens --help')\n");
    assert.ok(performance.now() - start < 1000);
  });

  it('sample --torch-exact: the exact-mode value limit', async () => {
    const r = await run(['sample', '--scheme', 'normal', '--shape', '8193,8193', '--torch-exact']);
    assertOneLine(r, 2, 'exact shape');
    // 8193² = 67,125,249 > 2^26.
    assert.equal(r.stderr, "initlens: --shape 8193×8193: 67,125,249 values is above the limit of 67,108,864 values for exact mode (see 'initlens --help')\n");
  });

  it('model --torch-exact on Linear(20000, 20000): the value limit, before any allocation', async () => {
    const start = performance.now();
    const r = await run(['model', file('big_linear.py'), '--torch-exact']);
    assertOneLine(r, 1, 'big linear');
    // 20000 · 20000 + 20000 values.
    assert.equal(r.stderr, 'initlens: fc (Linear): 400,020,000 values is above the limit of 67,108,864 values for exact mode\n');
    assert.ok(performance.now() - start < 2000);
  });

  it('inputs are read up to the limit and no further: large files, /dev/zero, 50 MB', async () => {
    for (const bad of ['/dev/zero', file('over.py'), file('fifty_mb.py')]) {
      const r = await run(['report', bad]);
      assert.equal(r.stderr, `initlens: '${bad}' is above the limit of 2,000,000 bytes for input files\n`);
    }
    assert.equal(readBounded(file('at_limit.py'), LIMITS.inputBytes.value).length, LIMITS.inputBytes.value);
    assert.throws(() => readBounded(file('over.py'), LIMITS.inputBytes.value), /above the limit of 2,000,000 bytes/);
  });
});

describe('CLI: the built binary', () => {
  const cli = path.join(ROOT, 'dist', 'cli.js');

  it('stdin is bounded too, and a bad invocation is one line from the process', () => {
    const big = spawnSync(process.execPath, [cli, 'report', '-'], { input: Buffer.alloc(LIMITS.inputBytes.value + 10, 0x23), encoding: 'utf8' });
    assert.equal(big.status, 1);
    assert.equal(big.stderr, "initlens: '-' is above the limit of 2,000,000 bytes for input files\n");
    const ok = spawnSync(process.execPath, [cli, 'analyze', '-', '--json'], { input: MODEL, encoding: 'utf8' });
    assert.equal(ok.status, 0, ok.stderr);
    assert.equal(JSON.parse(ok.stdout).models[0].layers[0].params, 15);
    for (const argv of [['sample', '--scheme', 'normal', '--shape', '2,2', '--mean', '1e308', '--std', '1e308'], ['seed', '/dev/zero'], ['model', dir, '--torch-exact']]) {
      const r = spawnSync(process.execPath, [cli, ...argv], { encoding: 'utf8' });
      assert.ok(r.status === 1 || r.status === 2, `${argv.join(' ')}: ${r.status}`);
      assert.match(r.stderr, /^initlens: [^\n]+\n$/, argv.join(' '));
    }
  });
});

describe('one source: the CLI and the analysis share schemes, defaults and settings', () => {
  it('sample --scheme NAME: the libraries\' own defaults (torch/nn/init.py, keras/src/initializers)', () => {
    const expected: [string[], unknown][] = [
      [['uniform_'], { kind: 'uniform', a: 0, b: 1 }],
      [['normal'], { kind: 'normal', mean: 0, std: 1 }],
      [['trunc_normal'], { kind: 'trunc_normal', mean: 0, std: 1, a: -2, b: 2 }],
      [['trunc_normal', '--low', '-0.04', '--high', '0.04', '--std', '0.02'], { kind: 'trunc_normal', mean: 0, std: 0.02, a: -0.04, b: 0.04 }],
      [['constant', '--value', '0.5'], { kind: 'constant', value: 0.5 }],
      [['dirac'], { kind: 'dirac', groups: 1 }],
      [['xavier_normal', '--gain', '2'], { kind: 'xavier_normal', gain: 2 }],
      [['kaiming_uniform'], { kind: 'kaiming_uniform', a: 0, mode: 'fan_in', nonlinearity: 'leaky_relu' }],
      [['kaiming_normal', '--a', '-0.5', '--mode', 'fan_out', '--nonlinearity', 'relu'], { kind: 'kaiming_normal', a: -0.5, mode: 'fan_out', nonlinearity: 'relu' }],
      [['orthogonal'], { kind: 'orthogonal', gain: 1 }],
      [['sparse', '--sparsity', '0.1'], { kind: 'sparse', sparsity: 0.1, std: 0.01 }],
      [['random_normal'], { kind: 'normal', mean: 0, std: 0.05 }],
      [['random_uniform', '--low', '-1', '--high', '1'], { kind: 'uniform', a: -1, b: 1 }],
      [['truncated_normal'], { kind: 'trunc_normal', mean: 0, std: 0.05, a: -0.1, b: 0.1 }],
      [['variance_scaling', '--mode', 'fan_avg', '--distribution', 'uniform', '--scale', '3'], { kind: 'variance_scaling', scale: 3, mode: 'fan_avg', distribution: 'uniform' }],
      [['he_normal'], { kind: 'variance_scaling', scale: 2, mode: 'fan_in', distribution: 'truncated_normal' }],
      [['glorot_uniform'], { kind: 'variance_scaling', scale: 1, mode: 'fan_avg', distribution: 'uniform' }],
      [['torch_default_linear'], { kind: 'kaiming_uniform', a: Math.sqrt(5), mode: 'fan_in', nonlinearity: 'leaky_relu' }],
      [['torch_default_embedding'], { kind: 'normal', mean: 0, std: 1 }],
    ];
    for (const [[scheme, ...rest], want] of expected) {
      const values: Record<string, string> = { scheme };
      for (let i = 0; i < rest.length; i += 2) values[rest[i].slice(2)] = rest[i + 1];
      assert.deepEqual(schemeFromArgs(values).scheme, want, [scheme, ...rest].join(' '));
    }
    assert.equal(schemeFromArgs({ scheme: 'he_normal' }).framework, 'keras');
  });

  it('the README\'s table of limits is limits.ts', () => {
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Limits'), readme.indexOf('\n## ', readme.indexOf('## Limits') + 1));
    const rows = [...section.matchAll(/^\| `(\w+)` \| ([^|]+) \| ([^|]+) \|/gm)].map((m) => [m[1], m[2].trim(), m[3].trim()]);
    const fmt = (n: number) => (Number.isSafeInteger(n) ? n.toLocaleString('en-US') : String(n));
    assert.deepEqual(rows, Object.entries(LIMITS).map(([key, l]) => [key, `${fmt(l.value)} ${l.unit}`, l.what]));
  });

  it('setting defaults and choices are package.json\'s', () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    const properties = manifest.contributes.configuration.properties;
    assert.equal(DEFAULT_MAX_LENGTH, properties['initlens.analysis.maxFileSize'].default);
    assert.equal(LIMITS.documentLength.value, properties['initlens.analysis.maxFileSize'].default);
    assert.equal(LIMITS.inputBytes.value, properties['initlens.analysis.maxFileSize'].default);
    assert.deepEqual(BACKEND_SETTINGS, properties['initlens.compute.backend'].enum);
    assert.deepEqual(settingEnum('compute.backend'), properties['initlens.compute.backend'].enum);
    assert.equal(settingDefault('seed.default'), properties['initlens.seed.default'].default);
  });

  it('the README\'s settings table lists every declared setting with its default', () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    const properties: Record<string, { default: unknown }> = manifest.contributes.configuration.properties;
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Settings'), readme.indexOf('\n## ', readme.indexOf('## Settings') + 1));
    const rows = new Map([...section.matchAll(/^\| `(initlens\.[\w.<>]+)` \| `([^`]*)` \|/gm)].map((m) => [m[1], m[2]]));
    // One row stands for the per-rule switches.
    const key = (k: string) => (k.startsWith('initlens.diagnostics.') ? 'initlens.diagnostics.<rule>' : k);
    assert.deepEqual([...new Set(Object.keys(properties).map(key))].sort(), [...rows.keys()].sort());
    for (const [k, p] of Object.entries(properties)) assert.equal(rows.get(key(k)), Array.isArray(p.default) ? JSON.stringify(p.default) : String(p.default), k);
  });
});
