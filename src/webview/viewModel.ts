/**
 * Pure view models of the panel: bins and statistics in, drawable series and
 * table rows out. No DOM here, so every number the page draws is tested in
 * plain Node.
 *
 * Histograms are drawn as densities (count / (n · bin width)), so schemes with
 * different bin ranges compare on the same axes and match their theoretical
 * density curves.
 */
import type { SeriesData } from './protocol';

export interface Bar {
  readonly x1: number;
  readonly x2: number;
  readonly y: number;
}

export interface Point {
  readonly x: number;
  readonly y: number;
}

export interface Marker {
  readonly x: number;
  readonly label: string;
}

/** Density bars of a series; on a log scale empty bins are left out (log 0 is undefined). */
export function densityBars(s: SeriesData, scale: 'linear' | 'log'): Bar[] {
  const bars: Bar[] = [];
  // Normalized by the values binned so far (`count`), so partial results are densities too.
  const n = s.count > 0 ? s.count : 1;
  for (let i = 0; i < s.counts.length; i++) {
    const width = s.edges[i + 1] - s.edges[i];
    const y = width > 0 ? s.counts[i] / (n * width) : 0;
    if (scale === 'log' && y <= 0) continue;
    bars.push({ x1: s.edges[i], x2: s.edges[i + 1], y });
  }
  return bars;
}

/** The theoretical density at the bin centres (empty for schemes without one). */
export function theoryCurve(s: SeriesData, scale: 'linear' | 'log'): Point[] {
  const points: Point[] = [];
  for (let i = 0; i < s.density.length && i < s.counts.length; i++) {
    const y = s.density[i];
    if (!Number.isFinite(y) || (scale === 'log' && y <= 0)) continue;
    points.push({ x: (s.edges[i] + s.edges[i + 1]) / 2, y });
  }
  return points;
}

/** μ ± σ and μ ± 2σ of the theory, and the support bounds of uniform/truncated schemes. */
export function markers(s: SeriesData): Marker[] {
  const out: Marker[] = [];
  if (s.theoryStd > 0) {
    for (const k of [-2, -1, 1, 2]) out.push({ x: s.theoryMean + k * s.theoryStd, label: `${k > 0 ? '+' : '−'}${Math.abs(k) === 1 ? '' : '2'}σ` });
  }
  if (s.low !== undefined) out.push({ x: s.low, label: 'low' });
  if (s.high !== undefined) out.push({ x: s.high, label: 'high' });
  return out;
}

/** A marker label's place: the row (0 at the top) its text goes in. */
export interface PlacedMarker extends Marker {
  readonly row: number;
}

/** How the chart maps x values to pixels (Plot's linear x scale). */
export interface XScale {
  readonly domain: readonly [number, number];
  readonly range: readonly [number, number];
}

/** Width of a label's character at the chart's 11px font, rounded up (σ, −, digits, letters). */
export const LABEL_CHAR_PX = 7;
/** Clear space between two labels in a row. */
export const LABEL_GAP_PX = 4;

/** The horizontal pixel interval a centred marker label covers. */
export function labelSpan(m: Marker, scale: XScale): [number, number] {
  const [d0, d1] = scale.domain;
  const [r0, r1] = scale.range;
  const px = d1 === d0 ? (r0 + r1) / 2 : r0 + ((m.x - d0) / (d1 - d0)) * (r1 - r0);
  const half = (m.label.length * LABEL_CHAR_PX) / 2;
  return [px - half, px + half];
}

/**
 * Rows for the marker labels at the top of the chart so that no two labels in
 * a row overlap (they did when ±σ, ±2σ and the bounds of a narrow scheme sit a
 * few pixels apart): left to right, each label takes the first row whose last
 * label ends at least {@link LABEL_GAP_PX} before it starts.
 */
export function placeMarkers(list: readonly Marker[], scale: XScale): PlacedMarker[] {
  const order = list.map((m, i) => ({ m, i, span: labelSpan(m, scale) })).sort((a, b) => a.span[0] - b.span[0] || a.i - b.i);
  const rowEnds: number[] = [];
  const rows: number[] = new Array<number>(list.length);
  for (const { i, span } of order) {
    let row = rowEnds.findIndex((end) => end + LABEL_GAP_PX <= span[0]);
    if (row < 0) row = rowEnds.push(-Infinity) - 1;
    rowEnds[row] = span[1];
    rows[i] = row;
  }
  return list.map((m, i) => ({ ...m, row: rows[i] }));
}

/** Numbers for tables: 4 significant digits, shares as percentages. */
export function fmt(x: number): string {
  if (!Number.isFinite(x)) return '—';
  if (x === 0) return '0';
  return Number(x.toPrecision(4)).toString();
}

/** Rows of the statistics table: one column per series. */
export function statsRows(series: readonly SeriesData[], fanIn: string, fanOut: string): string[][] {
  const row = (name: string, f: (s: SeriesData) => string) => [name, ...series.map(f)];
  return [
    ['', ...series.map((s) => s.label)],
    row('fan_in', () => fanIn),
    row('fan_out', () => fanOut),
    row('count', (s) => (s.count === s.total ? s.count.toLocaleString('en-US') : `${s.count.toLocaleString('en-US')} of ${s.total.toLocaleString('en-US')}`)),
    row('mean', (s) => fmt(s.mean)),
    row('std', (s) => fmt(s.std)),
    row('theoretical std', (s) => fmt(s.theoryStd)),
    row('min', (s) => fmt(s.min)),
    row('max', (s) => fmt(s.max)),
    row('beyond ±2σ', (s) => `${fmt(100 * s.beyond2Sigma)}%`),
  ];
}

/** The bins of a series as CSV (one row per bin). */
export function binsCsv(s: SeriesData): string {
  const lines = ['lower,upper,count,density,theoretical_density'];
  const n = s.count > 0 ? s.count : 1;
  for (let i = 0; i < s.counts.length; i++) {
    const width = s.edges[i + 1] - s.edges[i];
    lines.push([s.edges[i], s.edges[i + 1], s.counts[i], width > 0 ? s.counts[i] / (n * width) : 0, s.density[i] ?? ''].join(','));
  }
  return `${lines.join('\n')}\n`;
}

/** The x range that shows every series (with its markers). */
export function xDomain(series: readonly SeriesData[]): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const s of series) {
    lo = Math.min(lo, s.edges[0]);
    hi = Math.max(hi, s.edges[s.edges.length - 1]);
  }
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return [-1, 1];
  if (lo === hi) return [lo - 1, hi + 1];
  return [lo, hi];
}
