import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isHostMessage, isPageMessage } from '../../src/webview/protocol';

describe('webview protocol guards', () => {
  it('accepts well-formed messages only', () => {
    assert.equal(isPageMessage({ type: 'ready' }), true);
    assert.equal(isHostMessage({ type: 'error', message: 'x' }), true);
    for (const bad of [null, undefined, 'ready', [], { type: 'ready', extra: 1 }, { type: 'other' }, { type: 'error', message: 3 }]) {
      assert.equal(isPageMessage(bad) || isHostMessage(bad), false, JSON.stringify(bad));
    }
  });
});
