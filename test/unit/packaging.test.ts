/**
 * The .vsix holds what the README shows: `.vscodeignore` is an allow-list
 * (`**` then `!path` lines), so every local image the README links to must be
 * allowed by an exact `!path` or a `!folder/**` line, and must exist.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { ROOT } from '../host/paths';

describe('packaging', () => {
  it('ships every local image the README links to', () => {
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const images = [...readme.matchAll(/!\[[^\]]*\]\(([^)\s]+)\)|<img [^>]*src="([^"]+)"/g)].map((m) => m[1] ?? m[2]).filter((src) => !/^[a-z]+:/i.test(src));
    assert.deepEqual(images, ['docs/lenses.png', 'docs/hover.png']);
    const allowed = fs.readFileSync(path.join(ROOT, '.vscodeignore'), 'utf8').split('\n').filter((l) => l.startsWith('!')).map((l) => l.slice(1).trim());
    assert.equal(fs.readFileSync(path.join(ROOT, '.vscodeignore'), 'utf8').split('\n').find((l) => l.trim() && !l.startsWith('#')), '**');
    for (const image of images) {
      assert.ok(fs.existsSync(path.join(ROOT, image)), `${image} exists`);
      assert.ok(allowed.some((p) => p === image || (p.endsWith('/**') && image.startsWith(p.slice(0, -2)))), `${image} is in .vscodeignore's allow-list`);
    }
  });
});
