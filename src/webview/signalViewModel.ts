/**
 * Pure view models of the Signal page: the engine's per-layer statistics in,
 * chart points, table rows and the CSV out. No DOM here, so every number the
 * page draws is tested in plain Node.
 */
import type { SignalStats } from '../core/signal/engine';

/** One scheme's results as the page holds them. */
export interface SchemeResult {
  readonly scheme: string;
  readonly short: string;
  readonly exact: boolean;
  readonly stats: SignalStats;
}

export interface DepthPoint {
  readonly scheme: string;
  /** 1-based position of the layer in forward order. */
  readonly depth: number;
  readonly layer: string;
  readonly y: number;
}

export type Metric = 'forward' | 'gradient' | 'zero' | 'saturated';

/**
 * The forward signal of a layer: the std after its activation, or of its
 * output where no activation follows (what the next layer receives).
 */
export function forwardStd(l: SignalStats['layers'][number]): number {
  return l.act ? l.act.std : l.out.std;
}

function value(metric: Metric, l: SignalStats['layers'][number]): number | null {
  switch (metric) {
    case 'forward':
      return forwardStd(l);
    case 'gradient':
      return l.grad.std;
    case 'zero':
      return l.act ? l.act.zeroFraction : null;
    case 'saturated':
      return l.act?.saturatedFraction ?? null;
  }
}

/**
 * Points of one metric per scheme and layer. On a log scale (the stds) a
 * zero or non-finite std has no place: it is left out, and {@link undrawable}
 * names it.
 */
export function depthPoints(results: readonly SchemeResult[], metric: Metric): DepthPoint[] {
  const log = metric === 'forward' || metric === 'gradient';
  const points: DepthPoint[] = [];
  for (const r of results) {
    r.stats.layers.forEach((l, i) => {
      const y = value(metric, l);
      if (y === null || !Number.isFinite(y) || (log && y <= 0)) return;
      points.push({ scheme: r.short, depth: i + 1, layer: l.name, y });
    });
  }
  return points;
}

/** The schemes whose std is 0 (or not finite) at some layer, with the first such layer: "zeros: 0 from layer 1 (fc1)". */
export function undrawable(results: readonly SchemeResult[], metric: 'forward' | 'gradient'): string[] {
  const out: string[] = [];
  for (const r of results) {
    const i = r.stats.layers.findIndex((l) => {
      const y = value(metric, l) as number;
      return !(y > 0 && Number.isFinite(y));
    });
    if (i >= 0) {
      const y = value(metric, r.stats.layers[i]) as number;
      out.push(`${r.short}: ${y === 0 ? '0' : String(y)} from layer ${i + 1} (${r.stats.layers[i].name})`);
    }
  }
  return out;
}

/** Unbiased std of float32 values in double precision (two passes), as torch.std: the input's, for the verdict. */
export function sampleStd(values: ArrayLike<number>): number {
  let mean = 0;
  for (let i = 0; i < values.length; i++) mean += values[i];
  mean /= values.length;
  let squares = 0;
  for (let i = 0; i < values.length; i++) squares += (values[i] - mean) ** 2;
  return Math.sqrt(squares / (values.length - 1));
}

const show = (x: number | null | undefined) => (x === null || x === undefined ? '' : x === 0 ? '0' : Math.abs(x) >= 1e-3 && Math.abs(x) < 1e4 ? x.toPrecision(4) : x.toExponential(3));

/**
 * The per-layer table of one scheme: header row first. With a recurrent layer, two more columns:
 * the std of the gradient with respect to its input at the first and at the last time step
 * (vanishing through time shows as the first far below the last).
 */
export function layerRows(r: SchemeResult): string[][] {
  const steps = r.stats.layers.some((l) => l.stepGrad);
  const rows = [['layer', 'type', 'out mean', 'out std', 'act std', 'dead', 'saturated', 'grad std', 'weight grad std', ...(steps ? ['input grad, first step', 'input grad, last step'] : [])]];
  for (const l of r.stats.layers) {
    const pct = (x: number | null | undefined) => (x === null || x === undefined ? '–' : `${(100 * x).toFixed(1)}%`);
    const step = steps ? [l.stepGrad ? show(l.stepGrad.first) : '–', l.stepGrad ? show(l.stepGrad.last) : '–'] : [];
    rows.push([l.name, l.type, show(l.out.mean), show(l.out.std), l.act ? show(l.act.std) : '–', pct(l.act?.zeroFraction), pct(l.act?.saturatedFraction), show(l.grad.std), l.weightGrad ? show(l.weightGrad.std) : '–', ...step]);
  }
  return rows;
}

const CSV_HEADER = ['scheme', 'exact', 'depth', 'layer', 'type', 'line', 'out_mean', 'out_std', 'act_mean', 'act_std', 'zero_fraction', 'saturated_fraction', 'grad_std', 'weight_grad_std', 'step_grad_first', 'step_grad_last'];

/** Every scheme's every layer, full precision (`String(x)` round-trips a double), empty cells where a value does not exist. */
export function signalCsv(results: readonly SchemeResult[]): string {
  const cell = (x: string | number | boolean | null | undefined) => {
    if (x === null || x === undefined) return '';
    const s = String(x);
    return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  const lines = [CSV_HEADER.join(',')];
  for (const r of results) {
    r.stats.layers.forEach((l, i) => {
      lines.push(
        [r.scheme, r.exact, i + 1, l.name, l.type, l.line, l.out.mean, l.out.std, l.act?.mean, l.act?.std, l.act?.zeroFraction, l.act?.saturatedFraction, l.grad.std, l.weightGrad?.std, l.stepGrad?.first, l.stepGrad?.last].map(cell).join(','),
      );
    });
    lines.push([r.scheme, r.exact, '', 'output', '', '', '', r.stats.output.std].map(cell).join(','));
  }
  return `${lines.join('\n')}\n`;
}
