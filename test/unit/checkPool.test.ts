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
import { ROOT } from '../host/paths';

const WORKER = path.join(ROOT, 'dist', 'checkWorker.js');
const CUDA = 'import torch\ntorch.manual_seed(0)\ntorch.cuda.manual_seed(1)\n';
const TRAIN = 'import torch\nmodel = torch.nn.Linear(4, 1)\nopt = torch.optim.Adam(model.parameters())\nloss = model(torch.ones(4)).sum()\nloss.backward()\nopt.step()\n';

let dir = '';
async function run(argv: string[], checkWorker = WORKER) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t), ...nodeFiles(), tree: nodeTree(), checkWorker }, '9.9.9');
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
