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
import { RULES } from '../core/diagnostics/rules';
import { LIMITS } from '../core/limits';
import { formatReport, FORMATS, type CheckReport, type FileIssue } from './checkFormat';
import type { WalkFile } from './checkWalk';
import { walk } from './checkWalk';
import type { CliIo } from './run';
import { InputError, oneOf, parse, UsageError } from './usage';

export const CHECK_USAGE = `  check [PATH...] [--format text|json|sarif|github]
                         Every diagnostic rule (codes IL001...) over the .py files
                         and .ipynb notebooks of each PATH (default .), honouring
                         .gitignore; prints path:line:col: CODE message and a
                         summary. Exit 0 clean, 1 problems or unchecked files.
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

export function checkCommand(args: readonly string[], io: CliIo, version: string): number {
  const started = performance.now();
  const { values, positionals } = parse(args, { format: { type: 'string' } });
  const format = oneOf('format', values.format, FORMATS, 'text');
  if (!io.tree) throw new UsageError('check is not available here (no file system)');
  const paths = positionals.length > 0 ? positionals : ['.'];
  const walked = walk(paths, io.tree, { readText: (p, limit) => io.readFile(p, limit) });
  const issues: FileIssue[] = walked.issues.map((i) => ({ path: i.path, message: i.message }));
  const problems: { path: string; problem: Problem }[] = [];
  const options = { seed: 42, deterministic: true, warnOnly: false, enabled: new Set(RULES) };
  let checked = 0;
  for (const file of walked.files) {
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
