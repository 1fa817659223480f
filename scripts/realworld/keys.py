#!/usr/bin/python3
"""Answer keys for the real-world corpus (test/fixtures/realworld), made by real PyTorch.

For each PyTorch file of the corpus that needs only torch (+ stdlib/numpy), the file's own statements are
executed (every import, def, class and literal constant, plus the top-level lines its recipe names, compiled
with the file's path so that every frame points into it), its models are built under torch.manual_seed(0) as
the file, its README or its training script builds them (RECIPES below), and every layer constructed at a line
of that file is recorded:

- line (1-based) and type, caught in nn.Module.__init__ and attributed to the innermost frame of the corpus file
  outside the layer's own constructors; parts a library layer builds for itself (MultiheadAttention's out_proj,
  nn.Transformer's layers) belong to that layer;
- fans of its main weight (its first >=2-D parameter) as torch computes them (nn.init._calculate_fan_in_and_fan_out);
- every parameter's measured population std after construction, the init in effect (the last nn.init function
  or in-place Tensor init that wrote that tensor) and that init's std from torch/nn/init.py's formulas, kept only
  when the measurement agrees with it (else `theoryRejected`: something rescaled the tensor afterwards);
- the activation that follows the layer's output (through norms, dropout, pooling, padding, reshapes and residual
  additions), from one real forward pass on a small input (recipe `inputs`: module hooks plus a
  TorchFunctionMode record which op consumes which tensor), or from torch.fx.symbolic_trace where no input is
  given. A real pass is used because symbolic tracing stops at the first `b, t = x.size()` of most models.

A site is one (line, type); its instances are every module built there (a Block line built n_layer times has
n_layer instances). Fans and stds are given for the site when every instance agrees (`contexts` counts the
distinct fans). Nothing here reads InitLens output.
  /usr/bin/python3 scripts/realworld/keys.py [corpus-file ...]   (about 2 minutes for all, one CPU thread)
Writes test/fixtures/realworld/keys/<file>.json.
"""
import argparse
import ast
import datetime
import hashlib
import importlib.abc
import importlib.machinery
import importlib.util
import inspect
import json
import linecache
import math
import operator
import os
import re
import sys
import types

import torch
import torch.fx
import torch.nn as nn
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CORPUS = os.path.join(ROOT, 'test', 'fixtures', 'realworld')
KEYS = os.path.join(CORPUS, 'keys')

# ----------------------------------------------------------------------------------------------------------------
# Stand-ins for packages Debian's python3-torch does not bring. They exist only so that a file's imports succeed;
# none of them constructs a weight. einops' Rearrange/Reduce are parameter-free layers here, and rearrange/repeat
# become opaque nodes when torch.fx traces (never executed).


class _Anything:
    """Whatever a missing dataset/plotting/tokenizer package is asked for: never used to build a layer."""

    def __init__(self, name='stand-in'):
        self._name = name

    def __getattr__(self, attr):
        if attr.startswith('__'):
            raise AttributeError(attr)
        return _Anything(f'{self._name}.{attr}')

    def __call__(self, *args, **kwargs):
        return _Anything(f'{self._name}()')

    def __iter__(self):
        return iter(())


def _einops_axes(side):
    """'b (h w) c' -> [['b'], ['h', 'w'], ['c']]; '1' is an anonymous axis of size 1."""
    groups, current = [], None
    for token in side.replace('(', ' ( ').replace(')', ' ) ').split():
        if token == '(':
            current = []
        elif token == ')':
            groups.append(current)
            current = None
        elif current is not None:
            current.append(token)
        else:
            groups.append([token])
    return groups


def _einops(tensor, pattern, reduction=None, **sizes):
    """einops.rearrange / repeat / reduce for the patterns of the corpus: reshape, permute, expand, reduce."""
    left, right = (_einops_axes(side) for side in pattern.split('->'))
    if ['...'] in left:
        # The ellipsis stands for the dims that the other axes of the left side leave over.
        extra = [[f'...{i}'] for i in range(tensor.dim() - len(left) + 1)]
        expand = lambda groups: [g for group in groups for g in (extra if group == ['...'] else [group])]
        left, right = expand(left), expand(right)
    if len(left) != tensor.dim():
        raise ValueError(f'einops stand-in: {pattern!r} does not fit a {tensor.dim()}-d tensor')
    known = {k: int(v) for k, v in sizes.items()}
    for group, size in zip(left, tensor.shape):
        unknown = [a for a in group if a not in known and a != '1']
        rest = math.prod(known[a] for a in group if a in known)
        if len(unknown) == 1:
            known[unknown[0]] = size // rest
    flat_left = [a for g in left for a in g if a != '1']
    x = tensor.reshape([known[a] for a in flat_left])
    flat_right = [a for g in right for a in g if a != '1']
    gone = [a for a in flat_left if a not in flat_right]
    if gone:
        dims = [flat_left.index(a) for a in gone]
        x = getattr(x, reduction)(dim=dims) if reduction in ('sum', 'mean', 'amax', 'amin') else x.mean(dim=dims)
        flat_left = [a for a in flat_left if a not in gone]
    x = x.permute([flat_left.index(a) for a in flat_right if a in flat_left])
    for i, a in enumerate(flat_right):
        if a not in flat_left:
            x = x.unsqueeze(i)
    x = x.expand([known[a] for a in flat_right])
    return x.reshape([math.prod(known[a] for a in g if a != '1') for g in right])


def _einops_fn(name):
    def fn(tensor, pattern, *args, **axes):
        if isinstance(tensor, torch.fx.Proxy):
            return tensor.tracer.create_proxy('call_function', fn, (tensor, pattern), axes)
        return _einops(tensor, pattern, *args, **axes)

    fn.__name__ = name
    fn.__qualname__ = f'einops_standin.{name}'
    return fn


class _EinopsLayer(nn.Module):
    """einops.layers.torch.Rearrange / Reduce: no parameters."""

    def __init__(self, pattern, **axes):
        super().__init__()
        self.pattern = pattern
        self.axes = axes

    def forward(self, x):
        return _einops(x, self.pattern, getattr(self, 'reduction', None), **self.axes)


class Rearrange(_EinopsLayer):
    pass


class Reduce(_EinopsLayer):
    def __init__(self, pattern, reduction='mean', **axes):
        super().__init__(pattern, **axes)
        self.reduction = reduction


class CfgNode(types.SimpleNamespace):
    """minGPT's mingpt/utils.py CfgNode (not in the corpus), as far as GPT.__init__ uses it."""

    def merge_from_dict(self, d):
        self.__dict__.update(d)

    def to_dict(self):
        return dict(self.__dict__)


def _standin_modules():
    einops = types.ModuleType('einops')
    einops.rearrange = _einops_fn('rearrange')
    einops.repeat = _einops_fn('repeat')
    einops.reduce = _einops_fn('reduce')
    einops_layers = types.ModuleType('einops.layers')
    einops_torch = types.ModuleType('einops.layers.torch')
    einops_torch.Rearrange = Rearrange
    einops_torch.Reduce = Reduce
    einops.layers = einops_layers
    einops_layers.torch = einops_torch
    mingpt_utils = types.ModuleType('mingpt.utils')
    mingpt_utils.CfgNode = CfgNode
    return {'einops': einops, 'einops.layers': einops_layers, 'einops.layers.torch': einops_torch, 'mingpt.utils': mingpt_utils}


STANDINS = _standin_modules()
STANDIN_NOTES = {
    'einops': 'einops is not installed: a stand-in in keys.py (rearrange/repeat/reduce and the parameter-free Rearrange/Reduce '
              'layers as reshape, permute, expand and mean) serves construction and the traced forward pass',
    'mingpt.utils': "mingpt/utils.py is not in the corpus: a stand-in CfgNode (attributes, merge_from_dict) serves GPT's config",
}
#: Packages absent here that corpus files import only for data, plotting, tokenizing or environments.
ANYTHING = ('torchvision', 'tiktoken', 'gymnasium', 'matplotlib', 'data', 'utils', 'models', 'mingpt', 'tensorflow')
#: Those of ANYTHING that are not installed (filled in by main()).
MISSING = set()


#: Packages of the corpus that its files import from each other (t2t.py and mae.py import vit.py's Transformer).
CORPUS_PACKAGES = {'vit_pytorch': 'lucidrains/vit-pytorch/vit_pytorch'}


class _StandinFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, fullname, path, target=None):
        top, _, rest = fullname.partition('.')
        if top in CORPUS_PACKAGES:
            base = os.path.join(CORPUS, CORPUS_PACKAGES[top])
            if not rest:
                return importlib.machinery.ModuleSpec(fullname, self, is_package=True)
            file = os.path.join(base, *rest.split('.')) + '.py'
            return importlib.util.spec_from_file_location(fullname, file)
        if fullname in STANDINS or fullname.split('.')[0] in MISSING:
            return importlib.machinery.ModuleSpec(fullname, self, is_package=True)
        return None

    def create_module(self, spec):
        if spec.name.split('.')[0] in CORPUS_PACKAGES:
            module = types.ModuleType(spec.name)
            module.__path__ = [os.path.join(CORPUS, CORPUS_PACKAGES[spec.name])]
            return module
        if spec.name in STANDINS:
            return STANDINS[spec.name]
        module = types.ModuleType(spec.name)
        module.__getattr__ = lambda attr: _Anything(f'{spec.name}.{attr}')
        module.__path__ = []
        return module

    def exec_module(self, module):
        pass


# ----------------------------------------------------------------------------------------------------------------
# Construction recipes. `run`: the 1-based lines of the top-level statements to execute besides every import,
# `def` and `class` (which always run); `build`: Python evaluated afterwards in the file's namespace, giving
# {model label: module}; `argv`: sys.argv while the file's statements run (argparse defaults);
# `activations`: classes of the file that are activation functions (leaves of the fx graph).
# `skip`: why a file gets no key from PyTorch.

RECIPES = {
    # karpathy/nanoGPT
    'karpathy/nanoGPT/model.py': {
        'build': "{'GPT': GPT(GPTConfig())}", 'inputs': "{'GPT': (torch.zeros(1, 8, dtype=torch.long),)}",
        'how': 'GPT(GPTConfig()): the dataclass defaults (the GPT-2 124M shape), as train.py builds it from scratch'},
    'karpathy/nanoGPT/train.py': {'none': 'builds GPT from model.py: no layer is constructed in this file'},
    'karpathy/nanoGPT/sample.py': {'none': 'builds GPT from model.py: no layer is constructed in this file'},
    # karpathy/minGPT
    'karpathy/minGPT/mingpt/model.py': {
        'build': "(lambda c: (c.merge_from_dict(dict(model_type='gpt2', vocab_size=50257, block_size=1024)), {'GPT': GPT(c)})[1])(GPT.get_default_config())",
        'inputs': "{'GPT': (torch.zeros(1, 8, dtype=torch.long),)}", 'activations': {'NewGELU': 'gelu'},
        'how': "GPT(config) with model_type='gpt2', vocab_size=50257, block_size=1024 as in minGPT's README"},
    'karpathy/minGPT/mingpt/trainer.py': {'none': 'a training loop: no layer is constructed in this file'},
    # pytorch/examples
    'pytorch/examples/mnist/main.py': {
        'build': "{'Net': Net()}", 'inputs': "{'Net': (torch.randn(2, 1, 28, 28),)}", 'how': 'Net() as main() builds it'},
    'pytorch/examples/dcgan/main.py': {
        'argv': ['main.py', '--dataset', 'fake'], 'prelude': 'nc = 3',
        'run': [(16, 37), (53, 56), (110, 113), (162, 163), (203, 204)],
        'build': "{'netG': netG, 'netD': netD}",
        'inputs': "{'netG': (torch.randn(2, nz, 1, 1),), 'netD': (torch.randn(2, 3, 64, 64),)}",
        'how': "the file's argparse defaults with --dataset fake (nc = 3), then its own lines 162-163 and 203-204: "
               "Generator(ngpu), Discriminator(ngpu), each .apply(weights_init)"},
    'pytorch/examples/word_language_model/model.py': {
        'build': "{'RNNModel': RNNModel('LSTM', 33278, 200, 200, 2, 0.2), 'TransformerModel': TransformerModel(33278, 200, 2, 200, 2, 0.2)}",
        'inputs': "{'RNNModel': (torch.zeros(35, 2, dtype=torch.long), RNNModel_hidden), 'TransformerModel': (torch.zeros(35, 2, dtype=torch.long),)}",
        'prelude_inputs': "RNNModel_hidden = models['RNNModel'].init_hidden(2)",
        'how': "main.py's defaults (--model LSTM, emsize 200, nhid 200, nlayers 2, dropout 0.2, nhead 2) for RNNModel and "
               "TransformerModel, with ntokens = 33278 (the Wikitext-2 vocabulary main.py reads)"},
    'pytorch/examples/word_language_model/main.py': {'none': 'builds RNNModel/TransformerModel from model.py: no layer is constructed in this file'},
    'pytorch/examples/vae/main.py': {
        'run': [(11, 22), (75, 75)], 'prelude': "device = torch.device('cpu')",
        'build': "{'VAE': model}", 'inputs': "{'VAE': (torch.rand(2, 1, 28, 28),)}",
        'how': 'its argparse defaults (lines 11-22) and its own line 75, model = VAE().to(device), on the CPU'},
    'pytorch/examples/mnist_rnn/main.py': {
        'build': "{'Net': Net()}", 'inputs': "{'Net': (torch.randn(2, 1, 28, 28),)}", 'how': 'Net() as main() builds it'},
    'pytorch/examples/fast_neural_style/neural_style/transformer_net.py': {
        'build': "{'TransformerNet': TransformerNet()}", 'inputs': "{'TransformerNet': (torch.randn(1, 3, 64, 64),)}",
        'how': 'TransformerNet() as neural_style.py builds it'},
    'pytorch/examples/super_resolution/model.py': {
        'build': "{'Net': Net(upscale_factor=3)}", 'inputs': "{'Net': (torch.randn(1, 1, 32, 32),)}",
        'how': "Net(upscale_factor=3), main.py's model with the README's --upscale_factor 3"},
    'pytorch/examples/time_sequence_prediction/train.py': {
        'build': "{'Sequence': Sequence().double()}", 'inputs': "{'Sequence': (torch.randn(2, 5, dtype=torch.double),)}",
        'how': 'Sequence() then .double(), as its __main__ block builds it'},
    'pytorch/examples/reinforcement_learning/actor_critic.py': {
        'run': [(15, 24), (73, 73)], 'build': "{'Policy': model}", 'inputs': "{'Policy': (torch.randn(2, 4),)}",
        'how': 'its argparse defaults (lines 15-24) and its own line 73, model = Policy()'},
    'pytorch/examples/regression/main.py': {
        'run': [(8, 9), (42, 42)], 'build': "{'fc': fc}", 'inputs': "{'fc': (torch.randn(2, 4),)}",
        'how': 'its own lines 8-9 (W_target, b_target) and 42: fc = torch.nn.Linear(W_target.size(0), 1)'},
    'pytorch/examples/mnist_forward_forward/main.py': {
        'prelude': "import argparse; args = argparse.Namespace(lr=0.03, threshold=2.0, epochs=1000); device = torch.device('cpu')",
        'build': "(lambda net: {f'Net.layers[{i}]': layer for i, layer in enumerate(net.layers)})(Net([784, 500, 500]))",
        'how': "Net([784, 500, 500]) as its __main__ block builds it, with its argparse defaults (lr 0.03, threshold 2, epochs 1000) "
               "on the CPU; Net keeps its layers in a plain list (not registered), so each Layer is keyed on its own; "
               "Layer applies its ReLU inside its own forward, which is not traced"},
    'pytorch/examples/language_translation/src/model.py': {
        'build': "{'Translator': Translator(num_encoder_layers=5, num_decoder_layers=5, embed_size=512, num_heads=8, "
                 "src_vocab_size=19214, tgt_vocab_size=10837, dim_feedforward=512, dropout=0.1)}",
        'inputs': "{'Translator': (torch.zeros(5, 2, dtype=torch.long), torch.zeros(4, 2, dtype=torch.long), torch.zeros(5, 5, dtype=torch.bool), "
                  "torch.zeros(4, 4, dtype=torch.bool), torch.zeros(2, 5, dtype=torch.bool), torch.zeros(2, 4, dtype=torch.bool), torch.zeros(2, 5, dtype=torch.bool))}",
        'how': "Translator(...) with main.py's defaults (5+5 layers, embed 512, 8 heads, feed-forward 512, dropout 0.1); "
               "the vocabulary sizes come from the Multi30k data, here 19214 (de) and 10837 (en)"},
    'pytorch/examples/siamese_network/main.py': {
        'build': "{'SiameseNetwork': SiameseNetwork()}", 'inputs': "{'SiameseNetwork': (torch.randn(2, 1, 28, 28), torch.randn(2, 1, 28, 28))}",
        'how': 'SiameseNetwork() as main() builds it (torchvision 0.14 from Debian python3-torchvision for resnet18)'},
    'pytorch/examples/imagenet/main.py': {'none': 'the model is a torchvision architecture (models.__dict__[arch]()): no layer is constructed in this file'},
    # kuangliu/pytorch-cifar
    'kuangliu/pytorch-cifar/models/lenet.py': {
        'build': "{'LeNet': LeNet()}", 'inputs': "{'LeNet': (torch.randn(2, 3, 32, 32),)}", 'how': 'LeNet()'},
    'kuangliu/pytorch-cifar/models/vgg.py': {
        'build': "{'VGG11': VGG('VGG11')}", 'inputs': "{'VGG11': (torch.randn(2, 3, 32, 32),)}", 'how': "VGG('VGG11') as the file's test() builds it"},
    'kuangliu/pytorch-cifar/models/resnet.py': {
        'build': "{'ResNet18': ResNet18(), 'ResNet50': ResNet50()}",
        'inputs': "{'ResNet18': (torch.randn(2, 3, 32, 32),), 'ResNet50': (torch.randn(2, 3, 32, 32),)}",
        'how': "ResNet18() as the file's test() builds it, and ResNet50() for its Bottleneck"},
    'kuangliu/pytorch-cifar/models/preact_resnet.py': {
        'build': "{'PreActResNet18': PreActResNet18(), 'PreActResNet50': PreActResNet50()}",
        'inputs': "{'PreActResNet18': (torch.randn(2, 3, 32, 32),), 'PreActResNet50': (torch.randn(2, 3, 32, 32),)}",
        'how': "PreActResNet18() as the file's test() builds it, and PreActResNet50() for its PreActBottleneck"},
    'kuangliu/pytorch-cifar/models/mobilenetv2.py': {
        'build': "{'MobileNetV2': MobileNetV2()}", 'inputs': "{'MobileNetV2': (torch.randn(2, 3, 32, 32),)}",
        'how': "MobileNetV2() as the file's test() builds it"},
    'kuangliu/pytorch-cifar/models/densenet.py': {
        'build': "{'densenet_cifar': densenet_cifar()}", 'inputs': "{'densenet_cifar': (torch.randn(2, 3, 32, 32),)}",
        'how': "densenet_cifar() as the file's test() builds it"},
    'kuangliu/pytorch-cifar/main.py': {'none': 'builds a model of models/ (net = ResNet18()): no layer is constructed in this file'},
    # lucidrains/vit-pytorch: the constructions of the repository's README
    'lucidrains/vit-pytorch/vit_pytorch/vit.py': {
        'build': "{'ViT': ViT(image_size=256, patch_size=32, num_classes=1000, dim=1024, depth=6, heads=16, mlp_dim=2048, dropout=0.1, emb_dropout=0.1)}",
        'inputs': "{'ViT': (torch.randn(1, 3, 256, 256),)}", 'how': "ViT(image_size=256, patch_size=32, num_classes=1000, dim=1024, depth=6, heads=16, mlp_dim=2048, dropout=0.1, emb_dropout=0.1) from the README"},
    'lucidrains/vit-pytorch/vit_pytorch/simple_vit.py': {
        'build': "{'SimpleViT': SimpleViT(image_size=256, patch_size=32, num_classes=1000, dim=1024, depth=6, heads=16, mlp_dim=2048)}",
        'inputs': "{'SimpleViT': (torch.randn(1, 3, 256, 256),)}", 'how': 'SimpleViT(image_size=256, patch_size=32, num_classes=1000, dim=1024, depth=6, heads=16, mlp_dim=2048) from the README'},
    'lucidrains/vit-pytorch/vit_pytorch/cait.py': {
        'build': "{'CaiT': CaiT(image_size=256, patch_size=32, num_classes=1000, dim=1024, depth=12, cls_depth=2, heads=16, mlp_dim=2048, dropout=0.1, emb_dropout=0.1, layer_dropout=0.05)}",
        'inputs': "{'CaiT': (torch.randn(1, 3, 256, 256),)}", 'how': 'CaiT(image_size=256, patch_size=32, num_classes=1000, dim=1024, depth=12, cls_depth=2, heads=16, mlp_dim=2048, dropout=0.1, emb_dropout=0.1, layer_dropout=0.05) from the README'},
    'lucidrains/vit-pytorch/vit_pytorch/deepvit.py': {
        'build': "{'DeepViT': DeepViT(image_size=256, patch_size=32, num_classes=1000, dim=1024, depth=6, heads=16, mlp_dim=2048, dropout=0.1, emb_dropout=0.1)}",
        'inputs': "{'DeepViT': (torch.randn(1, 3, 256, 256),)}", 'how': 'DeepViT(image_size=256, patch_size=32, num_classes=1000, dim=1024, depth=6, heads=16, mlp_dim=2048, dropout=0.1, emb_dropout=0.1) from the README'},
    'lucidrains/vit-pytorch/vit_pytorch/t2t.py': {
        'build': "{'T2TViT': T2TViT(dim=512, image_size=224, depth=5, heads=8, mlp_dim=512, num_classes=1000, t2t_layers=((7, 4), (3, 2), (3, 2)))}",
        'inputs': "{'T2TViT': (torch.randn(1, 3, 224, 224),)}", 'how': 'T2TViT(dim=512, image_size=224, depth=5, heads=8, mlp_dim=512, num_classes=1000, t2t_layers=((7, 4), (3, 2), (3, 2))) from the README; vit.py is the corpus file'},
    'lucidrains/vit-pytorch/vit_pytorch/cct.py': {
        'build': "{'CCT': CCT(img_size=(224, 448), embedding_dim=384, n_conv_layers=2, kernel_size=7, stride=2, padding=3, pooling_kernel_size=3, pooling_stride=2, pooling_padding=1, num_layers=14, num_heads=6, mlp_ratio=3., num_classes=1000, positional_embedding='learnable')}",
        'inputs': "{'CCT': (torch.randn(1, 3, 224, 448),)}", 'how': "CCT(img_size=(224, 448), embedding_dim=384, n_conv_layers=2, kernel_size=7, stride=2, padding=3, pooling_kernel_size=3, pooling_stride=2, pooling_padding=1, num_layers=14, num_heads=6, mlp_ratio=3., num_classes=1000, positional_embedding='learnable') from the README"},
    'lucidrains/vit-pytorch/vit_pytorch/mae.py': {
        'prelude': 'from vit_pytorch.vit import ViT',
        'build': "{'MAE': MAE(encoder=ViT(image_size=256, patch_size=32, num_classes=1000, dim=1024, depth=6, heads=8, mlp_dim=2048), masking_ratio=0.75, decoder_dim=512, decoder_depth=6)}",
        'inputs': "{'MAE': (torch.randn(1, 3, 256, 256),)}", 'how': 'MAE(encoder=ViT(image_size=256, patch_size=32, num_classes=1000, dim=1024, depth=6, heads=8, mlp_dim=2048), masking_ratio=0.75, decoder_dim=512, decoder_depth=6) from the README; vit.py is the corpus file'},
    # eriklindernoren/PyTorch-GAN: the implementation scripts' argparse defaults
    'eriklindernoren/PyTorch-GAN/implementations/gan/gan.py': {
        'run': [(19, 35), (88, 89)], 'build': "{'generator': generator, 'discriminator': discriminator}",
        'inputs': "{'generator': (torch.randn(2, opt.latent_dim),), 'discriminator': (torch.randn(2, *img_shape),)}",
        'how': 'its argparse defaults (lines 19-35) and its own lines 88-89: Generator(), Discriminator()'},
    'eriklindernoren/PyTorch-GAN/implementations/wgan/wgan.py': {
        'run': [(20, 36), (84, 85)], 'build': "{'generator': generator, 'discriminator': discriminator}",
        'inputs': "{'generator': (torch.randn(2, opt.latent_dim),), 'discriminator': (torch.randn(2, *img_shape),)}",
        'how': 'its argparse defaults (lines 20-36) and its own lines 84-85: Generator(), Discriminator()'},
    'eriklindernoren/PyTorch-GAN/implementations/dcgan/dcgan.py': {
        'run': [(19, 33), (106, 107), (115, 116)], 'build': "{'generator': generator, 'discriminator': discriminator}",
        'inputs': "{'generator': (torch.randn(2, opt.latent_dim),), 'discriminator': (torch.randn(2, opt.channels, opt.img_size, opt.img_size),)}",
        'how': 'its argparse defaults (lines 19-33) and its own lines 106-107 and 115-116: Generator(), Discriminator(), .apply(weights_init_normal)'},
    'eriklindernoren/PyTorch-GAN/implementations/cyclegan/models.py': {
        'build': "(lambda m: ([x.apply(weights_init_normal) for x in m.values()], m)[1])({'GeneratorResNet': GeneratorResNet((3, 256, 256), 9), 'Discriminator': Discriminator((3, 256, 256))})",
        'inputs': "{'GeneratorResNet': (torch.randn(1, 3, 64, 64),), 'Discriminator': (torch.randn(1, 3, 256, 256),)}",
        'how': "as cyclegan.py builds them with its defaults: GeneratorResNet((3, 256, 256), 9), Discriminator((3, 256, 256)), each .apply(weights_init_normal)"},
    # usuyama/pytorch-unet
    'usuyama/pytorch-unet/pytorch_unet.py': {
        'build': "{'UNet': UNet(6)}", 'inputs': "{'UNet': (torch.randn(1, 3, 32, 32),)}",
        'how': 'UNet(6) as its notebook pytorch_unet.ipynb builds it (num_class = 6)'},
    'eriklindernoren/PyTorch-GAN/implementations/esrgan/models.py': {
        'build': "{'GeneratorRRDB': GeneratorRRDB(3, filters=64, num_res_blocks=23), 'Discriminator': Discriminator(input_shape=(3, 256, 256))}",
        'inputs': "{'GeneratorRRDB': (torch.randn(1, 3, 16, 16),), 'Discriminator': (torch.randn(1, 3, 256, 256),)}",
        'how': "as esrgan.py builds them with its defaults: GeneratorRRDB(3, filters=64, num_res_blocks=23), Discriminator(input_shape=(3, 256, 256)); "
               "FeatureExtractor wraps torchvision's vgg19 (no layer of this file) and is not built"},
}
KERAS = 'a Keras model: TensorFlow is not installed here (keys from PyTorch only)'
for _f in ('alexnet/alexnet.py', 'autoencoder/autoencoder.py', 'dcgan/dcgan_c.py', 'densenet/densenet.py', 'mobilenet/mobilenet_v2.py',
           'resnet/resnet_v2.py', 'squeezenet/squeezenet.py'):
    RECIPES[f'GoogleCloudPlatform/keras-idiomatic-programmer/zoo/{_f}'] = {'skip': KERAS}


# ----------------------------------------------------------------------------------------------------------------
# Recording constructions and inits.

NORMS = (nn.modules.batchnorm._NormBase, nn.LayerNorm, nn.GroupNorm, nn.LocalResponseNorm)
CONTAINERS = (nn.Sequential, nn.ModuleList, nn.ModuleDict, nn.ParameterList, nn.ParameterDict)


def corpus_class(cls):
    """A class defined in a corpus file (the file being keyed runs as `initlens_key`)."""
    return cls.__module__ == 'initlens_key' or cls.__module__.split('.')[0] in CORPUS_PACKAGES


def library_base(cls):
    """The nearest library class a module derives from (Linear for `class Layer(nn.Linear)`, torchvision's ResNet), or None."""
    for base in cls.__mro__:
        if not corpus_class(base) and base is not nn.Module and issubclass(base, nn.Module) and not issubclass(base, CONTAINERS):
            return base
    return None


class Recorder:
    def __init__(self, path):
        self.path = path
        self.constructions = {}  # id(module) -> {module, line, parent}
        self.inits = {}  # data_ptr -> init record
        self.depth = 0
        self.seq = 0  # order of init calls: the later of two records of one tensor is the one in effect

    # nn.Module.__init__ runs first in every module's construction, with the subclass constructors on the stack.
    def on_module_init(self, module):
        if library_base(type(module)) is None:
            return
        frame = sys._getframe(2)
        own_line = None
        while frame is not None and frame.f_locals.get('self') is module:
            if own_line is None and frame.f_code.co_filename == self.path:
                own_line = frame.f_lineno  # `super().__init__(...)` of a file class deriving from a library module
            frame = frame.f_back
        between = []
        while frame is not None and not frame.f_code.co_filename.startswith(CORPUS + os.sep):
            this = frame.f_locals.get('self')
            if isinstance(this, nn.Module) and library_base(type(this)) is not None:
                between.append(this)
            frame = frame.f_back
        if frame is None:
            if own_line is not None:
                # Built outside the file (by the recipe): the layer sits at its class's super().__init__ line.
                self.constructions[id(module)] = {'module': module, 'line': own_line, 'parent': None}
            return
        parent = between[-1] if between else None
        caller = frame.f_locals.get('self')
        if (parent is None and isinstance(caller, nn.Module) and library_base(type(caller)) is not None
                and 'super' in linecache.getline(frame.f_code.co_filename, frame.f_lineno)):
            # Parts that a library base builds inside `super().__init__(...)` belong to that layer.
            parent = caller
        record = {'module': module, 'line': frame.f_lineno, 'parent': parent}
        if frame.f_code.co_filename != self.path:
            # Built by a class of another corpus file (t2t.py builds vit.py's Transformer): that file's layer.
            record['elsewhere'] = f"{os.path.relpath(frame.f_code.co_filename, CORPUS)}:{frame.f_lineno}"
            outer = frame.f_back
            while outer is not None and outer.f_code.co_filename != self.path:
                outer = outer.f_back
            if outer is None:
                return
            record['line'] = outer.f_lineno
        self.constructions[id(module)] = record

    def on_init(self, fn, tensor, args):
        if not isinstance(tensor, torch.Tensor) or tensor.numel() == 0:
            return
        self.seq += 1
        record = {'fn': fn, **{k: v for k, v in args.items() if isinstance(v, (int, float, str, bool)) or v is None}, 'seq': self.seq}
        record['theory'] = theoretical_std(fn, tensor, args)
        self.inits[(tensor.data_ptr(), tuple(tensor.shape))] = record
        if isinstance(tensor, nn.Parameter):
            # Also by identity: .double() / .to() keep the Parameter but give it new storage.
            self.inits[id(tensor)] = record


def theoretical_std(fn, t, a):
    """Std of one element under the init `fn` with arguments `a`, from torch/nn/init.py's formulas; None if unknown."""
    init = torch.nn.init
    if fn in ('kaiming_uniform_', 'kaiming_normal_'):
        fan = init._calculate_correct_fan(t, a['mode'])
        return init.calculate_gain(a['nonlinearity'], a['a']) / math.sqrt(fan)
    if fn in ('xavier_uniform_', 'xavier_normal_'):
        fan_in, fan_out = init._calculate_fan_in_and_fan_out(t)
        return a['gain'] * math.sqrt(2.0 / float(fan_in + fan_out))
    if fn in ('normal_', 'Tensor.normal_'):
        return float(a['std'])
    if fn in ('uniform_', 'Tensor.uniform_'):
        return (float(a['b']) - float(a['a'])) / math.sqrt(12)
    if fn == 'trunc_normal_':
        return truncated_normal_std(a['mean'], a['std'], a['a'], a['b'])
    if fn in ('constant_', 'zeros_', 'ones_', 'Tensor.fill_', 'Tensor.zero_'):
        return 0.0
    if fn == 'orthogonal_' and t.dim() >= 2:
        rows = t.size(0)
        cols = t.numel() // rows
        return a['gain'] * math.sqrt(min(rows, cols) / (rows * cols))
    return None


def truncated_normal_std(mean, std, a, b):
    alpha, beta = (a - mean) / std, (b - mean) / std
    pdf = lambda x: math.exp(-x * x / 2) / math.sqrt(2 * math.pi)
    cdf = lambda x: 0.5 * (1 + math.erf(x / math.sqrt(2)))
    z = cdf(beta) - cdf(alpha)
    var = 1 + (alpha * pdf(alpha) - beta * pdf(beta)) / z - ((pdf(alpha) - pdf(beta)) / z) ** 2
    return std * math.sqrt(var)


INIT_FUNCTIONS = ('uniform_', 'normal_', 'trunc_normal_', 'constant_', 'ones_', 'zeros_', 'eye_', 'dirac_', 'xavier_uniform_',
                  'xavier_normal_', 'kaiming_uniform_', 'kaiming_normal_', 'orthogonal_', 'sparse_')
TENSOR_INITS = {'normal_': ('mean', 'std'), 'uniform_': ('a', 'b'), 'fill_': ('value',), 'zero_': ()}
TENSOR_DEFAULTS = {'normal_': {'mean': 0.0, 'std': 1.0}, 'uniform_': {'a': 0.0, 'b': 1.0}, 'fill_': {}, 'zero_': {}}


def install(recorder):
    """Wraps nn.Module.__init__, every nn.init function and the in-place Tensor inits; returns an undo function."""
    undo = []
    original_module_init = nn.Module.__init__

    def module_init(self, *args, **kwargs):
        original_module_init(self, *args, **kwargs)
        recorder.on_module_init(self)

    nn.Module.__init__ = module_init
    undo.append(lambda: setattr(nn.Module, '__init__', original_module_init))

    wrappers = {}
    for name in INIT_FUNCTIONS:
        original = getattr(torch.nn.init, name)
        signature = inspect.signature(original)

        def wrapper(*args, __original=original, __name=name, __signature=signature, **kwargs):
            bound = __signature.bind(*args, **kwargs)
            bound.apply_defaults()
            values = dict(bound.arguments)
            tensor = values.pop('tensor')
            outer = recorder.depth == 0
            recorder.depth += 1
            try:
                result = __original(*args, **kwargs)
            finally:
                recorder.depth -= 1
            if outer:
                recorder.on_init(__name, tensor, values)
            return result

        setattr(torch.nn.init, name, wrapper)
        undo.append(lambda name=name, original=original: setattr(torch.nn.init, name, original))
        wrappers[id(original)] = wrapper

    # Library modules that imported an init function by name (transformer.py: `from ..init import xavier_uniform_`).
    for module_name, module in list(sys.modules.items()):
        if module is None or not module_name.startswith(('torch.', 'torchvision.')) or module_name == 'torch.nn.init':
            continue
        for attr, value in list(vars(module).items()):
            if id(value) in wrappers and value is not wrappers[id(value)]:
                setattr(module, attr, wrappers[id(value)])
                undo.append(lambda module=module, attr=attr, value=value: setattr(module, attr, value))

    for name, params in TENSOR_INITS.items():
        original = getattr(torch.Tensor, name)

        def method(self, *args, __original=original, __name=name, __params=params, **kwargs):
            outer = recorder.depth == 0
            recorder.depth += 1
            try:
                result = __original(self, *args, **kwargs)
            finally:
                recorder.depth -= 1
            if outer:
                values = dict(TENSOR_DEFAULTS[__name])
                values.update(zip(__params, args))
                values.update({{'from': 'a', 'to': 'b'}.get(k, k): v for k, v in kwargs.items() if k != 'generator'})
                recorder.on_init(f'Tensor.{__name}', self, values)
            return result

        setattr(torch.Tensor, name, method)
        undo.append(lambda name=name, original=original: setattr(torch.Tensor, name, original))

    def restore():
        for u in reversed(undo):
            u()

    return restore


# ----------------------------------------------------------------------------------------------------------------
# Activations from torch.fx.

ACTIVATION_MODULES = {
    nn.ReLU: 'relu', nn.ReLU6: 'relu6', nn.LeakyReLU: 'leaky_relu', nn.PReLU: 'prelu', nn.RReLU: 'leaky_relu', nn.ELU: 'elu',
    nn.CELU: 'celu', nn.SELU: 'selu', nn.GELU: 'gelu', nn.SiLU: 'silu', nn.Mish: 'mish', nn.Hardswish: 'hardswish',
    nn.Tanh: 'tanh', nn.Sigmoid: 'sigmoid', nn.Hardtanh: 'hardtanh', nn.Softsign: 'softsign', nn.Softplus: 'softplus',
    nn.Softmax: 'softmax', nn.LogSoftmax: 'log_softmax',
}
ACTIVATION_FUNCTIONS = {
    torch.relu: 'relu', F.relu: 'relu', torch.relu_: 'relu', F.relu_: 'relu', F.relu6: 'relu6', F.leaky_relu: 'leaky_relu',
    F.elu: 'elu', F.celu: 'celu', F.selu: 'selu', torch.selu: 'selu', F.gelu: 'gelu', F.silu: 'silu', F.mish: 'mish', F.hardswish: 'hardswish',
    torch.tanh: 'tanh', F.tanh: 'tanh', torch.sigmoid: 'sigmoid', F.sigmoid: 'sigmoid', F.hardtanh: 'hardtanh', F.softsign: 'softsign',
    F.softplus: 'softplus', F.softmax: 'softmax', torch.softmax: 'softmax', F.log_softmax: 'log_softmax', torch.log_softmax: 'log_softmax',
}
ACTIVATION_METHODS = {'relu': 'relu', 'relu_': 'relu', 'tanh': 'tanh', 'tanh_': 'tanh', 'sigmoid': 'sigmoid', 'sigmoid_': 'sigmoid',
                      'softmax': 'softmax', 'log_softmax': 'log_softmax'}
# Between a layer and its activation without changing which activation it is (InitLens's activations.ts names
# dropout, pooling and reshaping; norms sit between conv and ReLU; residual additions feed the activation after them).
PASS_MODULES = (nn.modules.batchnorm._NormBase, nn.LayerNorm, nn.GroupNorm, nn.LocalResponseNorm, nn.modules.dropout._DropoutNd,
                nn.Identity, nn.modules.pooling._MaxPoolNd, nn.modules.pooling._AvgPoolNd, nn.modules.pooling._AdaptiveAvgPoolNd,
                nn.modules.pooling._AdaptiveMaxPoolNd, nn.Flatten, nn.Unflatten, nn.Upsample, nn.modules.padding._ReflectionPadNd,
                nn.modules.padding._ConstantPadNd, nn.modules.padding._ReplicationPadNd, _EinopsLayer)
PASS_FUNCTIONS = {F.dropout, F.dropout2d, F.layer_norm, F.batch_norm, F.max_pool1d, F.max_pool2d, F.avg_pool1d, F.avg_pool2d,
                  F.adaptive_avg_pool1d, F.adaptive_avg_pool2d, F.adaptive_max_pool2d, torch.flatten, F.interpolate, operator.add,
                  operator.iadd, torch.add, operator.getitem, STANDINS['einops'].rearrange, STANDINS['einops'].repeat}
PASS_METHODS = {'view', 'reshape', 'permute', 'transpose', 'contiguous', 'flatten', 'squeeze', 'unsqueeze', 'add', 'add_',
                'split', 'chunk', 'view_as', 'float', 'type_as'}
#: Uses of a tensor that read only its shape: not the next step of the data.
SHAPE_METHODS = {'size', 'dim'}


class KeyTracer(torch.fx.Tracer):
    def __init__(self, leaves):
        super().__init__()
        self.leaves = leaves

    def is_leaf_module(self, m, qualname):
        return isinstance(m, self.leaves) or isinstance(m, _EinopsLayer) or (library_base(type(m)) is not None and not isinstance(m, CONTAINERS)) or super().is_leaf_module(m, qualname)


def classify(node, modules):
    """('act', kind, slope) | ('pass',) | ('ignore',) | ('stop',) for one user of a layer's output."""
    if node.op == 'output':
        return ('stop', 'output')
    if node.op == 'call_module':
        m = modules[node.target]
        for cls, kind in ACTIVATION_MODULES.items():
            if type(m) is cls:
                slope = getattr(m, 'negative_slope', None) if kind == 'leaky_relu' else None
                return ('act', kind, slope)
        if getattr(m, '_initlens_activation', None):
            return ('act', m._initlens_activation, None)
        if isinstance(m, PASS_MODULES):
            return ('pass',)
        return ('stop', type(m).__name__)
    if node.op == 'call_function':
        if node.target in ACTIVATION_FUNCTIONS:
            kind = ACTIVATION_FUNCTIONS[node.target]
            slope = None
            if kind == 'leaky_relu':
                slope = node.kwargs.get('negative_slope', node.args[1] if len(node.args) > 1 else 0.01)
            return ('act', kind, slope if isinstance(slope, (int, float)) else None)
        if node.target in PASS_FUNCTIONS:
            return ('pass',)
        if node.target is getattr and node.args[1] in ('shape',):
            return ('ignore',)
        return ('stop', getattr(node.target, '__name__', str(node.target)))
    if node.op == 'call_method':
        if node.target in ACTIVATION_METHODS:
            return ('act', ACTIVATION_METHODS[node.target], None)
        if node.target in SHAPE_METHODS:
            return ('ignore',)
        if node.target in PASS_METHODS:
            return ('pass',)
        return ('stop', node.target)
    return ('stop', node.op)


def follow(node, modules, seen):
    """The activations reached from `node`'s output: a set of (kind, slope, path) over all its uses."""
    out = set()
    for user in node.users:
        if user in seen:
            continue
        seen.add(user)
        c = classify(user, modules)
        if c[0] == 'act':
            out.add((c[1], c[2]))
        elif c[0] == 'pass':
            out |= follow(user, modules, seen)
        elif c[0] == 'stop':
            out.add(('identity', None))
    if not node.users:
        out.add(('identity', None))
    return out


def trace_activations(label, model, leaves):
    """{qualified module name: activation} for every leaf module of `model`, or the reason fx could not trace it."""
    try:
        tracer = KeyTracer(leaves)
        graph = tracer.trace(model)
    except Exception as e:  # noqa: BLE001 - any failure of tracing is reported in the key
        return None, f'{type(e).__name__}: {str(e).splitlines()[0][:200] if str(e) else ""}'
    modules = dict(model.named_modules())
    result = {}
    for node in graph.nodes:
        if node.op != 'call_module':
            continue
        found = follow(node, modules, set())
        result.setdefault(node.target, set()).update(found)
    return result, None


class _Node:
    """One step of a recorded forward pass, shaped like a torch.fx Node for classify()/follow()."""

    def __init__(self, op, target, args=(), kwargs=None):
        self.op = op
        self.target = target
        self.args = args
        self.kwargs = kwargs or {}
        self.users = {}


def _tensors(value):
    if isinstance(value, torch.Tensor):
        yield value
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _tensors(v)
    elif isinstance(value, dict):
        for v in value.values():
            yield from _tensors(v)


class _Flow(torch.overrides.TorchFunctionMode):
    """Records which torch function, tensor method or leaf module consumes which tensor during a real forward pass."""

    def __init__(self, producers, inside):
        super().__init__()
        self.producers = producers  # id(tensor) -> (tensor, node)
        self.inside = inside

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        result = func(*args, **kwargs)
        if self.inside[0] == 0:
            name = getattr(func, '__name__', '')
            if getattr(torch.Tensor, name, None) is func or (name.startswith('__') and hasattr(torch.Tensor, name)):
                if name == '__getitem__':
                    node = _Node('call_function', operator.getitem, args)
                elif name in ('__add__', '__radd__', '__iadd__'):
                    node = _Node('call_function', operator.add, args)
                elif name in ('__get__',):
                    return result
                else:
                    node = _Node('call_method', name.strip('_') if name.startswith('__') else name, args, kwargs)
            else:
                node = _Node('call_function', func, args, kwargs)
            link(self.producers, node, (args, kwargs), result)
        return result


def link(producers, node, inputs, outputs):
    for t in _tensors(inputs):
        entry = producers.get(id(t))
        if entry is not None and entry[0] is t:
            entry[1].users[node] = None
    for t in _tensors(outputs):
        producers[id(t)] = (t, node)


def run_activations(model, example, leaves):
    """{qualified module name: activations} from one real forward pass of `model` on `example` (eval, no_grad)."""
    producers = {}
    inside = [0]
    modules = {}
    handles = []
    named = dict(model.named_modules())
    tracer = KeyTracer(leaves)
    for qual, m in named.items():
        if qual == '' or not tracer.is_leaf_module(m, qual):
            continue

        def pre(module, inputs, qual=qual):
            inside[0] += 1

        def post(module, inputs, output, qual=qual):
            inside[0] -= 1
            if inside[0] == 0:
                node = _Node('call_module', qual)
                modules.setdefault(qual, []).append(node)
                link(producers, node, inputs, output)

        handles.append(m.register_forward_pre_hook(pre))
        handles.append(m.register_forward_hook(post))
    model.eval()
    try:
        with torch.no_grad(), _Flow(producers, inside):
            out = model(*example)
        end = _Node('output', 'output')
        link(producers, end, out, ())
    finally:
        for h in handles:
            h.remove()
    result = {}
    if tracer.is_leaf_module(model, ''):
        # The model is one library layer (regression's `fc = torch.nn.Linear(...)`): its output is the model's.
        result[''] = {('identity', None)}
    for qual, nodes in modules.items():
        for node in nodes:
            result.setdefault(qual, set()).update(follow(node, named, set()))
    return result


# ----------------------------------------------------------------------------------------------------------------


def literal(stmt):
    """A module-level constant (`cfg = {'VGG11': [64, 'M', ...]}`): always safe to run."""
    if not isinstance(stmt, ast.Assign):
        return False
    try:
        ast.literal_eval(stmt.value)
        return True
    except ValueError:
        return False


def top_level(tree, recipe):
    runs = {line for first, last in recipe.get('run', []) for line in range(first, last + 1)}
    keep = []
    for stmt in tree.body:
        if isinstance(stmt, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef)) or stmt.lineno in runs or literal(stmt):
            keep.append(stmt)
    return keep


def population_std(t):
    t = t.detach().double()
    return float(t.std(unbiased=False)) if t.numel() > 1 else 0.0


def std_tolerance(n):
    """Relative tolerance of a sample std of n draws against its theory: 1%, or 6 standard errors of a normal sample's std."""
    return max(0.01, 6 / math.sqrt(2 * max(n, 1)))


def param_record(name, p, recorder):
    measured = population_std(p)
    init = recorder.inits.get((p.data_ptr(), tuple(p.shape)))
    by_id = recorder.inits.get(id(p))
    if by_id is not None and (init is None or by_id['seq'] > init['seq']):
        init = by_id
    rec = {'name': name, 'shape': list(p.shape), 'std': measured}
    if init is None:
        rec['init'] = None
        return rec
    init = dict(init)
    theory = init.pop('theory', None)
    init.pop('seq')
    rec['init'] = init
    if theory is not None:
        if theory == 0.0:
            agrees = measured == 0.0
        else:
            agrees = abs(measured - theory) / theory <= std_tolerance(p.numel())
        if agrees:
            rec['theoryStd'] = theory
        else:
            # Something after the recorded init rescaled or copied into the tensor: only the measurement stands.
            rec['theoryRejected'] = theory
    return rec


def make_key(rel):
    recipe = RECIPES.get(rel)
    path = os.path.join(CORPUS, rel)
    header = {
        'file': rel,
        'generator': 'scripts/realworld/keys.py',
        'torch': torch.__version__,
        'python': sys.version.split()[0],
        'date': datetime.date.today().isoformat(),
        'sha256': hashlib.sha256(open(path, 'rb').read()).hexdigest(),
        'lines': '1-based',
    }
    if recipe is None:
        return {**header, 'status': 'not-instantiated', 'reason': 'no recipe yet', 'entries': []}
    if 'skip' in recipe:
        return {**header, 'status': 'not-instantiated', 'reason': recipe['skip'], 'entries': []}
    if 'none' in recipe:
        return {**header, 'status': 'no-layers', 'reason': recipe['none'], 'entries': []}
    source = open(path, encoding='utf-8').read()
    tree = ast.parse(source, filename=path)
    module = ast.Module(body=top_level(tree, recipe), type_ignores=[])
    code = compile(module, path, 'exec')
    namespace = {'__name__': 'initlens_key', '__file__': path, 'torch': torch}
    recorder = Recorder(path)
    argv = sys.argv
    sys.argv = recipe.get('argv', [os.path.basename(path)])
    restore = install(recorder)
    try:
        torch.manual_seed(0)
        exec(recipe.get('prelude', ''), namespace)
        exec(code, namespace)
        models = eval(recipe['build'], namespace)
    finally:
        restore()
        sys.argv = argv
    leaves = tuple(namespace[c] for c in recipe.get('activations', {}))
    for c, kind in recipe.get('activations', {}).items():
        namespace[c]._initlens_activation = kind

    # Each construction's place in the built models.
    names = {}
    for label, model in models.items():
        for qual, m in model.named_modules():
            names.setdefault(id(m), []).append((label, qual))
    activations = {}
    trace_notes = {}
    namespace['models'] = models
    exec(recipe.get('prelude_inputs', ''), namespace)
    examples = eval(recipe['inputs'], namespace) if 'inputs' in recipe else {}
    for label, model in models.items():
        if label in examples:
            try:
                torch.manual_seed(0)
                acts, error = run_activations(model, examples[label], leaves), None
            except Exception as e:  # noqa: BLE001 - reported in the key
                acts, error = None, f'forward pass failed: {type(e).__name__}: {str(e).splitlines()[0][:200] if str(e) else ""}'
        else:
            acts, error = trace_activations(label, model, leaves)
        if error:
            trace_notes[label] = error
        else:
            for qual, found in acts.items():
                activations[(label, qual)] = found

    sites = {}
    elsewhere = {}
    for rec in recorder.constructions.values():
        if rec['parent'] is not None:
            continue
        m = rec['module']
        if not any(True for _ in m.parameters()):
            continue
        base = library_base(type(m))
        if 'elsewhere' in rec:
            e = elsewhere.setdefault((rec['elsewhere'], base.__name__), {'at': rec['elsewhere'], 'type': base.__name__, 'builtAtLine': rec['line'], 'count': 0})
            e['count'] += 1
            continue
        key = (rec['line'], base.__name__)
        site = sites.setdefault(key, {'line': rec['line'], 'type': base.__name__, 'instances': []})
        if type(m) is not base:
            site['class'] = type(m).__name__
        site['instances'].append(instance_record(m, names.get(id(m), []), activations, trace_notes, recorder))

    entries = []
    for (line, _), site in sorted(sites.items()):
        insts = site['instances']
        fans = {json.dumps(i.get('fans')) for i in insts}
        site['contexts'] = len(fans)
        if len(fans) == 1 and insts[0].get('fans'):
            site['fanIn'], site['fanOut'] = insts[0]['fans']
        acts = [i['activation'] for i in insts if 'activation' in i]
        kinds = {json.dumps(a) for a in acts}
        if acts and len(kinds) == 1 and len(acts) == len(insts):
            site['activation'] = acts[0]
        elif acts and len(kinds) == 1:
            site['activation'] = acts[0]
            site['activationNote'] = 'not traced in every instance'
        elif len(kinds) > 1:
            site['activation'] = None
            site['activationNote'] = 'instances differ: ' + ', '.join(sorted(kinds))
        else:
            site['activation'] = None
            site['activationNote'] = next((i['activationNote'] for i in insts if 'activationNote' in i), 'not traced')
        main = [next(p for p in i['params'] if len(p['shape']) >= 2) for i in insts if any(len(p['shape']) >= 2 for p in i['params'])]
        site['role'] = 'weight' if main else 'norm' if issubclass(getattr(nn, site['type'], object), NORMS) else 'other'
        if main:
            site['weightName'] = main[0]['name']
        stds = {round(p.get('theoryStd', p['std']), 12) for p in main}
        if main and all('theoryStd' in p for p in main) and len(stds) == 1:
            # One std for every context (normal_(0, 0.02) whatever the fans): known even where the fans differ.
            site['weightStd'] = main[0]['theoryStd']
            site['weightStdSource'] = 'theory'
        elif main and len(main) == 1:
            site['weightStd'] = main[0]['std']
            site['weightStdSource'] = 'measured'
            site['weightStdTolerance'] = std_tolerance(math.prod(main[0]['shape']))
        entries.append(site)
    with_source = {'entries': entries}
    return {
        **header,
        'status': 'instantiated',
        'recipe': recipe['how'],
        'standins': [STANDIN_NOTES[n] for n in sorted(STANDIN_NOTES) if n in source],
        'traceFailures': trace_notes,
        **with_source,
        # Layers of classes defined in another corpus file, built from this one: keys of that file's lines, not scored here.
        'elsewhere': sorted(elsewhere.values(), key=lambda e: (e['builtAtLine'], e['at'])),
    }


def own_parameters(m, recorder):
    """m's parameters, less those of submodules built on their own and assigned into it later
    (siamese_network puts a new conv1 into torchvision's resnet18: that conv is its own entry)."""
    foreign = set()
    for qual, sub in m.named_modules():
        rec = recorder.constructions.get(id(sub))
        if sub is not m and rec is not None and rec['parent'] is None:
            foreign.add(qual)
    return [(n, p) for n, p in m.named_parameters()
            if not any(n.startswith(q + '.') for q in foreign)]


def instance_record(m, where, activations, trace_notes, recorder):
    rec = {'model': where[0][0] if where else None, 'name': where[0][1] if where else None}
    if not where:
        rec['note'] = 'not part of the built model (e.g. a prototype that a container deep-copies)'
    own = own_parameters(m, recorder)
    rec['params'] = [param_record(n, p, recorder) for n, p in own]
    weight = next((p for _, p in own if p.dim() >= 2), None)
    if weight is not None:
        # The first >=2-D parameter is the layer's main weight (weight, weight_ih_l0, in_proj_weight).
        fan_in, fan_out = nn.init._calculate_fan_in_and_fan_out(weight)
        rec['fans'] = [fan_in, fan_out]
    builtin = builtin_activation(m)
    base = library_base(type(m))
    if type(m).forward is not base.forward:
        rec['activationNote'] = f'{type(m).__name__} overrides {base.__name__}.forward: the activation inside it is not traced'
    elif builtin:
        rec['activation'] = builtin
    elif where and (where[0][0], where[0][1]) in activations:
        found = activations[(where[0][0], where[0][1])]
        if len(found) == 1:
            kind, slope = next(iter(found))
            rec['activation'] = {'kind': kind, **({'slope': slope} if slope is not None else {})}
        else:
            rec['activationNote'] = 'several: ' + ', '.join(sorted(k for k, _ in found))
    elif where and where[0][0] in trace_notes:
        rec['activationNote'] = 'fx could not trace ' + where[0][0] + ': ' + trace_notes[where[0][0]]
    else:
        rec['activationNote'] = 'not called in the traced forward'
    return rec


def builtin_activation(m):
    """Recurrent and transformer layers apply their own nonlinearity (torch/nn/modules/rnn.py, transformer.py)."""
    if isinstance(m, (nn.LSTM, nn.GRU, nn.LSTMCell, nn.GRUCell)):
        return {'kind': 'tanh', 'via': 'builtin'}
    if isinstance(m, (nn.RNN, nn.RNNCell)):
        return {'kind': m.nonlinearity, 'via': 'builtin'}
    return None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('files', nargs='*', help='corpus files (relative to test/fixtures/realworld); default: all')
    args = parser.parse_args()
    manifest = json.load(open(os.path.join(CORPUS, 'manifest.json'), encoding='utf-8'))
    files = args.files or [f['file'] for f in manifest['files']]
    MISSING.update(name for name in ANYTHING if importlib.util.find_spec(name) is None)
    sys.meta_path.insert(0, _StandinFinder())
    torch.set_num_threads(1)
    for rel in files:
        if not rel.endswith('.py'):
            continue
        try:
            key = make_key(rel)
        except Exception as e:  # noqa: BLE001 - one file's failure is reported in its key, the others go on
            key = {'file': rel, 'status': 'failed', 'reason': f'{type(e).__name__}: {e}', 'entries': []}
        out = os.path.join(KEYS, rel + '.json')
        os.makedirs(os.path.dirname(out), exist_ok=True)
        tmp = out + '.tmp'
        with open(tmp, 'w', encoding='utf-8') as f:
            # One line per list of numbers (shapes, fans): the keys stay readable and small.
            text = re.sub(r'\[\s*(-?[\d.e+-]+(?:,\s*-?[\d.e+-]+)*)\s*\]', lambda m: '[' + ', '.join(x.strip() for x in m.group(1).split(',')) + ']', json.dumps(key, indent=1))
            f.write(text + '\n')
        os.replace(tmp, out)
        n = len(key['entries'])
        print(f"{rel}: {key['status']}, {n} entries{'' if key['status'] == 'instantiated' else ' (' + key.get('reason', '') + ')'}"
              f"{'; fx: ' + '; '.join(f'{k}: {v}' for k, v in key.get('traceFailures', {}).items()) if key.get('traceFailures') else ''}")


if __name__ == '__main__':
    main()
