/**
 * The panel's pure parts: what is sampled for a layer (series and their
 * schemes), and the view models that turn bins into drawable series.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { adviseAnalysis } from '../../src/core/advice/judge';
import { ModelAnalyzer } from '../../src/core/model/analyze';
import { layerRows, previewPlan, previewProblem, seedFromFile } from '../../src/core/preview/requests';
import { parsePython } from '../../src/core/python/parse';
import { analyzeSeeding } from '../../src/core/seeding/analyze';
import { DEFAULT_CONTROLS, type SeriesData } from '../../src/webview/protocol';
import { binsCsv, densityBars, markers, placeMarkers, statsRows, theoryCurve, xDomain } from '../../src/webview/viewModel';

const MODEL = [
  'import torch',
  'import torch.nn as nn',
  'torch.manual_seed(1234)',
  'class Net(nn.Module):',
  '    def __init__(self, d=16):',
  '        super().__init__()',
  '        self.fc = nn.Linear(64, 32)',
  '        self.mid = nn.Linear(32, 32)',
  '        self.out = nn.Linear(32, self.k)',
  '        nn.init.xavier_uniform_(self.mid.weight)',
  '    def forward(self, x):',
  '        return self.out(torch.relu(self.mid(torch.relu(self.fc(x)))))',
  '',
].join('\n');

function analyze() {
  const tree = parsePython(MODEL);
  return { model: new ModelAnalyzer().analyze(tree, MODEL).models[0], seeding: analyzeSeeding(tree, MODEL) };
}

describe('preview requests', () => {
  it('compares the scheme in effect, the recommended one and the default, without duplicates', () => {
    const { model } = analyze();
    const fc = model.layers[0];
    const plan = previewPlan(model, fc, { ...DEFAULT_CONTROLS, seed: '7', bins: 50 });
    // In effect = PyTorch's default, so the default is not repeated.
    assert.deepEqual(plan.series.map((s) => s.role), ['current', 'recommended']);
    assert.deepEqual(plan.series[0].request, { shape: [32, 64], framework: 'torch', seed: '7', bins: 50, scheme: { kind: 'kaiming_uniform', a: Math.sqrt(5), mode: 'fan_in', nonlinearity: 'leaky_relu' } });
    assert.deepEqual(plan.series[1].request.scheme, { kind: 'kaiming_normal', a: 0, mode: 'fan_in', nonlinearity: 'relu' });
    assert.equal(plan.code, 'nn.init.kaiming_uniform_(self.fc.weight, a=2.23606797749979, nonlinearity="leaky_relu")');
    const mid = previewPlan(model, model.layers[1], DEFAULT_CONTROLS);
    assert.deepEqual(mid.series.map((s) => [s.role, s.request.scheme.kind]), [
      ['current', 'xavier_uniform'],
      ['recommended', 'kaiming_normal'],
      ['default', 'kaiming_uniform'],
    ]);
  });

  it('previews the scheme chosen in the controls first', () => {
    const { model } = analyze();
    const plan = previewPlan(model, model.layers[0], { ...DEFAULT_CONTROLS, scheme: 'trunc_normal', mean: 0, std: 0.02, low: -0.04, high: 0.04 });
    assert.deepEqual(plan.series[0].request.scheme, { kind: 'trunc_normal', mean: 0, std: 0.02, a: -0.04, b: 0.04 });
    assert.equal(plan.series[0].role, 'custom');
    assert.equal(plan.code, 'nn.init.trunc_normal_(self.fc.weight, mean=0.0, std=0.02, a=-0.04, b=0.04)');
  });

  it('refuses layers of unknown shape, and flags exactly the layers whose verdict is a warning', () => {
    const { model } = analyze();
    assert.equal(previewProblem(model.layers[2]), 'The shape of out.weight is not known (self.k×32).');
    // Xavier before ReLU on two layers: ×0.71 per layer, a healthy gain, so a note and no flag.
    const tree = parsePython(MODEL);
    const analysis = new ModelAnalyzer().analyze(tree, MODEL);
    const rows = layerRows(analysis.models[0], (l) => adviseAnalysis(analysis, MODEL).verdict(l));
    assert.deepEqual(rows.map((r) => [r.name, r.shape, r.previewable, r.flag !== undefined]), [
      ['fc', '32×64', true, false],
      ['mid', '32×32', true, false],
      ['out', 'self.k×32', false, false],
    ]);
    const zeros = MODEL.replace('xavier_uniform_(self.mid.weight)', 'zeros_(self.mid.weight)');
    const z = new ModelAnalyzer().analyze(parsePython(zeros), zeros);
    const flagged = layerRows(z.models[0], (l) => adviseAnalysis(z, zeros).verdict(l));
    assert.deepEqual(flagged.map((r) => r.flag !== undefined), [false, true, false]);
    assert.match(flagged[1].flag ?? '', /^mid\.weight starts as a constant \(zeros_\)/);
  });

  it('starts from the seed the file uses', () => {
    assert.equal(seedFromFile(analyze().seeding), '1234');
    const text = 'import torch\ntorch.manual_seed(SEED)\n';
    assert.equal(seedFromFile(analyzeSeeding(parsePython(text), text)), undefined);
  });
});

describe('view models', () => {
  // Two bins of width 0.5 over [-0.5, 0.5]; 30 of 40 values binned, 10 outside.
  const series: SeriesData = {
    role: 'current',
    label: 'x',
    edges: [-0.5, 0, 0.5],
    counts: [10, 20],
    density: [0.8, 1.2],
    count: 40,
    total: 100,
    mean: 0.01,
    std: 0.3,
    min: -0.7,
    max: 0.9,
    beyond2Sigma: 0.05,
    theoryMean: 0,
    theoryStd: 0.25,
    low: -0.5,
    high: 0.5,
  };

  it('turns counts into densities normalized by the values binned so far', () => {
    assert.deepEqual(densityBars(series, 'linear'), [
      { x1: -0.5, x2: 0, y: 10 / (40 * 0.5) },
      { x1: 0, x2: 0.5, y: 20 / (40 * 0.5) },
    ]);
    assert.deepEqual(densityBars({ ...series, counts: [0, 20] }, 'log'), [{ x1: 0, x2: 0.5, y: 1 }]);
    assert.deepEqual(theoryCurve(series, 'linear'), [
      { x: -0.25, y: 0.8 },
      { x: 0.25, y: 1.2 },
    ]);
  });

  it('places σ markers and bounds, and a domain covering every series', () => {
    assert.deepEqual(markers(series).map((m) => [m.x, m.label]), [
      [-0.5, '−2σ'],
      [-0.25, '−σ'],
      [0.25, '+σ'],
      [0.5, '+2σ'],
      [-0.5, 'low'],
      [0.5, 'high'],
    ]);
    assert.deepEqual(xDomain([series, { ...series, edges: [-2, 0, 1] }]), [-2, 1]);
  });

  it('puts σ marker labels in rows where no two overlap', () => {
    // 1 px per unit: "+σ" covers [3, 17], "+2σ" [9.5, 30.5] (too close: next row), "low" [39.5, 60.5] (clears 17 + 4).
    const scale = { domain: [0, 100], range: [0, 100] } as const;
    const rows = placeMarkers([{ x: 10, label: '+σ' }, { x: 20, label: '+2σ' }, { x: 50, label: 'low' }], scale).map((m) => m.row);
    assert.deepEqual(rows, [0, 1, 0]);
    // Every marker set of a uniform or truncated scheme, from wide to a few pixels apart, on charts 320 to 900 px wide.
    let stacked = 0;
    for (const std of [0.5, 0.1, 0.02, 0.005, 0.0001]) {
      for (const width of [320, 640, 900]) {
        const s = { ...series, theoryMean: 0.1, theoryStd: std, low: 0.1 - Math.sqrt(3) * std, high: 0.1 + Math.sqrt(3) * std };
        const px = (x: number) => 56 + ((x + 1) / 2) * (width - 20 - 56);
        const placed = placeMarkers(markers(s), { domain: [-1, 1], range: [56, width - 20] });
        assert.equal(placed.length, 6);
        if (placed.some((m) => m.row > 0)) stacked++;
        for (const a of placed) {
          for (const b of placed) {
            if (a === b || a.row !== b.row) continue;
            const [a0, a1] = [px(a.x) - (a.label.length * 7) / 2, px(a.x) + (a.label.length * 7) / 2];
            const [b0, b1] = [px(b.x) - (b.label.length * 7) / 2, px(b.x) + (b.label.length * 7) / 2];
            assert.ok(a1 + 4 <= b0 || b1 + 4 <= a0, `${a.label}@${a.x} and ${b.label}@${b.x} overlap in row ${a.row} (std ${std}, width ${width})`);
          }
        }
      }
    }
    assert.ok(stacked >= 9, `${stacked} of 15 charts needed a second row`);
  });

  it('writes the statistics table and the CSV', () => {
    const rows = statsRows([series], '64', '32');
    assert.deepEqual(rows[3], ['count', '40 of 100']);
    assert.deepEqual(rows[5], ['std', '0.3']);
    assert.deepEqual(rows[9], ['beyond ±2σ', '5%']);
    assert.equal(binsCsv(series), 'lower,upper,count,density,theoretical_density\n-0.5,0,10,0.5,0.8\n0,0.5,20,1,1.2\n');
  });
});
