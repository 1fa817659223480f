/**
 * `initlens seed FILE [--seed N] [--deterministic|--no-deterministic] [--warn-only] [--write]`:
 * the file with the "Insert reproducible seed" plan applied, on stdout, or
 * written back with `--write`. `.ipynb` files are planned as notebooks. The
 * file is only written when the whole plan succeeded.
 */
import { parsePython } from '../core/python/parse';
import { applyTextEdits } from '../core/edits/apply';
import { EditRefused, planSeedForText } from '../core/seeding/plan';
import { MAX_SEED_EVERYTHING } from '../core/seeds';
import { seedIpynb } from '../core/seeding/notebook';
import type { CliIo } from './run';
import { bigintOption, parse, UsageError, readInput, writeOutput } from './usage';

export const SEED_USAGE = `  seed FILE [--seed N] [--deterministic|--no-deterministic] [--warn-only] [--write]
                         FILE (.py or .ipynb) with one seed_everything(N) that seeds
                         every framework it imports (default N 42, deterministic
                         on); prints the result, or writes FILE with --write.
                         Running it again only updates the seed in place.
`;

/** The seed CLI argument, validated: digits only, 0..2^32−1. */
export function parseSeed(raw: string): number {
  return Number(bigintOption('seed', raw, 0n, BigInt(MAX_SEED_EVERYTHING)));
}

export function seedCommand(args: readonly string[], io: CliIo): number {
  const { values, positionals } = parse(args, {
    seed: { type: 'string' },
    deterministic: { type: 'boolean' },
    'no-deterministic': { type: 'boolean' },
    'warn-only': { type: 'boolean' },
    write: { type: 'boolean' },
  });
  if (positionals.length !== 1) throw new UsageError(`seed takes exactly one FILE, got ${positionals.length}`);
  if (values.deterministic && values['no-deterministic']) throw new UsageError('--deterministic and --no-deterministic exclude each other');
  if (values.write && !io.writeFile) throw new UsageError('--write is not available here');
  const options = {
    seed: values.seed === undefined ? 42 : parseSeed(values.seed),
    deterministic: values['no-deterministic'] !== true,
    warnOnly: values['warn-only'] === true,
  };
  const file = positionals[0];
  if (values.write && file === '-') throw new UsageError('--write needs a FILE to write back, not - (stdin)');
  const text = readInput(io, file);
  if (text === undefined) return 1;
  let result: { text: string; summary: string };
  try {
    if (file.endsWith('.ipynb')) {
      result = seedIpynb(text, options);
    } else {
      const plan = planSeedForText(text, parsePython(text), options);
      result = { text: applyTextEdits(text, plan.edits), summary: plan.summary };
    }
  } catch (error) {
    if (error instanceof EditRefused || error instanceof SyntaxError) {
      io.stderr(`initlens: ${file}: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
  if (values.write) {
    if (result.text !== text && !writeOutput(io, file, result.text)) return 1;
    io.stderr(`${file}: ${result.summary}\n`);
  } else {
    io.stdout(result.text);
  }
  return 0;
}
