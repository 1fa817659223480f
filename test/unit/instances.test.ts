/**
 * Instances of module classes given as arguments (instances.ts): a receiving class reads the
 * instance's tensor shapes, layers and attributes (`num_patches, dim = encoder.pos_embedding.shape[-2:]`,
 * `encoder.to_patch[1].weight.shape[-1]`), in one file and across files of a workspace.
 *
 * Expected fans by real PyTorch (torch 1.13, /usr/bin/python3; 2026-12-02): the two examples below were
 * built as written and each weight given to `torch.nn.init._calculate_fan_in_and_fan_out`:
 *   one file:  Head.fc Linear (10, 64) → fan_in 64, fan_out 10; Head.pos Embedding (17, 64) → 64, 17;
 *              Head.back Linear (48, 64) → 64, 48; Head.mix Conv2d (64, 32, 3, 3) → 288, 576
 *              (enc.pos.shape (1, 17, 64), enc.embed[1].weight (64, 48), enc.conv.kernel_size (3, 3));
 *   two files: Decoder.enc_to_dec Linear (32, 96) → 96, 32; Decoder.pos Embedding (65, 32) → 32, 65
 *              ((64 // 8)² + 1 = 65 patches); Decoder.to_pixels Linear (192, 32) → 32, 192 (3·8·8);
 *              Decoder.wide Linear (96, 384) → 384, 96 (blocks[1].fc: Linear(96, 384); stem: 96 channels).
 * Editing Encoder's conv to `dim // 4` channels: Head.mix Conv2d (64, 16, 3, 3) → 144, 576.
 * `enc.width = len(str(dim))` is 2 in PyTorch, which InitLens does not evaluate: it stays symbolic.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LIMITS } from '../../src/core/limits';
import { ModelAnalyzer, type ExternalSite } from '../../src/core/model/analyze';
import type { InstanceFiles } from '../../src/core/model/instances';
import type { Layer } from '../../src/core/model/types';
import { parsePython } from '../../src/core/python/parse';
import { documentSignatures, externalSites } from '../../src/core/workspace/externalSites';
import { importCandidates, pythonImports } from '../../src/core/workspace/modules';
import { runInMemory } from './cliHarness';

const SAME = `import torch
from torch import nn


class Encoder(nn.Module):
    def __init__(self, dim, patch=4, channels=3):
        super().__init__()
        self.dim = dim
        patch_dim = channels * patch * patch
        self.embed = nn.Sequential(nn.LayerNorm(patch_dim), nn.Linear(patch_dim, dim), nn.ReLU())
        self.pos = nn.Parameter(torch.randn(1, 17, dim))
        self.conv = nn.Conv2d(channels, dim // 2, 3)
        self.width = len(str(dim))


class Head(nn.Module):
    def __init__(self, enc, classes=10):
        super().__init__()
        self.enc = enc
        tokens, width = enc.pos.shape[-2:]
        patch_dim = enc.embed[1].weight.shape[-1]
        self.fc = nn.Linear(enc.dim, classes)
        self.pos = nn.Embedding(tokens, width)
        self.back = nn.Linear(width, patch_dim)
        self.mix = nn.Conv2d(enc.conv.out_channels, enc.embed[1].out_features, enc.conv.kernel_size)
        self.unknown = nn.Linear(enc.width, 2)


enc = Encoder(64)
model = Head(enc)
`;

const ENCODER = `import torch
from torch import nn


class Block(nn.Module):
    def __init__(self, dim, hidden):
        super().__init__()
        self.fc = nn.Linear(dim, hidden)
        self.norm = nn.LayerNorm(dim)


class Encoder(nn.Module):
    def __init__(self, image_size, patch_size, dim, depth=2, channels=3):
        super().__init__()
        num_patches = (image_size // patch_size) ** 2
        self.to_patch = nn.Sequential(nn.Identity(), nn.Linear(channels * patch_size * patch_size, dim))
        self.pos_embedding = nn.Parameter(torch.randn(1, num_patches + 1, dim))
        self.blocks = nn.ModuleList([Block(dim, dim * 4) for _ in range(depth)])
        self.stem = nn.Conv2d(channels, dim, kernel_size=patch_size, stride=patch_size)
`;

const HEAD = `from torch import nn


class Decoder(nn.Module):
    def __init__(self, encoder, decoder_dim):
        super().__init__()
        self.encoder = encoder
        num_patches, encoder_dim = encoder.pos_embedding.shape[-2:]
        pixels = encoder.to_patch[1].weight.shape[-1]
        self.enc_to_dec = nn.Linear(encoder_dim, decoder_dim)
        self.pos = nn.Embedding(num_patches, decoder_dim)
        self.to_pixels = nn.Linear(decoder_dim, pixels)
        self.wide = nn.Linear(encoder.blocks[1].fc.out_features, encoder.stem.out_channels)
`;

const BUILD = `from encoder import Encoder
from head import Decoder

enc = Encoder(image_size=64, patch_size=8, dim=96)
model = Decoder(encoder=enc, decoder_dim=32)
`;

/** The analyzed file builds the instance itself, of a class it imports (the two-file numbers again). */
const TRAIN = `from encoder import Encoder\n${HEAD.replace('from torch import nn\n', 'from torch import nn\n\n')}\nenc = Encoder(image_size=64, patch_size=8, dim=96)\nmodel = Decoder(encoder=enc, decoder_dim=32)\n`;

function layers(text: string, external: readonly ExternalSite[] = [], files?: InstanceFiles): Map<string, Layer> {
  const out = new Map<string, Layer>();
  for (const m of new ModelAnalyzer().analyze(parsePython(text), text, { external, ...(files ? { files } : {}) }).models) for (const l of m.layers) out.set(`${m.name}.${l.name}`, l);
  return out;
}

const fans = (l: Layer | undefined) => [l?.fanIn, l?.fanOut];

describe('instances given as arguments', () => {
  it('one file: the instance built at module level carries its tensors, layers and attributes', () => {
    const got = layers(SAME);
    assert.deepEqual(fans(got.get('Head.fc')), [64, 10]);
    assert.deepEqual(fans(got.get('Head.pos')), [64, 17]);
    assert.deepEqual(fans(got.get('Head.back')), [64, 48]);
    assert.deepEqual(fans(got.get('Head.mix')), [288, 576]);
    // What InitLens cannot evaluate in the instance stays unknown.
    assert.deepEqual(fans(got.get('Head.unknown')), [{ symbol: 'enc.width' }, 2]);
  });

  it('two files: the instance class is read from the file the constructing script imports', () => {
    const files = new Map([
      ['/ws/encoder.py', ENCODER],
      ['/ws/head.py', HEAD],
    ]);
    const build = { path: '/ws/build.py', text: BUILD, tree: parsePython(BUILD) };
    assert.deepEqual(importCandidates(build.path, pythonImports(build.tree, BUILD), ['/ws']).filter((p) => files.has(p)).sort(), ['/ws/encoder.py', '/ws/head.py']);
    const tree = parsePython(HEAD);
    const sites = externalSites('/ws/head.py', documentSignatures(tree, HEAD), build, ['/ws'], [], (p) => files.get(p));
    const got = layers(HEAD, sites);
    assert.deepEqual(fans(got.get('Decoder.enc_to_dec')), [96, 32]);
    assert.deepEqual(fans(got.get('Decoder.pos')), [32, 65]);
    assert.deepEqual(fans(got.get('Decoder.to_pixels')), [32, 192]);
    assert.deepEqual(fans(got.get('Decoder.wide')), [384, 96]);
    // Built in a function, or inline as the argument: the same numbers.
    for (const variant of [
      'from encoder import Encoder\nfrom head import Decoder\n\ndef main():\n    enc = Encoder(image_size=64, patch_size=8, dim=96)\n    return Decoder(encoder=enc, decoder_dim=32)\n',
      'from encoder import Encoder\nfrom head import Decoder\n\nmodel = Decoder(encoder=Encoder(image_size=64, patch_size=8, dim=96).to("cpu"), decoder_dim=32)\n',
    ]) {
      const other = { path: '/ws/build.py', text: variant, tree: parsePython(variant) };
      const inner = layers(HEAD, externalSites('/ws/head.py', documentSignatures(tree, HEAD), other, ['/ws'], [], (p) => files.get(p)));
      assert.deepEqual(['enc_to_dec', 'pos', 'to_pixels', 'wide'].map((n) => fans(inner.get(`Decoder.${n}`))), [[96, 32], [32, 65], [32, 192], [384, 96]]);
    }
    // Without the instance's file, its reads stay symbolic.
    const alone = layers(HEAD, externalSites('/ws/head.py', documentSignatures(tree, HEAD), build, ['/ws']));
    assert.deepEqual(fans(alone.get('Decoder.enc_to_dec')), [{ symbol: 'encoder_dim' }, 32]);
  });

  it('the CLI reads the instance\'s class from the project file the script imports', async () => {
    const files = { 'encoder.py': ENCODER, 'head.py': HEAD, 'build.py': BUILD };
    const result = runInMemory(['analyze', 'head.py', '--json'], files, { project: '/ws' });
    assert.equal(await result.code, 0);
    const json = JSON.parse(result.stdout) as { models: { layers: { name: string; fanIn: unknown; fanOut: unknown }[] }[] };
    assert.deepEqual(
      json.models[0].layers.map((l) => [l.name, l.fanIn, l.fanOut]),
      [
        ['enc_to_dec', 96, 32],
        ['pos', 32, 65],
        ['to_pixels', 32, 192],
        ['wide', 384, 96],
      ],
    );
  });

  it('a module-level name rebound in a block InitLens does not follow is unknown', () => {
    // `enc` is rebound by a block InitLens does not follow: what Head reads of it is unknown, never the first instance's.
    const text = SAME.replace('enc = Encoder(64)\n', 'enc = Encoder(64)\nif flag:\n    enc = Encoder(32)\n');
    assert.deepEqual(fans(layers(text).get('Head.fc')), [{ symbol: 'enc.dim' }, 10]);
  });

  it('bounded: at most LIMITS.instanceAnalyses class analyses per file, beyond them the instance is unknown', () => {
    const classes = 'from torch import nn\nclass Enc(nn.Module):\n    def __init__(self, dim):\n        super().__init__()\n        self.dim = dim\nclass Wrap(nn.Module):\n    def __init__(self, inner):\n        super().__init__()\n        self.dim = inner.dim + 1\nclass Head(nn.Module):\n    def __init__(self, enc):\n        super().__init__()\n        self.fc = nn.Linear(enc.dim, 3)\n';
    const chain = (wraps: number) => `${classes}e0 = Enc(7)\n${Array.from({ length: wraps }, (_, i) => `e${i + 1} = Wrap(e${i})\n`).join('')}model = Head(e${wraps})\n`;
    const n = LIMITS.instanceAnalyses.value;
    // Enc and n - 1 wrappers, each its own binding (one more than the last): n analyses.
    assert.deepEqual(fans(layers(chain(n - 1)).get('Head.fc')), [7 + n - 1, 3]);
    assert.deepEqual(fans(layers(chain(n)).get('Head.fc')), [{ symbol: 'enc.dim' }, 3]);
  });

  it('an edit of the instance\'s class reaches the class that reads it (one analyzer, as the editor keeps it)', () => {
    const analyzer = new ModelAnalyzer();
    const mix = (text: string) => analyzer.analyze(parsePython(text), text).models.find((m) => m.name === 'Head')?.layers.find((l) => l.name === 'mix');
    assert.deepEqual(fans(mix(SAME)), [288, 576]);
    assert.deepEqual(fans(mix(SAME.replace('dim // 2, 3)', 'dim // 4, 3)'))), [144, 576]);
    assert.deepEqual(fans(mix(SAME)), [288, 576]);
  });

  it('the analyzed file builds an instance of a class it imports: read through the workspace\'s files', async () => {
    const read = (p: string) => (p === '/ws/encoder.py' ? ENCODER : undefined);
    const expected = [[96, 32], [32, 65], [32, 192], [384, 96]];
    const names = ['enc_to_dec', 'pos', 'to_pixels', 'wide'];
    const got = layers(TRAIN, [], { path: '/ws/train.py', roots: ['/ws'], read });
    assert.deepEqual(names.map((n) => fans(got.get(`Decoder.${n}`))), expected);
    // Without the files, the imported class is unknown.
    assert.deepEqual(fans(layers(TRAIN).get('Decoder.enc_to_dec')), [{ symbol: 'encoder_dim' }, 32]);
    const result = runInMemory(['analyze', 'train.py', '--json'], { 'encoder.py': ENCODER, 'train.py': TRAIN }, { project: '/ws' });
    assert.equal(await result.code, 0);
    const json = JSON.parse(result.stdout) as { models: { name: string; layers: { name: string; fanIn: unknown; fanOut: unknown }[] }[] };
    const decoder = json.models.find((m) => m.name === 'Decoder');
    assert.deepEqual(names.map((n) => decoder?.layers.filter((l) => l.name === n).map((l) => [l.fanIn, l.fanOut])[0]), expected);
  });

  it('the files an import may name: relative ones from the importer\'s folder, absolute ones in every folder Python may search', () => {
    const text = 'from .blocks import A\nimport models.layers as L\n';
    const found = importCandidates('/ws/pkg/train.py', pythonImports(parsePython(text), text), ['/ws']);
    assert.deepEqual(found, [
      '/ws/pkg/blocks.py',
      '/ws/pkg/blocks/__init__.py',
      '/ws/pkg/blocks/A.py',
      '/ws/pkg/blocks/A/__init__.py',
      '/ws/pkg/models/layers.py',
      '/ws/pkg/models/layers/__init__.py',
      '/ws/pkg/src/models/layers.py',
      '/ws/pkg/src/models/layers/__init__.py',
      '/ws/models/layers.py',
      '/ws/models/layers/__init__.py',
      '/ws/src/models/layers.py',
      '/ws/src/models/layers/__init__.py',
    ]);
  });
});

