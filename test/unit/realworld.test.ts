/** The real-world corpus is what its manifest says: every file pinned by sha256, with its licence beside it. */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { ROOT } from '../host/paths';

const DIR = path.join(ROOT, 'test', 'fixtures', 'realworld');

interface Entry {
  readonly file: string;
  readonly repo: string;
  readonly commit: string;
  readonly sha256: string;
  readonly license: string;
  readonly licenseFile: string;
}

test('realworld corpus: every file matches its pinned sha256, has a licence notice, and nothing is unlisted', () => {
  const manifest = JSON.parse(fs.readFileSync(path.join(DIR, 'manifest.json'), 'utf8')) as { files: Entry[] };
  const repos = new Set(manifest.files.map((f) => f.repo));
  assert.ok(manifest.files.length >= 30 && repos.size >= 6, `${manifest.files.length} files from ${repos.size} repositories`);
  for (const f of manifest.files) {
    assert.match(f.commit, /^[0-9a-f]{40}$/);
    assert.ok(['MIT', 'BSD-3-Clause', 'Apache-2.0'].includes(f.license), `${f.file}: licence ${f.license}`);
    assert.ok(fs.statSync(path.join(DIR, f.licenseFile)).size > 0, `${f.file}: licence notice missing`);
    const hash = createHash('sha256').update(fs.readFileSync(path.join(DIR, f.file))).digest('hex');
    assert.equal(hash, f.sha256, f.file);
  }
  const listed = new Set(manifest.files.map((f) => f.file));
  const onDisk: string[] = [];
  const walk = (d: string) => fs.readdirSync(path.join(DIR, d), { withFileTypes: true }).forEach((e) => (e.isDirectory() ? walk(path.join(d, e.name)) : e.name.endsWith('.py') && onDisk.push(path.join(d, e.name))));
  // drivers/ holds our own construction scripts for the scorer (see its README), not repository files.
  for (const e of fs.readdirSync(DIR, { withFileTypes: true })) if (e.isDirectory() && e.name !== 'drivers') walk(e.name);
  assert.deepEqual(onDisk.filter((f) => !listed.has(f)), []);
});
