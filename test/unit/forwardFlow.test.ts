/**
 * Forward data flow through methods, tuples and attention reshapes
 * (core/model/forward.ts). Expected activations were printed by real torch
 * 1.13 (/usr/bin/python3): the classes of test/fixtures/models/torch_delegation.py
 * built and run once through scripts/realworld/keys.py's `run_activations`,
 * the rule the real-world answer keys use:
 *   VAE        fc1 relu, fc21 identity, fc22 identity, fc3 relu, fc4 sigmoid
 *   Attention  c_attn, to_q, proj, head identity
 *   Block      conv1 relu, conv2 relu, shortcut.0 relu, pre.2 identity, conv3 identity
 *   Seq        linear identity, unused identity
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { ModelAnalyzer } from '../../src/core/model/analyze';
import type { Model } from '../../src/core/model/types';
import { parsePython } from '../../src/core/python/parse';
import { ROOT } from '../host/paths';

function analyze(text: string): Model[] {
  return [...new ModelAnalyzer().analyze(parsePython(text), text).models];
}

const fixture = analyze(fs.readFileSync(path.join(ROOT, 'test', 'fixtures', 'models', 'torch_delegation.py'), 'utf8'));

function activations(name: string): Record<string, string | undefined> {
  const model = fixture.find((m) => m.name === name);
  assert.ok(model, name);
  return Object.fromEntries(model.layers.filter((l) => l.role !== 'normalizer').map((l) => [l.name, l.activation?.activation.kind]));
}

describe('forward data flow', () => {
  it('follows forward into the methods it calls and back (pytorch/examples vae)', () => {
    assert.deepEqual(activations('VAE'), { fc1: 'relu', fc21: 'identity', fc22: 'identity', fc3: 'relu', fc4: 'sigmoid' });
    const vae = fixture.find((m) => m.name === 'VAE')!;
    // fc4's sigmoid is written in decode(); fc21 reaches the model's output through encode() and forward's return.
    const fc4 = vae.layers.find((l) => l.name === 'fc4')!;
    const text = fs.readFileSync(path.join(ROOT, 'test', 'fixtures', 'models', 'torch_delegation.py'), 'utf8');
    assert.equal(text.slice(fc4.activation!.at!.from, fc4.activation!.at!.to), 'torch.sigmoid(self.fc4(h3))');
  });

  it('ends at products, concatenation and the next layer after split/view/transpose/indexing', () => {
    assert.deepEqual(activations('Attention'), { c_attn: 'identity', to_q: 'identity', proj: 'identity', head: 'identity' });
    const attention = fixture.find((m) => m.name === 'Attention')!;
    assert.equal(attention.layers.find((l) => l.name === 'head')?.activation?.via, 'output');
  });

  it('goes through _forward_impl, a residual += into a name, a container head and PixelShuffle', () => {
    assert.deepEqual(activations('Block'), { conv1: 'relu', conv2: 'relu', 'shortcut.0': 'relu', 'pre.2': 'identity', conv3: 'identity' });
    const block = fixture.find((m) => m.name === 'Block')!;
    assert.deepEqual(block.layers.filter((l) => l.role !== 'normalizer').map((l) => l.normalizer), ['BatchNorm2d', 'BatchNorm2d', 'BatchNorm2d', undefined, undefined]);
  });

  it('follows a value into a list and to torch.cat; an unread value has no activation after it', () => {
    const seq = activations('Seq');
    assert.deepEqual([seq.linear, seq.unused], ['identity', 'identity']);
    // The LSTMCell's own tanh, as before.
    assert.equal(seq.cell, 'tanh');
  });

  it('passes map(lambda t: rearrange(t, ...), qkv) and einops layers (lucidrains ViT)', () => {
    const text = [
      'import torch',
      'from torch import nn',
      'from einops import rearrange',
      'from einops.layers.torch import Rearrange',
      '',
      'class Attention(nn.Module):',
      '    def __init__(self, dim):',
      '        super().__init__()',
      '        self.to_qkv = nn.Linear(dim, dim * 3, bias=False)',
      '        self.embed = nn.Sequential(Rearrange("b c h w -> b (h w) c"), nn.Linear(dim, dim), nn.LayerNorm(dim))',
      '        self.attend = nn.Softmax(dim=-1)',
      '',
      '    def forward(self, x):',
      '        x = self.embed(x)',
      '        qkv = self.to_qkv(x).chunk(3, dim=-1)',
      '        q, k, v = map(lambda t: rearrange(t, "b n (h d) -> b h n d", h=2), qkv)',
      '        attn = self.attend(torch.matmul(q, k.transpose(-1, -2)))',
      '        return torch.matmul(attn, v)',
      '',
    ].join('\n');
    const [model] = analyze(text);
    assert.deepEqual(model.layers.map((l) => [l.name, l.activation?.activation.kind, l.normalizer]), [
      ['to_qkv', 'identity', undefined],
      // embed's Linear is followed by its LayerNorm, then by to_qkv (a layer): identity.
      ['embed.1', 'identity', 'LayerNorm'],
      ['embed.2', undefined, undefined],
    ]);
  });

  it('does not follow a method into itself', () => {
    const text = [
      'import torch.nn as nn',
      'import torch.nn.functional as F',
      '',
      'class Loop(nn.Module):',
      '    def __init__(self):',
      '        super().__init__()',
      '        self.fc = nn.Linear(4, 4)',
      '',
      '    def step(self, x, n):',
      '        return self.step(self.fc(x), n - 1) if n else F.relu(x)',
      '',
      '    def forward(self, x):',
      '        return self.step(x, 3)',
      '',
    ].join('\n');
    const [model] = analyze(text);
    // self.fc(x) goes into step() again, which InitLens does not enter twice: unknown, not a guess.
    assert.equal(model.layers[0].activation, undefined);
  });
});
