/**
 * Every CLI write goes through one atomic helper: a file-size limit, a
 * read-only file or a full disk leaves the old file byte for byte; Latin-1
 * and lone-CR files come back in their own encoding and line breaks; an
 * output never replaces the input. Reproducers: test/fixtures/reliability
 * (copies of ../shared/reliability).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { writeFileAtomic, sameFile } from '../../src/node/atomicWrite';
import { decodeSource, encodeSource, EncodingError } from '../../src/node/sourceText';
import { runCli } from '../../src/cli/run';
import { ROOT } from '../host/paths';
import { runInMemory } from './cliHarness';

const CLI = path.join(ROOT, 'dist', 'cli.js');
const FIXTURES = path.join(ROOT, 'test', 'fixtures', 'reliability');
const fixture = (name: string) => fs.readFileSync(path.join(FIXTURES, name));
const tempDir = () => fs.mkdtempSync(path.join(os.tmpdir(), 'initlens-write-'));
const cli = (args: string[], shellPrefix = '') =>
  shellPrefix
    ? spawnSync('bash', ['-c', `${shellPrefix} exec "$0" "$@"`, process.execPath, CLI, ...args], { encoding: 'utf8' })
    : spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

describe('writeFileAtomic', () => {
  it('replaces the content, keeps the mode, follows a link and leaves no temporary file', () => {
    const dir = tempDir();
    const file = path.join(dir, 'a.py');
    fs.writeFileSync(file, 'old\n');
    fs.chmodSync(file, 0o640);
    writeFileAtomic(file, Buffer.from('new text\n'));
    assert.equal(fs.readFileSync(file, 'utf8'), 'new text\n');
    assert.equal(fs.statSync(file).mode & 0o777, 0o640);
    if (isRoot) {
      // Root rewriting another user's file gives it back to that user.
      fs.chownSync(file, 1234, 5678);
      writeFileAtomic(file, Buffer.from('owned\n'));
      assert.deepEqual([fs.statSync(file).uid, fs.statSync(file).gid], [1234, 5678]);
      writeFileAtomic(file, Buffer.from('new text\n'));
    }
    const link = path.join(dir, 'link.py');
    fs.symlinkSync(file, link);
    writeFileAtomic(link, Buffer.from('via link\n'));
    assert.equal(fs.lstatSync(link).isSymbolicLink(), true);
    assert.equal(fs.readFileSync(file, 'utf8'), 'via link\n');
    assert.deepEqual(fs.readdirSync(dir).sort(), ['a.py', 'link.py']);
    assert.equal(sameFile(link, file), true);
    assert.equal(sameFile(path.join(dir, '.', 'a.py'), file), true);
    assert.equal(sameFile(path.join(dir, 'b.npz'), file), false);
  });

  it('refuses a folder and a missing folder, leaving nothing behind', () => {
    const dir = tempDir();
    assert.throws(() => writeFileAtomic(dir, Buffer.from('x')), { code: 'EISDIR' });
    assert.throws(() => writeFileAtomic(path.join(dir, 'no', 'x.py'), Buffer.from('x')), { code: 'ENOENT' });
    assert.deepEqual(fs.readdirSync(dir), []);
  });
});

describe('source encodings', () => {
  it('decodes UTF-8 (a BOM set apart) and falls back to Latin-1 byte for byte', () => {
    assert.deepEqual(decodeSource(Buffer.from([0xef, 0xbb, 0xbf, 0x61, 0xc3, 0xa9])), { text: 'aé', encoding: 'utf8bom' });
    assert.deepEqual([...encodeSource('aé', 'utf8bom')], [0xef, 0xbb, 0xbf, 0x61, 0xc3, 0xa9]);
    assert.deepEqual(decodeSource(Buffer.from([0x61, 0xc3, 0xa9])), { text: 'aé', encoding: 'utf8' });
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    const decoded = decodeSource(all);
    assert.equal(decoded.encoding, 'latin1');
    assert.equal(decoded.text, String.fromCharCode(...all));
    assert.deepEqual([...encodeSource(decoded.text, 'latin1')], [...all]);
    assert.throws(() => encodeSource('x = "€"', 'latin1'), EncodingError);
  });
});

describe('initlens seed --write', () => {
  it('under a 1 KB file-size limit: one line, exit 1, the file unchanged (was: EFBIG stack trace, truncated to 1,024 bytes)', () => {
    const dir = tempDir();
    const file = path.join(dir, 'mnist_mlp.py');
    const original = fs.readFileSync(path.join(ROOT, 'examples', 'mnist_mlp.py'));
    fs.writeFileSync(file, original);
    // The reproducer is the first 1,024 bytes of the seeded file, which is what the old in-place write left.
    const full = cli(['seed', file]);
    assert.equal(full.status, 0, full.stderr);
    assert.equal(full.stdout.startsWith(fixture('seed_write_truncated_by_fsize_limit.py').toString('utf8')), true);
    const r = cli(['seed', file, '--write'], 'ulimit -f 1;');
    assert.equal(r.status, 1);
    assert.equal(r.stderr, `initlens: cannot write '${file}' (EFBIG: file size limit reached); it is unchanged\n`);
    assert.deepEqual(fs.readFileSync(file), original);
    assert.deepEqual(fs.readdirSync(dir), ['mnist_mlp.py']);
  });

  it('keeps Latin-1 bytes (was: 0xE9 written back as U+FFFD)', () => {
    const dir = tempDir();
    const file = path.join(dir, 'latin1.py');
    fs.writeFileSync(file, fixture('seed_write_latin1.before.py'));
    const r = cli(['seed', file, '--write']);
    assert.equal(r.status, 0, r.stderr);
    // The old output was right but for the one byte: U+FFFD (EF BF BD) where 0xE9 stood.
    const old = fixture('seed_write_latin1.after.py');
    const at = old.indexOf(Buffer.from([0xef, 0xbf, 0xbd]));
    assert.ok(at > 0);
    const expected = Buffer.concat([old.subarray(0, at), Buffer.from([0xe9]), old.subarray(at + 3)]);
    assert.deepEqual(fs.readFileSync(file), expected);
  });

  it('keeps lone-CR line breaks (was: LF inserted, function appended after the class)', () => {
    const dir = tempDir();
    const file = path.join(dir, 'cr.py');
    const before = fixture('seed_write_cr_only.before.py').toString('utf8');
    fs.writeFileSync(file, before);
    assert.equal(cli(['seed', file, '--write']).status, 0);
    const written = fs.readFileSync(file, 'utf8');
    // The same plan as for the LF spelling of the file, with every break a CR.
    const lf = path.join(dir, 'lf.py');
    fs.writeFileSync(lf, before.replace(/\r/g, '\n'));
    const viaLf = cli(['seed', lf]);
    assert.equal(viaLf.status, 0);
    assert.equal(written, viaLf.stdout.replace(/\n/g, '\r'));
    assert.equal(written.includes('\n'), false);
    assert.notEqual(written, fixture('seed_write_cr_only.after.py').toString('utf8'));
    // The seed goes between the imports and the class, as in the LF file.
    assert.match(written, /^import os\rimport torch\rimport numpy as np\r\r\rdef seed_everything\(/);
    assert.match(written, /\rseed_everything\(42, deterministic=True\)\rclass M:\r {4}pass\r$/);
  });

  it('keeps a UTF-8 BOM and seeds the file like the same file without one (was: "line 1 has a syntax error")', () => {
    const dir = tempDir();
    const text = 'import torch\nmodel = torch.nn.Linear(2, 2)\n';
    fs.writeFileSync(path.join(dir, 'plain.py'), text);
    fs.writeFileSync(path.join(dir, 'bom.py'), `\ufeff${text}`);
    const plain = cli(['seed', path.join(dir, 'plain.py')]);
    assert.equal(plain.status, 0, plain.stderr);
    const r = cli(['seed', path.join(dir, 'bom.py'), '--write']);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(fs.readFileSync(path.join(dir, 'bom.py')), Buffer.from(`\ufeff${plain.stdout}`, 'utf8'));
  });

  it('counts lone-CR lines like CPython in reports and the model analysis (was: everything on line 1)', () => {
    const before = fixture('seed_write_cr_only.before.py').toString('utf8');
    const report = runInMemory(['report', 'cr.py', '--json'], { 'cr.py': before });
    assert.equal(report.code, 0, report.stderr);
    assert.deepEqual((JSON.parse(report.stdout) as { frameworks: unknown }).frameworks, [{ id: 'numpy', line: 2 }, { id: 'torch', line: 1 }]);
    const model = 'import torch.nn as nn\r\rclass M(nn.Module):\r    def __init__(self):\r        super().__init__()\r        self.fc = nn.Linear(4, 2)\r';
    const analyzed = runInMemory(['analyze', 'm.py', '--json'], { 'm.py': model });
    assert.equal(analyzed.code, 0, analyzed.stderr);
    assert.match(analyzed.stdout, /"line": 3,/);
    assert.match(analyzed.stdout, /"line": 6,/);
  });

  it('a read-only file: one line, exit 1, unchanged', { skip: isRoot ? 'running as root, which may write a read-only file' : false }, () => {
    const dir = tempDir();
    const file = path.join(dir, 'ro.py');
    const text = 'import torch\ntorch.manual_seed(1)\n';
    fs.writeFileSync(file, text);
    fs.chmodSync(file, 0o444);
    const r = cli(['seed', file, '--write']);
    assert.equal(r.status, 1);
    assert.equal(r.stderr, `initlens: cannot write '${file}' (EACCES: permission denied); it is unchanged\n`);
    assert.equal(fs.readFileSync(file, 'utf8'), text);
  });

  it('any write failure is one line and exit 1 (in-memory, EACCES injected)', () => {
    let stderr = '';
    const code = runCliWith({ 'a.py': 'import torch\n' }, () => {
      throw Object.assign(new Error('EACCES: permission denied, open a.py'), { code: 'EACCES' });
    }, (t) => void (stderr += t), ['seed', 'a.py', '--write']);
    assert.equal(code, 1);
    assert.equal(stderr, "initlens: cannot write 'a.py' (EACCES: permission denied); it is unchanged\n");
  });
});

describe('initlens model --npz', () => {
  it('refuses to overwrite the input, by name or through a link (exit 2, file unchanged)', () => {
    const dir = tempDir();
    const py = path.join(dir, 'seq.py');
    const text = 'import torch\nfrom torch import nn\ntorch.manual_seed(42)\nmodel = nn.Sequential(nn.Linear(3, 2))\n';
    fs.writeFileSync(py, text);
    fs.symlinkSync(py, path.join(dir, 'alias.npz'));
    for (const target of [py, path.join(dir, '.', 'seq.py'), path.join(dir, 'alias.npz')]) {
      const r = cli(['model', py, '--torch-exact', '--npz', target]);
      assert.equal(r.status, 2, target);
      assert.equal(r.stderr, `initlens: --npz ${target} would overwrite the input file; choose another name (see 'initlens --help')\n`);
      assert.equal(fs.readFileSync(py, 'utf8'), text);
    }
    const ok = cli(['model', py, '--torch-exact', '--npz', path.join(dir, 'w.npz')]);
    assert.equal(ok.status, 0, ok.stderr);
    assert.equal(fs.readFileSync(path.join(dir, 'w.npz')).subarray(0, 2).toString('latin1'), 'PK');
  });

  it('in memory: the same path is refused', () => {
    const r = runInMemory(['model', 'm.py', '--torch-exact', '--npz', 'm.py'], { 'm.py': 'import torch\n' }, { writable: true });
    assert.equal(r.code, 2);
    assert.deepEqual(r.written, {});
  });
});

function runCliWith(files: Record<string, string>, writeFile: (p: string, d: string | Uint8Array) => void, stderr: (t: string) => void, argv: string[]): number {
  const code = runCli(argv, { stdout: () => undefined, stderr, readFile: (p) => files[p], writeFile }, '0');
  assert.equal(typeof code, 'number');
  return code as number;
}
