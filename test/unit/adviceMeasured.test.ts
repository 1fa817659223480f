/**
 * The advice's measured gains (src/core/advice/measure.ts): each layer's
 * input, its gradient, its output and its gradient as the signal engine
 * measures them on TensorFlow.js's cpu backend, against real PyTorch
 * (test/fixtures/advice/measured.json, written only by
 * scripts/advice/measured.py); and the verdicts they drive: measured where
 * the engine runs the model, analytic (and said so) where it does not.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { version_cpu } from '@tensorflow/tfjs-backend-cpu';
import { measureCorpusFile, score, type CorpusFile, type CorpusKey } from '../../src/core/advice/corpus';
import { adviseAnalysis } from '../../src/core/advice/judge';
import { ADVICE_DISAGREEMENTS } from '../fixtures/advice/disagreements';
import { measureAnalysis, measurableGraph } from '../../src/core/advice/measure';
import { verdictJson } from '../../src/core/advice/present';
import { measuredSummary } from '../../src/core/signal/summary';
import { DEFAULT_ADVICE } from '../../src/core/advice/rules';
import { ModelAnalyzer } from '../../src/core/model/analyze';
import { parsePython } from '../../src/core/python/parse';
import { ROOT } from '../host/paths';

interface KeyRow {
  name: string;
  inStd: number;
  inGrad: number;
  outStd: number;
  outGrad: number;
}
const key: { provenance: { script: string; torch: string }; files: Record<string, { model: string; layers: KeyRow[] }> } = JSON.parse(
  fs.readFileSync(path.join(ROOT, 'test/fixtures/advice/measured.json'), 'utf8'),
);
const broken = (file: string) => fs.readFileSync(path.join(ROOT, 'test/fixtures/advice/broken', file), 'utf8');

/** Within 1e-3 relative, or 1e-7 absolute where the key vanishes (issue 13's agreement). */
function close(actual: number, expected: number, what: string): void {
  const ok = Math.abs(actual - expected) <= Math.max(1e-3 * Math.abs(expected), 1e-7);
  assert.ok(ok, `${what}: ${actual} against torch's ${expected}`);
}

async function measured(text: string) {
  const tree = parsePython(text);
  const analysis = new ModelAnalyzer().analyze(tree, text, { instances: true });
  const { measurements, unmeasured } = await measureAnalysis(tf, 'cpu', analysis, tree, text);
  return { analysis, measurements, unmeasured, advice: adviseAnalysis(analysis, text, { ...DEFAULT_ADVICE, measured: measurements }), analytic: adviseAnalysis(analysis, text) };
}

describe('measured gains against PyTorch', () => {
  before(async () => {
    assert.ok(version_cpu);
    assert.ok(await tf.setBackend('cpu'));
  });

  it('the key was made by scripts/advice/measured.py with torch 1.13', () => {
    assert.equal(key.provenance.script, 'scripts/advice/measured.py');
    assert.match(key.provenance.torch, /^1\.13\./);
  });

  for (const [file, { model, layers }] of Object.entries(key.files)) {
    it(`${file}: every Linear's input, output and their gradients within 1e-3 of torch's`, async () => {
      const { measurements, unmeasured } = await measured(broken(file));
      assert.deepEqual(unmeasured, []);
      const m = measurements.models.get(model);
      assert.ok(m, model);
      assert.equal(m.seed, 0n);
      assert.equal(m.exact, true);
      assert.equal(m.layers.size, layers.length);
      layers.forEach((want, k) => {
        const got = m.layers.get(want.name);
        assert.ok(got, want.name);
        close(got.inStd, want.inStd, `${want.name} input std`);
        close(got.inGrad, want.inGrad, `${want.name} input gradient std`);
        close(got.outStd, want.outStd, `${want.name} output std`);
        close(got.outGrad, want.outGrad, `${want.name} output gradient std`);
        // The next point: the next Linear's input, or the model's output for the last.
        const next = layers[k + 1];
        if (next) {
          close(got.nextStd, next.inStd, `${want.name} next input std`);
          close(got.nextGrad, next.inGrad, `${want.name} next input gradient std`);
        }
      });
    });
  }

  it("XavierReLU20: the warning is driven by the measured gains, their compound torch's from the first layer's input to the head's", async () => {
    const text = broken('xavier_relu_20.py');
    const { analysis, advice, analytic } = await measured(text);
    const rows = key.files['xavier_relu_20.py'].layers;
    const layer = analysis.models[0].layers.find((l) => l.name === 'layers.3')!;
    const v = advice.verdict(layer)!;
    assert.equal(v.level, 'warning');
    assert.equal(v.rule, 'signal-gain');
    assert.equal(v.gain?.analytic, false);
    assert.equal(v.gain?.pass, 'forward');
    assert.equal(v.gain?.layers, 20);
    // Π over the 20 hidden layers of (next input std / input std) telescopes to head input / first input.
    close(v.gain!.compound, rows[20].inStd / rows[0].inStd, 'compound');
    close(v.gain!.compound ** (1 / 20), v.gain!.perLayer, 'per layer');
    assert.match(v.message, /through this layer \(measured: torch\.manual_seed\(0\), input 8×256\); over the 20 layers like it the signal shrinks ×8\.\de-4/);
    assert.deepEqual(verdictJson(v)?.gain?.measured, { seed: '0', inputShape: [8, 256], backend: 'cpu', exact: true });
    // Without the measurement: the analytic gain, (√(1/2))^20 ≈ 9.8e-4, said to be analytic.
    const a = analytic.verdict(layer)!;
    assert.equal(a.level, 'warning');
    assert.equal(a.gain?.analytic, true);
    close(a.gain!.compound, 0.5 ** 10, 'analytic compound');
    assert.match(a.message, /\(analytic\)/);
  });

  it("the model lens's summary from the measurement: XavierReLU20's head output std over its first input std, torch's", async () => {
    const { analysis, measurements } = await measured(broken('xavier_relu_20.py'));
    const rows = key.files['xavier_relu_20.py'].layers;
    const s = measuredSummary(analysis.models[0], measurements.models.get('XavierReLU20')!)!;
    close(s.ratio, rows[20].outStd / rows[0].inStd, 'summary ratio');
    assert.equal(s.layers, 21);
    // torch: 1.2·10⁻³ (test/fixtures/advice/measured.json).
    assert.equal(s.title, 'signal ×1.2e-3 over 21 layers (in effect, measured)');
  });

  it('DeepSigmoid: the gradient pass decides, from the measured input gradients', async () => {
    const { analysis, advice } = await measured(broken('he_sigmoid_deep.py'));
    const rows = key.files['he_sigmoid_deep.py'].layers;
    const layer = analysis.models[0].layers.find((l) => l.name === 'layers.0')!;
    const v = advice.verdict(layer)!;
    assert.equal(v.level, 'warning');
    assert.equal(v.gain?.pass, 'backward');
    const hidden = rows.filter((r) => r.name.startsWith('layers.'));
    // Π (input gradient / next input gradient) over the hidden layers: first input's over the output layer's input.
    close(v.gain!.compound, rows[0].inGrad / rows[hidden.length].inGrad, 'backward compound');
  });

  it('the output layer is judged alone on its measured gain: ConstantMLP.fc2 is fine (torch: forward ×0.557, backward ×0.162)', async () => {
    const { analysis, advice } = await measured(broken('constant.py'));
    const fc2 = analysis.models[0].layers.find((l) => l.name === 'fc2')!;
    const v = advice.verdict(fc2)!;
    assert.equal(v.level, 'ok');
    assert.equal(v.rule, 'output');
    const row = key.files['constant.py'].layers[1];
    close(v.gain!.perLayer, row.inGrad / row.outGrad, 'output layer backward gain');
    assert.match(v.message, /measured: torch\.manual_seed\(0\), input 8×784/);
  });

  it('what is not measured keeps the analytic gain, with why: a composite, and a model above the background bound', async () => {
    const text = `import torch.nn as nn
class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(64, 64)
    def forward(self, x):
        return self.fc(x).relu()
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = Block()
        self.b = Block()
    def forward(self, x):
        return self.b(self.a(x))
class Wide(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(16384, 16384)
        self.fc2 = nn.Linear(16384, 10)
    def forward(self, x):
        return self.fc2(self.fc1(x).relu())
`;
    const tree = parsePython(text);
    const analysis = new ModelAnalyzer().analyze(tree, text, { instances: true });
    const why = (name: string) => {
      const r = measurableGraph(analysis, analysis.models.find((m) => m.name === name)!, tree, text);
      return 'why' in r ? r.why : 'measurable';
    };
    assert.match(why('Net'), /composite/);
    // 8·16384·16384 + 8·16384·10 multiply-adds: 2.1e9, above 2^27.
    assert.match(why('Wide'), /^2\.1e\+9 multiply-adds, above the 1\.3e\+8 measured in the background$/);
    assert.equal(why('Block'), 'measurable');
  });
});

describe('the advice corpora judged on measured gains (the editor, initlens analyze)', () => {
  before(async () => {
    assert.ok(await tf.setBackend('cpu'));
  });

  it('no ⚠ on a healthy layer, a ⚠ on every broken model, ⚠ exactly where the PyTorch keys have one', async () => {
    const read = (p: string) => fs.readFileSync(path.join(ROOT, p), 'utf8');
    const healthy: CorpusKey = JSON.parse(read('test/fixtures/advice/healthy/keys.json'));
    const brokenKey: CorpusKey = JSON.parse(read('test/fixtures/advice/broken/keys.json'));
    const files: CorpusFile[] = [];
    for (const f of Object.keys(healthy.files)) files.push(await measureCorpusFile('healthy', f, read(f), tf, 'cpu'));
    for (const f of Object.keys(brokenKey.files)) files.push(await measureCorpusFile('broken', f, broken(f), tf, 'cpu'));
    // The models the engine runs as written within the background bounds: 9 of them (dcgan.py's Discriminator since
    // Sequentials built from lists run, src/core/signal/lists.ts; mobilenetv2.py's Block since `if self.stride==1` reads
    // __init__'s values as the analysis ends with them), 49 of their layers judged on measured gains.
    assert.equal(files.reduce((n, f) => n + (f.measured?.models.size ?? 0), 0), 9);
    assert.equal(files.reduce((n, f) => n + [...f.layers.values()].filter(({ layer }) => f.advice.verdict(layer)?.gain?.analytic === false).length, 0), 49);
    const s = score(files, { healthy, broken: brokenKey }, ADVICE_DISAGREEMENTS);
    assert.deepEqual(s.mismatches, []);
    assert.deepEqual(s.unmatched, []);
    assert.equal(s.healthyWarnings, 0);
    assert.equal(s.brokenMissed, 0);
    assert.equal(s.precision, 1);
    assert.equal(s.recall, 1);
    assert.equal(s.truePositives, 59);
  });
});
