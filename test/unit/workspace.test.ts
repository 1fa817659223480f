/**
 * Files of the workspace: the module names of a path, imports resolved
 * (relative, absolute, module aliases), the constructions another file makes of
 * a document's classes with their arguments bound there, the bounded import
 * index, the CLI's project scan and the exclude glob. Expected values by hand.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { LIMITS } from '../../src/core/limits';
import { ModelAnalyzer, type ExternalSite } from '../../src/core/model/analyze';
import { parsePython } from '../../src/core/python/parse';
import { excludeGlob, expandBraces, inSkippedFolder } from '../../src/core/workspace/exclude';
import { documentSignatures, externalSites, shortCall } from '../../src/core/workspace/externalSites';
import { ImportIndex, importsOfText, mentions } from '../../src/core/workspace/index';
import { moduleNames, pythonImports, reexportersOf, targetImports } from '../../src/core/workspace/modules';
import { projectOf, projectRoot } from '../../src/node/workspaceFiles';
import { runInMemory } from './cliHarness';

const imports = (text: string) => pythonImports(parsePython(text), text);
const got = (importer: string, text: string, target: string, classes: string[], roots = ['/ws']) => {
  const t = targetImports(importer, imports(text), target, new Set(classes), roots);
  return { classes: Object.fromEntries(t.classes), modules: [...t.modules].sort() };
};

describe('module names of a path', () => {
  it('one per folder between the file and its root, longest first', () => {
    assert.deepEqual(moduleNames('/ws/src/models/layers.py', ['/ws']), ['src.models.layers', 'models.layers', 'layers']);
    assert.deepEqual(moduleNames('/ws/vit.py', ['/ws']), ['vit']);
    // The deepest root that holds the file.
    assert.deepEqual(moduleNames('/ws/sub/pkg/a.py', ['/ws', '/ws/sub']), ['pkg.a', 'a']);
  });

  it('a package is its __init__.py; names stop at a folder that is no identifier', () => {
    assert.deepEqual(moduleNames('/ws/models/__init__.py', ['/ws']), ['models']);
    assert.deepEqual(moduleNames('/ws/my-project/models/blocks.py', ['/ws']), ['models.blocks', 'blocks']);
    assert.deepEqual(moduleNames('/ws/notes.txt', ['/ws']), []);
    assert.deepEqual(moduleNames('/elsewhere/a/b.py', ['/ws']), ['b']);
  });
});

describe('import statements', () => {
  it('levels, modules, names and aliases as written', () => {
    const text = 'from .blocks import ConvBNAct\nfrom ..models.layers import Y as Z, W\nfrom . import blocks\nfrom ... import q\nimport models.layers as L, os\nimport a.b\ndef f():\n    from vit_pytorch.vit import ViT\n';
    assert.deepEqual(imports(text), [
      { level: 1, module: 'blocks', names: [{ name: 'ConvBNAct', local: 'ConvBNAct', aliased: false }] },
      { level: 2, module: 'models.layers', names: [{ name: 'Y', local: 'Z', aliased: true }, { name: 'W', local: 'W', aliased: false }] },
      { level: 1, module: '', names: [{ name: 'blocks', local: 'blocks', aliased: false }] },
      { level: 3, module: '', names: [{ name: 'q', local: 'q', aliased: false }] },
      { level: 0, names: [{ name: 'models.layers', local: 'L', aliased: true }, { name: 'os', local: 'os', aliased: false }] },
      { level: 0, names: [{ name: 'a.b', local: 'a', aliased: false }] },
      { level: 0, module: 'vit_pytorch.vit', names: [{ name: 'ViT', local: 'ViT', aliased: false }] },
    ]);
  });

  it('the import lines of a text alone: parenthesized and continued ones too', () => {
    const text = 'import torch\nx = 1\nfrom .layers import (\n    Attention,\n    FeedForward as FF,\n)\nfrom models.vit import ViT, \\\n    Pool\nclass A:\n    import numpy as np\n';
    assert.deepEqual(importsOfText(text), [
      { level: 0, names: [{ name: 'torch', local: 'torch', aliased: false }] },
      { level: 1, module: 'layers', names: [{ name: 'Attention', local: 'Attention', aliased: false }, { name: 'FeedForward', local: 'FF', aliased: true }] },
      { level: 0, module: 'models.vit', names: [{ name: 'ViT', local: 'ViT', aliased: false }, { name: 'Pool', local: 'Pool', aliased: false }] },
      { level: 0, names: [{ name: 'numpy', local: 'np', aliased: true }] },
    ]);
    assert.deepEqual(importsOfText('x = 1\n'), []);
  });
});

describe('what an importer takes from a file', () => {
  it('relative imports from the importer\'s folder, one folder up per further dot', () => {
    assert.deepEqual(got('/ws/models/net.py', 'from .blocks import ConvBNAct as CBA, helper', '/ws/models/blocks.py', ['ConvBNAct']), { classes: { CBA: 'ConvBNAct' }, modules: [] });
    assert.deepEqual(got('/ws/train/run.py', 'from ..models.layers import Attention', '/ws/models/layers.py', ['Attention']), { classes: { Attention: 'Attention' }, modules: [] });
    assert.deepEqual(got('/ws/models/net.py', 'from . import blocks', '/ws/models/blocks.py', ['ConvBNAct']), { classes: {}, modules: ['blocks'] });
    assert.deepEqual(got('/ws/models/net.py', 'from . import ConvBNAct', '/ws/models/__init__.py', ['ConvBNAct']), { classes: { ConvBNAct: 'ConvBNAct' }, modules: [] });
    // `.blocks` from another folder is another file.
    assert.deepEqual(got('/ws/other/net.py', 'from .blocks import ConvBNAct', '/ws/models/blocks.py', ['ConvBNAct']), { classes: {}, modules: [] });
  });

  it('absolute imports: from-imports, module aliases, dotted module names', () => {
    assert.deepEqual(got('/ws/train.py', 'from vit_pytorch.vit import ViT', '/ws/vit_pytorch/vit.py', ['ViT']), { classes: { ViT: 'ViT' }, modules: [] });
    assert.deepEqual(got('/ws/train.py', 'import models.layers as L', '/ws/models/layers.py', ['Attention']), { classes: {}, modules: ['L'] });
    assert.deepEqual(got('/ws/train.py', 'import models.layers', '/ws/models/layers.py', ['Attention']), { classes: {}, modules: ['models.layers'] });
    assert.deepEqual(got('/ws/train.py', 'from models import layers', '/ws/models/layers.py', ['Attention']), { classes: {}, modules: ['layers'] });
    // The script's own folder is on sys.path.
    assert.deepEqual(got('/ws/a/train.py', 'from model import GPT', '/ws/a/model.py', ['GPT']), { classes: { GPT: 'GPT' }, modules: [] });
    // A src/ layout, imported from tests/.
    assert.deepEqual(got('/ws/tests/test_x.py', 'from pkg.layers import Block', '/ws/src/pkg/layers.py', ['Block']), { classes: { Block: 'Block' }, modules: [] });
  });

  it('not: a folder beside the importer\'s, names that are no class, the file itself', () => {
    assert.deepEqual(got('/ws/a/train.py', 'from utils import Net', '/ws/b/utils.py', ['Net']), { classes: {}, modules: [] });
    assert.deepEqual(got('/ws/train.py', 'from models.layers import helper', '/ws/models/layers.py', ['Attention']), { classes: {}, modules: [] });
    assert.deepEqual(got('/ws/models/layers.py', 'from models.layers import Attention', '/ws/models/layers.py', ['Attention']), { classes: {}, modules: [] });
    assert.deepEqual(got('/ws/train.py', 'from torch.nn import Linear', '/ws/models/layers.py', ['Linear']), { classes: {}, modules: [] });
  });

  it('a star import binds every public class', () => {
    assert.deepEqual(got('/ws/train.py', 'from models.layers import *', '/ws/models/layers.py', ['Attention', '_Hidden']), { classes: { Attention: 'Attention' }, modules: [] });
    assert.deepEqual(imports('from .a import *\n'), [{ level: 1, module: 'a', names: [], star: true }]);
  });

  it('through a package that re-exports: `from vit_pytorch import ViT` with `from vit_pytorch.vit import ViT` in its __init__.py', () => {
    const pkg = { path: '/ws/vit_pytorch/__init__.py', imports: imports('from vit_pytorch.vit import ViT\nfrom .cait import CaiT as C\n') };
    const star = { path: '/ws/models/__init__.py', imports: imports('from .resnet import *\n') };
    const viaGot = (importer: string, text: string, target: string, classes: string[], via: { path: string; imports: ReturnType<typeof imports> }[]) =>
      Object.fromEntries(targetImports(importer, imports(text), target, new Set(classes), ['/ws'], via).classes);
    assert.deepEqual(viaGot('/ws/train.py', 'from vit_pytorch import ViT as V, Other', '/ws/vit_pytorch/vit.py', ['ViT', 'Transformer'], [pkg]), { V: 'ViT' });
    // The package binds CaiT as C: that is the name to import.
    assert.deepEqual(viaGot('/ws/train.py', 'from vit_pytorch import C, CaiT', '/ws/vit_pytorch/cait.py', ['CaiT'], [pkg]), { C: 'CaiT' });
    assert.deepEqual(viaGot('/ws/main.py', 'from models import *', '/ws/models/resnet.py', ['ResNet', 'BasicBlock'], [star]), { ResNet: 'ResNet', BasicBlock: 'BasicBlock' });
    // Without the package, or from a folder that cannot reach it: nothing.
    assert.deepEqual(viaGot('/ws/main.py', 'from models import ResNet', '/ws/models/resnet.py', ['ResNet'], []), {});
    assert.deepEqual(viaGot('/ws/a/main.py', 'from b import ResNet', '/ws/b/models/resnet.py', ['ResNet'], [{ path: '/ws/c/b/__init__.py', imports: imports('from .models.resnet import ResNet\n') }]), {});
    // Only __init__.py files re-export, and only those that import the target.
    const files = [pkg, star, { path: '/ws/train.py', imports: imports('from vit_pytorch.vit import ViT\n') }, { path: '/ws/other/__init__.py', imports: imports('import torch\n') }];
    assert.deepEqual(reexportersOf(files, '/ws/vit_pytorch/vit.py', new Set(['ViT']), ['/ws']).map((f) => f.path), ['/ws/vit_pytorch/__init__.py']);
    assert.deepEqual(reexportersOf(files, '/ws/models/resnet.py', new Set(['ResNet']), ['/ws']).map((f) => f.path), ['/ws/models/__init__.py']);
  });
});

const ATTENTION = [
  'import torch.nn as nn',
  'class Attention(nn.Module):',
  '    def __init__(self, dim, heads=8, norm=None):',
  '        super().__init__()',
  '        self.qkv = nn.Linear(dim, dim * 3)',
  '        self.out = nn.Linear(dim, dim)',
  '    def forward(self, x):',
  '        return self.out(self.qkv(x))',
  'class Helper:',
  '    pass',
  '',
].join('\n');

const TRAIN = [
  'import argparse', // 1
  'import torch.nn as nn',
  'import models.layers as L',
  'from models.layers import Attention as A',
  'parser = argparse.ArgumentParser()', // 5
  "parser.add_argument('--dim', type=int, default=512)",
  'args = parser.parse_args()',
  'WIDTH = 128',
  'm1 = L.Attention(WIDTH, heads=4, norm=nn.LayerNorm)', // 9
  'def main(d=256):',
  '    m = A(dim=d)', // 11
  '    m2 = A(args.dim)', // 12
  '    p = argparse.ArgumentParser()',
  "    p.add_argument('--w', type=int, default=32)",
  '    o = p.parse_args()',
  '    m3 = A(o.w)', // 16
  'def other(WIDTH):',
  '    return A(WIDTH)', // 18
  'class Wrapper(nn.Module):',
  '    def __init__(self, width=64):',
  '        super().__init__()',
  '        self.attn = A(width, norm=A)', // 22
  'x = Helper(3)',
  '',
].join('\n');

const train = { path: '/ws/train.py', text: TRAIN, tree: parsePython(TRAIN) };

describe('constructions in another file', () => {
  const tree = parsePython(ATTENTION);
  const signatures = documentSignatures(tree, ATTENTION);

  it('the document\'s module classes and their constructors', () => {
    assert.deepEqual([...signatures.keys()], ['Attention']);
    assert.deepEqual(signatures.get('Attention')?.params, ['dim', 'heads', 'norm']);
    assert.deepEqual([...(signatures.get('Attention')?.defaults ?? [])], ['heads', 'norm']);
  });

  it('binds each call in the importer\'s scope: constants, argparse defaults, function parameters and locals', () => {
    const sites = externalSites('/ws/models/layers.py', signatures, train, ['/ws']);
    assert.deepEqual(sites, [
      { className: 'Attention', binding: { values: [['dim', 128], ['heads', 4]], refs: [['norm', 'torch.nn.LayerNorm']], unknown: [] }, label: 'train.py:9 L.Attention(WIDTH, heads=4, norm=nn.LayerNorm)' },
      { className: 'Attention', binding: { values: [['dim', 256]], refs: [], unknown: [] }, label: 'train.py:11 A(dim=d)' },
      { className: 'Attention', binding: { values: [['dim', 512]], refs: [], unknown: [] }, label: 'train.py:12 A(args.dim)' },
      { className: 'Attention', binding: { values: [['dim', 32]], refs: [], unknown: [] }, label: 'train.py:16 A(o.w)' },
      // A parameter without a default hides the module's WIDTH.
      { className: 'Attention', binding: { values: [], refs: [], unknown: ['dim'] }, label: 'train.py:18 A(WIDTH)' },
      // A method: its parameters' defaults; a class of the target as an argument is a reference.
      { className: 'Attention', binding: { values: [['dim', 64]], refs: [['norm', 'Attention']], unknown: [] }, label: 'train.py:22 A(width, norm=A)' },
    ]);
  });

  it('nothing from a file that does not import the document, or with no module classes', () => {
    const text = 'from other import Attention\nm = Attention(3)\n';
    assert.deepEqual(externalSites('/ws/models/layers.py', signatures, { path: '/ws/x.py', text, tree: parsePython(text) }, ['/ws']), []);
    assert.deepEqual(externalSites('/ws/models/layers.py', new Map(), train, ['/ws']), []);
    assert.deepEqual(externalSites('/ws/train.py', signatures, train, ['/ws']), []);
  });

  it('at most classContexts sites per file', () => {
    const text = `from models.layers import Attention\n${Array.from({ length: 40 }, (_, i) => `m${i} = Attention(${i + 1})`).join('\n')}\n`;
    const sites = externalSites('/ws/models/layers.py', signatures, { path: '/ws/many.py', text, tree: parsePython(text) }, ['/ws']);
    assert.equal(sites.length, LIMITS.classContexts.value);
    assert.equal(sites[15].label, 'many.py:17 Attention(16)');
  });

  it('labels: the importer relative to its root, the call on one line, cut after an argument', () => {
    assert.equal(shortCall('ViT(\n    dim=1024,\n    depth=6,\n)'), 'ViT(dim=1024, depth=6)');
    assert.equal(shortCall('ViT(image_size=256, patch_size=32, num_classes=1000, dim=1024, depth=6, heads=16)'), 'ViT(image_size=256, patch_size=32, num_classes=1000, …)');
    assert.equal(shortCall(`ViT(${'x'.repeat(80)})`), `ViT(${'x'.repeat(54)}…)`);
    const text = 'from models.layers import Attention\nm = Attention(8)\n';
    const [site] = externalSites('/ws/models/layers.py', signatures, { path: '/ws/scripts/run.py', text, tree: parsePython(text) }, ['/ws']);
    // scripts/run.py can reach models.layers only as `python -m` from /ws: still the project's file.
    assert.equal(site?.label, 'scripts/run.py:2 Attention(8)');
  });

  it('the document analysis takes them as contexts: one gives its numbers, several are listed per layer', () => {
    const one = externalSites('/ws/models/layers.py', signatures, { path: '/ws/t.py', text: 'from models.layers import Attention\nm = Attention(dim=64)\n', tree: parsePython('from models.layers import Attention\nm = Attention(dim=64)\n') }, ['/ws']);
    const [model] = new ModelAnalyzer().analyze(tree, ATTENTION, { external: one }).models;
    assert.deepEqual(model.layers.map((l) => [l.name, l.fanIn, l.fanOut]), [['qkv', 64, 192], ['out', 64, 64]]);
    assert.deepEqual(model.contexts, [{ label: 't.py:2 Attention(dim=64)', count: 1 }]);
    const sites: ExternalSite[] = externalSites('/ws/models/layers.py', signatures, train, ['/ws']);
    const [several] = new ModelAnalyzer().analyze(tree, ATTENTION, { external: sites }).models;
    assert.deepEqual(several.layers[0].contexts?.slice(0, 3).map((c) => [c.label, c.fanIn, c.fanOut]), [
      ['train.py:9 L.Attention(WIDTH, heads=4, norm=nn.LayerNorm)', 128, 384],
      ['train.py:11 A(dim=d)', 256, 768],
      ['train.py:12 A(args.dim)', 512, 1536],
    ]);
  });

  // Expected values from torch 1.13 (/usr/bin/python3): `wide(5)` builds Net(64, depth=5), whose weights
  // `nn.init._calculate_fan_in_and_fan_out` gives as inp 8 → 64 and out 64 → 5, with the default
  // kaiming_uniform_(a=√5) std gain/√fan_in = 0.2041241452 and 0.0721687836 (measured 0.2065, 0.0726).
  it("a builder function of the document called there (`net = wide(5)`) builds its class in the function's body, and only there", () => {
    const NETS = [
      'import torch.nn as nn',
      '',
      'class Net(nn.Module):',
      '    def __init__(self, width, depth=2):',
      '        super().__init__()',
      '        self.inp = nn.Linear(8, width)',
      '        self.out = nn.Linear(width, depth)',
      '',
      'def small():',
      '    return Net(16)',
      '',
      'def wide(depth=3):',
      '    return Net(64, depth=depth)',
      '',
    ].join('\n');
    const netsTree = parsePython(NETS);
    const netsSignatures = documentSignatures(netsTree, NETS);
    assert.deepEqual([...netsSignatures.keys()], ['Net', 'small', 'wide']);
    const script = 'from nets import wide\n\nnet = wide(5)\n';
    const sites = externalSites('/ws/nets.py', netsSignatures, { path: '/ws/train.py', text: script, tree: parsePython(script) }, ['/ws']);
    assert.deepEqual(sites, [{ className: 'wide', binding: { values: [['depth', 5]], refs: [], unknown: [] }, label: 'train.py:3 wide(5)' }]);
    const [model] = new ModelAnalyzer().analyze(netsTree, NETS, { external: sites }).models;
    assert.deepEqual(model.layers.map((l) => [l.name, l.fanIn, l.fanOut]), [['inp', 8, 64], ['out', 64, 5]]);
    // small() never runs: the script's call is the only context.
    assert.deepEqual(model.contexts, [{ label: 'train.py:3 wide(): Net(64, depth=depth)', count: 1 }]);
    const std = (i: number) => model.layers[i].params.find((p) => p.name === 'weight')?.resolved?.std as number;
    assert.ok(Math.abs(std(0) - 0.20412414523193148) < 1e-12 && Math.abs(std(1) - 0.07216878364870322) < 1e-12);
    // Without the script, both functions are contexts that may run: the numbers they disagree on stay symbolic.
    const [alone] = new ModelAnalyzer().analyze(netsTree, NETS).models;
    assert.deepEqual(alone.layers.map((l) => [l.fanIn, l.fanOut]), [[8, { symbol: 'width' }], [{ symbol: 'width' }, { symbol: 'depth' }]]);
  });
});

describe('the import index', () => {
  it('finds the files importing a document, in path order, skipping the document and oversized files', () => {
    const index = new ImportIndex(['/ws']);
    index.set('/ws/train.py', 'm1', 'from models.layers import Attention\n');
    index.set('/ws/eval.py', 'm1', 'import models.layers as L\n');
    index.set('/ws/other.py', 'm1', 'import torch\n');
    index.set('/ws/models/layers.py', 'm1', 'from models.layers import Attention\n');
    index.set('/ws/big.py', 'm1', `from models.layers import Attention\n#${'x'.repeat(LIMITS.workspaceFileBytes.value)}`);
    assert.deepEqual(index.importersOf('/ws/models/layers.py', new Set(['Attention'])), ['/ws/eval.py', '/ws/train.py']);
    assert.deepEqual(index.importersOf('/ws/models/layers.py', new Set()), []);
    index.set('/ws/train.py', 'm2', 'import torch\n');
    index.delete('/ws/eval.py');
    assert.equal(index.key('/ws/train.py'), 'm2');
    assert.deepEqual(index.importersOf('/ws/models/layers.py', new Set(['Attention'])), []);
  });

  it('importers through a package\'s __init__.py, with the package\'s key', () => {
    const index = new ImportIndex(['/ws']);
    index.set('/ws/vit_pytorch/__init__.py', 'm7', 'from vit_pytorch.vit import ViT\n');
    index.set('/ws/train.py', 'm1', 'from vit_pytorch import ViT\n');
    index.set('/ws/eval.py', 'm1', 'from vit_pytorch import Other\n');
    const via = index.reexportersOf('/ws/vit_pytorch/vit.py', new Set(['ViT']));
    assert.deepEqual(via.map((r) => [r.path, r.key]), [['/ws/vit_pytorch/__init__.py', 'm7']]);
    assert.deepEqual(index.importersOf('/ws/vit_pytorch/vit.py', new Set(['ViT']), via), ['/ws/train.py', '/ws/vit_pytorch/__init__.py']);
    assert.deepEqual(index.importersOf('/ws/vit_pytorch/vit.py', new Set(['ViT'])), ['/ws/vit_pytorch/__init__.py']);
  });

  it('at most workspaceFiles files, and importers limited per document', () => {
    const index = new ImportIndex(['/ws']);
    for (let i = 0; i < LIMITS.workspaceFiles.value + 5; i++) index.set(`/ws/f${String(i).padStart(5, '0')}.py`, '', i < 40 ? 'from m import A\n' : '');
    assert.equal(index.size, LIMITS.workspaceFiles.value);
    assert.equal(index.importersOf('/ws/m.py', new Set(['A'])).length, LIMITS.importers.value);
  });

  it('a cheap test first: the text names the module', () => {
    assert.equal(mentions('from .blocks import X', '/ws/models/blocks.py'), true);
    assert.equal(mentions('from models import X', '/ws/models/__init__.py'), true);
    assert.equal(mentions('import torch', '/ws/models/blocks.py'), false);
  });
});

describe('folders never scanned', () => {
  it('hidden folders, environments, dependencies; files.exclude merged into one flat glob', () => {
    assert.equal(inSkippedFolder('.venv/lib/a.py'), true);
    assert.equal(inSkippedFolder('pkg/node_modules/x/a.py'), true);
    assert.equal(inSkippedFolder('pkg/.hidden.py'), false);
    assert.equal(inSkippedFolder('models/layers.py'), false);
    assert.deepEqual(expandBraces('**/*.{pyc,py{o,d}}'), ['**/*.pyc', '**/*.pyo', '**/*.pyd']);
    assert.equal(
      excludeGlob({ '**/.git': true, '**/build': true, '**/*.{tmp,bak}': true, '**/off': false, '**/*.js': { when: '$(basename).ts' } }),
      '{**/.*/**,**/node_modules/**,**/venv/**,**/__pycache__/**,**/site-packages/**,**/.git,**/.git/**,**/build,**/build/**,**/*.tmp,**/*.tmp/**,**/*.bak,**/*.bak/**}',
    );
  });
});

const LAYERS = 'import torch.nn as nn\n\nclass Block(nn.Module):\n    def __init__(self, dim, hidden=128):\n        super().__init__()\n        self.fc1 = nn.Linear(dim, hidden)\n    def forward(self, x):\n        return nn.functional.relu(self.fc1(x))\n';

describe('initlens analyze with the project', () => {
  const files = {
    'models/layers.py': LAYERS,
    'scripts/train.py': "import argparse\nfrom models.layers import Block\nparser = argparse.ArgumentParser()\nparser.add_argument('--dim', type=int, default=784)\nargs = parser.parse_args()\nmodel = Block(args.dim)\n",
  };

  it('a class built in another file gets that call\'s numbers, and says where', async () => {
    const result = runInMemory(['analyze', 'models/layers.py'], files, { project: '/ws' });
    assert.equal(await result.code, 0);
    assert.equal(result.stderr, '');
    assert.equal(
      result.stdout,
      [
        'models/layers.py',
        '  Block (torch-module, line 3): 1 layer, 100,480 parameters',
        '    built in scripts/train.py:6 Block(args.dim)',
        '    layer  type    line  fan_in  fan_out  params   activation  current init                                          scheme table                   verdict',
        '    fc1    Linear  6     784     128      100,480  ReLU        kaiming_uniform_(a=√5) = U(±1/√fan_in) (std 0.02062)  kaiming_normal_ (std 0.05051)  note',
        // One ReLU layer, w = 784·0.02062² = 1/3: √(1/6) = 0.408 per layer.
        "    fc1 (line 6): kaiming_normal_ would give std 0.051; yours gives 0.021: fine (the signal's std changes ×0.41 per layer (analytic)).",
        '',
      ].join('\n'),
    );
    const json = JSON.parse(runInMemory(['analyze', 'models/layers.py', '--json'], files, { project: '/ws' }).stdout);
    assert.deepEqual([json.models[0].layers[0].fanIn, json.models[0].layers[0].fanOut], [784, 128]);
  });

  it('--no-workspace: the file on its own; stdin never looks around', async () => {
    const json = JSON.parse(runInMemory(['analyze', 'models/layers.py', '--json', '--no-workspace'], files, { project: '/ws' }).stdout);
    assert.equal(json.models[0].layers[0].fanIn, 'dim');
    const stdin = JSON.parse(runInMemory(['analyze', '-', '--json'], { ...files, '-': LAYERS }, { project: '/ws' }).stdout);
    assert.equal(stdin.models[0].layers[0].fanIn, 'dim');
    const bad = runInMemory(['analyze', '--no-workspace=1', 'models/layers.py'], files, { project: '/ws' });
    assert.equal(await bad.code, 2);
    assert.match(bad.stderr, /^initlens: [^\n]+\(see 'initlens --help'\)\n$/);
  });

  it('a class imported through its package\'s __init__.py, as a library\'s README builds it', async () => {
    const vit = 'import torch.nn as nn\nclass ViT(nn.Module):\n    def __init__(self, dim):\n        super().__init__()\n        self.head = nn.Linear(dim, 10)\n    def forward(self, x):\n        return self.head(x)\n';
    const project = {
      'vit_pytorch/vit.py': vit,
      'vit_pytorch/__init__.py': 'from vit_pytorch.vit import ViT\n',
      'train.py': 'from vit_pytorch import ViT\nv = ViT(dim=1024)\n',
    };
    const json = JSON.parse(runInMemory(['analyze', 'vit_pytorch/vit.py', '--json'], project, { project: '/ws' }).stdout);
    assert.deepEqual([json.models[0].layers[0].fanIn, json.models[0].layers[0].fanOut], [1024, 10]);
    assert.deepEqual(json.models[0].contexts, [{ label: 'train.py:2 ViT(dim=1024)', count: 1, builtBy: null }]);
  });

  it('project files that are no Python source are skipped silently', async () => {
    const withBroken = { ...files, 'scripts/binary.py': '\u0000\u0000from models.layers import Block\nBlock(1)\n' };
    const result = runInMemory(['analyze', 'models/layers.py'], withBroken, { project: '/ws' });
    assert.equal(await result.code, 0);
    assert.equal(result.stderr, '');
    assert.match(result.stdout, /\n {4}built in scripts\/train\.py:6 Block\(args\.dim\)\n/);
  });
});

describe('the CLI\'s project on disk', () => {
  it('root: the nearest folder with .git, pyproject.toml or setup.py; skips hidden folders and environments', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'initlens-ws-'));
    try {
      const write = (rel: string, text = '') => {
        fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
        fs.writeFileSync(path.join(dir, rel), text);
      };
      write('proj/pyproject.toml');
      write('proj/models/layers.py', LAYERS);
      write('proj/train.py');
      write('proj/.venv/lib/x.py');
      write('proj/node_modules/y.py');
      write('proj/pkg/__pycache__/z.py');
      write('proj/notes.txt');
      write('loose/a.py');
      const root = path.join(dir, 'proj');
      assert.equal(projectRoot(path.join(root, 'models')), root);
      const posix = (p: string) => p.split(path.sep).join('/');
      assert.deepEqual(projectOf(path.join(root, 'models', 'layers.py')), {
        root: posix(root),
        file: posix(path.join(root, 'models', 'layers.py')),
        files: [posix(path.join(root, 'train.py')), posix(path.join(root, 'models', 'layers.py'))],
      });
      // No marker up to the file system root (a temporary folder has none): the file's folder.
      assert.equal(projectRoot(path.join(dir, 'loose')), path.join(dir, 'loose'));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
