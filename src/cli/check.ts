/**
 * `initlens check [PATH...]`: every diagnostic rule over files and folders,
 * as linters do it: `path:line:col: CODE message` per problem, a summary line
 * on stderr, exit 0 when clean, 1 when a problem was found or a file could not
 * be checked, 2 on usage errors. Files are read within their limit
 * (`inputBytes`, `notebookBytes` for notebooks); a file that cannot be read,
 * is binary, has a syntax error or is not a notebook is one line on stderr and
 * the run goes on. `--fix` applies the reproducibility fixes (core/diagnostics/fix.ts)
 * and writes each changed file atomically (`CliIo.writeFile`: temp file and
 * rename, mode and encoding kept); `--diff` prints the changes instead.
 */
import * as path from 'node:path';
import { structuredPatch } from 'diff';
import { checkNotebook, checkPython, NotCheckable, type CheckOptions, type FileResult, type Problem } from '../core/diagnostics/check';
import { fixPython } from '../core/diagnostics/fix';
import { ConfigError, selectRules } from '../core/diagnostics/config';
import { RULES, type RuleId } from '../core/diagnostics/rules';
import { LIMITS } from '../core/limits';
import { formatReport, FORMATS, type CheckReport, type FileIssue } from './checkFormat';
import type { WalkFile } from './checkWalk';
import { matches, patternScope, walk } from './checkWalk';
import { ConfigFinder, type FoundConfig } from './checkConfig';
import type { CliIo } from './run';
import { InputError, oneOf, parse, UsageError } from './usage';

export const CHECK_USAGE = `  check [PATH...] [--format text|json|sarif|github] [--select CODES]
        [--ignore CODES] [--no-config] [--fix | --diff]
                         Every diagnostic rule (codes IL001...) over the .py files
                         and .ipynb notebooks of each PATH (default .), honouring
                         .gitignore and [tool.initlens] in pyproject.toml; prints
                         path:line:col: CODE message and a summary. Exit 0 clean,
                         1 problems or unchecked files, 2 usage or config errors.
                         --fix writes the reproducibility fixes (IL1xx) in place;
                         --diff prints them as a unified diff instead.
`;

const ERRNO: Readonly<Record<string, string>> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'it is a folder',
  ELOOP: 'a loop of symbolic links',
};

/** Why a file could not be read, in one line. */
function readFailure(error: unknown): string {
  if (error instanceof InputError) return error.message.replace(/^'[^']*' is /, 'it is ');
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code ? `cannot read (${code}${ERRNO[code] ? `: ${ERRNO[code]}` : ''})` : `cannot read (${error instanceof Error ? error.message : String(error)})`;
}

/** A file's text, or why it cannot be checked. */
function readChecked(file: WalkFile, io: CliIo): string | FileIssue {
  let text: string;
  try {
    text = io.readFile(file.path, file.notebook ? LIMITS.notebookBytes.value : LIMITS.inputBytes.value);
  } catch (error) {
    return { path: file.path, message: readFailure(error) };
  }
  // A NUL never occurs in Python source or notebook JSON: the file is binary (an image, a .pyc renamed).
  if (text.includes('\u0000')) return { path: file.path, message: 'binary file (it holds a NUL byte); not checked' };
  return text;
}

/** Checks one file's text; an unusable one gives a {@link FileIssue}. */
function checkText(file: WalkFile, text: string, options: CheckOptions): FileResult | FileIssue {
  try {
    return file.notebook ? checkNotebook(text, options) : checkPython(text, options);
  } catch (error) {
    if (error instanceof NotCheckable) return { path: file.path, message: `${error.message}; not checked` };
    throw error;
  }
}

/** A unified diff of one file's fixes (`--- a/PATH`, `+++ b/PATH`, hunks with 3 lines of context). */
function unifiedDiff(file: string, before: string, after: string): string {
  const name = file.split(path.sep).join('/');
  const { hunks } = structuredPatch(name, name, before, after, '', '', { context: 3 });
  const body = hunks.map((h) => `@@ -${h.oldStart},${h.oldLines} +${h.newStart},${h.newLines} @@\n${h.lines.map((l) => `${l.replace(/\r$/, '')}\n`).join('')}`).join('');
  return `--- a/${name}\n+++ b/${name}\n${body}`;
}

/** The rules that run on one file: the configuration's (or --select's), less --ignore and the file's per-file ignores. */
function rulesFor(file: string, found: FoundConfig | undefined, cli: { select?: ReadonlySet<RuleId>; ignore: ReadonlySet<RuleId> }): Set<RuleId> {
  const rules = new Set(cli.select ?? found?.config.rules ?? RULES);
  cli.ignore.forEach((r) => rules.delete(r));
  for (const { pattern, rules: off } of found?.config.perFileIgnores ?? []) {
    if (matches(patternScope(found!.base, [pattern]), file)) off.forEach((r) => rules.delete(r));
  }
  return rules;
}

const list = (text: string) => text.split(',').map((s) => s.trim()).filter(Boolean);

export function checkCommand(args: readonly string[], io: CliIo, version: string): number {
  const started = performance.now();
  const { values, positionals } = parse(args, {
    format: { type: 'string' },
    select: { type: 'string' },
    ignore: { type: 'string' },
    'no-config': { type: 'boolean' },
    fix: { type: 'boolean' },
    diff: { type: 'boolean' },
  });
  const format = oneOf('format', values.format, FORMATS, 'text');
  if (values.fix && values.diff) throw new UsageError('--fix and --diff exclude each other (--diff shows what --fix would write)');
  if (values.diff && values.format !== undefined && format !== 'text') throw new UsageError('--diff prints a unified diff; it takes no --format');
  if (values.fix && !io.writeFile) throw new UsageError('--fix is not available here (no file writing)');
  if (!io.tree) throw new UsageError('check is not available here (no file system)');
  const tree = io.tree;
  const cli = {
    ...(values.select !== undefined ? { select: cliRules('select', values.select) } : {}),
    ignore: values.ignore !== undefined ? cliRules('ignore', values.ignore) : new Set<RuleId>(),
  };
  const paths = positionals.length > 0 ? positionals : ['.'];
  const readText = (p: string, limit: number) => io.readFile(p, limit);
  const finder = new ConfigFinder(tree, readText);
  const configs = new Map<string, FoundConfig | undefined>();
  try {
    for (const p of paths) configs.set(p, values['no-config'] ? undefined : finder.of(p));
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    io.stderr(`initlens: ${error.message}\n`);
    return 2;
  }
  const targets = paths.map((p) => {
    const found = configs.get(p);
    return { path: p, ...(found && found.config.exclude.length > 0 ? { exclude: patternScope(found.base, found.config.exclude) } : {}) };
  });
  const walked = walk(targets, tree, { readText });
  const issues: FileIssue[] = walked.issues.map((i) => ({ path: i.path, message: i.message }));
  const problems: { path: string; problem: Problem }[] = [];
  const fixing = values.fix === true || values.diff === true;
  let checked = 0;
  let fixes = 0;
  let fixedFiles = 0;
  for (const file of walked.files) {
    const found = configs.get(file.root);
    const options = { seed: found?.config.seed ?? 42, deterministic: true, warnOnly: false, enabled: rulesFor(file.path, found, cli) };
    let text = readChecked(file, io);
    if (typeof text !== 'string') {
      issues.push(text);
      continue;
    }
    if (fixing && !file.notebook) {
      const fixed = fixPython(text, options);
      if (fixed.stopped && fixed.applied.length > 0) issues.push({ path: file.path, message: `fixing stopped: ${fixed.stopped}` });
      if (fixed.text !== text) {
        if (values.diff) io.stdout(unifiedDiff(file.path, text, fixed.text));
        else {
          const failure = write(io, file.path, fixed.text);
          if (failure) {
            issues.push(failure);
            continue;
          }
          text = fixed.text;
        }
        fixes += fixed.applied.length;
        fixedFiles++;
      }
    }
    const result = checkText(file, text, options);
    if ('message' in result) {
      issues.push(result);
      continue;
    }
    if (result.syntaxError) {
      const at = result.syntaxError;
      issues.push({ path: file.path, message: 'Python syntax error; not checked', line: at.line, column: at.column, ...(at.cell !== undefined ? { cell: at.cell } : {}) });
      continue;
    }
    checked++;
    for (const problem of result.problems) problems.push({ path: file.path, problem });
  }
  const seconds = (performance.now() - started) / 1000;
  if (values.diff) {
    for (const i of issues) io.stderr(`initlens: ${i.path}: ${i.message}\n`);
    io.stderr(`Checked ${checked} file${checked === 1 ? '' : 's'} in ${seconds.toFixed(2)} s: ${fixes} fix${fixes === 1 ? '' : 'es'} would change ${fixedFiles} file${fixedFiles === 1 ? '' : 's'}.\n`);
    return fixes > 0 || issues.length > 0 ? 1 : 0;
  }
  const report: CheckReport = { files: walked.files.length, checked, problems, issues, seconds, root: path.resolve('.'), version, ...(values.fix ? { fixed: fixes } : {}) };
  formatReport(report, format, io);
  return problems.length > 0 || issues.length > 0 ? 1 : 0;
}

/** Writes a fixed file through {@link CliIo.writeFile} (atomic); a failure is a {@link FileIssue}, the file unchanged. */
function write(io: CliIo, file: string, text: string): FileIssue | undefined {
  try {
    io.writeFile!(file, text);
    return undefined;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code ? `${code}${ERRNO[code] ? `: ${ERRNO[code]}` : ''}` : error instanceof Error ? error.message : String(error);
    return { path: file, message: `cannot write the fixes (${why}); it is unchanged` };
  }
}

/** `--select IL1,seed-missing`: codes, names or prefixes, as in the configuration. */
function cliRules(option: string, text: string): Set<RuleId> {
  try {
    return selectRules(`--${option}`, list(text));
  } catch (error) {
    throw error instanceof ConfigError ? new UsageError(error.message) : error;
  }
}
