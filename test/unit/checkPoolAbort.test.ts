/**
 * The pool as the editor's workspace check drives it (src/diagnostics/workspaceCheck.ts):
 * each outcome heard as it arrives, with its task's index, and a run that
 * stops when its signal aborts; and the code-point columns of a problem
 * turned back into the UTF-16 offsets an editor counts.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FileOutcome, FileTask } from '../../src/cli/checkFile';
import { runPool } from '../../src/cli/checkPool';
import { checkPython, utf16Column } from '../../src/core/diagnostics/check';
import { RULES } from '../../src/core/diagnostics/rules';
import { ROOT } from '../host/paths';

const WORKER = path.join(ROOT, 'dist', 'checkWorker.js');
const CUDA = 'import torch\ntorch.manual_seed(0)\ntorch.cuda.manual_seed(1)\n';

let dir = '';
const task = (file: string): FileTask => ({ path: file, notebook: false, seed: 42, rules: [...RULES], mode: 'check', workspace: false });

describe('runPool: outcomes as they come, and abort', () => {
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'initlens-abort-'));
    for (let i = 0; i < 40; i++) fs.writeFileSync(path.join(dir, `f${String(i).padStart(2, '0')}.py`), i % 2 ? CUDA : 'x = 1\n');
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('hears every outcome once, with the index of its task', async () => {
    const tasks = fs.readdirSync(dir).sort().map((f) => task(path.join(dir, f)));
    const heard: [number, number, FileOutcome][] = [];
    const outcomes = await runPool(WORKER, tasks, 2, (done, i, outcome) => heard.push([done, i, outcome]));
    assert.deepEqual(heard.map(([done]) => done), Array.from({ length: 40 }, (_, k) => k + 1));
    assert.deepEqual(heard.map(([, i]) => i).sort((a, b) => a - b), Array.from({ length: 40 }, (_, k) => k));
    for (const [, i, outcome] of heard) assert.equal(outcomes[i], outcome);
    // The odd files have one IL103 each (torch.cuda.manual_seed), the even ones none.
    assert.deepEqual(outcomes.map((o) => o?.problems.map((p) => p.code).join()), Array.from({ length: 40 }, (_, k) => (k % 2 ? 'IL103' : '')));
  });

  it('stops handing out files once aborted, and resolves with the outcomes so far', async () => {
    const tasks = fs.readdirSync(dir).sort().map((f) => task(path.join(dir, f)));
    const abort = new AbortController();
    let heard = 0;
    const outcomes = await runPool(WORKER, tasks, 2, (done) => {
      heard = done;
      if (done === 3) abort.abort();
    }, undefined, abort.signal);
    assert.equal(heard, 3);
    assert.equal(outcomes.filter(Boolean).length, 3);
    assert.equal(outcomes.length, 40);
  });

  it('starts no worker when aborted before it begins', async () => {
    const abort = new AbortController();
    abort.abort();
    const outcomes = await runPool(path.join(dir, 'no-such-worker.js'), [task(path.join(dir, 'f00.py'))], 2, undefined, undefined, abort.signal);
    assert.deepEqual(outcomes.filter(Boolean), []);
  });
});

describe('utf16Column', () => {
  it('is the inverse of the code-point columns of check', () => {
    // 𝑥 (U+1D465) is two UTF-16 units and one column.
    assert.equal(utf16Column('s = "𝑥𝑥"; import torch', 1), 0);
    assert.equal(utf16Column('s = "𝑥𝑥"; import torch', 6), 5);
    assert.equal(utf16Column('s = "𝑥𝑥"; import torch', 7), 7);
    assert.equal(utf16Column('s = "𝑥𝑥"; import torch', 8), 9);
    assert.equal(utf16Column('abc', 10), 3);
  });

  it('places a problem after astral characters where the editor shows it', () => {
    const line = 'x = "𝑥"; torch.cuda.manual_seed(1)';
    const [p] = checkPython(`import torch\n${line}\n`, { seed: 42, deterministic: true, warnOnly: false }).problems;
    assert.equal(p.code, 'IL103');
    // Code points: 'x = "𝑥"; ' is 9 columns, so the call starts at column 10; in UTF-16 it is at offset 10 (𝑥 is two units); the span is the callee, 22 columns.
    assert.equal(p.column, 10);
    assert.equal(utf16Column(line, p.column), line.indexOf('torch'));
    assert.equal(p.endColumn, 32);
    assert.equal(utf16Column(line, p.endColumn), line.indexOf('(1)'));
  });
});
