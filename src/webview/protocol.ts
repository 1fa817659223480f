/**
 * The one message protocol between the extension host and the histogram
 * panel's page. Both sides import these types; everything that arrives is
 * checked with the guards below before it is acted on (a webview is an
 * untrusted boundary, and a restored state may come from an older version).
 *
 * Samples are computed in the host; the page only ever receives bins and
 * statistics (O(bins) numbers), never the weights themselves.
 */
import { isU64SeedText } from '../core/seeds';

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
      readonly selected: string | undefined;
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
      readonly code: string;
      /** Exact mode: what the first series shows (exact, or why only the distribution) and its first values. */
      readonly exact?: { readonly status: string; readonly first: readonly number[] };
    }
  | { readonly type: 'cancelled'; readonly request: number }
  | { readonly type: 'error'; readonly message: string };

/** Page → host. */
export type PageMessage =
  | { readonly type: 'ready' }
  | { readonly type: 'select'; readonly layer: string }
  | { readonly type: 'configure'; readonly controls: Controls }
  | { readonly type: 'cancel' }
  | { readonly type: 'copyCode' }
  | { readonly type: 'export'; readonly format: 'png' | 'svg' | 'csv'; readonly data: string }
  | { readonly type: 'exportTensor' }
  | { readonly type: 'rendered'; readonly request: number; readonly phase: 'subsample' | 'refine' | 'done' };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const oneOf = <T extends string>(v: unknown, options: readonly T[]): v is T => typeof v === 'string' && (options as readonly string[]).includes(v);

/** Why a `Controls` value is unacceptable, or undefined when it is fine. */
export function controlsProblem(value: unknown): string | undefined {
  if (!isRecord(value)) return 'controls must be an object';
  const c = value;
  if (typeof c.seed !== 'string' || !isU64SeedText(c.seed)) return 'the seed must be an integer from 0 to 2^64−1';
  if (c.scheme !== 'current' && !oneOf(c.scheme, PANEL_SCHEMES)) return `unknown scheme ${JSON.stringify(c.scheme)}`;
  if (!oneOf(c.mode, ['fan_in', 'fan_out'] as const)) return 'mode must be fan_in or fan_out';
  if (!oneOf(c.nonlinearity, NONLINEARITY_CHOICES)) return `unknown nonlinearity ${JSON.stringify(c.nonlinearity)}`;
  for (const key of ['a', 'gain', 'mean', 'std', 'low', 'high'] as const) {
    if (!finite(c[key])) return `${key} must be a finite number`;
  }
  if ((c.std as number) < 0) return 'std must not be negative';
  if ((c.gain as number) <= 0) return 'gain must be positive';
  if ((c.low as number) >= (c.high as number)) return 'low must be below high';
  if (!finite(c.bins) || !Number.isInteger(c.bins) || c.bins < 1 || c.bins > 10000) return 'bins must be an integer from 1 to 10000';
  if (!oneOf(c.scale, ['linear', 'log'] as const)) return 'scale must be linear or log';
  if (!oneOf(c.size, ['subsample', 'full'] as const)) return 'size must be subsample or full';
  if (!oneOf(c.values, ['exact', 'distribution'] as const)) return 'values must be exact or distribution';
  return undefined;
}

/** Why a message from the page is unacceptable, or undefined when it is a valid {@link PageMessage}. */
export function pageMessageProblem(value: unknown): string | undefined {
  if (!isRecord(value)) return 'a message must be an object';
  switch (value.type) {
    case 'ready':
    case 'cancel':
    case 'copyCode':
    case 'exportTensor':
      return undefined;
    case 'select':
      return typeof value.layer === 'string' && value.layer.length > 0 && value.layer.length < 500 ? undefined : 'select needs a layer name';
    case 'configure':
      return controlsProblem(value.controls);
    case 'export':
      if (!oneOf(value.format, ['png', 'svg', 'csv'] as const)) return 'export format must be png, svg or csv';
      if (typeof value.data !== 'string' || value.data.length > 50_000_000) return 'export data must be a string';
      if (value.format === 'png' && !value.data.startsWith('data:image/png;base64,')) return 'a PNG export must be a data:image/png URL';
      return undefined;
    case 'rendered':
      return finite(value.request) && oneOf(value.phase, ['subsample', 'refine', 'done'] as const) ? undefined : 'rendered needs a request and a phase';
    default:
      return `unknown message type ${JSON.stringify(value.type)}`;
  }
}

export function isPageMessage(value: unknown): value is PageMessage {
  return pageMessageProblem(value) === undefined;
}

/** The page checks the host's messages too (a restored panel may talk to an older host). */
export function isHostMessage(value: unknown): value is HostMessage {
  if (!isRecord(value)) return false;
  switch (value.type) {
    case 'model':
      return typeof value.uri === 'string' && typeof value.title === 'string' && Array.isArray(value.layers) && controlsProblem(value.controls) === undefined;
    case 'thumbnail':
      return typeof value.layer === 'string' && Array.isArray(value.counts);
    case 'histogram':
      return finite(value.request) && typeof value.layer === 'string' && Array.isArray(value.series);
    case 'cancelled':
      return finite(value.request);
    case 'error':
      return typeof value.message === 'string';
    default:
      return false;
  }
}

/** What the page keeps across hiding and restarts (`getState`/`setState`, and the panel serializer). */
export interface PanelState {
  readonly uri: string;
  readonly model: string;
  readonly layer?: string;
  readonly controls: Controls;
}

export function isPanelState(value: unknown): value is PanelState {
  return isRecord(value) && typeof value.uri === 'string' && typeof value.model === 'string' && (value.layer === undefined || typeof value.layer === 'string') && controlsProblem(value.controls) === undefined;
}
