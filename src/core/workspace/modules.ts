/**
 * Which files of the workspace a Python file imports, as far as its import
 * statements say: the dotted names a file can be imported as (every folder
 * between it and a workspace root can be on `sys.path`: the script's own
 * folder, the root itself, a `src/` layout; packages need no `__init__.py`
 * since PEP 420), and relative imports resolved from the importer's folder
 * (`from .blocks import X`, `from ..models.layers import Y`, `from . import blocks`).
 *
 * Paths are POSIX-style strings (`/ws/models/layers.py`): the extension passes
 * `Uri.path`, the CLI absolute paths with `/` separators.
 */
import type { SyntaxNode, Tree } from '../python/parse';
import { importStatements } from '../python/imports';

/** One import statement, as written. */
export interface PythonImport {
  /** Leading dots of a `from` import: 0 for absolute ones and plain `import`. */
  readonly level: number;
  /** The module after `from` (`models.layers`), or '' for `from . import x`; undefined for `import a.b`. */
  readonly module?: string;
  /** The names imported: `{ name: 'ViT', local: 'V' }`; for `import a.b.c` the dotted name, and the local `a` (or the alias). */
  readonly names: readonly { readonly name: string; readonly local: string; readonly aliased: boolean }[];
  /** `from x import *`. */
  readonly star?: true;
}

/**
 * A package's `__init__.py` with its imports: `from .vit import ViT` there
 * lets an importer write `from vit_pytorch import ViT`. Only `__init__.py`
 * files are taken as re-exporters (the convention of a package's public
 * names), and one level deep.
 */
export interface Reexporter {
  readonly path: string;
  readonly imports: readonly PythonImport[];
}

/** What an importer gets from one target file. */
export interface TargetImports {
  /** Local names bound to a class of the target (`V` → `ViT` after `from .vit import ViT as V`). */
  readonly classes: ReadonlyMap<string, string>;
  /** Dotted prefixes that stand for the target module (`L` after `import models.layers as L`; `models.layers` after `import models.layers`). */
  readonly modules: ReadonlySet<string>;
}

/** The folder of a path (`/ws/a/b.py` → `/ws/a`). */
export function dirname(path: string): string {
  const i = path.lastIndexOf('/');
  return i <= 0 ? (i === 0 ? '/' : '.') : path.slice(0, i);
}

/** The last part of a path. */
export function basename(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/** `path` relative to `root` when inside it (`/ws/a/b.py`, `/ws` → `a/b.py`), else undefined. */
export function relativeTo(path: string, root: string): string | undefined {
  const base = root.endsWith('/') ? root : `${root}/`;
  return path.startsWith(base) ? path.slice(base.length) : undefined;
}

/** The deepest root containing `path`. */
export function rootOf(path: string, roots: readonly string[]): string | undefined {
  let best: string | undefined;
  for (const r of roots) if (relativeTo(path, r) !== undefined && (best === undefined || r.length > best.length)) best = r;
  return best;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * The dotted names `path` can be imported as, longest first: one per folder
 * between it and its root that could be on `sys.path`
 * (`/ws/src/models/layers.py` → `src.models.layers`, `models.layers`,
 * `layers`). A package's `__init__.py` is the package (`models/__init__.py` →
 * `models`). Parts that are no Python identifier (`my-project/`) end the chain.
 */
export function moduleNames(path: string, roots: readonly string[]): string[] {
  return importableAs(path, roots).map((m) => m.name);
}

/** {@link moduleNames}, each with the folder that must be on `sys.path` for it (`models.layers` → `/ws/src`). */
function importableAs(path: string, roots: readonly string[]): { name: string; entry: string }[] {
  if (!path.endsWith('.py')) return [];
  const root = rootOf(path, roots);
  const rel = root === undefined ? basename(path) : (relativeTo(path, root) as string);
  const parts = rel.slice(0, -3).split('/');
  const top = root ?? dirname(path);
  if (parts[parts.length - 1] === '__init__') parts.pop();
  const names: { name: string; entry: string }[] = [];
  for (let i = parts.length - 1; i >= 0 && IDENTIFIER.test(parts[i]); i--) {
    names.push({ name: parts.slice(i).join('.'), entry: i === 0 ? top : `${top}/${parts.slice(0, i).join('/')}` });
  }
  return names.reverse();
}

/**
 * Whether an absolute import in `importer` can reach a module found on
 * `entry`: Python puts the script's folder on `sys.path`, and runs from a
 * folder above it (`python -m`, the project root), or has a `src/` layout
 * installed; a folder beside the importer's is not searched.
 */
function searched(entry: string, importerPath: string): boolean {
  const inside = (dir: string, folder: string) => dir === folder || relativeTo(dir, folder) !== undefined;
  const dir = dirname(importerPath);
  if (inside(dir, entry)) return true;
  return basename(entry) === 'src' && inside(dir, dirname(entry));
}

/** Every import statement of a parsed file (module level, functions, `try` blocks). */
export function pythonImports(tree: Tree, text: string): PythonImport[] {
  return importStatements(tree).flatMap((s) => {
    const one = importStatement(s, text);
    return one ? [one] : [];
  });
}

function importStatement(statement: SyntaxNode, text: string): PythonImport | undefined {
  const tokens: { name: string; value: string }[] = [];
  for (let c = statement.firstChild; c; c = c.nextSibling) tokens.push({ name: c.name, value: text.slice(c.from, c.to) });
  if (tokens[0]?.name === 'from') {
    const at = tokens.findIndex((t) => t.name === 'import');
    if (at < 0) return undefined;
    let level = 0;
    let i = 1;
    // `...` is one Ellipsis token; `..` two dots.
    for (; i < at && (tokens[i].name === '.' || tokens[i].name === 'Ellipsis'); i++) level += tokens[i].value.length;
    const module = tokens.slice(i, at).map((t) => t.value).join('');
    if (level === 0 && module === '') return undefined;
    const all = names_(tokens.slice(at + 1));
    const names = all.filter((n) => !n.name.includes('.') && n.name !== '*');
    return all.some((n) => n.name === '*') ? { level, module, names, star: true } : { level, module, names };
  }
  return { level: 0, names: names_(tokens.slice(1)).map((n) => (n.aliased ? n : { ...n, local: n.name.split('.')[0] })) };
}

/** `a.b as c, d` → `[{a.b, c}, {d, d}]`. */
function names_(tokens: readonly { name: string; value: string }[]): { name: string; local: string; aliased: boolean }[] {
  const out: { name: string; local: string; aliased: boolean }[] = [];
  let name = '';
  let alias: string | undefined;
  let expectAlias = false;
  const flush = () => {
    if (name) out.push({ name, local: alias ?? name, aliased: alias !== undefined });
    name = '';
    alias = undefined;
    expectAlias = false;
  };
  for (const t of tokens) {
    if (t.name === ',') flush();
    else if (t.name === 'as') expectAlias = true;
    else if (t.name === 'VariableName') {
      if (expectAlias) alias = t.value;
      else name += t.value;
    } else if (t.name === '.' && !expectAlias) name += '.';
    else if (t.name === '*') name = '*';
  }
  flush();
  return out;
}

/**
 * Whether the module a `from` clause or `import` names is the target file:
 * absolute names against the target's {@link moduleNames}; relative ones from
 * the importer's folder (`.` its package, each further dot one folder up).
 */
function isTarget(level: number, module: string, importerPath: string, targetPath: string, targetNames: ReadonlyMap<string, string>): boolean {
  if (level === 0) {
    const entry = targetNames.get(module);
    return entry !== undefined && searched(entry, importerPath);
  }
  let dir = dirname(importerPath);
  for (let i = 1; i < level; i++) dir = dirname(dir);
  const base = module === '' ? dir : `${dir}/${module.split('.').join('/')}`;
  return targetPath === `${base}.py` || targetPath === `${base}/__init__.py`;
}

/**
 * The files an importer's imports may name, each a candidate to check with
 * {@link targetImports}: for `from a.b import C` and `import a.b`, `a/b.py`
 * and `a/b/__init__.py` in every folder Python may search (the importer's own
 * and those above it up to its root, their `src/` folders), and `a/b/C.py`
 * (a submodule); relative imports from the importer's folder.
 */
export function importCandidates(importerPath: string, imports: readonly PythonImport[], roots: readonly string[]): string[] {
  const root = rootOf(importerPath, roots);
  const folders: string[] = [];
  for (let dir = dirname(importerPath); ; dir = dirname(dir)) {
    folders.push(dir, `${dir}/src`);
    if (root === undefined || dir === root || relativeTo(dir, root) === undefined || dirname(dir) === dir) break;
  }
  const out = new Set<string>();
  const add = (level: number, module: string) => {
    if (module !== '' && !module.split('.').every((p) => IDENTIFIER.test(p))) return;
    const rel = module.split('.').join('/');
    let bases: string[];
    if (level === 0) bases = folders.map((f) => `${f}/${rel}`);
    else {
      let dir = dirname(importerPath);
      for (let i = 1; i < level; i++) dir = dirname(dir);
      bases = [module === '' ? dir : `${dir}/${rel}`];
    }
    for (const b of bases) {
      out.add(`${b}.py`);
      out.add(`${b}/__init__.py`);
    }
  };
  for (const imp of imports) {
    if (imp.module === undefined) {
      for (const n of imp.names) add(0, n.name);
      continue;
    }
    if (imp.module !== '') add(imp.level, imp.module);
    for (const n of imp.names) add(imp.level, imp.module === '' ? n.name : `${imp.module}.${n.name}`);
  }
  return [...out].filter((p) => p !== importerPath);
}

/** Whether `from x import *` binds `name`: without `__all__`, every name not starting with `_`. */
function starBinds(name: string): boolean {
  return !name.startsWith('_');
}

/**
 * What `importer` takes from `target`: names bound to its classes, and names
 * standing for the module. Through `via` (packages' `__init__.py` files):
 * `from pkg import ViT` where `pkg/__init__.py` imports `ViT` from the target.
 * A star import binds every public class; where the target declares
 * `__all__` that may be more than Python binds, which only matters for a
 * name the importer uses without defining, i.e. code that would not run.
 */
export function targetImports(importerPath: string, imports: readonly PythonImport[], targetPath: string, targetClasses: ReadonlySet<string>, roots: readonly string[], via: readonly Reexporter[] = []): TargetImports {
  const names = new Map(importableAs(targetPath, roots).map((m) => [m.name, m.entry]));
  const classes = new Map<string, string>();
  const modules = new Set<string>();
  if (importerPath === targetPath) return { classes, modules };
  for (const imp of imports) {
    if (imp.module === undefined) {
      for (const n of imp.names) if (isTarget(0, n.name, importerPath, targetPath, names)) modules.add(n.aliased ? n.local : n.name);
      continue;
    }
    const fromTarget = isTarget(imp.level, imp.module, importerPath, targetPath, names);
    if (fromTarget && imp.star) for (const c of targetClasses) if (starBinds(c)) classes.set(c, c);
    for (const n of imp.names) {
      if (fromTarget && targetClasses.has(n.name)) classes.set(n.local, n.name);
      // `from models import layers`, `from . import blocks`: a submodule.
      else if (isTarget(imp.level, imp.module === '' ? n.name : `${imp.module}.${n.name}`, importerPath, targetPath, names)) modules.add(n.local);
    }
  }
  for (const r of via) {
    if (r.path === importerPath || r.path === targetPath) continue;
    // One level: what the package's own imports bind from the target.
    const bound = targetImports(r.path, r.imports, targetPath, targetClasses, roots).classes;
    if (bound.size === 0) continue;
    const packageNames = new Map(importableAs(r.path, roots).map((m) => [m.name, m.entry]));
    for (const imp of imports) {
      if (imp.module === undefined || !isTarget(imp.level, imp.module, importerPath, r.path, packageNames)) continue;
      if (imp.star) for (const [local, cls] of bound) if (starBinds(local) && !classes.has(local)) classes.set(local, cls);
      for (const n of imp.names) {
        const cls = bound.get(n.name);
        if (cls !== undefined) classes.set(n.local, cls);
      }
    }
  }
  return { classes, modules };
}

/** The `__init__.py` files among `files` whose imports bind a class of the target: the packages that re-export it. */
export function reexportersOf<T extends Reexporter>(files: Iterable<T>, targetPath: string, targetClasses: ReadonlySet<string>, roots: readonly string[]): T[] {
  const out: T[] = [];
  for (const f of files) {
    if (basename(f.path) !== '__init__.py' || f.path === targetPath || f.imports.length === 0) continue;
    if (targetImports(f.path, f.imports, targetPath, targetClasses, roots).classes.size > 0) out.push(f);
  }
  return out;
}

/** Whether `targetImports` found anything. */
export function importsAnything(found: TargetImports): boolean {
  return found.classes.size > 0 || found.modules.size > 0;
}
