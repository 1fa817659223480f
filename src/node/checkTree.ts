/** {@link TreeAccess} of `initlens check` on a real file system. */
import * as fs from 'node:fs';
import type { TreeAccess } from '../cli/checkWalk';

export function nodeTree(): TreeAccess {
  return {
    kind: (p) => {
      const stat = fs.statSync(p);
      return stat.isFile() ? 'file' : stat.isDirectory() ? 'folder' : 'other';
    },
    isLink: (p) => fs.lstatSync(p).isSymbolicLink(),
    list: (dir) => fs.readdirSync(dir),
    realpath: (p) => fs.realpathSync(p),
    size: (p) => fs.statSync(p).size,
  };
}
