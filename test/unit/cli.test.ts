import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { USAGE } from '../../src/cli/run';
import { runInMemory } from './cliHarness';
import { ROOT } from '../host/paths';

const root = ROOT;

const run = runInMemory;

describe('runCli', () => {
  it('prints help and version', () => {
    assert.deepEqual(run(['--help']), { code: 0, stdout: USAGE, stderr: '' });
    assert.deepEqual(run([]), { code: 0, stdout: USAGE, stderr: '' });
    assert.deepEqual(run(['--version']), { code: 0, stdout: '9.9.9\n', stderr: '' });
  });

  it('rejects unknown commands and flags with one line and exit code 2', () => {
    for (const argv of [['frobnicate'], ['--frob'], ['report', '--frob', 'x.py'], ['report'], ['report', 'a.py', 'b.py']]) {
      const result = run(argv);
      assert.equal(result.code, 2, argv.join(' '));
      assert.equal(result.stdout, '');
      assert.match(result.stderr, /^initlens: [^\n]+\(see 'initlens --help'\)\n$/, argv.join(' '));
    }
  });

  it('reports a file as JSON', () => {
    const result = run(['report', 'm.py', '--json'], { 'm.py': 'import torch\nimport random\nrandom.seed(3)\n' });
    assert.equal(result.code, 0);
    assert.deepEqual(JSON.parse(result.stdout), {
      file: 'm.py',
      frameworks: [
        { id: 'random', line: 2 },
        { id: 'torch', line: 1 },
      ],
      rngs: [
        { rng: 'python', seededBy: [{ api: 'random.seed', line: 3, argument: '3' }] },
        { rng: 'torch-cpu', seededBy: [] },
        { rng: 'torch-cuda', seededBy: [] },
      ],
      problems: [],
    });
  });

  it('refuses unreadable files and broken Python with exit code 1', () => {
    assert.deepEqual(run(['report', 'missing.py']), { code: 1, stdout: '', stderr: "initlens: cannot read 'missing.py' (ENOENT)\n" });
    const broken = run(['report', 'b.py'], { 'b.py': 'import torch\ndef f(:\n' });
    assert.equal(broken.code, 1);
    assert.equal(broken.stderr, 'initlens: b.py:2:7: Python syntax error; nothing analyzed\n');
  });
});

describe('initlens analyze', () => {
  const model = 'import torch.nn as nn\nclass M(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.fc = nn.Linear(100, 10)\n    def forward(self, x):\n        return nn.functional.relu(self.fc(x))\n';

  it('prints the layers with fans, counts, current and recommended init as JSON', async () => {
    const result = await run(['analyze', 'm.py', '--json'], { 'm.py': model });
    assert.equal(result.code, 0);
    const json = JSON.parse(result.stdout);
    assert.equal(json.models[0].name, 'M');
    const fc = json.models[0].layers[0];
    assert.deepEqual([fc.name, fc.type, fc.line, fc.fanIn, fc.fanOut, fc.params, fc.activation.kind], ['fc', 'Linear', 5, 100, 10, 1010, 'relu']);
    // He: sqrt(2)/sqrt(100); PyTorch default: (1/sqrt(100))/sqrt(3)
    assert.ok(Math.abs(fc.recommended.std - Math.SQRT2 / 10) < 1e-15);
    assert.ok(Math.abs(fc.current.std - 0.1 / Math.sqrt(3)) < 1e-15);
    assert.equal(fc.recommended.code, 'nn.init.kaiming_normal_(self.fc.weight, nonlinearity="relu")');
  });

  it('prints a table, reads broken files partially, and exits 2 on unreadable ones', async () => {
    const table = await run(['analyze', 'm.py'], { 'm.py': model });
    assert.match(table.stdout, /^m\.py\n  M \(torch-module, line 2\): 1 layer, 1,010 parameters\n/);
    assert.match(table.stdout, /fc +Linear +5 +100 +10 +1,010 +ReLU +kaiming_uniform_\(a=√5\) = U\(±1\/√fan_in\) \(std 0\.05774\) +kaiming_normal_ \(std 0\.1414\)/);
    const broken = await run(['analyze', 'b.py'], { 'b.py': `${model}def oops(:\n` });
    assert.equal(broken.code, 0);
    assert.match(broken.stdout, /^b\.py \(2 syntax errors: showing what could be read\)\n  M \(torch-module/);
    assert.deepEqual(await run(['analyze', 'missing.py']), { code: 2, stdout: '', stderr: "initlens: cannot read 'missing.py' (ENOENT)\n" });
  });
});

describe('dist/cli.js (the built binary)', () => {
  const cli = path.join(root, 'dist', 'cli.js');
  const version = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).version as string;

  it('runs as a program: version, help, usage errors', () => {
    const v = spawnSync(process.execPath, [cli, '--version'], { encoding: 'utf8' });
    assert.equal(v.status, 0);
    assert.equal(v.stdout, `${version}\n`);
    const bad = spawnSync(process.execPath, [cli, 'nope'], { encoding: 'utf8' });
    assert.equal(bad.status, 2);
    assert.equal(bad.stderr, "initlens: unknown command 'nope' (see 'initlens --help')\n");
    assert.equal(fs.readFileSync(cli, 'utf8').split('\n')[0], '#!/usr/bin/env node');
  });

  it('reports on the example model', () => {
    const r = spawnSync(process.execPath, [cli, 'report', path.join(root, 'examples', 'mnist_mlp.py')], { encoding: 'utf8' });
    assert.equal(r.status, 0);
    assert.match(r.stdout, /\| Python `random` \| \*\*not seeded\*\* \|/);
    assert.match(r.stdout, /\| PyTorch CPU generator \| `torch\.manual_seed\(42\)` \(line 9\) \|/);
  });
});
