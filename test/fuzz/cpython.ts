/**
 * CPython as the oracle of "valid Python": one `/usr/bin/python3` process
 * compiles a whole batch of sources (as UTF-8 bytes, like files on disk, so a
 * BOM or a coding cookie counts as Python reads them). Undefined when that
 * interpreter is absent, so callers skip visibly.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';

export const PYTHON = '/usr/bin/python3';

const SCRIPT = `
import json, sys, warnings
warnings.simplefilter("ignore")
out = []
for src in json.load(sys.stdin):
    try:
        compile(src.encode("utf-8", "surrogatepass"), "<fuzz>", "exec", dont_inherit=True)
        out.append(True)
    except BaseException:
        out.append(False)
json.dump(out, sys.stdout)
`;

/** Whether CPython is there to ask. */
export function havePython(): boolean {
  return fs.existsSync(PYTHON);
}

/** For each source, whether CPython compiles it. */
export function compiles(sources: readonly string[]): boolean[] {
  if (sources.length === 0) return [];
  const r = spawnSync(PYTHON, ['-c', SCRIPT], { input: JSON.stringify(sources), maxBuffer: 1 << 30, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${PYTHON} failed: ${r.stderr || r.error}`);
  const result = JSON.parse(r.stdout) as boolean[];
  if (result.length !== sources.length) throw new Error(`${PYTHON} answered ${result.length} of ${sources.length} sources`);
  return result;
}
