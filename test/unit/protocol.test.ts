import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_CONTROLS, controlsProblem, isHostMessage, isPanelState, pageMessageProblem } from '../../src/webview/protocol';

describe('webview protocol guards', () => {
  it('accepts every well-formed page message', () => {
    for (const m of [
      { type: 'ready' },
      { type: 'cancel' },
      { type: 'copyCode' },
      { type: 'exportTensor' },
      { type: 'select', layer: 'fc1' },
      { type: 'configure', controls: DEFAULT_CONTROLS },
      { type: 'export', format: 'csv', data: 'a,b\n' },
      { type: 'export', format: 'png', data: 'data:image/png;base64,AAAA' },
      { type: 'rendered', request: 3, phase: 'done' },
    ]) {
      assert.equal(pageMessageProblem(m), undefined, JSON.stringify(m));
    }
  });

  it('rejects bad input with a specific reason', () => {
    const cases: [unknown, string][] = [
      [null, 'a message must be an object'],
      [{ type: 'frobnicate' }, 'unknown message type "frobnicate"'],
      [{ type: 'select' }, 'select needs a layer name'],
      [{ type: 'configure', controls: { ...DEFAULT_CONTROLS, bins: -5 } }, 'bins must be an integer from 1 to 10000'],
      [{ type: 'configure', controls: { ...DEFAULT_CONTROLS, std: Number.NaN } }, 'std must be a finite number'],
      [{ type: 'configure', controls: { ...DEFAULT_CONTROLS, scheme: 'magic_' } }, 'unknown scheme "magic_"'],
      [{ type: 'configure', controls: { ...DEFAULT_CONTROLS, seed: '-1' } }, 'the seed must be an integer from 0 to 2^64−1'],
      [{ type: 'configure', controls: { ...DEFAULT_CONTROLS, seed: '18446744073709551616' } }, 'the seed must be an integer from 0 to 2^64−1'],
      [{ type: 'configure', controls: { ...DEFAULT_CONTROLS, low: 1, high: 1 } }, 'low must be below high'],
      [{ type: 'export', format: 'png', data: '<svg/>' }, 'a PNG export must be a data:image/png URL'],
      [{ type: 'configure', controls: { ...DEFAULT_CONTROLS, values: 'psychic' } }, 'values must be exact or distribution'],
      [{ type: 'export', format: 'exe', data: '' }, 'export format must be png, svg or csv'],
    ];
    for (const [message, reason] of cases) assert.equal(pageMessageProblem(message), reason, JSON.stringify(message));
    assert.equal(controlsProblem({ ...DEFAULT_CONTROLS, seed: '18446744073709551615' }), undefined);
  });

  it('checks host messages and saved states on the page side', () => {
    assert.equal(isHostMessage({ type: 'error', message: 'x' }), true);
    assert.equal(isHostMessage({ type: 'histogram', request: 1, layer: 'a', series: [] }), true);
    assert.equal(isHostMessage({ type: 'histogram', request: 'x', layer: 'a', series: [] }), false);
    assert.equal(isHostMessage({ type: 'model', uri: 'file:///m.py', title: 't', layers: [], controls: { ...DEFAULT_CONTROLS, bins: 0 } }), false);
    assert.equal(isPanelState({ uri: 'file:///m.py', model: 'Net', controls: DEFAULT_CONTROLS }), true);
    assert.equal(isPanelState({ uri: 'file:///m.py', controls: DEFAULT_CONTROLS }), false);
  });
});
