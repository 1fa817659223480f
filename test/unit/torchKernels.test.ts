/**
 * The WebAssembly kernels of exact mode (src/core/torch/kernels.ts) against
 * the scalar emulation, which the fixture tests tie to PyTorch:
 * - the emulated tier's claim that log256 and sincos256 need no tie-break is
 *   checked on the whole input domain (all 2^24 values of each 24-bit uniform);
 * - the final fused multiply-add's tie-break, on inputs built to need it;
 * - whole tensors across chunk and mt19937-state boundaries, every bit and
 *   the stream position after them, also when their values are skipped.
 * A tier this engine or CPU cannot run is skipped with the reason.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fma32, f32Bits } from '../../src/core/torch/float';
import { radiusOf, sincosOf } from '../../src/core/torch/fill16';
import { TorchGenerator } from '../../src/core/torch/generator';
import { kernelStatus } from '../../src/core/torch/kernels';
import { kernelTiers } from './kernelTiers';

/** The WebAssembly tiers; `skip` says why one cannot run here. */
const WASM = kernelTiers()
  .filter((c) => c.tier !== 'scalar')
  .map((c) => ({ ...c, skip: c.unavailable && `${c.tier} kernels unavailable: ${c.unavailable}` }));

/** The scalar code's radius(w1[i]), sin and cos(w2[i]): the reference for WasmKernels.parts. */
function scalarParts(w1: Int32Array, w2: Int32Array, radius: Float32Array, sin: Float32Array, cos: Float32Array): void {
  const trig = new Float64Array(2);
  for (let i = 0; i < w1.length; i++) {
    radius[i] = radiusOf(w1[i]);
    sincosOf(w2[i], trig, 0);
    sin[i] = trig[0];
    cos[i] = trig[1];
  }
}

const sameBits = (a: Float32Array, b: Float32Array, label: string) => {
  assert.equal(a.length, b.length, `${label}: length`);
  for (let i = 0; i < a.length; i++) {
    if (!Object.is(a[i], b[i])) assert.fail(`${label}: element ${i} is 0x${f32Bits(a[i]).toString(16)}, expected 0x${f32Bits(b[i]).toString(16)}`);
  }
};

describe('exact-mode kernels: which tier runs here', () => {
  it('reports the tier in use and why the others are not', () => {
    const status = kernelStatus();
    console.log(`# exact-mode kernels: ${status.tier}${Object.entries(status.unavailable).map(([t, why]) => `; ${t} unavailable: ${why}`).join('')}`);
    assert.ok(['fused', 'emulated', 'scalar'].includes(status.tier));
  });
});

describe('exact-mode kernels: log256 and sincos256 on all 2^24 inputs', () => {
  const LANES = 1 << 24;
  // w1 = i gives u1 = 1 − i·2^-24 and w2 = i gives theta = TWO_PI ⊗ i·2^-24: every possible input once.
  const w = Int32Array.from({ length: LANES }, (_, i) => i);
  let reference: { radius: Float32Array; sin: Float32Array; cos: Float32Array } | undefined;
  const ref = () => {
    if (!reference) {
      reference = { radius: new Float32Array(LANES), sin: new Float32Array(LANES), cos: new Float32Array(LANES) };
      scalarParts(w, w, reference.radius, reference.sin, reference.cos);
    }
    return reference;
  };
  for (const { tier, kernels: k, skip } of WASM) {
    it(`${tier}: radius, sin and cos equal the scalar emulation (exact tie-breaks) bit for bit`, { skip }, () => {
      const got = { radius: new Float32Array(LANES), sin: new Float32Array(LANES), cos: new Float32Array(LANES) };
      k!.parts(w, w, got.radius, got.sin, got.cos);
      const want = ref();
      sameBits(got.radius, want.radius, `${tier} radius`);
      sameBits(got.sin, want.sin, `${tier} sin`);
      sameBits(got.cos, want.cos, `${tier} cos`);
    });
  }
});

describe('exact-mode kernels: the final fused multiply-add where double rounding would go wrong', () => {
  // uniform: x = 4097·2^-24, range = 16773121·2^-36, so x·range = 2^-24 + 2^-60 (2^36 + 1 = 4097 · 16773121).
  // 1 + 2^-24 + 2^-60 rounds to the midpoint 1 + 2^-24 in double, then to 1 (even): once rounded it is 1 + 2^-23.
  const uniform = () => {
    const range = 16773121 * 2 ** -36;
    assert.equal(Math.fround(range), range);
    const want = 1 + 2 ** -23;
    assert.equal(Math.fround(4097 * 2 ** -24 * range + 1), 1, 'the naive double formula is wrong here');
    assert.equal(fma32(4097 * 2 ** -24, range, 1), want);
    return { words: new Int32Array(16).fill(4097), range, want };
  };

  // normal: find a radius R = ρ·2^e with σ = ceil(2^47/ρ) and 0 < ρσ − 2^47 < 2^18; then std = σ·2^-23 and
  // mean = 2^(e+48) put R·std = 2^(e+24)(1 + ε) a hair above mean's half ulp (lanes with w2 = 0 have cos = 1).
  const normal = () => {
    let w1 = 1;
    let R = 0;
    let sigma = 0;
    for (; w1 < 1 << 24; w1++) {
      R = radiusOf(w1);
      const e = Math.floor(Math.log2(R)) - 23;
      const rho = R / 2 ** e;
      sigma = Math.ceil(2 ** 47 / rho);
      const delta = rho * sigma - 2 ** 47;
      if (delta > 0 && delta < 2 ** 18 && sigma < 2 ** 24) break;
    }
    const e = Math.floor(Math.log2(R)) - 23;
    const std = sigma * 2 ** -23;
    const mean = 2 ** (e + 48);
    const want = fma32(R, std, mean);
    assert.equal(want, mean + 2 ** (e + 25), 'rounded once: up to the next float32');
    assert.equal(Math.fround(R * std + mean), mean, 'the naive double formula is wrong here');
    const words = new Int32Array(16);
    words[0] = w1; // lane 0: u1 from w1, u2 = 0 (theta 0: cos 1, sin 0)
    return { words, w1, mean, std, want };
  };

  for (const { tier, kernels: k, skip } of WASM) {
    it(`${tier}: uniform, x·range + from landing exactly on a float32 midpoint in double`, { skip }, () => {
      const c = uniform();
      const out = new Float32Array(16);
      const before = k!.redone;
      k!.uniformWords(c.words, 1, c.range, out);
      assert.deepEqual(Array.from(out), new Array(16).fill(c.want), tier);
      if (tier === 'emulated') assert.equal(k!.redone - before, 1, 'the block is redone by the scalar code');
    });

    it(`${tier}: normal, radius·std + mean landing exactly on a float32 midpoint in double`, { skip }, () => {
      const c = normal();
      const out = new Float32Array(16);
      k!.normalWords(c.words, c.mean, c.std, out);
      assert.equal(out[0], c.want, `${tier}: w1 = ${c.w1}`);
      assert.equal(out[8], c.mean, `${tier}: sin branch is mean`);
    });
  }
});

describe('exact-mode kernels: whole tensors across chunks and mt19937 states', () => {
  const sizes = [16, 17, 31, 623, 624, 625, 1248, 39936, 39952, 39953, 100_003];
  for (const { tier, skip } of WASM) {
    it(`${tier}: normal_ and uniform_ equal the scalar path, then the same next words`, { skip }, () => {
      for (const [i, n] of sizes.entries()) {
        for (const skip of [0, 5, 623]) {
          const seed = BigInt(1000 + i * 7 + skip);
          const label = `${tier} n=${n} after ${skip} words`;
          const fast = new TorchGenerator(seed, { kernels: tier });
          const slow = new TorchGenerator(seed, { kernels: 'scalar' });
          fast.words(skip);
          slow.words(skip);
          sameBits(fast.normal32(n, 0.25, 1.5), slow.normal32(n, 0.25, 1.5), `${label} normal_`);
          sameBits(fast.uniform32(n, -0.3, 0.7), slow.uniform32(n, -0.3, 0.7), `${label} uniform_`);
          assert.equal(fast.draws, slow.draws, `${label} draws`);
          assert.deepEqual(Array.from(fast.words(700)), Array.from(slow.words(700)), `${label}: next words`);
          // Skipping values (layers nobody looks at) leaves the stream where computing them does.
          fast.skipValues = true;
          assert.equal(fast.normal32(n, 0, 1).length, 0, `${label}: skipped`);
          assert.equal(fast.uniform32(n, 0, 1).length, 0, `${label}: skipped`);
          slow.normal32(n, 0, 1);
          slow.uniform32(n, 0, 1);
          fast.skipValues = false;
          assert.equal(fast.draws, slow.draws, `${label} draws after skipping`);
          assert.deepEqual(Array.from(fast.words(700)), Array.from(slow.words(700)), `${label}: next words after skipping`);
        }
      }
    });
  }
});
