/**
 * `initlens check [PATH...]`: every diagnostic rule over files and folders,
 * as linters do it: `path:line:col: CODE message` per problem, a summary line
 * on stderr, exit 0 when clean, 1 when a problem was found or a file could not
 * be checked, 2 on usage errors. Files are read within their limit
 * (`inputBytes`, `notebookBytes` for notebooks); a file that cannot be read,
 * is binary, has a syntax error or is not a notebook is one line on stderr and
 * the run goes on.
 */
import * as path from 'node:path';
import { checkNotebook, checkPython, NotCheckable, type FileResult, type Problem } from '../core/diagnostics/check';
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
        [--ignore CODES] [--no-config]
                         Every diagnostic rule (codes IL001...) over the .py files
                         and .ipynb notebooks of each PATH (default .), honouring
                         .gitignore and [tool.initlens] in pyproject.toml; prints
                         path:line:col: CODE message and a summary. Exit 0 clean,
                         1 problems or unchecked files, 2 usage or config errors.
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

/** Checks one file; a problem-free file gives an empty list, an unusable one a {@link FileIssue}. */
function checkFile(file: WalkFile, io: CliIo, options: Parameters<typeof checkPython>[1]): FileResult | FileIssue {
  let text: string;
  try {
    text = io.readFile(file.path, file.notebook ? LIMITS.notebookBytes.value : LIMITS.inputBytes.value);
  } catch (error) {
    return { path: file.path, message: readFailure(error) };
  }
  // A NUL never occurs in Python source or notebook JSON: the file is binary (an image, a .pyc renamed).
  if (text.includes('\u0000')) return { path: file.path, message: 'binary file (it holds a NUL byte); not checked' };
  try {
    return file.notebook ? checkNotebook(text, options) : checkPython(text, options);
  } catch (error) {
    if (error instanceof NotCheckable) return { path: file.path, message: `${error.message}; not checked` };
    throw error;
  }
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
  const { values, positionals } = parse(args, { format: { type: 'string' }, select: { type: 'string' }, ignore: { type: 'string' }, 'no-config': { type: 'boolean' } });
  const format = oneOf('format', values.format, FORMATS, 'text');
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
  let checked = 0;
  for (const file of walked.files) {
    const found = configs.get(file.root);
    const options = { seed: found?.config.seed ?? 42, deterministic: true, warnOnly: false, enabled: rulesFor(file.path, found, cli) };
    const result = checkFile(file, io, options);
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
  const report: CheckReport = { files: walked.files.length, checked, problems, issues, seconds: (performance.now() - started) / 1000, root: path.resolve('.'), version };
  formatReport(report, format, io);
  return problems.length > 0 || issues.length > 0 ? 1 : 0;
}

/** `--select IL1,seed-missing`: codes, names or prefixes, as in the configuration. */
function cliRules(option: string, text: string): Set<RuleId> {
  try {
    return selectRules(`--${option}`, list(text));
  } catch (error) {
    throw error instanceof ConfigError ? new UsageError(error.message) : error;
  }
}
