/**
 * PyTorch's per-word float32 kernels in scalar JavaScript, bit for bit: one
 * lane of the AVX2 `normal_fill_16` (spec `shared/spec/torch-cpu-rng.md`
 * §5.4) and the fused `uniform_` value (§4.1). The reference for the SIMD
 * kernels (kernels.ts), and what they fall back on.
 */
import { fma32 } from './float';

const TWO_POW_M24 = 2 ** -24;

// avx_mathfun.h constants as float32 (spec §5.4 table).
const SQRTHF = Math.fround(0.707106781186547524);
const P = [7.0376836292e-2, -1.151461031e-1, 1.167699874e-1, -1.2420140846e-1, 1.4249322787e-1, -1.6668057665e-1, 2.0000714765e-1, -2.4999993993e-1, 3.3333331174e-1].map(Math.fround);
const [P0, P1, P2, P3, P4, P5, P6, P7, P8] = P;
const Q1 = Math.fround(-2.12194440e-4);
const Q2 = Math.fround(0.693359375);
const FOPI = Math.fround(1.27323954473516);
const DP1 = Math.fround(-0.78515625);
const DP2 = Math.fround(-2.4187564849853515625e-4);
const DP3 = Math.fround(-3.77489497744594108e-8);
const S0 = Math.fround(-1.9515295891e-4);
const S1 = Math.fround(8.3321608736e-3);
const S2 = Math.fround(-1.6666654611e-1);
const C0 = Math.fround(2.443315711809948e-5);
const C1 = Math.fround(-1.388731625493765e-3);
const C2 = Math.fround(4.166664568298827e-2);
const TWO_PI_F = Math.fround(2 * Math.PI);
/** 2^-b for b = 0..32: the mantissa scaling of log256 without bit casts. */
const POW2_NEG = Float64Array.from({ length: 33 }, (_, b) => 2 ** -b);

const f32 = Math.fround;

/**
 * `log256_ps` for one lane, on u1 = q·2^-24 with q in [1, 2^24] (spec §5.4).
 * Frexp is done with clz32 instead of bit casts: u1 = (q·2^-L)·2^(L−24), with
 * L the bit length of q, so the mantissa in [0.5, 1) is q·2^-L and e = L − 24.
 */
function log256(q: number): number {
  const len = 32 - Math.clz32(q);
  let x = q * POW2_NEG[len];
  let e = len - 24;
  if (x < SQRTHF) {
    e -= 1;
    x = f32(x - 1 + x);
  } else {
    x = x - 1;
  }
  const z = f32(x * x);
  let y = fma32(P0, x, P1);
  y = fma32(y, x, P2);
  y = fma32(y, x, P3);
  y = fma32(y, x, P4);
  y = fma32(y, x, P5);
  y = fma32(y, x, P6);
  y = fma32(y, x, P7);
  y = fma32(y, x, P8);
  y = f32(y * x);
  y = fma32(y, z, f32(e * Q1));
  y = f32(y - z * 0.5);
  return fma32(e, Q2, f32(x + y));
}

/** float32 `uniform_`'s value for one word: fma32(x, range, from), x = (word & 0xFFFFFF)·2^-24 (spec §4.1). */
export function uniformOf(word: number, range: number, from: number): number {
  return fma32((word & 0xffffff) * TWO_POW_M24, range, from);
}

/** radius = sqrt32(−2 ⊗ log256(u1)) for u1 = 1 ⊖ (w1 & 0xFFFFFF)·2^-24, a function of those 24 bits only. */
export function radiusOf(w1: number): number {
  return f32(Math.sqrt(-2 * log256(0x1000000 - (w1 & 0xffffff))));
}

/**
 * sincos256(TWO_PI ⊗ u2) for u2 = (w2 & 0xFFFFFF)·2^-24: sin into
 * `out[at]`, cos into `out[at + 1]`. The selection block keeps the SIMD
 * masks' +0 for the unselected polynomial.
 */
export function sincosOf(w2: number, out: Float64Array, at: number): void {
  let x = f32(TWO_PI_F * ((w2 & 0xffffff) * TWO_POW_M24));
  // sincos256_ps (theta ≥ 0, so the input sign is +).
  let j = Math.trunc(f32(x * FOPI)) | 0;
  j = (j + 1) & ~1;
  const y = j;
  const swap = (j & 4) !== 0;
  const poly = (j & 2) === 0;
  x = fma32(y, DP1, x);
  x = fma32(y, DP2, x);
  x = fma32(y, DP3, x);
  const signC = (~(j - 2) & 4) !== 0;
  const z = f32(x * x);
  let yc = fma32(C0, z, C1);
  yc = fma32(yc, z, C2);
  yc = f32(yc * z);
  yc = fma32(yc, z, -f32(z * 0.5));
  yc = f32(yc + 1);
  let ys = fma32(S0, z, S1);
  ys = fma32(ys, z, S2);
  ys = f32(ys * z);
  ys = fma32(ys, x, x);
  const t2 = poly ? ys : 0;
  const t1 = poly ? 0 : yc;
  const sn = f32(t1 + t2);
  const cs = f32(f32(yc - t1) + f32(ys - t2));
  out[at] = swap ? -sn : sn;
  out[at + 1] = signC ? -cs : cs;
}

const trig = new Float64Array(2);

/**
 * One lane of `normal_fill_16_AVX2` on words w1 (u1) and w2 (u2): the cos
 * branch to out[i], the sin branch to out[i + 8] (spec §5.3, §5.4).
 */
function fill16Lane(w1: number, w2: number, mean: number, std: number, out: Float32Array, i: number): void {
  const radius = radiusOf(w1);
  sincosOf(w2, trig, 0);
  out[i] = fma32(f32(radius * trig[1]), std, mean);
  out[i + 8] = fma32(f32(radius * trig[0]), std, mean);
}

/**
 * `fill16` on the 16 words at `words[at..at+16)`, into `out[o..o+16)`, with
 * mean and std already float32.
 */
export function fill16(words: Int32Array, at: number, mean: number, std: number, out: Float32Array, o: number): void {
  for (let j = 0; j < 8; j++) fill16Lane(words[at + j], words[at + j + 8], mean, std, out, o + j);
}
