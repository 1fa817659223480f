/**
 * The real-world scorer (bench/realworldScore.ts) over the corpus of test/fixtures/realworld, against the
 * answer keys that real PyTorch wrote. Each key builds its model as the repository's README or training
 * script does (drivers/ holds those constructions as scripts beside the files): that is where issue 11's
 * 97% target applies, and the test fails below it. Each file on its own (most define a model with
 * parameters and never build it, and InitLens never invents a number) is held to the floors it reached.
 */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { scoreCorpus } from '../../bench/realworldScore';
import { ROOT } from '../host/paths';

const CORPUS = path.join(ROOT, 'test', 'fixtures', 'realworld');
const score = scoreCorpus(CORPUS);
const { total } = score;
/** Each file beside the script that builds its model as its key did (drivers/): the workspace path. */
const withDrivers = scoreCorpus(CORPUS, true).total;
const share = (t: { right: number; total: number }) => t.right / t.total;

/** What InitLens reached on 2026-12-02 (third session), each file on its own and beside its construction script: no figure may drop. */
const FLOORS = { sites: 240, fans: 71, activation: 150, std: 91 };
const FLOORS_WITH_DRIVERS = { sites: 244, fans: 132, activation: 156, std: 139 };
/** Issue 11's target for each figure. */
const TARGET = 0.97;

describe('real-world corpus against PyTorch answer keys', () => {
  it('scores every keyed file, with the same totals as the keys', () => {
    assert.equal(score.rows.length, 34);
    assert.equal(total.sites.total, 248);
    assert.equal(total.fans.total, 136);
    assert.equal(total.activation.total, 162);
    assert.equal(total.std.total, 141);
  });

  for (const [label, figures, floors] of [
    ['each file on its own', total, FLOORS],
    ['each file beside its construction script', withDrivers, FLOORS_WITH_DRIVERS],
  ] as const) {
    it(`stays at or above the floors it reached: ${label}`, () => {
      for (const k of ['sites', 'fans', 'activation', 'std'] as const) assert.ok(figures[k].right >= floors[k], `${k} ${figures[k]}`);
    });
  }

  it(`reaches the ${TARGET * 100}% target on every figure, each file beside its construction script`, () => {
    for (const k of ['sites', 'fans', 'activation', 'std'] as const) assert.ok(share(withDrivers[k]) >= TARGET, `${k} ${withDrivers[k]}`);
  });
});
