/**
 * The import statements of every Python file of the workspace, kept per file
 * with the key of the version they were read from (a document version, a
 * modification time), so that the files importing a document are found without
 * re-reading the workspace. Only import statements are parsed here (a few
 * lines per file); the files that do import the document are parsed whole
 * later, by whoever asks for their constructions ({@link externalSites}).
 */
import { exceeds, LIMITS } from '../limits';
import { parsePython } from '../python/parse';
import { basename, dirname, importsAnything, pythonImports, reexportersOf, targetImports, type PythonImport, type Reexporter } from './modules';

/** Starts of import statements: `import x`, `from .a import b`, at any indentation. */
const IMPORT_START = /^[ \t]*(?:from[ \t]+[.\w]+[ \t]+import\b|import[ \t]+[A-Za-z_])/gm;

/**
 * The import statements of a file's text, found line by line (continued by
 * parentheses or a backslash) and parsed on their own. A docstring line that
 * looks like an import may be read as one: this only selects candidates.
 */
export function importsOfText(text: string): PythonImport[] {
  const parts: string[] = [];
  for (const m of text.matchAll(IMPORT_START)) {
    let end = text.indexOf('\n', m.index);
    if (end < 0) end = text.length;
    const first = text.slice(m.index, end);
    if (first.includes('(') && !first.includes(')')) {
      const close = text.indexOf(')', end);
      end = close < 0 ? text.length : close + 1;
    } else {
      while (text[end - 1] === '\\' || (text[end - 1] === '\r' && text[end - 2] === '\\')) {
        const next = text.indexOf('\n', end + 1);
        end = next < 0 ? text.length : next;
      }
    }
    parts.push(text.slice(m.index, end).trim());
  }
  if (parts.length === 0) return [];
  const snippet = parts.join('\n');
  return pythonImports(parsePython(snippet), snippet);
}

/**
 * Whether `text` can import the target at all: it names the target's module
 * (`blocks` for `blocks.py`, the package for `__init__.py`). A cheap test
 * before reading a file's imports.
 */
export function mentions(text: string, targetPath: string): boolean {
  const file = basename(targetPath);
  const stem = file === '__init__.py' ? basename(dirname(targetPath)) : file.replace(/\.py$/, '');
  return text.includes(stem);
}

interface Entry {
  readonly key: string;
  readonly imports: readonly PythonImport[];
}

/** The import statements of the workspace's Python files, at most {@link LIMITS.workspaceFiles} of them. */
export class ImportIndex {
  private readonly files = new Map<string, Entry>();

  constructor(readonly roots: readonly string[]) {}

  /** The key the file was indexed with, if it is indexed. */
  key(path: string): string | undefined {
    return this.files.get(path)?.key;
  }

  get size(): number {
    return this.files.size;
  }

  /**
   * Indexes one version of a file. A text above {@link LIMITS.workspaceFileBytes}
   * (counted in UTF-16 units, at most as many as its UTF-8 bytes) is indexed as
   * importing nothing; a new file beyond {@link LIMITS.workspaceFiles} is not indexed.
   */
  set(path: string, key: string, text: string): void {
    if (!this.files.has(path) && exceeds('workspaceFiles', this.files.size + 1)) return;
    this.files.set(path, { key, imports: exceeds('workspaceFileBytes', text.length) ? [] : importsOfText(text) });
  }

  /** The import statements the file was indexed with (none when it is not indexed). */
  importsOf(path: string): readonly PythonImport[] {
    return this.files.get(path)?.imports ?? [];
  }

  delete(path: string): void {
    this.files.delete(path);
  }

  clear(): void {
    this.files.clear();
  }

  /**
   * The packages (`__init__.py`) that re-export a class of `targetPath`, with
   * the keys they were indexed with, in path order, at most {@link LIMITS.importers}.
   */
  reexportersOf(targetPath: string, targetClasses: ReadonlySet<string>): (Reexporter & { readonly key: string })[] {
    if (targetClasses.size === 0) return [];
    const files = [...this.files].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([path, e]) => ({ path, key: e.key, imports: e.imports }));
    return reexportersOf(files, targetPath, targetClasses, this.roots).slice(0, LIMITS.importers.value);
  }

  /**
   * The indexed files whose imports reach a class of `targetPath` (or the
   * module itself), directly or through a package in `via`, in path order,
   * at most {@link LIMITS.importers}.
   */
  importersOf(targetPath: string, targetClasses: ReadonlySet<string>, via: readonly Reexporter[] = []): string[] {
    const out: string[] = [];
    if (targetClasses.size === 0) return out;
    for (const path of [...this.files.keys()].sort()) {
      const entry = this.files.get(path) as Entry;
      if (path === targetPath || entry.imports.length === 0) continue;
      if (!importsAnything(targetImports(path, entry.imports, targetPath, targetClasses, this.roots, via))) continue;
      out.push(path);
      if (out.length >= LIMITS.importers.value) break;
    }
    return out;
  }
}
