/**
 * Catalog entries for library layers that build other layers: nn.Transformer
 * (also as a base class), nn.InstanceNorm*d, and torchvision.ops'
 * Conv2dNormActivation, SqueezeExcitation and MLP. Expected names, shapes,
 * fans and counts were printed by real torch 1.13 / torchvision 0.14
 * (/usr/bin/python3: `named_parameters()`, `sum(p.numel())`,
 * `nn.init._calculate_fan_in_and_fan_out` of the first >=2-D parameter).
 * Expected stds are torch/nn/init.py's formulas: xavier_uniform_ std =
 * sqrt(2 / (fan_in + fan_out)); U(-b, b) has std b / sqrt(3).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ModelAnalyzer } from '../../src/core/model/analyze';
import type { Layer, Model } from '../../src/core/model/types';
import { parsePython } from '../../src/core/python/parse';
import { TorchGenerator } from '../../src/core/torch/generator';
import { moduleParameters } from '../../src/core/torch/modules';

function analyze(text: string): Model[] {
  return [...new ModelAnalyzer().analyze(parsePython(text), text).models];
}

function module(body: string[], head = ['import torch', 'import torch.nn as nn', 'import torchvision.ops as ops', '']): Model {
  const text = [...head, 'class M(nn.Module):', '    def __init__(self):', '        super().__init__()', ...body.map((l) => `        ${l}`), ''].join('\n');
  const [model] = analyze(text);
  assert.ok(model, text);
  return model;
}

function close(actual: number | undefined, expected: number, what: string): void {
  assert.ok(actual !== undefined && Math.abs(actual - expected) <= 1e-12, `${what}: ${actual} vs ${expected}`);
}

const names = (l: Layer) => l.params.map((p) => p.name);

describe('library building blocks in the catalog', () => {
  it('nn.Transformer: encoder and decoder stacks, xavier_uniform_ on every >=2-D tensor', () => {
    const [t] = module(['self.t = nn.Transformer(d_model=8, nhead=2, num_encoder_layers=2, num_decoder_layers=1, dim_feedforward=16)']).layers;
    assert.equal(t.type, 'Transformer');
    assert.deepEqual([t.fanIn, t.fanOut, t.paramCount, t.params.length], [8, 24, 2136, 46]);
    assert.deepEqual(names(t).slice(0, 12), [
      'encoder.layers.0.self_attn.in_proj_weight', 'encoder.layers.0.self_attn.in_proj_bias', 'encoder.layers.0.self_attn.out_proj.weight', 'encoder.layers.0.self_attn.out_proj.bias',
      'encoder.layers.0.linear1.weight', 'encoder.layers.0.linear1.bias', 'encoder.layers.0.linear2.weight', 'encoder.layers.0.linear2.bias',
      'encoder.layers.0.norm1.weight', 'encoder.layers.0.norm1.bias', 'encoder.layers.0.norm2.weight', 'encoder.layers.0.norm2.bias',
    ]);
    assert.deepEqual(names(t).slice(24, 28), ['encoder.norm.weight', 'encoder.norm.bias', 'decoder.layers.0.self_attn.in_proj_weight', 'decoder.layers.0.self_attn.in_proj_bias']);
    assert.deepEqual(names(t).slice(-4), ['decoder.layers.0.norm3.weight', 'decoder.layers.0.norm3.bias', 'decoder.norm.weight', 'decoder.norm.bias']);
    const p = (n: string) => t.params.find((x) => x.name === n)!;
    close(p('encoder.layers.0.self_attn.in_proj_weight').resolved?.std, Math.sqrt(2 / (8 + 24)), 'in_proj_weight');
    close(p('encoder.layers.1.linear2.weight').resolved?.std, Math.sqrt(2 / (16 + 8)), 'linear2.weight');
    close(p('decoder.layers.0.linear1.bias').resolved?.std, 1 / Math.sqrt(8) / Math.sqrt(3), 'linear1.bias');
    assert.equal(p('decoder.layers.0.multihead_attn.out_proj.bias').resolved?.std, 0);
  });

  it('nn.Transformer defaults: d_model 512, 6 + 6 layers (the 200-wide model of pytorch/examples has fans 200 → 600)', () => {
    const [t] = module(['self.t = nn.Transformer(d_model=200, nhead=2)']).layers;
    assert.deepEqual([t.fanIn, t.fanOut, t.paramCount, t.params.length], [200, 600, 12764576, 184]);
  });

  it('a subclass of nn.Transformer is that layer, built at its super().__init__ call', () => {
    const text = [
      'import torch.nn as nn',
      '',
      'class TransformerModel(nn.Transformer):',
      '    def __init__(self, ntoken, ninp=200, nhead=2, nhid=200, nlayers=2):',
      '        super(TransformerModel, self).__init__(d_model=ninp, nhead=nhead, dim_feedforward=nhid, num_encoder_layers=nlayers)',
      '        self.decoder = nn.Linear(ninp, 10)',
      '',
    ].join('\n');
    const [model] = analyze(text);
    assert.equal(model.name, 'TransformerModel');
    const [t, linear] = model.layers;
    assert.deepEqual([t.name, t.type, t.line, t.fanIn, t.fanOut], ['', 'Transformer', 4, 200, 600]);
    assert.deepEqual([linear.name, linear.type], ['decoder', 'Linear']);
  });

  it('nn.InstanceNorm2d: a normalizer without parameters unless affine=True', () => {
    const [plain, affine] = module(['self.a = nn.InstanceNorm2d(4)', 'self.b = nn.InstanceNorm2d(4, affine=True)']).layers;
    assert.deepEqual([plain.role, plain.paramCount, plain.params.length], ['normalizer', 0, 0]);
    assert.deepEqual([names(affine), affine.paramCount], [['weight', 'bias'], 8]);
  });

  it("torchvision's Conv2dNormActivation: conv (no bias under a norm), BatchNorm2d and ReLU by default", () => {
    const [a, b] = module(['self.a = ops.Conv2dNormActivation(3, 16)', 'self.b = ops.Conv2dNormActivation(3, 16, kernel_size=1, norm_layer=None, activation_layer=nn.Hardswish)']).layers;
    assert.deepEqual([names(a), a.fanIn, a.fanOut, a.paramCount, a.activation?.activation.kind, a.activation?.via, a.normalizer], [['0.weight', '1.weight', '1.bias'], 27, 144, 464, 'relu', 'builtin', 'BatchNorm2d']);
    assert.deepEqual([names(b), b.fanIn, b.fanOut, b.paramCount, b.activation?.activation.kind, b.normalizer], [['0.weight', '0.bias'], 3, 16, 64, 'hardswish', undefined]);
  });

  it("torchvision's SqueezeExcitation and MLP", () => {
    const [se, mlp, normed] = module(['self.se = ops.SqueezeExcitation(16, 4)', 'self.mlp = ops.MLP(8, [16, 4])', 'self.n = ops.MLP(8, [16, 12, 4], norm_layer=nn.BatchNorm1d)']).layers;
    assert.deepEqual([names(se), se.fanIn, se.fanOut, se.paramCount, se.activation?.activation.kind], [['fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias'], 16, 4, 148, 'relu']);
    assert.deepEqual([names(mlp), mlp.fanIn, mlp.fanOut, mlp.paramCount, mlp.activation?.activation.kind], [['0.weight', '0.bias', '3.weight', '3.bias'], 8, 16, 212, 'relu']);
    assert.deepEqual([names(normed), normed.paramCount, normed.normalizer], [['0.weight', '0.bias', '1.weight', '1.bias', '4.weight', '4.bias', '5.weight', '5.bias', '8.weight', '8.bias'], 456, 'BatchNorm1d']);
  });
});

/**
 * timm (pytorch-image-models aa4b585, timm/layers/mlp.py, patch_embed.py) and
 * transformers (src/transformers/pytorch_utils.py) blocks: the names, shapes,
 * counts and fans below were printed by torch 1.13 running those files' classes
 * in a scratch folder (`named_parameters()`, `_calculate_fan_in_and_fan_out`);
 * Conv1D's measured weight std was 0.01999 for its N(0, 0.02).
 */
describe('timm and transformers blocks in the catalog', () => {
  const head = ['import torch.nn as nn', 'from timm.layers import Mlp, PatchEmbed', 'from transformers.pytorch_utils import Conv1D', ''];
  const shapes = (l: Layer) => l.params.map((p) => [p.name, p.shape]);

  it("timm's Mlp: fc1 → act_layer (GELU by default) → norm → fc2; hidden and out default to in_features; use_conv gives 1×1 convs", () => {
    const [plain, conv, square] = module(['self.a = Mlp(64, 256)', 'self.b = Mlp(in_features=32, hidden_features=128, out_features=10, act_layer=nn.ReLU, norm_layer=nn.LayerNorm, bias=(True, False), use_conv=True)', 'self.c = Mlp(16)'], head).layers;
    assert.deepEqual(shapes(plain), [['fc1.weight', [256, 64]], ['fc1.bias', [256]], ['fc2.weight', [64, 256]], ['fc2.bias', [64]]]);
    assert.deepEqual([plain.type, plain.fanIn, plain.fanOut, plain.paramCount, plain.activation?.activation.kind], ['Mlp', 64, 256, 33088, 'gelu']);
    // kaiming_uniform_(a=√5): U(±1/√fan_in), std 1/√(3·64).
    close(plain.params[0].resolved?.std, 1 / Math.sqrt(3 * 64), 'fc1.weight');
    assert.deepEqual(shapes(conv), [['fc1.weight', [128, 32, 1, 1]], ['fc1.bias', [128]], ['norm.weight', [128]], ['norm.bias', [128]], ['fc2.weight', [10, 128, 1, 1]]]);
    assert.deepEqual([conv.fanIn, conv.fanOut, conv.paramCount, conv.activation?.activation.kind], [32, 128, 5760, 'relu']);
    assert.deepEqual([square.fanIn, square.fanOut, square.paramCount], [16, 16, 544]);
  });

  it("timm's PatchEmbed: a Conv2d with kernel and stride patch_size, and its norm", () => {
    const [a, b] = module(['self.a = PatchEmbed(img_size=32, patch_size=4, in_chans=3, embed_dim=192)', 'self.b = PatchEmbed(patch_size=(4, 2), embed_dim=8, norm_layer=nn.LayerNorm)'], head).layers;
    assert.deepEqual(shapes(a), [['proj.weight', [192, 3, 4, 4]], ['proj.bias', [192]]]);
    assert.deepEqual([a.fanIn, a.fanOut, a.paramCount], [48, 3072, 9408]);
    assert.deepEqual(shapes(b), [['proj.weight', [8, 3, 4, 2]], ['proj.bias', [8]], ['norm.weight', [8]], ['norm.bias', [8]]]);
    assert.deepEqual([b.fanIn, b.fanOut, b.paramCount, b.normalizer], [24, 64, 216, 'LayerNorm']);
  });

  it("an apply(fn) rule on nn.Linear reaches the Linear layers inside a block, as PyTorch's apply visits them", () => {
    const text = [
      ...head,
      'import torchvision.ops as ops',
      'class M(nn.Module):',
      '    def __init__(self):',
      '        super().__init__()',
      '        self.mlp = Mlp(64, 256, norm_layer=nn.LayerNorm)',
      '        self.patch = PatchEmbed(patch_size=4, embed_dim=8)',
      '        self.se = ops.SqueezeExcitation(16, 4)',
      '        self.apply(self._init)',
      '    def _init(self, m):',
      '        if isinstance(m, nn.Linear):',
      '            nn.init.normal_(m.weight, std=0.02)',
      '            nn.init.zeros_(m.bias)',
      '        elif isinstance(m, nn.LayerNorm):',
      '            nn.init.constant_(m.weight, 0.5)',
      '',
    ].join('\n');
    const [mlp, patch, se] = analyze(text)[0].layers;
    const init = (l: Layer, n: string) => l.params.find((p) => p.name === n)?.resolved?.std;
    assert.deepEqual([init(mlp, 'fc1.weight'), init(mlp, 'fc1.bias'), init(mlp, 'fc2.weight'), init(mlp, 'fc2.bias'), init(mlp, 'norm.weight')], [0.02, 0, 0.02, 0, 0]);
    assert.equal(mlp.params.find((p) => p.name === 'norm.weight')?.current.source, 'explicit');
    // Conv2d modules are not Linear: PyTorch's defaults stay (kaiming_uniform_(a=√5): std 1/√(3·fan_in)).
    close(init(patch, 'proj.weight'), 1 / Math.sqrt(3 * 48), 'proj.weight');
    close(init(se, 'fc1.weight'), 1 / Math.sqrt(3 * 16), 'se.fc1.weight');
  });

  it("transformers' Conv1D(nf, nx): the weight is (nx, nf), N(0, 0.02), so PyTorch's fan_in is nf", () => {
    const [c] = module(['self.c_attn = Conv1D(3 * 768, 768)'], head).layers;
    assert.deepEqual(shapes(c), [['weight', [768, 2304]], ['bias', [2304]]]);
    assert.deepEqual([c.type, c.fanIn, c.fanOut, c.paramCount], ['Conv1D', 2304, 768, 1771776]);
    assert.equal(c.params[0].resolved?.std, 0.02);
    assert.equal(c.params[1].resolved?.std, 0);
  });
});

describe('exact mode and library blocks', () => {
  it('refuses nn.Transformer (deep-copied layers, weights redrawn afterwards) instead of replaying it wrong', () => {
    assert.throws(() => moduleParameters(new TorchGenerator(0n), 'Transformer', { d_model: 8, nhead: 2 }), /deep-copies its layers/);
  });
});
