/**
 * The model a command takes when none is named (root.ts): the root of the file's module tree.
 * Expected names read by hand from the pinned sources (test/fixtures/realworld/manifest.json):
 * the class no other class of the file builds, that the file's own code builds where any is
 * (resnet.py's ResNet18() … test(), densenet.py's DenseNet121() …, vgg.py's test(): VGG('VGG11'),
 * gan.py's `generator = Generator()` before `discriminator = Discriminator()`), else the one that
 * builds the most classes of the file (esrgan's GeneratorRRDB builds ResidualInResidualDenseBlock;
 * vit.py's ViT builds Transformer, which builds Attention and FeedForward).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { ModelAnalyzer } from '../../src/core/model/analyze';
import { rootModel } from '../../src/core/model/root';
import { parsePython } from '../../src/core/python/parse';
import { ROOT } from '../host/paths';
import { runCli } from '../../src/cli/run';
import { loadSignalTf } from '../../src/node/signalTf';

/** The CLI in-process over in-memory files, its output read once the command has finished. */
async function run(argv: string[], files: Record<string, string>) {
  let stdout = '';
  let stderr = '';
  const io = {
    stdout: (t: string) => void (stdout += t),
    stderr: (t: string) => void (stderr += t),
    readFile: (p: string) => {
      if (p in files) return files[p];
      throw Object.assign(new Error('no such file'), { code: 'ENOENT' });
    },
    signalTf: () => loadSignalTf({ candidates: ['cpu'] }),
  };
  const code = await runCli(argv, io, '9.9.9');
  return { code, stdout, stderr };
}

const REAL = path.join(ROOT, 'test', 'fixtures', 'realworld');
const rootOf = (file: string) => {
  const text = fs.readFileSync(path.join(REAL, file), 'utf8');
  const models = new ModelAnalyzer().analyze(parsePython(text), text, {}).models.filter((m) => m.framework === 'torch');
  return { first: models[0]?.name, root: rootModel(models)?.name };
};

describe('the root model of a file', () => {
  const cases: [string, string, string][] = [
    ['kuangliu/pytorch-cifar/models/resnet.py', 'BasicBlock', 'ResNet'],
    ['kuangliu/pytorch-cifar/models/densenet.py', 'Bottleneck', 'DenseNet'],
    ['kuangliu/pytorch-cifar/models/preact_resnet.py', 'PreActBlock', 'PreActResNet'],
    ['kuangliu/pytorch-cifar/models/mobilenetv2.py', 'Block', 'MobileNetV2'],
    ['kuangliu/pytorch-cifar/models/vgg.py', 'VGG', 'VGG'],
    ['lucidrains/vit-pytorch/vit_pytorch/vit.py', 'FeedForward', 'ViT'],
    ['lucidrains/vit-pytorch/vit_pytorch/simple_vit.py', 'FeedForward', 'SimpleViT'],
    ['lucidrains/vit-pytorch/vit_pytorch/cait.py', 'LayerScale', 'CaiT'],
    ['lucidrains/vit-pytorch/vit_pytorch/cct.py', 'Attention', 'CCT'],
    ['karpathy/nanoGPT/model.py', 'LayerNorm', 'GPT'],
    ['karpathy/minGPT/mingpt/model.py', 'NewGELU', 'GPT'],
    ['eriklindernoren/PyTorch-GAN/implementations/gan/gan.py', 'Generator', 'Generator'],
    ['eriklindernoren/PyTorch-GAN/implementations/esrgan/models.py', 'FeatureExtractor', 'GeneratorRRDB'],
    ['eriklindernoren/PyTorch-GAN/implementations/cyclegan/models.py', 'ResidualBlock', 'GeneratorResNet'],
    ['pytorch/examples/fast_neural_style/neural_style/transformer_net.py', 'TransformerNet', 'TransformerNet'],
  ];
  for (const [file, first, root] of cases) {
    it(`${file}: ${root}`, () => assert.deepEqual(rootOf(file), { first, root }));
  }

  it('is what propagate and model take without --model / --class, and --model still overrides it', async () => {
    const read = (file: string) => ({ [file]: fs.readFileSync(path.join(REAL, file), 'utf8') });
    const resnet = 'kuangliu/pytorch-cifar/models/resnet.py';
    const model = await run(['model', resnet, '--torch-exact', '--seed', '0', '--values', '0', '--no-workspace'], read(resnet));
    assert.equal(model.code, 0, model.stderr);
    assert.match(model.stdout, /^ResNet\b/m);
    const gpt = 'karpathy/nanoGPT/model.py';
    const root = await run(['propagate', gpt, '--scheme', 'in-effect', '--json', '--no-workspace'], read(gpt));
    assert.equal(JSON.parse(root.stdout).model, 'GPT', root.stderr);
    const named = await run(['propagate', gpt, '--model', 'MLP', '--scheme', 'in-effect', '--json', '--no-workspace'], read(gpt));
    assert.equal(JSON.parse(named.stdout).model, 'MLP');
  });
});
