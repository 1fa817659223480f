/** Runs the CLI in-process over an in-memory file system, capturing its output. */
import { runCli } from '../../src/cli/run';

export interface CliRun {
  code: number | Promise<number>;
  stdout: string;
  stderr: string;
  /** Files the command wrote (only when run with `writable`). */
  written?: Record<string, string>;
}

/**
 * `project`: the in-memory files form one project with this root (absolute
 * `/` paths; a relative FILE is read as relative to it).
 */
export function runInMemory(argv: string[], files: Record<string, string> = {}, options: { writable?: boolean; project?: string } = {}): CliRun {
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
        if (options.project !== undefined && p.startsWith(`${options.project}/`) && p.slice(options.project.length + 1) in files) return files[p.slice(options.project.length + 1)];
        throw Object.assign(new Error('no such file'), { code: 'ENOENT' });
      },
      ...(options.project !== undefined ? { project: (file: string) => memoryProject(options.project as string, file, files) } : {}),
      ...(options.writable ? { writeFile: (p: string, t: string | Uint8Array) => void (written[p] = typeof t === 'string' ? t : Buffer.from(t).toString('utf8')) } : {}),
    },
    '9.9.9',
  );
  return options.writable ? { code, stdout, stderr, written } : { code, stdout, stderr };
}

function memoryProject(root: string, file: string, files: Record<string, string>) {
  const absolute = (p: string) => (p.startsWith('/') ? p : `${root}/${p}`);
  const all = Object.keys(files).map(absolute).filter((p) => p.startsWith(`${root}/`) && p.endsWith('.py'));
  return { root, file: absolute(file), files: all.sort() };
}
