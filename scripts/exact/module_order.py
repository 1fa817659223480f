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
    # A torch draw between the construction and its init: replayed (5 values: the scalar normal path).
    'noise-between': HEAD + 'torch.manual_seed(0)\ngenerator = G()\nz = torch.randn(5)\ngenerator.apply(weights_init_normal)\n',
    # Every sampling factory InitLens replays, between the seed and the model (src/core/torch/drawCalls.ts);
    # draws on another generator leave the stream alone.
    'noise-before': HEAD + (
        'torch.manual_seed(0)\n'
        'x = torch.randn(64, 10)\n'
        'y = torch.rand(3, 5)\n'
        'z = torch.randn((2, 3), dtype=torch.float64)\n'
        'w = torch.rand(20, dtype=torch.double)\n'
        'v = torch.randn(17, dtype=torch.float64)\n'
        'i = torch.randint(0, 10, (5,))\n'
        'j = torch.randint(7, size=(3, 3))\n'
        'k = torch.randint(-5, 2 ** 33, (4,))\n'
        'perm = torch.randperm(9)\n'
        'n = torch.normal(2.0, 3.0, size=(17,))\n'
        'e = torch.empty(3, 4).normal_(0, 0.02)\n'
        'u = torch.zeros(20).uniform_(-1, 1)\n'
        'g = torch.Generator().manual_seed(5)\n'
        'q = torch.randn(100, generator=g)\n'
        'c = torch.rand(3, device=\'cpu\')\n'
        'generator = G()\n'
    ),
    # pytorch/examples' regression/main.py: module constants give the sizes; a function defined
    # between the seed and the model, called only afterwards, draws nothing before it.
    'noise-constants': (
        'import torch\nimport torch.nn as nn\n\n'
        'torch.manual_seed(0)\n'
        'POLY_DEGREE = 4\n'
        'W_target = torch.randn(POLY_DEGREE, 1) * 5\n'
        'b_target = torch.randn(1) * 5\n\n\n'
        'def get_batch(batch_size=32):\n'
        '    return torch.randn(batch_size)\n\n\n'
        'head = nn.Linear(W_target.size(0), 1)\n'
        'batch = get_batch()\n'
    ),
    # nn.Parameter members drawn in __init__ between layers, of sizes written there.
    'parameter-drawn-in-init': (
        'import torch\nimport torch.nn as nn\n\n\n'
        'class M(nn.Module):\n'
        '    def __init__(self):\n'
        '        super().__init__()\n'
        '        self.a = nn.Linear(4, 4)\n'
        '        self.p = nn.Parameter(torch.randn(1, 4))\n'
        '        self.q = nn.Parameter(torch.empty(2, 3).uniform_(-0.1, 0.1))\n'
        '        self.b = nn.Linear(4, 2)\n\n\n'
        'torch.manual_seed(0)\n'
        'm = M()\n'
    ),
}

# Composite models (classes of the file built inside another): the draws of each class's __init__ run
# where each instance is built (src/core/signal/composite.ts's constructionOrder).
BLOCK = '''import torch
import torch.nn as nn


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 4)
        self.gamma = nn.Parameter(torch.randn(4))
        self.out = nn.Linear(4, 4)

    def forward(self, x):
        return self.out(torch.relu(self.fc(x))) * self.gamma


'''

PROGRAMS.update({
    # A parameter of the root drawn between its own layer and a child: the child's layers come after it.
    'composite-root-parameter': BLOCK + (
        'class Root(nn.Module):\n'
        '    def __init__(self):\n'
        '        super().__init__()\n'
        '        self.a = nn.Linear(4, 4)\n'
        '        self.p = nn.Parameter(torch.randn(1, 4))\n'
        '        self.blk = Block()\n'
        '        self.q = nn.Parameter(torch.randn(3))\n'
        '        self.head = nn.Linear(4, 2)\n\n'
        '    def forward(self, x):\n'
        '        return self.head(self.blk(self.a(x)))\n\n\n'
        'torch.manual_seed(0)\nroot = Root()\n'
    ),
    # A child class with a parameter of its own, built twice: each instance draws it between its layers.
    'composite-child-parameter': BLOCK + (
        'class Root(nn.Module):\n'
        '    def __init__(self):\n'
        '        super().__init__()\n'
        '        self.blocks = nn.ModuleList([Block() for _ in range(2)])\n'
        '        self.head = nn.Linear(4, 2)\n\n'
        '    def forward(self, x):\n'
        '        for b in self.blocks:\n'
        '            x = b(x)\n'
        '        return self.head(x)\n\n\n'
        'torch.manual_seed(3)\nroot = Root()\n'
    ),
    # nn.Parameter members of a size only the constructor's default gives (the analysis's shape): replayed between the layers.
    'parameter-sized-in-init': (
        'import torch\nimport torch.nn as nn\n\n\n'
        'class M(nn.Module):\n'
        '    def __init__(self, dim=4):\n'
        '        super().__init__()\n'
        '        self.a = nn.Linear(4, 4)\n'
        '        self.p = nn.Parameter(torch.randn(dim))\n'
        '        self.q = nn.Parameter(torch.empty(dim).normal_())\n'
        '        self.b = nn.Linear(4, 2)\n\n\n'
        'torch.manual_seed(0)\nm = M()\n'
    ),
    # A child's member whose size only its constructor's argument gives (the analysis's shape, per instance), one
    # drawn with an in-place draw on a fresh tensor, one filled; and the root's member after its last layer.
    'composite-member-sized': (
        'import torch\nimport torch.nn as nn\n\n\n'
        'class Scale(nn.Module):\n'
        '    def __init__(self, dim):\n'
        '        super().__init__()\n'
        '        self.fc = nn.Linear(dim, dim)\n'
        '        self.gamma = nn.Parameter(torch.randn(dim) * 0.1)\n'
        '        self.beta = nn.Parameter(torch.empty(1, dim).uniform_(-0.5, 0.5))\n'
        '        self.shift = nn.Parameter(torch.zeros(dim))\n\n'
        '    def forward(self, x):\n'
        '        return self.fc(x) * self.gamma + self.beta + self.shift\n\n\n'
        'class Root(nn.Module):\n'
        '    def __init__(self, width=5):\n'
        '        super().__init__()\n'
        '        self.a = Scale(width)\n'
        '        self.b = Scale(3)\n'
        '        self.head = nn.Linear(3, 2)\n'
        '        self.tail = nn.Parameter(torch.rand(2, width))\n\n'
        '    def forward(self, x):\n'
        '        return self.head(self.b(self.a(x)[:, :3]))\n\n\n'
        'torch.manual_seed(11)\nroot = Root()\n'
    ),
})

MODELS = {'generator': 'G', 'discriminator': 'D', 'netG': 'G', 'netD': 'D', 'net': 'net', 'head': 'head', 'm': 'M', 'root': 'Root'}


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
