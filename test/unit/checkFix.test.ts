/**
 * `initlens check --fix` / `--diff`: the reproducibility fixes applied until
 * nothing fixable is left (so a second run changes nothing), written
 * atomically with the file's line endings, encoding and mode, never to a file
 * that does not parse; `--diff` writes nothing. Expected texts are written out
 * by hand.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { checkPython } from '../../src/core/diagnostics/check';
import { fixPython } from '../../src/core/diagnostics/fix';
import { fixNotebook } from '../../src/core/diagnostics/notebookFix';
import { RULES } from '../../src/core/diagnostics/rules';
import { runCli, type CliIo } from '../../src/cli/run';
import { nodeFiles } from '../../src/node/cliFiles';
import { nodeTree } from '../../src/node/checkTree';

const OPTIONS = { seed: 42, deterministic: true, warnOnly: false };
const CUDA = 'import torch\ntorch.manual_seed(0)\ntorch.cuda.manual_seed(1)\n';
const TRAIN = 'import numpy as np\nimport torch\nfrom torch.utils.data import DataLoader\nloader = DataLoader(data, num_workers=2)\nmodel = torch.nn.Linear(4, 1)\nopt = torch.optim.Adam(model.parameters())\nloss = model(torch.ones(4)).sum()\nloss.backward()\nopt.step()\n';
const ZEROS = 'import torch\nimport torch.nn as nn\ntorch.manual_seed(0)\nclass Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.fc = nn.Linear(784, 256)\n        nn.init.zeros_(self.fc.weight)\n    def forward(self, x):\n        return torch.relu(self.fc(x))\n';

const codes = (text: string) => checkPython(text, OPTIONS).problems.map((p) => p.code);

describe('fixPython', () => {
  it('applies a fix and re-checks: nothing fixable is left, a second run applies nothing', () => {
    const once = fixPython(CUDA, OPTIONS);
    assert.equal(once.text, 'import torch\ntorch.manual_seed(0)\ntorch.cuda.manual_seed_all(1)\n');
    assert.deepEqual(once.applied, [{ code: 'IL103', title: 'Use manual_seed_all' }]);
    assert.deepEqual(fixPython(once.text, OPTIONS), { text: once.text, applied: [] });
  });

  it('seed and worker seeding together: every IL1xx finding gone, idempotent', () => {
    assert.deepEqual(codes(TRAIN), ['IL101']);
    const fixed = fixPython(TRAIN, OPTIONS);
    assert.ok(fixed.applied.length >= 1 && fixed.applied[0].code === 'IL101', JSON.stringify(fixed.applied));
    assert.ok(fixed.text.includes('seed_everything(42, deterministic=True)'), fixed.text);
    assert.ok(fixed.text.includes('worker_init_fn=seed_worker'), fixed.text);
    assert.deepEqual(codes(fixed.text), []);
    assert.deepEqual(fixPython(fixed.text, OPTIONS).applied, []);
  });

  it('init fixes are not applied unattended; suppressed or disabled rules are not fixed; a syntax error is never fixed', () => {
    assert.deepEqual(codes(ZEROS), ['IL002']);
    assert.deepEqual(fixPython(ZEROS, OPTIONS), { text: ZEROS, applied: [] });
    const suppressed = CUDA.replace('manual_seed(1)', 'manual_seed(1)  # initlens: ignore[IL103]');
    assert.equal(fixPython(suppressed, OPTIONS).text, suppressed);
    assert.equal(fixPython(CUDA, { ...OPTIONS, enabled: new Set(RULES.filter((r) => r !== 'cudaManualSeed')) }).text, CUDA);
    const broken = `${CUDA}def (\n`;
    assert.deepEqual(fixPython(broken, OPTIONS), { text: broken, applied: [], stopped: 'a syntax error' });
  });
});

let dir = '';
const at = (...parts: string[]) => path.join(dir, ...parts);
function run(argv: string[], override: Partial<CliIo> = {}) {
  let stdout = '';
  let stderr = '';
  const code = runCli(argv, { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t), ...nodeFiles(), tree: nodeTree(), ...override }, '9.9.9') as number;
  return { code, stdout, stderr };
}

describe('initlens check --fix / --diff', () => {
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'initlens-fix-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('--diff prints a unified diff and writes nothing; exit 1 while there is something to fix', () => {
    fs.writeFileSync(at('gpu.py'), CUDA);
    const r = run(['check', '--diff', at('gpu.py')]);
    const name = at('gpu.py').split(path.sep).join('/');
    assert.equal(r.stdout, `--- a/${name}\n+++ b/${name}\n@@ -1,3 +1,3 @@\n import torch\n torch.manual_seed(0)\n-torch.cuda.manual_seed(1)\n+torch.cuda.manual_seed_all(1)\n`);
    assert.match(r.stderr, /^Checked 1 file in \d+\.\d\d s: 1 fix would change 1 file\.\n$/);
    assert.equal(r.code, 1);
    assert.equal(fs.readFileSync(at('gpu.py'), 'utf8'), CUDA);
  });

  it('--fix writes in place keeping CRLF, Latin-1 and the mode; a second run changes nothing', () => {
    const crlf = CUDA.replace(/\n/g, '\r\n');
    fs.writeFileSync(at('crlf.py'), crlf);
    fs.chmodSync(at('crlf.py'), 0o640);
    // A Latin-1 comment (0xE9, not UTF-8): the file is written back in Latin-1.
    fs.writeFileSync(at('latin1.py'), Buffer.concat([Buffer.from('# caf'), Buffer.from([0xe9]), Buffer.from(`\n${CUDA}`)]));
    const r = run(['check', '--fix', at('crlf.py'), at('latin1.py')]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /^Checked 2 files in \d+\.\d\d s: no problems, 2 fixes written\.\n$/);
    assert.equal(fs.readFileSync(at('crlf.py'), 'utf8'), 'import torch\r\ntorch.manual_seed(0)\r\ntorch.cuda.manual_seed_all(1)\r\n');
    assert.equal(fs.statSync(at('crlf.py')).mode & 0o777, 0o640);
    const latin = fs.readFileSync(at('latin1.py'));
    assert.equal(latin[5], 0xe9);
    assert.ok(latin.toString('latin1').endsWith('torch.cuda.manual_seed_all(1)\n'));
    const before = [fs.readFileSync(at('crlf.py')), fs.readFileSync(at('latin1.py'))];
    const again = run(['check', '--fix', at('crlf.py'), at('latin1.py')]);
    assert.match(again.stderr, /: no problems, 0 fixes written\.\n$/);
    assert.deepEqual([fs.readFileSync(at('crlf.py')), fs.readFileSync(at('latin1.py'))], before);
    // No temporary file is left behind.
    assert.deepEqual(fs.readdirSync(dir).filter((f) => f.includes('.tmp')), []);
  });

  it('a file that cannot be written is one line, left unchanged, and the run goes on; a syntax error is never written', () => {
    fs.writeFileSync(at('ro.py'), CUDA);
    fs.writeFileSync(at('ok.py'), CUDA);
    fs.writeFileSync(at('broken.py'), `${CUDA}def (\n`);
    const files = nodeFiles();
    const r = run(['check', '--fix', at('ro.py'), at('ok.py'), at('broken.py')], {
      // As a user meets a read-only file (the tests run as root, who may write anything).
      writeFile: (p, data) => {
        if (p.endsWith('ro.py')) throw Object.assign(new Error('denied'), { code: 'EACCES' });
        files.writeFile!(p, data);
      },
      readFile: files.readFile,
    });
    assert.equal(r.code, 1);
    assert.ok(r.stderr.includes(`initlens: ${at('ro.py')}: cannot write the fixes (EACCES: permission denied); it is unchanged\n`), r.stderr);
    assert.ok(r.stderr.includes(`initlens: ${at('broken.py')}:4:5: Python syntax error; not checked\n`), r.stderr);
    assert.equal(fs.readFileSync(at('ro.py'), 'utf8'), CUDA);
    assert.equal(fs.readFileSync(at('broken.py'), 'utf8'), `${CUDA}def (\n`);
    assert.equal(fs.readFileSync(at('ok.py'), 'utf8'), CUDA.replace('manual_seed(1)', 'manual_seed_all(1)'));
  });

  it('--fix and --diff exclude each other; --diff takes no other format', () => {
    assert.equal(run(['check', '--fix', '--diff', dir]).code, 2);
    assert.equal(run(['check', '--diff', '--format', 'json', dir]).code, 2);
  });
});

/** An nbformat 4 code cell. */
const cell = (source: string | string[], id: string) => ({ cell_type: 'code', execution_count: null, id, metadata: {}, outputs: [], source });
/** nbformat's source lines: each keeps its line ending, the last has none. */
const lines = (text: string) => text.match(/[^\n]*\n|[^\n]+$/g) ?? [];

describe('initlens check --fix on notebooks', () => {
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'initlens-fixnb-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  // Jupyter's layout (json.dump(indent=1, ensure_ascii=False) + "\n", which JSON.stringify(_, null, 1) writes byte for byte).
  const jupyter = (cells: unknown[]) => `${JSON.stringify({ cells, metadata: { kernelspec: { name: 'python3' } }, nbformat: 4, nbformat_minor: 5 }, null, 1)}\n`;
  const markdown = { cell_type: 'markdown', id: 'm', metadata: {}, source: ['# Titel é\n', 'text'] };

  it('edits only the cell that holds the line: the rest of the JSON is byte-identical; a second run changes nothing', () => {
    const before = jupyter([markdown, cell(['%%capture\n', '!pip install torch'], 'a'), cell(lines('import torch\n%matplotlib inline\ntorch.manual_seed(0)\ntorch.cuda.manual_seed(1)  # é'), 'b')]);
    const expected = jupyter([markdown, cell(['%%capture\n', '!pip install torch'], 'a'), cell(lines('import torch\n%matplotlib inline\ntorch.manual_seed(0)\ntorch.cuda.manual_seed_all(1)  # é'), 'b')]);
    fs.writeFileSync(at('gpu.ipynb'), before);
    const diff = run(['check', '--diff', at('gpu.ipynb')]);
    assert.equal(diff.code, 1);
    assert.match(diff.stdout, /\n-    "torch\.cuda\.manual_seed\(1\)  # é"\n\+    "torch\.cuda\.manual_seed_all\(1\)  # é"\n/);
    assert.equal(fs.readFileSync(at('gpu.ipynb'), 'utf8'), before);
    const r = run(['check', '--fix', at('gpu.ipynb')]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /^Checked 1 file in \d+\.\d\d s: no problems, 1 fix written\.\n$/);
    assert.equal(fs.readFileSync(at('gpu.ipynb'), 'utf8'), expected);
    const again = run(['check', '--fix', at('gpu.ipynb')]);
    assert.match(again.stderr, /: no problems, 0 fixes written\.\n$/);
    assert.equal(fs.readFileSync(at('gpu.ipynb'), 'utf8'), expected);
    assert.deepEqual(fs.readdirSync(dir).filter((f) => f.includes('.tmp')), []);
  });

  it('inserted lines follow the line before them (the imports cell), never into a %%magic cell; the program is the .py fix', () => {
    const imports = 'import numpy as np\nimport torch';
    const train = 'model = torch.nn.Linear(4, 1)\nopt = torch.optim.Adam(model.parameters())\nloss = model(torch.ones(4)).sum()\nloss.backward()\nopt.step()';
    const nb = jupyter([cell(['%%capture\n', '!pip install torch'], 'a'), cell(lines(imports), 'b'), cell(lines(train), 'c')]);
    const fixed = fixNotebook(nb, OPTIONS);
    // The same fixes as for the program written as one .py file (the magic cell as the check reads it: comments).
    const py = fixPython(`#%capture\n#!pip install torch\n${imports}\n${train}\n`, OPTIONS);
    assert.deepEqual(fixed.applied, py.applied);
    assert.deepEqual(fixed.applied.map((a) => a.code), ['IL101']);
    const cells = (JSON.parse(fixed.text) as { cells: { source: string[] }[] }).cells.map((c) => c.source.join(''));
    assert.equal(cells[0], '%%capture\n!pip install torch');
    assert.equal(cells[2], train);
    assert.equal(`#%capture\n#!pip install torch\n${cells[1]}\n${cells[2]}\n`, py.text);
    // Everything outside the changed cell's source is as it was.
    const start = nb.indexOf('"import numpy as np\\n"') - 1;
    assert.equal(fixed.text.slice(0, start), nb.slice(0, start));
    assert.equal(fixed.text.slice(fixed.text.indexOf('"id": "c"')), nb.slice(nb.indexOf('"id": "c"')));
    assert.deepEqual(fixNotebook(fixed.text, OPTIONS).applied, []);
  });

  it('keeps another layout: two-space indentation, a string source, \\u escapes of an ASCII-only file, CRLF in a cell', () => {
    const nb = `{\n  "nbformat": 4,\n  "cells": [\n    {\n      "cell_type": "code",\n      "source": "import torch\\ntorch.manual_seed(0)  # caf\\u00e9\\ntorch.cuda.manual_seed(1)  # caf\\u00e9\\n",\n      "outputs": []\n    }\n  ],\n  "nbformat_minor": 4,\n  "metadata": {}\n}`;
    const fixed = fixNotebook(nb, OPTIONS);
    assert.equal(fixed.text, nb.replace('torch.cuda.manual_seed(1)', 'torch.cuda.manual_seed_all(1)'));
    const arrays = `{"cells": [{"cell_type": "code", "source": ["import torch\\n", "torch.manual_seed(0)  # caf\\u00e9\\n", "torch.cuda.manual_seed(1)\\n"]}], "nbformat": 4}`;
    assert.equal(fixNotebook(arrays, OPTIONS).text, arrays.replace('torch.cuda.manual_seed(1)', 'torch.cuda.manual_seed_all(1)'));
    // CRLF inside the cell: a changed line keeps it.
    const crlf = jupyter([cell(['import torch\r\n', 'torch.manual_seed(0)\r\n', 'torch.cuda.manual_seed(1)\r\n'], 'x')]);
    assert.equal(fixNotebook(crlf, OPTIONS).text, crlf.replace('torch.cuda.manual_seed(1)', 'torch.cuda.manual_seed_all(1)'));
    // An empty first cell ("source": []) that gets the import: nbformat's layout, at the cell's indentation.
    const empty = jupyter([cell([], 'e'), cell(lines('import torch\nmodel = torch.nn.Linear(4, 1)\nopt = torch.optim.Adam(model.parameters())\nmodel(torch.ones(4)).sum().backward()\nopt.step()'), 'f')]);
    const seeded = fixNotebook(empty, OPTIONS).text;
    assert.ok(seeded.includes('   "id": "e",\n   "metadata": {},\n   "outputs": [],\n   "source": [\n    "import os"\n   ]\n  },'), seeded);
  });

  it('a notebook whose JSON does not parse is never written: one line, the run goes on', () => {
    fs.writeFileSync(at('broken.ipynb'), '{"cells": [');
    fs.writeFileSync(at('gpu.py'), CUDA);
    const r = run(['check', '--fix', at('broken.ipynb'), at('gpu.py')]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^initlens: .*broken\.ipynb: invalid notebook JSON \([^\n]+\); not checked\nChecked 1 file in \d+\.\d\d s: no problems, 1 fix written, 1 path not checked\.\n$/);
    assert.equal(fs.readFileSync(at('broken.ipynb'), 'utf8'), '{"cells": [');
  });
});
