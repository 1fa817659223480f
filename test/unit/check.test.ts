/**
 * `initlens check` (issue 15): suppressions (the core function the extension
 * shares), positions in files and notebook cells, the walk (skipped folders,
 * .gitignore files, links) and the bad inputs that each give one line while
 * the run goes on. Expected positions are counted by hand from the texts.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { checkNotebook, checkPython, joinNotebookCells } from '../../src/core/diagnostics/check';
import { RULES } from '../../src/core/diagnostics/rules';
import { suppressionsOf, unsuppressed } from '../../src/core/diagnostics/suppress';
import { LIMITS } from '../../src/core/limits';
import { parsePython } from '../../src/core/python/parse';
import { runCli, type CliIo } from '../../src/cli/run';
import { nodeFiles } from '../../src/node/cliFiles';
import { nodeTree } from '../../src/node/checkTree';
import { processFile } from '../../src/cli/checkFile';

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

const OPTIONS = { seed: 42, deterministic: true, warnOnly: false };
const TRAIN = 'import torch\nmodel = torch.nn.Linear(4, 1)\nopt = torch.optim.Adam(model.parameters())\nloss = model(torch.ones(4)).sum()\nloss.backward()\nopt.step()\n';
const CUDA = 'import torch\ntorch.manual_seed(0)\ntorch.cuda.manual_seed(1)\n';

const codes = (text: string) => checkPython(text, OPTIONS).problems.map((p) => p.code);

describe('suppression comments', () => {
  it('ignore[CODE] silences that code on its line; other codes and lines stay', () => {
    assert.deepEqual(codes(CUDA), ['IL103']);
    assert.deepEqual(codes(CUDA.replace('manual_seed(1)', 'manual_seed(1)  # initlens: ignore[IL103]')), []);
    assert.deepEqual(codes(CUDA.replace('manual_seed(1)', 'manual_seed(1)  # initlens: ignore[cuda-manual-seed]')), []);
    assert.deepEqual(codes(CUDA.replace('manual_seed(1)', 'manual_seed(1)  # initlens: ignore[IL101, il103]')), []);
    assert.deepEqual(codes(CUDA.replace('manual_seed(1)', 'manual_seed(1)  # initlens: ignore[IL101]')), ['IL103']);
    // On another line it does nothing.
    assert.deepEqual(codes(CUDA.replace('manual_seed(0)', 'manual_seed(0)  # initlens: ignore[IL103]')), ['IL103']);
    // A bare ignore silences every rule on the line.
    assert.deepEqual(codes(CUDA.replace('manual_seed(1)', 'manual_seed(1)  # noqa  # initlens: ignore')), []);
  });

  it('ignore-file anywhere silences the file; text in a string is no comment', () => {
    assert.deepEqual(codes(`# initlens: ignore-file\n${TRAIN}`), []);
    assert.deepEqual(codes(`${TRAIN}x = 1  # initlens: ignore-file\n`), []);
    assert.deepEqual(codes(`${TRAIN}s = "# initlens: ignore-file"\n`), ['IL101']);
    assert.deepEqual(codes(`${TRAIN}# initlens: ignore-files\n`), ['IL101']);
  });

  it('a finding spanning lines is silenced on its first or its last line; unknown codes are listed', () => {
    const text = 'import numpy as np\nimport torch\nfrom torch.utils.data import DataLoader\ntorch.manual_seed(0)\nnp.random.seed(0)\nloader = DataLoader(\n    data,\n    num_workers=4,\n)\n';
    assert.deepEqual(codes(text), ['IL106']);
    assert.deepEqual(codes(text.replace('DataLoader(\n', 'DataLoader(  # initlens: ignore[IL106]\n')), []);
    assert.deepEqual(codes(text.replace('\n)\n', '\n)  # initlens: ignore[IL106]\n')), []);
    assert.deepEqual(codes(text.replace('    data,\n', '    data,  # initlens: ignore[IL106]\n')), ['IL106']);
    const s = suppressionsOf(parsePython('x = 1  # initlens: ignore[IL999, seed-missing]\n'), 'x = 1  # initlens: ignore[IL999, seed-missing]\n');
    assert.deepEqual(s.unknown, [{ line: 0, code: 'IL999' }]);
    assert.deepEqual([...(s.lines.get(0) as Set<string>)], ['seedMissing']);
  });

  it('unsuppressed keeps everything when there is no directive', () => {
    const text = 'x = 1\n';
    const findings = [{ rule: RULES[0], from: 0, to: 1 }];
    assert.deepEqual(unsuppressed(findings, parsePython(text), text), findings);
  });
});

describe('positions', () => {
  it('1-based line and column, columns in code points, end of span', () => {
    const [p] = checkPython(CUDA, OPTIONS).problems;
    // Line 3 `torch.cuda.manual_seed(1)`: the reference spans `torch.cuda.manual_seed` (22 characters).
    assert.deepEqual([p.line, p.column, p.endLine, p.endColumn], [3, 1, 3, 23]);
    assert.equal(p.name, 'cuda-manual-seed');
    assert.equal(p.fix, 'Use manual_seed_all');
    // '😀' is two UTF-16 units, one code point: the call starts at column 14, not 15.
    const [q] = checkPython(CUDA.replace('torch.cuda.manual_seed(1)', 'x = "😀é"; torch.cuda.manual_seed(1)'), OPTIONS).problems;
    assert.equal(q.column, 11);
    const [r] = checkPython(CUDA.replace(/\n/g, '\r\n'), OPTIONS).problems;
    assert.deepEqual([r.line, r.column], [3, 1]);
  });

  it('a syntax error is reported with its position and no problems', () => {
    const result = checkPython('import torch\ndef (\n', OPTIONS);
    assert.deepEqual(result.problems, []);
    assert.equal(result.syntaxError?.line, 2);
  });
});

const notebook = (cells: { cell_type: string; source: string | string[] }[]) => JSON.stringify({ cells: cells.map((c) => ({ metadata: {}, ...c })), nbformat: 4, nbformat_minor: 5 });

describe('notebooks', () => {
  it('code cells are one program; positions are per cell (1-based among all cells)', () => {
    const nb = notebook([
      { cell_type: 'markdown', source: '# Title\n' },
      { cell_type: 'code', source: ['import torch\n', '%matplotlib inline\n', 'torch.manual_seed(0)'] },
      { cell_type: 'code', source: '!pip install x\ntorch.cuda.manual_seed(1)\n' },
    ]);
    const { problems } = checkNotebook(nb, OPTIONS);
    // Cell 3 (the markdown is cell 1), its line 2; the seed in cell 2 counts, so no IL101.
    assert.deepEqual(problems.map((p) => [p.code, p.cell, p.line, p.column]), [['IL103', 3, 2, 1]]);
    assert.equal(problems[0].fix, undefined);
  });

  it('a seed in the first cell covers training in the last; %%cell magics are not Python', () => {
    const train = TRAIN.split('\n');
    const nb = notebook([
      { cell_type: 'code', source: '%%bash\necho (\n' },
      { cell_type: 'code', source: train.slice(0, 2).join('\n') },
      { cell_type: 'code', source: train.slice(2).join('\n') },
    ]);
    assert.deepEqual(checkNotebook(nb, OPTIONS).problems.map((p) => [p.code, p.cell, p.line]), [['IL101', 3, 3]]);
    const seeded = notebook([{ cell_type: 'code', source: 'import torch\ntorch.manual_seed(0)\n' }, { cell_type: 'code', source: TRAIN }]);
    assert.deepEqual(checkNotebook(seeded, OPTIONS).problems, []);
    assert.equal(joinNotebookCells(nb).text.split('\n')[0], '#%bash');
  });

  it('invalid JSON and JSON that is no notebook are refused in one line', () => {
    assert.throws(() => checkNotebook('{"cells": [', OPTIONS), /^Error: invalid notebook JSON \(.+\)$/);
    assert.throws(() => checkNotebook('[1, 2]', OPTIONS), /not a Jupyter notebook/);
  });
});

let dir = '';
const at = (...parts: string[]) => path.join(dir, ...parts);
const write = (rel: string, data: string | Buffer) => {
  fs.mkdirSync(path.dirname(at(rel)), { recursive: true });
  fs.writeFileSync(at(rel), data);
};

function run(argv: string[], override: Partial<CliIo> = {}) {
  let stdout = '';
  let stderr = '';
  const code = runCli(argv, { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t), ...nodeFiles(), tree: nodeTree(), ...override }, '9.9.9');
  assert.equal(typeof code, 'number');
  return { code: code as number, stdout, stderr };
}

const listed = (stdout: string) => stdout.split('\n').filter(Boolean).map((l) => path.relative(dir, l.split(':')[0]));

describe('initlens check over folders', () => {
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'initlens-check-'));
    fs.mkdirSync(at('.git'));
    write('train.py', TRAIN);
    write('clean.py', 'x = 1\n');
    for (const skipped of ['.hidden', '.venv', 'venv', 'node_modules', '__pycache__', 'lib/site-packages']) write(`${skipped}/t.py`, TRAIN);
    write('.gitignore', 'build/\n*.gen.py\n!keep.gen.py\n');
    write('build/t.py', TRAIN);
    write('pkg/a.gen.py', TRAIN);
    write('pkg/keep.gen.py', TRAIN);
    write('pkg/.gitignore', 'local.py\n');
    write('pkg/local.py', TRAIN);
    write('pkg/sub/local.py', TRAIN);
    write('other/local.py', TRAIN);
    write('nb.ipynb', notebook([{ cell_type: 'code', source: CUDA }]));
    write('README.md', 'not python');
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('walks .py and .ipynb files, skipping hidden/venv/caches and what .gitignore files ignore', () => {
    const r = run(['check', dir]);
    assert.equal(r.code, 1, r.stderr);
    assert.deepEqual(listed(r.stdout), ['nb.ipynb', 'other/local.py', 'pkg/keep.gen.py', 'train.py']);
    assert.ok(r.stdout.includes(`${at('nb.ipynb')}:cell 1:3:1: IL103 torch.cuda.manual_seed seeds only the current GPU`), r.stdout);
    assert.ok(r.stdout.includes(`${at('train.py')}:5:1: IL101 This file trains but never seeds`), r.stdout);
    assert.match(r.stderr, /^Checked 5 files in \d+\.\d\d s: 4 problems\.\n$/);
  });

  it('a folder below the root gets the root .gitignore too; a file named is checked whatever the patterns', () => {
    const r = run(['check', at('pkg')]);
    assert.deepEqual(listed(r.stdout), ['pkg/keep.gen.py']);
    const named = run(['check', at('build/t.py'), at('pkg', 'local.py')]);
    assert.deepEqual(listed(named.stdout), ['build/t.py', 'pkg/local.py']);
  });

  it('a folder that is its own repository gets no .gitignore from the repository around it', () => {
    write('outer/.gitignore', 'x.py\n');
    fs.mkdirSync(at('outer', '.git'), { recursive: true });
    fs.mkdirSync(at('outer', 'inner', '.git'), { recursive: true });
    write('outer/inner/x.py', TRAIN);
    write('outer/y/x.py', TRAIN);
    assert.deepEqual(listed(run(['check', at('outer', 'inner')]).stdout), ['outer/inner/x.py']);
    // A plain sub-folder of outer does get outer's patterns.
    assert.deepEqual(listed(run(['check', at('outer', 'y')]).stdout), []);
    fs.rmSync(at('outer'), { recursive: true, force: true });
  });

  it('a progress line where one is asked for (a terminal), erased before the summary', () => {
    let progress = '';
    const r = run(['check', dir], { progress: (t) => void (progress += t) });
    assert.equal(r.code, 1);
    // The last line counts every file, and the line is erased at the end.
    assert.ok(progress.includes('\rinitlens: checked 5 of 5 files'), JSON.stringify(progress));
    assert.ok(progress.endsWith('\r\x1b[2K'), JSON.stringify(progress));
  });

  it('exit 0 when clean, 2 on usage; the same file named twice is read once', () => {
    const clean = run(['check', at('clean.py'), at('clean.py')]);
    assert.equal(clean.code, 0);
    assert.equal(clean.stdout, '');
    assert.match(clean.stderr, /^Checked 1 file in \d+\.\d\d s: no problems\.\n$/);
    assert.equal(run(['check', '--format', 'xml', dir]).code, 2);
    assert.equal(run(['check', '--bogus']).code, 2);
    assert.match(run(['check', '--bogus']).stderr, /^initlens: unknown option '--bogus'/);
  });
});

describe('initlens check: bad input is one line and the run goes on', () => {
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'initlens-check-bad-'));
    write('ok.py', TRAIN);
    write('binary.py', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0x01]));
    write('big.py', Buffer.alloc(LIMITS.inputBytes.value + 1, 0x23));
    // A notebook may be larger than a .py file (outputs, images), up to its own limit.
    write('big.ipynb', Buffer.alloc(LIMITS.notebookBytes.value + 1, 0x20));
    write('broken.ipynb', '{"cells": [');
    write('syntax.py', 'import torch\ndef (\n');
    write('secret.py', TRAIN);
    fs.symlinkSync('loop_a.py', at('loop_b.py'));
    fs.symlinkSync('loop_b.py', at('loop_a.py'));
    fs.mkdirSync(at('folder.py'));
    fs.symlinkSync('.', at('self'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('binary, above the limit, invalid notebook JSON, syntax error, unreadable, link loops, missing path', () => {
    const files = nodeFiles();
    const r = run(['check', dir, at('missing.py')], {
      // Tests run as root, for whom chmod 000 changes nothing: the read fails as it would for a user.
      readFile: (p, limit) => {
        if (p.endsWith('secret.py')) throw Object.assign(new Error('denied'), { code: 'EACCES' });
        return files.readFile(p, limit);
      },
    });
    assert.equal(r.code, 1);
    assert.deepEqual(listed(r.stdout), ['ok.py']);
    const lines = r.stderr.split('\n').filter(Boolean);
    const rel = (l: string) => l.replace(`${dir}${path.sep}`, '');
    const broken = lines.map(rel).filter((l) => l.includes('broken.ipynb'));
    // JSON.parse's own words vary with the Node version: only the frame is ours.
    assert.equal(broken.length, 1);
    assert.match(broken[0], /^initlens: broken\.ipynb: invalid notebook JSON \([^\n]+\); not checked$/);
    assert.deepEqual(lines.slice(0, -1).map(rel).filter((l) => !l.includes('broken.ipynb')).sort(), [
      `initlens: big.ipynb: it is above the limit of 20,000,000 bytes for a checked notebook`,
      `initlens: big.py: it is above the limit of 2,000,000 bytes for input files`,
      `initlens: binary.py: binary file (it holds a NUL byte); not checked`,
      `initlens: loop_a.py: a loop of symbolic links`,
      `initlens: loop_b.py: a loop of symbolic links`,
      `initlens: missing.py: no such file or folder`,
      `initlens: secret.py: cannot read (EACCES: permission denied)`,
      `initlens: syntax.py:2:5: Python syntax error; not checked`,
    ]);
    assert.match(lines[lines.length - 1], /^Checked 1 file in \d+\.\d\d s: 1 problem, 9 paths not checked\.$/);
    // The folder named like a file, and the link to a folder, are not entered: no loop, no line.
    assert.ok(!r.stderr.includes('folder.py') && !r.stderr.includes('self'), r.stderr);
  });
});

describe('initlens check: bad input on the real file system', () => {
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'initlens-check-fs-'));
    write('ok.py', TRAIN);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('a file without read permission (chmod 000)', { skip: isRoot ? 'running as root, who may read a file without read permission' : false }, () => {
    write('secret.py', TRAIN);
    fs.chmodSync(at('secret.py'), 0o000);
    const r = run(['check', dir]);
    assert.equal(r.code, 1);
    assert.deepEqual(listed(r.stdout), ['ok.py']);
    assert.ok(r.stderr.startsWith(`initlens: ${at('secret.py')}: cannot read (EACCES: permission denied)\n`), r.stderr);
  });

  it('links named on the command line: a loop and a broken link are one line each; the run goes on', () => {
    fs.symlinkSync('b.py', at('a.py'));
    fs.symlinkSync('a.py', at('b.py'));
    fs.symlinkSync('nowhere.py', at('dangling.py'));
    const r = run(['check', at('a.py'), at('dangling.py'), at('ok.py')]);
    assert.equal(r.code, 1);
    assert.deepEqual(listed(r.stdout), ['ok.py']);
    assert.deepEqual(r.stderr.split('\n').slice(0, 2), [`initlens: ${at('a.py')}: a loop of symbolic links`, `initlens: ${at('dangling.py')}: no such file or folder`]);
    assert.match(r.stderr.split('\n')[2], /^Checked 1 file in \d+\.\d\d s: 1 problem, 2 paths not checked\.$/);
    for (const f of ['a.py', 'b.py', 'dangling.py']) fs.unlinkSync(at(f));
  });

  it('a folder where a file was listed (replaced between the walk and the read) is one line', () => {
    fs.mkdirSync(at('gone.py'));
    const outcome = processFile({ path: at('gone.py'), notebook: false, seed: 42, rules: [...RULES], mode: 'check', workspace: false }, nodeFiles());
    assert.deepEqual(outcome, { problems: [], issues: [{ path: at('gone.py'), message: 'cannot read (EISDIR: it is a folder)' }], checked: false, fixes: 0 });
    // Named on the command line, a folder is walked, whatever its name: here it holds nothing to check.
    const r = run(['check', at('gone.py')]);
    assert.equal(r.code, 0);
    assert.match(r.stderr, /^Checked 0 files in \d+\.\d\d s: no problems\.\n$/);
  });
});
