"""Answer key for exact mode on nn.TransformerEncoder (src/core/model/encoderStack.ts, src/core/torch/modules.ts).

TransformerEncoder(encoder_layer, num_layers) deep-copies the layer it is given (torch/nn/modules/transformer.py,
_get_clones): the draws are the encoder layer's, made where it is constructed, and every copy starts with its values.
Each program below is run with real PyTorch; the test parses the same text and compares InitLens's exact values,
bit for bit, with every parameter's first VALUES float32 bit patterns, in state_dict() order.

Run with real PyTorch: /usr/bin/python3 scripts/exact/encoder_stack.py > test/fixtures/torch/encoder_stack.json
"""
import torch

from programs import bits, record

VALUES = 8

PROGRAMS = {
    # A local encoder layer between two Linears, batch first (the example).
    'local-layer': '''import torch
import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.inp = nn.Linear(8, 16)
        layer = nn.TransformerEncoderLayer(16, 4, dim_feedforward=32, dropout=0.0, batch_first=True)
        self.enc = nn.TransformerEncoder(layer, num_layers=3)
        self.out = nn.Linear(16, 2)

    def forward(self, x):
        return self.out(self.enc(self.inp(x)))


torch.manual_seed(0)
net = Net()
''',
    # The encoder layer built before another layer: its draws come first, the stack is registered later; a final norm.
    'layer-built-early': '''import torch
from torch import nn
from torch.nn import TransformerEncoder, TransformerEncoderLayer


class Early(nn.Module):
    def __init__(self, d=12):
        super().__init__()
        encoder_layers = TransformerEncoderLayer(d, 3, 20, 0.1, activation="gelu", norm_first=True)
        self.proj = nn.Linear(5, d)
        self.encoder = TransformerEncoder(encoder_layers, 2, norm=nn.LayerNorm(d))
        self.head = nn.Linear(d, 3)

    def forward(self, x):
        return self.head(self.encoder(self.proj(x)))


torch.manual_seed(5)
net = Early()
''',
    # Built inline, keywords, then an explicit init of the first copy only.
    'inline-layer': '''import torch
import torch.nn as nn


class Inline(nn.Module):
    def __init__(self):
        super().__init__()
        self.enc = nn.TransformerEncoder(encoder_layer=nn.TransformerEncoderLayer(d_model=8, nhead=2, dim_feedforward=16), num_layers=2)
        self.fc = nn.Linear(8, 4)
        nn.init.xavier_normal_(self.fc.weight)

    def forward(self, x):
        return self.fc(self.enc(x))


torch.manual_seed(11)
net = Inline()
''',
    # An apply(fn) after construction draws into every copy's Linears in modules() order: the copies then differ.
    'apply-after': '''import torch
import torch.nn as nn


def init_weights(m):
    if isinstance(m, nn.Linear):
        nn.init.xavier_uniform_(m.weight)
        nn.init.zeros_(m.bias)


class Applied(nn.Module):
    def __init__(self):
        super().__init__()
        layer = nn.TransformerEncoderLayer(8, 2, 12, batch_first=True)
        self.enc = nn.TransformerEncoder(layer, 3)
        self.head = nn.Linear(8, 2)
        self.apply(init_weights)

    def forward(self, x):
        return self.head(self.enc(x))


torch.manual_seed(2)
net = Applied()
''',
}


def describe(scope):
    net = scope['net']
    state = net.state_dict()
    # The copies really are equal to layers.0 (the quirk the hover states).
    same = all(torch.equal(v, state[k.replace(k.split('.')[2], '0', 1)]) for k, v in state.items() if '.layers.' in k)
    return {'model': type(net).__name__, 'copiesEqual': same, 'params': {k: bits(v, VALUES) for k, v in state.items()}}


def main():
    record(PROGRAMS, VALUES, describe)


if __name__ == '__main__':
    main()
