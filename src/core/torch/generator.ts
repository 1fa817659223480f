/**
 * PyTorch's CPU generator: `mt19937` seeded like `torch.manual_seed`, the
 * cached normal sample, and the float32/float64 `uniform_`/`normal_` kernels
 * of AVX2 builds, bit for bit (spec `shared/spec/torch-cpu-rng.md` §2–§6).
 * Mirrors `aten/src/ATen/core/MT19937RNGEngine.h`,
 * `aten/src/ATen/CPUGeneratorImpl.cpp`,
 * `aten/src/ATen/core/DistributionsHelper.h` and
 * `aten/src/ATen/native/cpu/DistributionTemplates.h` (v1.13.1).
 */
import { fma32, fma64 } from './float';

const N = 624;
const M = 397;
const TWO_POW_M24 = 2 ** -24;
const TWO_POW_M53 = 2 ** -53;
const U64 = (1n << 64n) - 1n;

/** `torch.manual_seed` accepts any Python int in [−2^63, 2^64 − 1] (`torch/csrc/Generator.cpp`). */
export const MIN_SEED = -(1n << 63n);
export const MAX_SEED = U64;

/** Thrown for seeds PyTorch rejects ("Overflow when unpacking long"). */
export class SeedError extends RangeError {}

/**
 * The seed PyTorch stores (`initial_seed()`): seed mod 2^64, i.e. negative
 * seeds as two's complement (spec §2.1).
 */
export function storedSeed(seed: bigint): bigint {
  if (seed < MIN_SEED || seed > MAX_SEED) throw new SeedError(`torch.manual_seed accepts integers in [-2^63, 2^64-1]; got ${seed}`);
  return seed & U64;
}

/** The mt19937 engine of `MT19937RNGEngine.h` (reference `init_genrand`, in-place twist). */
export class MT19937 {
  // Int32Array, not Uint32Array: V8 keeps int32 words unboxed, while uint32 loads above 2^31 become doubles.
  private readonly mt = new Int32Array(N);
  private left = 1;
  private next = 0;

  constructor(seed32: number) {
    const mt = this.mt;
    // init_with_uint32: only the low 32 bits of the seed are used (spec §2.3).
    mt[0] = seed32 | 0;
    for (let i = 1; i < N; i++) {
      const prev = mt[i - 1];
      mt[i] = (Math.imul(1812433253, prev ^ (prev >>> 30)) + i) | 0;
    }
  }

  /** `mt19937_engine::operator()`: one tempered 32-bit word. */
  nextU32(): number {
    if (--this.left === 0) this.twist();
    let y = this.mt[this.next++];
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /**
   * The next words into `out[from..to)` as int32 bit patterns (the same words
   * as repeated {@link nextU32}; the bulk loop is what makes `normal_` fast).
   */
  fill(out: Int32Array, from = 0, to = out.length): void {
    const mt = this.mt;
    let i = from;
    while (i < to) {
      if (this.left === 1) {
        this.twist();
        this.left = N + 1;
      }
      const take = Math.min(to - i, this.left - 1, N - this.next);
      let k = this.next;
      const end = i + take;
      for (; i < end; i++) {
        let y = mt[k++];
        y ^= y >>> 11;
        y ^= (y << 7) & 0x9d2c5680;
        y ^= (y << 15) & 0xefc60000;
        y ^= y >>> 18;
        out[i] = y;
      }
      this.next = k;
      this.left -= take;
    }
  }

  /** Advances by `n` words without tempering them (same state as drawing them). */
  skip(n: number): void {
    while (n > 0) {
      if (this.left === 1) {
        this.twist();
        this.left = N + 1;
      }
      const take = Math.min(n, this.left - 1);
      this.next += take;
      this.left -= take;
      n -= take;
    }
  }

  /** The standard MT19937 twist, in place (spec §3 `regenerate`). */
  private twist(): void {
    const mt = this.mt;
    for (let k = 0; k < N; k++) {
      const u = mt[k];
      const v = mt[k + 1 === N ? 0 : k + 1];
      const mix = (u & 0x80000000) | (v & 0x7fffffff);
      mt[k] = mt[k + M < N ? k + M : k + M - N] ^ (mix >>> 1) ^ (v & 1 ? 0x9908b0df : 0);
    }
    this.left = N;
    this.next = 0;
  }
}

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

/**
 * One lane of `normal_fill_16_AVX2`: u1 = 1 − w1·2^-24, u2 = w2·2^-24 (low 24
 * bits of two words). Writes the cos branch to out[i] and the sin branch to
 * out[i + 8] (spec §5.3, §5.4; the selection block keeps the SIMD masks'
 * +0 for the unselected polynomial).
 */
function lane(w1: number, w2: number, mean: number, std: number, out: Float32Array, i: number): void {
  const radius = f32(Math.sqrt(-2 * log256(0x1000000 - (w1 & 0xffffff))));
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
  let sn = f32(t1 + t2);
  let cs = f32(f32(yc - t1) + f32(ys - t2));
  if (swap) sn = -sn;
  if (signC) cs = -cs;
  out[i] = fma32(f32(radius * cs), std, mean);
  out[i + 8] = fma32(f32(radius * sn), std, mean);
}

/**
 * The CPU generator state that matters for reproduction: the engine and the
 * single cached double normal (`next_double_normal_sample_`), shared by all
 * dtypes (spec §5.2). Construct one per `torch.manual_seed(seed)`.
 */
export class TorchGenerator {
  private engine: MT19937;
  private cachedNormal: number | undefined;
  /**
   * When set, the bulk kernels (16 elements or more) only advance the stream by
   * the words they would draw and return an empty array: the stream position
   * of later tensors stays exact without computing values nobody will read.
   */
  skipValues = false;
  /** Reused word buffer of the bulk kernels (their words never escape). */
  private scratch = new Int32Array(0);
  /** Words drawn since the seed: for draw accounting in tests and reports. */
  draws = 0;
  readonly seed: bigint;

  constructor(seed: bigint | number) {
    this.seed = storedSeed(BigInt(seed));
    this.engine = new MT19937(Number(this.seed & 0xffffffffn));
  }

  /** `torch.manual_seed(seed)` again: new engine, cache cleared (spec §2.2). */
  manualSeed(seed: bigint | number): void {
    const stored = storedSeed(BigInt(seed));
    this.engine = new MT19937(Number(stored & 0xffffffffn));
    this.cachedNormal = undefined;
    this.draws = 0;
  }

  /** One raw word, `random()`. */
  random(): number {
    this.draws++;
    return this.engine.nextU32();
  }

  /** `random64()`: hi word first (spec §3). Returned as the 53-bit uniform's numerator parts. */
  private uniform53(): number {
    const hi = this.random();
    const lo = this.random();
    return ((hi & 0x1fffff) * 4294967296 + lo) * TWO_POW_M53;
  }

  /** Advances the stream by `words` draws; returns the empty array that stands for skipped values. */
  private skip(words: number): Float32Array {
    this.engine.skip(words);
    this.draws += words;
    return new Float32Array(0);
  }

  /** The next `n` words (bulk). */
  words(n: number): Uint32Array {
    const w = this.wordsI32(n);
    return new Uint32Array(w.buffer, w.byteOffset, n).slice();
  }

  /** The next `n` words as int32 bit patterns, the kernels' fast form. */
  private wordsI32(n: number): Int32Array {
    if (this.scratch.length < n) this.scratch = new Int32Array(Math.max(n, 2 * this.scratch.length));
    const w = n <= 16 ? new Int32Array(n) : this.scratch.subarray(0, n);
    this.engine.fill(w, 0, n);
    this.draws += n;
    return w;
  }

  /**
   * float32 `uniform_(a, b)` (spec §4.1): from = f32(a), range = f32(b) ⊖ from,
   * value = fma32(x, range, from) with x the low 24 bits of a word.
   */
  uniform32(n: number, a: number, b: number, out?: Float32Array): Float32Array {
    checkUniform(a, b);
    if (this.skipValues && n >= 16 && !out) return this.skip(n);
    out ??= new Float32Array(n);
    const from = f32(a);
    const range = f32(f32(b) - from);
    const w = this.wordsI32(n);
    for (let i = 0; i < n; i++) out[i] = fma32((w[i] & 0xffffff) * TWO_POW_M24, range, from);
    return out;
  }

  /** float64 `uniform_(a, b)` (spec §4.3): 53-bit x from random64, fma64(x, b − a, a). */
  uniform64(n: number, a: number, b: number, out = new Float64Array(n)): Float64Array {
    checkUniform(a, b);
    const range = b - a;
    for (let i = 0; i < n; i++) out[i] = fma64(this.uniform53(), range, a);
    return out;
  }

  /**
   * One `at::normal_distribution<double>` sample, unscaled (spec §5.2): the
   * cached sin branch when set, else a Box–Muller pair from two 53-bit uniforms.
   */
  private standardNormal(): number {
    if (this.cachedNormal !== undefined) {
      const z = this.cachedNormal;
      this.cachedNormal = undefined;
      return z;
    }
    const u1 = this.uniform53();
    const u2 = this.uniform53();
    const r = Math.sqrt(-2.0 * Math.log(1.0 - u2));
    const theta = 2.0 * Math.PI * u1;
    this.cachedNormal = r * Math.sin(theta);
    return r * Math.cos(theta);
  }

  /**
   * float32 `normal_(mean, std)` on a fresh tensor of `n` elements. `contiguous`
   * false (a transposed or strided view) forces the per-element path; its
   * values are then in the view's memory order (spec §5.1).
   */
  normal32(n: number, mean: number, std: number, contiguous = true, out?: Float32Array): Float32Array {
    checkNormal(std);
    if (n >= 16 && contiguous) {
      if (this.skipValues && !out) return this.skip(n + (n % 16 ? 16 : 0));
      return this.normalFill32(n, mean, std, out ?? new Float32Array(n));
    }
    out ??= new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = fma64(this.standardNormal(), std, mean);
    return out;
  }

  /** float64 `normal_` (spec §5.2, §5.6; last-bit agreement depends on V8's vs glibc's libm). */
  normal64(n: number, mean: number, std: number, contiguous = true, out = new Float64Array(n)): Float64Array {
    checkNormal(std);
    if (n < 16 || !contiguous) {
      for (let i = 0; i < n; i++) out[i] = fma64(this.standardNormal(), std, mean);
      return out;
    }
    for (let i = 0; i < n; i++) out[i] = this.uniform53();
    const block = (o: number) => {
      for (let j = 0; j < 8; j++) {
        const u1 = 1 - out[o + j];
        const u2 = out[o + j + 8];
        const radius = Math.sqrt(-2 * Math.log(u1));
        const theta = 2 * Math.PI * u2;
        out[o + j] = fma64(radius * Math.cos(theta), std, mean);
        out[o + j + 8] = fma64(radius * Math.sin(theta), std, mean);
      }
    };
    for (let i = 0; i + 16 <= n; i += 16) block(i);
    if (n % 16 !== 0) {
      for (let k = n - 16; k < n; k++) out[k] = this.uniform53();
      block(n - 16);
    }
    return out;
  }

  /**
   * `normal_fill_AVX2` (spec §5.3): n uniforms, 16-element blocks, and when n
   * is not a multiple of 16 a last block on 16 fresh words that overwrites the
   * tail. Every block reads only uniforms, so it works on the words directly.
   */
  private normalFill32(n: number, mean: number, std: number, out: Float32Array): Float32Array {
    const m = f32(mean);
    const s = f32(std);
    const full = n - (n % 16);
    const w = this.wordsI32(n);
    for (let o = 0; o < full; o += 16) {
      for (let j = 0; j < 8; j++) lane(w[o + j], w[o + j + 8], m, s, out, o + j);
    }
    if (full !== n) {
      // "Recompute the last 16 values": the n % 16 words after the last full block are discarded.
      const tail = this.wordsI32(16);
      const o = n - 16;
      for (let j = 0; j < 8; j++) lane(tail[j], tail[j + 8], m, s, out, o + j);
    }
    return out;
  }

  /** `randperm(n)` for small n (`TensorFactories.cpp` randperm_cpu; spec §6): n − 1 words. */
  randperm(n: number): Int32Array {
    const r = Int32Array.from({ length: n }, (_, i) => i);
    for (let i = 0; i < n - 1; i++) {
      const z = this.random() % (n - i);
      const t = r[i];
      r[i] = r[i + z];
      r[i + z] = t;
    }
    return r;
  }
}

/** `uniform_impl_`'s checks (`aten/src/ATen/native/DistributionTemplates.h`). */
function checkUniform(a: number, b: number): void {
  const max = 3.4028234663852886e38;
  if (!(a <= b)) throw new RangeError(`uniform_ expects to return a [from, to) range, but found from=${a} > to=${b}`);
  if (!(b - a <= max) || Math.abs(a) > max || Math.abs(b) > max) throw new RangeError('uniform_ expects to-from <= std::numeric_limits<float>::max()');
}

function checkNormal(std: number): void {
  if (!(std >= 0)) throw new RangeError(`normal expects std >= 0.0, but found std ${std}`);
}
