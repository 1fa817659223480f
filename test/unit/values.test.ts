/**
 * Values flowing down the module tree (issue 11, "real model code"): `**kwargs`
 * and `*args` passed on, config objects built by a static method and set
 * attribute by attribute, `merge_from_dict`, small module functions run for
 * their value, comprehensions of constants and `torch.linspace`. Every fan
 * below is what `nn.init._calculate_fan_in_and_fan_out` printed for the same
 * code under torch 1.13 (`/usr/bin/python3`), and every linspace value what
 * `torch.linspace(...)[i].item()` printed.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ModelAnalyzer } from '../../src/core/model/analyze';
import { linspace } from '../../src/core/model/members';
import type { Layer, Model } from '../../src/core/model/types';
import { parsePython } from '../../src/core/python/parse';
import { documentSignatures, externalSites } from '../../src/core/workspace/externalSites';

function analyze(text: string, driver?: string): readonly Model[] {
  const tree = parsePython(text);
  const external = driver ? externalSites('/ws/model.py', documentSignatures(tree, text), { path: '/ws/train.py', text: driver, tree: parsePython(driver) }, ['/ws']) : [];
  return new ModelAnalyzer().analyze(tree, text, { external }).models;
}

function fans(models: readonly Model[], model: string, name: string): [unknown, unknown] {
  const found: Layer | undefined = models.find((m) => m.name === model)?.layers.find((l) => l.name === name);
  assert.ok(found, `${model}.${name}`);
  return [found.fanIn, found.fanOut];
}

const std = (models: readonly Model[], model: string, name: string) => models.find((m) => m.name === model)?.layers.find((l) => l.name === name)?.params[0]?.resolved?.std;

const KWARGS = `import torch
from torch import nn

def pair(t):
    return t if isinstance(t, tuple) else (t, t)

def default(val, d):
    return val if val is not None else d

class Head(nn.Module):
    def __init__(self, dim=8, classes=2, hidden=None):
        super().__init__()
        hidden = default(hidden, dim * 2)
        self.fc1 = nn.Linear(dim, hidden)
        self.fc2 = nn.Linear(hidden, classes)

class Net(nn.Module):
    def __init__(self, image_size=32, patch=4, *args, **kwargs):
        super().__init__()
        h, w = pair(image_size)
        self.size = ph, pw = pair(patch)
        self.embed = nn.Linear(3 * ph * pw, kwargs.get('dim', 8))
        self.head = Head(*args, **kwargs)
`;

describe('values down the module tree', () => {
  it("keywords no parameter takes go into **kwargs and on to the class that spreads it; *args too", () => {
    const models = analyze(`${KWARGS}\nmodel = Net(image_size=64, patch=8, dim=24, classes=5)\n`);
    // torch: embed (192, 24), head.fc1 (24, 48), head.fc2 (48, 5)
    assert.deepEqual(fans(models, 'Net', 'embed'), [192, 24]);
    assert.deepEqual(fans(models, 'Head', 'fc1'), [24, 48]);
    assert.deepEqual(fans(models, 'Head', 'fc2'), [48, 5]);
    const positional = analyze(`${KWARGS}\nmodel = Net(64, 8, 24, 5)\n`);
    // Net(64, 8, 24, 5): *args = (24, 5) → Head(24, 5): fc1 (24, 48), fc2 (48, 5); kwargs is empty, so embed's out is 8.
    assert.deepEqual(fans(positional, 'Head', 'fc2'), [48, 5]);
    assert.deepEqual(fans(positional, 'Net', 'embed'), [192, 8]);
  });

  it('a root nobody builds has an empty **kwargs; a spread of something unknown leaves the parameters it may fill unknown', () => {
    // Net() with its defaults: Head() with its own (fc1 8 → 16, fc2 16 → 2), embed 3·4·4 = 48 → 8.
    const models = analyze(KWARGS);
    assert.deepEqual(fans(models, 'Head', 'fc1'), [8, 16]);
    assert.deepEqual(fans(models, 'Net', 'embed'), [48, 8]);
    const unknown = analyze(`${KWARGS}\nimport json\nopts = json.load(open('o.json'))\nmodel = Net(**opts)\n`);
    assert.equal(typeof fans(unknown, 'Head', 'fc2')[1], 'object');
    assert.equal(typeof fans(unknown, 'Net', 'embed')[0], 'object');
  });

  const GPT = `import math
import torch
from torch import nn

class CN:
    def merge_from_dict(self, d):
        self.__dict__.update(d)

class Block(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.fc = nn.Linear(config.n_embd, 4 * config.n_embd)

class GPT(nn.Module):
    @staticmethod
    def get_default_config():
        C = CN()
        C.model_type = 'small'
        C.n_layer = None
        C.n_embd = None
        C.vocab_size = None
        return C

    def __init__(self, config):
        super().__init__()
        if config.model_type is not None:
            config.merge_from_dict({
                'small': dict(n_layer=2, n_embd=32),
                'large': dict(n_layer=4, n_embd=64),
            }[config.model_type])
        self.h = nn.ModuleList([Block(config) for _ in range(config.n_layer)])
        self.head = nn.Linear(config.n_embd, config.vocab_size)
        for pn, p in self.named_parameters():
            if pn.endswith('fc.weight'):
                torch.nn.init.normal_(p, mean=0.0, std=0.02 / math.sqrt(2 * config.n_layer))
`;
  const BUILD = `config = GPT.get_default_config()\nconfig.model_type = 'large'\nconfig.vocab_size = 100\nmodel = GPT(config)\n`;

  it("a config a static method builds, set attribute by attribute, then merge_from_dict in __init__ (minGPT's README)", () => {
    for (const models of [analyze(`${GPT}\n${BUILD}`), analyze(GPT, `from model import GPT\n\n${BUILD}`)]) {
      // torch: h.0.fc … h.3.fc (64, 256), head (64, 100); fc's std 0.02/√(2·4)
      assert.deepEqual(fans(models, 'Block', 'fc'), [64, 256]);
      assert.deepEqual(fans(models, 'GPT', 'head'), [64, 100]);
      assert.equal(models.find((m) => m.name === 'Block')?.contexts?.[0]?.count, 4);
      assert.ok(Math.abs((std(models, 'Block', 'fc') as number) - 0.02 / Math.sqrt(8)) < 1e-15);
    }
    // The defaults: 'small' (n_embd 32, n_layer 2), and vocab_size None, so Linear(32, None) would raise: no fans for head.
    const alone = analyze(`${GPT}\nmodel = GPT(GPT.get_default_config())\n`);
    assert.deepEqual(fans(alone, 'Block', 'fc'), [32, 128]);
    assert.equal(std(alone, 'Block', 'fc'), 0.02 / Math.sqrt(4));
    assert.deepEqual(fans(alone, 'GPT', 'head'), [undefined, undefined]);
  });

  it('SimpleNamespace and dict objects: keywords, attribute writes, update, pop', () => {
    const models = analyze(`import torch
from torch import nn
from types import SimpleNamespace

class Tiny(nn.Module):
    def __init__(self, cfg, **kw):
        super().__init__()
        self.fc = nn.Linear(cfg.width, cfg.classes)
        self.out = nn.Linear(cfg.classes, kw.get('extra', 1))

opts = dict(extra=7, drop=0.1)
opts.update({'extra': 9})
opts.pop('drop')
ns = SimpleNamespace(width=12)
ns.classes = 3
tiny = Tiny(ns, **opts)
`);
    // torch: fc (12, 3); out: 3 → 9
    assert.deepEqual(fans(models, 'Tiny', 'fc'), [12, 3]);
    assert.deepEqual(fans(models, 'Tiny', 'out'), [3, 9]);
  });

  it('constant comprehensions and torch.linspace, as stochastic-depth rates are written', () => {
    const models = analyze(`import torch
from torch import nn

class Layer(nn.Module):
    def __init__(self, dim, drop):
        super().__init__()
        self.fc = nn.Linear(dim, dim * 2)

class Net(nn.Module):
    def __init__(self, dim=16, depth=5, rate=0.1):
        super().__init__()
        dpr = [x.item() for x in torch.linspace(0, rate, depth)]
        widths = [dim * (i + 1) for i in range(3) if i != 1]
        self.blocks = nn.ModuleList([Layer(dim, r) for r in dpr])
        self.proj = nn.Linear(widths[0], widths[-1])
`);
    assert.deepEqual(fans(models, 'Layer', 'fc'), [16, 32]);
    assert.equal(models.find((m) => m.name === 'Layer')?.contexts?.length, 5);
    // widths = [16, 48]
    assert.deepEqual(fans(models, 'Net', 'proj'), [16, 48]);
  });

  it("torch.linspace's values are float32 as ATen's scalar kernel computes them", () => {
    // torch.linspace(0, 0.1, 14)[i].item(), (0, 0.3, 7), (1, 2, 5), (0, 1, 1). ATen's vectorized kernel fills whole
    // SIMD chunks from their first element (8 or 16 lanes), so indices inside such a chunk may differ in the last bit:
    // only the scalar-path ones are compared (a chunk's first lanes, the tail).
    assert.deepEqual(linspace(0, 0.1, 14).slice(0, 4), [0, 0.007692307699471712, 0.015384615398943424, 0.023076923564076424]);
    assert.deepEqual(linspace(0, 0.1, 14).slice(-2), [0.0923076942563057, 0.10000000149011612]);
    assert.deepEqual(linspace(0, 0.3, 7), [0, 0.05000000074505806, 0.10000000149011612, 0.15000000596046448, 0.20000001788139343, 0.25, 0.30000001192092896]);
    assert.deepEqual(linspace(1, 2, 5), [1, 1.25, 1.5, 1.75, 2]);
    assert.deepEqual(linspace(0, 1, 1), [0]);
  });

  it("a module function's value needs a certain type: a tuple or list argument of isinstance stays unknown", () => {
    const models = analyze(`${KWARGS}\nmodel = Net(patch=(4, 2))\n`);
    // pair((4, 2)): tuples and lists are one kind of constant here, so ph, pw are unknown.
    assert.equal(typeof fans(models, 'Net', 'embed')[0], 'object');
  });

  it('for i, (k, s) in enumerate(...) binds the nested names', () => {
    const models = analyze(`import torch
from torch import nn

class Net(nn.Module):
    def __init__(self, channels=3, layers=((7, 4), (3, 2))):
        super().__init__()
        dim = channels
        for i, (kernel, stride) in enumerate(layers):
            dim *= kernel ** 2
        self.fc = nn.Linear(dim, 10)
`);
    // 3·49·9 = 1323
    assert.deepEqual(fans(models, 'Net', 'fc'), [1323, 10]);
  });

  it('a chained assignment gives the value to every target list; a = b = (3, 4) is no unpacking', () => {
    const models = analyze(`import torch
from torch import nn

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        a = b = (3, 4)
        self.fc = nn.Linear(len(a), b[1])
`);
    assert.deepEqual(fans(models, 'Net', 'fc'), [2, 4]);
  });

  it('constructions inside functions count only where no code that runs builds the class', () => {
    const text = `import torch
from torch import nn

class Net(nn.Module):
    def __init__(self, width):
        super().__init__()
        self.fc = nn.Linear(width, 10)

def small():
    return Net(8)

def big():
    return Net(64)
`;
    assert.equal(typeof fans(analyze(text), 'Net', 'fc')[0], 'object');
    assert.deepEqual(fans(analyze(`${text}\nmodel = Net(32)\n`), 'Net', 'fc'), [32, 10]);
    assert.deepEqual(fans(analyze(text, 'from model import Net\nmodel = Net(16)\n'), 'Net', 'fc'), [16, 10]);
  });

  it('a class built in more contexts than are analyzed shows what all of them share, not what the first ones do', () => {
    const calls = Array.from({ length: 20 }, (_, i) => `        self.b${i} = Block(${i < 17 ? 32 : 48})`).join('\n');
    const models = analyze(`import torch
from torch import nn

class Block(nn.Module):
    def __init__(self, width, k=3):
        super().__init__()
        self.conv = nn.Conv2d(width, width, k)

class Net(nn.Module):
    def __init__(self):
        super().__init__()
${calls.replace(/Block\((\d+)\)/g, (_, w, i) => `Block(${w}, ${1 + (Number(i) % 17)})`)}
`);
    const [fanIn] = fans(models, 'Block', 'conv');
    assert.equal(typeof fanIn, 'object', `widths 32 and 48 differ beyond the analyzed contexts: ${JSON.stringify(fanIn)}`);
  });

  it("a depthwise conv's in_channels/groups is 1 with the channels unknown; a required argparse argument has no default", () => {
    const models = analyze(`import argparse
import torch
from torch import nn

parser = argparse.ArgumentParser()
parser.add_argument('--width', type=int, required=True)
opt = parser.parse_args()

class Block(nn.Module):
    def __init__(self, planes):
        super().__init__()
        self.dw = nn.Conv2d(planes, planes, kernel_size=3, groups=planes)
        self.fc = nn.Linear(opt.width, 2)
`);
    assert.equal(fans(models, 'Block', 'dw')[0], 9);
    assert.equal(typeof fans(models, 'Block', 'fc')[0], 'object');
  });

  it("a function's constructions see what its body assigns; a module-level block that may not run leaves its names unknown", () => {
    const models = analyze(`import torch
from torch import nn

WIDTH = 8
if torch.cuda.is_available():
    WIDTH = 16

class Net(nn.Module):
    def __init__(self, width, classes=2):
        super().__init__()
        self.fc = nn.Linear(width, classes)

def make(classes=3):
    width = classes * 4
    return Net(width, classes)
`);
    // make(): Net(12, 3); WIDTH is 8 or 16, so it is no module constant here.
    assert.deepEqual(fans(models, 'Net', 'fc'), [12, 3]);
    const constant = analyze(`import torch
from torch import nn

WIDTH = 8
if torch.cuda.is_available():
    WIDTH = 16

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(WIDTH, 2)
`);
    assert.equal(typeof fans(constant, 'Net', 'fc')[0], 'object');
  });

  it("calls of the file's functions are followed into them, parameters bound, **kwargs passed on (torchvision's resnet18 → _resnet)", () => {
    const text = `import torch
from torch import nn

class Block(nn.Module):
    def __init__(self, inp, out):
        super().__init__()
        self.fc = nn.Linear(inp, out)

class ResNet(nn.Module):
    def __init__(self, block, layers, width=8, **kwargs):
        super().__init__()
        self.blocks = nn.ModuleList([block(width, width * 2) for _ in range(layers)])
        self.head = nn.Linear(width * 2, kwargs.get('classes', 10))

def _resnet(block, layers, **kwargs):
    return ResNet(block, layers, **kwargs)

def resnet18(**kwargs):
    return _resnet(Block, 2, width=16, **kwargs)
`;
    // torch: resnet18(classes=5): blocks.0.fc (16, 32), head (32, 5); resnet18(): head (32, 10)
    const built = analyze(`${text}\nmodel = resnet18(classes=5)\n`);
    assert.deepEqual(fans(built, 'Block', 'fc'), [16, 32]);
    assert.deepEqual(fans(built, 'ResNet', 'head'), [32, 5]);
    assert.deepEqual(built.find((m) => m.name === 'ResNet')?.contexts?.map((c) => c.label), ['resnet18(): _resnet(): ResNet(block, layers, **kwargs)']);
    // Nobody calls resnet18: it is a root, called with nothing.
    assert.deepEqual(fans(analyze(text), 'ResNet', 'head'), [32, 10]);
  });
});
