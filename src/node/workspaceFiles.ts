/**
 * The project a file belongs to, on a real file system, for the CLI: its root
 * (the nearest folder above it with `.git`, `pyproject.toml` or `setup.py`,
 * else the file's own folder) and the Python files under it, bounded.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LIMITS } from '../core/limits';
import { skippedFolder } from '../core/workspace/exclude';

const MARKERS = ['.git', 'pyproject.toml', 'setup.py'];

/** A path with `/` separators, as the core's module resolution reads paths. */
export function posixPath(p: string): string {
  return p.split(path.sep).join('/');
}

/** The nearest folder at or above `dir` holding a project marker, else `dir`. */
export function projectRoot(dir: string): string {
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    if (MARKERS.some((m) => fs.existsSync(path.join(d, m)))) return d;
    if (path.dirname(d) === d) return path.resolve(dir);
  }
}

/**
 * The `.py` files under `root`, breadth first (shallow files first, each
 * folder's entries in name order), skipping hidden folders, environments and
 * `node_modules`, not following links to folders; at most
 * {@link LIMITS.workspaceFiles} files from as many folders. Unreadable folders
 * are skipped.
 */
export function pythonFiles(root: string): string[] {
  const limit = LIMITS.workspaceFiles.value;
  const files: string[] = [];
  const queue = [root];
  let folders = 0;
  for (let dir = queue.shift(); dir !== undefined && folders < limit; dir = queue.shift()) {
    folders++;
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      continue;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      if (e.isDirectory()) {
        if (!skippedFolder(e.name)) queue.push(path.join(dir, e.name));
      } else if ((e.isFile() || e.isSymbolicLink()) && e.name.endsWith('.py')) {
        files.push(path.join(dir, e.name));
        if (files.length >= limit) return files;
      }
    }
  }
  return files;
}

/** The CLI's view of a file's project: its root, the file and the project's Python files, all as `/` paths. */
export function projectOf(file: string): { root: string; file: string; files: string[] } {
  const absolute = path.resolve(file);
  const root = projectRoot(path.dirname(absolute));
  return { root: posixPath(root), file: posixPath(absolute), files: pythonFiles(root).map(posixPath) };
}

/**
 * {@link projectOf} for a command that asks about many files (`initlens
 * check`): each folder's root is found once and each root's files listed
 * once. The listing is not refreshed: a command is short.
 */
export function projectLister(): (file: string) => { root: string; file: string; files: string[] } {
  const roots = new Map<string, string>();
  const listed = new Map<string, string[]>();
  return (file) => {
    const absolute = path.resolve(file);
    const dir = path.dirname(absolute);
    let root = roots.get(dir);
    if (root === undefined) roots.set(dir, (root = projectRoot(dir)));
    let files = listed.get(root);
    if (!files) listed.set(root, (files = pythonFiles(root).map(posixPath)));
    return { root: posixPath(root), file: posixPath(absolute), files };
  };
}
