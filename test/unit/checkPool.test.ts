/**
 * `initlens check --jobs N`: the files shared out to dist/checkWorker.js
 * worker threads give the same output, in the same order, as one thread, and
 * `--fix` writes from the workers. (No timing here: the speed-up is measured
 * apart from the unit tests, on a machine of its own.)
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../../src/cli/run';
import { nodeFiles } from '../../src/node/cliFiles';
import { nodeTree } from '../../src/node/checkTree';
import { projectLister } from '../../src/node/workspaceFiles';
import { ROOT } from '../host/paths';

const WORKER = path.join(ROOT, 'dist', 'checkWorker.js');
const CUDA = 'import torch\ntorch.manual_seed(0)\ntorch.cuda.manual_seed(1)\n';
const TRAIN = 'import torch\nmodel = torch.nn.Linear(4, 1)\nopt = torch.optim.Adam(model.parameters())\nloss = model(torch.ones(4)).sum()\nloss.backward()\nopt.step()\n';

let dir = '';
async function run(argv: string[], checkWorker = WORKER) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t), ...nodeFiles(), project: projectLister(), tree: nodeTree(), checkWorker }, '9.9.9');
  return { code, stdout, stderr: stderr.replace(/ in \d+\.\d\d s:/, ' in T s:') };
}

describe('initlens check --jobs', () => {
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'initlens-pool-'));
    for (let i = 0; i < 24; i++) fs.writeFileSync(path.join(dir, `f${String(i).padStart(2, '0')}.py`), i % 3 === 0 ? CUDA : i % 3 === 1 ? TRAIN : 'x = 1\n');
    fs.writeFileSync(path.join(dir, 'bin.py'), Buffer.from([0, 1, 2]));
    fs.writeFileSync(path.join(dir, 'nb.ipynb'), '{"cells": [');
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('the dist worker is built (node esbuild.js)', () => {
    assert.ok(fs.existsSync(WORKER), WORKER);
  });

  it('3 workers give exactly the output of 1, in walk order', async () => {
    const one = await run(['check', '--jobs', '1', dir]);
    const three = await run(['check', '--jobs', '3', '--format', 'text', dir]);
    assert.equal(one.code, 1);
    assert.equal(three.code, 1);
    assert.equal(three.stdout, one.stdout);
    assert.equal(three.stderr, one.stderr);
    // 8 cuda files, 8 training files; 2 not checked.
    assert.equal(one.stdout.split('\n').filter(Boolean).length, 16);
    assert.match(one.stderr, /Checked 24 files in T s: 16 problems, 2 paths not checked\.\n$/);
    // The workers did run: a missing worker script fails with --jobs 3, not with --jobs 1.
    const missing = path.join(dir, 'no-such-worker.js');
    assert.equal((await run(['check', '--jobs', '3', dir], missing)).code, 1);
    assert.match((await run(['check', '--jobs', '3', dir], missing)).stderr, /^initlens: internal error: .*no-such-worker/);
    assert.equal((await run(['check', '--jobs', '1', dir], missing)).stdout, one.stdout);
    const lines = one.stdout.split('\n').filter(Boolean).map((l) => path.basename(l.split(':')[0]));
    assert.deepEqual(lines, [...lines].sort());
  });

  it('--fix from the workers writes the files; a second run finds nothing to fix', async () => {
    const fixed = await run(['check', '--jobs', '2', '--fix', dir]);
    assert.match(fixed.stderr, /: no problems, 16 fixes written, 2 paths not checked\.\n$/);
    assert.equal(fs.readFileSync(path.join(dir, 'f00.py'), 'utf8'), CUDA.replace('manual_seed(1)', 'manual_seed_all(1)'));
    const again = await run(['check', '--jobs', '2', '--fix', dir]);
    assert.match(again.stderr, /: no problems, 0 fixes written, 2 paths not checked\.\n$/);
  });

  it('--jobs takes an integer from 1 to 64', async () => {
    for (const bad of ['0', '65', 'two', '1.5']) assert.equal((await run(['check', '--jobs', bad, dir])).code, 2, bad);
  });
});

/**
 * A class whose sizes come from the file that builds it: `Block(-3)` in
 * train.py makes `nn.Linear(dim, 4)` in model.py one PyTorch rejects (torch
 * 1.13: "RuntimeError: Trying to create tensor with negative dimension -3:
 * [4, -3]"), found as `initlens analyze` and the editor find it.
 */
describe('initlens check across the files of a project', () => {
  let project = '';
  const MODEL = 'import torch.nn as nn\n\n\nclass Block(nn.Module):\n    def __init__(self, dim):\n        super().__init__()\n        self.fc = nn.Linear(dim, 4)\n\n    def forward(self, x):\n        return self.fc(x)\n';
  before(() => {
    project = fs.mkdtempSync(path.join(os.tmpdir(), 'initlens-project-'));
    fs.writeFileSync(path.join(project, 'pyproject.toml'), '[project]\nname = "p"\n');
    fs.writeFileSync(path.join(project, 'model.py'), MODEL);
    fs.writeFileSync(path.join(project, 'train.py'), 'from model import Block\n\nblock = Block(-3)\n');
    // Enough files for two workers (at least 4 each).
    for (let i = 0; i < 8; i++) fs.writeFileSync(path.join(project, `util${i}.py`), 'x = 1\n');
  });
  after(() => fs.rmSync(project, { recursive: true, force: true }));

  it('the construction in train.py sizes model.py, with 1 thread and with 2 workers; --no-workspace: each file alone', async () => {
    const expected = `${path.join(project, 'model.py')}:7:29: IL001 Linear fc: in_features = dim (-3) is negative; PyTorch would reject it.\n`;
    for (const jobs of ['1', '2']) {
      const r = await run(['check', '--jobs', jobs, project]);
      assert.equal(r.stdout, expected, jobs);
      assert.equal(r.stderr, 'Checked 10 files in T s: 1 problem.\n');
      assert.equal(r.code, 1);
    }
    // A file named alone still reads its project, as analyze does.
    assert.equal((await run(['check', path.join(project, 'model.py')])).stdout, expected);
    const alone = await run(['check', '--no-workspace', project]);
    assert.equal(alone.stdout, '');
    assert.equal(alone.code, 0);
  });
});
