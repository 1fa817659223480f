/**
 * Linear interpolation (linear, bilinear, trilinear), convolutions with a padding_mode other than
 * zeros, and grouped transposed convolutions, against the answer keys of real PyTorch 1.13
 * (test/fixtures/spatial2/keys.json, written by scripts/signal/spatial2_fixtures.py):
 * - each output's two taps and weights, as PyTorch's interpolation of one-hot rows gives them (exact
 *   in float32);
 * - small modules built from their source, run op by op on the cpu backend with PyTorch's weights,
 *   input and upstream gradient: the output, and the gradients of the input and every parameter,
 *   value by value.
 * Whole models against PyTorch (std per layer, every scheme) are in signal.test.ts (keys
 * padding-modes, bilinear-unet, usuyama-unet).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import '@tensorflow/tfjs-backend-cpu';
import { LimitError } from '../../src/core/limits';
import { evalContext, evalOp, moments, runGraph } from '../../src/core/signal/engine';
import { convPads, linearTaps } from '../../src/core/signal/spatial';
import { graphOf } from '../host/signalGraph';
import { ROOT } from '../host/paths';

interface TapsKey {
  in: number;
  size: number | null;
  scale: number | null;
  alignCorners: boolean;
  recompute: boolean | null;
  out: number;
  /** (out × in), row-major. */
  weights: number[];
}
interface ModelKey {
  name: string;
  text: string;
  inputShape: number[];
  outputShape: number[];
  params: Record<string, { shape: number[]; values: number[]; grad: number[] }>;
  input: number[];
  upstream: number[];
  output: number[];
  inputGrad: number[];
  outputStd: number;
}
const keys = JSON.parse(fs.readFileSync(path.join(ROOT, 'test', 'fixtures', 'spatial2', 'keys.json'), 'utf8')) as { torch: string; taps: TapsKey[]; models: ModelKey[] };


/** Largest |a − b| over the largest |b|: float32 round-off is a few 1e-7 of that. */
function relativeError(a: ArrayLike<number>, b: readonly number[]): number {
  assert.equal(a.length, b.length);
  const scale = Math.max(...b.map(Math.abs));
  let worst = 0;
  for (let i = 0; i < b.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst / scale;
}

describe('signal engine: linear interpolation, padding modes, grouped transposed convolutions', () => {
  before(async () => {
    assert.ok(await tf.setBackend('cpu'));
  });

  it("gives each output position PyTorch's two taps and float32 weights (one-hot rows of F.interpolate)", () => {
    assert.equal(keys.torch.slice(0, 4), '1.13');
    for (const k of keys.taps) {
      const label = `${k.in} → ${k.size ?? `×${k.scale}`}, align_corners=${k.alignCorners}, recompute=${k.recompute}`;
      const out = k.size ?? Math.floor(k.in * (k.scale as number));
      assert.equal(out, k.out, `${label}: output size`);
      const taps = linearTaps(k.in, out, k.alignCorners, k.scale !== null && !k.recompute ? k.scale : 0);
      const dense = new Float32Array(out * k.in);
      for (let o = 0; o < out; o++) {
        dense[o * k.in + taps.i0[o]] += taps.l0[o];
        dense[o * k.in + taps.i1[o]] += taps.l1[o];
      }
      assert.deepEqual(Array.from(dense), k.weights, label);
    }
  });

  it("pads a convolution's input as _conv_forward does: the last axis first, each axis on both sides, 'same' with the smaller half before", () => {
    assert.deepEqual(convPads([1, 2], [3, 3], [1, 1]), [2, 2, 1, 1]);
    assert.deepEqual(convPads('same', [4, 3], [1, 2]), [2, 2, 1, 2]);
    assert.deepEqual(convPads([2], [5], [1]), [2, 2]);
  });

  for (const key of keys.models) {
    it(`${key.name}: output and gradients as PyTorch's, value by value`, () => {
      const graph = graphOf(key.text, key.name, key.inputShape);
      assert.deepEqual(graph.notSimulated, []);
      assert.deepEqual(graph.ops[graph.output].shape, key.outputShape);
      const names = Object.keys(key.params);
      const x = tf.tensor(key.input, key.inputShape);
      const ws = names.map((n) => tf.tensor(key.params[n].values, key.params[n].shape));
      const f = (...args: tf.Tensor[]) => {
        const params = new Map(names.map((n, i) => [n, args[i + 1]]));
        const values: tf.Tensor[] = [];
        const context = evalContext();
        graph.ops.forEach((op, i) => values.push(evalOp(tf, op, values, params, args[0], i, context)));
        return values[graph.output];
      };
      const { value, grads } = tf.valueAndGrads(f)([x, ...ws], tf.tensor(key.upstream, key.outputShape));
      assert.ok(relativeError(value.dataSync(), key.output) < 2e-6, `output: ${relativeError(value.dataSync(), key.output)}`);
      const std = Math.sqrt(tf.moments(value).variance.dataSync()[0] * (value.size / (value.size - 1)));
      assert.ok(Math.abs(std - key.outputStd) / key.outputStd < 1e-6, `output std ${std} vs ${key.outputStd}`);
      assert.ok(relativeError(grads[0].dataSync(), key.inputGrad) < 1e-5, `input gradient: ${relativeError(grads[0].dataSync(), key.inputGrad)}`);
      names.forEach((n, i) => assert.ok(relativeError(grads[i + 1].dataSync(), key.params[n].grad) < 1e-5, `${n} gradient: ${relativeError(grads[i + 1].dataSync(), key.params[n].grad)}`));
    });
  }

  it("reads a padded convolution's input before its own padding, as the module does (the advice's measured gains)", async () => {
    const key = keys.models.find((m) => m.name === 'PadReflect') as ModelKey;
    const graph = graphOf(key.text, key.name, key.inputShape);
    const weights = new Map(Object.entries(key.params).map(([n, p]) => [n, Float32Array.from(p.values)]));
    const stats = await runGraph(tf, graph, weights, Float32Array.from(key.input), Float32Array.from(key.upstream), { inputs: true });
    const std = (v: readonly number[]) => moments(v).std;
    const read = stats.layers[0].input as { std: number; grad: number };
    assert.ok(Math.abs(read.std - std(key.input)) <= 1e-6 * std(key.input), `input std ${read.std} vs ${std(key.input)}`);
    assert.ok(Math.abs(read.grad - std(key.inputGrad)) <= 1e-5 * std(key.inputGrad), `input gradient std ${read.grad} vs ${std(key.inputGrad)}`);
  });

  it('builds a padded convolution as a pad op and an unpadded convolution, and names what it does not simulate', () => {
    const text = (init: string, forward = 'return self.conv(x)') => ['import torch.nn as nn', 'import torch.nn.functional as F', 'class M(nn.Module):', '    def __init__(self):', '        super().__init__()', `        self.conv = ${init}`, '    def forward(self, x):', `        ${forward}`, ''].join('\n');
    const ops = (t: string, shape = [2, 2, 8, 8]) => graphOf(t, 'M', shape);
    const reflect = ops(text("nn.Conv2d(2, 3, 3, padding=(1, 2), padding_mode='reflect')")).ops;
    assert.deepEqual(
      reflect.map((o) => [o.kind, o.shape.join('×')]),
      [
        ['input', '2×2×8×8'],
        ['pad', '2×2×10×12'],
        ['conv', '2×3×8×10'],
      ],
    );
    assert.deepEqual([reflect[1].kind === 'pad' && reflect[1].pads, reflect[2].kind === 'conv' && [reflect[2].padding, reflect[2].paddingMode]], [[2, 2, 1, 1], [[0, 0], 'reflect']]);
    // padding='same' with zeros: an even dilation·(kernel − 1) padded by the convolution itself, an odd one by a constant pad op first.
    const even = ops(text("nn.Conv2d(2, 3, (3, 5), padding='same', dilation=2)")).ops;
    assert.deepEqual([even.length, even[1].kind === 'conv' && even[1].padding], [2, [2, 4]]);
    const odd = ops(text("nn.Conv2d(2, 3, 4, padding='same')")).ops;
    assert.deepEqual([odd[1].kind === 'pad' && [odd[1].mode, odd[1].pads], odd[2].kind === 'conv' && odd[2].paddingMode], [['constant', [1, 2, 1, 2]], 'zeros']);
    const why = (t: string, shape?: number[]) => ops(t, shape).notSimulated.map((n) => `${n.line}: ${n.op}: ${n.why}`);
    assert.deepEqual(why(text("nn.Conv2d(2, 3, 3, padding=8, padding_mode='reflect')")), ['8: self.conv(x): conv: padding_mode=reflect: reflection padding 8, 8 needs an axis longer than that (8)']);
    assert.deepEqual(ops(text("nn.Conv2d(2, 3, 3, stride=2, padding='same')")).notSimulated.map((n) => n.op), ["conv (Conv2d): padding='same' with a stride (PyTorch refuses it)"]);
    assert.match(why(text("nn.Identity()", "return F.interpolate(x, scale_factor=2, mode='bicubic', align_corners=False)"))[0], /upsampling mode bicubic is not simulated/);
    assert.match(why(text("nn.Identity()", "return F.interpolate(x, scale_factor=2, mode='bilinear', antialias=True)"))[0], /antialias=True is not simulated/);
    assert.match(why(text("nn.Identity()", "return F.interpolate(x, scale_factor=2, mode='trilinear')"))[0], /trilinear interpolation takes a 5-d input, gets 2×2×8×8/);
    assert.deepEqual(ops(text("nn.Identity()", "return F.upsample_bilinear(x, size=(9, 3))")).ops[1], { kind: 'interpolate', input: 0, alignCorners: true, scales: [0, 0], shape: [2, 2, 9, 3], line: 8 });
    // Each output of the product sums its whole axis: 4·10⁵ outputs of a 10⁵-long row are past the run's multiply-adds.
    assert.throws(() => ops(text('nn.Identity()', "return F.interpolate(x, size=(1, 400000), mode='bilinear')"), [1, 1, 1, 100000]), (e: unknown) => e instanceof LimitError && /multiply-adds is above the limit/.test(e.message));
  });
});
