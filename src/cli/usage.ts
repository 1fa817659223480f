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
