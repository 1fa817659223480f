/**
 * The signal run's settings as typed by a user (the CLI's flags, the Signal
 * panel's fields), read the same way for both.
 */
import { exceeds, limitMessage } from '../limits';
import { MAX_U64_SEED } from '../seeds';

/** `8,3,32,32` (or `8x3x32x32`) → [8, 3, 32, 32]: positive integers, their product within the signal limit; else the problem. */
export function readInputShape(text: string): { readonly value: number[] } | { readonly problem: string } {
  const shape: number[] = [];
  for (const p of text.split(/\s*[,x×]\s*/)) {
    if (!/^\d{1,16}$/.test(p) || Number(p) === 0) return { problem: `input shape dimensions must be positive integers, got '${p}' in '${text}'` };
    shape.push(Number(p));
  }
  const count = shape.reduce((a, b) => a * b, 1);
  if (exceeds('signalValues', count)) return { problem: `input shape ${shape.join('×')}: ${limitMessage('signalValues', count)}` };
  return { value: shape };
}

/** The panel's fields: an empty seed or shape means the default (the file's seed, the first layer's shape). */
export function readPanelSettings(s: { readonly seed: string; readonly inputSeed: string; readonly inputShape: string }): { readonly value: { seed?: bigint; inputSeed: bigint; inputShape?: number[] } } | { readonly problem: string } {
  const digits = /^\d{1,20}$/;
  if (s.seed !== '' && (!digits.test(s.seed) || BigInt(s.seed) > MAX_U64_SEED)) return { problem: `the model seed must be an integer from 0 to 2^64−1, got '${s.seed}'` };
  // The upstream gradient's generator is seeded input seed + 1, which must be a seed too.
  const inputSeed = s.inputSeed === '' ? '0' : s.inputSeed;
  if (!digits.test(inputSeed) || BigInt(inputSeed) > MAX_U64_SEED - 1n) return { problem: `the input seed must be an integer from 0 to 2^64−2, got '${s.inputSeed}'` };
  let inputShape: number[] | undefined;
  if (s.inputShape.trim() !== '') {
    const shape = readInputShape(s.inputShape.trim());
    if ('problem' in shape) return shape;
    inputShape = shape.value;
  }
  return { value: { ...(s.seed !== '' ? { seed: BigInt(s.seed) } : {}), inputSeed: BigInt(inputSeed), ...(inputShape ? { inputShape } : {}) } };
}
