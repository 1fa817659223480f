/**
 * `initlens sample`: a scheme's weights for a shape and seed, binned, with
 * statistics and the theoretical distribution (text, or `--json`).
 */
import { BACKEND_SETTINGS, selectBackend, type BackendSetting } from '../core/sampling/backends';
import { sampleValues } from '../core/sampling/chunk';
import type { SampleResult } from '../core/sampling/engine';
import { MAX_BINS, planSampling, SamplingError, normalizeSeed, type SampleRequest } from '../core/sampling/plan';
import { SamplingPool } from '../core/sampling/pool';
import { KERAS_PRESETS, NONLINEARITIES, type FanMode, type Framework, type InitScheme, type Nonlinearity } from '../core/init/schemes';
import { f32Bits } from '../core/torch/float';
import { isTorchSeed, TORCH_SEED_RANGE, U64_SEED_RANGE } from '../core/seeds';
import { exactTensor } from '../core/torch/exact';
import { ExactInitError } from '../core/torch/init';
import { parse, UsageError } from './usage';

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
      --seed N (0..2^64-1, default 0)   --bins N (1..${MAX_BINS}, default 100)
      --json   --values N (also print the first N weights)
      --backend auto|cpu|gpu (default auto)   --verbose (backend choice on stderr)
      --torch-exact   the very values PyTorch's CPU generator gives this scheme
                      on a fresh tensor right after torch.manual_seed(--seed)
                      (seeds -2^63..2^64-1); prints --values N (default 10)
      --format decimal|bits   with --torch-exact: bits prints float32 patterns
                      as uint32 hex, for exact comparison
`;

const KERAS_NAMES = new Set(['glorot_uniform', 'glorot_normal', 'he_uniform', 'he_normal', 'lecun_uniform', 'lecun_normal', 'variance_scaling', 'random_normal', 'random_uniform', 'truncated_normal']);

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

/** A finite number, written as JavaScript/Python would (`0.1`, `-2`, `1e-3`, `inf` rejected). */
function number(values: Values, name: 'a' | 'gain' | 'mean' | 'std' | 'low' | 'high' | 'value' | 'sparsity' | 'scale', fallback: number): number {
  const text = values[name];
  if (text === undefined) return fallback;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(text.trim())) throw new UsageError(`--${name} expects a number, got '${text}'`);
  const x = Number(text);
  if (!Number.isFinite(x)) throw new UsageError(`--${name} is out of range: '${text}'`);
  return x;
}

function integer(text: string | undefined, name: string, min: number, max: number, fallback: number): number {
  if (text === undefined) return fallback;
  if (!/^\d+$/.test(text.trim())) throw new UsageError(`--${name} expects an integer in ${min}..${max}, got '${text}'`);
  const n = Number(text);
  if (n < min || n > max) throw new UsageError(`--${name} must be in ${min}..${max}, got ${text}`);
  return n;
}

function oneOf<T extends string>(text: string | undefined, name: string, allowed: readonly T[], fallback: T): T {
  if (text === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(text)) throw new UsageError(`--${name} must be one of ${allowed.join(', ')}; got '${text}'`);
  return text as T;
}

/** `256,784` (or `256x784`) → [256, 784]; every dimension a positive integer. */
export function parseShape(text: string | undefined): number[] {
  if (text === undefined || text.trim() === '') throw new UsageError('--shape is required, e.g. --shape 256,784');
  const parts = text.split(/[,x×]/).map((p) => p.trim());
  for (const p of parts) {
    if (!/^\d+$/.test(p) || Number(p) === 0 || !Number.isSafeInteger(Number(p))) {
      throw new UsageError(`--shape dimensions must be positive integers, got '${p}' in '${text}'`);
    }
  }
  return parts.map(Number);
}

function requireStd(std: number): number {
  if (std < 0) throw new UsageError(`--std must be >= 0, got ${std}`);
  return std;
}

function requireRange(low: number, high: number): void {
  if (!(low < high)) throw new UsageError(`--low must be less than --high, got low=${low}, high=${high}`);
}

/** The scheme named on the command line, with each library's defaults. */
export function schemeFromArgs(values: Values): { scheme: InitScheme; framework: Framework; name: string } {
  const raw = values.scheme;
  if (raw === undefined) throw new UsageError('--scheme is required, e.g. --scheme kaiming_normal');
  const name = raw.replace(/_$/, '');
  const framework = oneOf<Framework>(values.framework, 'framework', ['torch', 'keras'], KERAS_NAMES.has(name) ? 'keras' : 'torch');
  const nonlinearity = (fallback: Nonlinearity) => oneOf<Nonlinearity>(values.nonlinearity, 'nonlinearity', NONLINEARITIES, fallback);
  const fanMode = () => oneOf<FanMode>(values.mode, 'mode', ['fan_in', 'fan_out'], 'fan_in');
  const gain = () => number(values, 'gain', 1);
  const scheme = ((): InitScheme => {
    switch (name) {
      case 'uniform':
      case 'random_uniform': {
        // torch.nn.init.uniform_(a=0, b=1); keras RandomUniform(minval=-0.05, maxval=0.05).
        const keras = name === 'random_uniform';
        const a = number(values, 'low', keras ? -0.05 : 0);
        const b = number(values, 'high', keras ? 0.05 : 1);
        requireRange(a, b);
        return { kind: 'uniform', a, b };
      }
      case 'normal':
      case 'random_normal': {
        // torch normal_(mean=0, std=1); keras RandomNormal(mean=0, stddev=0.05).
        const std = requireStd(number(values, 'std', name === 'normal' ? 1 : 0.05));
        return { kind: 'normal', mean: number(values, 'mean', 0), std };
      }
      case 'trunc_normal': {
        // torch trunc_normal_(mean=0, std=1, a=-2, b=2): absolute bounds.
        const std = requireStd(number(values, 'std', 1));
        if (std === 0) throw new UsageError('--std must be > 0 for trunc_normal');
        const a = number(values, 'low', -2);
        const b = number(values, 'high', 2);
        requireRange(a, b);
        return { kind: 'trunc_normal', mean: number(values, 'mean', 0), std, a, b };
      }
      case 'truncated_normal': {
        // keras TruncatedNormal(mean=0, stddev=0.05): redrawn beyond 2 stddev.
        const std = requireStd(number(values, 'std', 0.05));
        if (std === 0) throw new UsageError('--std must be > 0 for truncated_normal');
        const mean = number(values, 'mean', 0);
        return { kind: 'trunc_normal', mean, std, a: mean - 2 * std, b: mean + 2 * std };
      }
      case 'constant':
        return { kind: 'constant', value: number(values, 'value', 0) };
      case 'ones':
      case 'zeros':
      case 'eye':
        return { kind: name };
      case 'dirac':
        return { kind: 'dirac', groups: integer(values.groups, 'groups', 1, 2 ** 31, 1) };
      case 'xavier_uniform':
      case 'xavier_normal':
      case 'orthogonal':
        return { kind: name, gain: gain() };
      case 'kaiming_uniform':
      case 'kaiming_normal':
        // torch's defaults: a=0, mode='fan_in', nonlinearity='leaky_relu'.
        return { kind: name, a: number(values, 'a', 0), mode: fanMode(), nonlinearity: nonlinearity('leaky_relu') };
      case 'sparse': {
        const sparsity = number(values, 'sparsity', 0.1);
        if (sparsity < 0 || sparsity > 1) throw new UsageError(`--sparsity must be in [0, 1], got ${sparsity}`);
        return { kind: 'sparse', sparsity, std: requireStd(number(values, 'std', 0.01)) };
      }
      case 'glorot_uniform':
      case 'glorot_normal':
      case 'he_uniform':
      case 'he_normal':
      case 'lecun_uniform':
      case 'lecun_normal':
        return KERAS_PRESETS[name];
      case 'variance_scaling': {
        const scale = number(values, 'scale', 1);
        if (!(scale > 0)) throw new UsageError(`--scale must be > 0, got ${scale}`);
        return {
          kind: 'variance_scaling',
          scale,
          mode: oneOf(values.mode, 'mode', ['fan_in', 'fan_out', 'fan_avg'] as const, 'fan_in'),
          distribution: oneOf(values.distribution, 'distribution', ['truncated_normal', 'untruncated_normal', 'uniform'] as const, 'truncated_normal'),
        };
      }
      // PyTorch module defaults (torch/nn/modules/linear.py, conv.py `reset_parameters`;
      // sparse.py Embedding `reset_parameters`: normal_).
      case 'torch_default_linear':
      case 'torch_default_conv':
        return { kind: 'kaiming_uniform', a: Math.sqrt(5), mode: 'fan_in', nonlinearity: 'leaky_relu' };
      case 'torch_default_embedding':
        return { kind: 'normal', mean: 0, std: 1 };
      default:
        throw new UsageError(`unknown scheme '${raw}'`);
    }
  })();
  return { scheme, framework, name };
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

/**
 * `--std -1` → `--std=-1`: node:util's parseArgs refuses option values that
 * start with a dash, but negative numbers are ordinary here (`--low -0.5`).
 */
function joinNegativeNumbers(args: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const name = args[i].startsWith('--') && !args[i].includes('=') ? args[i].slice(2) : undefined;
    const option = name !== undefined && Object.hasOwn(OPTIONS, name) ? OPTIONS[name as keyof typeof OPTIONS] : undefined;
    if (option?.type === 'string' && i + 1 < args.length && /^-(\d|\.\d)/.test(args[i + 1])) {
      out.push(`${args[i]}=${args[i + 1]}`);
      i++;
    } else out.push(args[i]);
  }
  return out;
}

/** Runs `initlens sample`; usage problems throw {@link UsageError} (exit 2). */
export async function sampleCommand(args: readonly string[], io: SampleIo): Promise<number> {
  const { values, positionals } = parse(joinNegativeNumbers(args), OPTIONS);
  if (values.help) {
    io.stdout(SAMPLE_USAGE);
    return 0;
  }
  if (positionals.length > 0) throw new UsageError(`sample takes no positional arguments, got '${positionals[0]}'`);
  const { scheme, framework, name } = schemeFromArgs(values);
  const shape = parseShape(values.shape);
  if (values['torch-exact']) return torchExact(values, scheme, framework, name, shape, io);
  if (values.format !== undefined) throw new UsageError('--format needs --torch-exact');
  let seed: bigint;
  try {
    seed = normalizeSeed(values.seed ?? '0');
  } catch {
    throw new UsageError(`--seed must be an integer in ${U64_SEED_RANGE}, got '${values.seed}'`);
  }
  const bins = integer(values.bins, 'bins', 1, MAX_BINS, 100);
  const valueCount = integer(values.values, 'values', 0, 1_000_000, 0);
  const backendSetting = oneOf<BackendSetting>(values.backend, 'backend', BACKEND_SETTINGS, 'auto');
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
  const raw = (text ?? '0').trim();
  if (!/^[+-]?\d+$/.test(raw) || !isTorchSeed(BigInt(raw))) throw new UsageError(`--seed must be an integer in ${TORCH_SEED_RANGE}, got '${text}'`);
  const seed = BigInt(raw);
  return seed;
}

/** `sample --torch-exact`: the exact tensor's first values, its statistics, and whether it is exact. */
function torchExact(values: Values, scheme: InitScheme, framework: Framework, name: string, shape: number[], io: SampleIo): number {
  if (framework !== 'torch') throw new UsageError(`--torch-exact reproduces torch.nn.init; '${name}' is a Keras initializer`);
  const seed = parseTorchSeed(values.seed);
  const count = integer(values.values, 'values', 0, 1_000_000, 10);
  const format = oneOf(values.format, 'format', ['decimal', 'bits'] as const, 'decimal');
  const n = shape.reduce((a, b) => a * b, 1);
  if (n > 2 ** 28) throw new UsageError(`--torch-exact computes every value; ${n} elements is above the 2^28 limit`);
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
