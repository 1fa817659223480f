/**
 * The clamping activations' gradients on their bounds (src/core/signal/clamps.ts) against PyTorch
 * 1.13's (test/fixtures/torch/clamp-gradients.json, written by scripts/signal/clamp_gradients.py):
 * relu6 at 6 and hardtanh at ±1 pass no gradient, hardswish at −3 passes −0.5·dy, where
 * TensorFlow.js's own gradients pass dy, dy and 0. Each function on its own, and the engine's run
 * of `F.<activation>(self.fc(x))` whose Linear puts the inputs there exactly, on cpu and wasm.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { version_cpu } from '@tensorflow/tfjs-backend-cpu';
import { ModelAnalyzer } from '../../src/core/model/analyze';
import { parsePython } from '../../src/core/python/parse';
import { hardswish, hardtanh, relu6 } from '../../src/core/signal/clamps';
import { signalModel } from '../../src/core/signal/composite';
import { runGraph } from '../../src/core/signal/engine';
import { buildGraph } from '../../src/core/signal/graph';
import { loadSignalTf } from '../../src/node/signalTf';
import { ROOT } from '../host/paths';

interface ClampCase {
  activation: 'relu6' | 'hardtanh' | 'hardswish';
  x: number[];
  upstream: number[];
  y: number[];
  grad: number[];
  linear: { gradStd: number; weightGradStd: number };
}
const key = JSON.parse(fs.readFileSync(path.join(ROOT, 'test/fixtures/torch/clamp-gradients.json'), 'utf8')) as { cases: ClampCase[] };
const FUNCTIONS = { relu6, hardtanh, hardswish };

function graphOf(activation: string, n: number) {
  const text = `import torch.nn as nn\nimport torch.nn.functional as F\n\n\nclass Clamp(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.fc = nn.Linear(1, ${n})\n\n    def forward(self, x):\n        return F.${activation}(self.fc(x))\n`;
  const tree = parsePython(text);
  const analysis = new ModelAnalyzer().analyze(tree, text, { instances: true });
  const found = analysis.models.find((m) => m.name === 'Clamp');
  assert.ok(found);
  const { model, composite, binding } = signalModel(analysis, found, tree, text);
  return buildGraph(model, tree, text, { inputShape: [1, 1], ...(composite ? { composite } : {}), ...(binding ? { binding } : {}) });
}

function close(got: number, want: number, where: string): void {
  assert.ok(Math.abs(got - want) <= 1e-6 * Math.max(1, Math.abs(want)), `${where}: ${got} vs ${want}`);
}

for (const backend of ['cpu', 'wasm']) {
  describe(`the clamping activations on their bounds, as PyTorch (${backend})`, () => {
    after(async () => {
      assert.ok(await tf.setBackend('cpu'));
    });

    it('the fixture has the bounds PyTorch treats apart', () => {
      assert.ok(version_cpu);
      assert.deepEqual(key.cases.map((c) => c.activation), ['relu6', 'hardtanh', 'hardswish']);
      const at = (c: ClampCase, x: number) => c.grad[c.x.indexOf(x)] / c.upstream[c.x.indexOf(x)];
      const [r6, ht, hs] = key.cases;
      assert.deepEqual([at(r6, 6), at(ht, -1), at(ht, 1), at(hs, -3), at(hs, 3)], [0, 0, 0, -0.5, 1.5]);
    });

    for (const c of key.cases) {
      it(`${c.activation}: values and gradients at ${c.x.join(', ')}`, async () => {
        if (backend === 'wasm') assert.equal((await loadSignalTf({ candidates: ['wasm'] })).backend, 'wasm');
        else assert.ok(await tf.setBackend('cpu'));
        const f = FUNCTIONS[c.activation];
        const x = tf.tensor(c.x);
        const dy = tf.tensor(c.upstream);
        const y = f(tf, x);
        const g = tf.grad((t: tf.Tensor) => f(tf, t))(x, dy);
        Array.from(await y.data()).forEach((v, i) => close(v, c.y[i], `${c.activation}(${c.x[i]})`));
        Array.from(await g.data()).forEach((v, i) => close(v, c.grad[i], `${c.activation}'(${c.x[i]})`));
        tf.dispose([x, dy, y, g]);
      });

      it(`${c.activation}: the engine's gradient stds behind it`, async () => {
        if (backend === 'wasm') assert.equal((await loadSignalTf({ candidates: ['wasm'] })).backend, 'wasm');
        else assert.ok(await tf.setBackend('cpu'));
        const graph = graphOf(c.activation, c.x.length);
        assert.deepEqual(graph.notSimulated, []);
        const weights = new Map([
          ['fc.weight', new Float32Array(c.x.length)],
          ['fc.bias', Float32Array.from(c.x)],
        ]);
        const stats = await runGraph(tf, graph, weights, Float32Array.of(1), Float32Array.from(c.upstream));
        const fc = stats.layers.find((l) => l.name === 'fc');
        assert.ok(fc?.weightGrad);
        close(fc.grad.std, c.linear.gradStd, `${c.activation}: fc grad std`);
        close(fc.weightGrad.std, c.linear.weightGradStd, `${c.activation}: fc weight grad std`);
      });
    }
  });
}
