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
import json
import struct

import torch

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
    # A torch draw between the construction and the init.
    'noise-between': HEAD + 'torch.manual_seed(0)\ngenerator = G()\nz = torch.randn(5)\ngenerator.apply(weights_init_normal)\n',
}

MODELS = {'generator': 'G', 'discriminator': 'D', 'netG': 'G', 'netD': 'D', 'net': 'net', 'head': 'head'}


def bits(t):
    return ['0x%08x' % struct.unpack('<I', struct.pack('<f', v))[0] for v in t.detach().flatten()[:VALUES].tolist()]


def main():
    out = {'torch': torch.__version__, 'values': VALUES, 'programs': []}
    for name, text in PROGRAMS.items():
        scope = {}
        exec(compile(text, name, 'exec'), scope)
        models = []
        for variable, model in MODELS.items():
            if variable in scope and isinstance(scope[variable], torch.nn.Module):
                models.append({'model': model, 'params': {k: bits(v) for k, v in scope[variable].state_dict().items()}})
        out['programs'].append({'name': name, 'text': text, 'models': models})
    print(json.dumps(out, indent=1))


if __name__ == '__main__':
    main()
