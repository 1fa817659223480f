/**
 * How far two runs of one scheme are apart (issue 13's agreement rule): the
 * worst relative difference of any forward or gradient std, a pair within
 * 1e-7 absolute counting as equal (where the signal vanishes, the relative
 * difference of two tiny numbers says nothing). Used where the same run is
 * computed twice on different backends: the Signal panel's host preview
 * against the page's own run (webview/signal/main.ts).
 */
import type { SignalStats } from './engine';

/** Below this absolute difference two stds are the same number (the "1e-7 absolute where it vanishes"). */
export const ABSOLUTE_AGREEMENT = 1e-7;

/** The difference of one pair: 0 when both are the same non-finite value or within {@link ABSOLUTE_AGREEMENT}. */
function pairDifference(a: number, b: number): number {
  if (Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b))) return 0;
  const d = Math.abs(a - b);
  if (!Number.isFinite(d)) return Infinity;
  return d <= ABSOLUTE_AGREEMENT ? 0 : d / Math.max(Math.abs(a), Math.abs(b));
}

/**
 * The worst difference between `a` and `b` over the output's std and every layer's output, activation,
 * gradient and weight-gradient std (layers matched in order); Infinity when their layers differ.
 */
export function statsDifference(a: SignalStats, b: SignalStats): number {
  if (a.layers.length !== b.layers.length) return Infinity;
  let worst = pairDifference(a.output.std, b.output.std);
  a.layers.forEach((x, i) => {
    const y = b.layers[i];
    if (x.name !== y.name || (x.act === null) !== (y.act === null) || (x.weightGrad === null) !== (y.weightGrad === null)) {
      worst = Infinity;
      return;
    }
    const pairs: [number, number][] = [
      [x.out.std, y.out.std],
      [x.grad.std, y.grad.std],
    ];
    if (x.act && y.act) pairs.push([x.act.std, y.act.std]);
    if (x.weightGrad && y.weightGrad) pairs.push([x.weightGrad.std, y.weightGrad.std]);
    for (const [p, q] of pairs) worst = Math.max(worst, pairDifference(p, q));
  });
  return worst;
}
