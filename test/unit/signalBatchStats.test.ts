/**
 * BatchNorm's batch statistics (src/core/signal/batchStats.ts) against the save_mean and
 * save_invstd of PyTorch 1.13's torch.native_batch_norm in training mode
 * (test/fixtures/torch/batch-stats.json, written by scripts/signal/batch_stats.py), on cpu (tf.moments,
 * whose cpu kernels sum in doubles) and wasm (summed here in doubles, as ATen does: the wasm Sum
 * kernel adds in float32). Whole models: the BatchNorm keys of signal.test.ts on both backends.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { version_cpu } from '@tensorflow/tfjs-backend-cpu';
import { batchMoments } from '../../src/core/signal/batchStats';
import { randn } from '../../src/core/signal/schemes';
import { loadSignalTf } from '../../src/node/signalTf';
import { ROOT } from '../host/paths';

interface StatsCase {
  shape: number[];
  seed: number;
  scale: number;
  shift: number;
  eps: number;
  mean: number[];
  invstd: number[];
}
const key = JSON.parse(fs.readFileSync(path.join(ROOT, 'test/fixtures/torch/batch-stats.json'), 'utf8')) as { cases: StatsCase[] };

/** Two float32 ulps. */
const ULPS = 2 ** -22;

for (const backend of ['cpu', 'wasm']) {
  describe(`BatchNorm's batch statistics as ATen's (${backend})`, () => {
    after(async () => {
      assert.ok(await tf.setBackend('cpu'));
    });

    for (const c of key.cases) {
      it(`${c.shape.join('×')}: mean and invstd per channel within two float32 ulps of torch.native_batch_norm's`, async () => {
        assert.ok(version_cpu);
        if (backend === 'wasm') assert.equal((await loadSignalTf({ candidates: ['wasm'] })).backend, 'wasm');
        else assert.ok(await tf.setBackend('cpu'));
        const x = tf.tensor(randn(c.shape, BigInt(c.seed)).map((v) => Math.fround(v * c.scale) + c.shift), c.shape);
        const axes = [0, ...Array.from({ length: c.shape.length - 2 }, (_, i) => i + 2)];
        const { mean, invstd } = batchMoments(tf, x, axes, c.eps);
        assert.deepEqual(mean.shape, [1, c.shape[1], ...Array<number>(c.shape.length - 2).fill(1)]);
        Array.from(await mean.data()).forEach((v, i) => assert.ok(Math.abs(v - c.mean[i]) <= ULPS * Math.abs(c.mean[i]), `mean ${i}: ${v} vs ${c.mean[i]}`));
        Array.from(await invstd.data()).forEach((v, i) => assert.ok(Math.abs(v - c.invstd[i]) <= ULPS * c.invstd[i], `invstd ${i}: ${v} vs ${c.invstd[i]}`));
        tf.dispose([x, mean, invstd]);
      });
    }
  });
}
