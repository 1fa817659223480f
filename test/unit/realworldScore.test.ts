/**
 * The real-world scorer (bench/realworldScore.ts) over the corpus of test/fixtures/realworld, against the
 * answer keys that real PyTorch wrote: InitLens must not fall below the figures it reached (the floors), and
 * the issue 11 targets are a visible TODO until every figure reaches them.
 */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { scoreCorpus } from '../../bench/realworldScore';
import { ROOT } from '../host/paths';

const score = scoreCorpus(path.join(ROOT, 'test', 'fixtures', 'realworld'));
const { total } = score;
const share = (t: { right: number; total: number }) => t.right / t.total;

/** What InitLens reached on 2026-12-02 (sites 237/245, fans 66/135, activation 136/159, init std 71/140): no figure may drop. */
const FLOORS = { sites: 237, fans: 66, activation: 136, std: 71 };
/** Issue 11's target for each figure. */
const TARGET = 0.97;

describe('real-world corpus against PyTorch answer keys', () => {
  it('scores every keyed file, with the same totals as the keys', () => {
    assert.equal(score.rows.length, 33);
    assert.equal(total.sites.total, 245);
    assert.equal(total.fans.total, 135);
    assert.equal(total.activation.total, 159);
    assert.equal(total.std.total, 140);
  });

  it('stays at or above the floors it reached', () => {
    assert.ok(total.sites.right >= FLOORS.sites, `sites ${total.sites}`);
    assert.ok(total.fans.right >= FLOORS.fans, `fans ${total.fans}`);
    assert.ok(total.activation.right >= FLOORS.activation, `activation ${total.activation}`);
    assert.ok(total.std.right >= FLOORS.std, `init std ${total.std}`);
  });

  const below = (['sites', 'fans', 'activation', 'std'] as const).filter((k) => share(total[k]) < TARGET);
  it(`reaches the ${TARGET * 100}% targets on every figure`, below.length > 0 ? { todo: `below the target: ${below.map((k) => `${k} ${total[k]}`).join(', ')}` } : {}, () => {
    for (const k of ['sites', 'fans', 'activation', 'std'] as const) assert.ok(share(total[k]) >= TARGET, `${k} ${total[k]}`);
  });
});
