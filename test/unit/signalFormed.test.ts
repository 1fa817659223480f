/**
 * The Signal panel's weights formed in the page (core/signal/formed.ts): the
 * host sends a bulk draw of the seeded generator, or a constant, instead of
 * the values; the page's forming must give the host's very bits. Checked on
 * the message as the page reads it (structured clone, then the protocol's
 * readers), against the host's weights and, where PyTorch's own values are in
 * an answer key (test/fixtures/signal, composite cases), against those.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { ROOT } from '../host/paths';
import { ModelAnalyzer } from '../../src/core/model/analyze';
import { parsePython } from '../../src/core/python/parse';
import { signalModel } from '../../src/core/signal/composite';
import { bitsHash, formWeights, sendWeights, type SentWeight } from '../../src/core/signal/formed';
import { buildGraph } from '../../src/core/signal/graph';
import { prepareJob } from '../../src/core/signal/job';
import { SIGNAL_SCHEMES } from '../../src/core/signal/schemes';
import { TorchGenerator } from '../../src/core/torch/generator';
import { initTensor } from '../../src/core/torch/init';
import { jobRun, parseSignalHostMessage, type JobRun } from '../../src/webview/signalProtocol';

function prepared(text: string, name: string, seed: bigint) {
  const tree = parsePython(text);
  const analysis = new ModelAnalyzer().analyze(tree, text, { instances: true });
  const found = analysis.models.find((m) => m.name === name);
  assert.ok(found, name);
  const { model, composite, binding } = signalModel(analysis, found, tree, text);
  const graph = buildGraph(model, tree, text, { ...(composite ? { composite } : {}), ...(binding ? { binding } : {}) });
  assert.deepEqual(graph.notSimulated, []);
  return { graph, job: prepareJob(model, graph, { seed, inputSeed: 0n, ...(composite ? { composite } : {}) }) };
}

/** The runs as the page reads them: a `runs` message structured-cloned and read by the protocol's readers. */
function asReceived(runs: readonly JobRun[]): readonly JobRun[] {
  const parsed = parseSignalHostMessage(structuredClone({ type: 'runs', request: 1, runs, skipped: [], pending: 0 }));
  assert.ok('value' in parsed && parsed.value.type === 'runs', 'problem' in parsed ? parsed.problem : '');
  return parsed.value.runs;
}

const bits = (v: Float32Array) => new Uint32Array(v.buffer, v.byteOffset, v.length);
const sentBytes = (w: readonly SentWeight[]) => w.reduce((n, x) => n + ('values' in x ? x.values.byteLength : 0), 0);

describe('weights formed in the Signal page', () => {
  it('the MNIST MLP (examples/mnist_mlp.py, seed 42): every scheme formed bit for bit; the init in effect crosses as 40 bytes of values instead of 1.08 MB', () => {
    const { job } = prepared(fs.readFileSync(path.join(ROOT, 'examples/mnist_mlp.py'), 'utf8'), 'MLP', 42n);
    const how = new Map<string, string>();
    for (const scheme of SIGNAL_SCHEMES) {
      const p = job.prepare(scheme);
      assert.ok('run' in p, scheme.id);
      const [run] = asReceived([jobRun(p.run)]);
      const formed = formWeights(run.weights);
      assert.deepEqual([...formed.keys()].sort(), [...p.run.weights.keys()].sort());
      for (const [name, want] of p.run.weights) assert.deepEqual(bits(formed.get(name) as Float32Array), bits(want), `${scheme.id} ${name}`);
      how.set(scheme.id, run.weights.map((w) => ('form' in w ? w.form.kind : 'values')).join(' '));
      if (scheme.id === 'in-effect') assert.equal(sentBytes(run.weights), 10 * 4, 'only out.bias (10 values) as values');
    }
    // fc1.weight fc1.bias fc2.weight fc2.bias out.weight out.bias: default Linear draws uniform_; the schemes' biases are zeros.
    assert.equal(how.get('in-effect'), 'uniform uniform uniform uniform uniform values');
    assert.equal(how.get('he'), 'normal fill normal fill normal values');
    assert.equal(how.get('zeros'), 'fill fill fill fill fill values');
    // Orthogonal weights come out of a QR, not a draw: values.
    assert.equal(how.get('orthogonal'), 'values fill values fill values values');
  });

  for (const key of ['composite-root-init', 'composite-blocks', 'composite-branches']) {
    it(`${key}: the in-effect weights formed in the page are PyTorch's (first and last values of each, from the answer key)`, () => {
      const k = JSON.parse(fs.readFileSync(path.join(ROOT, 'test/fixtures/signal', `${key}.json`), 'utf8')) as { text: string; model: string; seed: number; exact: boolean; weights: Record<string, { head: number[]; tail: number[] }> };
      assert.equal(k.exact, true);
      const { job } = prepared(k.text, k.model, BigInt(k.seed));
      const p = job.prepare(SIGNAL_SCHEMES[0]);
      assert.ok('run' in p);
      const [run] = asReceived([jobRun(p.run)]);
      assert.ok(run.weights.some((w) => 'form' in w && w.form.kind !== 'fill'), 'some weights cross as draws');
      const formed = formWeights(run.weights);
      for (const [name, want] of Object.entries(k.weights)) {
        const got = formed.get(name) as Float32Array;
        assert.deepEqual([...got.slice(0, 4), ...got.slice(-4)], [...want.head, ...want.tail], `${key} ${name}`);
        assert.deepEqual(bits(got), bits(p.run.weights.get(name) as Float32Array), `${key} ${name}: the host's bits`);
      }
    });
  }

  it('values changed after their draw (truncated normal, an edit in place) go as values; a draw after manual_seed is formed from that seed', () => {
    const gen = new TorchGenerator(3);
    gen.uniform32(100, 0, 1);
    const trunc = initTensor(gen, { kind: 'trunc_normal', mean: 0, std: 1, a: -2, b: 2 }, [64]).values;
    const edited = gen.normal32(40, 0, 1);
    edited[7] = 0;
    gen.manualSeed(11);
    gen.uniform32(30, -1, 1);
    const reseeded = gen.normal32(50, 2, 3);
    const sent = sendWeights([
      ['trunc', trunc],
      ['edited', edited],
      ['reseeded', reseeded],
    ]);
    assert.deepEqual(
      sent.map((w) => ('form' in w ? `${w.form.kind}` : 'values')),
      ['values', 'values', 'normal'],
    );
    const form = (sent[2] as Extract<SentWeight, { form: unknown }>).form;
    assert.ok(form.kind === 'normal' && form.seed === '11' && form.at === 30);
    assert.deepEqual(bits(formWeights(sent).get('reseeded') as Float32Array), bits(reseeded));
  });

  it('a page without WebAssembly SIMD forms the same bits (the scalar generator, skipping to the draw)', () => {
    const gen = new TorchGenerator(42);
    gen.uniform32(200_704, -0.0357, 0.0357);
    const second = gen.normal32(65_537, 0, 0.05);
    const [sent] = sendWeights([['w', second]]);
    assert.ok('form' in sent && sent.form.kind === 'normal' && sent.form.at === 200_704);
    const scalar = new TorchGenerator(42, { kernels: 'scalar' });
    scalar.advance(sent.form.at);
    const again = scalar.normal32(sent.form.n, sent.form.p, sent.form.q);
    assert.equal(bitsHash(again), sent.form.hash);
    assert.deepEqual(bits(again), bits(second));
  });

  it('a formed tensor whose bits do not hash as the host said is refused, by name', () => {
    const gen = new TorchGenerator(1);
    const [sent] = sendWeights([['fc.weight', gen.uniform32(64, -1, 1)]]);
    assert.ok('form' in sent);
    assert.throws(() => formWeights([{ name: 'fc.weight', form: { ...sent.form, hash: (sent.form.hash + 1) >>> 0 } }]), /fc\.weight: the weights formed here differ from the extension's/);
  });

  it('the readers refuse a form the page could not, or should not, form', () => {
    const form = { kind: 'uniform', n: 64, seed: '1', at: 0, p: -1, q: 1, hash: 0 };
    const run = (f: unknown) => ({ type: 'runs', request: 1, runs: [{ scheme: 's', label: 's', short: 's', exact: true, reasons: [], weights: [{ name: 'w', form: f }] }], skipped: [], pending: 0 });
    assert.ok('value' in parseSignalHostMessage(run(form)));
    for (const bad of [{ ...form, at: 2 ** 40 }, { ...form, n: 0 }, { ...form, seed: '-1' }, { ...form, kind: 'orthogonal' }, { ...form, hash: 2 ** 32 }, { ...form, extra: 1 }]) {
      assert.ok('problem' in parseSignalHostMessage(run(bad)), JSON.stringify(bad));
    }
  });
});
