/**
 * torchvision's classification architectures as values (catalog.ts TORCHVISION_HEADS): the head of every
 * architecture in the table is the one torchvision 0.14 builds (test/fixtures/catalog/torchvision_heads.json,
 * written by scripts/catalog/torchvision_heads.py from the built models), and a class reading it
 * (pytorch/examples' siamese_network: `self.fc_in_features = self.resnet.fc.in_features`) gets the number.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { ModelAnalyzer } from '../../src/core/model/analyze';
import { libraryModelEntries, moduleAccess } from '../../src/core/model/catalog';
import { parsePython } from '../../src/core/python/parse';
import { ROOT } from '../host/paths';

const HEADS = JSON.parse(fs.readFileSync(path.join(ROOT, 'test', 'fixtures', 'catalog', 'torchvision_heads.json'), 'utf8')) as {
  models: Record<string, { head: string; in_features: number; out_features: number }>;
};

describe('torchvision architectures as values', () => {
  it('every architecture of the fixture: the head torchvision builds, with its in_features and 1000 classes', () => {
    assert.equal(Object.keys(HEADS.models).length, 45);
    for (const [name, head] of Object.entries(HEADS.models)) {
      const at = moduleAccess(head.head);
      assert.deepEqual(libraryModelEntries(`torchvision.models.${name}`, undefined), [
        [`${at}.in_features`, head.in_features],
        [`${at}.out_features`, head.out_features],
        [`${at}.weight.shape`, [head.out_features, head.in_features]],
        [`${at}.bias.shape`, [head.out_features]],
      ], name);
    }
    assert.equal(moduleAccess('classifier.6'), '.classifier[6]');
    // num_classes given: the head's outputs; given but unknown: only in_features.
    assert.deepEqual(libraryModelEntries('torchvision.models.resnet.resnet50', 10)?.slice(0, 2), [['.fc.in_features', 2048], ['.fc.out_features', 10]]);
    assert.deepEqual(libraryModelEntries('torchvision.models.vgg16', null), [['.classifier[6].in_features', 4096]]);
    assert.equal(libraryModelEntries('torchvision.models.squeezenet1_0', undefined), undefined);
    assert.equal(libraryModelEntries('timm.models.resnet18', undefined), undefined);
  });

  it("a class reading a torchvision model's head gets its number, until the attribute is assigned again", () => {
    const text = [
      'import torch',
      'import torch.nn as nn',
      'import torchvision',
      'class Siamese(nn.Module):',
      '    def __init__(self):',
      '        super().__init__()',
      '        self.resnet = torchvision.models.resnet18(weights=None)',
      '        self.fc_in_features = self.resnet.fc.in_features',
      '        self.resnet = torch.nn.Sequential(*(list(self.resnet.children())[:-1]))',
      '        self.fc = nn.Sequential(nn.Linear(self.fc_in_features * 2, 256), nn.ReLU(inplace=True), nn.Linear(256, 1))',
      '        self.after = nn.Linear(self.resnet.fc.in_features, 3)',
      '',
    ].join('\n');
    const [model] = new ModelAnalyzer().analyze(parsePython(text), text).models;
    const layer = (name: string) => model.layers.find((l) => l.name === name);
    assert.deepEqual([layer('fc.0')?.fanIn, layer('fc.0')?.fanOut], [1024, 256]);
    // The Sequential that replaced the ResNet has no `fc`: unknown.
    assert.equal(typeof layer('after')?.fanIn, 'object');
  });

  it('at module level: a number read from the architecture counts, and a replaced head is a layer of its own (transfer learning)', () => {
    const text = [
      'import torch.nn as nn',
      'import torchvision',
      'model = torchvision.models.resnet50(weights="IMAGENET1K_V2")',
      'features = model.fc.in_features',
      'model.fc = nn.Linear(features, 10)',
      'vgg = torchvision.models.vgg16(weights=None)',
      'vgg.classifier[6] = nn.Linear(vgg.classifier[6].in_features, 2)',
      '',
    ].join('\n');
    const { models } = new ModelAnalyzer().analyze(parsePython(text), text);
    const head = models.find((m) => m.name === 'model.fc');
    assert.deepEqual([head?.line, head?.layers[0].type, head?.layers[0].fanIn, head?.layers[0].fanOut], [4, 'Linear', 2048, 10]);
    // A subscripted head is a model of its own too, named as written; its size read in the statement stays symbolic.
    const vggHead = models.find((m) => m.name === 'vgg.classifier[6]');
    assert.deepEqual([vggHead?.line, vggHead?.layers[0].type, vggHead?.layers[0].fanOut, typeof vggHead?.layers[0].fanIn], [6, 'Linear', 2, 'object']);
  });
});

