"""Answer key for exact mode across a module's statements (src/core/torch/program.ts).

A model's values depend on what the module draws from the torch CPU stream
between the seed and its construction, and between its construction and the
inits its top-level statements run on it afterwards: PyTorch-GAN's dcgan.py
builds the discriminator before `generator.apply(weights_init_normal)`. Each
program below is run with real PyTorch; the test parses the same text and
compares InitLens's exact values, bit for bit, with the parameters recorded
here (their first VALUES float32 bit patterns).

Run with real PyTorch: /usr/bin/python3 scripts/exact/module_order.py > test/fixtures/torch/module_order.json
"""
import torch

from programs import bits, record

VALUES = 8

HEAD = '''import torch
import torch.nn as nn


class G(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 3)
        self.out = nn.Linear(3, 3)

    def forward(self, x):
        return torch.tanh(self.out(torch.relu(self.fc(x))))


class D(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 2)

    def forward(self, x):
        return torch.sigmoid(self.fc(x))


def weights_init_normal(m):
    if isinstance(m, nn.Linear):
        torch.nn.init.normal_(m.weight.data, 0.0, 0.02)
        torch.nn.init.constant_(m.bias.data, 0.0)


'''

PROGRAMS = {
    # PyTorch-GAN's order: both built, then both initialized.
    'built-then-initialized': HEAD + 'torch.manual_seed(0)\ngenerator = G()\ndiscriminator = D()\ngenerator.apply(weights_init_normal)\ndiscriminator.apply(weights_init_normal)\n',
    # pytorch/examples dcgan's order: each initialized right after it is built.
    'each-initialized-when-built': HEAD + 'torch.manual_seed(7)\nnetG = G()\nnetG.apply(weights_init_normal)\nnetD = D()\nnetD.apply(weights_init_normal)\n',
    # A module-level Sequential, another layer, then an init of the Sequential's first layer.
    'sequential-init-after-another-layer': 'import torch\nimport torch.nn as nn\n\ntorch.manual_seed(3)\nnet = nn.Sequential(nn.Linear(4, 3), nn.Tanh())\nhead = nn.Linear(3, 2)\nnn.init.xavier_uniform_(net[0].weight)\n',
    # A second seed between the construction and the init: the init draws from the new stream.
    'reseeded-between': HEAD + 'torch.manual_seed(0)\ngenerator = G()\ntorch.manual_seed(1)\ndiscriminator = D()\ngenerator.apply(weights_init_normal)\ndiscriminator.apply(weights_init_normal)\n',
    # Two apply functions writing the same weights: both draw.
    'initialized-twice': 'import torch\nimport torch.nn as nn\n\n\ndef f1(m):\n    if isinstance(m, nn.Linear):\n        nn.init.normal_(m.weight, std=0.02)\n\n\ndef f2(m):\n    if isinstance(m, nn.Linear):\n        nn.init.uniform_(m.weight, -0.1, 0.1)\n\n\nclass M(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.a = nn.Linear(4, 4)\n        self.b = nn.Linear(4, 4)\n        self.apply(f1)\n        self.apply(f2)\n\n\ntorch.manual_seed(0)\nm = M()\n',
    # Inits written in __init__ between constructors: they draw before the later layers are built.
    'init-between-constructors': 'import torch\nimport torch.nn as nn\n\n\nclass M(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.a = nn.Linear(4, 4)\n        self.a.weight.data.normal_(0, 0.1)\n        nn.init.uniform_(self.a.bias, -0.1, 0.1)\n        self.b = nn.Linear(4, 2)\n        nn.init.xavier_normal_(self.b.weight)\n        self.c = nn.Linear(2, 2)\n\n\ntorch.manual_seed(5)\nm = M()\n',
    # A torch draw between the construction and the init.
    'noise-between': HEAD + 'torch.manual_seed(0)\ngenerator = G()\nz = torch.randn(5)\ngenerator.apply(weights_init_normal)\n',
}

MODELS = {'generator': 'G', 'discriminator': 'D', 'netG': 'G', 'netD': 'D', 'net': 'net', 'head': 'head', 'm': 'M'}


def describe(scope):
    return {'models': [
        {'model': model, 'params': {k: bits(v, VALUES) for k, v in scope[variable].state_dict().items()}}
        for variable, model in MODELS.items()
        if variable in scope and isinstance(scope[variable], torch.nn.Module)
    ]}


def main():
    record(PROGRAMS, VALUES, describe)


if __name__ == '__main__':
    main()
