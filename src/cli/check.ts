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
import * as os from 'node:os';
import type { Problem } from '../core/diagnostics/check';
import { ConfigError, perFileIgnored, selectRules } from '../core/diagnostics/config';
import { RULES, type RuleId } from '../core/diagnostics/rules';
import { formatReport, FORMATS, position, type CheckFormat, type CheckReport, type FileIssue } from './checkFormat';
import { processFile, type FileOutcome, type FileTask } from './checkFile';
import { FILES_PER_WORKER, runPool } from './checkPool';
import { patternScope, walk } from './checkWalk';
import { ConfigFinder, type FoundConfig } from './checkConfig';
import { ProjectScan } from './workspace';
import type { CliIo } from './run';
import { integerOption, oneOf, parse, UsageError } from './usage';

/** More workers than this only cost memory (each holds its own parser and analysis). */
const MAX_JOBS = 64;

export const CHECK_USAGE = `  check [PATH...] [--format text|json|sarif|github] [--select CODES]
        [--ignore CODES] [--no-config] [--fix | --diff] [--jobs N]
        [--no-workspace]
                         Every diagnostic rule (codes IL001...) over the .py files
                         and .ipynb notebooks of each PATH (default .), honouring
                         .gitignore and [tool.initlens] in pyproject.toml; prints
                         path:line:col: CODE message and a summary. Exit 0 clean,
                         1 problems or unchecked files, 2 usage or config errors.
                         --fix writes the reproducibility fixes (IL1xx) in place;
                         --diff prints them as a unified diff instead. --jobs N:
                         files on N worker threads (default: the cores).
                         Classes built in other files of the project get those
                         arguments, as in analyze (off: --no-workspace).
`;

/** The rules that run on one file: the configuration's (or --select's), less the file's per-file ignores and --ignore. */
function rulesFor(file: string, found: FoundConfig | undefined, cli: { select?: ReadonlySet<RuleId>; ignore: ReadonlySet<RuleId> }): Set<RuleId> {
  const rel = found ? path.relative(found.base, path.resolve(file)).split(path.sep).join('/') : undefined;
  const off = found ? perFileIgnored(found.config, rel) : new Set<RuleId>();
  return new Set([...(cli.select ?? found?.config.rules ?? RULES)].filter((r) => !off.has(r) && !cli.ignore.has(r)));
}

const list = (text: string) => text.split(',').map((s) => s.trim()).filter(Boolean);

export function checkCommand(args: readonly string[], io: CliIo, version: string): number | Promise<number> {
  const started = performance.now();
  const { values, positionals } = parse(args, {
    format: { type: 'string' },
    select: { type: 'string' },
    ignore: { type: 'string' },
    'no-config': { type: 'boolean' },
    fix: { type: 'boolean' },
    diff: { type: 'boolean' },
    jobs: { type: 'string', short: 'j' },
    'no-workspace': { type: 'boolean' },
  });
  const jobs = integerOption('jobs', values.jobs, 1, MAX_JOBS, os.availableParallelism());
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
  const mode = values.fix ? 'fix' : values.diff ? 'diff' : 'check';
  const tasks: FileTask[] = walked.files.map((file) => {
    const found = configs.get(file.root);
    return {
      path: file.path,
      notebook: file.notebook,
      seed: found?.config.seed ?? 42,
      rules: [...rulesFor(file.path, found, cli)],
      mode,
      workspace: !values['no-workspace'],
      ...(found?.config.advice ? { advice: { level: found.config.advice.level, disabled: [...found.config.advice.disabled], ...(found.config.advice.widthScaling ? { widthScaling: true } : {}) } } : {}),
    };
  });
  // Workers pay off from a few files each (one took 150–170 ms to its first answer, README); fewer run here.
  const workers = Math.min(jobs, Math.ceil(tasks.length / FILES_PER_WORKER));
  const finish = (outcomes: readonly FileOutcome[]) => report(outcomes, walked, { started, version, format, mode }, io);
  // A progress line on a terminal (`CliIo.progress`), rewritten in place at most every PROGRESS_MS and erased before the output.
  let shown = 0;
  const tick = (done: number) => {
    if (!io.progress || (performance.now() - shown < PROGRESS_MS && done < tasks.length)) return;
    shown = performance.now();
    io.progress(`\rinitlens: checked ${done} of ${tasks.length} files`);
  };
  const done = (outcomes: readonly FileOutcome[]) => {
    io.progress?.('\r\x1b[2K');
    return finish(outcomes);
  };
  if (workers > 1 && io.checkWorker) {
    const size = tree.size;
    const weights = size ? tasks.map((t) => {
      try {
        return size(t.path);
      } catch {
        return 0; // its worker says why it cannot be read
      }
    }) : undefined;
    // No signal: every task has its outcome.
    return runPool(io.checkWorker, tasks, workers, tick, weights).then((outcomes) => done(outcomes as FileOutcome[]));
  }
  const scan = new ProjectScan(io);
  return done(tasks.map((task, i) => {
    const outcome = processFile(task, io, scan);
    tick(i + 1);
    return outcome;
  }));
}

/** Least time between two progress lines. */
const PROGRESS_MS = 100;

/** Prints the outcomes in walk order; returns the exit code. */
function report(outcomes: readonly FileOutcome[], walked: ReturnType<typeof walk>, run: { started: number; version: string; format: CheckFormat; mode: FileTask['mode'] }, io: CliIo): number {
  const issues: FileIssue[] = walked.issues.map((i) => ({ path: i.path, message: i.message }));
  const problems: { path: string; problem: Problem }[] = [];
  let checked = 0;
  let fixes = 0;
  let changed = 0;
  outcomes.forEach((o, i) => {
    issues.push(...o.issues);
    for (const problem of o.problems) problems.push({ path: walked.files[i].path, problem });
    if (o.checked) checked++;
    fixes += o.fixes;
    if (o.fixes > 0) changed++;
    if (o.diff) io.stdout(o.diff);
  });
  const seconds = (performance.now() - run.started) / 1000;
  if (run.mode === 'diff') {
    for (const i of issues) io.stderr(`initlens: ${position(i.path, i)}: ${i.message}\n`);
    io.stderr(`Checked ${checked} file${checked === 1 ? '' : 's'} in ${seconds.toFixed(2)} s: ${fixes} fix${fixes === 1 ? '' : 'es'} would change ${changed} file${changed === 1 ? '' : 's'}.\n`);
    return fixes > 0 || issues.length > 0 ? 1 : 0;
  }
  const r: CheckReport = { files: walked.files.length, checked, problems, issues, seconds, root: path.resolve('.'), version: run.version, ...(run.mode === 'fix' ? { fixed: fixes } : {}) };
  formatReport(r, run.format, io);
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
