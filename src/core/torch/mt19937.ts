/**
 * The mt19937 engine of PyTorch's CPU generator
 * (`aten/src/ATen/core/MT19937RNGEngine.h`, spec `shared/spec/torch-cpu-rng.md` §2.3, §3).
 */

const N = 624;
const M = 397;

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

  /** Words left in the current state; the one after them needs a twist. */
  get buffered(): number {
    return this.left - 1;
  }

  /** The 624-word state, for a bulk generator to continue from once {@link buffered} is 0. */
  exportState(into: Int32Array): void {
    into.set(this.mt);
  }

  /**
   * Takes back a state that a bulk generator twisted and used up completely
   * (as after `buffered` words and whole 624-word batches).
   */
  importSpentState(from: Int32Array): void {
    this.mt.set(from.subarray(0, N));
    this.left = 1;
    this.next = N;
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

  /**
   * The standard MT19937 twist, in place (spec §3 `regenerate`), in the
   * reference three-loop form: without the per-word index wrap-around and with
   * the conditional XOR as a mask, V8 keeps every value an int32 (5× faster).
   */
  private twist(): void {
    const mt = this.mt;
    let k = 0;
    for (; k < N - M; k++) {
      const y = (mt[k] & 0x80000000) | (mt[k + 1] & 0x7fffffff);
      mt[k] = mt[k + M] ^ (y >>> 1) ^ (-(y & 1) & 0x9908b0df);
    }
    for (; k < N - 1; k++) {
      const y = (mt[k] & 0x80000000) | (mt[k + 1] & 0x7fffffff);
      mt[k] = mt[k + M - N] ^ (y >>> 1) ^ (-(y & 1) & 0x9908b0df);
    }
    const y = (mt[N - 1] & 0x80000000) | (mt[0] & 0x7fffffff);
    mt[N - 1] = mt[M - 1] ^ (y >>> 1) ^ (-(y & 1) & 0x9908b0df);
    this.left = N;
    this.next = 0;
  }
}
