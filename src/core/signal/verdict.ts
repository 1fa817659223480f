/**
 * The Signal view's one-sentence verdict, with its numbers: which scheme
 * loses the signal (or blows it up) over the model's depth, and which keeps
 * it, as the seed article argues it (e.g. "N(0, 0.01): output std 3·10⁻⁹ of
 * the input after 8 layers: the signal vanishes; He keeps it at 0.9").
 */

export interface VerdictRun {
  /** The scheme's short name. */
  readonly short: string;
  readonly output: { readonly std: number };
}

/** Below this ratio of output to input std the signal vanishes; above its inverse it explodes. */
export const VANISHING_RATIO = 0.1;

const SUPERSCRIPT: Record<string, string> = { '-': '⁻', '0': '⁰', '1': '¹', '2': '²', '3': '³', '4': '⁴', '5': '⁵', '6': '⁶', '7': '⁷', '8': '⁸', '9': '⁹' };

/** 0.9, 12, 3·10⁻⁹, 2·10¹²: two significant digits at most, powers of ten outside [0.01, 1000). */
export function showRatio(x: number): string {
  if (x === 0) return '0';
  if (!Number.isFinite(x)) return String(x);
  if (Math.abs(x) >= 0.01 && Math.abs(x) < 1000) return String(Number(x.toPrecision(2)));
  const [mantissa, exponent] = x.toExponential(0).split('e');
  const power = `10${[...String(Number(exponent))].map((c) => SUPERSCRIPT[c]).join('')}`;
  return mantissa === '1' ? power : `${mantissa}·${power}`;
}

/** |log₁₀ ratio|: how far a run's output std is from the input's (a zero or non-finite output is farthest). */
function distance(ratio: number): number {
  return ratio > 0 && Number.isFinite(ratio) ? Math.abs(Math.log10(ratio)) : Infinity;
}

/**
 * The verdict over `runs` after `depth` weight layers, the input's std being
 * `inputStd`: the scheme farthest from the input's std (one whose output is
 * exactly 0, all-zero weights, only when nothing else is out of range), the
 * one that keeps it best, and the init in effect where it is neither.
 * `inputStd` null: the input is token indices (an Embedding reads it), whose
 * std says nothing of a signal's scale; the output std is then rated against 1.
 */
export function signalVerdict(runs: readonly VerdictRun[], inputStd: number | null, depth: number): string {
  if (runs.length === 0) return 'No scheme ran.';
  const layers = `${depth} ${depth === 1 ? 'layer' : 'layers'}`;
  const rated = runs.map((r) => ({ run: r, ratio: r.output.std / (inputStd ?? 1) }));
  const ofInput = inputStd === null ? '' : ' of the input';
  const bad = (x: { ratio: number }) => !(x.ratio >= VANISHING_RATIO && x.ratio <= 1 / VANISHING_RATIO);
  const farthest = (xs: typeof rated) => xs.reduce((a, b) => (distance(b.ratio) > distance(a.ratio) ? b : a));
  const nonzero = rated.filter((x) => x.ratio !== 0 && bad(x));
  const worst = nonzero.length > 0 ? farthest(nonzero) : farthest(rated);
  const best = rated.reduce((a, b) => (distance(b.ratio) < distance(a.ratio) ? b : a));
  const inEffect = rated.find((x) => x.run.short === 'in effect');
  const also = inEffect && inEffect !== worst && inEffect !== best ? ` (in effect: ${showRatio(inEffect.ratio)})` : '';
  if (!bad(worst)) return `Every scheme keeps the output std within ${1 / VANISHING_RATIO}× of ${inputStd === null ? '1' : "the input's"} after ${layers} (${best.run.short}: ${showRatio(best.ratio)}).`;
  const keeps = best === worst || bad(best) ? '; no scheme here keeps it within 10×' : `; ${best.run.short} keeps it at ${showRatio(best.ratio)}`;
  if (worst.ratio === 0) return `${worst.run.short}: output std 0 after ${layers}: the signal is gone${keeps}${also}.`;
  const fate = !Number.isFinite(worst.ratio) ? 'the signal overflows' : worst.ratio < 1 ? 'the signal vanishes' : 'the signal explodes';
  return `${worst.run.short}: output std ${showRatio(worst.ratio)}${ofInput} after ${layers}: ${fate}${keeps}${also}.`;
}
