/**
 * The error-function pieces of `torch.nn.init.trunc_normal_` (spec §7.4):
 * Python's double `math.erf` for the bounds, glibc 2.36's float `erff`
 * (fdlibm port, `sysdeps/ieee754/flt-32/s_erff.c`) and ATen's
 * `calc_erfinv<float>` (`aten/src/ATen/native/Math.h`) with the Horner steps
 * fused as GCC compiles them in the AVX2 kernel.
 *
 * erff below is a port of fdlibm:
 * ====================================================
 * Copyright (C) 1993 by Sun Microsystems, Inc. All rights reserved.
 *
 * Developed at SunPro, a Sun Microsystems, Inc. business.
 * Permission to use, copy, modify, and distribute this
 * software is freely granted, provided that this notice
 * is preserved.
 * ====================================================
 */
import { f32Bits, f32FromBits, fma32 } from './float';

const f = Math.fround;

/**
 * Double-precision erf for the truncation bounds. Python uses libm's `erf`;
 * this positive-term series, erf(x) = 2/√π·e^(−x²)·Σ 2ⁿx^(2n+1)/(2n+1)!!, is
 * accurate to a few double ulps, enough for bounds that are then rounded to
 * float32 (spec §7.4 step 1), but not bit-identical to glibc in every case.
 */
export function erf64(x: number): number {
  if (Number.isNaN(x)) return x;
  const ax = Math.abs(x);
  if (ax >= 6) return x > 0 ? 1 : -1;
  const x2 = ax * ax;
  let term = ax;
  let sum = ax;
  for (let n = 1; n < 500; n++) {
    term *= (2 * x2) / (2 * n + 1);
    sum += term;
    if (term < sum * 1e-17) break;
  }
  const r = (2 / Math.sqrt(Math.PI)) * Math.exp(-x2) * sum;
  return x < 0 ? -r : r;
}

const erx = f(8.4506291151e-1);
const efx = f(1.2837916613e-1);
const pp = [1.2837916613e-1, -3.2504209876e-1, -2.8481749818e-2, -5.770270247e-3, -2.3763017452e-5].map(f);
const qq = [0, 3.9791721106e-1, 6.50222525e-2, 5.0813062117e-3, 1.3249473704e-4, -3.9602282413e-6].map(f);
const pa = [-2.3621185683e-3, 4.1485610604e-1, -3.7220788002e-1, 3.1834661961e-1, -1.1089469492e-1, 3.5478305072e-2, -2.1663755178e-3].map(f);
const qa = [0, 1.0642088205e-1, 5.4039794207e-1, 7.1828655899e-2, 1.2617121637e-1, 1.3637083583e-2, 1.1984500103e-2].map(f);
const ra = [-9.8649440333e-3, -6.938585639e-1, -1.0558626175e1, -6.2375331879e1, -1.6239666748e2, -1.8460508728e2, -8.1287437439e1, -9.8143291473].map(f);
const sa = [0, 1.965127182e1, 1.3765776062e2, 4.3456588745e2, 6.4538726807e2, 4.2900814819e2, 1.0863500214e2, 6.5702495575, -6.0424413532e-2].map(f);
const rb = [-9.864943102e-3, -7.9928326607e-1, -1.7757955551e1, -1.6063638306e2, -6.3756646729e2, -1.0250950928e3, -4.8351919556e2].map(f);
const sb = [0, 3.0338060379e1, 3.2579251099e2, 1.5367296143e3, 3.1998581543e3, 2.5530502930e3, 4.7452853394e2, -2.2440952301e1].map(f);

/** Horner c0 + s·(c1 + s·(… + s·cn)), every step rounded to float32, no FMA (fdlibm style). */
function horner(c: readonly number[], s: number, from = 0): number {
  let r = c[c.length - 1];
  for (let i = c.length - 2; i >= from; i--) r = f(c[i] + f(s * r));
  return r;
}

/** 1 + s·(c1 + s·(… + s·cn)) with c[0] unused. */
function horner1(c: readonly number[], s: number): number {
  return f(1 + f(s * horner(c, s, 1)));
}

/** glibc 2.36 `erff` (spec Appendix A), every operation in float32. */
export function erff(x: number): number {
  const hx = f32Bits(x);
  const ix = hx & 0x7fffffff;
  if (ix >= 0x7f800000) return Number.isNaN(x) ? x : x > 0 ? 1 : -1;
  if (ix < 0x3f580000) {
    if (ix < 0x31800000) {
      if (ix < 0x04000000) return f(0.0625 * f(f(16 * x) + f(f(16 * efx) * x)));
      return f(x + f(efx * x));
    }
    const z = f(x * x);
    const r = horner(pp, z);
    const s = horner1(qq, z);
    return f(x + f(x * f(r / s)));
  }
  if (ix < 0x3fa00000) {
    const s = f(Math.abs(x) - 1);
    const P = horner(pa, s);
    const Q = horner1(qa, s);
    return x >= 0 ? f(erx + f(P / Q)) : f(-erx - f(P / Q));
  }
  // ±(1 − tiny) rounds to ±1 in float32.
  if (ix >= 0x40c00000) return x >= 0 ? 1 : -1;
  const ax = Math.abs(x);
  const s = f(1 / f(ax * ax));
  let R: number;
  let S: number;
  if (ix < 0x4036db6e) {
    R = horner(ra, s);
    S = horner1(sa, s);
  } else {
    R = horner(rb, s);
    S = horner1(sb, s);
  }
  const z = f32FromBits(f32Bits(ax) & 0xfffff000);
  const r = f(f(Math.exp(f(f(-z * z) - 0.5625))) * f(Math.exp(f(f(f(z - ax) * f(z + ax)) + f(R / S)))));
  return x >= 0 ? f(1 - f(r / ax)) : f(f(r / ax) - 1);
}

const A = [0.886226899, -1.645349621, 0.914624893, -0.140543331].map(f);
const B = [-2.118377725, 1.442710462, -0.329097515, 0.012229801].map(f);
const Cc = [-1.970840454, -1.624906493, 3.429567803, 1.641345311].map(f);
const D = [3.5438892, 1.6370678].map(f);
const CENTRAL = f(0.7);
/** f32(2 / f32(√π)). */
const K = f(2 / f(Math.sqrt(Math.PI)));

/** `calc_erfinv<float>` as compiled in the AVX2 kernel: fused Horner steps, unfused Newton steps (spec §7.4 step 2). */
export function erfinv32(y: number): number {
  const ya = Math.abs(y);
  if (ya > 1 || Number.isNaN(y)) return NaN;
  if (ya === 1) return y > 0 ? Infinity : -Infinity;
  let x: number;
  if (ya <= CENTRAL) {
    const z = f(y * y);
    const num = fma32(fma32(fma32(A[3], z, A[2]), z, A[1]), z, A[0]);
    const dem = fma32(fma32(fma32(fma32(B[3], z, B[2]), z, B[1]), z, B[0]), z, 1);
    x = f(f(y * num) / dem);
  } else {
    const z = f(Math.sqrt(f(-f(Math.log(f(f(1 - ya) / 2))))));
    const num = fma32(fma32(fma32(Cc[3], z, Cc[2]), z, Cc[1]), z, Cc[0]);
    const dem = fma32(fma32(D[1], z, D[0]), z, 1);
    x = f((y < 0 ? -num : num) / dem);
  }
  for (let i = 0; i < 2; i++) x = f(x - f(f(erff(x) - y) / f(K * f(Math.exp(-f(x * x))))));
  return x;
}
