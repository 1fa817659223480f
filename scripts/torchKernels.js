// Generates and assembles the WebAssembly SIMD kernels of exact mode
// (src/core/torch/kernels.ts): PyTorch's AVX2 `normal_fill_16` and the fused
// float32 `uniform_`, bit for bit (shared/spec/torch-cpu-rng.md §4.1, §5.3,
// §5.4). esbuild.js embeds both modules through the virtual import
// `initlens:torch-kernels`; `node scripts/torchKernels.js fused|emulated`
// prints a module's text.
//
// Two modules, the same exports:
//
// fused    float32 lanes (f32x4) and `f32x4.relaxed_madd` for every fused
//          multiply-add, i.e. the AVX2 kernel transliterated. Relaxed SIMD
//          lets an engine fuse or not; V8 fuses on CPUs with FMA3. Every call
//          first checks that it fuses (a product whose fused and unfused
//          results differ) and returns -1 otherwise, so the caller falls back.
//
// emulated plain SIMD for engines or CPUs without a fusing relaxed_madd.
//          Every float32 value is held in a double (f64x2). A float32
//          operation is the double operation then R(·), rounding to float32
//          and back. Products of two float32 are exact in double, so
//          R(a·b + c) is a fused multiply-add with one extra (double)
//          rounding, which can only matter when the double sum lands exactly
//          on a float32 midpoint (spec §4.2):
//          - inside log256 and sincos256 it never does: their inputs are the
//            2^24 possible 24-bit uniforms, and test/unit/torchKernels.test.ts
//            checks all 2^24 of each against the scalar emulation;
//          - the final `z·std + mean` and the uniform `x·range + from` depend
//            on the user's arguments, so the kernel checks each such sum
//            (midpoint and inexact, or in float32's subnormal range) and lists
//            the 16-element blocks to redo with the scalar code.
//
// Interface (both modules; byte addresses into the exported memory):
//   mt(state, out, batches, temper): whole mt19937 states of words (see mtFunction).
//   normal(words, out, blocks, mean, std, flags, parts) -> count
//     `blocks` × 16 words -> `blocks` × 16 float32 (fill16 of spec §5.4), or
//     with parts = 1, `blocks` × 24 float32: radius[8], cos[8], sin[8].
//   uniform(words, out, blocks, from, range, flags) -> count
//     fma32(x, range, from), x = (word & 0xFFFFFF)·2^-24 (spec §4.1).
//   count: how many block indices were written to `flags` (int32) for an
//   exact scalar redo; -1 when the fused module finds relaxed_madd unfused.
//   Bytes 0..47 of memory hold the fused module's probe: a, c and the fused
//   result of a·a + c (written by kernels.ts), read rather than built in so
//   that no compiler can fold it.
'use strict';

const f32 = Math.fround;
// A float32 is a double, and 17 significant digits round-trip a double exactly.
const lit = (x) => {
  if (!Number.isFinite(x)) throw new Error(`constant ${x}`);
  return x.toPrecision(17);
};
const f64c = (x) => `(v128.const f64x2 ${lit(x)} ${lit(x)})`;
const i64c = (x) => `(v128.const i64x2 ${x} ${x})`;
const i32c = (x) => `(v128.const i32x4 ${x} ${x} ${x} ${x})`;
const and = (a, b) => `(v128.and ${a} ${b})`;
const or = (a, b) => `(v128.or ${a} ${b})`;
const xor = (a, b) => `(v128.xor ${a} ${b})`;
const andnot = (a, b) => `(v128.andnot ${a} ${b})`;

// avx_mathfun.h constants as float32 (spec §5.4 table).
const C = {
  SQRTHF: f32(0.707106781186547524),
  P: [7.0376836292e-2, -1.151461031e-1, 1.167699874e-1, -1.2420140846e-1, 1.4249322787e-1, -1.6668057665e-1, 2.0000714765e-1, -2.4999993993e-1, 3.3333331174e-1].map(f32),
  Q1: f32(-2.1219444e-4),
  Q2: f32(0.693359375),
  FOPI: f32(1.27323954473516),
  DP1: f32(-0.78515625),
  DP2: f32(-2.4187564849853515625e-4),
  DP3: f32(-3.77489497744594108e-8),
  S0: f32(-1.9515295891e-4),
  S1: f32(8.3321608736e-3),
  S2: f32(-1.6666654611e-1),
  C0: f32(2.443315711809948e-5),
  C1: f32(-1.388731625493765e-3),
  C2: f32(4.166664568298827e-2),
  TWO_PI: f32(2 * Math.PI),
};

/**
 * The float32 arithmetic of the two modules. Rounded operations (mul, add,
 * sub, fma, sqrt) round to float32 once like PyTorch's; `exact*` are for
 * operations whose float32 result is exact (no rounding to emulate).
 */
const FUSED = {
  lanes: 4,
  c: (x) => `(v128.const f32x4 ${lit(f32(x))} ${lit(f32(x))} ${lit(f32(x))} ${lit(f32(x))})`,
  mul: (a, b) => `(f32x4.mul ${a} ${b})`,
  add: (a, b) => `(f32x4.add ${a} ${b})`,
  sub: (a, b) => `(f32x4.sub ${a} ${b})`,
  fma: (a, b, c) => `(f32x4.relaxed_madd ${a} ${b} ${c})`,
  sqrt: (a) => `(f32x4.sqrt ${a})`,
  neg: (a) => `(f32x4.neg ${a})`,
  lt: (a, b) => `(f32x4.lt ${a} ${b})`,
  /** int32 lanes to float (exact below 2^24). */
  fromInt: (i) => `(f32x4.convert_i32x4_s ${i})`,
  truncToInt: (a) => `(i32x4.trunc_sat_f32x4_s ${a})`,
  /** e0 = k + 1 and the mantissa m in [0.5, 1) of u1 = 1.f·2^k, from the float32 bits (avx_mathfun's frexp). */
  frexp(let_, v) {
    let_('e0', this.add(this.fromInt(`(i32x4.sub (i32x4.shr_u ${v('u1')} (i32.const 23)) ${i32c(0x7f)})`), this.c(1)));
    let_('m', or(and(v('u1'), i32c(0x807fffff)), i32c(0x3f000000)));
  },
  /** Sign-bit masks from the int32 octant j: swap (j & 4), cos sign (~(j − 2) & 4); poly mask (j & 2) == 0. */
  octantMasks(let_, v) {
    let_('swapM', `(i32x4.shl ${and(v('j'), i32c(4))} (i32.const 29))`);
    let_('polyM', `(i32x4.eq ${and(v('j'), i32c(2))} ${i32c(0)})`);
    let_('signCM', `(i32x4.shl ${andnot(i32c(4), `(i32x4.sub ${v('j')} ${i32c(2)})`)} (i32.const 29))`);
  },
};
FUSED.exactMul = FUSED.mul;
FUSED.exactAdd = FUSED.add;
FUSED.exactSub = FUSED.sub;

/** Round a double to float32 and back. */
const R = (e) => `(f64x2.promote_low_f32x4 (f32x4.demote_f64x2_zero ${e}))`;

const EMULATED = {
  lanes: 2,
  c: f64c,
  exactMul: (a, b) => `(f64x2.mul ${a} ${b})`,
  exactAdd: (a, b) => `(f64x2.add ${a} ${b})`,
  exactSub: (a, b) => `(f64x2.sub ${a} ${b})`,
  mul: (a, b) => R(EMULATED.exactMul(a, b)),
  add: (a, b) => R(EMULATED.exactAdd(a, b)),
  sub: (a, b) => R(EMULATED.exactSub(a, b)),
  // The product of two float32 is exact in double: one double rounding, then float32's.
  fma: (a, b, c) => R(EMULATED.exactAdd(EMULATED.exactMul(a, b), c)),
  sqrt: (a) => R(`(f64x2.sqrt ${a})`),
  neg: (a) => `(f64x2.neg ${a})`,
  lt: (a, b) => `(f64x2.lt ${a} ${b})`,
  /** The two low int32 lanes to double. */
  fromInt: (i) => `(f64x2.convert_low_i32x4_s ${i})`,
  truncToInt: (a) => `(i32x4.trunc_sat_f64x2_s_zero ${a})`,
  /** The same from the double's bits: e0 = (2^52 + 1023 + k) − (2^52 + 1022). */
  frexp(let_, v) {
    let_('e0', this.exactSub(or(`(i64x2.shr_u ${v('u1')} (i32.const 52))`, i64c('0x4330000000000000')), this.c(2 ** 52 + 1022)));
    let_('m', or(and(v('u1'), i64c('0x000fffffffffffff')), i64c('0x3fe0000000000000')));
  },
  /** The same masks on 64-bit lanes: bit 2 of j shifted to bit 63. */
  octantMasks(let_, v) {
    const SIGN = i64c('0x8000000000000000');
    let_('j64', `(i64x2.extend_low_i32x4_s ${v('j')})`);
    let_('swapM', and(`(i64x2.shl ${v('j64')} (i32.const 61))`, SIGN));
    let_('polyM', `(i64x2.eq ${and(v('j64'), i64c(2))} ${i64c(0)})`);
    let_('signCM', and(`(i64x2.shl (v128.not (i64x2.sub ${v('j64')} ${i64c(2)})) (i32.const 61))`, SIGN));
  },
};

/**
 * One lane group of fill16 (spec §5.4) in dialect `D`, on the words `w1`
 * (u1) and `w2` (u2): [name, expression] statements in SSA form, `v(name)`
 * reading a value back. Ends with radius, sn and cs.
 */
function fill16Lane(D, v, w1, w2) {
  const statements = [];
  const let_ = (name, expr) => statements.push([name, expr]);
  const uniform = (w) => D.exactMul(D.fromInt(w), D.c(2 ** -24)); // q·2^-24, exact
  // log256(u1), u1 = 1 ⊖ x = q·2^-24 with q in [1, 2^24].
  let_('u1', uniform(`(i32x4.sub ${i32c(0x1000000)} ${and(w1, i32c(0xffffff))})`));
  D.frexp(let_, v);
  let_('lt', D.lt(v('m'), D.c(C.SQRTHF)));
  let_('e', D.exactSub(v('e0'), and(v('lt'), D.c(1))));
  let_('x', D.exactAdd(D.exactSub(v('m'), D.c(1)), and(v('lt'), v('m')))); // 2m − 1 or m − 1
  let_('z', D.mul(v('x'), v('x')));
  let_('y0', D.fma(D.c(C.P[0]), v('x'), D.c(C.P[1])));
  for (let k = 2; k <= 8; k++) let_(`y${k - 1}`, D.fma(v(`y${k - 2}`), v('x'), D.c(C.P[k])));
  let_('y8', D.mul(v('y7'), v('x')));
  let_('y9', D.fma(v('y8'), v('z'), D.mul(v('e'), D.c(C.Q1))));
  let_('y10', D.sub(v('y9'), D.exactMul(v('z'), D.c(0.5))));
  let_('lg', D.fma(v('e'), D.c(C.Q2), D.add(v('x'), v('y10'))));
  let_('radius', D.sqrt(D.exactMul(v('lg'), D.c(-2))));
  // theta = TWO_PI ⊗ u2 in [0, 2π), then sincos256.
  let_('th', D.mul(D.c(C.TWO_PI), uniform(and(w2, i32c(0xffffff)))));
  let_('j', and(`(i32x4.add ${D.truncToInt(D.mul(v('th'), D.c(C.FOPI)))} ${i32c(1)})`, i32c(-2)));
  let_('jy', D.fromInt(v('j')));
  D.octantMasks(let_, v);
  let_('r1', D.fma(v('jy'), D.c(C.DP1), v('th')));
  let_('r2', D.fma(v('jy'), D.c(C.DP2), v('r1')));
  let_('r', D.fma(v('jy'), D.c(C.DP3), v('r2')));
  let_('zz', D.mul(v('r'), v('r')));
  let_('c1', D.fma(D.c(C.C0), v('zz'), D.c(C.C1)));
  let_('c2', D.fma(v('c1'), v('zz'), D.c(C.C2)));
  let_('c3', D.mul(v('c2'), v('zz')));
  let_('c4', D.fma(v('c3'), v('zz'), D.neg(D.exactMul(v('zz'), D.c(0.5)))));
  let_('yc', D.add(v('c4'), D.c(1)));
  let_('s1', D.fma(D.c(C.S0), v('zz'), D.c(C.S1)));
  let_('s2', D.fma(v('s1'), v('zz'), D.c(C.S2)));
  let_('s3', D.mul(v('s2'), v('zz')));
  let_('ys', D.fma(v('s3'), v('r'), v('r')));
  // The SIMD masks' selection (an unselected polynomial counts as +0); exact.
  let_('t2', and(v('ys'), v('polyM')));
  let_('t1', andnot(v('yc'), v('polyM')));
  let_('sn', xor(D.exactAdd(v('t1'), v('t2')), v('swapM')));
  let_('cs', xor(D.exactAdd(D.exactSub(v('yc'), v('t1')), D.exactSub(v('ys'), v('t2'))), v('signCM')));
  return statements;
}

/**
 * All-ones lanes where the double `s = p + c` may not round to float32 like
 * one fused rounding: `s` is exactly a float32 midpoint ((bits & 0x1FFFFFFF)
 * == 0x10000000) and inexact (TwoSum error ≠ 0), or |s| < 2^-125 where
 * float32 subnormals have their midpoints elsewhere.
 */
function suspicious(s, p, c) {
  const midpoint = `(i64x2.eq ${and(s, i64c(0x1fffffff))} ${i64c(0x10000000)})`;
  const { exactAdd: add, exactSub: sub } = EMULATED;
  const bv = sub(s, p);
  const error = add(sub(p, sub(s, bv)), sub(c, bv)); // TwoSum: p + c = s + error
  const inexact = `(f64x2.ne ${error} ${f64c(0)})`;
  return or(and(midpoint, inexact), `(f64x2.lt (f64x2.abs ${s}) ${f64c(2 ** -125)})`);
}

// ------------------------------------------------------------------- mt19937

const UPPER = 0x80000000 | 0;
const LOWER = 0x7fffffff;
const MATRIX = 0x9908b0df | 0;

/**
 * One twist step at byte address $p: mt[k] = mt[k + from] ^ (y >>> 1) ^
 * (MATRIX if y odd), y = upper bit of mt[k] | lower bits of mt[k + next];
 * `vector` does four consecutive k at once.
 */
function twistStep(vector, from, next = 1) {
  const at = (words) => `(i32.add (local.get $p) (i32.const ${4 * words}))`;
  if (vector) {
    return `${IND}  (local.set $y (v128.or (v128.and (v128.load (local.get $p)) ${i32c(UPPER)}) (v128.and (v128.load ${at(next)}) ${i32c(LOWER)})))
${IND}  (v128.store (local.get $p) (v128.xor (v128.xor (v128.load ${at(from)}) (i32x4.shr_u (local.get $y) (i32.const 1))) (v128.and (i32x4.neg (v128.and (local.get $y) ${i32c(1)})) ${i32c(MATRIX)})))`;
  }
  return `${IND}  (local.set $x (i32.or (i32.and (i32.load (local.get $p)) (i32.const ${UPPER})) (i32.and (i32.load ${at(next)}) (i32.const ${LOWER}))))
${IND}  (i32.store (local.get $p) (i32.xor (i32.xor (i32.load ${at(from)}) (i32.shr_u (local.get $x) (i32.const 1))) (i32.and (i32.sub (i32.const 0) (i32.and (local.get $x) (i32.const 1))) (i32.const ${MATRIX}))))`;
}

/** A loop of twist steps over k in [from, to) (byte address $p), `step` words at a time. */
function twistLoop(from, to, offset, vector) {
  const step = vector ? 4 : 1;
  return `${IND}(local.set $p (i32.add (local.get $s) (i32.const ${4 * from})))
${IND}(loop $k${from}
${twistStep(vector, offset)}
${IND}  (local.set $p (i32.add (local.get $p) (i32.const ${4 * step})))
${IND}  (br_if $k${from} (i32.lt_u (local.get $p) (i32.add (local.get $s) (i32.const ${4 * to})))))`;
}

/**
 * mt(state, out, batches, temper): `batches` × (twist the 624-word state in
 * place, then, if `temper`, temper all 624 words to `out`), i.e. the next
 * 624·batches words of the stream (or skipping them) when the JS engine has
 * used up its current state (spec §3).
 * Four words per step; in the second loop the words read at k − 227 were
 * replaced at least 227 steps earlier, as the in-place order requires.
 */
function mtFunction() {
  const lines = [
    twistLoop(0, 224, 397, true),
    twistLoop(224, 227, 397, false),
    twistLoop(227, 623, -227, true),
    // k = 623 pairs with mt[0], already replaced.
    `${IND}(local.set $p (i32.add (local.get $s) (i32.const ${4 * 623})))`,
    twistStep(false, -227, -623),
  ];
  return `  (func (export "mt") (param $s i32) (param $o i32) (param $batches i32) (param $temper i32)
    (local $y v128) (local $x i32) (local $p i32) (local $q i32)
    (block $done
      (loop $next
        (br_if $done (i32.eqz (local.get $batches)))
${lines.join('\n')}
        (if (local.get $temper) (then
        (local.set $p (local.get $s))
        (local.set $q (local.get $o))
        (loop $temper
          (local.set $y (v128.load (local.get $p)))
          (local.set $y (v128.xor (local.get $y) (i32x4.shr_u (local.get $y) (i32.const 11))))
          (local.set $y (v128.xor (local.get $y) (v128.and (i32x4.shl (local.get $y) (i32.const 7)) ${i32c(0x9d2c5680 | 0)})))
          (local.set $y (v128.xor (local.get $y) (v128.and (i32x4.shl (local.get $y) (i32.const 15)) ${i32c(0xefc60000 | 0)})))
          (v128.store (local.get $q) (v128.xor (local.get $y) (i32x4.shr_u (local.get $y) (i32.const 18))))
          (local.set $p (i32.add (local.get $p) (i32.const 16)))
          (local.set $q (i32.add (local.get $q) (i32.const 16)))
          (br_if $temper (i32.lt_u (local.get $p) (i32.add (local.get $s) (i32.const 2496)))))))
        (local.set $o (i32.add (local.get $o) (i32.const 2496)))
        (local.set $batches (i32.sub (local.get $batches) (i32.const 1)))
        (br $next))))`;
}

// ------------------------------------------------------------------- functions

const IND = '        ';

/** Statement k of every lane group, then k + 1: independent chains overlap. */
function interleave(groups) {
  const out = [];
  for (let k = 0; k < groups[0].length; k++) for (const g of groups) out.push(g[k]);
  return out;
}

/** `(local.set $name_g expr)` lines for lane groups 0..n-1 and the locals they need. */
function lanes(n, lane, load) {
  const names = new Set();
  const groups = [];
  for (let g = 0; g < n; g++) {
    const v = (name) => `(local.get $${name}_${g})`;
    groups.push(
      lane(v, load(g, 0), load(g, 1)).map(([name, e]) => {
        names.add(name);
        return `${IND}(local.set $${name}_${g} ${e})`;
      }),
    );
  }
  const locals = [];
  for (let g = 0; g < n; g++) for (const name of names) locals.push(`(local $${name}_${g} v128)`);
  return { lines: interleave(groups), locals };
}

/** Appends a block index to `flags` when `cond` (an i32) holds. */
const flagBlock = (cond) => `${IND}(if ${cond}
          (then
            (i32.store (i32.add (local.get $flags) (i32.shl (local.get $count) (i32.const 2))) (local.get $b))
            (local.set $count (i32.add (local.get $count) (i32.const 1)))))`;

/** The loop shared by both functions: `body` per block, pointers advanced by 64 bytes of words. */
const blockLoop = (body) => `    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $b) (local.get $blocks)))
${body}
        (local.set $w (i32.add (local.get $w) (i32.const 64)))
        (local.set $b (i32.add (local.get $b) (i32.const 1)))
        (br $next)))
    (local.get $count)`;

const probeCheck = `    (if (i32.eqz (i32x4.all_true (f32x4.eq (f32x4.relaxed_madd (v128.load (i32.const 0)) (v128.load (i32.const 0)) (v128.load (i32.const 16))) (v128.load (i32.const 32)))))
      (then (return (i32.const -1))))`;

/**
 * The `normal` function around a module's lane code: `prologue` (splats,
 * probe), then per block `body` and either the `parts` stores or the `outs`.
 */
const normalFunction = ({ locals, prologue, body, parts, outs }) => `  (func (export "normal") (param $w i32) (param $d i32) (param $blocks i32) (param $mean32 f32) (param $std32 f32) (param $flags i32) (param $parts i32) (result i32)
    (local $mean v128) (local $std v128) (local $b i32) (local $count i32)
    ${locals.join(' ')}
${prologue}
${blockLoop(`${body.join('\n')}
        (if (local.get $parts)
          (then
${parts.join('\n')}
            (local.set $d (i32.add (local.get $d) (i32.const 96))))
          (else
${outs.join('\n')}
            (local.set $d (i32.add (local.get $d) (i32.const 64)))))`)})`;

/** The `uniform` function: `prologue`, then `body` per block of 16 words. */
const uniformFunction = ({ locals, prologue, body }) => `  (func (export "uniform") (param $w i32) (param $d i32) (param $blocks i32) (param $from32 f32) (param $range32 f32) (param $flags i32) (result i32)
    (local $from v128) (local $range v128) (local $b i32) (local $count i32)
    ${locals.join(' ')}
${prologue}
${blockLoop(`${body.join('\n')}
        (local.set $d (i32.add (local.get $d) (i32.const 64)))`)})`;

const moduleText = (name, what, normal, uniform) => `;; Generated by scripts/torchKernels.js (${name}): PyTorch CPU normal_/uniform_, ${what}.
(module
  (memory (export "memory") 1)
${mtFunction()}
${normalFunction(normal)}
${uniformFunction(uniform)})
`;

function fusedModule() {
  // Two groups of four lanes per 16-element block.
  const { lines, locals } = lanes(2, (v, w1, w2) => fill16Lane(FUSED, v, w1, w2), (g, hi) => `(v128.load offset=${16 * g + 32 * hi} (local.get $w))`);
  const outs = [];
  const parts = [];
  for (let g = 0; g < 2; g++) {
    const v = (name) => `(local.get $${name}_${g})`;
    outs.push(`${IND}  (v128.store offset=${16 * g} (local.get $d) ${FUSED.fma(FUSED.mul(v('radius'), v('cs')), '(local.get $std)', '(local.get $mean)')})`);
    outs.push(`${IND}  (v128.store offset=${16 * g + 32} (local.get $d) ${FUSED.fma(FUSED.mul(v('radius'), v('sn')), '(local.get $std)', '(local.get $mean)')})`);
    parts.push(`${IND}  (v128.store offset=${16 * g} (local.get $d) ${v('radius')})`);
    parts.push(`${IND}  (v128.store offset=${16 * g + 32} (local.get $d) ${v('cs')})`);
    parts.push(`${IND}  (v128.store offset=${16 * g + 64} (local.get $d) ${v('sn')})`);
  }
  const uniformLines = [];
  for (let g = 0; g < 4; g++) {
    const x = FUSED.exactMul(FUSED.fromInt(and(`(v128.load offset=${16 * g} (local.get $w))`, i32c(0xffffff))), FUSED.c(2 ** -24));
    uniformLines.push(`${IND}(v128.store offset=${16 * g} (local.get $d) ${FUSED.fma(x, '(local.get $range)', '(local.get $from)')})`);
  }
  const splat = (local) => `    (local.set $${local} (f32x4.splat (local.get $${local}32)))`;
  return moduleText(
    'fused',
    'relaxed SIMD',
    { locals, prologue: [probeCheck, splat('mean'), splat('std')].join('\n'), body: lines, parts, outs },
    { locals: [], prologue: [probeCheck, splat('from'), splat('range')].join('\n'), body: uniformLines },
  );
}

function emulatedModule() {
  // Four groups of two lanes per 16-element block.
  const { lines, locals } = lanes(4, (v, w1, w2) => fill16Lane(EMULATED, v, w1, w2), (g, hi) => `(v128.load64_zero offset=${8 * g + 32 * hi} (local.get $w))`);
  const outs = [];
  const stores = [];
  const parts = [];
  for (let g = 0; g < 4; g++) {
    const v = (name) => `(local.get $${name}_${g})`;
    for (const [k, trig] of [[1, 'cs'], [2, 'sn']]) {
      outs.push(`${IND}  (local.set $p${k}_${g} ${EMULATED.exactMul(EMULATED.mul(v('radius'), v(trig)), '(local.get $std)')})`);
      outs.push(`${IND}  (local.set $o${k}_${g} ${EMULATED.exactAdd(v(`p${k}`), '(local.get $mean)')})`);
      outs.push(`${IND}  (local.set $bad ${or('(local.get $bad)', suspicious(v(`o${k}`), v(`p${k}`), '(local.get $mean)'))})`);
      locals.push(`(local $p${k}_${g} v128) (local $o${k}_${g} v128)`);
    }
    stores.push(`${IND}  (v128.store64_lane offset=${8 * g} 0 (local.get $d) (f32x4.demote_f64x2_zero ${v('o1')}))`);
    stores.push(`${IND}  (v128.store64_lane offset=${8 * g + 32} 0 (local.get $d) (f32x4.demote_f64x2_zero ${v('o2')}))`);
    parts.push(`${IND}  (v128.store64_lane offset=${8 * g} 0 (local.get $d) (f32x4.demote_f64x2_zero ${v('radius')}))`);
    parts.push(`${IND}  (v128.store64_lane offset=${8 * g + 32} 0 (local.get $d) (f32x4.demote_f64x2_zero ${v('cs')}))`);
    parts.push(`${IND}  (v128.store64_lane offset=${8 * g + 64} 0 (local.get $d) (f32x4.demote_f64x2_zero ${v('sn')}))`);
  }
  const uniformLines = [];
  for (let g = 0; g < 8; g++) {
    const x = EMULATED.exactMul(EMULATED.fromInt(and(`(v128.load64_zero offset=${8 * g} (local.get $w))`, i32c(0xffffff))), f64c(2 ** -24));
    uniformLines.push(`${IND}(local.set $p ${EMULATED.exactMul(x, '(local.get $range)')})`);
    uniformLines.push(`${IND}(local.set $s ${EMULATED.exactAdd('(local.get $p)', '(local.get $from)')})`);
    uniformLines.push(`${IND}(local.set $bad ${or('(local.get $bad)', suspicious('(local.get $s)', '(local.get $p)', '(local.get $from)'))})`);
    uniformLines.push(`${IND}(v128.store64_lane offset=${8 * g} 0 (local.get $d) (f32x4.demote_f64x2_zero (local.get $s)))`);
  }
  const splat = (local) => `    (local.set $${local} (f64x2.splat (f64.promote_f32 (local.get $${local}32))))`;
  const clearBad = `${IND}(local.set $bad (v128.const i64x2 0 0))`;
  const flagged = flagBlock('(v128.any_true (local.get $bad))');
  return moduleText(
    'emulated',
    'fused steps emulated in double',
    { locals: ['(local $bad v128)', ...locals], prologue: [splat('mean'), splat('std')].join('\n'), body: [clearBad, ...lines], parts, outs: [...outs, ...stores, flagged] },
    { locals: ['(local $bad v128) (local $p v128) (local $s v128)'], prologue: [splat('from'), splat('range')].join('\n'), body: [clearBad, ...uniformLines, flagged] },
  );
}

const MODULES = { fused: fusedModule, emulated: emulatedModule };

/** Assembles one module's text with wabt (SIMD, and relaxed SIMD for `fused`). */
async function assemble(wabt, name) {
  const mod = wabt.parseWat(`${name}.wat`, MODULES[name](), { simd: true, relaxed_simd: name === 'fused' });
  try {
    mod.validate();
    return Uint8Array.from(mod.toBinary({}).buffer);
  } finally {
    mod.destroy();
  }
}

/** Both modules' bytes. */
async function kernelsWasm() {
  const wabt = await require('wabt')();
  return { fused: await assemble(wabt, 'fused'), emulated: await assemble(wabt, 'emulated') };
}

module.exports = { kernelsWasm, MODULES };

if (require.main === module) {
  const name = process.argv[2] ?? 'fused';
  if (!MODULES[name]) {
    console.error('usage: node scripts/torchKernels.js fused|emulated');
    process.exit(2);
  }
  process.stdout.write(MODULES[name]());
}
