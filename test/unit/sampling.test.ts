/**
 * The sampling engine's maths: parameter formulas against values computed
 * independently with Python's `math` (literals below), the generators against
 * reference outputs, and statistical tests whose tolerances follow from the
 * sample size (fixed seeds, so they are deterministic, but they fail as soon as
 * a sampler drifts from its distribution).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KERAS_PRESETS, type InitScheme } from '../../src/core/init/schemes';
import { sampleValues, tallyChunk } from '../../src/core/sampling/chunk';
import { tallyAll } from '../../src/core/sampling/engine';
import { chunkState, nextU32, normalQuantile } from '../../src/core/sampling/prng';
import { planSampling, SamplingError, type SampleRequest } from '../../src/core/sampling/plan';
import { theoryCdf, type Theory } from '../../src/core/sampling/theory';

const close = (actual: number, expected: number, rel = 1e-12) =>
  assert.ok(Math.abs(actual - expected) <= rel * Math.max(1e-300, Math.abs(expected)), `${actual} vs ${expected}`);

/** Kolmogorov–Smirnov distance between the empirical CDF of `xs` and `theory`. */
function ksDistance(xs: Float32Array, theory: Theory): number {
  const sorted = Float64Array.from(xs).sort();
  let d = 0;
  for (let i = 0; i < sorted.length; i++) {
    const f = theoryCdf(theory, sorted[i]);
    d = Math.max(d, Math.abs(f - i / sorted.length), Math.abs((i + 1) / sorted.length - f));
  }
  return d;
}

/** Critical value of the one-sample KS test at α = 0.001 (asymptotic, c(α) = √(−ln(α/2)/2) = 1.949). */
const ksCritical = (n: number) => Math.sqrt(-Math.log(0.001 / 2) / 2) / Math.sqrt(n);

function moments(xs: Float32Array): { mean: number; std: number } {
  let mean = 0;
  for (const x of xs) mean += x;
  mean /= xs.length;
  let m2 = 0;
  for (const x of xs) m2 += (x - mean) ** 2;
  return { mean, std: Math.sqrt(m2 / xs.length) };
}

describe('sampling: parameters resolved for each scheme (Python math literals)', () => {
  const cases: [string, SampleRequest, { std?: number; low?: number; high?: number; mean?: number }][] = [
    ['kaiming_normal relu 256×784', { scheme: { kind: 'kaiming_normal', a: 0, mode: 'fan_in', nonlinearity: 'relu' }, shape: [256, 784], seed: 0 }, { std: 0.05050762722761054 }],
    ['torch Linear default 128×64', { scheme: { kind: 'kaiming_uniform', a: Math.sqrt(5), mode: 'fan_in', nonlinearity: 'leaky_relu' }, shape: [128, 64], seed: 0 }, { high: 0.12499999999999999 }],
    ['kaiming_uniform leaky 0.2 fan_out 40×30', { scheme: { kind: 'kaiming_uniform', a: 0.2, mode: 'fan_out', nonlinearity: 'leaky_relu' }, shape: [40, 30], seed: 0 }, { high: 0.37977726265637496 }],
    ['xavier_uniform 30×20', { scheme: { kind: 'xavier_uniform', gain: 1 }, shape: [30, 20], seed: 0 }, { high: 0.34641016151377546 }],
    ['xavier_normal tanh 16×8×3×3', { scheme: { kind: 'xavier_normal', gain: 5 / 3 }, shape: [16, 8, 3, 3], seed: 0 }, { std: 0.16037507477489607 }],
    ['keras glorot_normal 3×3×64×128', { scheme: KERAS_PRESETS.glorot_normal, shape: [3, 3, 64, 128], framework: 'keras', seed: 0 }, { std: 0.0386763283281072, high: 0.0773526566562144 }],
    ['keras he_uniform 3×3×64×128', { scheme: KERAS_PRESETS.he_uniform, shape: [3, 3, 64, 128], framework: 'keras', seed: 0 }, { high: 0.10206207261596575 }],
    ['keras lecun_normal 100×50', { scheme: KERAS_PRESETS.lecun_normal, shape: [100, 50], framework: 'keras', seed: 0 }, { std: 0.11368472343385565 }],
  ];
  for (const [name, request, expected] of cases) {
    it(name, () => {
      const g = planSampling(request).generator;
      if (expected.std !== undefined) {
        assert.ok(g.kind === 'normal' || g.kind === 'truncated_normal');
        close(g.std, expected.std);
      }
      if (expected.high !== undefined) {
        assert.ok(g.kind === 'uniform' || g.kind === 'truncated_normal');
        close(g.high, expected.high);
        close(g.low, -expected.high);
      }
    });
  }

  it('truncated normals: theoretical std and tail reference mean (Python erf literals)', () => {
    const plan = planSampling({ scheme: { kind: 'trunc_normal', mean: 0.5, std: 1, a: -1, b: 3 }, shape: [10], seed: 0 });
    close(plan.resolved.std, 0.8535532649302375, 1e-6);
    close(plan.reference.mean, 0.6208104992815988, 1e-6);
    const tail = planSampling({ scheme: { kind: 'trunc_normal', mean: 0, std: 1, a: 2.5, b: 3 }, shape: [10], seed: 0 });
    // schemes.ts's Φ (Numerical Recipes erfc, |error| < 1.2e-7) loses digits in Φ(3) − Φ(2.5).
    close(tail.resolved.std, 0.13737114118051216, 1e-4);
    close(tail.reference.mean, 2.6948722621772787, 1e-6);
  });

  it('sparse_, eye_: zero counts and std', () => {
    const sparse = planSampling({ scheme: { kind: 'sparse', sparsity: 0.25, std: 0.01 }, shape: [100, 50], seed: 0 });
    assert.equal(sparse.generator.kind === 'sparse' && sparse.generator.zeros, 25);
    close(sparse.resolved.std, 0.008660254037844387);
    close(planSampling({ scheme: { kind: 'eye' }, shape: [3, 5], seed: 0 }).resolved.std, 0.4);
  });

  it('refuses bad requests with a SamplingError naming the problem', () => {
    const bad: [SampleRequest, RegExp][] = [
      [{ scheme: { kind: 'normal', mean: 0, std: 1 }, shape: [3, 0], seed: 0 }, /positive integers/],
      [{ scheme: { kind: 'normal', mean: 0, std: 1 }, shape: [2.5], seed: 0 }, /positive integers/],
      [{ scheme: { kind: 'normal', mean: 0, std: -1 }, shape: [3], seed: 0 }, /std >= 0/],
      [{ scheme: { kind: 'normal', mean: 0, std: 1 }, shape: [3], seed: -1 }, /seed/],
      [{ scheme: { kind: 'normal', mean: 0, std: 1 }, shape: [3], seed: '18446744073709551616' }, /^seed must be an integer in 0\.\.18446744073709551615, got 18446744073709551616$/],
      [{ scheme: { kind: 'normal', mean: 0, std: 1 }, shape: [3], seed: 0, bins: 0 }, /bins/],
      [{ scheme: { kind: 'kaiming_normal', a: 0, mode: 'fan_in', nonlinearity: 'relu' }, shape: [7], seed: 0 }, /fewer than 2 dimensions/],
      [{ scheme: { kind: 'orthogonal', gain: 1 }, shape: [4096, 4096], seed: 0 }, /^orthogonal_ on 4096×4096 is a dense QR: 68,719,476,736 multiply-adds is above the limit of 268,435,456 multiply-adds/],
      // 2^30 elements are allowed (README: nn.Embedding's 250000×4096), one more is refused before any work.
      [{ scheme: { kind: 'normal', mean: 0, std: 1 }, shape: [2 ** 30 + 1], seed: 0 }, /^shape 1073741825: 1,073,741,825 elements is above the limit of 1,073,741,824 elements for a sampled tensor$/],
    ];
    for (const [request, message] of bad) assert.throws(() => planSampling(request), (e: unknown) => e instanceof SamplingError && message.test(e.message));
    assert.equal(planSampling({ scheme: { kind: 'zeros' }, shape: [1], seed: '18446744073709551615' }).seed, 2n ** 64n - 1n);
  });
});

describe('sampling: generators', () => {
  it('xoshiro128** matches the reference output for state {1, 2, 3, 4}', () => {
    const s = new Int32Array([1, 2, 3, 4]);
    assert.deepEqual(Array.from({ length: 6 }, () => nextU32(s)), [11520, 0, 5927040, 70819200, 2031721883, 1637235492]);
  });

  it('chunk states come from SplitMix64 (Python reference for seed 0, chunk 0) and differ per chunk and seed', () => {
    assert.deepEqual(Array.from(chunkState(0n, 0)), [-1581685260, 1853398634, -255624192, 1186414201]);
    const states = new Set([0n, 1n, 2n ** 64n - 1n].flatMap((seed) => [0, 1, 2, 1000].map((c) => chunkState(seed, c).join(','))));
    assert.equal(states.size, 12);
  });

  it('normalQuantile agrees with Python statistics.NormalDist().inv_cdf', () => {
    close(normalQuantile(0.975), 1.9599639845400536, 1e-14);
    close(normalQuantile(1e-10), -6.361340902404056, 1e-14);
    close(normalQuantile(0.3), -0.5244005127080407, 1e-14);
    close(normalQuantile(0.999999), 4.753424308817089, 1e-14);
  });
});

describe('sampling: distributions (n = 200 000, fixed seeds, tolerances from n)', () => {
  const n = 200_000;
  const schemes: [string, InitScheme, 'torch' | 'keras', number[], number][] = [
    // name, scheme, framework, shape, kurtosis μ4/σ⁴ (for the std tolerance)
    ['normal', { kind: 'normal', mean: 0.3, std: 2 }, 'torch', [400, 500], 3],
    ['kaiming_uniform', { kind: 'kaiming_uniform', a: Math.sqrt(5), mode: 'fan_in', nonlinearity: 'leaky_relu' }, 'torch', [400, 500], 1.8],
    ['keras he_normal (±2σ rejection)', KERAS_PRESETS.he_normal, 'keras', [400, 500], 3],
    ['trunc_normal asymmetric', { kind: 'trunc_normal', mean: 0.5, std: 1, a: -1, b: 3 }, 'torch', [400, 500], 3],
    ['trunc_normal far tail (inverse CDF)', { kind: 'trunc_normal', mean: 0, std: 1, a: 2.5, b: 3 }, 'torch', [400, 500], 3],
  ];
  for (const [name, scheme, framework, shape, kurtosis] of schemes) {
    it(name, () => {
      for (const seed of [0, 12345]) {
        const plan = planSampling({ scheme, shape, framework, seed });
        const xs = sampleValues(plan, n);
        const sigma = plan.resolved.std;
        const { mean, std } = moments(xs);
        // Mean within 5 standard errors; std within 5 standard errors of s, √((κ−1)/(4n))·σ.
        assert.ok(Math.abs(mean - plan.reference.mean) < (5 * sigma) / Math.sqrt(n), `${name} seed ${seed}: mean ${mean} vs ${plan.reference.mean}`);
        assert.ok(Math.abs(std - sigma) < 5 * sigma * Math.sqrt((kurtosis - 1) / (4 * n)), `${name} seed ${seed}: std ${std} vs ${sigma}`);
        const d = ksDistance(xs, plan.theory);
        assert.ok(d < ksCritical(n), `${name} seed ${seed}: KS distance ${d} ≥ ${ksCritical(n)}`);
        const g = plan.generator;
        if (g.kind === 'truncated_normal' || g.kind === 'uniform') {
          let min = Infinity;
          let max = -Infinity;
          for (const x of xs) {
            min = Math.min(min, x);
            max = Math.max(max, x);
          }
          assert.ok(min >= Math.fround(g.low) && max <= Math.fround(g.high), `${name}: [${min}, ${max}] outside [${g.low}, ${g.high}]`);
        }
      }
    });
  }

  it('a KS test on this engine does reject the wrong distribution (the test has power)', () => {
    const plan = planSampling({ scheme: { kind: 'normal', mean: 0, std: 1 }, shape: [n], seed: 0 });
    const xs = sampleValues(plan, n);
    assert.ok(ksDistance(xs, { kind: 'normal', mean: 0, std: 1.02 }) > ksCritical(n));
    assert.ok(ksDistance(xs, { kind: 'uniform', low: -2, high: 2, mean: 0, std: 1 }) > ksCritical(n));
  });

  it('the streaming tally equals a direct computation over the same values', () => {
    const plan = planSampling({ scheme: { kind: 'normal', mean: 0, std: 1 }, shape: [3, 100_000], seed: 7, bins: 16 });
    const xs = sampleValues(plan, plan.count);
    const tally = tallyAll(plan);
    const { mean, std } = moments(xs);
    close(tally.moments.mean, mean, 1e-9);
    close(Math.sqrt(tally.moments.m2 / tally.moments.count), std, 1e-9);
    const counts = new Array(18).fill(0);
    for (const x of xs) {
      const f = (x + 4) * 2;
      counts[f < 0 ? 0 : f < 16 ? Math.floor(f) + 1 : 17]++;
    }
    assert.deepEqual(Array.from(tally.counts), counts);
    assert.equal(tally.beyond2, xs.filter((x) => Math.abs(x) > 2).length);
    assert.equal(tally.beyond3, xs.filter((x) => Math.abs(x) > 3).length);
  });
});

describe('sampling: structured schemes', () => {
  it('eye_ and dirac_ are binned exactly and their values are the identity', () => {
    const eye = planSampling({ scheme: { kind: 'eye' }, shape: [3, 5], seed: 0, bins: 2 });
    assert.deepEqual(Array.from(sampleValues(eye, 15)), [1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0]);
    assert.deepEqual(Array.from(tallyAll(eye).counts), [0, 12, 3, 0]);
    // Conv2d(4 → 6 channels, 3×3), 2 groups: out/group 3, min(3, in 6)... in = 6 here.
    const dirac = planSampling({ scheme: { kind: 'dirac', groups: 2 }, shape: [6, 6, 3, 3], seed: 0, bins: 2 });
    const values = sampleValues(dirac, dirac.count);
    const ones = [...values.keys()].filter((i) => values[i] === 1);
    // torch: out g*3+d, in d, centre (1,1) → ((o*6 + d)*9 + 4), d < 3.
    assert.deepEqual(ones, [0, 1, 2, 3, 4, 5].map((o) => (o * 6 + (o % 3)) * 9 + 4));
    assert.deepEqual(Array.from(tallyAll(dirac).counts), [0, 6 * 6 * 9 - 6, 6, 0]);
  });

  it('orthogonal_ yields orthonormal rows (wide) and columns (tall), times gain', () => {
    for (const shape of [
      [20, 50],
      [50, 20],
    ]) {
      const plan = planSampling({ scheme: { kind: 'orthogonal', gain: 2 }, shape, seed: 3 });
      const q = sampleValues(plan, plan.count);
      const [rows, cols] = shape;
      const wide = rows < cols;
      const k = Math.min(rows, cols);
      for (let i = 0; i < k; i++) {
        for (let j = 0; j < k; j++) {
          let dot = 0;
          for (let t = 0; t < Math.max(rows, cols); t++) dot += wide ? q[i * cols + t] * q[j * cols + t] : q[t * cols + i] * q[t * cols + j];
          // float32 entries: orthonormal to about 1e-6.
          assert.ok(Math.abs(dot - (i === j ? 4 : 0)) < 1e-5, `${shape}: <${i},${j}> = ${dot}`);
        }
      }
      const t = tallyChunk(plan, 0);
      close(Math.sqrt(t.moments.m2 / t.moments.count + t.moments.mean ** 2), plan.resolved.std, 1e-5);
    }
  });

  it('sparse_ zeroes exactly ceil(sparsity·rows) entries per column, the rest N(0, std)', () => {
    const plan = planSampling({ scheme: { kind: 'sparse', sparsity: 0.3, std: 0.5 }, shape: [101, 40], seed: 9 });
    const values = sampleValues(plan, plan.count);
    for (let c = 0; c < 40; c++) {
      let zeros = 0;
      for (let r = 0; r < 101; r++) zeros += values[r * 40 + c] === 0 ? 1 : 0;
      assert.equal(zeros, 31, `column ${c}`);
    }
    const tally = tallyAll(plan);
    assert.equal(tally.moments.count, 101 * 40);
    // The histogram and the values are the same tensor: same mean to rounding.
    close(tally.moments.mean, values.reduce((a, b) => a + b, 0) / values.length, 1e-9);
    const nonzero = Float32Array.from(values.filter((x) => x !== 0));
    assert.ok(ksDistance(nonzero, { kind: 'normal', mean: 0, std: 0.5 }) < ksCritical(nonzero.length));
  });

  it('constants are a single spike', () => {
    const plan = planSampling({ scheme: { kind: 'constant', value: 0.25 }, shape: [1000, 1000], seed: 0, bins: 10 });
    const t = tallyAll(plan);
    assert.equal(t.counts.reduce((a, b) => a + b, 0), 1e6);
    assert.equal(t.counts.filter((c) => c > 0).length, 1);
    assert.equal(t.moments.min, 0.25);
    assert.equal(t.moments.m2, 0);
  });
});
