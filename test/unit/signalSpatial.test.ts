/**
 * Padding and nearest upsampling (src/core/signal/spatial.ts). The numbers of whole real models
 * against PyTorch are in signal.test.ts (keys fast-neural-style: ReflectionPad2d and
 * interpolate(scale_factor=2); erik-dcgan-generator: nn.Upsample(scale_factor=2)); here, each mode's
 * values on a short row, as PyTorch 1.13 documents and prints them (`F.pad(torch.tensor([[[1., 2.,
 * 3.]]]), (2, 1), mode=...)`: reflect [3, 2, 1, 2, 3, 2], replicate [1, 1, 1, 2, 3, 3], circular
 * (1, 2) [3, 1, 2, 3, 1, 2]), the float32 nearest index, and what is refused with which reason.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import '@tensorflow/tfjs-backend-cpu';
import { LimitError } from '../../src/core/limits';
import { graphOf } from '../host/signalGraph';
import { evalSpatial, nearestRepeats, paddedShape, type SpatialOp } from '../../src/core/signal/spatial';


const net = (module: string, forward = '        return self.conv(self.pad(x))') =>
  ['import torch.nn as nn', 'import torch.nn.functional as F', 'class M(nn.Module):', '    def __init__(self):', '        super().__init__()', `        self.pad = ${module}`, '        self.conv = nn.Conv2d(1, 1, 3)', '    def forward(self, x):', forward, ''].join('\n');

describe('signal engine: padding and nearest upsampling', () => {
  before(async () => {
    assert.ok(await tf.setBackend('cpu'));
  });

  it("pads a row as PyTorch's reflect, replicate, circular and constant modes do", () => {
    const row = tf.tensor3d([[[1, 2, 3]]]);
    const pad = (mode: Extract<SpatialOp, { kind: 'pad' }>['mode'], pads: number[], value = 0) =>
      Array.from(evalSpatial(tf, { kind: 'pad', mode, input: 0, pads, value, shape: paddedShape([1, 1, 3], mode, pads) as number[], line: 1 }, [row]).dataSync());
    assert.deepEqual(pad('reflect', [2, 1]), [3, 2, 1, 2, 3, 2]);
    assert.deepEqual(pad('replicate', [2, 1]), [1, 1, 1, 2, 3, 3]);
    assert.deepEqual(pad('circular', [1, 2]), [3, 1, 2, 3, 1, 2]);
    assert.deepEqual(pad('constant', [1, 0], 5), [5, 1, 2, 3]);
    // Two axes, the corners reflected in both: ReflectionPad2d(1) of [[1, 2], [3, 4]].
    const square = tf.tensor4d([[[[1, 2], [3, 4]]]]);
    const padded = evalSpatial(tf, { kind: 'pad', mode: 'reflect', input: 0, pads: [1, 1, 1, 1], value: 0, shape: [1, 1, 4, 4], line: 1 }, [square]);
    assert.deepEqual(Array.from(padded.dataSync()), [4, 3, 4, 3, 2, 1, 2, 1, 4, 3, 4, 3, 2, 1, 2, 1]);
  });

  it('upsamples by repeating each element k times per axis, where float32 nearest indexing does exactly that', () => {
    const x = tf.tensor4d([[[[1, 2], [3, 4]]]]);
    const y = evalSpatial(tf, { kind: 'upsample', input: 0, factors: [2, 3], shape: [1, 1, 4, 6], line: 1 }, [x]);
    assert.deepEqual(y.shape, [1, 1, 4, 6]);
    assert.deepEqual(Array.from(y.dataSync()), [1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 3, 3, 3, 4, 4, 4]);
    assert.equal(nearestRepeats(1000, 3), true);
    assert.equal(nearestRepeats(10, 1.5), false);
  });

  it('builds the modules and functions into the graph with their shapes, and names what it does not simulate', () => {
    const ops = (text: string) => graphOf(text, 'M', [2, 1, 8, 8]);
    assert.deepEqual(ops(net('nn.ReflectionPad2d(1)')).ops.map((o) => [o.kind, o.shape.join('×')]), [['input', '2×1×8×8'], ['pad', '2×1×10×10'], ['conv', '2×1×8×8']]);
    assert.deepEqual(ops(net('nn.ZeroPad2d((1, 0, 2, 0))')).ops[1].shape, [2, 1, 10, 9]);
    assert.deepEqual(ops(net('nn.Upsample(scale_factor=2)')).ops[1].shape, [2, 1, 16, 16]);
    assert.deepEqual(ops(net('nn.Identity()', "        return self.conv(F.interpolate(x, size=(24, 16), mode='nearest'))")).ops[1], { kind: 'upsample', input: 0, factors: [3, 2], shape: [2, 1, 24, 16], line: 9 });
    assert.deepEqual(ops(net('nn.Identity()', "        return self.conv(F.pad(x, (1, 1, 1, 1), mode='replicate'))")).ops[1].shape, [2, 1, 10, 10]);
    // PixelShuffle(2) of 2×4×8×8: (N, C, r, r, H, W), permuted (0, 1, 4, 2, 5, 3), folded to 2×1×16×16 (values: key super-resolution).
    const shuffle = ops(net('nn.Conv2d(1, 4, 1)', '        return self.conv(nn.functional.pixel_shuffle(self.pad(x), 2))')).ops;
    assert.deepEqual(shuffle.slice(2).map((o) => [o.kind, o.shape.join('×')]), [['reshape', '2×1×2×2×8×8'], ['transpose', '2×1×8×2×8×2'], ['reshape', '2×1×16×16'], ['conv', '2×1×14×14']]);
    const why = (text: string) => ops(text).notSimulated.map((n) => `${n.line}: ${n.why}`);
    assert.deepEqual(ops(net('nn.Conv2d(1, 3, 1)', '        return self.conv(nn.functional.pixel_shuffle(self.pad(x), 2))')).notSimulated, [{ op: 'pixel_shuffle by 2 of 3 channels', line: 9, why: 'the shapes do not fit' }]);
    assert.deepEqual(why(net("nn.Upsample(scale_factor=2, mode='bicubic')")), ['6: upsampling mode bicubic is not simulated (nearest, linear, bilinear and trilinear are)']);
    assert.deepEqual(why(net('nn.ReflectionPad2d(8)')), ['6: reflection padding 8, 8 needs an axis longer than that (8)']);
    // A factor whose output is past the run's limit is refused before the float32 index check walks it.
    assert.throws(() => ops(net('nn.Upsample(scale_factor=1000000000)')), (e: unknown) => e instanceof LimitError && /values is above the limit/.test(e.message));
    assert.deepEqual(why(net('nn.Upsample(scale_factor=1.5)')), ['6: nearest upsampling by a factor that is not an integer (or not a plain repeat in float32) is not simulated']);
  });
});
