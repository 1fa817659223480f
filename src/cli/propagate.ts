/**
 * `initlens propagate FILE [--model NAME] [--seed N] [--input-shape D0,D1,...]
 * [--input-seed N] [--scheme in-effect|recommended|NAME,...|all]
 * [--data batch.npy] [--json]`: the signal at
 * initialization (issue 13): one forward and one backward pass of a PyTorch
 * model per scheme, with each layer's output, activation and gradient
 * statistics, computed as PyTorch would on its CPU.
 */
import type { LoadedTf } from '../core/signal/backendChoice';
import { LIMITS, LimitError } from '../core/limits';
import { NpyError, readNpy, type NpyArray } from '../core/torch/npy';
import { readInputShape } from '../core/signal/settings';
import { ModelAnalyzer } from '../core/model/analyze';
import { rootModel } from '../core/model/root';
import { parsePython } from '../core/python/parse';
import { analyzeSeeding } from '../core/seeding/analyze';
import { MAX_U64_SEED, MIN_TORCH_SEED } from '../core/seeds';
import { SignalError } from '../core/signal/engine';
import { buildGraph } from '../core/signal/graph';
import { signalModel } from '../core/signal/composite';
import { propagate, type SignalReport } from '../core/signal/propagate';
import { SIGNAL_SCHEMES, signalScheme, type SignalScheme } from '../core/signal/schemes';
import { findTorchSeed } from '../core/torch/exact';
import { streamDraws } from '../core/torch/program';
import { ExactInitError } from '../core/torch/init';
import type { CliIo } from './run';
import { parseTorchSeed } from './sample';
import { bigintOption, parse, readInput, UsageError } from './usage';
import { ProjectScan } from './workspace';

export const PROPAGATE_USAGE = `  propagate FILE [--model NAME] [--seed N] [--input-shape D0,D1,...] [--input-seed N]
            [--scheme in-effect|recommended|NAME,...|all] [--data batch.npy]
            [--json] [--no-workspace]
                         The signal at initialization: one forward and one
                         backward pass of a PyTorch model per scheme, as PyTorch
                         computes them in float32 (BatchNorm on batch statistics,
                         dropout off). Weights: the model right after
                         torch.manual_seed(N) (default: the file's own seed, else
                         0); input torch.randn(shape) from a generator seeded
                         --input-seed (default 0), upstream gradient from
                         --input-seed + 1. Per layer: output mean/std, the
                         activation's mean/std and dead/saturated fractions, the
                         std of the output's and the weight's gradients.
                         lsuv: orthogonal, then each Linear/Conv in forward order
                         scaled until its output variance on the batch is 1
                         (within 0.1, at most 10 times; Mishkin & Matas 2016).
      --scheme   ${SIGNAL_SCHEMES.map((s) => s.id).join(', ')} or all (default)
      --input-shape  default (8, in_features) or (8, C, 32, 32) from the first layer
      --data     a .npy batch of real inputs (float or integer, little-endian,
                 C order; batch axis first) instead of the random input: the
                 input of every scheme, and the batch LSUV scales on; its shape
                 is the input shape. Read, never executed.
`;

const OPTIONS = {
  model: { type: 'string' },
  seed: { type: 'string' },
  'input-shape': { type: 'string' },
  'input-seed': { type: 'string' },
  scheme: { type: 'string' },
  data: { type: 'string' },
  json: { type: 'boolean' },
  'no-workspace': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

function parseInputShape(text: string): number[] {
  const shape = readInputShape(text);
  if ('problem' in shape) throw new UsageError(`--input-shape${shape.problem.slice('input shape'.length)}`);
  return shape.value;
}

function parseSchemes(text: string | undefined): SignalScheme[] {
  if (text === undefined || text === 'all') return [...SIGNAL_SCHEMES];
  const ids = text.split(',');
  const seen = new Set<string>();
  return ids.map((id) => {
    const s = signalScheme(id);
    if (!s) throw new UsageError(`--scheme must be all or a list of ${SIGNAL_SCHEMES.map((x) => x.id).join(', ')}; got '${id}'`);
    if (seen.has(id)) throw new UsageError(`--scheme names '${id}' twice`);
    seen.add(id);
    return s;
  });
}

/** Runs `initlens propagate`; resolves to the exit code. */
export async function propagateCommand(args: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(args, OPTIONS);
  if (values.help) {
    io.stdout(PROPAGATE_USAGE);
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError(`propagate takes exactly one FILE, got ${positionals.length}`);
  const schemes = parseSchemes(values.scheme);
  const inputShape = values['input-shape'] === undefined ? undefined : parseInputShape(values['input-shape']);
  const seedArg = values.seed === undefined ? undefined : parseTorchSeed(values.seed);
  // The upstream gradient's generator is seeded input_seed + 1, which must be a seed too.
  const inputSeed = values['input-seed'] === undefined ? 0n : bigintOption('input-seed', values['input-seed'], MIN_TORCH_SEED, MAX_U64_SEED - 1n);
  const file = positionals[0];
  if (values.data !== undefined && values.data === '') throw new UsageError('--data needs a .npy file');
  const text = readInput(io, file);
  if (text === undefined) return 1;
  let data: NpyArray | undefined;
  if (values.data !== undefined) {
    const read = readBatch(io, values.data);
    if ('problem' in read) {
      io.stderr(`initlens: ${read.problem}\n`);
      return 1;
    }
    data = read.value;
    if (inputShape && (inputShape.length !== data.shape.length || inputShape.some((d, i) => d !== data?.shape[i]))) {
      throw new UsageError(`--input-shape ${inputShape.join(',')} differs from the shape of --data ${values.data} (${data.shape.join(',')}); give one of them`);
    }
  }
  const tree = parsePython(text);
  const scan = values['no-workspace'] ? undefined : new ProjectScan(io);
  const external = scan?.sites(file, tree, text) ?? [];
  const analysis = new ModelAnalyzer().analyze(tree, text, { external, files: scan?.files(file), instances: true });
  const models = analysis.models.filter((m) => m.framework === 'torch');
  // --model names a class, or a function of the file that builds one (`ResNet18` for `def ResNet18(): return ResNet(...)`).
  const named = values.model === undefined ? rootModel(models) : (models.find((m) => m.name === values.model) ?? models.find((m) => m.contexts?.some((c) => c.label.split(/:\s+/).includes(`${values.model}()`))));
  if (!named) {
    io.stderr(`initlens: ${values.model === undefined ? 'no PyTorch model' : `no PyTorch model '${values.model}'`} in ${file}${models.length ? ` (found: ${models.map((m) => m.name).join(', ')})` : ''}\n`);
    return 1;
  }
  const picked = signalModel(analysis, named, tree, text, values.model);
  const model = picked.model;
  let seed = seedArg;
  const seeding = analyzeSeeding(tree, text);
  const found = seed === undefined ? findTorchSeed(model, text, seeding) : undefined;
  if (seed === undefined) seed = found && 'seed' in found ? found.seed : 0n;
  // The file's own draws around the model: before it when the seed is the file's, after it up to the inits its statements run.
  const draws = streamDraws(model, found && 'seed' in found ? found : undefined, { tree, text, seeding, models: analysis });
  let report: SignalReport;
  let loaded: LoadedTf;
  try {
    const shape = data?.shape ?? inputShape;
    const graph = buildGraph(model, tree, text, { ...(shape ? { inputShape: shape } : {}), ...(picked.composite ? { composite: picked.composite } : {}), ...(picked.binding ? { binding: picked.binding } : {}) });
    const misfit = data && graph.notSimulated.find((n) => n.why === 'the shapes do not fit');
    if (misfit) {
      io.stderr(`initlens: --data ${values.data}: its shape ${data?.shape.join('×')} does not fit ${model.name} (${misfit.op}, line ${misfit.line})\n`);
      return 1;
    }
    if (graph.notSimulated.length > 0) {
      if (values.json) {
        io.stdout(`${JSON.stringify({ file, model: model.name, seed: seed.toString(), inputSeed: inputSeed.toString(), inputShape: graph.inputShape, exact: false, backend: null, notSimulated: graph.notSimulated, runs: [], skipped: [] }, null, 2)}\n`);
      }
      for (const n of graph.notSimulated) io.stderr(`initlens: ${file}:${n.line}: not simulated: ${n.op} (${n.why})\n`);
      return 1;
    }
    // TensorFlow.js is loaded only now, from its own bundle (src/cli.ts).
    if (!io.signalTf) throw new SignalError('propagate needs TensorFlow.js, which this build of initlens does not include');
    loaded = await io.signalTf();
    report = await propagate(loaded.tf, model, graph, { seed, inputSeed, schemes, backend: loaded.backend, draws, ...(picked.composite ? { composite: picked.composite } : {}), ...(data ? { data: { file: values.data as string, dtype: data.dtype, values: data.values } } : {}) });
  } catch (error) {
    if (error instanceof SignalError || error instanceof LimitError || error instanceof ExactInitError) {
      io.stderr(`initlens: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
  if (values.json) {
    io.stdout(`${JSON.stringify({ file, ...report, ...(picked.context ? { context: picked.context } : {}) }, null, 2)}\n`);
    return 0;
  }
  if (picked.context) io.stdout(`${model.name} as ${picked.context} builds it (another: --model with the function that builds it)\n`);
  io.stdout(reportText(report, file, loaded.summary));
  return 0;
}

/** The batch of `--data`: read within its limit, parsed strictly (core/torch/npy.ts); else the one-line problem. */
function readBatch(io: CliIo, file: string): { readonly value: NpyArray } | { readonly problem: string } {
  if (!io.readBytes) return { problem: '--data needs file access, which this build of initlens does not have' };
  let bytes: Uint8Array;
  try {
    bytes = io.readBytes(file, LIMITS.npyBatchBytes.value);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return { problem: error instanceof Error && !code ? `--data ${file}: ${error.message}` : `cannot read '${file}'${code ? ` (${code})` : ''}` };
  }
  try {
    return { value: readNpy(bytes, LIMITS.signalValues.value) };
  } catch (error) {
    if (error instanceof NpyError) return { problem: `--data ${file}: ${error.message}` };
    throw error;
  }
}

const num = (x: number) => (x === 0 ? '0' : Math.abs(x) >= 1e-3 && Math.abs(x) < 1e4 ? x.toPrecision(3) : x.toExponential(2));

/** A table per scheme: the std of each layer's output, activation and gradients, and the dead/saturated fractions. */
function reportText(r: SignalReport, file: string, backend: string): string {
  const input = r.data ? `input ${r.inputShape.join('×')} from ${r.data.file} (${r.data.dtype})` : `input ${r.inputShape.join('×')} (${r.inputNote}), input seed ${r.inputSeed}`;
  const lines = [`${r.model} in ${file}: ${input}, torch.manual_seed(${r.seed}), backend ${backend}`];
  for (const s of r.skipped) lines.push(`not run: ${s.why}`);
  for (const run of r.runs) {
    lines.push('', `${run.label}: output std ${num(run.output.std)}${run.exact ? '' : ` (distribution only: ${run.reasons?.[0] ?? ''})`}`);
    if (run.lsuv) lines.push(`  LSUV: ${run.lsuv.map((l) => `${l.name} ×${num(l.scale)} in ${l.iterations} (var ${num(l.variance)}${l.converged ? '' : ', not converged'})`).join(', ')}`);
    // The name column as wide as its longest entry (a composite's `layer4.1.conv2 (Conv2d)`), at least 18.
    // A model that is one layer has the name '' (named_modules): shown as the model.
    const label = (l: { readonly name: string; readonly type: string }) => `${l.name || r.model} (${l.type})`;
    const width = Math.max(18, ...run.layers.map((l) => label(l).length));
    lines.push(`  ${'layer'.padEnd(width)} ${'out std'.padStart(9)} ${'act std'.padStart(9)} ${'zero'.padStart(6)} ${'sat'.padStart(6)} ${'grad std'.padStart(9)} ${'∇w std'.padStart(9)}`);
    for (const l of run.layers) {
      const pct = (x: number | null | undefined) => (x === null || x === undefined ? '–' : `${(100 * x).toFixed(1)}%`);
      lines.push(
        `  ${label(l).padEnd(width)} ${num(l.out.std).padStart(9)} ${(l.act ? num(l.act.std) : '–').padStart(9)} ${pct(l.act?.zeroFraction).padStart(6)} ${pct(l.act?.saturatedFraction).padStart(6)} ${num(l.grad.std).padStart(9)} ${(l.weightGrad ? num(l.weightGrad.std) : '–').padStart(9)}`,
      );
      // A recurrent layer: the gradient through time, at its input's first and last step.
      if (l.stepGrad) lines.push(`    ${''.padEnd(width - 2)} input grad std at the first step ${num(l.stepGrad.first)}, at the last ${num(l.stepGrad.last)}`);
    }
  }
  return `${lines.join('\n')}\n`;
}
