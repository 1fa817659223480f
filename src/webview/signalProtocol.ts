/**
 * The message protocol of the Signal panel (issue 13): the host prepares a
 * job (the model's forward graph, the input and upstream gradient, each
 * scheme's weights: core/signal/job.ts) and the page runs the engine
 * (core/signal/engine.ts) on the TensorFlow.js backend that loads there, the
 * user's own GPU where there is one. Both sides import these types; what
 * arrives is read with the guards below before it is acted on.
 */
import { isUriString, MAX_NAME_LENGTH, MAX_URI_LENGTH } from '../core/commandArgs';
import { LIMITS } from '../core/limits';
import { MAX_U64_SEED } from '../core/seeds';
import type { GraphLayer, NotSimulated, SignalGraph, SignalOp } from '../core/signal/graph';
import { sendWeights, type SentWeight, type WeightForm } from '../core/signal/formed';
import type { SchemeRun } from '../core/signal/job';
import type { LayerSignal, SignalStats } from '../core/signal/engine';
import { PNG_DATA_URL } from './protocol';
import { anyNumber, arrayOf, boolean, check, float32Array, literal, nullable, number, oneOf, optional, read, record, refine, tagged, taggedBy, text, type Reader } from './schema';

/** The page's controls, as typed (checked by the host: core's parsers). */
export interface SignalSettings {
  /** `torch.manual_seed` before the model is built; empty: the file's own seed, else 0. */
  readonly seed: string;
  readonly inputSeed: string;
  /** `8,784`; empty: the default from the first layer. */
  readonly inputShape: string;
  /** The URI of a `.npy` batch of real inputs that stands for the random input (its shape the input shape); absent: the random input. */
  readonly data?: string;
}

export const DEFAULT_SIGNAL_SETTINGS: SignalSettings = { seed: '', inputSeed: '0', inputShape: '' };

export interface JobRun {
  readonly scheme: string;
  readonly label: string;
  readonly short: string;
  readonly exact: boolean;
  readonly reasons: readonly string[];
  /** Each tensor's values, or how the page forms them (a draw of the seeded generator, a constant: core/signal/formed.ts). */
  readonly weights: readonly SentWeight[];
  /** LSUV: the page rescales these (orthogonal) weights on the job's input before the run (core/signal/lsuv.ts). */
  readonly lsuv?: boolean;
}

/** A prepared scheme as the page receives it. */
export function jobRun(r: SchemeRun): JobRun {
  return { scheme: r.scheme.id, label: r.scheme.label, short: r.scheme.short, exact: r.exact, reasons: r.reasons, weights: sendWeights(r.weights), ...(r.scheme.lsuv ? { lsuv: true } : {}) };
}

/**
 * The job's first scheme as the extension host already ran it, on the TensorFlow.js its measured gains
 * loaded (node/signalTf.ts), for a model within the background bounds: the page draws it at once, while
 * its own backend starts, then runs every scheme itself (the first again) and replaces it.
 */
export interface HostPreview {
  /** The backend that ran it in the extension host, and its one-line summary. */
  readonly backend: string;
  readonly summary: string;
  readonly stats: SignalStats;
}

export type SignalHostMessage =
  | {
      readonly type: 'job';
      readonly request: number;
      readonly uri: string;
      readonly title: string;
      readonly model: string;
      /** The settings in force, with the seed and shape that were chosen filled in. */
      readonly settings: SignalSettings;
      readonly inputNote: string;
      readonly graph: SignalGraph;
      readonly input: Float32Array;
      readonly upstream: Float32Array;
      readonly runs: readonly JobRun[];
      readonly skipped: readonly { readonly scheme: string; readonly why: string }[];
      /** How many schemes are still being prepared: each follows in a `runs` message (absent: none). */
      readonly pending?: number;
      /** When the host posted it (wall clock, ms): the page records it for the e2e run's timing of the channel. */
      readonly posted?: number;
      /** `runs[0]` as the extension host ran it (absent: the page's first chart waits for its backend). */
      readonly preview?: HostPreview;
    }
  /** More schemes of job `request`, as the host prepares them (the first chart needs only the first). */
  | {
      readonly type: 'runs';
      readonly request: number;
      readonly runs: readonly JobRun[];
      readonly skipped: readonly { readonly scheme: string; readonly why: string }[];
      /** How many are still to come after these. */
      readonly pending: number;
    }
  | { readonly type: 'error'; readonly message: string; readonly notSimulated?: readonly NotSimulated[] };

export type SignalPageMessage =
  /** The page started; `request`: the job it already holds (posted while it loaded: core/signal/delivery.ts), so the host posts again only what it lacks. */
  | { readonly type: 'ready'; readonly request?: number }
  | { readonly type: 'configure'; readonly settings: SignalSettings }
  /** The user asks to choose a `.npy` batch (the host shows the open dialog and reads the file). */
  | { readonly type: 'pickData' }
  | { readonly type: 'export'; readonly format: 'csv' | 'svg' | 'png'; readonly data: string }
  /** The page finished a job (or was cancelled): what ran, for the output channel and tests. */
  | {
      readonly type: 'done';
      readonly request: number;
      readonly backend: string;
      readonly summary: string;
      readonly runs: number;
      readonly cancelled: boolean;
      readonly ms: number;
      /** The job had a host preview: its backend and how far its figures were from the page's own run of that scheme (core/signal/agreement.ts). */
      readonly preview?: { readonly backend: string; readonly difference: number };
    };

export interface SignalPanelState {
  readonly uri: string;
  readonly model: string;
  readonly settings: SignalSettings;
}

// ---- readers -----------------------------------------------------------------

export const MAX_SIGNAL_TEXT = 10_000;
/** Most ops and layers of a graph in one job. */
export const MAX_GRAPH_OPS = 100_000;
/** Most schemes in one job (core/signal/schemes.ts has nine). */
export const MAX_RUNS = 16;
const MAX_RANK = 8;
/** Most tensors of one layer: a recurrent stack lists up to five per layer and direction (core/model/catalog.ts). */
const MAX_LAYER_PARAMS = 10 * LIMITS.rnnLayersListed.value;
/** Largest CSV or SVG export (characters). */
export const MAX_SIGNAL_EXPORT = 16 * 2 ** 20;

const name = text(MAX_NAME_LENGTH, 1);
const longText = text(MAX_SIGNAL_TEXT);
const uri: Reader<string> = (v, path) => (isUriString(v) ? v : text(0, 1, undefined, `a document URI of at most ${MAX_URI_LENGTH} characters`)(v, path));
const count = number({ min: 0, max: Number.MAX_SAFE_INTEGER, integer: true });
const dim = number({ min: 1, max: Number.MAX_SAFE_INTEGER, integer: true });
const shape = arrayOf(dim, MAX_RANK);
const small = arrayOf(number({ min: 0, max: 2 ** 31, integer: true }), 3);
const line = number({ min: 0, max: 2 ** 31, integer: true });
const index = number({ min: 0, max: MAX_GRAPH_OPS, integer: true });
const positive = number({ min: 0, max: 1, above: true });
const values = float32Array(LIMITS.signalValues.value);
const SEED_TEXT = 'empty or an integer from 0 to 2^64−1 (decimal digits)';
const seedText = check(text(20, 0, /^\d*$/, SEED_TEXT), (s) => s === '' || BigInt(s) <= MAX_U64_SEED, SEED_TEXT);

const readSettings: Reader<SignalSettings> = record({ seed: seedText, inputSeed: seedText, inputShape: text(200, 0, /^[\d,x× ]*$/, 'dimensions separated by commas, e.g. 8,784'), data: optional(uri) });

const op = <K extends SignalOp['kind'], S extends Record<string, Reader<unknown> | ReturnType<typeof optional>>>(kind: K, fields: S) =>
  record({ kind: literal(kind), shape, line, ...fields }) as unknown as Reader<SignalOp>;

const ACTIVATION_KINDS = ['relu', 'relu6', 'leaky_relu', 'prelu', 'elu', 'celu', 'selu', 'gelu', 'silu', 'mish', 'hardswish', 'tanh', 'sigmoid', 'hardtanh', 'softsign', 'softplus', 'softmax', 'log_softmax'] as const;

/** Most tensors one torch.cat joins, most pieces of a split. */
export const MAX_CAT_INPUTS = 1024;
const axisOf = number({ min: 0, max: MAX_RANK - 1, integer: true });
/** Parameter names within a layer (`self_attn.in_proj_`). */
const paramPrefix = optional(text(MAX_NAME_LENGTH, 1));
const spatialDims = number({ min: 1, max: 3, integer: true });

const readOp: Reader<SignalOp> = taggedBy<SignalOp>(
  'kind',
  {
    input: op('input', { tokens: optional(number({ min: 1, max: 2 ** 24, integer: true })) }),
    linear: op('linear', { layer: name, input: index, bias: boolean, prefix: paramPrefix }),
    conv: op('conv', { layer: name, input: index, dims: spatialDims, kernel: small, stride: small, padding: small, dilation: small, bias: boolean, groups: optional(number({ min: 1, max: 2 ** 31, integer: true })), paddingMode: optional(oneOf(['zeros', 'reflect', 'replicate', 'circular'] as const)) }),
    batchnorm: op('batchnorm', { layer: name, input: index, eps: positive, affine: boolean }),
    layernorm: op('layernorm', { layer: name, input: index, normalized: number({ min: 1, max: MAX_RANK, integer: true }), eps: positive, affine: boolean, prefix: paramPrefix }),
    convTranspose: op('convTranspose', { layer: name, input: index, dims: spatialDims, kernel: small, stride: small, padding: small, outputPadding: small, dilation: small, bias: boolean, groups: optional(number({ min: 1, max: 2 ** 31, integer: true })) }),
    embedding: op('embedding', { layer: name, input: index }),
    groupnorm: op('groupnorm', { layer: name, input: index, groups: number({ min: 1, max: 2 ** 31, integer: true }), eps: positive, affine: boolean }),
    concat: op('concat', { inputs: arrayOf(index, MAX_CAT_INPUTS), axis: axisOf }),
    mean: op('mean', { input: index, axes: arrayOf(axisOf, MAX_RANK) }),
    transpose: op('transpose', { input: index, perm: arrayOf(axisOf, MAX_RANK) }),
    matmul: op('matmul', { inputs: refine(arrayOf(index, 2), (a) => (a.length === 2 ? undefined : 'a matmul takes two inputs')) }),
    scale: op('scale', { input: index, factor: number({ min: -1e300, max: 1e300 }), divide: boolean }),
    slice: op('slice', { input: index, axis: axisOf, start: number({ min: 0, max: Number.MAX_SAFE_INTEGER, integer: true }), size: dim }),
    arange: op('arange', {}),
    broadcast: op('broadcast', { input: index }),
    param: op('param', { name }),
    activation: op('activation', {
      input: index,
      activation: record({ kind: oneOf(ACTIVATION_KINDS), slope: optional(number({ min: -1e6, max: 1e6 })), dim: optional(number({ min: 0, max: MAX_RANK, integer: true })) }),
    }),
    pool: op('pool', { mode: oneOf(['max', 'avg'] as const), input: index, kernel: small, stride: small, padding: small }),
    adaptivePool: op('adaptivePool', { mode: oneOf(['max', 'avg'] as const), input: index }),
    reshape: op('reshape', { input: index }),
    dropout: op('dropout', { input: index }),
    add: op('add', { inputs: refine(arrayOf(index, 2), (a) => (a.length === 2 ? undefined : 'an add takes two inputs')) }),
    rnn: op('rnn', {
      layer: name,
      input: index,
      cell: oneOf(['rnn_tanh', 'rnn_relu', 'lstm', 'gru'] as const),
      hidden: dim,
      layers: dim,
      bidirectional: boolean,
      batchFirst: boolean,
      bias: boolean,
    }),
    rnnState: op('rnnState', { input: index, state: oneOf(['h', 'c'] as const) }),
    select: op('select', { input: index, begin: arrayOf(count, MAX_RANK), size: arrayOf(dim, MAX_RANK), squeeze: arrayOf(number({ min: 0, max: MAX_RANK - 1, integer: true }), MAX_RANK) }),
    // core/signal/elementwise.ts; masked_fill's value may be ±Infinity (`float('-inf')`), never NaN.
    binary: op('binary', { fn: oneOf(['mul', 'sub', 'div'] as const), inputs: refine(arrayOf(index, 2), (a) => (a.length === 2 ? undefined : 'a binary op takes two inputs')) }),
    scalar: op('scalar', { fn: oneOf(['add', 'sub', 'rsub', 'rdiv', 'pow', 'eq', 'ne'] as const), input: index, value: number({ min: -1e300, max: 1e300 }) }),
    constant: op('constant', { fill: number({ min: -1e300, max: 1e300 }), tril: optional(number({ min: -(2 ** 31), max: 2 ** 31, integer: true })) }),
    // core/signal/spatial.ts
    pad: op('pad', { mode: oneOf(['constant', 'reflect', 'replicate', 'circular'] as const), input: index, pads: refine(arrayOf(count, 6), (a) => (a.length % 2 === 0 && a.length > 0 ? undefined : 'pads are (before, after) pairs')), value: number({ min: -1e300, max: 1e300 }) }),
    upsample: op('upsample', { input: index, factors: arrayOf(number({ min: 1, max: 2 ** 16, integer: true }), 3) }),
    interpolate: op('interpolate', { input: index, alignCorners: boolean, scales: arrayOf(number({ min: 0, max: 1e300 }), 3) }),
    maskedFill: op('maskedFill', { inputs: refine(arrayOf(index, 2), (a) => (a.length === 2 ? undefined : 'a masked_fill takes two inputs')), value: check(anyNumber, (v) => !Number.isNaN(v), 'a number or ±Infinity') }),
  },
  'graph op',
);

const readLayer: Reader<GraphLayer> = record({
  name,
  type: name,
  line,
  op: index,
  act: optional(index),
  params: arrayOf(record({ name, shape, role: oneOf(['weight', 'recurrent', 'bias', 'norm_weight', 'norm_bias', 'embedding'] as const) }), MAX_LAYER_PARAMS),
  weight: optional(name),
});

const readNotSimulated: Reader<NotSimulated> = record({ op: longText, line, why: longText });

/** Every op reads only earlier ops, every layer names an op: what the engine takes for granted. */
function graphProblem(g: SignalGraph): string | undefined {
  if (g.ops.length === 0 || g.ops[0].kind !== 'input') return 'a graph starts with its input';
  for (const [i, o] of g.ops.entries()) {
    const inputs = 'inputs' in o ? o.inputs : 'input' in o ? [o.input] : [];
    if (inputs.some((j) => j >= i)) return `graph op ${i} reads a later op`;
    if (o.kind === 'rnnState') {
      const from = g.ops[o.input];
      if (from.kind !== 'rnn' || (o.state === 'c' && from.cell !== 'lstm')) return `graph op ${i} reads a state of op ${o.input}, which has none`;
    }
    if (o.kind === 'select') {
      const x = g.ops[o.input].shape;
      const rank = x.length;
      if (o.begin.length !== rank || o.size.length !== rank || o.begin.some((b, a) => b + o.size[a] > x[a]) || o.squeeze.some((a) => a >= rank || o.size[a] !== 1)) return `graph op ${i} selects outside op ${o.input}`;
    }
  }
  if (g.output >= g.ops.length) return 'the graph output is not one of its ops';
  if (g.layers.some((l) => l.op >= g.ops.length || (l.act !== undefined && l.act >= g.ops.length))) return 'a graph layer names an op it does not have';
  if (g.layers.some((l) => l.weight !== undefined && !l.params.some((p) => p.name === l.weight))) return 'a graph layer reports the gradient of a weight it does not have';
  for (const o of g.ops) {
    if (o.kind === 'input' && o.tokens !== undefined && o !== g.ops[0]) return 'only the graph input holds token indices';
    const indices = o.kind === 'embedding' ? g.ops[o.input] : undefined;
    if (o.kind === 'embedding' && indices?.kind !== 'arange' && !(indices?.kind === 'reshape' && g.ops[indices.input].kind === 'arange') && !(o.input === 0 && g.ops[0].kind === 'input' && g.ops[0].tokens !== undefined)) return 'an embedding reads token indices (the input, or an arange)';
    if (o.kind === 'slice' && o.start + o.size > (g.ops[o.input].shape[o.axis] ?? 0)) return 'a slice beyond its input';
    if (o.kind === 'param') {
      const member = g.tensors?.find((t) => t.name === o.name);
      if (!member || member.shape.length !== o.shape.length || member.shape.some((d, a) => d !== o.shape[a])) return `a graph op reads a member (${o.name.slice(0, 60)}) the graph does not list`;
    }
    if (o.kind === 'broadcast') {
      const x = g.ops[o.input].shape;
      if (x.length !== o.shape.length || x.some((d, a) => d !== 1 && d !== o.shape[a])) return 'a broadcast to a shape its input does not broadcast to';
    }
  }
  return undefined;
}

const readGraph = refine(
  record({
    model: name,
    ops: arrayOf(readOp, MAX_GRAPH_OPS),
    output: index,
    inputShape: shape,
    inputNote: longText,
    layers: arrayOf(readLayer, MAX_GRAPH_OPS),
    tensors: optional(arrayOf(record({ name, shape, role: literal('member') }), MAX_GRAPH_OPS)),
    notSimulated: arrayOf(readNotSimulated, MAX_GRAPH_OPS),
    multiplyAdds: count,
    values: count,
  }) as unknown as Reader<SignalGraph>,
  graphProblem,
);

/** Most words a formed tensor may skip and draw: what exact mode replays at most (core/limits.ts). */
const streamWords = number({ min: 0, max: LIMITS.exactStreamWords.value, integer: true });
const formedCount = number({ min: 1, max: LIMITS.signalValues.value, integer: true });
const hash = number({ min: 0, max: 2 ** 32 - 1, integer: true });
const finite = number({ min: -3.4028234663852886e38, max: 3.4028234663852886e38 });
const readForm: Reader<WeightForm> = taggedBy<WeightForm>(
  'kind',
  {
    uniform: record({ kind: literal('uniform'), n: formedCount, seed: seedText, at: streamWords, p: finite, q: finite, hash }),
    normal: record({ kind: literal('normal'), n: formedCount, seed: seedText, at: streamWords, p: finite, q: finite, hash }),
    fill: record({ kind: literal('fill'), n: formedCount, value: anyNumber, hash }),
  },
  'weight form',
);
const readValues = record({ name, values });
const readFormed = record({ name, form: readForm });
/** `{ name, values }` or `{ name, form }`. */
const readWeight: Reader<SentWeight> = (v, path) => (typeof v === 'object' && v !== null && Object.prototype.hasOwnProperty.call(v, 'form') ? readFormed(v, path) : readValues(v, path));

const readRun: Reader<JobRun> = record({
  scheme: name,
  label: longText,
  short: longText,
  exact: boolean,
  reasons: arrayOf(longText, MAX_GRAPH_OPS),
  weights: arrayOf(readWeight, MAX_GRAPH_OPS),
  lsuv: optional(boolean),
});

const moments = record({ mean: anyNumber, std: anyNumber });
const readLayerSignal: Reader<LayerSignal> = record({
  name,
  type: name,
  line,
  out: moments,
  act: nullable(record({ mean: anyNumber, std: anyNumber, zeroFraction: anyNumber, saturatedFraction: nullable(anyNumber) })),
  grad: record({ std: anyNumber }),
  weightGrad: nullable(record({ std: anyNumber })),
  stepGrad: optional(record({ first: anyNumber, last: anyNumber })),
  input: optional(record({ std: anyNumber, grad: anyNumber })),
});
const readPreview: Reader<HostPreview> = record({
  backend: longText,
  summary: longText,
  stats: record({ output: record({ std: anyNumber }), layers: arrayOf(readLayerSignal, MAX_GRAPH_OPS) }),
});

const readHost: Reader<SignalHostMessage> = tagged<SignalHostMessage>(
  {
    job: record({
      type: literal('job'),
      request: number({ min: 1, max: Number.MAX_SAFE_INTEGER, integer: true }),
      uri,
      title: longText,
      model: name,
      settings: readSettings,
      inputNote: longText,
      graph: readGraph,
      input: values,
      upstream: values,
      runs: arrayOf(readRun, MAX_RUNS),
      skipped: arrayOf(record({ scheme: name, why: longText }), MAX_RUNS),
      pending: optional(number({ min: 0, max: MAX_RUNS, integer: true })),
      posted: optional(number({ min: 0, max: Number.MAX_SAFE_INTEGER })),
      preview: optional(readPreview),
    }),
    runs: record({
      type: literal('runs'),
      request: number({ min: 1, max: Number.MAX_SAFE_INTEGER, integer: true }),
      runs: arrayOf(readRun, MAX_RUNS),
      skipped: arrayOf(record({ scheme: name, why: longText }), MAX_RUNS),
      pending: number({ min: 0, max: MAX_RUNS, integer: true }),
    }),
    error: record({ type: literal('error'), message: longText, notSimulated: optional(arrayOf(readNotSimulated, MAX_GRAPH_OPS)) }),
  },
  'message',
);

const readPage: Reader<SignalPageMessage> = tagged<SignalPageMessage>(
  {
    ready: record({ type: literal('ready'), request: optional(number({ min: 1, max: Number.MAX_SAFE_INTEGER, integer: true })) }),
    configure: record({ type: literal('configure'), settings: readSettings }),
    pickData: record({ type: literal('pickData') }),
    export: refine(record({ type: literal('export'), format: oneOf(['csv', 'svg', 'png'] as const), data: text(MAX_SIGNAL_EXPORT) }), (m) =>
      m.format === 'png' && !PNG_DATA_URL.test(m.data) ? 'a PNG export must be a base64 data:image/png URL of a PNG' : undefined,
    ),
    done: record({
      type: literal('done'),
      request: number({ min: 1, max: Number.MAX_SAFE_INTEGER, integer: true }),
      backend: longText,
      summary: longText,
      runs: number({ min: 0, max: MAX_RUNS, integer: true }),
      cancelled: boolean,
      ms: number({ min: 0, max: Number.MAX_VALUE }),
      preview: optional(record({ backend: longText, difference: anyNumber })),
    }),
  },
  'message',
);

const readState: Reader<SignalPanelState> = record({ uri, model: name, settings: readSettings });

export function parseSignalHostMessage(value: unknown): { readonly value: SignalHostMessage } | { readonly problem: string } {
  return read(readHost, value);
}

export function parseSignalPageMessage(value: unknown): { readonly value: SignalPageMessage } | { readonly problem: string } {
  return read(readPage, value);
}

export function parseSignalPanelState(value: unknown): { readonly value: SignalPanelState } | { readonly problem: string } {
  return read(readState, value);
}
