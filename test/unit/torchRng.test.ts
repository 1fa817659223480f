/**
 * The PyTorch CPU generator emulation against ground truth from real PyTorch
 * 1.13.1 (test/fixtures/torch/torch-1.13.1-cpu.json, copied from
 * shared/fixtures; schema in shared/fixtures/README.md): every bit of every
 * value, and the stream position (`next_u32`) after every case.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import type { InitScheme, Nonlinearity, FanMode } from '../../src/core/init/schemes';
import { erfinv32 } from '../../src/core/torch/erf';
import { f32Bits, f64FromHex, f64Hex, fma32, fma64 } from '../../src/core/torch/float';
import { TorchGenerator, storedSeed } from '../../src/core/torch/generator';
import { initTensor } from '../../src/core/torch/init';
import { moduleParameters, torchModule } from '../../src/core/torch/modules';
import { ROOT } from '../host/paths';
import { kernelTiers } from './kernelTiers';

const TIERS = kernelTiers();

interface Rec {
  n: number;
  shape?: number[];
  sum: number;
  wsum: number;
  bits?: number[];
  head?: number[];
  tail?: number[];
}
interface Rec64 {
  n: number;
  hex: string[];
}
type Kw = Record<string, number | string>;
interface Fixture {
  seed_checks: { seed: string; accepted: boolean; initial_seed?: string; next_u32?: number[] }[];
  raw: { seed: string; u32: Rec }[];
  uniform: { seed: string; a: number; b: number; n: number; out: Rec; next_u32: number[] }[];
  normal: { seed: string; mean: number; std: number; n: number; out: Rec; next_u32: number[] }[];
  sequences: { seed: string; name: string; steps: Step[]; next_u32: number[] }[];
  float64: { seed: string; op: 'normal' | 'uniform'; mean?: number; std?: number; a?: number; b?: number; n: number; out: Rec64; next_u32: number[] }[];
  modules: { seed: string; module: string; params: { name: string; out: Rec }[]; next_u32: number[] }[];
  init: { seed: string; fn: string; shape: number[]; kwargs: Kw; out: Rec; next_u32: number[]; stages?: { stage_normal?: Rec; stage_uniform?: Rec; stage_erfinv?: Rec } }[];
}
interface Step {
  op: 'normal' | 'uniform' | 'manual_seed';
  dtype?: 'float32' | 'float64';
  layout?: 'contiguous' | 'transposed' | 'strided';
  view_shape?: number[];
  n?: number;
  mean?: number;
  std?: number;
  a?: number;
  b?: number;
  out?: Rec | Rec64;
}

export const FIXTURE_PATH = path.join(ROOT, 'test/fixtures/torch/torch-1.13.1-cpu.json');
const fx = JSON.parse(fs.readFileSync(FIXTURE_PATH, 'utf8')) as Fixture;

/** Bit patterns of a float32 array. */
function bits(values: Float32Array): Uint32Array {
  return new Uint32Array(values.buffer, values.byteOffset, values.length);
}

/** Every stored pattern equal, plus both checksums over all n values (README "Record"). */
function assertRec(actual: Uint32Array, rec: Rec, label: string): void {
  assert.equal(actual.length, rec.n, `${label}: length`);
  if (rec.bits) {
    const got = Array.from(actual);
    if (got.some((v, i) => v !== rec.bits![i])) {
      const i = got.findIndex((v, k) => v !== rec.bits![k]);
      assert.fail(`${label}: element ${i} is 0x${got[i].toString(16)}, PyTorch 0x${rec.bits[i].toString(16)}`);
    }
  } else {
    assert.deepEqual(Array.from(actual.subarray(0, rec.head!.length)), rec.head, `${label}: head`);
    assert.deepEqual(Array.from(actual.subarray(actual.length - rec.tail!.length)), rec.tail, `${label}: tail`);
  }
  let sum = 0n;
  let wsum = 0n;
  actual.forEach((v, i) => {
    sum += BigInt(v);
    wsum += BigInt(i + 1) * BigInt(v);
  });
  assert.equal(Number(sum & 0xffffffffn), rec.sum, `${label}: sum`);
  assert.equal(Number(wsum & 0xffffffffn), rec.wsum, `${label}: wsum`);
}

/** The fixture reads the next words as `word % (2^32 − 1)`. */
function assertNext(gen: TorchGenerator, expected: number[], label: string): void {
  const got = expected.map(() => gen.random() % 0xffffffff);
  assert.deepEqual(got, expected, `${label}: next_u32 (stream position)`);
}

describe('torch CPU generator: seeding and words', () => {
  it('accepts [-2^63, 2^64-1], stores seed mod 2^64, uses the low 32 bits', () => {
    for (const c of fx.seed_checks) {
      const seed = BigInt(c.seed);
      if (!c.accepted) {
        assert.throws(() => new TorchGenerator(seed), RangeError, c.seed);
        continue;
      }
      assert.equal(storedSeed(seed).toString(), c.initial_seed, c.seed);
      assertNext(new TorchGenerator(seed), c.next_u32!, `seed ${c.seed}`);
    }
  });

  it('reproduces 1250 raw words per seed (three twists), single and bulk', () => {
    for (const c of fx.raw) {
      const one = new TorchGenerator(BigInt(c.seed));
      const single = Uint32Array.from({ length: c.u32.n }, () => one.random() % 0xffffffff);
      assertRec(single, c.u32, `raw ${c.seed}`);
      const bulk = new TorchGenerator(BigInt(c.seed));
      const parts = [bulk.words(3), bulk.words(700), bulk.words(547)];
      const all = Uint32Array.from(parts.flatMap((p) => Array.from(p)), (w) => w % 0xffffffff);
      assertRec(all, c.u32, `raw bulk ${c.seed}`);
    }
  });
});

describe('torch CPU generator: uniform_ and normal_', () => {
  for (const { tier, unavailable } of TIERS) {
    const skip = unavailable && `${tier} kernels unavailable here: ${unavailable}`;
    it(`${tier} kernels: uniform_ float32: ${fx.uniform.length} cases bit for bit`, { skip }, () => {
      for (const c of fx.uniform) {
        const gen = new TorchGenerator(BigInt(c.seed), { kernels: tier });
        const label = `seed ${c.seed} uniform_(${c.a}, ${c.b}) n=${c.n}`;
        assertRec(bits(gen.uniform32(c.n, c.a, c.b)), c.out, label);
        assertNext(gen, c.next_u32, label);
      }
    });

    it(`${tier} kernels: normal_ float32, small and AVX2 paths: ${fx.normal.length} cases bit for bit`, { skip }, () => {
      for (const c of fx.normal) {
        const gen = new TorchGenerator(BigInt(c.seed), { kernels: tier });
        const label = `seed ${c.seed} normal_(${c.mean}, ${c.std}) n=${c.n}`;
        assertRec(bits(gen.normal32(c.n, c.mean, c.std)), c.out, label);
        assertNext(gen, c.next_u32, label);
      }
    });

    it(`${tier} kernels: sequences on one stream (cache, layouts, reseed): ${fx.sequences.length} cases`, { skip }, () => {
      for (const c of fx.sequences) {
        const gen = new TorchGenerator(BigInt(c.seed), { kernels: tier });
        c.steps.forEach((s, k) => {
          const label = `seed ${c.seed} "${c.name}" step ${k}`;
          if (s.op === 'manual_seed') return gen.manualSeed(BigInt(c.seed));
          const n = s.n!;
          if (s.dtype === 'float64') {
            // float64 normals are libm-dependent (spec §5.6): checked for draws only here.
            const v = s.op === 'normal' ? gen.normal64(n, s.mean!, s.std!) : gen.uniform64(n, s.a!, s.b!);
            assert.equal(v.length, n);
            return;
          }
          const contiguous = s.layout === 'contiguous';
          const v = s.op === 'normal' ? gen.normal32(n, s.mean!, s.std!, contiguous) : gen.uniform32(n, s.a!, s.b!);
          // transposed: the per-element path fills the view in memory order of the base, which is what `out` lists.
          assertRec(bits(v), s.out as Rec, label);
        });
        assertNext(gen, c.next_u32, `seed ${c.seed} "${c.name}"`);
      }
    });
  }

  it('float64: uniform_ bit for bit (exact fma64); normal_ draws exact, values within 64 ulp', () => {
    let exactNormals = 0;
    let normals = 0;
    for (const c of fx.float64) {
      const gen = new TorchGenerator(BigInt(c.seed));
      const label = `seed ${c.seed} float64 ${c.op} n=${c.n}`;
      if (c.op === 'uniform') {
        assert.deepEqual(Array.from(gen.uniform64(c.n, c.a!, c.b!), f64Hex), c.out.hex, label);
      } else {
        const v = gen.normal64(c.n, c.mean!, c.std!);
        v.forEach((x, i) => {
          const want = f64FromHex(c.out.hex[i]);
          normals++;
          if (x === want) exactNormals++;
          assert.ok(Math.abs(x - want) <= 64 * Number.EPSILON * Math.max(1, Math.abs(want)), `${label}[${i}]`);
        });
      }
      assertNext(gen, c.next_u32, label);
    }
    // The spec measured 878/920 with JS Math (§10); keep that as a floor.
    assert.ok(exactNormals / normals > 0.9, `${exactNormals}/${normals} float64 normals bit-equal`);
  });
});

describe('exact arithmetic helpers', () => {
  it('fma32 breaks double-rounding ties by the exact sum', () => {
    // a·b = 2^-24 − 2^-60 exactly; + c = 1 + 2^-23 rounds in double onto the float32
    // midpoint 1 + 2^-23 + 2^-24, where ties-to-even would go up. One rounding goes down.
    const a = Math.fround(2 ** -24 * (1 + 2 ** -18));
    const b = Math.fround(1 - 2 ** -18);
    const c = Math.fround(1 + 2 ** -23);
    assert.equal(Math.fround(a * b + c), 1 + 2 ** -22, 'the naive double rounding goes wrong here');
    assert.equal(fma32(a, b, c), 1 + 2 ** -23);
    assert.equal(fma32(-a, b, -c), -(1 + 2 ** -23));
    assert.equal(fma32(3, 5, 7), 22);
  });

  it('fma64 rounds once', () => {
    // (1 + 2^-52)^2 - 1 = 2^-51 + 2^-104: plain arithmetic loses the 2^-104.
    const a = 1 + 2 ** -52;
    assert.equal(fma64(a, a, -1), 2 ** -51 + 2 ** -104);
    assert.equal(fma64(0.1, 10, -1), 5.551115123125783e-17);
    assert.equal(fma64(3, 4, 5), 17);
  });

  it('test vectors of the spec', () => {
    const g = new TorchGenerator(0n);
    assert.deepEqual(Array.from(bits(g.uniform32(3, 0, 1))), [0x3efe1558, 0x3f44aa2f, 0x3db533a8]);
    assert.deepEqual(Array.from(bits(new TorchGenerator(0n).normal32(3, 0, 1))), [0x3fc53f5c, 0xbe963c50, 0xc00b7149]);
    assert.equal(f32Bits(erfinv32(0)), 0);
  });
});

function scheme(fn: string, kw: Kw): InitScheme {
  const n = (k: string, d: number) => (typeof kw[k] === 'number' ? (kw[k] as number) : d);
  switch (fn) {
    case 'uniform_':
      return { kind: 'uniform', a: n('a', 0), b: n('b', 1) };
    case 'normal_':
      return { kind: 'normal', mean: n('mean', 0), std: n('std', 1) };
    case 'xavier_uniform_':
    case 'xavier_normal_':
      return { kind: fn === 'xavier_uniform_' ? 'xavier_uniform' : 'xavier_normal', gain: n('gain', 1) };
    case 'kaiming_uniform_':
    case 'kaiming_normal_':
      return { kind: fn === 'kaiming_uniform_' ? 'kaiming_uniform' : 'kaiming_normal', a: n('a', 0), mode: (kw.mode ?? 'fan_in') as FanMode, nonlinearity: (kw.nonlinearity ?? 'leaky_relu') as Nonlinearity };
    case 'trunc_normal_':
      return { kind: 'trunc_normal', mean: n('mean', 0), std: n('std', 1), a: n('a', -2), b: n('b', 2) };
    case 'orthogonal_':
      return { kind: 'orthogonal', gain: n('gain', 1) };
    case 'sparse_':
      return { kind: 'sparse', sparsity: n('sparsity', 0), std: n('std', 0.01) };
  }
  throw new Error(fn);
}

describe('torch.nn.init on the emulated generator', () => {
  it(`${fx.init.length} init cases: bit for bit (orthogonal_: normal stage exact, Q within 1e-5)`, () => {
    for (const c of fx.init) {
      const gen = new TorchGenerator(BigInt(c.seed));
      const label = `seed ${c.seed} ${c.fn}(${JSON.stringify(c.shape)}, ${JSON.stringify(c.kwargs)})`;
      const t = initTensor(gen, scheme(c.fn, c.kwargs), c.shape);
      if (c.fn === 'orthogonal_') {
        assert.equal(t.exact, false);
        const want = new Float32Array(Uint32Array.from(c.out.bits!).buffer);
        t.values.forEach((v, i) => assert.ok(Math.abs(v - want[i]) <= 1e-5, `${label}[${i}] ${v} vs ${want[i]}`));
        const normal = new TorchGenerator(BigInt(c.seed)).normal32(c.out.n, 0, 1);
        assertRec(bits(normal), c.stages!.stage_normal!, `${label} normal stage`);
      } else {
        assert.equal(t.exact, c.fn !== 'trunc_normal_', label);
        assertRec(bits(t.values), c.out, label);
      }
      assertNext(gen, c.next_u32, label);
    }
  });
});

/** `"LSTM(8,16,num_layers=2)"` → type and arguments (positional numbers, keyword numbers/bools). */
export function parseModuleName(text: string): { type: string; args: (number | boolean)[]; kwargs: Record<string, number | boolean> } {
  const m = /^(\w+)\((.*)\)$/.exec(text)!;
  const args: (number | boolean)[] = [];
  const kwargs: Record<string, number | boolean> = {};
  for (const part of m[2].split(',').filter(Boolean)) {
    const [k, v] = part.includes('=') ? part.split('=') : [undefined, part];
    const value = v === 'True' ? true : v === 'False' ? false : Number(v);
    if (k) kwargs[k] = value;
    else args.push(value);
  }
  return { type: m[1], args, kwargs };
}

describe('module default initialization in construction order', () => {
  it(`${fx.modules.length} module cases: every parameter bit for bit, in named_parameters() order`, () => {
    for (const c of fx.modules) {
      const gen = new TorchGenerator(BigInt(c.seed));
      const label = `seed ${c.seed} ${c.module}`;
      let params;
      if (c.module.startsWith('Sequential(')) {
        // Sequential(Linear(20,64),ReLU(),Linear(64,10)): children built in order, named by index.
        params = [
          ...moduleParameters(gen, 'Linear', { in_features: 20, out_features: 64 }).map((p) => ({ ...p, name: `0.${p.name}` })),
          ...moduleParameters(gen, 'Linear', { in_features: 64, out_features: 10 }).map((p) => ({ ...p, name: `2.${p.name}` })),
        ];
      } else {
        const { type, args, kwargs } = parseModuleName(c.module);
        params = moduleParameters(gen, type, { ...positional(type, args), ...kwargs });
      }
      assert.deepEqual(params.map((p) => p.name), c.params.map((p) => p.name), `${label}: names`);
      params.forEach((p, i) => {
        assert.equal(p.exact, true, `${label} ${p.name}`);
        assertRec(bits(p.values), c.params[i].out, `${label} ${p.name}`);
        assert.deepEqual(p.shape, c.params[i].out.shape, `${label} ${p.name} shape`);
      });
      assertNext(gen, c.next_u32, label);
    }
  });
});

/** Positional arguments named by the layer table's signature (the one the analysis uses). */
function positional(type: string, args: (number | boolean)[]): Record<string, number | boolean> {
  const signature = torchModule(type)!.signature;
  return Object.fromEntries(args.map((v, i) => [signature[i], v]));
}
