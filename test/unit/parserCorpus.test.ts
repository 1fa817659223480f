/**
 * Zero false syntax errors: every `.py` file of the Python 3.11 standard library
 * and of Debian's dist-packages (torch, numpy, ...) that CPython accepts must
 * parse without error nodes. Files are parsed on worker threads; CPython
 * (/usr/bin/python3, one process) is the oracle for the files that got error
 * nodes, so a file it rejects (Python 2 code) is no failure. Skips visibly
 * where Python or the folders are absent.
 *
 * Bounded: files are parsed in a fixed order (standard library, torch, numpy,
 * the rest) for at most INITLENS_CORPUS_BUDGET_S seconds (default 40); what
 * the budget left out is reported, never counted as passed. Set it to 0 for a
 * run over everything.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { Worker, isMainThread, parentPort } from 'node:worker_threads';
import { parsePython } from '../../src/core/python/parse';

const PYTHON = '/usr/bin/python3';
const DIST = '/usr/lib/python3/dist-packages';
/** Folders in the order they are checked; the first two hold the 3.11 standard library. */
const ROOTS = ['/root/.pyenv/versions/3.11.7/lib/python3.11', '/usr/lib/python3.11', path.join(DIST, 'torch'), path.join(DIST, 'numpy'), DIST];
/** Third-party folders inside a standard-library root (checked through DIST, or not ours to check). */
const SKIP_DIRS = new Set(['site-packages', 'dist-packages', '__pycache__']);
const BUDGET_S = Number(process.env.INITLENS_CORPUS_BUDGET_S ?? 40);

interface Report {
  readonly file: string;
  readonly errors: number;
  readonly bytes: number;
}

/** Worker side: parse each file sent, answer with its error count. */
if (!isMainThread && parentPort) {
  const port = parentPort;
  port.on('message', (file: string | null) => {
    if (file === null) return port.close();
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch {
      return port.postMessage({ file, errors: 0, bytes: 0 } satisfies Report);
    }
    let errors = 0;
    parsePython(text).iterate({ enter: (n) => void (n.type.isError && errors++) });
    port.postMessage({ file, errors, bytes: text.length } satisfies Report);
  });
}

function pythonFiles(): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  const walk = (dir: string): void => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const full = path.join(dir, e.name);
      if (e.isDirectory() && !SKIP_DIRS.has(e.name)) walk(full);
      else if (e.isFile() && e.name.endsWith('.py') && !seen.has(full)) {
        seen.add(full);
        out.push(full);
      }
    }
  };
  for (const root of ROOTS) walk(root);
  return out;
}

/** Parses `files` on worker threads until the budget runs out. */
async function parseAll(files: readonly string[], budgetMs: number): Promise<Report[]> {
  const reports: Report[] = [];
  const deadline = budgetMs > 0 ? Date.now() + budgetMs : Infinity;
  let next = 0;
  const workers = Math.max(1, Math.min(os.availableParallelism(), 4));
  await Promise.all(
    Array.from({ length: workers }, () => new Promise<void>((resolve, reject) => {
      const worker = new Worker(__filename);
      const feed = (): void => worker.postMessage(next < files.length && Date.now() < deadline ? files[next++] : null);
      worker.on('message', (r: Report) => {
        reports.push(r);
        feed();
      });
      worker.on('error', reject);
      worker.on('exit', () => resolve());
      feed();
    })),
  );
  return reports;
}

if (isMainThread) {
  describe('parser corpus: files CPython accepts have no error node', () => {
    it('standard library 3.11 and dist-packages', async (t) => {
      if (!fs.existsSync(PYTHON)) return t.skip(`${PYTHON} is not installed`);
      const files = pythonFiles();
      if (files.length === 0) return t.skip(`none of ${ROOTS.join(', ')} holds .py files`);
      const started = Date.now();
      const reports = await parseAll(files, BUDGET_S * 1000);
      const withErrors = reports.filter((r) => r.errors > 0).map((r) => r.file);
      // CPython's verdict on the files with error nodes: the ones it accepts are false errors.
      const oracle = spawnSync(PYTHON, ['-W', 'ignore', '-c', ORACLE], { input: withErrors.join('\n'), encoding: 'utf8', maxBuffer: 1 << 24 });
      assert.equal(oracle.status, 0, oracle.stderr);
      const falseErrors = oracle.stdout.split('\n').filter(Boolean);
      const megabytes = reports.reduce((s, r) => s + r.bytes, 0) / 1e6;
      t.diagnostic(
        `parsed ${reports.length} of ${files.length} files (${megabytes.toFixed(1)} MB) in ${((Date.now() - started) / 1000).toFixed(1)} s; ` +
          `${withErrors.length} with error nodes, of which CPython accepts ${falseErrors.length}` +
          (reports.length < files.length ? `; ${files.length - reports.length} files left out by the ${BUDGET_S} s budget (INITLENS_CORPUS_BUDGET_S=0 checks all)` : ''),
      );
      assert.deepEqual(falseErrors, [], 'valid Python read as a syntax error');
    });
  });
}

/** Prints each file of stdin that CPython 3 compiles (as bytes, so its coding line counts). */
const ORACLE = [
  'import sys',
  'for p in sys.stdin.read().split("\\n"):',
  '    if not p: continue',
  '    try:',
  '        with open(p, "rb") as f: compile(f.read(), p, "exec", 0x400, dont_inherit=True)',
  '    except Exception: continue',
  '    print(p)',
].join('\n');
