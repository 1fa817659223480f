/**
 * Forward data flow across module classes of the file (core/model/forward.ts,
 * the module tree's summaries and exits). Expected activations were printed by
 * real torch 1.13 (/usr/bin/python3): the classes of
 * test/fixtures/models/torch_crossflow.py run as `initlens_key` (so that they
 * count as the file's own classes) through scripts/realworld/keys.py's
 * `run_activations`, the rule of the real-world answer keys:
 *   Styler  stem identity, up.conv leaky_relu(0.2), out identity
 *   Stack   wte identity, blocks.0.fc relu, blocks.1.fc tanh, head identity
 *   PreNet  stem relu, body.0.conv identity, body.1.conv sigmoid
 *   Encoder embed.tok identity, layers.{0,1}.0.proj identity, layers.0.1.net.3 identity,
 *           layers.1.1.net.3 silu (the last pair's output goes to F.silu)
 *   Ffn     fc1 gelu, seq.0 silu, seq.2 identity (Twice2 multiplies: keys.py stops at a product),
 *           seq.4 identity; torch 1.13 in float64 on linspace(-4, 4, 1001): NewGELU's formula is
 *           F.gelu(approximate='tanh') to 4.4e-16 (and 4.7e-4 from the exact GELU), Swish's is
 *           F.silu to 4.4e-16, 0.5·x·(1 + erf(x/√2)) is F.gelu to 4.4e-16
 *   LambdaMlp mlp.c_fc gelu, mlp.c_proj tanh, out identity (NewGELU declared an activation, as
 *           the corpus recipe for minGPT does)
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { layerHoverMarkdown } from '../../src/core/hovers';
import { ModelAnalyzer } from '../../src/core/model/analyze';
import { Context } from '../../src/core/model/context';
import { formulaActivation } from '../../src/core/model/formula';
import { collectImports } from '../../src/core/python/imports';
import type { Layer, Model } from '../../src/core/model/types';
import { parsePython } from '../../src/core/python/parse';
import { ROOT } from '../host/paths';

const TEXT = fs.readFileSync(path.join(ROOT, 'test', 'fixtures', 'models', 'torch_crossflow.py'), 'utf8');

function analyze(text: string): readonly Model[] {
  return new ModelAnalyzer().analyze(parsePython(text), text).models;
}

const models = analyze(TEXT);

function layer(model: string, name: string, from: readonly Model[] = models): Layer {
  const found = from.find((m) => m.name === model)?.layers.find((l) => l.name === name);
  assert.ok(found, `${model}.${name}`);
  return found;
}

const kind = (l: Layer) => l.activation?.activation.kind;

describe('forward flow across module classes', () => {
  it("follows a layer's output out of its class's return into the builder's forward", () => {
    const conv = layer('Up', 'conv');
    assert.deepEqual(conv.activation?.activation, { kind: 'leaky_relu', slope: 0.2 });
    assert.equal(conv.normalizer, 'InstanceNorm2d');
    assert.equal(conv.activation?.through, 'Styler');
    // A use in another class's text has no position here (it is not this layer's to hover).
    assert.equal(conv.activation?.at, undefined);
    // The value passed into Up goes through its padding into its conv: a weight layer.
    assert.equal(kind(layer('Styler', 'stem')), 'identity');
    assert.equal(layer('Styler', 'stem').activation?.through, 'Up');
    assert.equal(layer('Styler', 'out').activation?.via, 'output');
  });

  it('hands a loop element its predecessor\'s output, and the last element\'s to what follows the loop', () => {
    assert.equal(kind(layer('Stack', 'wte')), 'identity');
    assert.equal(kind(layer('First', 'fc')), 'relu');
    assert.equal(layer('First', 'fc').normalizer, 'LayerNorm');
    assert.equal(kind(layer('Second', 'fc')), 'tanh');
  });

  it('chains the module classes of a Sequential', () => {
    assert.equal(kind(layer('PreNet', 'stem')), 'relu');
    assert.equal(layer('PreNet', 'stem').normalizer, 'BatchNorm2d');
    assert.equal(kind(layer('PreAct', 'conv')), 'identity');
    assert.equal(kind(layer('Tail', 'conv')), 'sigmoid');
  });

  it('reads a ModuleDict by attribute, unpacks a loop over pairs, and lets a block\'s layers outrank its residual', () => {
    // tok → drop (no weight layer: passes) → the first Attend, whose first read is the residual `h = x`.
    assert.equal(kind(layer('Encoder', 'embed.tok')), 'identity');
    assert.equal(layer('Encoder', 'embed.tok').activation?.through, 'Attend');
    assert.equal(kind(layer('Attend', 'proj')), 'identity');
    // Mlp's last Linear: identity in the first pair (the next Attend's qkv), SiLU in the last: built twice,
    // in two contexts that disagree, so the merged view names none.
    assert.equal(models.find((m) => m.name === 'Mlp')?.contexts?.length, 2);
    assert.equal(layer('Mlp', 'net.3').activation, undefined);
  });

  it('says in the hover where the flow went', () => {
    const up = models.find((m) => m.name === 'Up')!;
    const md = layerHoverMarkdown(up, layer('Up', 'conv'), 'file:///a.py', 'initlens.applyInit');
    assert.match(md, /Followed by \*\*LeakyReLU\(0\.2\)\*\* \(after InstanceNorm2d\) \(in forward\(\), through `Styler`\)\./);
    // The recommendation follows the activation found in the builder (kaiming for leaky_relu).
    const weight = layer('Up', 'conv').params.find((p) => p.name === 'weight');
    assert.match(weight?.recommendation?.name ?? '', /kaiming/);
    const own = layerHoverMarkdown(models.find((m) => m.name === 'Tail')!, layer('Tail', 'conv'), 'file:///a.py', 'initlens.applyInit');
    assert.match(own, /Followed by \*\*Sigmoid\*\* \(in forward\(\)\)\./);
  });

  it('keeps today\'s answer where no class of the file builds the class (the model\'s output)', () => {
    const text = TEXT.slice(0, TEXT.indexOf('class Styler'));
    const conv = layer('Up', 'conv', analyze(text));
    assert.equal(kind(conv), 'identity');
    assert.equal(conv.activation?.via, 'output');
  });

  it('shows, for a class built in several ways, the activation every context agrees on, else none', () => {
    // torch 1.13, as above: Twice a.conv relu, b.conv tanh; Agree a.conv and b.conv leaky_relu(0.2).
    const twice = `

class Twice(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = Up(3, 4)
        self.b = Up(4, 5)

    def forward(self, x):
        return torch.tanh(self.b(F.relu(self.a(x))))
`;
    const agree = `

class Agree(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = Up(3, 6)
        self.b = Up(6, 6)

    def forward(self, x):
        return F.leaky_relu(self.b(F.leaky_relu(self.a(x), 0.2)), 0.2)
`;
    const differ = analyze(TEXT + twice);
    assert.equal(differ.find((m) => m.name === 'Up')?.contexts?.length, 3);
    // Styler's leaky_relu, Twice's relu and tanh: no one of them is the class's.
    assert.equal(layer('Up', 'conv', differ).activation, undefined);
    const same = analyze(TEXT + agree);
    assert.equal(same.find((m) => m.name === 'Up')?.contexts?.length, 3);
    const conv = layer('Up', 'conv', same);
    assert.deepEqual(conv.activation?.activation, { kind: 'leaky_relu', slope: 0.2 });
    // Styler has an InstanceNorm2d on the way, Agree none: the activation stands, the normalizer is not named.
    assert.equal(conv.normalizer, undefined);
    // The numbers the contexts do not share stay per context.
    assert.equal(typeof conv.fanIn, 'object');
  });

  it('re-analyzes a class whose child changed, though its own text did not (incremental analysis)', () => {
    const analyzer = new ModelAnalyzer();
    const before = analyzer.analyze(parsePython(TEXT), TEXT).models;
    assert.equal(kind(layer('Styler', 'stem', before)), 'identity');
    // Up now applies ReLU to its input before the padding: Styler's stem is followed by it.
    const edited = TEXT.replace('return self.conv(self.pad(x))', 'return self.conv(self.pad(F.relu(x)))');
    assert.notEqual(edited, TEXT);
    const after = analyzer.analyze(parsePython(edited), edited).models;
    assert.equal(kind(layer('Styler', 'stem', after)), 'relu');
    assert.deepEqual(
      after.map((m) => m.layers.map((l) => [l.name, kind(l)])),
      analyze(edited).map((m) => m.layers.map((l) => [l.name, kind(l)])),
    );
  });

  it('recognizes a module class that computes an activation by hand (minGPT NewGELU, swish)', () => {
    assert.equal(kind(layer('Ffn', 'fc1')), 'gelu');
    assert.equal(layer('Ffn', 'fc1').activation?.through, 'NewGELU');
    assert.equal(kind(layer('Ffn', 'seq.0')), 'silu');
    assert.equal(kind(layer('Ffn', 'seq.2')), 'identity');
    assert.equal(layer('Ffn', 'seq.4').activation?.via, 'output');
  });

  it('evaluates only elementwise formulas, and names only PyTorch activations', () => {
    const of = (body: string): string | undefined => {
      const text = `import math\nimport torch\nimport torch.nn.functional as F\n\ndef forward(self, x):\n${body}\n`;
      const tree = parsePython(text);
      const ctx = new Context(text, collectImports(tree, text), new Map());
      const fn = tree.topNode.getChild('FunctionDefinition');
      assert.ok(fn);
      return formulaActivation(fn, 'x', ctx)?.kind;
    };
    assert.equal(of('    return 0.5 * x * (1 + torch.erf(x / math.sqrt(2)))'), 'gelu');
    assert.equal(of('    """Mish."""\n    sp = F.softplus(x)\n    return x * torch.tanh(sp)'), 'mish');
    assert.equal(of('    return x * (x + 3).clamp(0, 6) / 6'), undefined); // clamp is not evaluated: no guess
    assert.equal(of('    return torch.max(x, torch.zeros_like(x))'), undefined);
    assert.equal(of('    return x * self.scale'), undefined);
    assert.equal(of('    return x.sigmoid() * x'), 'silu');
    assert.equal(of('    return 2 * x'), undefined);
    assert.equal(of('    return 1.0'), undefined);
    assert.equal(of('    y = torch.tanh(x)\n    print(y)\n    return y'), undefined);
  });

  it('does not take the last element it knows of a list built in a loop it cannot count for the last one', () => {
    const text = [
      'import torch',
      'import torch.nn as nn',
      'import torch.nn.functional as F',
      '',
      'class A(nn.Module):',
      '    def __init__(self):',
      '        super().__init__()',
      '        self.fc = nn.Linear(8, 8)',
      '',
      '    def forward(self, x):',
      '        return self.fc(x)',
      '',
      'class B(nn.Module):',
      '    def __init__(self):',
      '        super().__init__()',
      '        self.fc = nn.Linear(8, 8)',
      '',
      '    def forward(self, x):',
      '        return self.fc(F.relu(x))',
      '',
      'class Grow(nn.Module):',
      '    def __init__(self, n):',
      '        super().__init__()',
      '        self.blocks = nn.ModuleList([A()])',
      '        for _ in range(n):',
      '            self.blocks.append(B())',
      '        self.head = nn.Linear(8, 2)',
      '',
      '    def forward(self, x):',
      '        for block in self.blocks:',
      '            x = block(x)',
      '        return self.head(torch.tanh(x))',
      '',
    ].join('\n');
    const found = analyze(text);
    // With n unknown, A is followed by B's ReLU (n ≥ 1) or by the tanh (n = 0): InitLens names neither.
    assert.equal(layer('A', 'fc', found).activation, undefined);
    // Counted (n = 2), the list is complete: A hands its output to B's ReLU.
    const counted = analyze(text.replace('def __init__(self, n):', 'def __init__(self, n=2):'));
    assert.equal(kind(layer('A', 'fc', counted)), 'relu');
  });

  it("follows a lambda stored in __init__ over an alias of a ModuleDict (minGPT's mlpf)", () => {
    assert.equal(kind(layer('LambdaMlp', 'mlp.c_fc')), 'gelu');
    assert.equal(kind(layer('LambdaMlp', 'mlp.c_proj')), 'tanh');
    assert.equal(kind(layer('LambdaMlp', 'out')), 'identity');
  });

  it('does not call the output of a module its builder never runs in forward the model\'s output', () => {
    const text = [
      'import torch.nn as nn',
      '',
      'class Head(nn.Module):',
      '    def __init__(self):',
      '        super().__init__()',
      '        self.fc = nn.Linear(8, 2)',
      '',
      '    def forward(self, x):',
      '        return self.fc(x)',
      '',
      'class Net(nn.Module):',
      '    def __init__(self):',
      '        super().__init__()',
      '        self.body = nn.Linear(8, 8)',
      '        self.head = Head()',
      '',
      '    def forward(self, x):',
      '        return self.body(x)',
      '',
      '    def score(self, x):',
      '        return self.head(x).softmax(-1)',
      '',
    ].join('\n');
    assert.equal(layer('Head', 'fc', analyze(text)).activation, undefined);
  });

  it("does not take a partial Sequential's last known layer for its output", () => {
    const text = [
      'import torch',
      'import torch.nn as nn',
      '',
      'class Deep(nn.Module):',
      '    def __init__(self, n):',
      '        super().__init__()',
      '        layers = [nn.Linear(8, 8)]',
      '        for _ in range(n):',
      '            layers.append(nn.Linear(8, 8))',
      '        self.seq = nn.Sequential(*layers)',
      '',
      '    def forward(self, x):',
      '        return torch.tanh(self.seq(x))',
      '',
    ].join('\n');
    // n unknown: seq.0 feeds seq.1 (n ≥ 1) or the tanh (n = 0).
    assert.equal(layer('Deep', 'seq.0', analyze(text)).activation, undefined);
    const counted = analyze(text.replace('(self, n)', '(self, n=0)'));
    assert.equal(kind(layer('Deep', 'seq.0', counted)), 'tanh');
  });
});
