/**
 * The files `initlens check PATH...` reads: each PATH that is a file as
 * named, each folder walked depth first in name order. The walk skips hidden
 * folders, environments and caches (core/workspace/exclude.ts), the paths of
 * every `.gitignore` from the repository root (the nearest folder above with
 * `.git`) down, and the configuration's `exclude`; it does not follow links to
 * folders (as git stores them), so it cannot loop. Everything it cannot use is
 * one {@link WalkIssue} and the walk goes on. Bounded by `checkFiles`,
 * `checkFolders` and `checkDepth`.
 *
 * `.gitignore` patterns are matched by the `ignore` package (the matcher
 * ESLint and Prettier use, git's documented rules): a deeper `.gitignore`
 * decides before a shallower one, as in git.
 */
import * as path from 'node:path';
import ignore, { type Ignore } from 'ignore';
import { LIMITS, limitText } from '../core/limits';
import { skippedFolder } from '../core/workspace/exclude';

/** What the walk needs of a file system; `src/node/checkTree.ts` binds it to `node:fs`. */
export interface TreeAccess {
  /** The kind of what `p` names, following links; throws a Node `ErrnoException` (ENOENT, ELOOP, EACCES) when it cannot. */
  readonly kind: (p: string) => 'file' | 'folder' | 'other';
  /** Whether `p` itself is a symbolic link. */
  readonly isLink: (p: string) => boolean;
  /** The entry names of a folder; throws when it cannot be listed. */
  readonly list: (dir: string) => string[];
  /** The canonical path (links resolved), to read each file once. */
  readonly realpath: (p: string) => string;
  /** A file's size in bytes, to hand the largest files out first (`--jobs`); absent: walk order. */
  readonly size?: (p: string) => number;
}

/** A file to check: the path as printed, whether it is a notebook, and the PATH argument it was found under. */
export interface WalkFile {
  readonly path: string;
  readonly notebook: boolean;
  readonly root: string;
}

/** A path that could not be used, with why: printed as one line. */
export interface WalkIssue {
  readonly path: string;
  readonly message: string;
  /** The walk stopped here (a limit), rather than skipping one entry. */
  readonly stopped?: boolean;
}

/** Patterns relative to a folder (`.gitignore` or the configuration's `exclude`). */
export interface PatternScope {
  readonly base: string;
  readonly matcher: Ignore;
}

export interface WalkOptions {
  /** Reads a small text file (a `.gitignore`); throws when it cannot. */
  readonly readText: (p: string, limit: number) => string;
}

/** A PATH to check, with the `exclude` of its configuration (relative to the configuration's folder). */
export interface WalkTarget {
  readonly path: string;
  readonly exclude?: PatternScope;
}

const errnoText = (error: unknown) => {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') return 'no such file or folder';
  if (code === 'ELOOP') return 'a loop of symbolic links';
  if (code === 'EACCES' || code === 'EPERM') return `permission denied (${code})`;
  return code ? `cannot read (${code})` : error instanceof Error ? error.message : String(error);
};

/** What a check of the path would read: Python by extension, notebooks by `.ipynb`. */
const isPython = (name: string) => name.endsWith('.py');
const isNotebook = (name: string) => name.endsWith('.ipynb');

/** `p` relative to `base` with `/` separators, or undefined when `p` is not inside it. */
function inside(base: string, p: string): string | undefined {
  const rel = path.relative(base, p);
  if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) return undefined;
  return rel.split(path.sep).join('/');
}

/** The verdict of the scopes, deepest first: the first that ignores or re-includes decides. */
function ignored(scopes: readonly PatternScope[], absolute: string, folder: boolean): boolean {
  for (let i = scopes.length - 1; i >= 0; i--) {
    const rel = inside(scopes[i].base, absolute);
    if (rel === undefined) continue;
    const verdict = scopes[i].matcher.test(folder ? `${rel}/` : rel);
    if (verdict.ignored) return true;
    if (verdict.unignored) return false;
  }
  return false;
}

/** Walks the PATHs; returns the files in walk order and every issue met. */
export function walk(targets: readonly WalkTarget[], tree: TreeAccess, options: WalkOptions): { files: WalkFile[]; issues: WalkIssue[] } {
  const files: WalkFile[] = [];
  const issues: WalkIssue[] = [];
  const seen = new Set<string>();
  let folders = 0;
  let stopped = false;
  const stop = (p: string, key: 'checkFiles' | 'checkFolders') => {
    if (!stopped) issues.push({ path: p, message: `the walk stopped here: ${limitText(key)}`, stopped: true });
    stopped = true;
  };

  let root = '';
  const add = (p: string, notebook: boolean) => {
    let real: string;
    try {
      real = tree.realpath(p);
    } catch (error) {
      issues.push({ path: p, message: errnoText(error) });
      return;
    }
    if (seen.has(real)) return;
    if (files.length >= LIMITS.checkFiles.value) return stop(p, 'checkFiles');
    seen.add(real);
    files.push({ path: p, notebook, root });
  };

  const gitignore = (dir: string): PatternScope | undefined => {
    const file = path.join(dir, '.gitignore');
    let text: string;
    try {
      if (tree.kind(file) !== 'file') return undefined;
      text = options.readText(file, LIMITS.configBytes.value);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') issues.push({ path: file, message: `${errnoText(error)}; its patterns are not applied` });
      return undefined;
    }
    return { base: path.resolve(dir), matcher: ignore().add(text) };
  };

  /** `.gitignore`s from the repository root down to `dir`'s parent (dir's own is read by the walk). */
  const ancestorScopes = (dir: string): PatternScope[] => {
    const chain: string[] = [];
    const isRepo = (d: string) => {
      try {
        return tree.kind(path.join(d, '.git')) !== 'other';
      } catch {
        return false;
      }
    };
    // The walked folder is the repository's root: nothing above it applies.
    if (isRepo(path.resolve(dir))) return [];
    for (let d = path.dirname(path.resolve(dir)); ; d = path.dirname(d)) {
      chain.unshift(d);
      if (isRepo(d)) break;
      if (path.dirname(d) === d) return []; // not in a repository: only the walked folders' own .gitignore files
    }
    return chain.flatMap((d) => gitignore(d) ?? []);
  };

  const visit = (dir: string, depth: number, scopes: readonly PatternScope[], exclude: PatternScope | undefined) => {
    if (stopped) return;
    if (++folders > LIMITS.checkFolders.value) return stop(dir, 'checkFolders');
    let names: string[];
    try {
      names = tree.list(dir);
    } catch (error) {
      issues.push({ path: dir, message: `${errnoText(error)}; folder skipped` });
      return;
    }
    const own = gitignore(dir);
    const here = own ? [...scopes, own] : scopes;
    names.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    for (const name of names) {
      if (stopped) return;
      const p = path.join(dir, name);
      const absolute = path.resolve(p);
      let kind: 'file' | 'folder' | 'other';
      let link = false;
      try {
        link = tree.isLink(p);
        kind = tree.kind(p);
      } catch (error) {
        // A broken link or a loop of links, where it would have been read.
        if (isPython(name) || isNotebook(name)) issues.push({ path: p, message: errnoText(error) });
        continue;
      }
      if (kind === 'folder') {
        if (link || skippedFolder(name) || ignored(here, absolute, true) || (exclude && ignored([exclude], absolute, true))) continue;
        if (depth + 1 > LIMITS.checkDepth.value) {
          issues.push({ path: p, message: `not listed: ${limitText('checkDepth')}` });
          continue;
        }
        visit(p, depth + 1, here, exclude);
      } else if (kind === 'file' && (isPython(name) || isNotebook(name))) {
        if (ignored(here, absolute, false) || (exclude && ignored([exclude], absolute, false))) continue;
        add(p, isNotebook(name));
      }
    }
  };

  for (const { path: p, exclude } of targets) {
    if (stopped) break;
    root = p;
    let kind: 'file' | 'folder' | 'other';
    try {
      kind = tree.kind(p);
    } catch (error) {
      issues.push({ path: p, message: errnoText(error) });
      continue;
    }
    // A file named on the command line is checked whatever its name and the ignore files say, as ruff does.
    if (kind === 'file') add(p, isNotebook(p));
    else if (kind === 'folder') visit(p, 0, ancestorScopes(p), exclude);
    else issues.push({ path: p, message: 'not a regular file or folder' });
  }
  return { files, issues };
}

/** Patterns (gitignore syntax) relative to `base`, for `exclude` and per-file ignores. */
export function patternScope(base: string, patterns: readonly string[]): PatternScope {
  return { base: path.resolve(base), matcher: ignore().add([...patterns]) };
}
