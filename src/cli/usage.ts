/** Usage errors shared by the CLI's commands. */
import { parseArgs, type ParseArgsConfig } from 'node:util';

/** A usage error: reported as one line on stderr, exit code 2. */
export class UsageError extends Error {}

/** `node:util` parseArgs, strict, with its multi-line messages cut to one {@link UsageError} line. */
export function parse<T extends NonNullable<ParseArgsConfig['options']>>(args: readonly string[], options: T) {
  try {
    return parseArgs({ args: [...args], options, allowPositionals: true, strict: true });
  } catch (error) {
    // node:util's messages are multi-line with hints; keep the first sentence.
    const message = error instanceof Error ? error.message.split('\n')[0].replace(/\. To specify.*$/, '') : String(error);
    throw new UsageError(message.charAt(0).toLowerCase() + message.slice(1));
  }
}

/**
 * Reads an input file; on failure prints `initlens: cannot read 'FILE' (CODE)`
 * and returns undefined (each command chooses its exit code).
 */
export function readInput(io: { readonly readFile: (path: string) => string; readonly stderr: (text: string) => void }, file: string): string | undefined {
  try {
    return io.readFile(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    io.stderr(`initlens: cannot read '${file}'${code ? ` (${code})` : ''}\n`);
    return undefined;
  }
}

/** What a write failure means, for the codes a user can act on. */
const WRITE_FAILURES: Readonly<Record<string, string>> = {
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EROFS: 'read-only file system',
  EFBIG: 'file size limit reached',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  ENOENT: 'no such folder',
  ENOTDIR: 'no such folder',
  EISDIR: 'it is a folder',
};

/**
 * Writes an output file; on failure prints one line,
 * `initlens: cannot write 'FILE' (CODE: meaning); it is unchanged`, and
 * returns false (each command chooses its exit code).
 */
export function writeOutput(io: { readonly writeFile?: (path: string, data: string | Uint8Array) => void; readonly stderr: (text: string) => void }, file: string, data: string | Uint8Array): boolean {
  if (!io.writeFile) throw new UsageError('writing files is not available here');
  try {
    io.writeFile(file, data);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code ? `${code}${WRITE_FAILURES[code] ? `: ${WRITE_FAILURES[code]}` : ''}` : error instanceof Error ? error.message : String(error);
    io.stderr(`initlens: cannot write '${file}' (${why}); it is unchanged\n`);
    return false;
  }
}
