/**
 * PyTorch's CPU generator: `mt19937` seeded like `torch.manual_seed`, the
 * cached normal sample, and the float32/float64 `uniform_`/`normal_` kernels
 * of AVX2 builds, bit for bit (spec `shared/spec/torch-cpu-rng.md` §2–§6).
 * Mirrors `aten/src/ATen/core/MT19937RNGEngine.h`,
 * `aten/src/ATen/CPUGeneratorImpl.cpp`,
 * `aten/src/ATen/core/DistributionsHelper.h` and
 * `aten/src/ATen/native/cpu/DistributionTemplates.h` (v1.13.1).
 */
import { LimitError, LIMITS, type LimitKey } from '../limits';
import { fill16, uniformOf } from './fill16';
import { fma64 } from './float';
import { bulkKernels, type KernelTier, type WasmKernels } from './kernels';
import { MT19937 } from './mt19937';
import { isTorchSeed, TORCH_SEED_RANGE } from '../seeds';

const f32 = Math.fround;
const TWO_POW_M53 = 2 ** -53;
const U64 = (1n << 64n) - 1n;


/**
 * A float32 tensor as one bulk draw made it: `uniform_(p, q)` or `normal_(p, q)`
 * of `n` values from the stream of `seed`, `at` words after its seeding.
 * The Signal panel posts this instead of the values (core/signal/formed.ts).
 */
export interface BulkDraw {
  readonly kind: 'uniform' | 'normal';
  readonly seed: bigint;
  readonly at: number;
  readonly n: number;
  readonly p: number;
  readonly q: number;
}

/** The draw each fresh array of the bulk paths came from (what its caller did to it afterwards is not seen: check before use). */
const bulkDraws = new WeakMap<Float32Array, BulkDraw>();

/** The bulk draw `values` came from, if it was returned by one (16 values or more). */
export function bulkDrawOf(values: Float32Array): BulkDraw | undefined {
  return bulkDraws.get(values);
}

/** Thrown for seeds PyTorch rejects ("Overflow when unpacking long"). */
export class SeedError extends RangeError {}

/**
 * The seed PyTorch stores (`initial_seed()`): seed mod 2^64, i.e. negative
 * seeds as two's complement (spec §2.1).
 */
export function storedSeed(seed: bigint): bigint {
  if (!isTorchSeed(seed)) throw new SeedError(`torch.manual_seed accepts integers in ${TORCH_SEED_RANGE}; got ${seed}`);
  return seed & U64;
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
  /**
   * The limit on {@link draws} (skipped words included): a draw that would
   * pass it throws {@link LimitError} before any word is drawn.
   */
  budget: LimitKey | undefined;
  readonly seed: bigint;
  /** The seed of the stream now: {@link seed}, or the last {@link manualSeed}'s. */
  private stream: bigint;

  /** The WebAssembly kernels of the bulk paths; undefined: the scalar JavaScript. */
  private readonly kernels: WasmKernels | undefined;

  /** `kernels` pins a tier (tests, benchmarks); by default the best available here. */
  constructor(seed: bigint | number, options: { readonly kernels?: KernelTier } = {}) {
    this.kernels = bulkKernels(options.kernels);
    this.seed = storedSeed(BigInt(seed));
    this.stream = this.seed;
    this.engine = new MT19937(Number(this.seed & 0xffffffffn));
  }

  /** `torch.manual_seed(seed)` again: new engine, cache cleared (spec §2.2). */
  manualSeed(seed: bigint | number): void {
    const stored = storedSeed(BigInt(seed));
    this.engine = new MT19937(Number(stored & 0xffffffffn));
    this.stream = stored;
    this.cachedNormal = undefined;
    this.draws = 0;
  }

  /** Advances the stream by `words` draws, as the values they would make were drawn and dropped. */
  advance(words: number): void {
    this.skip(words);
  }

  /** One raw word, `random()`. */
  random(): number {
    this.charge(1);
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
    this.charge(words);
    if (this.kernels) this.kernels.skip(this.engine, words);
    else this.engine.skip(words);
    return new Float32Array(0);
  }

  /** Refuses, before a long series of draws starts, `words` more than the {@link budget} allows. */
  reserve(words: number): void {
    if (this.budget !== undefined && !(this.draws + words <= LIMITS[this.budget].value)) throw new LimitError(this.budget, this.draws + words);
  }

  /** Counts `words` about to be drawn, refusing them above the {@link budget}. */
  private charge(words: number): void {
    this.reserve(words);
    this.draws += words;
  }

  /** The next `n` words (bulk). */
  words(n: number): Uint32Array {
    const w = this.wordsI32(n);
    return new Uint32Array(w.buffer, w.byteOffset, n).slice();
  }

  /** The next `n` words as int32 bit patterns, the kernels' fast form. */
  private wordsI32(n: number): Int32Array {
    this.charge(n);
    if (this.scratch.length < n) this.scratch = new Int32Array(Math.max(n, 2 * this.scratch.length));
    const w = n <= 16 ? new Int32Array(n) : this.scratch.subarray(0, n);
    this.engine.fill(w, 0, n);
    return w;
  }

  /**
   * float32 `uniform_(a, b)` (spec §4.1): from = f32(a), range = f32(b) ⊖ from,
   * value = fma32(x, range, from) with x the low 24 bits of a word.
   */
  uniform32(n: number, a: number, b: number, out?: Float32Array): Float32Array {
    checkUniform(a, b);
    if (this.skipValues && n >= 16 && !out) return this.skip(n);
    if (!out && n >= 16) bulkDraws.set((out = new Float32Array(n)), { kind: 'uniform', seed: this.stream, at: this.draws, n, p: a, q: b });
    out ??= new Float32Array(n);
    const from = f32(a);
    const range = f32(f32(b) - from);
    if (this.kernels && n >= 16) {
      this.charge(n);
      this.kernels.uniform32(this.engine, n, from, range, out);
      return out;
    }
    const w = this.wordsI32(n);
    for (let i = 0; i < n; i++) out[i] = uniformOf(w[i], range, from);
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
      if (!out) bulkDraws.set((out = new Float32Array(n)), { kind: 'normal', seed: this.stream, at: this.draws, n, p: mean, q: std });
      return this.normalFill32(n, mean, std, out);
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
    if (this.kernels) {
      this.charge(n + (n % 16 ? 16 : 0));
      this.kernels.normal32(this.engine, n, m, s, out);
      return out;
    }
    const full = n - (n % 16);
    const w = this.wordsI32(n);
    for (let o = 0; o < full; o += 16) fill16(w, o, m, s, out, o);
    if (full !== n) {
      // "Recompute the last 16 values": the n % 16 words after the last full block are discarded.
      fill16(this.wordsI32(16), 0, m, s, out, n - 16);
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
