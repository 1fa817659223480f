/**
 * The webview protocol's readers (issue 12 defect 7, reproducer
 * protocol_bigint.js): exact fields, finite numbers in the stated ranges,
 * integer request ids, base64 PNG payloads with a size bound, and no throw on
 * any input (a fuzz run of generated malformed messages).
 */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import { ModelAnalyzer } from '../../src/core/model/analyze';
import { layerRows, previewPlan, seriesData } from '../../src/core/preview/requests';
import { parsePython } from '../../src/core/python/parse';
import { summarize, tallyAll } from '../../src/core/sampling/engine';
import { planSampling } from '../../src/core/sampling/plan';
import { revivedState } from '../../src/core/preview/revive';
import {
  DEFAULT_CONTROLS,
  MAX_EXPORT_LENGTH,
  controlsProblem,
  hostMessageProblem,
  pageMessageProblem,
  parseHostMessage,
  parsePageMessage,
  parsePanelState,
  type HostMessage,
} from '../../src/webview/protocol';
import { ROOT } from '../host/paths';
import { mulberry32 } from '../fuzz/random';

/** A real PNG's first bytes (signature + IHDR length and type), as a data URL. */
const PNG = `data:image/png;base64,${Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]).toString('base64')}`;

const SCHEMES = 'current, kaiming_normal, kaiming_uniform, xavier_normal, xavier_uniform, normal, uniform, trunc_normal, orthogonal, constant, zeros';

const VALID_PAGE = [
  { type: 'ready' },
  { type: 'cancel' },
  { type: 'copyCode' },
  { type: 'exportTensor' },
  { type: 'select', layer: 'fc1' },
  { type: 'configure', controls: DEFAULT_CONTROLS },
  { type: 'configure', controls: { ...DEFAULT_CONTROLS, seed: '18446744073709551615', mean: -1e6, std: 1e6, gain: 1e-300, bins: 10000 } },
  { type: 'export', format: 'csv', data: 'a,b\n' },
  { type: 'export', format: 'svg', data: '<svg/>' },
  { type: 'export', format: 'png', data: PNG },
];

const MLP = ['import torch.nn as nn', 'class Net(nn.Module):', '    def __init__(self):', '        super().__init__()', '        self.fc = nn.Linear(64, 32)', '        self.out = nn.Linear(32, 10)', '    def forward(self, x):', '        return self.out(self.fc(x).relu())', ''].join('\n');

/** Host messages as the panel builds them, from a real model and a real sample. */
function realHostMessages(): HostMessage[] {
  const model = new ModelAnalyzer().analyze(parsePython(MLP), MLP).models[0];
  const preview = previewPlan(model, model.layers[0], { ...DEFAULT_CONTROLS, bins: 40 });
  const series = preview.series.map((s) => {
    const plan = planSampling(s.request);
    return seriesData(s, plan, summarize(plan, tallyAll(plan)));
  });
  return [
    { type: 'model', uri: 'file:///work/net.py', title: 'InitLens: Net · fc', model: 'Net', framework: 'torch', layers: layerRows(model), selected: 'fc', controls: DEFAULT_CONTROLS },
    { type: 'model', uri: 'untitled:Untitled-1', title: 'InitLens: Net', model: 'Net', framework: 'torch', layers: [], sameLayers: true, controls: DEFAULT_CONTROLS },
    { type: 'thumbnail', layer: 'fc', counts: series[0].counts.slice(0, 30) },
    { type: 'histogram', request: 3, layer: 'fc', phase: 'done', progress: 1, fanIn: '64', fanOut: '32', series, backend: 'CPU engine, 2 workers: fastest here', code: preview.code, exact: { status: 'Exact: …', first: [0.1, -0.2] } },
    { type: 'cancelled', request: 3 },
    { type: 'error', message: 'x' },
  ];
}

describe('webview protocol readers', () => {
  it('accepts every well-formed message and returns a fresh copy of it', () => {
    for (const m of VALID_PAGE) {
      const parsed = parsePageMessage(structuredClone(m));
      assert.ok('value' in parsed, `${JSON.stringify(m).slice(0, 80)}: ${'problem' in parsed ? parsed.problem : ''}`);
      assert.deepEqual(parsed.value, m);
    }
    const messages = realHostMessages();
    assert.equal(messages[0].type === 'model' && messages[0].layers.length, 2);
    for (const m of messages) {
      const clone = structuredClone(m);
      const parsed = parseHostMessage(clone);
      assert.ok('value' in parsed, `${m.type}: ${'problem' in parsed ? parsed.problem : ''}`);
      assert.deepEqual(parsed.value, m);
      assert.notEqual(parsed.value, clone);
    }
    const state = { uri: 'file:///work/net.py', model: 'Net', layer: 'fc', controls: DEFAULT_CONTROLS };
    assert.deepEqual(parsePanelState(structuredClone(state)), { value: state });
  });

  it('refuses each defect of issue 12 with a specific reason', () => {
    const huge = 'x'.repeat(10 * 2 ** 20);
    const cases: [unknown, string][] = [
      [null, 'the value must be an object'],
      [{ type: 'frobnicate' }, 'unknown message type "frobnicate"'],
      [{ type: 10n }, 'unknown message type a bigint'],
      [{ type: 'select' }, 'it lacks the field layer'],
      [{ type: 'select', layer: huge }, 'layer must be text of 1 to 1,000 characters'],
      // Extra fields are refused, not kept (a 10 MB string echoed in every message before).
      [{ type: 'select', layer: 'fc1', note: huge }, 'it has an unknown field "note"'],
      [{ type: 'configure', controls: { ...DEFAULT_CONTROLS, note: huge } }, 'controls has an unknown field "note"'],
      [{ type: 'ready', ...JSON.parse('{"__proto__": {"polluted": true}}') }, 'it has an unknown field "__proto__"'],
      [JSON.parse('{"type": "ready", "__proto__": {"polluted": true}}'), 'it has an unknown field "__proto__"'],
      [{ type: 'ready', constructor: 'x' }, 'it has an unknown field "constructor"'],
      [{ type: 'ready', [Symbol('s')]: 1 }, 'it has an unknown field a symbol'],
      [{ type: 'configure', controls: { ...DEFAULT_CONTROLS, scheme: 1n } }, `controls.scheme must be one of ${SCHEMES}`],
      [{ type: 'configure', controls: { ...DEFAULT_CONTROLS, bins: -5 } }, 'controls.bins must be an integer from 1 to 10,000'],
      [{ type: 'configure', controls: { ...DEFAULT_CONTROLS, bins: 2.5 } }, 'controls.bins must be an integer from 1 to 10,000'],
      [{ type: 'configure', controls: { ...DEFAULT_CONTROLS, std: Number.NaN } }, 'controls.std must be a number from 0 to 1,000,000'],
      [{ type: 'configure', controls: { ...DEFAULT_CONTROLS, mean: 1e308 } }, 'controls.mean must be a number from -1,000,000 to 1,000,000'],
      [{ type: 'configure', controls: { ...DEFAULT_CONTROLS, std: 1.7976931348623157e308 } }, 'controls.std must be a number from 0 to 1,000,000'],
      [{ type: 'configure', controls: { ...DEFAULT_CONTROLS, gain: 0 } }, 'controls.gain must be a number above 0 and at most 1,000,000'],
      [{ type: 'configure', controls: { ...DEFAULT_CONTROLS, a: 10n } }, 'controls.a must be a number from -1,000,000 to 1,000,000'],
      [{ type: 'configure', controls: { ...DEFAULT_CONTROLS, seed: '-1' } }, 'controls.seed must be an integer from 0 to 2^64−1 (decimal digits)'],
      [{ type: 'configure', controls: { ...DEFAULT_CONTROLS, seed: '18446744073709551616' } }, 'controls.seed must be an integer from 0 to 2^64−1 (decimal digits)'],
      [{ type: 'configure', controls: { ...DEFAULT_CONTROLS, seed: 5 } }, 'controls.seed must be an integer from 0 to 2^64−1 (decimal digits)'],
      [{ type: 'configure', controls: { ...DEFAULT_CONTROLS, low: 1, high: 1 } }, 'low must be below high'],
      [{ type: 'configure', controls: { ...DEFAULT_CONTROLS, values: 'psychic' } }, 'controls.values must be one of exact, distribution'],
      [{ type: 'export', format: 'exe', data: '' }, 'format must be one of png, svg, csv'],
      [{ type: 'export', format: 'png', data: '<svg/>' }, 'a PNG export must be a base64 data:image/png URL of a PNG'],
      [{ type: 'export', format: 'png', data: 'data:image/png;base64,AAAA' }, 'a PNG export must be a base64 data:image/png URL of a PNG'],
      [{ type: 'export', format: 'png', data: `${PNG}!!` }, 'a PNG export must be a base64 data:image/png URL of a PNG'],
      [{ type: 'export', format: 'csv', data: 'x'.repeat(MAX_EXPORT_LENGTH + 1) }, 'data must be text of at most 16,777,216 characters'],
      [{ type: 'rendered', request: 3, phase: 'done' }, 'unknown message type "rendered"'],
    ];
    for (const [message, reason] of cases) assert.equal(pageMessageProblem(message), reason, String(reason));
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.equal(controlsProblem({ ...DEFAULT_CONTROLS, seed: '18446744073709551615' }), undefined);
    assert.equal(controlsProblem({ ...DEFAULT_CONTROLS, std: -1 }), 'std must be a number from 0 to 1,000,000');
  });

  it('refuses host messages and saved states the page must not act on', () => {
    const [model, , thumbnail, histogram] = realHostMessages();
    const cases: [unknown, string][] = [
      [{ type: 'cancelled', request: 1.5 }, 'request must be an integer from 1 to 9,007,199,254,740,991'],
      [{ type: 'cancelled', request: '1' }, 'request must be an integer from 1 to 9,007,199,254,740,991'],
      [{ ...histogram, request: 2 ** 60 }, 'request must be an integer from 1 to 9,007,199,254,740,991'],
      [{ ...histogram, progress: 1.5 }, 'progress must be a number from 0 to 1'],
      [{ ...thumbnail, counts: [1, -1] }, 'counts[1] must be an integer from 0 to 9,007,199,254,740,991'],
      [{ ...thumbnail, counts: new Array(10001).fill(0) }, 'counts must be a list of at most 10000 items'],
      [{ ...model, uri: 'not a uri' }, 'uri must be a document URI of at most 8192 characters'],
      [{ ...model, extra: 1 }, 'it has an unknown field "extra"'],
      [{ type: 'error', message: 'x'.repeat(10_001) }, 'message must be text of at most 10,000 characters'],
    ];
    for (const [message, reason] of cases) assert.equal(hostMessageProblem(message), reason, reason);
    assert.deepEqual(parsePanelState({ uri: 'file:///m.py', controls: DEFAULT_CONTROLS }), { problem: 'it lacks the field model' });
    assert.deepEqual(parsePanelState({ uri: 'javascript alert(1)', model: 'Net', controls: DEFAULT_CONTROLS }), { problem: 'uri must be a document URI of at most 8192 characters' });
  });

  it('answers the reproducer protocol_bigint.js with a problem, never a TypeError', () => {
    const file = path.join(ROOT, 'test', 'fixtures', 'reliability', 'protocol_bigint.js');
    const messages = createRequire(__filename)(file) as { type: unknown; controls?: Record<string, unknown> }[];
    assert.equal(messages.length, 3);
    // As written (controls with only the BigInt field), and with the DEFAULT_CONTROLS the comment elides.
    assert.deepEqual(messages.map((m) => pageMessageProblem(structuredClone(m))), ['unknown message type a bigint', 'controls lacks the field seed', 'controls lacks the field seed']);
    const full = messages.map((m) => (m.controls ? { ...m, controls: { ...DEFAULT_CONTROLS, ...m.controls } } : m));
    assert.deepEqual(full.map((m) => pageMessageProblem(structuredClone(m))), [
      'unknown message type a bigint',
      `controls.scheme must be one of ${SCHEMES}`,
      'controls.nonlinearity must be one of relu, leaky_relu, tanh, sigmoid, selu, linear',
    ]);
  });
});

describe('restoring a panel after a restart', () => {
  const state = { uri: 'file:///work/my%20net.py', model: 'Net', layer: 'fc', controls: DEFAULT_CONTROLS };
  it('follows a valid state of an open document only', () => {
    const asked: string[] = [];
    const open = (uri: string) => (asked.push(uri), uri === state.uri);
    assert.deepEqual(revivedState(structuredClone(state), open), { state });
    assert.deepEqual(revivedState({ ...state, uri: 'file:///home/user/other/model.py' }, open), {
      message: 'InitLens did not reopen model.py: it is not open in this window. Open it and use Preview.',
    });
    assert.deepEqual(asked, [state.uri, 'file:///home/user/other/model.py']);
  });

  it('opens nothing for a state it cannot read', () => {
    const open = () => assert.fail('a state that is not valid must not be looked up');
    assert.deepEqual(revivedState({ ...state, controls: { ...DEFAULT_CONTROLS, std: 1e308 } }, open), {
      message: 'InitLens could not restore this panel: controls.std must be a number from 0 to 1,000,000. Use Preview on a model to open it again.',
    });
    assert.deepEqual(revivedState({ ...state, note: 'x'.repeat(1e6) }, open), { message: 'InitLens could not restore this panel: it has an unknown field "note". Use Preview on a model to open it again.' });
    assert.deepEqual(revivedState(undefined, open), { message: 'InitLens could not restore this panel: the value must be an object. Use Preview on a model to open it again.' });
  });
});

describe('webview protocol fuzz', () => {
  const prng = mulberry32;

  const throwing = new Proxy({}, {
    get: () => { throw new Error('trap'); },
    getOwnPropertyDescriptor: () => { throw new Error('trap'); },
    ownKeys: () => { throw new Error('trap'); },
    getPrototypeOf: () => { throw new Error('trap'); },
    has: () => { throw new Error('trap'); },
  });
  const cyclic: Record<string, unknown> = { type: 'ready' };
  cyclic.self = cyclic;
  let deep: unknown = [];
  for (let i = 0; i < 100_000; i++) deep = [deep];
  const getter = Object.defineProperty({}, 'type', { get: () => { throw new Error('getter'); }, enumerable: true });
  const tooLong = 'y'.repeat(MAX_EXPORT_LENGTH + 1);
  /** Values no field of the protocol accepts (NaN and ±Infinity are legal statistics of an empty sample, so they are tested per field above). */
  const NASTY: (() => unknown)[] = [
    () => 10n,
    () => Symbol('s'),
    () => () => 1,
    () => cyclic,
    () => deep,
    () => getter,
    () => throwing,
    () => new Proxy([1, 2], { getPrototypeOf: () => { throw new Error('trap'); } }),
    () => JSON.parse('{"__proto__": {"polluted": 1}, "type": "ready"}'),
    () => new Date(0),
    () => new Map([['type', 'ready']]),
    () => new Uint8Array(4),
    () => null,
    () => tooLong,
    () => Object.create({ type: 'ready' }),
    () => new Array(1e9),
    () => [, 1], // a hole
    () => ({ length: 3 }),
  ];

  /** Replaces one value at a random path of `message` (objects and arrays it contains), or adds an unknown field. */
  function mutate(message: unknown, random: () => number): unknown {
    const copy = structuredClone(message) as Record<string, unknown>;
    const containers: Record<string | number, unknown>[] = [];
    const walk = (v: unknown) => {
      if (typeof v === 'object' && v !== null) {
        containers.push(v as Record<string, unknown>);
        for (const child of Object.values(v)) walk(child);
      }
    };
    walk(copy);
    const target = containers[Math.floor(random() * containers.length)];
    const keys = Object.keys(target);
    const choice = random();
    if (choice < 0.15 || keys.length === 0) {
      const extra = ['__proto__', 'constructor', 'prototype', 'toString', 'extra', 'x'.repeat(100)][Math.floor(random() * 6)];
      Object.defineProperty(target, extra, { value: NASTY[Math.floor(random() * NASTY.length)](), enumerable: true, configurable: true, writable: true });
    } else if (choice < 0.2 && !Array.isArray(target)) {
      Object.defineProperty(target, Symbol('extra'), { value: 1, enumerable: true });
    } else {
      const key = keys[Math.floor(random() * keys.length)];
      target[key] = NASTY[Math.floor(random() * NASTY.length)]();
    }
    return random() < 0.1 ? NASTY[Math.floor(random() * NASTY.length)]() : copy;
  }

  it('refuses 6,000 generated malformed messages without throwing, in bounded time', () => {
    const random = prng(2026);
    const host = realHostMessages();
    const started = performance.now();
    let refused = 0;
    for (let i = 0; i < 6000; i++) {
      const side = i % 3;
      const base = side === 0 ? VALID_PAGE[i % VALID_PAGE.length] : side === 1 ? host[i % host.length] : { uri: 'file:///m.py', model: 'Net', controls: DEFAULT_CONTROLS };
      const message = mutate(base, random);
      const problem = side === 0 ? pageMessageProblem(message) : side === 1 ? hostMessageProblem(message) : (() => {
        const r = parsePanelState(message);
        return 'problem' in r ? r.problem : undefined;
      })();
      assert.equal(typeof problem, 'string', `accepted mutation ${i} of ${JSON.stringify(base).slice(0, 60)}`);
      assert.ok(problem && problem.length > 0 && problem.length < 400 && !problem.includes('\n'), problem);
      refused++;
    }
    const elapsed = performance.now() - started;
    assert.equal(refused, 6000);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.ok(elapsed < 20_000, `${elapsed.toFixed(0)} ms`);
    console.log(`protocol fuzz: 6000 malformed messages refused in ${elapsed.toFixed(0)} ms`);
  });
});
