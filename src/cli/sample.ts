/**
 * `initlens sample`: a scheme's weights for a shape and seed, binned, with
 * statistics and the theoretical distribution (text, or `--json`).
 */
import { BACKEND_SETTINGS, selectBackend, type BackendSetting } from '../core/sampling/backends';
import { sampleValues } from '../core/sampling/chunk';
import type { SampleResult } from '../core/sampling/engine';
import { planSampling, SamplingError, type SampleRequest } from '../core/sampling/plan';
import { SamplingPool } from '../core/sampling/pool';
import { NONLINEARITIES, type Framework, type InitScheme } from '../core/init/schemes';
import { exceeds, LIMITS, limitMessage, type LimitKey } from '../core/limits';
import { lookupLayer, TORCH_LINEAR_DEFAULT } from '../core/model/catalog';
import type { Value } from '../core/model/evaluate';
import { kerasInitializerObject, torchInitScheme, type ArgReader } from '../core/model/initCalls';
import { f32Bits } from '../core/torch/float';
import { MAX_U64_SEED, MIN_TORCH_SEED } from '../core/seeds';
import { exactTensor } from '../core/torch/exact';
import { ExactInitError } from '../core/torch/init';
import { SCHEME_PARAMETER_RANGES } from '../core/sampling/ranges';
import { bigintOption, integerOption, oneOf, parse, realOption, UsageError } from './usage';

/** The I/O the command needs (a subset of run.ts's `CliIo`). */
interface SampleIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
}

export const SAMPLE_USAGE = `  sample --scheme NAME --shape D0,D1,... [options]
                         Sample a weight initialization and print its histogram
                         and statistics. Schemes: torch nn.init names (uniform,
                         normal, trunc_normal, constant, ones, zeros, eye, dirac,
                         xavier_uniform, xavier_normal, kaiming_uniform,
                         kaiming_normal, orthogonal, sparse; a trailing _ is
                         fine), Keras names (glorot_uniform, glorot_normal,
                         he_uniform, he_normal, lecun_uniform, lecun_normal,
                         variance_scaling, random_normal, random_uniform,
                         truncated_normal) and PyTorch module defaults
                         (torch_default_linear, torch_default_conv,
                         torch_default_embedding).
      --mode fan_in|fan_out[|fan_avg]   --nonlinearity NAME   --a X   --gain X
      --mean X  --std X  --low X  --high X  --value X  --sparsity X  --groups N
      --scale X  --distribution truncated_normal|untruncated_normal|uniform
      --framework torch|keras   (fan layout; default from the scheme's library)
      --seed N (0..2^64-1, default 0)   --bins N (1..${LIMITS.bins.value}, default 100)
      --json   --values N (also print the first N weights)
      --backend auto|cpu|gpu (default auto)   --verbose (backend choice on stderr)
      --torch-exact   the very values PyTorch's CPU generator gives this scheme
                      on a fresh tensor right after torch.manual_seed(--seed)
                      (seeds -2^63..2^64-1); prints --values N (default 10)
      --format decimal|bits   with --torch-exact: bits prints float32 patterns
                      as uint32 hex, for exact comparison
`;

const OPTIONS = {
  scheme: { type: 'string' },
  shape: { type: 'string' },
  mode: { type: 'string' },
  nonlinearity: { type: 'string' },
  a: { type: 'string' },
  gain: { type: 'string' },
  mean: { type: 'string' },
  std: { type: 'string' },
  low: { type: 'string' },
  high: { type: 'string' },
  value: { type: 'string' },
  sparsity: { type: 'string' },
  groups: { type: 'string' },
  scale: { type: 'string' },
  distribution: { type: 'string' },
  framework: { type: 'string' },
  seed: { type: 'string' },
  bins: { type: 'string' },
  json: { type: 'boolean' },
  values: { type: 'string' },
  backend: { type: 'string' },
  verbose: { type: 'boolean' },
  'torch-exact': { type: 'boolean' },
  format: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

type Values = { [K in keyof typeof OPTIONS]?: (typeof OPTIONS)[K]['type'] extends 'boolean' ? boolean : string };

/** Keras initializers by their snake_case CLI name → class name (`keras/src/initializers`). */
const KERAS_CLASSES: Readonly<Record<string, string>> = {
  glorot_uniform: 'GlorotUniform',
  glorot_normal: 'GlorotNormal',
  he_uniform: 'HeUniform',
  he_normal: 'HeNormal',
  lecun_uniform: 'LecunUniform',
  lecun_normal: 'LecunNormal',
  variance_scaling: 'VarianceScaling',
  random_normal: 'RandomNormal',
  random_uniform: 'RandomUniform',
  truncated_normal: 'TruncatedNormal',
};

/**
 * CLI options that spell a library argument differently: `--low/--high` are
 * uniform's and trunc_normal's `a`/`b` (kaiming's `a` is `--a`), Keras's
 * `minval`/`maxval`/`stddev`; `--value` is `constant_`'s `val`.
 */
const SPELLING: Readonly<Record<string, Readonly<Record<string, keyof typeof OPTIONS>>>> = {
  uniform: { a: 'low', b: 'high' },
  trunc_normal: { a: 'low', b: 'high' },
  constant: { val: 'value' },
  RandomUniform: { minval: 'low', maxval: 'high' },
  RandomNormal: { stddev: 'std' },
  TruncatedNormal: { stddev: 'std' },
};

/** Text options and the values each accepts. */
const CHOICES: Readonly<Record<string, readonly string[]>> = {
  mode: ['fan_in', 'fan_out'],
  nonlinearity: NONLINEARITIES,
  distribution: ['truncated_normal', 'untruncated_normal', 'uniform'],
};

/** `256,784` (or `256x784`) → [256, 784]; every dimension a positive integer, the product within `limit`. */
export function parseShape(text: string | undefined, limit: LimitKey = 'sampleElements'): number[] {
  if (text === undefined || text === '') throw new UsageError('--shape is required, e.g. --shape 256,784');
  const parts = text.split(/[,x×]/);
  const shape = parts.map((p) => {
    if (!/^\d{1,16}$/.test(p) || Number(p) === 0) throw new UsageError(`--shape dimensions must be positive integers, got '${p}' in '${text}'`);
    return Number(p);
  });
  const count = shape.reduce((a, b) => a * b, 1);
  if (exceeds(limit, count)) throw new UsageError(`--shape ${shape.join('×')}: ${limitMessage(limit, count)}`);
  return shape;
}

/**
 * The scheme named on the command line. The schemes and their defaults are
 * the analysis' own (`core/model/initCalls.ts`, the PyTorch module defaults
 * of `core/model/catalog.ts`); the CLI only maps its options onto their
 * arguments and range-checks them.
 */
export function schemeFromArgs(values: Values): { scheme: InitScheme; framework: Framework; name: string } {
  const raw = values.scheme;
  if (raw === undefined) throw new UsageError('--scheme is required, e.g. --scheme kaiming_normal');
  const name = raw.replace(/_$/, '');
  const kerasClass = Object.hasOwn(KERAS_CLASSES, name) ? KERAS_CLASSES[name] : undefined;
  const framework = oneOf<Framework>('framework', values.framework, ['torch', 'keras'], kerasClass ? 'keras' : 'torch');
  const option = (key: keyof typeof OPTIONS, text: string): Value => {
    if (key === 'groups') return Number(bigintOption('groups', text, 1n, 2n ** 31n - 1n));
    if (Object.hasOwn(SCHEME_PARAMETER_RANGES, key)) return realOption(key, text, SCHEME_PARAMETER_RANGES[key as keyof typeof SCHEME_PARAMETER_RANGES]);
    // variance_scaling also weighs fans by their average.
    const choices = key === 'mode' && kerasClass === 'VarianceScaling' ? [...CHOICES.mode, 'fan_avg'] : CHOICES[key];
    return choices ? oneOf(key, text, choices, text) : text;
  };
  // Every option given is checked, whether or not this scheme reads it.
  for (const key of ['groups', ...Object.keys(SCHEME_PARAMETER_RANGES), ...Object.keys(CHOICES)] as (keyof typeof OPTIONS)[]) {
    const text = values[key];
    if (typeof text === 'string') option(key, text);
  }
  const spelling = SPELLING[kerasClass ?? name] ?? {};
  const read: ArgReader = (arg) => {
    const key = (spelling[arg] ?? arg) as keyof typeof OPTIONS;
    const text = Object.hasOwn(OPTIONS, key) ? values[key] : undefined;
    return typeof text === 'string' ? option(key, text) : undefined;
  };
  const scheme = kerasClass
    ? kerasInitializerObject(kerasClass, read)
    : name === 'torch_default_linear' || name === 'torch_default_conv'
      ? TORCH_LINEAR_DEFAULT
      : name === 'torch_default_embedding'
        ? lookupLayer('torch.nn.Embedding')?.params(new Map())[0].init
        : torchInitScheme(name, read);
  if (scheme === undefined) throw new UsageError(`unknown scheme '${raw}'`);
  if (scheme === null) throw new UsageError(`${name} needs ${REQUIRED[name] ?? 'other arguments'}`);
  checkScheme(scheme, name);
  return { scheme, framework, name };
}

/** Arguments the library itself requires (`constant_(tensor, val)`, `sparse_(tensor, sparsity)`). */
const REQUIRED: Readonly<Record<string, string>> = { constant: '--value', sparse: '--sparsity' };

/** What the libraries refuse at run time, refused here before sampling. */
function checkScheme(scheme: InitScheme, name: string): void {
  if ((scheme.kind === 'uniform' || scheme.kind === 'trunc_normal') && !(scheme.a < scheme.b)) {
    throw new UsageError(`--low must be less than --high, got low=${scheme.a}, high=${scheme.b}`);
  }
  if (scheme.kind === 'trunc_normal' && scheme.std === 0) throw new UsageError(`--std must be > 0 for ${name}`);
}

/** Shape × scheme → human text: header, statistics, a bar chart of the bins. */
export function formatText(result: SampleResult, name: string, seed: bigint): string {
  const plan = result.plan;
  const r = plan.resolved;
  const g = (x: number) => (Number.isInteger(x) ? String(x) : x.toPrecision(6));
  const lines: string[] = [];
  const fans = r.fans ? `, fan_in=${r.fans.fanIn}, fan_out=${r.fans.fanOut}` : '';
  const gain = r.gain !== undefined ? `, gain=${g(r.gain)}` : '';
  lines.push(`${name} on ${plan.request.shape.join('×')} (${plan.request.framework ?? 'torch'}${fans}${gain}), seed ${seed}`);
  lines.push(`theory: ${theoryText(result)}`);
  lines.push(`backend: ${result.backend.name}${result.backend.workers ? ` (${result.backend.workers} workers)` : ''}`);
  lines.push(
    `count ${result.count}  mean ${g(result.mean)}  std ${g(result.std)}  min ${g(result.min)}  max ${g(result.max)}`,
    `beyond ±2σ ${(result.beyond2Sigma * 100).toFixed(3)}%  beyond ±3σ ${(result.beyond3Sigma * 100).toFixed(3)}%  (σ = ${g(result.theory.std)})`,
  );
  const { edges, counts, underflow, overflow } = result.bins;
  // Long histograms are shown merged to at most 40 rows; --json has every bin.
  const group = Math.ceil(counts.length / 40);
  const rows: { from: number; to: number; count: number }[] = [];
  for (let i = 0; i < counts.length; i += group) {
    const j = Math.min(counts.length, i + group);
    rows.push({ from: edges[i], to: edges[j], count: counts.slice(i, j).reduce((a, b) => a + b, 0) });
  }
  const peak = Math.max(1, ...rows.map((row) => row.count));
  lines.push('');
  for (const row of rows) {
    const bar = '█'.repeat(Math.round((row.count / peak) * 50));
    lines.push(`${g(row.from).padStart(12)} … ${g(row.to).padEnd(12)} ${String(row.count).padStart(11)} ${bar}`);
  }
  if (underflow > 0 || overflow > 0) lines.push(`outside the range: ${underflow} below, ${overflow} above`);
  return `${lines.join('\n')}\n`;
}

function theoryText(result: SampleResult): string {
  const t = result.plan.theory;
  const g = (x: number) => (Number.isInteger(x) ? String(x) : x.toPrecision(6));
  switch (t.kind) {
    case 'uniform':
      return `U(${g(t.low)}, ${g(t.high)})`;
    case 'normal':
      return `N(${g(t.mean)}, ${g(t.std)}²)`;
    case 'truncated_normal':
      return `N(${g(t.mean)}, ${g(t.std)}²) truncated to [${g(t.low)}, ${g(t.high)}], std ${g(result.theory.std)}`;
    case 'constant':
      return `constant ${t.value}`;
    case 'point_masses':
      return t.points.map((p) => `P(${p.value}) = ${g(p.probability)}`).join(', ');
    case 'mixture':
      return `zero with probability ${g(t.zeroProbability)}, else N(0, ${g(t.normal.std)}²)`;
    case 'approximate_normal':
      return `orthogonal rows/columns; entries ≈ N(0, ${g(t.std)}²)`;
  }
}

/** JSON of a result (README "initlens sample"). Seeds above 2^53 are written as decimal strings. */
export function resultJson(result: SampleResult, name: string, seed: bigint, values?: Float32Array): object {
  const r = result.plan.resolved;
  const { density, expected, ...theory } = result.theory;
  return {
    scheme: name,
    params: { ...r.scheme, framework: result.plan.request.framework ?? 'torch', fans: r.fans ?? null, gain: r.gain ?? null, std: r.std, bound: r.bound ?? null },
    shape: result.plan.request.shape,
    seed: seed <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(seed) : seed.toString(),
    backend: result.backend,
    count: result.count,
    mean: result.mean,
    std: result.std,
    min: result.min,
    max: result.max,
    beyond2Sigma: result.beyond2Sigma,
    beyond3Sigma: result.beyond3Sigma,
    bins: { edges: result.bins.edges, counts: result.bins.counts, underflow: result.bins.underflow, overflow: result.bins.overflow },
    theory: { ...theory, density, expected },
    ...(values ? { values: Array.from(values) } : {}),
  };
}

/** Runs `initlens sample`; usage problems throw {@link UsageError} (exit 2). */
export async function sampleCommand(args: readonly string[], io: SampleIo): Promise<number> {
  const { values, positionals } = parse(args, OPTIONS);
  if (values.help) {
    io.stdout(SAMPLE_USAGE);
    return 0;
  }
  if (positionals.length > 0) throw new UsageError(`sample takes no positional arguments, got '${positionals[0]}'`);
  const { scheme, framework, name } = schemeFromArgs(values);
  const shape = parseShape(values.shape, values['torch-exact'] ? 'exactValues' : 'sampleElements');
  if (values['torch-exact']) return torchExact(values, scheme, framework, name, shape, io);
  if (values.format !== undefined) throw new UsageError('--format needs --torch-exact');
  const seed = values.seed === undefined ? 0n : bigintOption('seed', values.seed, 0n, MAX_U64_SEED);
  const bins = integerOption('bins', values.bins, 1, LIMITS.bins.value, 100);
  const valueCount = integerOption('values', values.values, 0, LIMITS.printedValues.value, 0);
  const backendSetting = oneOf<BackendSetting>('backend', values.backend, BACKEND_SETTINGS, 'auto');
  const request: SampleRequest = { scheme, shape, framework, seed, bins };
  let plan;
  try {
    plan = planSampling(request);
  } catch (error) {
    if (error instanceof SamplingError) throw new UsageError(error.message);
    throw error;
  }
  // Workers pay off beyond a few chunks; below that, their start-up dominates.
  const pool = plan.chunks >= 4 ? new SamplingPool() : undefined;
  try {
    const backend = await selectBackend(backendSetting, { cpu: { pool } });
    const result = await backend.sample(request);
    if (values.verbose) {
      io.stderr(`initlens: backend ${result.backend.name}: ${result.backend.reason}\n`);
      for (const f of result.backend.failures ?? []) io.stderr(`initlens:   ${f.backend} unavailable: ${f.reason}\n`);
      io.stderr(`initlens: ${result.count} samples in ${result.elapsedMs.toFixed(0)} ms (${(result.count / result.elapsedMs / 1e3).toFixed(1)} M/s)\n`);
    }
    const head = valueCount > 0 ? sampleValues(plan, valueCount) : undefined;
    if (values.json) {
      io.stdout(`${JSON.stringify(resultJson(result, name, seed, head), null, 2)}\n`);
    } else {
      io.stdout(formatText(result, name, seed));
      if (head) io.stdout(`first ${head.length} values:\n${Array.from(head, (x) => x.toPrecision(8)).join('\n')}\n`);
    }
    return 0;
  } finally {
    await pool?.dispose();
  }
}


/** A `torch.manual_seed` argument: any integer PyTorch accepts, negative ones included. */
export function parseTorchSeed(text: string | undefined): bigint {
  return text === undefined ? 0n : bigintOption('seed', text, MIN_TORCH_SEED, MAX_U64_SEED);
}

/** `sample --torch-exact`: the exact tensor's first values, its statistics, and whether it is exact. */
function torchExact(values: Values, scheme: InitScheme, framework: Framework, name: string, shape: number[], io: SampleIo): number {
  if (framework !== 'torch') throw new UsageError(`--torch-exact reproduces torch.nn.init; '${name}' is a Keras initializer`);
  const seed = parseTorchSeed(values.seed);
  const count = integerOption('values', values.values, 0, LIMITS.printedValues.value, 10);
  const format = oneOf('format', values.format, ['decimal', 'bits'] as const, 'decimal');
  const n = shape.reduce((a, b) => a * b, 1);
  let t;
  try {
    t = exactTensor(scheme, shape, seed);
  } catch (error) {
    if (error instanceof ExactInitError || error instanceof RangeError) throw new UsageError(error.message);
    throw error;
  }
  let sum = 0;
  let sq = 0;
  for (const v of t.values) sum += v;
  const mean = n > 0 ? sum / n : 0;
  for (const v of t.values) sq += (v - mean) ** 2;
  const head = t.values.subarray(0, count);
  const show = (v: number) => (format === 'bits' ? `0x${f32Bits(v).toString(16).padStart(8, '0')}` : String(v));
  const status = t.exact ? `exact (PyTorch CPU, seed ${seed})` : `distribution only: ${t.reason}`;
  if (values.json) {
    io.stdout(`${JSON.stringify({ scheme: name, shape, seed: seed.toString(), exact: t.exact, ...(t.reason ? { reason: t.reason } : {}), count: n, mean, std: n > 1 ? Math.sqrt(sq / (n - 1)) : 0, format, values: Array.from(head, (v): string | number => (format === 'bits' ? show(v) : v)) }, null, 2)}\n`);
    return 0;
  }
  io.stdout(`${name} on ${shape.join('×')}, torch.manual_seed(${seed}): ${status}\n`);
  io.stdout(`count ${n}  mean ${mean.toPrecision(6)}  std ${(n > 1 ? Math.sqrt(sq / (n - 1)) : 0).toPrecision(6)}\n`);
  if (head.length > 0) io.stdout(`first ${head.length} values${format === 'bits' ? ' (float32 bits)' : ''}:\n${Array.from(head, show).join('\n')}\n`);
  return 0;
}
