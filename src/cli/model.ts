/**
 * `initlens model FILE --torch-exact [--class NAME] [--seed N] [--npz OUT]`:
 * every parameter of a PyTorch model as PyTorch's CPU generator initializes
 * it, named like `state_dict()` keys, optionally written as an `.npz`.
 */
import { LIMITS, LimitError } from '../core/limits';
import { ModelAnalyzer } from '../core/model/analyze';
import { rootModel } from '../core/model/root';
import { parsePython } from '../core/python/parse';
import { analyzeSeeding } from '../core/seeding/analyze';
import { exactParameters, findTorchSeed } from '../core/torch/exact';
import { streamDraws } from '../core/torch/program';
import { f32Bits } from '../core/torch/float';
import { ExactInitError } from '../core/torch/init';
import { npzBytes } from '../core/torch/npy';
import type { CliIo } from './run';
import { parseTorchSeed } from './sample';
import { integerOption, oneOf, parse, UsageError, readInput, writeOutput } from './usage';
import { ProjectScan } from './workspace';

export const MODEL_USAGE = `  model FILE --torch-exact [--class NAME] [--seed N] [--npz OUT.npz] [--no-workspace]
                         Every parameter of a PyTorch model as PyTorch's CPU
                         generator initializes it right after
                         torch.manual_seed(N) (default: the file's own
                         torch.manual_seed before the model is built), named
                         like state_dict() keys, each marked exact or
                         "distribution only" with the reason.
      --values N (first values per parameter, default 4)  --format decimal|bits
      --npz OUT.npz   write every parameter (float32, shapes kept) for np.load
      --json
      --no-workspace  FILE on its own (default: a class built in another file
                      of the project gets that call's arguments, as analyze)
`;

const OPTIONS = {
  class: { type: 'string' },
  seed: { type: 'string' },
  'torch-exact': { type: 'boolean' },
  npz: { type: 'string' },
  values: { type: 'string' },
  format: { type: 'string' },
  json: { type: 'boolean' },
  'no-workspace': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Runs `initlens model`; returns the exit code. */
export function modelCommand(args: readonly string[], io: CliIo): number {
  const { values, positionals } = parse(args, OPTIONS);
  if (values.help) {
    io.stdout(MODEL_USAGE);
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError(`model takes exactly one FILE, got ${positionals.length}`);
  if (!values['torch-exact']) throw new UsageError('model needs --torch-exact (the only mode so far)');
  const format = oneOf('format', values.format, ['decimal', 'bits'] as const, 'decimal');
  const count = integerOption('values', values.values, 0, LIMITS.printedValues.value, 4);
  const seedArg = values.seed === undefined ? undefined : parseTorchSeed(values.seed);
  const file = positionals[0];
  if (values.npz !== undefined && (io.sameFile ?? ((a, b) => a === b))(values.npz, file)) throw new UsageError(`--npz ${values.npz} would overwrite the input file; choose another name`);
  const text = readInput(io, file);
  if (text === undefined) return 1;
  const tree = parsePython(text);
  const scan = values['no-workspace'] ? undefined : new ProjectScan(io);
  const external = scan?.sites(file, tree, text) ?? [];
  const analysis = new ModelAnalyzer().analyze(tree, text, { external, files: scan?.files(file) });
  const models = analysis.models.filter((m) => m.framework === 'torch');
  const model = values.class === undefined ? rootModel(models) : models.find((m) => m.name === values.class);
  if (!model) {
    io.stderr(`initlens: ${values.class === undefined ? 'no PyTorch model' : `no PyTorch model '${values.class}'`} in ${file}${models.length ? ` (found: ${models.map((m) => m.name).join(', ')})` : ''}\n`);
    return 1;
  }
  const seeding = analyzeSeeding(tree, text);
  let seed: bigint;
  let seedNote = '';
  const found = findTorchSeed(model, text, seeding);
  // The library constructions between the seed (--seed: the start of the file) and the model draw first.
  const at = 'seed' in found ? found : { from: -1, built: model.span.from };
  if (seedArg !== undefined) seed = seedArg;
  else {
    if (!('seed' in found)) {
      io.stderr(`initlens: ${found.reason}; pass --seed N\n`);
      return 1;
    }
    seed = found.seed;
    seedNote = ` (torch.manual_seed on line ${found.line + 1})`;
  }
  let params;
  try {
    // Bounded before drawing: values computed (memory) and words drawn or skipped (time).
    params = exactParameters(model, seed, { ...streamDraws(model, at, { tree, text, seeding, models: analysis }), limits: { values: 'exactValues', words: 'exactStreamWords' } });
  } catch (error) {
    if (error instanceof ExactInitError || error instanceof LimitError) {
      io.stderr(`initlens: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
  const show = (v: number) => (format === 'bits' ? `0x${f32Bits(v).toString(16).padStart(8, '0')}` : String(v));
  if (values.npz !== undefined) {
    const arrays = params.filter((p) => p.values.length > 0 || p.shape.length > 0);
    if (!writeOutput(io, values.npz, npzBytes(arrays.map((p) => ({ name: p.name, values: p.values, shape: p.shape }))))) return 1;
  }
  if (values.json) {
    const json = {
      file,
      model: model.name,
      seed: seed.toString(),
      parameters: params.map((p) => ({ name: p.name, shape: p.shape, exact: p.exact, ...(p.reason ? { reason: p.reason } : {}), values: Array.from(p.values.subarray(0, count), (v): string | number => (format === 'bits' ? show(v) : v)) })),
      ...(values.npz !== undefined ? { npz: values.npz } : {}),
    };
    io.stdout(`${JSON.stringify(json, null, 2)}\n`);
    return 0;
  }
  const lines = [`${model.name} in ${file}, torch.manual_seed(${seed})${seedNote}: ${params.filter((p) => p.exact).length} of ${params.length} parameters exact (PyTorch CPU)`];
  for (const p of params) {
    const head = Array.from(p.values.subarray(0, count), show).join(' ');
    lines.push(`  ${p.name} [${p.shape.join('×')}] ${p.exact ? 'exact' : `distribution only: ${p.reason}`}${head ? `\n      ${head}${p.values.length > count ? ' …' : ''}` : ''}`);
  }
  if (values.npz !== undefined) lines.push(`wrote ${values.npz}`);
  io.stdout(`${lines.join('\n')}\n`);
  return 0;
}
