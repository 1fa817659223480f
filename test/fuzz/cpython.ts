/**
 * CPython as the oracle of "valid Python", for the property and fuzz tests:
 * one long-lived `/usr/bin/python3` compiles batches of sources as UTF-8
 * bytes (like files on disk, so a BOM or a coding cookie counts as Python
 * reads them) and lists the global names each reads that nothing binds (an
 * edit that writes `self` where there is none compiles, but reads an unbound
 * name). Callers skip visibly when the interpreter is absent.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import * as fs from 'node:fs';

export const PYTHON = '/usr/bin/python3';

/** Whether CPython is there to ask. */
export function havePython(): boolean {
  return fs.existsSync(PYTHON);
}

export type Verdict = { readonly ok: true; readonly unbound: readonly string[] | null } | { readonly ok: false; readonly error: string };

/** CPython's verdict on many sources, from one long-lived interpreter reading one JSON array per line. */
export class Compiler {
  private readonly proc: ChildProcessWithoutNullStreams;
  private buffer = '';
  private waiting: ((line: string) => void)[] = [];

  constructor() {
    const script = String.raw`
import builtins, json, symtable, sys, warnings
warnings.simplefilter('ignore')
KNOWN = set(dir(builtins)) | {'__file__', '__name__', '__doc__', '__builtins__', '__spec__', '__loader__', '__package__', '__path__', '__annotations__'}

def unbound(source):
    """Global names the code reads that nothing binds at module level (None when a star import makes that unknowable)."""
    if 'import *' in source:
        return None
    top = symtable.symtable(source, '<initlens>', 'exec')
    bound = {s.get_name() for s in top.get_symbols() if s.is_assigned() or s.is_imported() or s.is_namespace()}
    used = set()
    def walk(table):
        kind = table.get_type()
        for s in table.get_symbols():
            if not s.is_referenced():
                continue
            if kind == 'function':
                if s.is_global():
                    used.add(s.get_name())
            elif not (s.is_assigned() or s.is_imported() or s.is_namespace() or s.is_free() or s.is_parameter()):
                used.add(s.get_name())
        for child in table.get_children():
            walk(child)
    walk(top)
    return sorted(used - bound - KNOWN)

for line in sys.stdin:
    out = []
    for s in json.loads(line):
        data = s.encode('utf-8', 'surrogatepass')
        try:
            # Bytes, as from a file: a BOM is then an encoding mark, not a stray character.
            compile(data, '<initlens>', 'exec', dont_inherit=True)
            out.append({'ok': True, 'unbound': unbound(data.decode('utf-8-sig'))})
        except (SyntaxError, ValueError) as e:
            out.append({'ok': False, 'error': f'{type(e).__name__}: {e}'})
    sys.stdout.write(json.dumps(out) + '\n')
    sys.stdout.flush()
`;
    this.proc = spawn(PYTHON, ['-c', script], { stdio: 'pipe' });
    this.proc.stdout.setEncoding('utf8');
    this.proc.stdout.on('data', (chunk: string) => {
      this.buffer += chunk;
      for (let i = this.buffer.indexOf('\n'); i !== -1; i = this.buffer.indexOf('\n')) {
        const line = this.buffer.slice(0, i);
        this.buffer = this.buffer.slice(i + 1);
        this.waiting.shift()?.(line);
      }
    });
  }

  /** CPython's verdict on each source: accepted (with the global names it reads unbound), or its error. */
  compile(sources: readonly string[]): Promise<Verdict[]> {
    return new Promise((resolve) => {
      this.waiting.push((line) => resolve(JSON.parse(line) as Verdict[]));
      this.proc.stdin.write(`${JSON.stringify(sources)}\n`);
    });
  }

  close(): void {
    this.proc.stdin.end();
  }
}
