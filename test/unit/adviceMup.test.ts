/**
 * The opt-in μP note (rule `mup`, Yang et al. 2021): off by default; on
 * (`initlens.advice.widthScaling`, `[tool.initlens] advice.width-scaling`), a
 * note on the readout and the attention projections of wide models only, and
 * never in place of a warning.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { adviseAnalysis } from '../../src/core/advice/judge';
import { DEFAULT_ADVICE, MUP_WIDTH, type AdviceOptions } from '../../src/core/advice/rules';
import { ConfigError, parseCheckConfig } from '../../src/core/diagnostics/config';
import { ModelAnalyzer } from '../../src/core/model/analyze';
import { parsePython } from '../../src/core/python/parse';

const MUP: AdviceOptions = { ...DEFAULT_ADVICE, level: 'suggestions', widthScaling: true };

function verdicts(text: string, options: AdviceOptions) {
  const analysis = new ModelAnalyzer().analyze(parsePython(text), text);
  const advice = adviseAnalysis(analysis, text, options);
  return new Map(analysis.models.flatMap((m) => m.layers.map((l) => [`${m.name}.${l.name}`, advice.verdict(l)] as const)));
}

const mlp = (width: number) => `import torch.nn as nn
class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(784, ${width})
        self.fc2 = nn.Linear(${width}, 10)
    def forward(self, x):
        return self.fc2(self.fc1(x).relu())
`;

const ATTENTION = `import math
import torch
import torch.nn as nn
class SelfAttention(nn.Module):
    def __init__(self, d=1024, heads=16):
        super().__init__()
        self.ln = nn.LayerNorm(d)
        self.c_attn = nn.Linear(d, 3 * d)
        self.c_proj = nn.Linear(d, d)
        self.heads = heads
    def forward(self, x):
        q, k, v = self.c_attn(self.ln(x)).split(x.size(-1), dim=2)
        att = (q @ k.transpose(-2, -1)) / math.sqrt(k.size(-1))
        return x + self.c_proj(att.softmax(dim=-1) @ v)
`;

describe('the opt-in μP note', () => {
  it(`the readout of a wide MLP (fan_in ${MUP_WIDTH} and up) gets the note only when opted in`, () => {
    const off = verdicts(mlp(1024), { ...DEFAULT_ADVICE, level: 'suggestions' }).get('MLP.fc2')!;
    assert.equal(off.rule, 'output');
    assert.equal(off.level, 'ok');
    const on = verdicts(mlp(1024), MUP).get('MLP.fc2')!;
    assert.equal(on.rule, 'mup');
    assert.equal(on.level, 'note');
    assert.match(on.message, /^Readout of a wide model \(fan_in 1024\): .* is the standard parametrization, fine .*zero-initialized or its output scaled by 1\/width_mult \(mup\.MuReadout\)\.$/);
    assert.equal(on.source.url, 'https://arxiv.org/abs/2203.03466');
    // A hidden layer keeps its own verdict: μP's hidden init is the standard 1/fan_in.
    assert.notEqual(verdicts(mlp(1024), MUP).get('MLP.fc1')!.rule, 'mup');
  });

  it('a narrow model gets no note; disabling the rule removes it', () => {
    assert.equal(verdicts(mlp(MUP_WIDTH - 1), MUP).get('MLP.fc2')!.rule, 'output');
    assert.equal(verdicts(mlp(MUP_WIDTH), MUP).get('MLP.fc2')!.rule, 'mup');
    assert.equal(verdicts(mlp(1024), { ...MUP, disabled: new Set(['mup']) }).get('MLP.fc2')!.rule, 'output');
  });

  it('the query/key projection of a wide transformer: attention logits 1/d_head; the residual projection keeps its rule', () => {
    const v = verdicts(ATTENTION, MUP);
    const attn = v.get('SelfAttention.c_attn')!;
    assert.equal(attn.rule, 'mup');
    assert.match(attn.message, /attention logits are scaled by 1\/d_head instead of 1\/√d_head/);
    assert.equal(v.get('SelfAttention.c_proj')!.rule, 'transformer');
    assert.equal(verdicts(ATTENTION, { ...DEFAULT_ADVICE, level: 'suggestions' }).get('SelfAttention.c_attn')!.rule, 'transformer');
  });

  it('never instead of a warning: a wide zero readout of a hidden constant layer keeps the symmetry warning', () => {
    const text = mlp(1024).replace('self.fc2 = nn.Linear(1024, 10)', 'self.fc2 = nn.Linear(1024, 10)\n        nn.init.constant_(self.fc1.weight, 0.5)');
    assert.equal(verdicts(text, MUP).get('MLP.fc1')!.rule, 'symmetry');
  });

  it('[tool.initlens] advice.width-scaling: a boolean', () => {
    assert.equal(parseCheckConfig('[tool.initlens]\nadvice.width-scaling = true\n', 'pyproject.toml')?.advice?.widthScaling, true);
    assert.equal(parseCheckConfig('[tool.initlens]\nadvice.level = "suggestions"\n', 'pyproject.toml')?.advice?.widthScaling, undefined);
    assert.throws(() => parseCheckConfig('[tool.initlens]\nadvice.width-scaling = "yes"\n', 'pyproject.toml'), (e: unknown) => e instanceof ConfigError && e.message === 'pyproject.toml: [tool.initlens] advice.width-scaling must be true or false, got "yes"');
  });
});
