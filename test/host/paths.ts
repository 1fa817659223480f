import * as fs from 'node:fs';
import * as path from 'node:path';

/** The repository root: the nearest folder above this bundle with InitLens's package.json. */
export const ROOT = findRoot(__dirname);

function findRoot(start: string): string {
  for (let dir = start; ; dir = path.dirname(dir)) {
    const manifest = path.join(dir, 'package.json');
    if (fs.existsSync(manifest) && JSON.parse(fs.readFileSync(manifest, 'utf8')).name === 'initlens') return dir;
    if (path.dirname(dir) === dir) throw new Error(`no initlens package.json above ${start}`);
  }
}

/** Git-ignored cache of test hosts, like `@vscode/test-electron`'s own `.vscode-test/`. */
export const CACHE = path.join(ROOT, '.vscode-test');

/** Screenshots and logs of the slow layers (git-ignored). */
export const RESULTS = path.join(ROOT, 'test-results');
