/**
 * Sequentials built from Python lists (src/core/signal/lists.ts) and the default input of a
 * forward that first reshapes it (reshapedInput.ts). The numbers against PyTorch are in
 * signal.test.ts (keys kuangliu-vgg11, gan-generator, gan-discriminator, wgan-generator, mnist-rnn);
 * here, which layers run in which order, and what is refused with which reason.
 * Layer names by PyTorch (torch 1.13, /usr/bin/python3; 2026-12-03): the LISTS model below,
 * built as written, has its Linear and BatchNorm1d modules at net.0, net.2, net.4, net.5, net.7, net.9.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { graphOf } from '../host/signalGraph';
import { ROOT } from '../host/paths';


const LISTS = `import torch.nn as nn

class Lists(nn.Module):
    def __init__(self):
        super().__init__()
        layers = [nn.Linear(4, 8), nn.ReLU()]
        layers.append(nn.Linear(8, 8))
        layers += [nn.Tanh()]
        def block(i, o, norm=True):
            out = [nn.Linear(i, o)]
            if norm:
                out.append(nn.BatchNorm1d(o))
            out.append(nn.ReLU())
            return out
        self.net = nn.Sequential(*layers, *block(8, 6), *block(6, 3, norm=False), nn.Linear(3, 2))

    def forward(self, x):
        return self.net(x)
`;

const REAL = path.join(ROOT, 'test', 'fixtures', 'realworld');
const real = (file: string) => fs.readFileSync(path.join(REAL, file), 'utf8');

describe('Sequentials built from lists', () => {
  it('follows literals, append, +=, a nested def with a keyword and a default, and spreads', () => {
    const graph = graphOf(LISTS, 'Lists', [4, 4]);
    assert.deepEqual(graph.notSimulated, []);
    assert.deepEqual(graph.layers.map((l) => l.name), ['net.0', 'net.2', 'net.4', 'net.5', 'net.7', 'net.9']);
    assert.deepEqual(graph.ops[graph.output].shape, [4, 2]);
  });

  it("runs vgg.py's _make_layers over cfg['VGG11'] in the context test() builds", () => {
    const graph = graphOf(real('kuangliu/pytorch-cifar/models/vgg.py'), 'VGG');
    assert.deepEqual(graph.notSimulated, []);
    assert.deepEqual(graph.inputShape, [8, 3, 32, 32]);
    // 8 convolutions, each with its BatchNorm2d, then the classifier.
    assert.equal(graph.layers.length, 17);
    assert.equal(graph.layers.at(-2)?.name, 'features.26');
  });

  it('names a loop over a list it does not know, and a repeated list of modules', () => {
    const unknown = LISTS.replace('layers += [nn.Tanh()]', 'for k in range(n):\n            layers += [nn.Tanh()]').replace('def __init__(self):', 'def __init__(self, n):');
    const g = graphOf(unknown, 'Lists', [4, 4]);
    assert.equal(g.notSimulated.length, 1);
    assert.match(g.notSimulated[0].why, /range\(n\): not a known list/);
    const repeated = LISTS.replace('layers += [nn.Tanh()]', 'layers += [nn.Tanh()] * 2');
    assert.match(graphOf(repeated, 'Lists', [4, 4]).notSimulated[0]?.why ?? '', /holds the same modules/);
  });

  it("gan.py's Generator: argparse defaults and view(img.size(0), *img_shape)", () => {
    const graph = graphOf(real('eriklindernoren/PyTorch-GAN/implementations/gan/gan.py'), 'Generator');
    assert.deepEqual(graph.notSimulated, []);
    assert.deepEqual(graph.inputShape, [8, 100]);
    assert.deepEqual(graph.ops[graph.output].shape, [8, 1, 28, 28]);
  });
});

describe('the default input of a forward that reshapes it first', () => {
  it('mnist_rnn: input.reshape(-1, 28, 28) gives 8×28×28, not the LSTM guess 8×16×28', () => {
    const graph = graphOf(real('pytorch/examples/mnist_rnn/main.py'), 'Net');
    assert.deepEqual(graph.notSimulated, []);
    assert.deepEqual(graph.inputShape, [8, 28, 28]);
    assert.match(graph.inputNote, /input\.reshape\(-1, 28, 28\)/);
  });
});
