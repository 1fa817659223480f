/**
 * Float32 and float64 arithmetic the way PyTorch's AVX2 kernels round it:
 * fused multiply-adds emulated exactly in JavaScript (spec
 * `shared/spec/torch-cpu-rng.md` §1, §4.2, §4.3).
 */

const f32 = Math.fround;
const scratch = new DataView(new ArrayBuffer(8));

/** The IEEE-754 bit pattern of `x` rounded to float32. */
export function f32Bits(x: number): number {
  scratch.setFloat32(0, x, true);
  return scratch.getUint32(0, true);
}

/** The float32 whose bit pattern is `bits`. */
export function f32FromBits(bits: number): number {
  scratch.setUint32(0, bits >>> 0, true);
  return scratch.getFloat32(0, true);
}

/** The 16 lowercase hex digits of a double's bit pattern. */
export function f64Hex(x: number): string {
  scratch.setFloat64(0, x, true);
  return scratch.getBigUint64(0, true).toString(16).padStart(16, '0');
}

/** The double whose bit pattern is the 16-digit hex string `hex`. */
export function f64FromHex(hex: string): number {
  scratch.setBigUint64(0, BigInt(`0x${hex}`), true);
  return scratch.getFloat64(0, true);
}

/** The adjacent float32 toward +∞ (`x` a float32). */
export function nextUp32(x: number): number {
  if (Number.isNaN(x) || x === Infinity) return x;
  if (x === 0) return f32FromBits(1);
  const b = f32Bits(x);
  return f32FromBits(x > 0 ? b + 1 : b - 1);
}

/** The adjacent float32 toward −∞ (`x` a float32). */
export function nextDown32(x: number): number {
  return -nextUp32(-x);
}

/**
 * fma32(a, b, c) = f32(a·b + c) with one rounding, for float32 a, b, c
 * (spec §4.2). a·b is exact in double; the double sum rounds once more, which
 * can only go wrong when it lands exactly on a float32 midpoint while the
 * exact sum does not. That case is rare, so the fast path tests for it with
 * two flops: `2s − r` is a float32 exactly when `s` is a midpoint (or a float32).
 */
export function fma32(a: number, b: number, c: number): number {
  const p = a * b;
  const s = p + c;
  const r = f32(s);
  if (r === s) return r;
  const t = 2 * s - r;
  if (f32(t) !== t) return r;
  return fma32Tie(p, c, s, r);
}

/** The rare branch of {@link fma32}: break a double-rounding tie by the sign of the TwoSum error. */
function fma32Tie(p: number, c: number, s: number, r: number): number {
  const bv = s - p;
  const av = s - bv;
  const e = p - av + (c - bv);
  if (e === 0) return r;
  const other = r < s ? nextUp32(r) : nextDown32(r);
  if ((r + other) / 2 !== s) return r;
  return e > 0 ? Math.max(r, other) : Math.min(r, other);
}

interface Decomposed {
  readonly m: bigint;
  readonly e: number;
}

/** x = m·2^e with m a signed integer (x finite). */
function decompose(x: number): Decomposed {
  scratch.setFloat64(0, x, true);
  const bits = scratch.getBigUint64(0, true);
  const sign = bits >> 63n ? -1n : 1n;
  const exp = Number((bits >> 52n) & 0x7ffn);
  const frac = bits & 0xfffffffffffffn;
  if (exp === 0) return { m: sign * frac, e: -1074 };
  return { m: sign * (frac | 0x10000000000000n), e: exp - 1075 };
}

function bitLength(m: bigint): number {
  return (m < 0n ? -m : m).toString(2).length;
}

/**
 * fma64(a, b, c): a·b + c in double with a single rounding (spec §4.3; the AVX2
 * kernels fuse `x·range + from` and `z·std + mean` in double). Exact BigInt
 * arithmetic; `Number(bigint)` rounds to nearest, ties to even. Results in the
 * subnormal range may round twice (never reached by the uses here).
 */
export function fma64(a: number, b: number, c: number): number {
  if (!Number.isFinite(a) || !Number.isFinite(b) || !Number.isFinite(c)) return a * b + c;
  if (a === 0 || b === 0) return a * b + c;
  if (c === 0) return a * b;
  const da = decompose(a);
  const db = decompose(b);
  const dc = decompose(c);
  let pm = da.m * db.m;
  let pe = da.e + db.e;
  let cm = dc.m;
  let ce = dc.e;
  // A term more than 160 bits below the other only acts as a sticky bit.
  const topP = pe + bitLength(pm);
  const topC = ce + bitLength(cm);
  if (topP - topC > 160) {
    cm = cm < 0n ? -1n : 1n;
    ce = pe - 2;
  } else if (topC - topP > 160) {
    pm = pm < 0n ? -1n : 1n;
    pe = ce - 2;
  }
  const e = Math.min(pe, ce);
  const sum = (pm << BigInt(pe - e)) + (cm << BigInt(ce - e));
  if (sum === 0n) return 0;
  const shift = Math.max(0, bitLength(sum) - 64);
  if (shift === 0) return scale(Number(sum), e);
  // Keep 64 significant bits plus a sticky bit, so Number() rounds once, correctly.
  const mag = sum < 0n ? -sum : sum;
  let kept = mag >> BigInt(shift - 1);
  if (mag & ((1n << BigInt(shift - 1)) - 1n)) kept |= 1n;
  const value = scale(Number(kept), e + shift - 1);
  return sum < 0n ? -value : value;
}

/** x·2^e without the power itself overflowing or underflowing. */
function scale(x: number, e: number): number {
  if (e > 1000) return x * 2 ** 1000 * 2 ** (e - 1000);
  if (e < -1000) return x * 2 ** -1000 * 2 ** (e + 1000);
  return x * 2 ** e;
}
