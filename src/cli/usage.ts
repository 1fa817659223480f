/** Argument parsing and input reading shared by the CLI's commands: strict, bounded, one-line errors. */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { LIMITS, limitText } from '../core/limits';
import type { Range } from '../core/sampling/ranges';

/** A usage error: reported as one line on stderr, exit code 2. */
export class UsageError extends Error {}

/** A failure of the input or of the work (unreadable file, above a limit): one line on stderr, exit code 1. */
export class InputError extends Error {}

/**
 * `node:util` parseArgs, strict, with its multi-line messages cut to one
 * {@link UsageError} line. `--opt -1` is read as the value -1 for string
 * options: parseArgs would take `-1` for a flag, but negative numbers are
 * ordinary values here (`--low -0.5`, `--seed -1`).
 */
export function parse<T extends NonNullable<ParseArgsConfig['options']>>(args: readonly string[], options: T) {
  const joined: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const name = args[i].startsWith('--') && !args[i].includes('=') ? args[i].slice(2) : undefined;
    const option = name !== undefined && Object.hasOwn(options, name) ? options[name] : undefined;
    if (option?.type === 'string' && i + 1 < args.length && /^-(\d|\.\d)/.test(args[i + 1])) {
      joined.push(`${args[i]}=${args[i + 1]}`);
      i++;
    } else joined.push(args[i]);
  }
  try {
    return parseArgs({ args: joined, options, allowPositionals: true, strict: true });
  } catch (error) {
    // node:util's messages are multi-line with hints; keep the first sentence.
    const message = error instanceof Error ? error.message.split('\n')[0].replace(/\. To specify.*$/, '') : String(error);
    throw new UsageError(message.charAt(0).toLowerCase() + message.slice(1));
  }
}

const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;
const show = (x: number | bigint) => String(x);

/**
 * An integer option, in decimal digits only (no `0x10`, `1e3`, blanks or
 * empty text), within [min, max]; `fallback` when the option is absent.
 */
export function integerOption(name: string, text: string | undefined, min: number, max: number, fallback: number): number {
  if (text === undefined) return fallback;
  return Number(bigintOption(name, text, BigInt(min), BigInt(max)));
}

/** A (big) integer option in decimal digits, within [min, max]. */
export function bigintOption(name: string, text: string, min: bigint, max: bigint): bigint {
  const range = `an integer from ${show(min)} to ${show(max)}`;
  if (!/^[+-]?\d{1,400}$/.test(text)) throw new UsageError(`--${name} expects ${range}, got '${text}'`);
  const value = BigInt(text);
  if (value < min || value > max) throw new UsageError(`--${name} must be ${range}, got ${text}`);
  return value;
}

/**
 * A real option written as a finite decimal (`0.1`, `-2`, `1e-3`; not `inf`,
 * `nan`, `0x10` or empty text), within `range`.
 */
export function realOption(name: string, text: string, range: Range): number {
  if (!DECIMAL.test(text)) throw new UsageError(`--${name} expects a decimal number, got '${text}'`);
  const x = Number(text);
  const inRange = range.above ? x > range.min : x >= range.min;
  if (!inRange || !(x <= range.max)) throw new UsageError(`--${name} must be ${range.above ? 'above' : 'at least'} ${show(range.min)} and at most ${show(range.max)}, got ${text}`);
  return x === 0 ? 0 : x;
}

/** A string option from a fixed set; `fallback` when absent. */
export function oneOf<T extends string>(name: string, text: string | undefined, allowed: readonly T[], fallback: T): T {
  if (text === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(text)) throw new UsageError(`--${name} must be one of ${allowed.join(', ')}; got '${text}'`);
  return text as T;
}

/** How the CLI reads an input: at most `limit` bytes are wanted, more than that is refused. */
export type ReadInput = (path: string, limit: number) => string;

/**
 * Reads an input file of at most {@link LIMITS.inputBytes} bytes. On failure
 * prints one line (`initlens: cannot read 'FILE' (CODE)`, or the limit it is
 * above) and returns undefined: each command chooses its exit code.
 */
export function readInput(io: { readonly readFile: ReadInput; readonly stderr: (text: string) => void }, file: string): string | undefined {
  try {
    return io.readFile(file, LIMITS.inputBytes.value);
  } catch (error) {
    if (error instanceof InputError) {
      io.stderr(`initlens: ${error.message}\n`);
      return undefined;
    }
    const code = (error as NodeJS.ErrnoException).code;
    io.stderr(`initlens: cannot read '${file}'${code ? ` (${code})` : ''}\n`);
    return undefined;
  }
}

/** The refusal of an input above {@link LIMITS.inputBytes}. */
export function tooLarge(file: string): InputError {
  return new InputError(`'${file}' is above ${limitText('inputBytes')}`);
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
