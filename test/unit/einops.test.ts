/**
 * einops patterns as graph steps (src/core/signal/einops.ts). The steps below
 * are worked out by hand from einops' definition (reshape to the elementary
 * axes, reduce, transpose to the right side's order, broadcast the new axes,
 * reshape to the right side's groups); their values against PyTorch running
 * the real einops are the signal key `einops-patches` (test/unit/signal.test.ts).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { einopsPlan, einsumPlan } from '../../src/core/signal/einops';
import { ROOT } from '../host/paths';

const sizes = (o: Record<string, number> = {}) => new Map(Object.entries(o));

describe('einops patterns', () => {
  it("ViT's patches: 'b c (h p1) (w p2) -> b (h w) (p1 p2 c)' is a reshape to the six axes, a transpose, a reshape", () => {
    assert.deepEqual(einopsPlan('rearrange', 'b c (h p1) (w p2) -> b (h w) (p1 p2 c)', [2, 3, 16, 16], sizes({ p1: 4, p2: 4 })), {
      steps: [
        { kind: 'reshape', shape: [2, 3, 4, 4, 4, 4] },
        // b c h p1 w p2 → b h w p1 p2 c
        { kind: 'transpose', perm: [0, 2, 4, 3, 5, 1], shape: [2, 4, 4, 4, 4, 3] },
        { kind: 'reshape', shape: [2, 16, 48] },
      ],
      shape: [2, 16, 48],
    });
  });

  it("heads: 'b n (h d) -> b h n d' with h given infers d", () => {
    assert.deepEqual(einopsPlan('rearrange', 'b n (h d) -> b h n d', [2, 17, 96], sizes({ h: 4 })), {
      steps: [
        { kind: 'reshape', shape: [2, 17, 4, 24] },
        { kind: 'transpose', perm: [0, 2, 1, 3], shape: [2, 4, 17, 24] },
      ],
      shape: [2, 4, 17, 24],
    });
  });

  it("repeat with an ellipsis: cls_token '... d -> b ... d' gets a new leading axis, broadcast", () => {
    assert.deepEqual(einopsPlan('repeat', '... d -> b ... d', [1, 8], sizes({ b: 3 })), {
      steps: [
        { kind: 'reshape', shape: [1, 1, 8] },
        { kind: 'broadcast', shape: [3, 1, 8] },
      ],
      shape: [3, 1, 8],
    });
    assert.deepEqual(einopsPlan('repeat', '() n d -> b n d', [1, 5, 8], sizes({ b: 2 })), {
      // The unit axis dropped and put back: no reshape at all.
      steps: [{ kind: 'broadcast', shape: [2, 5, 8] }],
      shape: [2, 5, 8],
    });
  });

  it("reduce 'b n d -> b d', 'mean' is a mean over n; a pattern that changes nothing is no step", () => {
    assert.deepEqual(einopsPlan('reduce', 'b n d -> b d', [2, 5, 8], sizes(), 'mean'), { steps: [{ kind: 'mean', axes: [1], shape: [2, 8] }], shape: [2, 8] });
    assert.deepEqual(einopsPlan('rearrange', 'b n d -> b n d', [2, 5, 8], sizes()), { steps: [], shape: [2, 5, 8] });
  });

  it('what it does not simulate, or what einops rejects, is a reason', () => {
    assert.equal(einopsPlan('reduce', 'b n d -> b d', [2, 5, 8], sizes(), 'max'), "the reduction 'max' is not simulated (mean is)");
    assert.equal(einopsPlan('rearrange', 'b (h d) -> b h d', [2, 10], sizes()), 'the sizes of h, d in one group are not known');
    assert.equal(einopsPlan('rearrange', 'b (h d) -> b h d', [2, 10], sizes({ h: 3 })), 'axis 1 of size 10 does not split into h = 3');
    assert.equal(einopsPlan('rearrange', 'b n -> b n d', [2, 10], sizes({ d: 2 })), 'd on the right only (that is repeat)');
    assert.equal(einopsPlan('rearrange', 'b n d -> b n', [2, 10, 3], sizes()), 'd on the left only (that is reduce)');
    assert.equal(einopsPlan('repeat', 'b n -> b n r', [2, 10], sizes()), 'the size of the new axis r is not known');
    assert.equal(einopsPlan('rearrange', 'b c h w -> b (c h w)', [2, 3, 4], sizes()), 'the pattern has 4 groups on its left, the input 3 axes (2×3×4)');
    assert.equal(einopsPlan('rearrange', 'b n n -> b n', [2, 3, 3], sizes()), 'an axis is named twice on one side');
    assert.equal(einopsPlan('rearrange', 'b ((n d)) -> b n d', [2, 6], sizes()), 'nested parentheses');
    assert.equal(einopsPlan('rearrange', 'b n d', [2, 6, 1], sizes()), 'a pattern without one `->`');
    assert.equal(einopsPlan('rearrange', `${'a '.repeat(300)}-> a`, [2], sizes()), 'a pattern of more than 400 characters');
  });

  it("torch.einsum of two operands: DeepViT's q·kᵀ, its re-attention over the heads, attn·v, as a batched product between transposes and reshapes", () => {
    // b h i d, b h j d -> b h i j: batch (b h), rows i, inner d, columns j; k transposed to (b h) d j.
    assert.deepEqual(einsumPlan('b h i d, b h j d -> b h i j', [2, 4, 5, 16], [2, 4, 5, 16]), {
      a: [{ kind: 'reshape', shape: [8, 5, 16] }],
      b: [
        { kind: 'transpose', perm: [0, 1, 3, 2], shape: [2, 4, 16, 5] },
        { kind: 'reshape', shape: [8, 16, 5] },
      ],
      after: [{ kind: 'reshape', shape: [2, 4, 5, 5] }],
      shape: [2, 4, 5, 5],
    });
    // b h i j, h g -> b g i j: no batch, rows (b i j), inner h, columns g; then g moved before i j.
    assert.deepEqual(einsumPlan('bhij,hg->bgij', [2, 4, 5, 5], [4, 4]), {
      a: [
        { kind: 'transpose', perm: [0, 2, 3, 1], shape: [2, 5, 5, 4] },
        { kind: 'reshape', shape: [1, 50, 4] },
      ],
      b: [{ kind: 'reshape', shape: [1, 4, 4] }],
      after: [
        { kind: 'reshape', shape: [2, 5, 5, 4] },
        { kind: 'transpose', perm: [0, 3, 1, 2], shape: [2, 4, 5, 5] },
      ],
      shape: [2, 4, 5, 5],
    });
  });

  it('einsum forms it does not simulate are reasons', () => {
    assert.equal(einsumPlan('ii,ij->j', [3, 3], [3, 4]), 'an index repeated in the first operand (a diagonal) is not simulated');
    assert.equal(einsumPlan('ij,jk,kl->il', [2, 3], [3, 4]), 'only equations of two operands written with `->` are simulated');
    assert.equal(einsumPlan('...ij,...jk->...ik', [2, 3], [3, 4]), '`...` in an equation is not simulated');
    assert.equal(einsumPlan('ij,jk->i', [2, 3], [3, 4]), 'index k is summed over one operand only (not simulated)');
    assert.equal(einsumPlan('ij,jk->ik', [2, 3], [4, 4]), 'index j has size 3 and 4');
    assert.equal(einsumPlan('ij,jk->ik', [2, 3, 1], [3, 4]), 'the first operand has 3 axes, the equation 2');
  });

  it('the einops the answer keys run is the pinned one: every file as its manifest hashes it', () => {
    const dir = path.join(ROOT, 'test/fixtures/libraries/arogozhnikov/einops');
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as { commit: string; licenseFile: string; files: { path: string; sha256: string }[] };
    assert.match(manifest.commit, /^[0-9a-f]{40}$/);
    assert.ok(manifest.files.some((f) => f.path === manifest.licenseFile));
    for (const f of manifest.files) assert.equal(createHash('sha256').update(fs.readFileSync(path.join(dir, f.path))).digest('hex'), f.sha256, f.path);
  });
});
