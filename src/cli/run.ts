/**
 * The `initlens` command line: the same core as the extension, no editor.
 * `runCli` takes its arguments and I/O explicitly and returns the exit code, so
 * tests drive it in-process; `src/cli.ts` binds it to the real process.
 *
 * Exit codes: 0 success, 1 the input could not be processed (unreadable file,
 * Python that does not parse), 2 usage errors (unknown command, bad flag).
 */
import { analyzeSeeding } from '../core/seeding/analyze';
import { seedReportMarkdown, isTrap } from '../core/seeding/report';
import { parsePython, syntaxErrors } from '../core/python/parse';
import { analyzeFiles } from './analyze';
import { modelCommand, MODEL_USAGE } from './model';
import { propagateCommand, PROPAGATE_USAGE } from './propagate';
import { sampleCommand, SAMPLE_USAGE } from './sample';
import { seedCommand, SEED_USAGE } from './seed';
import { checkCommand, CHECK_USAGE } from './check';
import type { TreeAccess } from './checkWalk';
import { LimitError } from '../core/limits';
import { InputError, parse, readInput, UsageError, type ReadInput } from './usage';
import type { Project } from './workspace';
import type { LoadedTf } from '../core/signal/backendChoice';

export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /**
   * Reads a file as text (UTF-8, or Latin-1 when its bytes are not UTF-8),
   * refusing one longer than `limit` bytes (without reading past it); throws a
   * Node `ErrnoException` when it cannot.
   */
  readonly readFile: ReadInput;
  /** Reads a file's bytes (`propagate --data`), refusing one longer than `limit` bytes without reading past it; absent: binary inputs are not available. */
  readonly readBytes?: (path: string, limit: number) => Uint8Array;
  /**
   * Replaces a file atomically (`model --npz`, `seed --write`), text in the
   * encoding the file was read with; throws when it cannot, and the file is
   * then unchanged.
   */
  readonly writeFile?: (path: string, data: string | Uint8Array) => void;
  /** Whether two paths name the same file (links included); path equality when absent. */
  readonly sameFile?: (a: string, b: string) => boolean;
  /**
   * The project of a file (its root and Python files, bounded), whose files
   * importing it give its classes their constructor arguments; absent: each
   * file is analyzed on its own.
   */
  readonly project?: (file: string) => Project | undefined;
  /** Folders and links, for `check`'s walk; absent: `check` is not available. */
  readonly tree?: TreeAccess;
  /** The script of `check --jobs`' workers (dist/checkWorker.js); absent: files are checked in this thread. */
  readonly checkWorker?: string;
  /**
   * TensorFlow.js for `propagate`, loaded on first use from its own bundle
   * (dist/signalTf.js: tfjs-node-gpu, tfjs-node, wasm, cpu); absent: `propagate` is not available.
   */
  readonly signalTf?: () => Promise<LoadedTf>;
  /** Writes a progress line (`\r`-rewritten) where stderr is a terminal; absent elsewhere (pipes, CI logs, tests). */
  readonly progress?: (text: string) => void;
}

export const USAGE = `Usage: initlens <command> [options]

Commands:
  analyze FILE... [--json] [--no-workspace] [--analytic]
                         The PyTorch and Keras models in each FILE: per layer its
                         fans, parameters, activation, current and recommended
                         initialization with numbers and the code that applies it,
                         and its verdict. A class built in another file of the
                         project (the nearest folder above FILE with .git,
                         pyproject.toml or setup.py) that imports it gets that
                         call's arguments; --no-workspace: FILE on its own.
                         Gains are measured by one forward and backward pass of
                         each model the signal engine can run (small enough, not
                         composite), as in the editor; --analytic: the analytic
                         gains only (as initlens check).
  report FILE [--json]   Which random number generators FILE imports, what seeds
                         each one, and the seeding mistakes it contains.
${CHECK_USAGE}${SEED_USAGE}${SAMPLE_USAGE}${MODEL_USAGE}${PROPAGATE_USAGE}
Options:
  -h, --help             Show this help.
  -v, --version          Print the version.

Exit codes: 0 ok; 1 report/seed: the file could not be read or parsed (seed:
also nothing to seed; the file is then left untouched); 2 bad usage,
including every bad sample argument (analyze: also an unreadable file; a file
with syntax errors still yields what could be read).
`;

/**
 * Runs one command. Returns the exit code, or a promise of it for commands
 * that compute asynchronously (`sample`, on the worker pool). Every failure
 * is one `initlens: …` line on stderr, never a stack trace.
 */
export function runCli(argv: readonly string[], io: CliIo, version: string): number | Promise<number> {
  try {
    const code = dispatch(argv, io, version);
    return typeof code === 'number' ? code : code.catch((error: unknown) => failure(error, io));
  } catch (error) {
    return failure(error, io);
  }
}

function dispatch(argv: readonly string[], io: CliIo, version: string): number | Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '-h' || command === '--help' || command === 'help') {
    io.stdout(USAGE);
    return 0;
  }
  if (command === '-v' || command === '--version') {
    io.stdout(`${version}\n`);
    return 0;
  }
  if (command === 'report') return report(rest, io);
  if (command === 'analyze') {
    const { values, positionals } = parse(rest, { json: { type: 'boolean' }, 'no-workspace': { type: 'boolean' }, analytic: { type: 'boolean' } });
    if (positionals.length === 0) throw new UsageError('analyze needs at least one FILE');
    return analyzeFiles({ files: positionals, json: values.json === true, workspace: values['no-workspace'] !== true, measure: values.analytic !== true }, io);
  }
  if (command === 'model') return modelCommand(rest, io);
  if (command === 'seed') return seedCommand(rest, io);
  if (command === 'check') return checkCommand(rest, io, version);
  if (command === 'sample') return sampleCommand(rest, io);
  if (command === 'propagate') return propagateCommand(rest, io);
  if (command.startsWith('-')) throw new UsageError(`unknown option '${command}'`);
  throw new UsageError(`unknown command '${command}'`);
}

/** Exit 2 for usage errors, 1 for everything else, each as one line. */
function failure(error: unknown, io: CliIo): number {
  if (error instanceof UsageError) {
    io.stderr(`initlens: ${oneLine(error.message)} (see 'initlens --help')\n`);
    return 2;
  }
  if (error instanceof InputError || error instanceof LimitError) {
    io.stderr(`initlens: ${oneLine(error.message)}\n`);
    return 1;
  }
  // A defect of InitLens itself: still one line, so scripts can rely on the format.
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  io.stderr(`initlens: internal error: ${oneLine(error instanceof Error ? error.message : String(error))}${code ? ` (${code})` : ''}\n`);
  return 1;
}

const oneLine = (text: string) => text.replace(/\s*\n\s*/g, ' ');

function report(args: readonly string[], io: CliIo): number {
  const { values, positionals } = parse(args, { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } });
  if (values.help) {
    io.stdout(USAGE);
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError(`report takes exactly one FILE, got ${positionals.length}`);
  const file = positionals[0];
  const text = readInput(io, file);
  if (text === undefined) return 1;
  const tree = parsePython(text);
  const errors = syntaxErrors(tree, text);
  if (errors.length > 0) {
    const first = errors[0];
    io.stderr(`initlens: ${file}:${first.line + 1}:${first.column + 1}: Python syntax error; nothing analyzed\n`);
    return 1;
  }
  const analysis = analyzeSeeding(tree, text);
  if (values.json) {
    const json = {
      file,
      frameworks: analysis.frameworks.map((f) => ({ id: f.framework.id, line: f.line + 1 })),
      rngs: analysis.coverage.map((c) => ({
        rng: c.rng,
        seededBy: c.seededBy.map((r) => ({ api: r.qualifiedName, line: r.line + 1, argument: r.argument ?? null })),
      })),
      problems: analysis.references.filter(isTrap).map((r) => ({ api: r.qualifiedName, line: r.line + 1, message: r.api.caveat ?? r.api.summary })),
    };
    io.stdout(`${JSON.stringify(json, null, 2)}\n`);
  } else {
    io.stdout(seedReportMarkdown(analysis, text, file));
  }
  return 0;
}
