/**
 * The analytic gains of src/core/advice/gain.ts: the closed forms He et al.
 * derive, and every case against real PyTorch chains measured by
 * scripts/advice/measure_gains.py (torch 1.13, float64, width 512, batch
 * 1024, three seeds; test/fixtures/advice/gains.json).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { chainGain, layerMoments } from '../../src/core/advice/gain';
import type { ActivationKind } from '../../src/core/model/activations';
import { ROOT } from '../host/paths';

interface Case {
  activation: ActivationKind;
  slope?: number;
  w: number;
  depth: number;
  forward: number;
  backward: number;
}
const measured: { width: number; cases: Case[] } = JSON.parse(fs.readFileSync(path.join(ROOT, 'test/fixtures/advice/gains.json'), 'utf8'));

describe('analytic variance gain', () => {
  it('closed forms: ReLU w/2, LeakyReLU w(1+a²)/2, identity w (He et al. 2015, eq. 7 and 13)', () => {
    assert.deepEqual(layerMoments({ kind: 'relu' }, 2, 1), { q: 1, chi: 1 });
    assert.deepEqual(layerMoments({ kind: 'relu' }, 1, 3), { q: 1.5, chi: 0.5 });
    assert.deepEqual(layerMoments({ kind: 'identity' }, 1 / 3, 1), { q: 1 / 3, chi: 1 / 3 });
    const l = layerMoments({ kind: 'leaky_relu', slope: 0.2 }, 2, 1);
    assert.ok(Math.abs(l.q - 1.04) < 1e-15 && Math.abs(l.chi - 1.04) < 1e-15);
    // Xavier on a 20-layer ReLU chain: √(1/2)^20 = 2^-10.
    assert.ok(Math.abs(chainGain({ kind: 'relu' }, 1, 20).forward - 2 ** -10) < 1e-15);
  });

  it('the numeric integral reproduces closed forms: E[tanh²] small-v limit, SELU fixed point (Klambauer et al.: mean 0, variance 1)', () => {
    // tanh(y) ≈ y for tiny v: q' ≈ v.
    assert.ok(Math.abs(layerMoments({ kind: 'tanh' }, 1e-6, 1).q / 1e-6 - 1) < 1e-5);
    // SELU with LeCun normal (w = 1) keeps unit second moment: the fixed point (0, 1) of its paper.
    assert.ok(Math.abs(layerMoments({ kind: 'selu' }, 1, 1).q - 1) < 1e-4);
  });

  // Deep chains drift below mean-field theory at finite width: log‖x‖ fluctuates from one
  // weight draw to the next with variance ∝ depth/width (Hanin & Rolnick 2018), which
  // lowers the geometric mean of the measured ratio (ReLU, width 512: −5% at depth 10, −17% at 20).
  it('matches every measured PyTorch chain: one layer within 1.5%, depth d within 1% per layer (log scale)', () => {
    assert.ok(measured.cases.length >= 40);
    for (const c of measured.cases) {
      const a = { kind: c.activation, ...(c.slope !== undefined ? { slope: c.slope } : {}) };
      const g = chainGain(a, c.w, c.depth);
      const tol = c.depth === 1 ? 0.015 : 0.01 * c.depth;
      const label = `${c.activation} w=${c.w.toFixed(4)} depth ${c.depth}`;
      assert.ok(Math.abs(Math.log(g.forward / c.forward)) < tol, `${label} forward: analytic ${g.forward}, torch ${c.forward}`);
      assert.ok(Math.abs(Math.log(g.backward / c.backward)) < tol, `${label} backward: analytic ${g.backward}, torch ${c.backward}`);
    }
  });
});
