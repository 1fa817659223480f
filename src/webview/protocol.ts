/**
 * The one message protocol between the extension host and the histogram
 * panel's page. Both sides import these types; everything that arrives is
 * checked with the guards below before it is acted on (a webview is an
 * untrusted boundary, and a restored state may come from an older version).
 *
 * Samples are computed in the host, or (`gpuSample`) on the page's own GPU
 * from a distribution, a count and a seed; either way only bins and
 * statistics (O(bins) numbers) cross, never the weights themselves.
 */
import { isUriString, MAX_NAME_LENGTH, MAX_URI_LENGTH } from '../core/commandArgs';
import { MAX_U64_SEED } from '../core/seeds';
import { LIMITS } from '../core/limits';
import type { GpuDistribution, GpuSampleAnswer, GpuSampleRequest } from '../core/sampling/gpuSample';
import { PARAMETER_RANGES } from '../core/sampling/ranges';
import { anyNumber, arrayOf, boolean, check, literal, number, oneOf, optional, read, record, refine, tagged, taggedBy, text, type Reader } from './schema';

/** Scheme kinds the panel's scheme control offers (a subset of `InitScheme['kind']` that takes no shape-specific arguments). */
export const PANEL_SCHEMES = [
  'kaiming_normal',
  'kaiming_uniform',
  'xavier_normal',
  'xavier_uniform',
  'normal',
  'uniform',
  'trunc_normal',
  'orthogonal',
  'constant',
  'zeros',
] as const;
export type PanelScheme = (typeof PANEL_SCHEMES)[number];

export const NONLINEARITY_CHOICES = ['relu', 'leaky_relu', 'tanh', 'sigmoid', 'selu', 'linear'] as const;

/** The user's controls. `scheme: 'current'` previews the initialization in effect in the code. */
export interface Controls {
  readonly seed: string;
  readonly scheme: 'current' | PanelScheme;
  readonly mode: 'fan_in' | 'fan_out';
  readonly nonlinearity: (typeof NONLINEARITY_CHOICES)[number];
  readonly a: number;
  readonly gain: number;
  readonly mean: number;
  readonly std: number;
  readonly low: number;
  readonly high: number;
  readonly bins: number;
  readonly scale: 'linear' | 'log';
  readonly size: 'subsample' | 'full';
  /**
   * `exact`: the scheme in effect shows the very float32 values PyTorch's CPU
   * generator gives the layer for this seed (PyTorch files seeded before the
   * model is built); `distribution`: a seeded sample of the same distribution.
   */
  readonly values: 'exact' | 'distribution';
}

export const DEFAULT_CONTROLS: Controls = {
  seed: '0',
  scheme: 'current',
  mode: 'fan_in',
  nonlinearity: 'relu',
  a: 0,
  gain: 1,
  mean: 0,
  std: 0.02,
  low: -0.05,
  high: 0.05,
  bins: 100,
  scale: 'linear',
  size: 'full',
  values: 'distribution',
};

/** One layer row of the model overview. */
export interface LayerRow {
  readonly name: string;
  readonly type: string;
  readonly shape: string;
  readonly activation: string;
  readonly scheme: string;
  /** Set when the current initialization does not suit the activation: the reason. */
  readonly flag?: string;
  /** Whether the layer can be previewed (its weight shape is known). */
  readonly previewable: boolean;
}

/** A histogram with its statistics and theoretical overlay, for one scheme. */
export interface SeriesData {
  /** `current`, `recommended`, `default`, or `custom` (the scheme control). */
  readonly role: 'current' | 'recommended' | 'default' | 'custom';
  readonly label: string;
  readonly edges: readonly number[];
  readonly counts: readonly number[];
  /** Theoretical density at the bin centres (empty when the scheme has no density, e.g. a constant). */
  readonly density: readonly number[];
  readonly count: number;
  readonly total: number;
  readonly mean: number;
  readonly std: number;
  readonly min: number;
  readonly max: number;
  readonly beyond2Sigma: number;
  /** Theoretical mean and std, and the support for bounded schemes. */
  readonly theoryMean: number;
  readonly theoryStd: number;
  readonly low?: number;
  readonly high?: number;
}

/** Host → page. */
export type HostMessage =
  | {
      readonly type: 'model';
      /** The document the model is in (kept in the page state for restarts). */
      readonly uri: string;
      readonly title: string;
      readonly model: string;
      readonly framework: 'torch' | 'keras';
      readonly layers: readonly LayerRow[];
      /** True when `layers` is empty because the overview the page shows is still current. */
      readonly sameLayers?: boolean;
      readonly selected?: string;
      readonly controls: Controls;
    }
  | { readonly type: 'thumbnail'; readonly layer: string; readonly counts: readonly number[] }
  | {
      readonly type: 'histogram';
      readonly request: number;
      readonly layer: string;
      readonly phase: 'subsample' | 'refine' | 'done';
      readonly progress: number;
      readonly fanIn: string;
      readonly fanOut: string;
      readonly series: readonly SeriesData[];
      readonly backend: string;
      /** Which engines were tried for this histogram and why the others did not run (the backend line's tooltip). */
      readonly backendDetail?: string;
      readonly code: string;
      /** Exact mode: what the first series shows (exact, or why only the distribution) and its first values. */
      readonly exact?: { readonly status: string; readonly first: readonly number[] };
    }
  | { readonly type: 'cancelled'; readonly request: number }
  | { readonly type: 'error'; readonly message: string }
  /** Sample one series on the page's GPU (WebGPU, else WebGL); answered by `gpuSampled` or `gpuUnavailable`. */
  | { readonly type: 'gpuSample'; readonly request: GpuSampleRequest }
  /** The host no longer wants the answer to `id`: the page stops between chunks. */
  | { readonly type: 'gpuCancel'; readonly id: number };

/** Page → host. */
export type PageMessage =
  | { readonly type: 'ready' }
  | { readonly type: 'select'; readonly layer: string }
  | { readonly type: 'configure'; readonly controls: Controls }
  | { readonly type: 'cancel' }
  | { readonly type: 'copyCode' }
  | { readonly type: 'export'; readonly format: 'png' | 'svg' | 'csv'; readonly data: string }
  | { readonly type: 'exportTensor' }
  | { readonly type: 'gpuSampled'; readonly answer: GpuSampleAnswer }
  /** "no GPU: <reason>" (neither WebGPU nor WebGL started here), or why sampling failed: the host samples instead. */
  | { readonly type: 'gpuUnavailable'; readonly id: number; readonly reason: string };

/** What the page keeps across hiding and restarts (`getState`/`setState`, and the panel serializer). */
export interface PanelState {
  readonly uri: string;
  readonly model: string;
  readonly layer?: string;
  readonly controls: Controls;
}

// ---- limits ------------------------------------------------------------------
// Every message is read field by field against these bounds (schema.ts): unknown
// fields are refused, not stripped, so a page or a saved state that sends more
// than this protocol is told so instead of being half understood.

/** Longest free text in a message (titles, statuses, reasons, init code). */
export const MAX_TEXT_LENGTH = 10_000;
/** Most layers in one model overview. */
export const MAX_LAYERS = 10_000;
/** Most series in one histogram (in effect, recommended, default; or custom instead of in effect). */
export const MAX_SERIES = 4;
/** Most exact first values sent with a histogram. */
export const MAX_EXACT_VALUES = 64;
/** Largest export payload (characters): a PNG of the chart at 2× is about 0.3 MB, an SVG of 10,000 bins a few MB. */
export const MAX_EXPORT_LENGTH = 16 * 2 ** 20;
/** A PNG export: a base64 data URL whose bytes start with the PNG signature (89 50 4E 47 0D 0A 1A 0A, base64 `iVBORw0KGgo`). */
export const PNG_DATA_URL = /^data:image\/png;base64,iVBORw0KGgo[A-Za-z0-9+/]*={0,2}$/;

// ---- readers -----------------------------------------------------------------

const name = text(MAX_NAME_LENGTH, 1);
const longText = text(MAX_TEXT_LENGTH);
const uri: Reader<string> = (v, path) => (isUriString(v) ? v : text(0, 1, undefined, `a document URI of at most ${MAX_URI_LENGTH} characters`)(v, path));
const requestId = number({ min: 1, max: Number.MAX_SAFE_INTEGER, integer: true });
const binCount = number({ min: 0, max: Number.MAX_SAFE_INTEGER, integer: true });
const finiteNumber = number({ min: -Number.MAX_VALUE, max: Number.MAX_VALUE });
const phase = oneOf(['subsample', 'refine', 'done'] as const);
const SEED_TEXT = 'an integer from 0 to 2^64−1 (decimal digits)';
const seedText = check(text(20, 1, /^\d+$/, SEED_TEXT), (s) => BigInt(s) <= MAX_U64_SEED, SEED_TEXT);

const readControlsRecord: Reader<Controls> = refine(
  record({
    seed: seedText,
    scheme: oneOf(['current', ...PANEL_SCHEMES] as const),
    mode: oneOf(['fan_in', 'fan_out'] as const),
    nonlinearity: oneOf(NONLINEARITY_CHOICES),
    a: number(PARAMETER_RANGES.a),
    gain: number(PARAMETER_RANGES.gain),
    mean: number(PARAMETER_RANGES.mean),
    std: number(PARAMETER_RANGES.std),
    low: number(PARAMETER_RANGES.low),
    high: number(PARAMETER_RANGES.high),
    bins: number(PARAMETER_RANGES.bins),
    scale: oneOf(['linear', 'log'] as const),
    size: oneOf(['subsample', 'full'] as const),
    values: oneOf(['exact', 'distribution'] as const),
  }),
  (c) => (c.low >= c.high ? 'low must be below high' : undefined),
);
/** Controls inside a message: the problem names the field as `controls.<field>`. */
const readControls: Reader<Controls> = (v, path) => readControlsRecord(v, path || 'controls');

// ---- the page's GPU sampler (core/sampling/gpuSample.ts) -----------------------

const positive = number({ min: 0, max: Number.MAX_VALUE, above: true });
const elementCount = number({ min: 1, max: LIMITS.sampleElements.value, integer: true });
const bounded = <T extends { readonly low: number; readonly high: number }>(reader: Reader<T>, what: string): Reader<T> => refine(reader, (v) => (v.low < v.high ? undefined : `${what}: low must be below high`));

const readDistribution: Reader<GpuDistribution> = taggedBy<GpuDistribution>(
  'kind',
  {
    normal: record({ kind: literal('normal'), mean: finiteNumber, std: positive }),
    uniform: bounded(record({ kind: literal('uniform'), low: finiteNumber, high: finiteNumber }), 'request.distribution'),
    truncated_normal: bounded(record({ kind: literal('truncated_normal'), mean: finiteNumber, std: positive, low: finiteNumber, high: finiteNumber }), 'request.distribution'),
  },
  'distribution',
);

const readGpuRequest: Reader<GpuSampleRequest> = record({
  id: requestId,
  distribution: readDistribution,
  count: elementCount,
  seed: seedText,
  bins: bounded(record({ low: finiteNumber, high: finiteNumber, bins: number(PARAMETER_RANGES.bins) }), 'request.bins'),
  reference: record({ mean: finiteNumber, std: number({ min: 0, max: Number.MAX_VALUE }) }),
  chunk: number({ min: 1, max: LIMITS.panelGpuChunk.value, integer: true }),
  software: boolean,
});

const readGpuAnswer: Reader<GpuSampleAnswer> = refine(
  record({
    id: requestId,
    backend: oneOf(['webgpu', 'webgl'] as const),
    device: longText,
    detail: longText,
    counts: arrayOf(binCount, PARAMETER_RANGES.bins.max + 2),
    moments: record({ count: elementCount, mean: finiteNumber, m2: number({ min: 0, max: Number.MAX_VALUE }), min: finiteNumber, max: finiteNumber }),
    beyond2: binCount,
    beyond3: binCount,
    chunks: elementCount,
    ms: number({ min: 0, max: Number.MAX_VALUE }),
  }),
  (a) => {
    if (a.counts.length < 3) return 'answer.counts must hold the underflow, at least one bin and the overflow';
    const total = a.counts.reduce((x, y) => x + y, 0);
    if (total !== a.moments.count) return `answer.counts add up to ${total}, not answer.moments.count (${a.moments.count})`;
    if (a.moments.min > a.moments.max) return 'answer.moments.min must not be above answer.moments.max';
    if (a.beyond3 > a.beyond2 || a.beyond2 > a.moments.count) return 'answer.beyond3 ≤ answer.beyond2 ≤ answer.moments.count must hold';
    return undefined;
  },
);

const readPageMessage: Reader<PageMessage> = tagged<PageMessage>(
  {
    ready: record({ type: literal('ready') }),
    cancel: record({ type: literal('cancel') }),
    copyCode: record({ type: literal('copyCode') }),
    exportTensor: record({ type: literal('exportTensor') }),
    gpuSampled: record({ type: literal('gpuSampled'), answer: readGpuAnswer }),
    gpuUnavailable: record({ type: literal('gpuUnavailable'), id: requestId, reason: longText }),
    select: record({ type: literal('select'), layer: name }),
    configure: record({ type: literal('configure'), controls: readControls }),
    export: refine(record({ type: literal('export'), format: oneOf(['png', 'svg', 'csv'] as const), data: text(MAX_EXPORT_LENGTH) }), (m) =>
      m.format === 'png' && !PNG_DATA_URL.test(m.data) ? 'a PNG export must be a base64 data:image/png URL of a PNG' : undefined,
    ),
  },
  'message',
);

const readLayerRow: Reader<LayerRow> = record({
  name,
  type: longText,
  shape: longText,
  activation: longText,
  scheme: longText,
  flag: optional(longText),
  previewable: boolean,
});

const readSeries: Reader<SeriesData> = record({
  role: oneOf(['current', 'recommended', 'default', 'custom'] as const),
  label: longText,
  edges: arrayOf(finiteNumber, PARAMETER_RANGES.bins.max + 1),
  counts: arrayOf(binCount, PARAMETER_RANGES.bins.max),
  density: arrayOf(number({ min: 0, max: Number.MAX_VALUE }), PARAMETER_RANGES.bins.max),
  count: binCount,
  total: binCount,
  // Statistics of an empty partial sample are not finite; the page shows them as "—".
  mean: anyNumber,
  std: anyNumber,
  min: anyNumber,
  max: anyNumber,
  beyond2Sigma: anyNumber,
  theoryMean: anyNumber,
  theoryStd: anyNumber,
  low: optional(anyNumber),
  high: optional(anyNumber),
});

const readHostMessage: Reader<HostMessage> = tagged<HostMessage>(
  {
    model: record({
      type: literal('model'),
      uri,
      title: longText,
      model: name,
      framework: oneOf(['torch', 'keras'] as const),
      layers: arrayOf(readLayerRow, MAX_LAYERS),
      sameLayers: optional(boolean),
      selected: optional(name),
      controls: readControls,
    }),
    thumbnail: record({ type: literal('thumbnail'), layer: name, counts: arrayOf(binCount, PARAMETER_RANGES.bins.max) }),
    histogram: record({
      type: literal('histogram'),
      request: requestId,
      layer: name,
      phase,
      progress: number({ min: 0, max: 1 }),
      fanIn: longText,
      fanOut: longText,
      series: arrayOf(readSeries, MAX_SERIES),
      backend: longText,
      backendDetail: optional(longText),
      code: longText,
      exact: optional(record({ status: longText, first: arrayOf(finiteNumber, MAX_EXACT_VALUES) })),
    }),
    cancelled: record({ type: literal('cancelled'), request: requestId }),
    error: record({ type: literal('error'), message: longText }),
    gpuSample: record({ type: literal('gpuSample'), request: readGpuRequest }),
    gpuCancel: record({ type: literal('gpuCancel'), id: requestId }),
  },
  'message',
);

const readPanelStateRecord: Reader<PanelState> = record({ uri, model: name, layer: optional(name), controls: readControls });

// ---- guards ------------------------------------------------------------------
// Each returns a fresh copy holding only checked fields, or the one-line reason;
// none throws, whatever it is given.

/** A message from the page as a {@link PageMessage}, or why it is not one. */
export function parsePageMessage(value: unknown): { readonly value: PageMessage } | { readonly problem: string } {
  return read(readPageMessage, value);
}

/** A message from the host as a {@link HostMessage}, or why it is not one (the page checks too: a restored panel may talk to an older host). */
export function parseHostMessage(value: unknown): { readonly value: HostMessage } | { readonly problem: string } {
  return read(readHostMessage, value);
}

/** A saved panel state, or why it cannot be restored. */
export function parsePanelState(value: unknown): { readonly value: PanelState } | { readonly problem: string } {
  return read(readPanelStateRecord, value);
}

/** Why a `Controls` value is unacceptable, or undefined when it is fine. */
export function controlsProblem(value: unknown): string | undefined {
  const result = read((v) => readControlsRecord(v, ''), value);
  return 'problem' in result ? result.problem : undefined;
}

/** Why a message from the page is unacceptable, or undefined when it is a valid {@link PageMessage}. */
export function pageMessageProblem(value: unknown): string | undefined {
  const result = parsePageMessage(value);
  return 'problem' in result ? result.problem : undefined;
}

/** Why a message from the host is unacceptable, or undefined when it is a valid {@link HostMessage}. */
export function hostMessageProblem(value: unknown): string | undefined {
  const result = parseHostMessage(value);
  return 'problem' in result ? result.problem : undefined;
}
