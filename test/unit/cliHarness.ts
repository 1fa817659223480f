/** Runs the CLI in-process over an in-memory file system, capturing its output. */
import { runCli } from '../../src/cli/run';

export interface CliRun {
  code: number | Promise<number>;
  stdout: string;
  stderr: string;
  /** Files the command wrote (only when run with `writable`). */
  written?: Record<string, string>;
}

export function runInMemory(argv: string[], files: Record<string, string> = {}, options: { writable?: boolean } = {}): CliRun {
  let stdout = '';
  let stderr = '';
  const written: Record<string, string> = {};
  const code = runCli(
    argv,
    {
      stdout: (t) => void (stdout += t),
      stderr: (t) => void (stderr += t),
      readFile: (p) => {
        if (p in files) return files[p];
        throw Object.assign(new Error('no such file'), { code: 'ENOENT' });
      },
      ...(options.writable ? { writeFile: (p: string, t: string | Uint8Array) => void (written[p] = typeof t === 'string' ? t : Buffer.from(t).toString('utf8')) } : {}),
    },
    '9.9.9',
  );
  return options.writable ? { code, stdout, stderr, written } : { code, stdout, stderr };
}
