/**
 * The Signal panel's pure parts: the verdict (on PyTorch's own numbers for
 * the deep tanh MLP), the view models and CSV, the protocol's readers, the
 * settings, the page's CSP, and that TensorFlow.js stays out of the bundles
 * loaded at activation and panel open.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { ROOT } from '../host/paths';
import { ModelAnalyzer } from '../../src/core/model/analyze';
import { parsePython } from '../../src/core/python/parse';
import type { SignalStats } from '../../src/core/signal/engine';
import { buildGraph } from '../../src/core/signal/graph';
import { prepareRuns } from '../../src/core/signal/job';
import { streamDraws } from '../../src/core/torch/program';
import { analyzeSeeding } from '../../src/core/seeding/analyze';
import { signalScheme, SIGNAL_SCHEMES } from '../../src/core/signal/schemes';
import { readInputShape, readPanelSettings } from '../../src/core/signal/settings';
import { showRatio, signalVerdict } from '../../src/core/signal/verdict';
import { backendDetail, backendSummary } from '../../src/core/signal/backendChoice';
import { randn } from '../../src/core/signal/schemes';
import { signalPageHtml } from '../../src/panel/signalHtml';
import { parseSignalHostMessage, parseSignalPageMessage, parseSignalPanelState } from '../../src/webview/signalProtocol';
import { statsDifference } from '../../src/core/signal/agreement';
import { depthPoints, layerRows, sampleStd, signalCsv, undrawable, type SchemeResult } from '../../src/webview/signalViewModel';

interface Key {
  text: string;
  inputShape: number[];
  inputSeed: number;
  runs: { scheme: string; output: { std: number }; layers: unknown[] }[];
}
const deepTanh = JSON.parse(fs.readFileSync(path.join(ROOT, 'test/fixtures/signal/deep-tanh.json'), 'utf8')) as Key;

describe('signal verdict', () => {
  it('numbers as the issue writes them', () => {
    assert.deepEqual([0.9, 0.7744, 12, 0.045, 3e-9, 2.337e-10, 1e-3, 1.4e-3, 2e12, 0, 1234].map(showRatio), ['0.9', '0.77', '12', '0.045', '3·10⁻⁹', '2·10⁻¹⁰', '10⁻³', '10⁻³', '2·10¹²', '0', '10³']);
  });

  it("the issue's example", () => {
    assert.equal(
      signalVerdict([{ short: 'N(0, 0.01)', output: { std: 3e-9 } }, { short: 'He', output: { std: 0.9 } }], 1, 8),
      'N(0, 0.01): output std 3·10⁻⁹ of the input after 8 layers: the signal vanishes; He keeps it at 0.9.',
    );
  });

  it("on PyTorch's numbers for the 12-layer tanh MLP (test/fixtures/signal/deep-tanh.json)", () => {
    const short = (id: string) => signalScheme(id)!.short;
    // torch.randn(8, 256) from manual_seed(1): x.double().std() is 1.0296911045688324 in torch 1.13, reproduced here.
    const inputStd = sampleStd(randn(deepTanh.inputShape, BigInt(deepTanh.inputSeed)));
    assert.ok(Math.abs(inputStd - 1.0296911045688324) < 1e-12, String(inputStd));
    // Output/input in torch: normal 2.314e-10 (farthest from 1), lsuv 0.9712 (nearest: its last layer scaled to variance 1 on this input), he 0.7666, in effect 0.04453.
    assert.equal(
      signalVerdict(deepTanh.runs.map((r) => ({ short: short(r.scheme), output: r.output })), inputStd, deepTanh.runs[0].layers.length),
      'N(0, 0.01): output std 2·10⁻¹⁰ of the input after 12 layers: the signal vanishes; LSUV keeps it at 0.97 (in effect: 0.045).',
    );
  });

  it('a token input (an Embedding reads it) is rated against 1, not against the std of the indices', () => {
    assert.equal(signalVerdict([{ short: 'N(0, 0.01)', output: { std: 0.00117 } }, { short: 'He', output: { std: 0.366 } }], null, 3), 'N(0, 0.01): output std 10⁻³ after 3 layers: the signal vanishes; He keeps it at 0.37.');
    assert.equal(signalVerdict([{ short: 'in effect', output: { std: 0.5 } }], null, 2), "Every scheme keeps the output std within 10× of 1 after 2 layers (in effect: 0.5).");
  });

  it('zeros only when nothing else is out of range; explosions; every scheme fine', () => {
    assert.equal(signalVerdict([{ short: 'zeros', output: { std: 0 } }, { short: 'He', output: { std: 1.1 } }], 1, 3), 'zeros: output std 0 after 3 layers: the signal is gone; He keeps it at 1.1.');
    assert.equal(signalVerdict([{ short: 'zeros', output: { std: 0 } }, { short: 'constant 0.01', output: { std: 40 } }, { short: 'He', output: { std: 2 } }], 2, 5), 'constant 0.01: output std 20 of the input after 5 layers: the signal explodes; He keeps it at 1.');
    assert.equal(signalVerdict([{ short: 'in effect', output: { std: 0.5 } }, { short: 'He', output: { std: 0.8 } }], 1, 1), "Every scheme keeps the output std within 10× of the input's after 1 layer (He: 0.8).");
    assert.equal(signalVerdict([{ short: 'N(0, 0.01)', output: { std: 1e-5 } }, { short: 'Xavier', output: { std: 0.02 } }], 1, 20), 'N(0, 0.01): output std 10⁻⁵ of the input after 20 layers: the signal vanishes; no scheme here keeps it within 10×.');
  });
});

const stats = (layers: { name: string; out: number; act?: number; zero?: number; sat?: number | null; grad: number }[], output: number): SignalStats => ({
  output: { std: output },
  layers: layers.map((l, i) => ({
    name: l.name,
    type: 'Linear',
    line: 10 + i,
    out: { mean: 0.25, std: l.out },
    act: l.act === undefined ? null : { mean: 0.5, std: l.act, zeroFraction: l.zero ?? 0, saturatedFraction: l.sat ?? null },
    grad: { std: l.grad },
    weightGrad: { std: l.grad / 2 },
  })),
});

describe('signal view models', () => {
  const results: SchemeResult[] = [
    { scheme: 'he', short: 'He', exact: true, stats: stats([{ name: 'fc1', out: 1.5, act: 0.75, zero: 0.5, grad: 0.1 }, { name: 'fc2', out: 0.3, grad: 1 }], 0.3) },
    { scheme: 'zeros', short: 'zeros', exact: false, stats: stats([{ name: 'fc1', out: 0, act: 0, zero: 1, sat: 0, grad: 0 }, { name: 'fc2', out: 0, grad: 1 }], 0) },
  ];

  it('points per scheme and depth; a zero std is named, not drawn, on the log scale', () => {
    assert.deepEqual(depthPoints(results, 'forward'), [
      { scheme: 'He', depth: 1, layer: 'fc1', y: 0.75 },
      { scheme: 'He', depth: 2, layer: 'fc2', y: 0.3 },
    ]);
    assert.deepEqual(depthPoints(results, 'zero'), [
      { scheme: 'He', depth: 1, layer: 'fc1', y: 0.5 },
      { scheme: 'zeros', depth: 1, layer: 'fc1', y: 1 },
    ]);
    assert.deepEqual(depthPoints(results, 'saturated'), [{ scheme: 'zeros', depth: 1, layer: 'fc1', y: 0 }]);
    assert.deepEqual(undrawable(results, 'forward'), ['zeros: 0 from layer 1 (fc1)']);
    assert.deepEqual(undrawable(results, 'gradient'), ['zeros: 0 from layer 1 (fc1)']);
  });

  it('the CSV: every scheme and layer at full precision, then the output', () => {
    const csv = signalCsv(results).split('\n');
    assert.equal(csv[0], 'scheme,exact,depth,layer,type,line,out_mean,out_std,act_mean,act_std,zero_fraction,saturated_fraction,grad_std,weight_grad_std,step_grad_first,step_grad_last');
    assert.equal(csv[1], 'he,true,1,fc1,Linear,10,0.25,1.5,0.5,0.75,0.5,,0.1,0.05,,');
    assert.equal(csv[2], 'he,true,2,fc2,Linear,11,0.25,0.3,,,,,1,0.5,,');
    assert.equal(csv[3], 'he,true,,output,,,,0.3');
    assert.equal(csv.length, 8);
    assert.equal(csv[7], '');
  });

  it('the table of one scheme', () => {
    assert.deepEqual(layerRows(results[0]), [
      ['layer', 'type', 'out mean', 'out std', 'act std', 'dead', 'saturated', 'grad std', 'weight grad std'],
      ['fc1', 'Linear', '0.2500', '1.500', '0.7500', '50.0%', '–', '0.1000', '0.05000'],
      ['fc2', 'Linear', '0.2500', '0.3000', '–', '–', '–', '1.000', '0.5000'],
    ]);
  });
});

describe('the Signal panel: the gradient through time of a recurrent layer', () => {
  const rnn: SchemeResult = {
    scheme: 'in-effect',
    short: 'in effect',
    exact: true,
    stats: {
      output: { std: 0.5 },
      layers: [
        { name: 'rnn', type: 'RNN', line: 5, out: { mean: 0, std: 0.4 }, act: null, grad: { std: 0.2 }, weightGrad: { std: 0.01 }, stepGrad: { first: 1.25e-6, last: 0.0332 } },
        { name: 'fc', type: 'Linear', line: 6, out: { mean: 0.1, std: 0.3 }, act: null, grad: { std: 1 }, weightGrad: { std: 0.2 } },
      ],
    },
  };

  it('the table gets the first and last step of the input gradient, the CSV their full values', () => {
    const rows = layerRows(rnn);
    assert.deepEqual(rows[0].slice(-2), ['input grad, first step', 'input grad, last step']);
    assert.deepEqual(rows[1].slice(-2), ['1.250e-6', '0.03320']);
    assert.deepEqual(rows[2].slice(-2), ['–', '–']);
    const csv = signalCsv([rnn]).split('\n');
    assert.equal(csv[1], 'in-effect,true,1,rnn,RNN,5,0,0.4,,,,,0.2,0.01,0.00000125,0.0332');
    assert.equal(csv[2], 'in-effect,true,2,fc,Linear,6,0.1,0.3,,,,,1,0.2,,');
  });
});

const MLP = 'import torch.nn as nn\nmodel = nn.Sequential(nn.Linear(6, 5), nn.Tanh(), nn.Linear(5, 3))\n';

/** A 2-layer bidirectional LSTM read at its last step and its final cell state: rnn, rnnState and select ops, recurrent weights. */
const LSTM = [
  'import torch.nn as nn',
  'class M(nn.Module):',
  '    def __init__(self):',
  '        super().__init__()',
  '        self.lstm = nn.LSTM(3, 4, num_layers=2, bidirectional=True, batch_first=True)',
  '        self.fc = nn.Linear(8, 2)',
  '        self.fc2 = nn.Linear(4, 2)',
  '    def forward(self, x):',
  '        out, (h, c) = self.lstm(x)',
  '        return self.fc(out[:, -1, :]) + self.fc2(c[-1])',
  '',
].join('\n');

function job(text = MLP, name?: string, inputShape?: number[]) {
  const tree = parsePython(text);
  const analysis = new ModelAnalyzer().analyze(tree, text);
  const models = analysis.models;
  const model = name ? models.find((m) => m.name === name)! : models[0];
  const graph = buildGraph(model, tree, text, inputShape ? { inputShape } : {});
  const draws = streamDraws(model, undefined, { tree, text, seeding: analyzeSeeding(tree, text), models: analysis });
  const prepared = prepareRuns(model, graph, { seed: 0n, inputSeed: 0n, schemes: SIGNAL_SCHEMES, draws });
  return {
    type: 'job' as const,
    request: 1,
    uri: 'file:///w/m.py',
    title: 'InitLens: signal of model',
    model: model.name,
    settings: { seed: '0', inputSeed: '0', inputShape: '8,6' },
    inputNote: graph.inputNote,
    graph,
    input: prepared.input,
    upstream: prepared.upstream,
    runs: prepared.runs.map((r) => ({ scheme: r.scheme.id, label: r.scheme.label, short: r.scheme.short, exact: r.exact, reasons: [...r.reasons], weights: [...r.weights].map(([name, values]) => ({ name, values })) })),
    skipped: [...prepared.skipped],
  };
}

describe('signal protocol', () => {
  it('a job the host prepares reads back as it was (typed arrays copied)', () => {
    const j = job();
    assert.equal(j.runs.length, SIGNAL_SCHEMES.length);
    const parsed = parseSignalHostMessage(structuredClone(j));
    assert.ok('value' in parsed, 'problem' in parsed ? parsed.problem : '');
    assert.deepEqual(parsed.value, j);
    assert.ok(parsed.value.type === 'job' && parsed.value.input instanceof Float32Array);
  });

  it('the schemes that follow a job (runs messages) read back as they were; their count is bounded', () => {
    const j = job();
    const more = { type: 'runs' as const, request: 1, runs: j.runs.slice(1, 2), skipped: [{ scheme: 'lsuv', why: 'LSUV: fc1.weight has no values' }], pending: 7 };
    const parsed = parseSignalHostMessage(structuredClone(more));
    assert.ok('value' in parsed, 'problem' in parsed ? parsed.problem : '');
    assert.deepEqual(parsed.value, more);
    const pending = parseSignalHostMessage({ ...more, pending: 17 });
    assert.ok('problem' in pending && /pending/.test(pending.problem), JSON.stringify(pending));
    const withPending = parseSignalHostMessage(structuredClone({ ...j, runs: j.runs.slice(0, 1), pending: 9 }));
    assert.ok('value' in withPending && withPending.value.type === 'job' && withPending.value.pending === 9);
  });

  it('a recurrent job reads back as it was; a state or a selection the engine could not take is refused', () => {
    const j = job(LSTM);
    assert.deepEqual(j.graph.notSimulated, []);
    assert.deepEqual(j.graph.ops.map((o) => o.kind), ['input', 'rnn', 'rnnState', 'rnnState', 'select', 'linear', 'select', 'linear', 'add']);
    assert.equal(j.graph.layers[0].params.length, 16);
    const parsed = parseSignalHostMessage(structuredClone(j));
    assert.ok('value' in parsed, 'problem' in parsed ? parsed.problem : '');
    assert.deepEqual(parsed.value, j);
    const problem = (ops: unknown[]) => {
      const r = parseSignalHostMessage({ ...j, graph: { ...j.graph, ops } });
      return 'problem' in r ? r.problem : undefined;
    };
    const ops = j.graph.ops as unknown as Record<string, unknown>[];
    const at = (i: number, change: Record<string, unknown>) => ops.map((o, k) => (k === i ? { ...o, ...change } : o));
    assert.equal(problem(at(3, { input: 0 })), 'graph op 3 reads a state of op 0, which has none');
    assert.equal(problem(at(4, { begin: [0, 16, 0] })), 'graph op 4 selects outside op 1');
    assert.equal(problem(at(4, { squeeze: [2] })), 'graph op 4 selects outside op 1');
    assert.equal(problem(at(1, { cell: 'rnn_sigmoid' })), 'graph.ops[1].cell must be one of rnn_tanh, rnn_relu, lstm, gru');
  });

  it('every op kind of the attention, embedding, 3-d, transposed-conv, group-norm and cat models reads back as it was', () => {
    const kinds = new Set<string>();
    for (const [file, name] of [['gpt-block', 'TinyGPT'], ['transformer-batch-first', 'EncoderBF'], ['transformer-encoder', 'Encoder'], ['conv3d-net', 'Conv3dNet'], ['convtranspose-decoder', 'Decoder'], ['unet-cat', 'TinyUNet'], ['groupnorm-net', 'GroupNormNet']]) {
      const key = JSON.parse(fs.readFileSync(path.join(ROOT, `test/fixtures/signal/${file}.json`), 'utf8')) as Key;
      const j = job(key.text, name);
      assert.deepEqual(j.graph.notSimulated, [], file);
      for (const o of j.graph.ops) kinds.add(o.kind);
      const parsed = parseSignalHostMessage(structuredClone(j));
      assert.ok('value' in parsed, `${file}: ${'problem' in parsed ? parsed.problem : ''}`);
      assert.deepEqual(parsed.value, j);
    }
    assert.deepEqual([...kinds].sort(), ['activation', 'add', 'arange', 'batchnorm', 'concat', 'conv', 'convTranspose', 'embedding', 'groupnorm', 'input', 'layernorm', 'linear', 'matmul', 'mean', 'reshape', 'scale', 'slice', 'transpose']);
    // The token input and the rows inside composite layers travel with their fields.
    const gpt = job((JSON.parse(fs.readFileSync(path.join(ROOT, 'test/fixtures/signal/gpt-block.json'), 'utf8')) as Key).text, 'TinyGPT');
    // wte (50 tokens) reads the input; wpe reads torch.arange(t).
    assert.deepEqual({ ...gpt.graph.ops[0], line: 0 }, { kind: 'input', shape: [8, 16], line: 0, tokens: 50 });
    assert.match(gpt.inputNote, /^from wte \(Embedding\), 16 token indices per sequence from torch\.randint$/);
    assert.ok(gpt.input.every((v) => Number.isInteger(v) && v >= 0 && v < 50));
    assert.ok(new Set(gpt.input).size > 10);
    const enc = job((JSON.parse(fs.readFileSync(path.join(ROOT, 'test/fixtures/signal/transformer-encoder.json'), 'utf8')) as Key).text, 'Encoder');
    const sa = enc.graph.layers.find((l) => l.name === 'enc1.self_attn')!;
    assert.equal(sa.weight, 'enc1.self_attn.in_proj_weight');
    assert.deepEqual(sa.params.map((p) => p.name), ['enc1.self_attn.in_proj_weight', 'enc1.self_attn.in_proj_bias', 'enc1.self_attn.out_proj.weight', 'enc1.self_attn.out_proj.bias']);
  });

  it("a model's nn.Parameter members and einops' broadcasts read back as they were; a member the graph does not list, or a broadcast that does not fit, is refused", () => {
    const problem = (m: unknown) => {
      const r = parseSignalHostMessage(m);
      return 'problem' in r ? r.problem : undefined;
    };
    const key = JSON.parse(fs.readFileSync(path.join(ROOT, 'test/fixtures/signal/members-tokens.json'), 'utf8')) as Key;
    const j = job(key.text, 'Tokens', [4, 5, 8]);
    assert.deepEqual(j.graph.notSimulated, []);
    assert.deepEqual(j.graph.tensors?.map((t) => t.name), ['cls_token', 'pos', 'scale']);
    assert.ok(j.graph.ops.some((o) => o.kind === 'param') && j.graph.ops.some((o) => o.kind === 'broadcast'));
    const parsed = parseSignalHostMessage(structuredClone(j));
    assert.ok('value' in parsed, 'problem' in parsed ? parsed.problem : '');
    assert.deepEqual(parsed.value, j);
    assert.equal(problem({ ...j, graph: { ...j.graph, tensors: j.graph.tensors?.slice(1) } }), 'a graph op reads a member (cls_token) the graph does not list');
    const b = j.graph.ops.findIndex((o) => o.kind === 'broadcast');
    assert.equal(problem({ ...j, graph: { ...j.graph, ops: j.graph.ops.map((o, i) => (i === b ? { ...o, shape: [4, 2, 8] } : o)) } }), 'a broadcast to a shape its input does not broadcast to');
    assert.equal(problem({ ...j, graph: { ...j.graph, tensors: [{ ...j.graph.tensors![0], role: 'weight' }] } }), 'graph.tensors[0].role must be "member"');
  });

  it('refuses token indices and slices the engine would trip on', () => {
    const problem = (m: unknown) => {
      const r = parseSignalHostMessage(m);
      return 'problem' in r ? r.problem : undefined;
    };
    const key = JSON.parse(fs.readFileSync(path.join(ROOT, 'test/fixtures/signal/gpt-block.json'), 'utf8')) as Key;
    const j = job(key.text, 'TinyGPT');
    const ops = [...j.graph.ops];
    const emb = ops.findIndex((o) => o.kind === 'embedding');
    ops[0] = { kind: 'input', shape: ops[0].shape, line: 1 };
    assert.equal(problem({ ...j, graph: { ...j.graph, ops } }), 'an embedding reads token indices (the input, or an arange)');
    const sliced = [...j.graph.ops];
    const s = sliced.findIndex((o) => o.kind === 'slice');
    sliced[s] = { ...(sliced[s] as Extract<(typeof sliced)[number], { kind: 'slice' }>), start: 90 };
    assert.equal(problem({ ...j, graph: { ...j.graph, ops: sliced } }), 'a slice beyond its input');
    assert.equal(problem({ ...j, graph: { ...j.graph, ops: j.graph.ops.map((o, i) => (i === emb + 1 ? { ...o, tokens: 3 } : o)) } }), `graph.ops[${emb + 1}] has an unknown field "tokens"`);
    const layers = j.graph.layers.map((l, i) => (i === 0 ? { ...l, weight: 'nope.weight' } : l));
    assert.equal(problem({ ...j, graph: { ...j.graph, layers } }), 'a graph layer reports the gradient of a weight it does not have');
  });

  it('refuses what the engine would trip on, and weights not sent as float32', () => {
    const problem = (m: unknown) => {
      const r = parseSignalHostMessage(m);
      return 'problem' in r ? r.problem : undefined;
    };
    const j = job();
    const ops = [...j.graph.ops];
    ops[1] = { ...ops[1], input: 2 } as (typeof ops)[number];
    assert.equal(problem({ ...j, graph: { ...j.graph, ops } }), 'graph op 1 reads a later op');
    assert.equal(problem({ ...j, graph: { ...j.graph, ops: [j.graph.ops[0], { kind: 'lstm', shape: [1], line: 1, input: 0 }] } }), 'unknown graph op kind "lstm"');
    assert.equal(problem({ ...j, input: Array.from(j.input) }), 'input must be a Float32Array of at most 134,217,728 values');
    assert.equal(problem({ ...j, runs: [{ ...j.runs[0], weights: [{ name: 'model.0.weight', values: new Float64Array(30) }] }] }), 'runs[0].weights[0].values must be a Float32Array of at most 134,217,728 values');
    assert.equal(problem({ ...j, graph: { ...j.graph, output: 99 } }), 'the graph output is not one of its ops');
    assert.equal(problem({ ...j, extra: 1 }), 'it has an unknown field "extra"');
  });

  it("a job with the host's preview of its first scheme reads back as it was; a preview with a field too many or a wrong type is refused", () => {
    const j = job();
    const stats: SignalStats = {
      output: { std: 0.25 },
      layers: [
        { name: 'model.0', type: 'Linear', line: 4, out: { mean: 0.01, std: 0.5 }, act: { mean: 0.2, std: 0.3, zeroFraction: 0.5, saturatedFraction: null }, grad: { std: 0.1 }, weightGrad: { std: 0.02 } },
        { name: 'model.2', type: 'Linear', line: 6, out: { mean: 0, std: Infinity }, act: null, grad: { std: Number.NaN }, weightGrad: null },
      ],
    };
    const withPreview = { ...j, runs: j.runs.slice(0, 1), pending: 8, preview: { backend: 'wasm', summary: 'wasm (SIMD, 1 thread)', stats } };
    const parsed = parseSignalHostMessage(structuredClone(withPreview));
    assert.ok('value' in parsed, 'problem' in parsed ? parsed.problem : '');
    assert.deepEqual(parsed.value, withPreview);
    const problem = (preview: unknown) => {
      const r = parseSignalHostMessage({ ...withPreview, preview });
      return 'problem' in r ? r.problem : undefined;
    };
    assert.equal(problem({ ...withPreview.preview, stats: { ...stats, lsuv: [] } }), 'preview.stats has an unknown field "lsuv"');
    assert.equal(problem({ ...withPreview.preview, stats: { ...stats, layers: [{ ...stats.layers[0], act: 'relu' }] } }), 'preview.stats.layers[0].act must be an object');
    assert.ok('value' in parseSignalPageMessage({ type: 'done', request: 2, backend: 'wasm', summary: 'wasm', runs: 9, cancelled: false, ms: 3, preview: { backend: 'wasm', difference: 2e-7 } }));
  });

  it('page messages and the saved state', () => {
    assert.ok('value' in parseSignalPageMessage({ type: 'configure', settings: { seed: '', inputSeed: '3', inputShape: '4, 6' } }));
    assert.ok('value' in parseSignalPageMessage({ type: 'done', request: 2, backend: 'webgl', summary: 'webgl · not webgpu: no adapter', runs: 9, cancelled: false, ms: 12.5 }));
    const bad = parseSignalPageMessage({ type: 'configure', settings: { seed: '-1', inputSeed: '0', inputShape: '' } });
    assert.ok('problem' in bad && bad.problem === 'settings.seed must be empty or an integer from 0 to 2^64−1 (decimal digits)');
    const png = parseSignalPageMessage({ type: 'export', format: 'png', data: 'data:image/png;base64,AAAA' });
    assert.ok('problem' in png && png.problem === 'a PNG export must be a base64 data:image/png URL of a PNG');
    assert.ok('value' in parseSignalPageMessage({ type: 'export', format: 'png', data: 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUg==' }));
    assert.ok('problem' in parseSignalPageMessage({ type: 'export', format: 'pdf', data: '' }));
    assert.ok('value' in parseSignalPanelState({ uri: 'file:///w/m.py', model: 'Net', settings: { seed: '42', inputSeed: '0', inputShape: '' } }));
  });
});

describe('signal settings', () => {
  it('the panel fields: defaults where empty, the problem otherwise', () => {
    assert.deepEqual(readPanelSettings({ seed: '', inputSeed: '', inputShape: '' }), { value: { inputSeed: 0n } });
    assert.deepEqual(readPanelSettings({ seed: '18446744073709551615', inputSeed: '7', inputShape: '8, 3x32×32' }), { value: { seed: 18446744073709551615n, inputSeed: 7n, inputShape: [8, 3, 32, 32] } });
    assert.deepEqual(readPanelSettings({ seed: '', inputSeed: '18446744073709551615', inputShape: '' }), { problem: "the input seed must be an integer from 0 to 2^64−2, got '18446744073709551615'" });
    assert.deepEqual(readInputShape('8,0'), { problem: "input shape dimensions must be positive integers, got '0' in '8,0'" });
    assert.ok('problem' in readInputShape('65536,65536'));
  });
});

describe('signal backends line', () => {
  it('one short line, the detail in the tooltip', () => {
    const failures = [
      { backend: 'webgpu', reason: 'no WebGPU adapter (no usable GPU, or it is blocked)' },
      { backend: 'webgl', reason: 'no WebGL context (WebGL disabled, or the GPU is blocked)' },
    ];
    assert.equal(backendSummary('wasm', failures), 'wasm · not webgpu: no WebGPU adapter, not webgl: no WebGL context');
    assert.equal(backendSummary('wasm', [], 'SIMD, 1 thread'), 'wasm (SIMD, 1 thread)');
    assert.equal(
      backendDetail({ backend: 'wasm', failures, detail: 'SIMD, 1 thread' }),
      'webgpu: no WebGPU adapter (no usable GPU, or it is blocked)\nwebgl: no WebGL context (WebGL disabled, or the GPU is blocked)\nwasm: ran (SIMD, 1 thread)',
    );
  });
});

describe('signal page', () => {
  it('its CSP: nonce and extension scripts, wasm compilation and fetches from the extension only, no eval', () => {
    const html = signalPageHtml({ cspSource: 'https://ext.example', nonce: 'N0nce', script: 'https://ext.example/dist/signal.js', compute: 'https://ext.example/dist/signal/compute.js', wasm: 'https://ext.example/dist/wasm/', style: 'https://ext.example/media/panel.css', backends: 'auto' });
    const csp = /http-equiv="Content-Security-Policy" content="([^"]+)"/.exec(html)?.[1];
    assert.equal(csp, "default-src 'none'; img-src https://ext.example data:; style-src https://ext.example 'unsafe-inline'; script-src 'nonce-N0nce' https://ext.example 'wasm-unsafe-eval'; connect-src https://ext.example; worker-src blob:");
    assert.match(html, /<body data-compute="https:\/\/ext\.example\/dist\/signal\/compute\.js" data-wasm="https:\/\/ext\.example\/dist\/wasm\/" data-backends="auto">/);
    assert.equal([...html.matchAll(/<script /g)].length, 1);
    const preloaded = signalPageHtml({ cspSource: 'https://e', nonce: 'N', script: 'https://e/s.js', compute: 'https://e/c.js', wasm: 'https://e/w/', style: 'https://e/p.css', backends: 'gpu', preload: { modules: ['https://e/c.js', 'https://e/"x.js'], wasm: 'https://e/w/simd.wasm' } });
    assert.ok(preloaded.includes('<link rel="modulepreload" href="https://e/c.js">\n<link rel="modulepreload" href="https://e/&quot;x.js">\n<link rel="preload" as="fetch" crossorigin="anonymous" href="https://e/w/simd.wasm">'));
    assert.match(preloaded, /data-backends="gpu">/);
    // The host's hint that it runs the first scheme: one attribute, only when given.
    const hinted = signalPageHtml({ cspSource: 'https://e', nonce: 'N', script: 'https://e/s.js', compute: 'https://e/c.js', wasm: 'https://e/w/', style: 'https://e/p.css', backends: 'auto', hostFirst: true });
    assert.match(hinted, /data-backends="auto" data-host-first="1">/);
    // The build lists compute.js and the wasm backend's chunks for it.
    const listed = JSON.parse(fs.readFileSync(path.join(ROOT, 'dist', 'signal', 'preload.json'), 'utf8')) as string[];
    assert.ok(listed.includes('compute.js') && listed.some((f) => fs.readFileSync(path.join(ROOT, 'dist', 'signal', f), 'utf8').includes('setWasmPaths')), listed.join());
  });

  it('TensorFlow.js is in none of the bundles loaded at activation or panel open; the page imports it on its first job', () => {
    const marker = 'no registration found';
    for (const bundle of ['extension.js', 'webview.js', 'signal.js']) assert.ok(!fs.readFileSync(path.join(ROOT, 'dist', bundle), 'utf8').includes(marker), `dist/${bundle} bundles TensorFlow.js`);
    const chunks = fs.readdirSync(path.join(ROOT, 'dist', 'signal')).filter((f) => f.endsWith('.js'));
    assert.ok(chunks.includes('compute.js'));
    assert.ok(chunks.some((f) => fs.readFileSync(path.join(ROOT, 'dist', 'signal', f), 'utf8').includes(marker)));
    assert.ok(fs.readFileSync(path.join(ROOT, 'dist', 'signal.js'), 'utf8').includes('import(document.body.dataset.compute)'));
    // The panel's host side is its own bundle too, required on first use: activation parses none of it.
    assert.ok(!fs.readFileSync(path.join(ROOT, 'dist', 'extension.js'), 'utf8').includes('cannot be simulated: '));
    assert.ok(fs.readFileSync(path.join(ROOT, 'dist', 'signalPanel.js'), 'utf8').includes('cannot be simulated: '));
  });
});

describe('agreement of two runs of one scheme (the host preview against the page)', () => {
  const layer = (name: string, out: number, act: number | null, grad: number, weightGrad: number | null) => ({
    name,
    type: 'Linear',
    line: 1,
    out: { mean: 0, std: out },
    act: act === null ? null : { mean: 0, std: act, zeroFraction: 0.5, saturatedFraction: null },
    grad: { std: grad },
    weightGrad: weightGrad === null ? null : { std: weightGrad },
  });
  const a: SignalStats = { output: { std: 0.5 }, layers: [layer('fc1', 1, 0.6, 0.01, 0.002), layer('fc2', 0.5, null, 0.02, 0.004)] };

  it('the worst relative difference of any std, relative to the larger of the two', () => {
    assert.equal(statsDifference(a, a), 0);
    // fc2's weight gradient 0.004 against 0.005: 0.001 / 0.005 = 0.2; the output 0.5 against 0.51: 0.01 / 0.51.
    const b: SignalStats = { output: { std: 0.51 }, layers: [a.layers[0], layer('fc2', 0.5, null, 0.02, 0.005)] };
    assert.equal(statsDifference(a, b), (0.005 - 0.004) / 0.005);
    assert.equal(statsDifference(b, a), (0.005 - 0.004) / 0.005);
    const c: SignalStats = { output: { std: 0.51 }, layers: a.layers };
    assert.equal(statsDifference(a, c), (0.51 - 0.5) / 0.51);
  });

  it('within 1e-7 absolute is equal (a vanishing signal); the same infinity or NaN is equal; anything else non-finite is infinitely far', () => {
    const tiny = (g: number): SignalStats => ({ output: { std: g }, layers: [] });
    assert.equal(statsDifference(tiny(1e-9), tiny(9e-8)), 0);
    assert.equal(statsDifference(tiny(0), tiny(2e-7)), 1);
    assert.equal(statsDifference(tiny(Infinity), tiny(Infinity)), 0);
    assert.equal(statsDifference(tiny(Number.NaN), tiny(Number.NaN)), 0);
    assert.equal(statsDifference(tiny(Infinity), tiny(1)), Infinity);
    assert.equal(statsDifference(tiny(Number.NaN), tiny(1)), Infinity);
  });

  it('runs of different layers (names, count, an activation or a weight on one side only) are infinitely far', () => {
    assert.equal(statsDifference(a, { ...a, layers: a.layers.slice(1) }), Infinity);
    assert.equal(statsDifference(a, { ...a, layers: [layer('fc0', 1, 0.6, 0.01, 0.002), a.layers[1]] }), Infinity);
    assert.equal(statsDifference(a, { ...a, layers: [layer('fc1', 1, null, 0.01, 0.002), a.layers[1]] }), Infinity);
    assert.equal(statsDifference(a, { ...a, layers: [a.layers[0], layer('fc2', 0.5, null, 0.02, null)] }), Infinity);
  });
});
