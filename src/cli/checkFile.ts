/**
 * One file of `initlens check`, read, fixed (`--fix`/`--diff`), written and
 * checked: the same function in the main thread (`--jobs 1`, and the tests'
 * in-memory file systems) and in the workers of the pool (checkPool.ts), so
 * that both give the same outcome. Its input and output are plain data that
 * `postMessage` copies.
 */
import * as path from 'node:path';
import { structuredPatch } from 'diff';
import { checkNotebook, checkPython, NotCheckable, type CheckOptions, type FileResult, type Problem } from '../core/diagnostics/check';
import { fixPython } from '../core/diagnostics/fix';
import { fixNotebook, type NotebookFixResult } from '../core/diagnostics/notebookFix';
import type { RuleId } from '../core/diagnostics/rules';
import { LIMITS, limitText } from '../core/limits';
import type { FileIssue } from './checkFormat';
import type { CliIo } from './run';
import { InputError } from './usage';
import type { ProjectScan } from './workspace';
import type { AdviceLevel, AdviceRule } from '../core/advice/rules';

/** What to do with one file. */
export interface FileTask {
  readonly path: string;
  readonly notebook: boolean;
  readonly seed: number;
  readonly rules: readonly RuleId[];
  readonly mode: 'check' | 'fix' | 'diff';
  /** Read the project's other files for constructions of the file's classes (off: `--no-workspace`). */
  readonly workspace: boolean;
  /** `[tool.initlens] advice`: plain data, as tasks cross to workers. */
  readonly advice?: { readonly level: AdviceLevel; readonly disabled: readonly AdviceRule[]; readonly widthScaling?: boolean };
  /** The seed fixes' `deterministic` and `warn_only` (the editor's `initlens.seed.*` settings); default on and off, as the CLI writes them. */
  readonly deterministic?: boolean;
  readonly warnOnly?: boolean;
}

export interface FileOutcome {
  /** Problems left (after fixing, with `--fix`). */
  readonly problems: readonly Problem[];
  readonly issues: readonly FileIssue[];
  /** Checked to the end. */
  readonly checked: boolean;
  /** Fixes applied (written with `--fix`, shown with `--diff`). */
  readonly fixes: number;
  /** `--diff`: the unified diff of the fixes. */
  readonly diff?: string;
}

const ERRNO: Readonly<Record<string, string>> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'it is a folder',
  ELOOP: 'a loop of symbolic links',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on the device',
};

const errno = (error: unknown) => {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code ? `${code}${ERRNO[code] ? `: ${ERRNO[code]}` : ''}` : error instanceof Error ? error.message : String(error);
};

/** Why a file could not be read, in one line. */
function readFailure(error: unknown): string {
  if (error instanceof InputError) return error.message.replace(/^'[^']*' is /, 'it is ');
  return `cannot read (${errno(error)})`;
}

/** A file's text, or why it cannot be checked. */
function readChecked(task: FileTask, io: Pick<CliIo, 'readFile'>): string | FileIssue {
  let text: string;
  try {
    text = io.readFile(task.path, task.notebook ? LIMITS.notebookBytes.value : LIMITS.inputBytes.value);
  } catch (error) {
    // The bounded reader names the limit of `.py` inputs; a notebook's is its own.
    if (error instanceof InputError && task.notebook) return { path: task.path, message: `it is above ${limitText('notebookBytes')}` };
    return { path: task.path, message: readFailure(error) };
  }
  // A NUL never occurs in Python source or notebook JSON: the file is binary (an image, a .pyc renamed).
  if (text.includes('\u0000')) return { path: task.path, message: 'binary file (it holds a NUL byte); not checked' };
  return text;
}

/** Checks one file's text; an unusable one gives a {@link FileIssue}. */
function checkText(task: FileTask, text: string, options: CheckOptions): FileResult | FileIssue {
  try {
    return task.notebook ? checkNotebook(text, options) : checkPython(text, options);
  } catch (error) {
    if (error instanceof NotCheckable) return { path: task.path, message: `${error.message}; not checked` };
    throw error;
  }
}

/** A unified diff of one file's fixes (`--- a/PATH`, `+++ b/PATH`, hunks with 3 lines of context). */
export function unifiedDiff(file: string, before: string, after: string): string {
  const name = file.split(path.sep).join('/');
  const { hunks } = structuredPatch(name, name, before, after, '', '', { context: 3 });
  const body = hunks.map((h) => `@@ -${h.oldStart},${h.oldLines} +${h.newStart},${h.newLines} @@\n${h.lines.map((l) => `${l.replace(/\r$/, '')}\n`).join('')}`).join('');
  return `--- a/${name}\n+++ b/${name}\n${body}`;
}

/**
 * Reads, fixes, writes and checks one file; never throws for what the file
 * holds. `scan` gives a `.py` file's classes the constructions in the other
 * files of its project, as `initlens analyze` and the editor do (one scan per
 * thread, so each project is listed and read once).
 */
export function processFile(task: FileTask, io: Pick<CliIo, 'readFile' | 'writeFile'>, scan?: ProjectScan): FileOutcome {
  const issues: FileIssue[] = [];
  const base: CheckOptions = { seed: task.seed, deterministic: task.deterministic ?? true, warnOnly: task.warnOnly ?? false, enabled: new Set(task.rules), ...(task.advice ? { advice: { level: task.advice.level, disabled: new Set(task.advice.disabled), ...(task.advice.widthScaling ? { widthScaling: true } : {}) } } : {}) };
  // A notebook is no module another file imports.
  const options: CheckOptions = scan && task.workspace && !task.notebook ? { ...base, external: (tree, text) => scan.sites(task.path, tree, text) } : base;
  let text = readChecked(task, io);
  if (typeof text !== 'string') return { problems: [], issues: [text], checked: false, fixes: 0 };
  let fixes = 0;
  let diff: string | undefined;
  if (task.mode !== 'check') {
    let fixed: NotebookFixResult;
    try {
      fixed = task.notebook ? fixNotebook(text, base) : fixPython(text, base);
    } catch (error) {
      // JSON that is no notebook: the check below says so.
      if (!(error instanceof NotCheckable)) throw error;
      fixed = { text, applied: [] };
    }
    if (fixed.refused) issues.push({ path: task.path, message: `not fixed: ${fixed.refused}` });
    if (fixed.stopped && fixed.applied.length > 0) issues.push({ path: task.path, message: `fixing stopped: ${fixed.stopped}` });
    if (fixed.text !== text) {
      if (task.mode === 'diff') diff = unifiedDiff(task.path, text, fixed.text);
      else {
        try {
          io.writeFile!(task.path, fixed.text);
        } catch (error) {
          issues.push({ path: task.path, message: `cannot write the fixes (${errno(error)}); it is unchanged` });
          return { problems: [], issues, checked: false, fixes: 0 };
        }
        text = fixed.text;
      }
      fixes = fixed.applied.length;
    }
  }
  const result = checkText(task, text, options);
  if ('message' in result) return { problems: [], issues: [...issues, result], checked: false, fixes, ...(diff ? { diff } : {}) };
  if (result.syntaxError) {
    const at = result.syntaxError;
    issues.push({ path: task.path, message: 'Python syntax error; not checked', line: at.line, column: at.column, ...(at.cell !== undefined ? { cell: at.cell } : {}) });
    return { problems: [], issues, checked: false, fixes, ...(diff ? { diff } : {}) };
  }
  return { problems: result.problems, issues, checked: true, fixes, ...(diff ? { diff } : {}) };
}
