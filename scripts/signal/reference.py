#!/usr/bin/python3
"""Answer keys for the signal engine (src/core/signal), made by real PyTorch (Debian's python3-torch 1.13).

For each case below, the model is built from its source (a small fixture written here, or a file of the real-world
corpus executed as it is, its imports that torch alone cannot satisfy stood in for), under torch.manual_seed(seed),
and run once forward and once backward, as the engine does:

- model.train(), every Dropout off (F.dropout and friends are the identity here, as every Dropout module in eval();
  the attention dropout of MultiheadAttention goes through F.dropout too); BatchNorm therefore uses batch statistics,
  InstanceNorm and GroupNorm per-sample ones; TransformerEncoderLayer and MultiheadAttention take their slow paths
  (training mode);
- input x = torch.randn(shape, generator=torch.Generator().manual_seed(input_seed)), float32; for a model that reads
  token indices (an Embedding first), x = torch.randint(0, tokens, shape, generator=...) instead;
- upstream gradient g = torch.randn(out.shape, generator=torch.Generator().manual_seed(input_seed + 1));
  out.backward(g);
- schemes: 'in-effect' is the model as built; every other one is torch.manual_seed(seed) again, then for each Linear,
  Conv1d/2d/3d and ConvTranspose1d/2d/3d in model.modules() order init(weight) and zeros_(bias), and for each
  MultiheadAttention init(in_proj_weight) and zeros_(in_proj_bias) (its out_proj is a Linear of its own, visited
  next); norm layers get weight 1 and bias 0; an Embedding keeps the weight it was built with; an
  RNN, LSTM or GRU gets init on each weight_ih_l*/weight_hh_l* (the whole stacked matrix, as a user's
  nn.init.orthogonal_(lstm.weight_hh_l0) does) and zeros_ on each bias, in named_parameters() order.
  'recommended' is the same with each layer's init written out below by InitLens's published rule (He before the
  ReLU family, Xavier with tanh's gain before tanh, Xavier at the output). 'lsuv' is the 'orthogonal' scheme, then
  LSUV (Mishkin & Matas 2016, Algorithm 1) on the input x, written below with forward hooks and whole forward passes:
  each Linear/Conv in the order forward first calls it, forward, var = its output's unbiased variance (float64 of
  the float32 output), stop when |var - 1| < 0.1, after 10 rescalings, or when var is 0 or not finite, else
  weight.div_(sqrt(var)) and again. The key records each layer's rescalings and last variance.

Per layer with parameters, in the order forward calls them (named_modules() names): mean and std of its output; the
first activation its output reaches through norms, dropout, pooling and reshapes when each step has one consumer
(mean, std, fraction of exact zeros, fraction saturated for tanh |y| > 0.99 and sigmoid y < 0.01 or > 0.99, else
None); std of the gradient with respect to its output (a zero added to the output, whose .grad is that gradient
even when an in-place activation follows) and of its weight's gradient (MultiheadAttention: in_proj_weight, its output
the attention output, the first of the pair); and the output's std. The Linear and LayerNorm modules inside a
TransformerEncoderLayer are rows of their own (`enc.linear1`, `enc.norm1`, `enc.self_attn`). std is unbiased
(torch.std's default), computed in float64 from the float32 tensors. Nothing here reads InitLens code or output.

Recurrent layers (nn.RNN, nn.LSTM, nn.GRU; h0 and c0 zero, the module in eval() so that its dropout between layers is
off, as every Dropout): the layer's output is its output sequence, or h_n when forward reads only the final states
(the zero probe on the output sequence then gets no .grad); its weight is weight_ih_l0; and 'stepGrad' is the std of
the gradient with respect to its input sequence (a zero probe added by a forward pre-hook) at the first and the last
time step.

  /usr/bin/python3 scripts/signal/reference.py      (writes test/fixtures/signal/*.json; a few seconds)
"""
import importlib.abc
import importlib.machinery
import json
import math
import os
import sys
import types

import torch
import torch.nn as nn
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, 'test', 'fixtures', 'signal')

torch.set_num_threads(1)

# einops, the real library (pinned in test/fixtures/libraries: Debian has no package of it).
sys.path.insert(0, os.path.join(ROOT, 'test', 'fixtures', 'libraries', 'arogozhnikov', 'einops'))

# ----------------------------------------------------------------------------------------------------------------
# Stand-ins for packages that python3-torch does not bring (torchvision for the MNIST example's data loading). They
# only let the file's imports succeed; none of them builds a layer.


class _Anything(types.ModuleType):
    def __getattr__(self, attr):
        if attr.startswith('__'):
            raise AttributeError(attr)
        return _Anything(f'{self.__name__}.{attr}')

    def __call__(self, *args, **kwargs):
        return _Anything(f'{self.__name__}()')


STANDIN_ROOTS = {'torchvision', 'matplotlib', 'tqdm'}


class _StandinFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, fullname, path, target=None):
        if fullname.split('.')[0] in STANDIN_ROOTS:
            return importlib.machinery.ModuleSpec(fullname, self, is_package=True)
        return None

    def create_module(self, spec):
        module = _Anything(spec.name)
        module.__path__ = []
        return module

    def exec_module(self, module):
        pass


sys.meta_path.append(_StandinFinder())

# ----------------------------------------------------------------------------------------------------------------
# The cases. `text` is the Python source the engine analyzes too (the key carries it), or `file` names it (from the repository root).


def _sequential(width, depth, act):
    lines = ['import torch', 'import torch.nn as nn', '', 'model = nn.Sequential(']
    for i in range(depth):
        lines.append(f'    nn.Linear({width}, {width}),')
        if i < depth - 1:
            lines.append(f'    nn.{act}(),')
    lines.append(')')
    return '\n'.join(lines) + '\n'


DEEP_RELU = '''import torch
import torch.nn as nn


class DeepReLU(nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = nn.Sequential(
''' + ''.join('            nn.Linear(256, 256), nn.ReLU(),\n' for _ in range(14)) + '''            nn.Linear(256, 10),
        )

    def forward(self, x):
        return self.layers(x)
'''

CNN = '''import torch
import torch.nn as nn
import torch.nn.functional as F


class SmallCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(8)
        self.conv2 = nn.Conv2d(8, 16, 3, stride=2, padding=1)
        self.bn2 = nn.BatchNorm2d(16)
        self.conv3 = nn.Conv2d(16, 16, 3, padding=1, bias=False)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.drop = nn.Dropout(0.5)
        self.fc = nn.Linear(16, 10)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        x = F.max_pool2d(x, 2)
        x = F.leaky_relu(self.bn2(self.conv2(x)), 0.2)
        y = self.conv3(x)
        x = x + y
        x = F.avg_pool2d(x, kernel_size=2, stride=1)
        x = torch.sigmoid(x)
        x = F.adaptive_max_pool2d(x, (1, 1))
        x = torch.flatten(x, 1)
        x = self.drop(x)
        return F.softmax(self.fc(x), dim=1)
'''

# einops (core/signal/einops.ts): a Rearrange layer into patches, rearrange over map(lambda ...) for the heads,
# repeat and reduce, and a Reduce layer.
EINOPS_PATCHES = '''import torch
import torch.nn as nn
from einops import rearrange, repeat, reduce
from einops.layers.torch import Rearrange, Reduce


class PatchNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Sequential(
            Rearrange('b c (h p1) (w p2) -> b (h w) (p1 p2 c)', p1=4, p2=4),
            nn.Linear(48, 32),
        )
        self.qkv = nn.Linear(32, 96, bias=False)
        self.pool = Reduce('b n d -> b d', 'mean')
        self.head = nn.Linear(32, 10)

    def forward(self, img):
        x = self.embed(img)
        q, k, v = map(lambda t: rearrange(t, 'b n (h d) -> b h n d', h=4), self.qkv(x).chunk(3, dim=-1))
        attn = (torch.matmul(q, k.transpose(-1, -2)) * 0.25).softmax(dim=-1)
        out = rearrange(torch.matmul(attn, v), 'b h n d -> b n (h d)')
        x = x + out
        x = repeat(x, 'b n d -> b n r d', r=2)
        x = reduce(x, 'b n r d -> b n d', 'mean')
        return self.head(torch.relu(self.pool(x)))
'''

# nn.Parameter members read in forward (core/signal/graph.ts `param` ops): a token drawn with a size that only the
# constructor's argument gives, repeated over the batch and joined to the input; a zero-filled member sliced to length.
MEMBERS_TOKENS = '''import torch
import torch.nn as nn
from einops import repeat


class Tokens(nn.Module):
    def __init__(self, dim=8, length=6):
        super().__init__()
        self.inp = nn.Linear(dim, dim)
        self.cls_token = nn.Parameter(torch.randn(1, 1, dim))
        self.pos = nn.Parameter(torch.zeros(length, dim))
        self.scale = nn.Parameter(torch.empty(dim).uniform_(0.5, 1.5))
        self.out = nn.Linear(dim, 3)

    def forward(self, x):
        b = x.shape[0]
        x = self.inp(x)
        x = torch.cat((repeat(self.cls_token, '1 1 d -> b 1 d', b=b), x), dim=1)
        x = torch.tanh(x + self.pos[:x.shape[1]]) * self.scale
        return self.out(x[:, 0])
'''

RESIDUAL_MLP = '''import torch
import torch.nn as nn
import torch.nn.functional as F


class ResidualMLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.inp = nn.Linear(20, 64)
        self.fc1 = nn.Linear(64, 128)
        self.fc2 = nn.Linear(128, 64)
        self.norm = nn.LayerNorm(64)
        self.fc3 = nn.Linear(64, 64)
        self.fc4 = nn.Linear(64, 64)
        self.fc5 = nn.Linear(64, 64)
        self.head = nn.Linear(64, 5)
        self.act = nn.SiLU()

    def forward(self, x):
        x = F.gelu(self.inp(x))
        h = self.fc2(F.mish(self.fc1(x)))
        x = self.norm(x + h)
        x = self.act(self.fc3(x))
        x = F.hardswish(self.fc4(x))
        x = torch.tanh(self.fc5(x))
        return F.log_softmax(self.head(x), dim=-1)
'''

CONV1D = '''import torch
import torch.nn as nn
import torch.nn.functional as F


class Conv1dNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv1d(4, 8, 5, padding=2)
        self.bn = nn.BatchNorm1d(8)
        self.conv2 = nn.Conv1d(8, 8, 3, dilation=2)
        self.pool = nn.MaxPool1d(2)
        self.conv3 = nn.Conv1d(8, 6, 3, stride=2, padding=1)
        self.gap = nn.AdaptiveAvgPool1d(1)
        self.fc1 = nn.Linear(6, 12)
        self.fc2 = nn.Linear(12, 12)
        self.fc3 = nn.Linear(12, 12)
        self.fc4 = nn.Linear(12, 3)

    def forward(self, x):
        x = F.elu(self.bn(self.conv1(x)))
        x = self.pool(F.selu(self.conv2(x)))
        x = F.softplus(self.conv3(x))
        x = self.gap(x).view(x.size(0), -1)
        x = F.relu6(self.fc1(x))
        x = F.softsign(self.fc2(x))
        x = F.hardtanh(self.fc3(x))
        return self.fc4(x)
'''

CONV_SHAPES = '''import torch
import torch.nn as nn
import torch.nn.functional as F


class ConvShapes(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 4, (3, 5), stride=(2, 1), padding=(1, 2), dilation=(2, 1))
        self.bn = nn.BatchNorm2d(4, eps=1e-3)
        self.pool1 = nn.MaxPool2d(3, 2, 1)
        self.conv2 = nn.Conv2d(4, 6, 3, stride=2, dilation=2, padding=2)
        self.pool2 = nn.AvgPool2d(3, stride=2, padding=1)
        self.fc = nn.Linear(6 * 1 * 3, 7)
        self.norm = nn.LayerNorm(7, elementwise_affine=False)

    def forward(self, x):
        x = self.pool1(F.elu(self.bn(self.conv1(x))))
        x = self.pool2(torch.tanh(self.conv2(x)))
        x = x.reshape(-1, 6 * 1 * 3)
        return torch.sigmoid(self.norm(self.fc(x)))
'''

LSTM_CLASSIFIER = '''import torch
import torch.nn as nn


class LSTMClassifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.proj = nn.Linear(10, 16)
        self.lstm = nn.LSTM(16, 32, batch_first=True)
        self.fc = nn.Linear(32, 4)

    def forward(self, x):
        x = torch.tanh(self.proj(x))
        out, (h, c) = self.lstm(x)
        return self.fc(out[:, -1, :])
'''

# A 2-layer bidirectional GRU, sequence first: the output's first step (forward after one step, reverse after all) and the
# last layer's reverse h_n.
GRU_BIDIRECTIONAL = '''import torch
import torch.nn as nn


class BiGRU(nn.Module):
    def __init__(self):
        super().__init__()
        self.gru = nn.GRU(12, 24, num_layers=2, bidirectional=True)
        self.head = nn.Linear(48, 6)
        self.last = nn.Linear(24, 6)

    def forward(self, x):
        out, h = self.gru(x)
        return self.head(out[0]) + self.last(h[-1])
'''

# The classic case: a tanh RNN over 20 steps, read at its final state; its gradient vanishes toward the first step.
RNN_VANISHING = '''import torch
import torch.nn as nn


class TanhRNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn = nn.RNN(8, 64, batch_first=True)
        self.fc = nn.Linear(64, 2)

    def forward(self, x):
        _, h = self.rnn(x)
        return self.fc(h.squeeze(0))
'''

# A stack of ReLU RNNs without biases, sequence first, read at every step.
RNN_RELU_STACK = '''import torch
import torch.nn as nn


class ReLUStack(nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn = nn.RNN(6, 16, num_layers=3, nonlinearity='relu', bias=False)
        self.fc = nn.Linear(16, 3)

    def forward(self, x):
        out = self.rnn(x)[0]
        return self.fc(out)
'''

# A 2-layer bidirectional LSTM read only at final states: the last layer's forward direction does not reach the output.
LSTM_STATES = '''import torch
import torch.nn as nn


class LSTMStates(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(5, 8, 2, bias=False, bidirectional=True)
        self.fc = nn.Linear(8, 2)

    def forward(self, x):
        _, (h, c) = self.lstm(x)
        return self.fc(h[-1] + c[0])
'''


def recurrent_recommended(name, w):
    # InitLens's rule (README "How InitLens reads a model"): orthogonal recurrent weights, Xavier (gain 1) input weights
    # whatever the cell, Xavier with tanh's gain before tanh, Xavier (gain 1) at the output.
    if '.weight_hh' in name:
        nn.init.orthogonal_(w)
    elif name == 'proj':
        nn.init.xavier_normal_(w, gain=5 / 3)
    else:
        nn.init.xavier_normal_(w)


GPT_BLOCK = '''import math

import torch
import torch.nn as nn
import torch.nn.functional as F


class TinyGPT(nn.Module):
    """One pre-LN GPT block written out by hand (nanoGPT's CausalSelfAttention without the mask), tied to nothing."""

    def __init__(self, vocab_size=50, block_size=16, n_embd=32, n_head=4):
        super().__init__()
        self.n_embd = n_embd
        self.n_head = n_head
        self.wte = nn.Embedding(vocab_size, n_embd)
        self.wpe = nn.Embedding(block_size, n_embd)
        self.ln_1 = nn.LayerNorm(n_embd)
        self.c_attn = nn.Linear(n_embd, 3 * n_embd)
        self.c_proj = nn.Linear(n_embd, n_embd)
        self.ln_2 = nn.LayerNorm(n_embd)
        self.c_fc = nn.Linear(n_embd, 4 * n_embd)
        self.mlp_proj = nn.Linear(4 * n_embd, n_embd)
        self.ln_f = nn.LayerNorm(n_embd)
        self.lm_head = nn.Linear(n_embd, vocab_size, bias=False)

    def forward(self, idx):
        b, t = idx.size()
        pos = torch.arange(0, t, dtype=torch.long)
        x = self.wte(idx) + self.wpe(pos)
        B, T, C = x.size()
        q, k, v = self.c_attn(self.ln_1(x)).split(self.n_embd, dim=2)
        k = k.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        q = q.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        v = v.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
        att = F.softmax(att, dim=-1)
        y = att @ v
        y = y.transpose(1, 2).contiguous().view(B, T, C)
        x = x + self.c_proj(y)
        x = x + self.mlp_proj(F.gelu(self.c_fc(self.ln_2(x))))
        return self.lm_head(self.ln_f(x))
'''

ENCODER = '''import torch
import torch.nn as nn


class Encoder(nn.Module):
    """Sequence-first: a post-LN ReLU encoder layer, a standalone MultiheadAttention, a pre-LN GELU encoder layer."""

    def __init__(self):
        super().__init__()
        self.inp = nn.Linear(12, 32)
        self.enc1 = nn.TransformerEncoderLayer(32, 4, dim_feedforward=64)
        self.attn = nn.MultiheadAttention(32, 2)
        self.enc2 = nn.TransformerEncoderLayer(32, 4, 48, activation="gelu", norm_first=True, layer_norm_eps=1e-6)
        self.head = nn.Linear(32, 3)

    def forward(self, x):
        h = self.enc1(self.inp(x))
        h = h + self.attn(h, h, h)[0]
        h = self.enc2(h)
        return self.head(h.mean(dim=0))
'''

ENCODER_BF = '''import torch
import torch.nn as nn
import torch.nn.functional as F


class EncoderBF(nn.Module):
    """Batch-first: MultiheadAttention and encoder layers (pre-LN GELU, post-LN ReLU), and x.permute."""

    def __init__(self):
        super().__init__()
        self.attn = nn.MultiheadAttention(24, 3, batch_first=True)
        self.norm = nn.LayerNorm(24)
        self.enc1 = nn.TransformerEncoderLayer(24, 2, 40, batch_first=True, norm_first=True, activation="gelu")
        self.enc2 = nn.TransformerEncoderLayer(d_model=24, nhead=4, dim_feedforward=32, batch_first=True)
        self.conv = nn.Conv1d(24, 6, 3, padding=1)

    def forward(self, x):
        out, _ = self.attn(x, x, x)
        x = self.norm(x + out)
        x = self.enc2(self.enc1(x))
        x = self.conv(x.permute(0, 2, 1))
        return torch.tanh(x.mean(-1))
'''

CONV3D = '''import torch
import torch.nn as nn
import torch.nn.functional as F


class Conv3dNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv3d(2, 6, 3, padding=1)
        self.bn1 = nn.BatchNorm3d(6)
        self.conv2 = nn.Conv3d(6, 8, (3, 3, 2), stride=(2, 1, 2), padding=(1, 0, 1), dilation=(1, 2, 1), bias=False)
        self.norm2 = nn.InstanceNorm3d(8, affine=True)
        self.up = nn.ConvTranspose3d(8, 4, 2, stride=2)
        self.fc = nn.Linear(4, 5)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        x = F.leaky_relu(self.norm2(self.conv2(x)), 0.1)
        x = torch.sigmoid(self.up(x))
        return self.fc(x.mean(dim=(2, 3, 4)))
'''

DECODER = '''import torch
import torch.nn as nn
import torch.nn.functional as F


class Decoder(nn.Module):
    """A DCGAN-style decoder: ConvTranspose2d upsampling from a latent vector."""

    def __init__(self, latent=16):
        super().__init__()
        self.fc = nn.Linear(latent, 32 * 4 * 4)
        self.up1 = nn.ConvTranspose2d(32, 16, 4, stride=2, padding=1)
        self.bn1 = nn.BatchNorm2d(16)
        self.up2 = nn.ConvTranspose2d(16, 8, 3, stride=2, padding=1, output_padding=1)
        self.up3 = nn.ConvTranspose2d(8, 8, (3, 5), stride=(1, 2), padding=(2, 1), dilation=(2, 1), bias=False)
        self.out = nn.ConvTranspose2d(8, 3, 3, padding=1)

    def forward(self, z):
        x = F.relu(self.fc(z)).view(-1, 32, 4, 4)
        x = F.relu(self.bn1(self.up1(x)))
        x = F.elu(self.up2(x))
        x = F.relu(self.up3(x))
        return torch.tanh(self.out(x))
'''

UPSAMPLE1D = '''import torch
import torch.nn as nn
import torch.nn.functional as F


class Upsample1d(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(3, 8, 3)
        self.up = nn.ConvTranspose1d(8, 4, 5, stride=3, padding=2, dilation=2, output_padding=1)
        self.norm = nn.InstanceNorm1d(4)
        self.fc = nn.Linear(4, 2)

    def forward(self, x):
        x = F.gelu(self.conv(x))
        x = F.elu(self.norm(self.up(x)))
        return self.fc(x.transpose(1, 2))
'''

EMBED = '''import torch
import torch.nn as nn
import torch.nn.functional as F


class BagOfWords(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(1000, 64)
        self.fc1 = nn.Linear(64, 64)
        self.fc2 = nn.Linear(64, 4)

    def forward(self, tokens):
        h = self.emb(tokens).mean(dim=1)
        return self.fc2(torch.relu(self.fc1(h)))
'''

GROUPED = '''import torch
import torch.nn as nn
import torch.nn.functional as F


class GroupedNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(4, 8, 3, padding=1, groups=2)
        self.dw = nn.Conv2d(8, 16, 3, stride=2, padding=2, dilation=2, groups=8)
        self.pw = nn.Conv2d(16, 8, 1, bias=False)
        self.dw2 = nn.Conv2d(8, 8, (3, 1), padding=(1, 0), groups=8, bias=False)

    def forward(self, x):
        x = F.relu(self.conv1(x))
        x = F.relu(self.dw(x))
        x = torch.tanh(self.pw(x))
        return self.dw2(x)


class Grouped1d(nn.Module):
    def __init__(self):
        super().__init__()
        self.dw = nn.Conv1d(6, 6, 5, padding=2, groups=6)
        self.g = nn.Conv1d(6, 4, 3, stride=2, groups=2)

    def forward(self, x):
        return self.g(F.relu(self.dw(x)))
'''

GROUPNORM = '''import torch
import torch.nn as nn
import torch.nn.functional as F


class GroupNormNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 16, 3, padding=1)
        self.gn1 = nn.GroupNorm(4, 16)
        self.conv2 = nn.Conv2d(16, 32, 3, stride=2, padding=1)
        self.gn2 = nn.GroupNorm(8, 32, eps=1e-3)
        self.conv3 = nn.Conv2d(32, 32, 3, padding=1)
        self.gn3 = nn.GroupNorm(1, 32, affine=False)
        self.inorm = nn.InstanceNorm2d(32)
        self.fc = nn.Linear(32, 10)

    def forward(self, x):
        x = F.relu(self.gn1(self.conv1(x)))
        x = F.silu(self.gn2(self.conv2(x)))
        x = torch.tanh(self.inorm(self.gn3(self.conv3(x))))
        return self.fc(torch.mean(x, dim=[2, 3]))
'''

UNET = '''import torch
import torch.nn as nn
import torch.nn.functional as F


class TinyUNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.enc1 = nn.Conv2d(3, 8, 3, padding=1)
        self.enc2 = nn.Conv2d(8, 16, 3, stride=2, padding=1)
        self.bottleneck = nn.Conv2d(16, 16, 3, padding=1)
        self.up = nn.ConvTranspose2d(16, 8, 2, stride=2)
        self.dec = nn.Conv2d(16, 8, 3, padding=1)
        self.out = nn.Conv2d(8, 2, 1)

    def forward(self, x):
        e1 = F.relu(self.enc1(x))
        e2 = F.relu(self.enc2(e1))
        b = F.relu(self.bottleneck(e2)) + e2
        u = self.up(b)
        d = F.relu(self.dec(torch.cat([u, e1], dim=1)))
        return self.out(d)
'''


def tanh_recommended(name, w):
    # InitLens's rule (README "How InitLens reads a model"): Xavier with tanh's gain 5/3 before tanh, Xavier (gain 1) at the output.
    nn.init.xavier_normal_(w, gain=5 / 3 if name != '22' else 1.0)


def relu_recommended(name, w):
    # He (kaiming_normal_, fan_in, ReLU) before ReLU; Xavier (gain 1) at the output.
    if name == 'layers.28':
        nn.init.xavier_normal_(w)
    else:
        nn.init.kaiming_normal_(w, mode='fan_in', nonlinearity='relu')


ALL = ['in-effect', 'zeros', 'constant', 'normal', 'xavier', 'he', 'lecun', 'orthogonal', 'lsuv']

BLOCKS = '''import torch
import torch.nn as nn
import torch.nn.functional as F


class Block(nn.Module):
    def __init__(self, width, hidden=32):
        super().__init__()
        self.norm = nn.LayerNorm(width)
        self.fc1 = nn.Linear(width, hidden)
        self.fc2 = nn.Linear(hidden, width)

    def forward(self, x):
        h = F.gelu(self.fc1(self.norm(x)))
        return x + self.fc2(h)


class Blocks(nn.Module):
    def __init__(self):
        super().__init__()
        self.inp = nn.Linear(20, 16)
        self.b1 = Block(16)
        self.seq = nn.Sequential(Block(16, 24), Block(16))
        self.blocks = nn.ModuleList([Block(16, 8) for _ in range(3)])
        self.out = nn.Linear(16, 4)

    def forward(self, x):
        x = torch.tanh(self.inp(x))
        x = self.b1(x)
        x = self.seq(x)
        for block in self.blocks:
            x = block(x)
        return self.out(x)
'''

ROOT_INIT = '''import torch
import torch.nn as nn
import torch.nn.functional as F


class ConvBlock(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.conv = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(channels)

    def forward(self, x):
        return F.relu(x + self.bn(self.conv(x)))


class RootInit(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 8, 3, padding=1)
        self.body = nn.Sequential(ConvBlock(8), ConvBlock(8))
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(8, 5)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode='fan_out', nonlinearity='relu')
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)

    def forward(self, x):
        x = F.relu(self.stem(x))
        x = self.body(x)
        x = self.pool(x)
        x = torch.flatten(x, 1)
        return self.fc(x)
'''

# torchvision's BasicBlock pattern: forward tests `self.downsample is not None` (None, or a Sequential built in
# __init__ when the shape changes) and, with `not`, a flag of the constructor that returns early; the network builds
# blocks with and without a downsample and with and without the last ReLU.
BRANCHES = '''import torch
import torch.nn as nn


class Block(nn.Module):
    def __init__(self, cin, cout, stride=1, final_relu=True):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.relu = nn.ReLU()
        self.downsample = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))
        self.final_relu = final_relu

    def forward(self, x):
        identity = x
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        if self.downsample is not None:
            identity = self.downsample(x)
        out = out + identity
        if not self.final_relu:
            return out
        return self.relu(out)


class Branchy(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 8, 3, 1, 1)
        self.b1 = Block(8, 8)
        self.b2 = Block(8, 16, 2)
        self.b3 = Block(16, 16, final_relu=False)
        self.head = nn.Linear(16 * 8 * 8, 10)

    def forward(self, x):
        x = self.b3(self.b2(self.b1(self.stem(x))))
        return self.head(torch.flatten(x, 1))
'''

CHILD_INIT = '''import torch
import torch.nn as nn
import torch.nn.functional as F


class Layer(nn.Module):
    def __init__(self, width):
        super().__init__()
        self.fc = nn.Linear(width, width)
        nn.init.orthogonal_(self.fc.weight)

    def forward(self, x):
        return F.relu(self.fc(x))


class ChildInit(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = Layer(12)
        self.b = Layer(12)
        self.head = nn.Linear(12, 3)

    def forward(self, x):
        return self.head(self.b(self.a(x)))
'''

# karpathy's GPTs: the small configuration a training script of the workspace builds (the engine reads the same text as
# the file beside the model, `build_gpt.py`), and minGPT's one import beyond torch.
MINGPT_DRIVER = {'path': 'build_gpt.py', 'model': 'mingpt/model.py', 'text': '''from mingpt.model import GPT

model_config = GPT.get_default_config()
model_config.model_type = None
model_config.n_layer = 2
model_config.n_head = 2
model_config.n_embd = 32
model_config.vocab_size = 64
model_config.block_size = 16
model = GPT(model_config)
'''}


def _mingpt_utils():
    """mingpt/utils.py's CfgNode (not in the corpus), as minGPT writes it: attributes, and merge_from_dict updating them."""
    class CfgNode:
        def __init__(self, **kwargs):
            self.__dict__.update(kwargs)

        def merge_from_dict(self, d):
            self.__dict__.update(d)

    package = types.ModuleType('mingpt')
    package.__path__ = []
    utils = types.ModuleType('mingpt.utils')
    utils.CfgNode = CfgNode
    sys.modules.setdefault('mingpt', package)
    sys.modules.setdefault('mingpt.utils', utils)


_mingpt_utils()


# lucidrains' ViT (session 13): vit.py as a training script of its workspace builds it, small enough for the unit tests
# (the corpus driver builds the README's 1024-wide one); einops, the real library, does its rearranges.
VIT_DRIVER = {'path': 'build_vit.py', 'model': 'vit.py', 'text': '''from vit import ViT

model = ViT(image_size=32, patch_size=8, num_classes=10, dim=64, depth=2, heads=4, mlp_dim=128, dim_head=16)
'''}


# lucidrains' DeepViT (session 13): re-attention written with torch.einsum over the heads and an nn.Parameter, a
# Rearrange-LayerNorm-Rearrange Sequential, `b, n, _, h = *x.shape, self.heads`.
DEEPVIT_DRIVER = {'path': 'build_deepvit.py', 'model': 'deepvit.py', 'text': '''from deepvit import DeepViT

model = DeepViT(image_size=32, patch_size=8, num_classes=10, dim=64, depth=2, heads=4, mlp_dim=128, dim_head=16)
'''}


def model_from_driver(ns, module, driver):
    """The model `driver` builds, importing the corpus file (namespace `ns`) as `module`."""
    file_module = types.ModuleType(module)
    file_module.__dict__.update(ns)
    sys.modules[module] = file_module
    scope = {'__name__': 'driver'}
    exec(compile(driver, '<driver>', 'exec'), scope)
    return scope['model']


def gpt_from_driver(ns, module, driver):
    """The model `driver` builds, importing the corpus file (namespace `ns`) as `module`; forward's (logits, loss) as logits."""
    model = model_from_driver(ns, module, driver)
    forward = model.forward
    # model(idx) with targets left None returns (logits, None): the output is the logits, as InitLens takes them.
    model.forward = lambda idx: forward(idx)[0]
    return model


# nn.TransformerEncoder (helper tenc): N deep copies of one encoder layer, then its norm.
ENCODER_STACK = '''import torch
import torch.nn as nn


class EncoderStack(nn.Module):
    """Batch first: a local encoder layer, three copies, a final LayerNorm."""

    def __init__(self):
        super().__init__()
        self.inp = nn.Linear(8, 16)
        layer = nn.TransformerEncoderLayer(16, 4, dim_feedforward=32, dropout=0.0, batch_first=True)
        self.enc = nn.TransformerEncoder(layer, num_layers=3, norm=nn.LayerNorm(16))
        self.out = nn.Linear(16, 2)

    def forward(self, x):
        return self.out(self.enc(self.inp(x)))
'''

ENCODER_STACK_SEQ = '''import torch
from torch import nn
from torch.nn import TransformerEncoder, TransformerEncoderLayer


class EncoderStackSeq(nn.Module):
    """Sequence first: the encoder layer (pre-LN, GELU) built before another layer, two copies, no norm."""

    def __init__(self, d=12):
        super().__init__()
        encoder_layers = TransformerEncoderLayer(d, 3, 20, 0.1, activation="gelu", norm_first=True, layer_norm_eps=1e-6)
        self.proj = nn.Linear(5, d)
        self.encoder = TransformerEncoder(encoder_layers, 2)
        self.head = nn.Linear(d, 3)

    def forward(self, x):
        return self.head(self.encoder(self.proj(x)).mean(dim=0))
'''


ENCODER_STACK_SEQUENTIAL = '''import torch
import torch.nn as nn


class StackInSequential(nn.Module):
    """A TransformerEncoder inside nn.Sequential, its encoder layer and norm (eps 1e-6, positional) local names."""

    def __init__(self, d=8):
        super().__init__()
        norm = nn.LayerNorm(d, eps=1e-6)
        layer = nn.TransformerEncoderLayer(d, 2, 16, batch_first=True)
        self.net = nn.Sequential(nn.Linear(4, d), nn.TransformerEncoder(layer, 2, norm), nn.Linear(d, 1))

    def forward(self, x):
        return self.net(x)
'''


# Linear interpolation, conv padding modes, grouped transposed convolutions (spatial.ts; the ops2 branch).
PADDING_MODES = '''import torch
import torch.nn as nn


class PaddingModes(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, padding=1, padding_mode='reflect')
        self.conv2 = nn.Conv2d(8, 8, 3, stride=2, padding=(2, 1), padding_mode='replicate')
        self.conv3 = nn.Conv2d(8, 8, 3, padding=1, groups=4, padding_mode='circular')
        self.conv4 = nn.Conv2d(8, 8, 4, padding='same', padding_mode='reflect')
        self.up = nn.ConvTranspose2d(8, 6, 4, stride=2, padding=1, groups=2)
        self.out = nn.Conv2d(6, 2, 1)

    def forward(self, x):
        x = torch.relu(self.conv1(x))
        x = torch.relu(self.conv2(x))
        x = torch.tanh(self.conv3(x))
        x = torch.relu(self.conv4(x)) + x
        return self.out(torch.relu(self.up(x)))
'''

BILINEAR = '''import torch
import torch.nn as nn
import torch.nn.functional as F


class BilinearNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.enc = nn.Conv2d(3, 8, 3, stride=2, padding=1)
        self.mid = nn.Conv2d(8, 8, 3, padding=1)
        self.up1 = nn.Upsample(scale_factor=2, mode='bilinear', align_corners=False)
        self.dec1 = nn.Conv2d(16, 8, 3, padding=1)
        self.up2 = nn.UpsamplingBilinear2d(scale_factor=2)
        self.dec2 = nn.Conv2d(8, 4, 3, padding=1)
        self.head = nn.Conv2d(4, 2, 1)

    def forward(self, x):
        e = F.relu(self.enc(x))
        m = F.relu(self.mid(e))
        u = self.up1(m)
        d = F.relu(self.dec1(torch.cat([u, F.interpolate(e, size=(u.shape[2], u.shape[3]), mode='bilinear', align_corners=True)], dim=1)))
        d = torch.sigmoid(self.dec2(self.up2(d)))
        return self.head(F.interpolate(d, scale_factor=0.75, mode='bilinear'))
'''

# A composite (classes of the file inside it) initialized by a module-level apply after another model is built (program.ts, composite.ts).
MODULE_APPLY = '''import torch
import torch.nn as nn


class Block(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.fc = nn.Linear(d, d)

    def forward(self, x):
        return torch.relu(self.fc(x)) + x


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.inp = nn.Linear(8, 16)
        self.b1 = Block(16)
        self.b2 = Block(16)
        self.out = nn.Linear(16, 4)

    def forward(self, x):
        return self.out(self.b2(self.b1(self.inp(x))))


class Other(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 4)

    def forward(self, x):
        return self.fc(x)


def init_fn(m):
    if isinstance(m, nn.Linear):
        nn.init.normal_(m.weight, 0.0, 0.1)


net = Net()
other = Other()
net.apply(init_fn)
'''


CASES = [
    # The article's case: a deep tanh MLP, where N(0, 0.01) vanishes and Xavier keeps the signal.
    {'name': 'deep-tanh', 'text': _sequential(256, 12, 'Tanh'), 'model': 'model', 'build': 'model', 'seed': 0, 'inputSeed': 1, 'inputShape': [8, 256], 'schemes': ALL + ['recommended'], 'recommended': tanh_recommended},
    # ... and a deep ReLU MLP, where He keeps it.
    {'name': 'deep-relu', 'text': DEEP_RELU, 'model': 'DeepReLU', 'build': 'DeepReLU()', 'seed': 3, 'inputSeed': 7, 'inputShape': [8, 256], 'schemes': ALL + ['recommended'], 'recommended': relu_recommended},
    {'name': 'small-cnn', 'text': CNN, 'model': 'SmallCNN', 'build': 'SmallCNN()', 'seed': 42, 'inputSeed': 0, 'inputShape': [8, 3, 32, 32], 'schemes': ALL},
    {'name': 'members-tokens', 'text': MEMBERS_TOKENS, 'model': 'Tokens', 'build': 'Tokens()', 'seed': 3, 'inputSeed': 1, 'inputShape': [4, 5, 8], 'schemes': ['in-effect', 'xavier', 'he'], 'exact': True},
    {'name': 'einops-patches', 'text': EINOPS_PATCHES, 'model': 'PatchNet', 'build': 'PatchNet()', 'seed': 0, 'inputSeed': 0, 'inputShape': [2, 3, 16, 16], 'schemes': ['in-effect', 'he', 'xavier']},
    {'name': 'residual-mlp', 'text': RESIDUAL_MLP, 'model': 'ResidualMLP', 'build': 'ResidualMLP()', 'seed': 1, 'inputSeed': 2, 'inputShape': [8, 20], 'schemes': ALL},
    {'name': 'conv-shapes', 'text': CONV_SHAPES, 'model': 'ConvShapes', 'build': 'ConvShapes()', 'seed': 11, 'inputSeed': 4, 'inputShape': [3, 3, 17, 19], 'schemes': ['in-effect', 'he', 'orthogonal', 'lsuv']},
    {'name': 'conv1d', 'text': CONV1D, 'model': 'Conv1dNet', 'build': 'Conv1dNet()', 'seed': 5, 'inputSeed': 5, 'inputShape': [8, 4, 32], 'schemes': ['in-effect', 'he', 'orthogonal', 'lsuv']},
    # Files of the real-world corpus, executed as they are.
    {'name': 'mnist-net', 'file': 'test/fixtures/realworld/pytorch/examples/mnist/main.py', 'model': 'Net', 'build': 'Net()', 'seed': 0, 'inputSeed': 0, 'inputShape': [4, 1, 28, 28], 'schemes': ['in-effect', 'normal', 'he', 'lsuv']},
    # The project's own deep example: 50 ReLU layers over a ModuleList, looped in forward.
    {'name': 'deep-mlp-example', 'file': 'examples/deep_mlp.py', 'model': 'DeepMLP', 'build': 'DeepMLP()', 'seed': 0, 'inputSeed': 3, 'inputShape': [2, 512], 'schemes': ['in-effect', 'normal', 'xavier', 'he', 'lsuv']},
    # Composite models (classes of the file inside classes): every instance's layers under its named_modules() name.
    {'name': 'composite-blocks', 'text': BLOCKS, 'model': 'Blocks', 'build': 'Blocks()', 'seed': 2, 'inputSeed': 6, 'inputShape': [8, 20], 'schemes': ['in-effect', 'normal', 'xavier', 'he', 'orthogonal'], 'exact': True},
    {'name': 'composite-root-init', 'text': ROOT_INIT, 'model': 'RootInit', 'build': 'RootInit()', 'seed': 9, 'inputSeed': 1, 'inputShape': [4, 3, 16, 16], 'schemes': ['in-effect', 'he', 'zeros'], 'exact': True},
    # nn.init inside a child's __init__ runs between constructors: the weights in effect are "distribution only" in
    # InitLens, so only the other schemes are keys (and 'exact': False says so).
    {'name': 'composite-branches', 'text': BRANCHES, 'model': 'Branchy', 'build': 'Branchy()', 'seed': 3, 'inputSeed': 2, 'inputShape': [4, 3, 16, 16], 'schemes': ['in-effect', 'he', 'normal'], 'exact': True},
    {'name': 'composite-child-init', 'text': CHILD_INIT, 'model': 'ChildInit', 'build': 'ChildInit()', 'seed': 4, 'inputSeed': 2, 'inputShape': [6, 12], 'schemes': ['xavier', 'he'], 'exact': False},
    # kuangliu's ResNet18 (MIT) as its builder ResNet18() makes it: _make_layer's Sequential of BasicBlocks.
    {'name': 'kuangliu-resnet18', 'file': 'test/fixtures/realworld/kuangliu/pytorch-cifar/models/resnet.py', 'model': 'ResNet', 'pick': 'ResNet18', 'build': 'ResNet18()', 'seed': 0, 'inputSeed': 0, 'inputShape': [2, 3, 32, 32], 'schemes': ['in-effect', 'he'], 'exact': True},
    # The torchvision-style ResNet-18 of examples/ (the benchmark's model): a root modules() init loop over every instance.
    {'name': 'example-resnet18', 'file': 'examples/resnet18.py', 'model': 'ResNet', 'pick': 'resnet18', 'build': 'resnet18()', 'seed': 0, 'inputSeed': 3, 'inputShape': [1, 3, 64, 64], 'schemes': ['in-effect', 'xavier'], 'exact': True},
    {'name': 'cifar-lenet', 'file': 'test/fixtures/realworld/kuangliu/pytorch-cifar/models/lenet.py', 'model': 'LeNet', 'build': 'LeNet()', 'seed': 0, 'inputSeed': 0, 'inputShape': [8, 3, 32, 32], 'schemes': ['in-effect', 'xavier', 'he']},
    # Recurrent layers over time steps (the default input shape of each is checked in the unit test).
    {'name': 'lstm-classifier', 'text': LSTM_CLASSIFIER, 'model': 'LSTMClassifier', 'build': 'LSTMClassifier()', 'seed': 0, 'inputSeed': 0, 'inputShape': [8, 16, 10], 'schemes': ALL + ['recommended'], 'recommended': recurrent_recommended},
    {'name': 'gru-bidirectional', 'text': GRU_BIDIRECTIONAL, 'model': 'BiGRU', 'build': 'BiGRU()', 'seed': 2, 'inputSeed': 3, 'inputShape': [16, 8, 12], 'schemes': ALL},
    {'name': 'rnn-vanishing', 'text': RNN_VANISHING, 'model': 'TanhRNN', 'build': 'TanhRNN()', 'seed': 0, 'inputSeed': 1, 'inputShape': [8, 20, 8], 'schemes': ALL + ['recommended'], 'recommended': recurrent_recommended},
    {'name': 'rnn-relu-stack', 'text': RNN_RELU_STACK, 'model': 'ReLUStack', 'build': 'ReLUStack()', 'seed': 4, 'inputSeed': 2, 'inputShape': [16, 8, 6], 'schemes': ['in-effect', 'he', 'xavier', 'orthogonal']},
    {'name': 'lstm-states', 'text': LSTM_STATES, 'model': 'LSTMStates', 'build': 'LSTMStates()', 'seed': 6, 'inputSeed': 5, 'inputShape': [12, 4, 5], 'schemes': ['in-effect', 'normal', 'xavier', 'orthogonal']},
    # The ops of issue 13 beyond Linear/Conv1d/Conv2d: attention, encoder layers, embeddings, 3-d and transposed convolutions, group norms, cat.
    {'name': 'gpt-block', 'text': GPT_BLOCK, 'model': 'TinyGPT', 'build': 'TinyGPT()', 'seed': 7, 'inputSeed': 3, 'inputShape': [4, 16], 'tokens': 50, 'schemes': ['in-effect', 'normal', 'xavier', 'he', 'orthogonal']},
    {'name': 'transformer-encoder', 'text': ENCODER, 'model': 'Encoder', 'build': 'Encoder()', 'seed': 2, 'inputSeed': 5, 'inputShape': [10, 4, 12], 'schemes': ['in-effect', 'zeros', 'normal', 'xavier', 'lecun']},
    {'name': 'transformer-batch-first', 'text': ENCODER_BF, 'model': 'EncoderBF', 'build': 'EncoderBF()', 'seed': 4, 'inputSeed': 8, 'inputShape': [3, 9, 24], 'schemes': ['in-effect', 'normal', 'he', 'orthogonal']},
    {'name': 'conv3d-net', 'text': CONV3D, 'model': 'Conv3dNet', 'build': 'Conv3dNet()', 'seed': 9, 'inputSeed': 1, 'inputShape': [3, 2, 6, 8, 7], 'schemes': ['in-effect', 'xavier', 'he']},
    {'name': 'convtranspose-decoder', 'text': DECODER, 'model': 'Decoder', 'build': 'Decoder()', 'seed': 6, 'inputSeed': 2, 'inputShape': [4, 16], 'schemes': ['in-effect', 'normal', 'xavier', 'he', 'orthogonal']},
    {'name': 'convtranspose1d', 'text': UPSAMPLE1D, 'model': 'Upsample1d', 'build': 'Upsample1d()', 'seed': 8, 'inputSeed': 6, 'inputShape': [4, 3, 11], 'schemes': ['in-effect', 'he', 'lecun']},
    {'name': 'embedding-bag', 'text': EMBED, 'model': 'BagOfWords', 'build': 'BagOfWords()', 'seed': 12, 'inputSeed': 4, 'inputShape': [8, 16], 'tokens': 1000, 'schemes': ['in-effect', 'normal', 'he']},
    {'name': 'groupnorm-net', 'text': GROUPNORM, 'model': 'GroupNormNet', 'build': 'GroupNormNet()', 'seed': 13, 'inputSeed': 9, 'inputShape': [4, 3, 16, 16], 'schemes': ['in-effect', 'normal', 'he', 'orthogonal']},
    {'name': 'unet-cat', 'text': UNET, 'model': 'TinyUNet', 'build': 'TinyUNet()', 'seed': 14, 'inputSeed': 10, 'inputShape': [4, 3, 16, 16], 'schemes': ['in-effect', 'xavier', 'he']},
    # Sequentials built from lists (src/core/signal/lists.ts): a loop over a config dict, a nested def returning a list; argparse defaults.
    {'name': 'kuangliu-vgg11', 'file': 'test/fixtures/realworld/kuangliu/pytorch-cifar/models/vgg.py', 'model': 'VGG', 'build': "VGG('VGG11')", 'seed': 0, 'inputSeed': 0, 'inputShape': [2, 3, 32, 32], 'schemes': ['in-effect', 'he', 'xavier']},
    {'name': 'gan-generator', 'file': 'test/fixtures/realworld/eriklindernoren/PyTorch-GAN/implementations/gan/gan.py', 'upTo': '# Loss function', 'drop': ['os.makedirs("images", exist_ok=True)'], 'model': 'Generator', 'build': 'Generator()', 'seed': 0, 'inputSeed': 0, 'inputShape': [8, 100], 'schemes': ['in-effect', 'normal', 'xavier']},
    {'name': 'gan-discriminator', 'file': 'test/fixtures/realworld/eriklindernoren/PyTorch-GAN/implementations/gan/gan.py', 'upTo': '# Loss function', 'drop': ['os.makedirs("images", exist_ok=True)'], 'model': 'Discriminator', 'build': 'Discriminator()', 'seed': 1, 'inputSeed': 2, 'inputShape': [8, 1, 28, 28], 'schemes': ['in-effect', 'he']},
    {'name': 'wgan-generator', 'file': 'test/fixtures/realworld/eriklindernoren/PyTorch-GAN/implementations/wgan/wgan.py', 'upTo': '# Initialize generator and discriminator', 'drop': ['os.makedirs("images", exist_ok=True)'], 'model': 'Generator', 'build': 'Generator()', 'seed': 3, 'inputSeed': 1, 'inputShape': [8, 100], 'schemes': ['in-effect', 'he']},
    # A model that is one layer, named '' in state_dict() (pytorch/examples regression: `fc = torch.nn.Linear(W_target.size(0), 1)`),
    # its input size a module constant's shape; no seed in the file, so built right after torch.manual_seed(seed), as InitLens does.
    {'name': 'regression-linear', 'file': 'test/fixtures/realworld/pytorch/examples/regression/main.py', 'upTo': 'for batch_idx in count(1):', 'model': 'fc', 'build': 'torch.nn.Linear(W_target.size(0), 1)', 'seed': 0, 'inputSeed': 0, 'inputShape': [8, 4], 'schemes': ['in-effect', 'normal', 'xavier', 'he'], 'exact': True},
    # The default input of a forward that first reshapes it (src/core/signal/reshapedInput.ts): 8×28×28.
    {'name': 'mnist-rnn', 'file': 'test/fixtures/realworld/pytorch/examples/mnist_rnn/main.py', 'model': 'Net', 'build': 'Net()', 'seed': 0, 'inputSeed': 0, 'inputShape': [8, 28, 28], 'schemes': ['in-effect', 'xavier', 'orthogonal']},
    # karpathy's GPTs (session 9, gpt): minGPT (MIT) as a training script of its workspace builds it, small (MINGPT_DRIVER).
    # Its in-effect weights are "distribution only" in InitLens (the c_proj weights are drawn twice: by apply(_init_weights)
    # and by the scaled loop after it), so only the other schemes are keys, each redrawing every Linear.
    {'name': 'mingpt', 'file': 'test/fixtures/realworld/karpathy/minGPT/mingpt/model.py', 'model': 'GPT', 'driver': MINGPT_DRIVER,
     'build': "__import__('__main__').gpt_from_driver(globals(), 'mingpt.model', __import__('__main__').MINGPT_DRIVER['text'])",
     'seed': 0, 'inputSeed': 1, 'inputShape': [2, 16], 'tokens': 64, 'schemes': ['normal', 'xavier', 'he', 'orthogonal'], 'exact': False},
    # lucidrains' ViT (session 13): a Rearrange layer into patches, nn.Parameter members read in forward (cls_token
    # repeated over the batch with einops, pos_embedding sliced), `for attn, ff in self.layers`, map(lambda ...) over the
    # heads, a module chosen by a conditional expression of __init__. Every scheme keeps the members as built.
    {'name': 'lucidrains-vit', 'file': 'test/fixtures/realworld/lucidrains/vit-pytorch/vit_pytorch/vit.py', 'model': 'ViT', 'driver': VIT_DRIVER,
     'build': "__import__('__main__').model_from_driver(globals(), 'vit', __import__('__main__').VIT_DRIVER['text'])",
     'seed': 0, 'inputSeed': 0, 'inputShape': [2, 3, 32, 32], 'schemes': ['in-effect', 'normal', 'xavier', 'he'], 'exact': True},
    {'name': 'lucidrains-deepvit', 'file': 'test/fixtures/realworld/lucidrains/vit-pytorch/vit_pytorch/deepvit.py', 'model': 'DeepViT', 'driver': DEEPVIT_DRIVER,
     'build': "__import__('__main__').model_from_driver(globals(), 'deepvit', __import__('__main__').DEEPVIT_DRIVER['text'])",
     'seed': 1, 'inputSeed': 2, 'inputShape': [2, 3, 32, 32], 'schemes': ['in-effect', 'xavier', 'he', 'lsuv'], 'exact': True},
    # `a if hasattr(self, 'shortcut') else b` in forward, the shortcut built under an `if` of __init__ (kuangliu's PreActBlock).
    {'name': 'kuangliu-preact-resnet18', 'file': 'test/fixtures/realworld/kuangliu/pytorch-cifar/models/preact_resnet.py', 'model': 'PreActResNet', 'pick': 'PreActResNet18', 'build': 'PreActResNet18()', 'seed': 0, 'inputSeed': 0, 'inputShape': [2, 3, 32, 32], 'schemes': ['in-effect', 'he'], 'exact': True},
    # Padding modules and nearest upsampling (src/core/signal/spatial.ts). dcgan.py builds both nets, then
    # generator.apply(weights_init_normal): the generator's init draws follow the discriminator's construction
    # (exact mode follows the module's statements, src/core/torch/program.ts).
    {'name': 'fast-neural-style', 'file': 'test/fixtures/realworld/pytorch/examples/fast_neural_style/neural_style/transformer_net.py', 'model': 'TransformerNet', 'build': 'TransformerNet()', 'seed': 0, 'inputSeed': 0, 'inputShape': [2, 3, 32, 32], 'schemes': ['in-effect', 'he']},
    {'name': 'erik-dcgan-generator', 'file': 'test/fixtures/realworld/eriklindernoren/PyTorch-GAN/implementations/dcgan/dcgan.py', 'upTo': '# Loss function', 'drop': ['os.makedirs("images", exist_ok=True)'], 'model': 'Generator', 'build': '(lambda g, d: (g.apply(weights_init_normal), g)[1])(Generator(), Discriminator())', 'seed': 0, 'inputSeed': 0, 'inputShape': [4, 100], 'schemes': ['in-effect', 'he', 'xavier']},
    # nn.PixelShuffle (a reshape, a permutation, a reshape); the upscale factor from main.py's construction (the README's 3).
    {'name': 'super-resolution', 'file': 'test/fixtures/realworld/pytorch/examples/super_resolution/model.py', 'model': 'Net', 'build': 'Net(upscale_factor=3)',
     'driver': {'path': 'main.py', 'model': 'model.py', 'text': 'from model import Net\n\nmodel = Net(upscale_factor=3)\n'},
     'seed': 0, 'inputSeed': 0, 'inputShape': [2, 1, 16, 16], 'schemes': ['in-effect', 'he']},
    # Grouped and depthwise convolutions (engine.ts groupedConv): groups 2, depthwise with a channel multiplier, dilated, strided, 1-d.
    {'name': 'grouped-convs', 'text': GROUPED, 'model': 'GroupedNet', 'build': 'GroupedNet()', 'seed': 5, 'inputSeed': 3, 'inputShape': [2, 4, 12, 10], 'schemes': ['in-effect', 'he', 'orthogonal']},
    {'name': 'grouped-conv1d', 'text': GROUPED, 'model': 'Grouped1d', 'build': 'Grouped1d()', 'seed': 6, 'inputSeed': 2, 'inputShape': [3, 6, 20], 'schemes': ['in-effect', 'xavier']},
    # Lists built with `for _ in range(n)`, a class of the file in them, and `channels = input_shape[0]` from the
    # construction in cyclegan.py (argparse defaults: 3x256x256 images, 9 residual blocks), then its
    # G_AB.apply(weights_init_normal) there.
    {'name': 'cyclegan-generator', 'file': 'test/fixtures/realworld/eriklindernoren/PyTorch-GAN/implementations/cyclegan/models.py', 'model': 'GeneratorResNet',
     'build': '(lambda g: (g.apply(weights_init_normal), g)[1])(GeneratorResNet((3, 256, 256), 9))',
     'driver': {'path': 'cyclegan.py', 'model': 'models.py', 'text': 'from models import *\n\ninput_shape = (3, 256, 256)\nG_AB = GeneratorResNet(input_shape, 9)\nG_AB.apply(weights_init_normal)\n'},
     'seed': 0, 'inputSeed': 0, 'inputShape': [2, 3, 32, 32], 'schemes': ['in-effect', 'he'], 'exact': True},
    # nn.TransformerEncoder (helper tenc): batch first with a final norm; sequence first, pre-LN GELU, layer built early.
    {'name': 'transformer-encoder-stack', 'text': ENCODER_STACK, 'model': 'EncoderStack', 'build': 'EncoderStack()', 'seed': 3, 'inputSeed': 4, 'inputShape': [3, 7, 8], 'schemes': ['in-effect', 'normal', 'xavier', 'he']},
    {'name': 'transformer-encoder-sequential', 'text': ENCODER_STACK_SEQUENTIAL, 'model': 'StackInSequential', 'build': 'StackInSequential()', 'seed': 1, 'inputSeed': 0, 'inputShape': [2, 5, 4], 'schemes': ['in-effect', 'xavier']},
    {'name': 'transformer-encoder-stack-seq', 'text': ENCODER_STACK_SEQ, 'model': 'EncoderStackSeq', 'build': 'EncoderStackSeq()', 'seed': 5, 'inputSeed': 6, 'inputShape': [6, 4, 5], 'schemes': ['in-effect', 'zeros', 'lecun', 'orthogonal']},
    # Linear interpolation, conv padding modes, grouped ConvTranspose2d (spatial.ts, engine.ts; the ops2 branch); usuyama's UNet
    # (MIT; bilinear upsampling, its double_conv helper returning nn.Sequential) built as its notebook pytorch_unet.ipynb does, UNet(6).
    {'name': 'padding-modes', 'text': PADDING_MODES, 'model': 'PaddingModes', 'build': 'PaddingModes()', 'seed': 15, 'inputSeed': 11, 'inputShape': [2, 3, 12, 10], 'schemes': ['in-effect', 'he', 'orthogonal']},
    {'name': 'bilinear-net', 'text': BILINEAR, 'model': 'BilinearNet', 'build': 'BilinearNet()', 'seed': 16, 'inputSeed': 12, 'inputShape': [2, 3, 16, 12], 'schemes': ['in-effect', 'xavier', 'he']},
    {'name': 'usuyama-unet', 'file': 'test/fixtures/realworld/usuyama/pytorch-unet/pytorch_unet.py', 'model': 'UNet', 'build': 'UNet(6)',
     'driver': {'path': 'main.py', 'model': 'pytorch_unet.py', 'text': 'import pytorch_unet\n\nnum_class = 6\nmodel = pytorch_unet.UNet(num_class)\n'},
     # inputSeed 4: under 0, one ReLU input of dconv_up1.2 is 2.6e-9 (7e-8 of its std), which float32 sums in XNNPACK's order flip on wasm.
     'seed': 0, 'inputSeed': 4, 'inputShape': [2, 3, 16, 16], 'schemes': ['in-effect', 'he']},
    # The apply reaches the children through the module tree's rules and runs after Other() draws (the lead, session 10).
    {'name': 'composite-module-apply', 'text': MODULE_APPLY, 'model': 'Net', 'build': '(lambda n, o: (n.apply(init_fn), n)[1])(Net(), Other())', 'seed': 0, 'inputSeed': 0, 'inputShape': [4, 8], 'schemes': ['in-effect', 'he'], 'exact': True},
]

# ----------------------------------------------------------------------------------------------------------------

WEIGHT_TYPES = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.ConvTranspose1d, nn.ConvTranspose2d, nn.ConvTranspose3d)
NORM_TYPES = (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d, nn.LayerNorm, nn.GroupNorm, nn.InstanceNorm1d, nn.InstanceNorm2d, nn.InstanceNorm3d)
RNN_TYPES = (nn.RNN, nn.LSTM, nn.GRU)
LAYER_TYPES = WEIGHT_TYPES + NORM_TYPES + (nn.Embedding, nn.MultiheadAttention) + RNN_TYPES


def init_weight(scheme, w):
    """The scheme's weight init, written with torch.nn.init (see the module docstring)."""
    if scheme == 'zeros':
        nn.init.zeros_(w)
    elif scheme == 'constant':
        nn.init.constant_(w, 0.01)
    elif scheme == 'normal':
        nn.init.normal_(w, 0.0, 0.01)
    elif scheme == 'xavier':
        nn.init.xavier_normal_(w)
    elif scheme == 'he':
        nn.init.kaiming_normal_(w, mode='fan_in', nonlinearity='relu')
    elif scheme == 'lecun':
        fan_in = w.shape[1] * math.prod(w.shape[2:])
        nn.init.normal_(w, 0.0, 1.0 / math.sqrt(fan_in))
    elif scheme in ('orthogonal', 'lsuv'):
        nn.init.orthogonal_(w)
    else:
        raise ValueError(scheme)


def apply_scheme(model, scheme, seed, recommended=None):
    if scheme == 'in-effect':
        return
    torch.manual_seed(seed)
    with torch.no_grad():
        for name, m in model.named_modules():
            if isinstance(m, WEIGHT_TYPES):
                if scheme == 'recommended':
                    recommended(name, m.weight)
                else:
                    init_weight(scheme, m.weight)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, nn.MultiheadAttention):
                init_weight(scheme, m.in_proj_weight)
                if m.in_proj_bias is not None:
                    nn.init.zeros_(m.in_proj_bias)
            elif isinstance(m, NORM_TYPES) and getattr(m, 'weight', None) is not None:
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
            elif isinstance(m, RNN_TYPES):
                for pname, p in m.named_parameters():
                    if pname.startswith('weight'):
                        if scheme == 'recommended':
                            recommended(f'{name}.{pname}', p)
                        else:
                            init_weight(scheme, p)
                    else:
                        nn.init.zeros_(p)


ACT_MODULES = {nn.ReLU: 'relu', nn.ReLU6: 'relu6', nn.LeakyReLU: 'leaky_relu', nn.ELU: 'elu', nn.CELU: 'celu', nn.SELU: 'selu',
               nn.GELU: 'gelu', nn.SiLU: 'silu', nn.Mish: 'mish', nn.Hardswish: 'hardswish', nn.Tanh: 'tanh', nn.Sigmoid: 'sigmoid',
               nn.Hardtanh: 'hardtanh', nn.Softsign: 'softsign', nn.Softplus: 'softplus', nn.Softmax: 'softmax', nn.LogSoftmax: 'log_softmax'}
ACT_FUNCTIONS = {F.relu: 'relu', torch.relu: 'relu', F.relu6: 'relu6', F.leaky_relu: 'leaky_relu', F.elu: 'elu', F.celu: 'celu',
                 F.selu: 'selu', torch.selu: 'selu', F.gelu: 'gelu', F.silu: 'silu', F.mish: 'mish', F.hardswish: 'hardswish',
                 torch.tanh: 'tanh', F.tanh: 'tanh', torch.sigmoid: 'sigmoid', F.sigmoid: 'sigmoid', F.hardtanh: 'hardtanh',
                 F.softsign: 'softsign', F.softplus: 'softplus', F.softmax: 'softmax', torch.softmax: 'softmax',
                 F.log_softmax: 'log_softmax', torch.log_softmax: 'log_softmax'}
ACT_METHODS = {'relu', 'tanh', 'sigmoid', 'softmax', 'log_softmax'}
PASS_MODULES = NORM_TYPES + (nn.modules.dropout._DropoutNd, nn.modules.pooling._MaxPoolNd, nn.modules.pooling._AvgPoolNd,
                             nn.modules.pooling._AdaptiveAvgPoolNd, nn.modules.pooling._AdaptiveMaxPoolNd, nn.Flatten, nn.Identity)
PASS_FUNCTIONS = {F.max_pool1d, F.max_pool2d, F.avg_pool1d, F.avg_pool2d, F.adaptive_avg_pool1d, F.adaptive_avg_pool2d,
                  F.adaptive_max_pool1d, F.adaptive_max_pool2d, torch.flatten, F.batch_norm, F.layer_norm}
PASS_METHODS = {'view', 'reshape', 'flatten', 'contiguous'}
SHAPE_METHODS = {'size', 'dim', '__get__'}
LEAVES = LAYER_TYPES + tuple(ACT_MODULES) + PASS_MODULES
DROPOUTS = ('dropout', 'dropout1d', 'dropout2d', 'dropout3d', 'alpha_dropout', 'feature_alpha_dropout')


class Node:
    def __init__(self, kind, target):
        self.kind = kind  # 'module' | 'function' | 'method'
        self.target = target
        self.users = []
        self.stats = None


def moments(t):
    t = t.detach().double()
    return {'mean': t.mean().item(), 'std': t.std().item()}


def act_stats(t, kind):
    t = t.detach().double()
    sat = None
    if kind == 'tanh':
        sat = (t.abs() > 0.99).double().mean().item()
    elif kind == 'sigmoid':
        sat = ((t < 0.01) | (t > 0.99)).double().mean().item()
    return {'mean': t.mean().item(), 'std': t.std().item(), 'zeroFraction': (t == 0).double().mean().item(), 'saturatedFraction': sat}


def classify(node):
    """('act', kind) | ('pass',) | ('stop',) for one consumer of a layer's output."""
    if node.kind == 'module':
        m = node.target
        if type(m) in ACT_MODULES:
            return ('act', ACT_MODULES[type(m)])
        if isinstance(m, PASS_MODULES):
            return ('pass',)
        return ('stop',)
    if node.kind == 'function':
        if node.target in ACT_FUNCTIONS:
            return ('act', ACT_FUNCTIONS[node.target])
        if node.target in PASS_FUNCTIONS:
            return ('pass',)
        return ('stop',)
    if node.target in ACT_METHODS:
        return ('act', node.target)
    if node.target in PASS_METHODS:
        return ('pass',)
    return ('stop',)


class Flow(torch.overrides.TorchFunctionMode):
    """Records which op consumes which tensor (outside the leaf modules), and each activation's output statistics."""

    def __init__(self, producers, inside):
        super().__init__()
        self.producers = producers
        self.inside = inside

    def __torch_function__(self, func, types_, args=(), kwargs=None):
        kwargs = kwargs or {}
        result = func(*args, **kwargs)
        if self.inside[0] == 0:
            name = getattr(func, '__name__', '')
            if name in SHAPE_METHODS:
                return result
            if getattr(torch.Tensor, name, None) is func or (name.startswith('__') and hasattr(torch.Tensor, name)):
                node = Node('method', name)
            else:
                node = Node('function', func)
            link(self.producers, node, (args, kwargs), result)
            c = classify(node)
            if c[0] == 'act' and isinstance(result, torch.Tensor):
                node.stats = act_stats(result, c[1])
        return result


def tensors(value):
    if isinstance(value, torch.Tensor):
        yield value
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from tensors(v)
    elif isinstance(value, dict):
        for v in value.values():
            yield from tensors(v)


def link(producers, node, inputs, outputs):
    for t in tensors(inputs):
        entry = producers.get(id(t))
        if entry is not None and entry[0] is t and node not in entry[1].users:
            entry[1].users.append(node)
    for t in tensors(outputs):
        producers[id(t)] = (t, node)


def activation_after(node):
    """The stats of the first activation reached through pass-through steps with one consumer each, else None."""
    while True:
        if len(node.users) != 1:
            return None
        user = node.users[0]
        c = classify(user)
        if c[0] == 'act':
            return user.stats
        if c[0] != 'pass':
            return None
        node = user


class DropoutOff:
    """model.train() with every Dropout module in eval() and F.dropout and friends the identity, as the engine runs."""

    def __init__(self, model):
        self.model = model

    def __enter__(self):
        self.model.train()
        for m in self.model.modules():
            if isinstance(m, nn.modules.dropout._DropoutNd):
                m.eval()
        self.saved = {name: getattr(F, name) for name in DROPOUTS}
        for name in DROPOUTS:
            setattr(F, name, lambda input, *args, **kwargs: input)

    def __exit__(self, *exc):
        for name, fn in self.saved.items():
            setattr(F, name, fn)


LSUV_TOL = 0.1
LSUV_MAX_ITER = 10


def lsuv(model, x):
    """LSUV on the weights in place (see the module docstring); per layer {name, iterations, variance}."""
    names = {m: n for n, m in model.named_modules()}
    order = []
    hooks = [m.register_forward_hook(lambda mod, i, o: order.append(mod) if mod not in order else None)
             for m in model.modules() if isinstance(m, WEIGHT_TYPES)]
    with torch.no_grad(), DropoutOff(model):
        model(x)
    for h in hooks:
        h.remove()
    record = []
    for m in order:
        seen = {}
        # A clone: an in-place activation after the layer would change the captured output.
        h = m.register_forward_hook(lambda mod, i, o: seen.__setitem__('out', o.detach().clone()))
        iterations = 0
        while True:
            with torch.no_grad(), DropoutOff(model):
                model(x)
            var = seen['out'].double().var().item()
            if abs(var - 1) < LSUV_TOL or iterations == LSUV_MAX_ITER or not (var > 0 and math.isfinite(var)):
                break
            with torch.no_grad():
                m.weight.div_(math.sqrt(var))
            iterations += 1
        h.remove()
        record.append({'name': names[m], 'iterations': iterations, 'variance': var})
    return record


def run(model, x, g_seed):
    """One forward and backward pass; the per-layer record in forward order."""
    producers, inside = {}, [0]
    records = []
    stepped = {}
    handles = []
    for qual, m in model.named_modules():
        # The model itself is a row only when it is one layer (`fc = nn.Linear(4, 1)`, named '').
        if (qual == '' and any(True for _ in model.children())) or not isinstance(m, LEAVES):
            continue

        def pre(module, inputs, qual=qual):
            inside[0] += 1
            if isinstance(module, RNN_TYPES):
                # A zero added to the input sequence: its .grad is the gradient with respect to each time step.
                probe_in = torch.zeros_like(inputs[0], requires_grad=True)
                stepped[qual] = (inputs, probe_in)
                return (inputs[0] + probe_in,) + tuple(inputs[1:])
            return None

        def post(module, inputs, output, qual=qual):
            if isinstance(module, RNN_TYPES):
                inputs, probe_in = stepped.pop(qual)
                seq, state = output
                h = state[0] if isinstance(state, tuple) else state
                probe = torch.zeros_like(seq, requires_grad=True)
                probe_h = torch.zeros_like(h, requires_grad=True)
                h_out = h + probe_h
                output = (seq + probe, (h_out, state[1]) if isinstance(state, tuple) else h_out)
                rec = {'name': qual, 'type': type(module).__name__, 'module': module, 'probe': probe, 'probe_h': probe_h,
                       'probe_in': probe_in, 'time_axis': 1 if module.batch_first else 0,
                       'out': moments(seq), 'out_h': moments(h)}
                records.append(rec)
            elif isinstance(module, LAYER_TYPES):
                # MultiheadAttention returns (output, weights): the row is its output.
                pair = isinstance(output, tuple)
                main = output[0] if pair else output
                out = main.detach().double()
                probe = torch.zeros_like(main, requires_grad=True)
                output = (main + probe,) + tuple(output[1:]) if pair else main + probe
                rec = {'name': qual, 'type': type(module).__name__, 'module': module, 'probe': probe,
                       'out': {'mean': out.mean().item(), 'std': out.std().item()}}
                records.append(rec)
            inside[0] -= 1
            if inside[0] == 0:
                node = Node('module', module)
                link(producers, node, inputs, output)
                if isinstance(module, LAYER_TYPES):
                    rec['node'] = node
                if type(module) in ACT_MODULES:
                    node.stats = act_stats(output, ACT_MODULES[type(module)])
            return output

        handles.append(m.register_forward_pre_hook(pre))
        handles.append(m.register_forward_hook(post))
    model.train()
    for m in model.modules():
        if isinstance(m, (nn.modules.dropout._DropoutNd,) + RNN_TYPES):
            m.eval()
    saved = {name: getattr(F, name) for name in DROPOUTS}
    for name in DROPOUTS:
        setattr(F, name, lambda input, *args, **kwargs: input)
    try:
        with Flow(producers, inside):
            out = model(x)
    finally:
        for name, fn in saved.items():
            setattr(F, name, fn)
        for h in handles:
            h.remove()
    g = torch.randn(out.shape, generator=torch.Generator().manual_seed(g_seed))
    out.backward(g)
    layers = []
    for rec in records:
        m = rec['module']
        w = m.weight_ih_l0 if isinstance(m, RNN_TYPES) else m.in_proj_weight if isinstance(m, nn.MultiheadAttention) else getattr(m, 'weight', None)
        stats, probe = rec['out'], rec['probe']
        if 'probe_h' in rec and probe.grad is None:
            # forward reads only the final states: the row is h_n's.
            stats, probe = rec['out_h'], rec['probe_h']
        grad = probe.grad if probe.grad is not None else torch.zeros_like(probe)
        layer = {
            'name': rec['name'],
            'type': rec['type'],
            'out': stats,
            'act': activation_after(rec['node']),
            'grad': {'std': grad.double().std().item()},
            'weightGrad': {'std': w.grad.double().std().item()} if w is not None else None,
        }
        if 'probe_in' in rec:
            g, axis = rec['probe_in'].grad.double(), rec['time_axis']
            layer['stepGrad'] = {'first': g.select(axis, 0).std().item(), 'last': g.select(axis, -1).std().item()}
        layers.append(layer)
    return {'output': {'std': out.detach().double().std().item()}, 'layers': layers}


def namespace_of(case):
    if 'file' in case:
        path = os.path.join(ROOT, case['file'])
        with open(path, encoding='utf8') as f:
            text = f.read()
        # A script that trains at module level: only its text before `upTo` runs, without the `drop` lines (a directory it makes).
        text = text[:text.index(case['upTo'])] if 'upTo' in case else text
        for line in case.get('drop', []):
            text = text.replace(line, '')
        name = 'corpus_' + case['name'].replace('-', '_')
    else:
        path = f'<signal:{case["name"]}>'
        text = case['text']
        name = 'signal_' + case['name'].replace('-', '_')
    module = types.ModuleType(name)
    module.__file__ = path
    sys.modules[name] = module
    torch.manual_seed(case['seed'])  # a module-level `model = nn.Sequential(...)` is built right here
    exec(compile(text, path, 'exec'), module.__dict__)
    return module


def main():
    os.makedirs(OUT, exist_ok=True)
    only = set(sys.argv[1:])  # case names to write (none: every case)
    del sys.argv[1:]  # the scripts of the corpus parse their own command line (argparse defaults)
    for case in CASES:
        if only and case['name'] not in only:
            continue
        runs = []
        first_input = None
        for scheme in case['schemes']:
            ns = namespace_of(case)
            torch.manual_seed(case['seed'])
            model = eval(case['build'], ns.__dict__) if case['build'] != 'model' else ns.model
            apply_scheme(model, scheme, case['seed'], case.get('recommended'))
            g = torch.Generator().manual_seed(case['inputSeed'])
            x = torch.randint(0, case['tokens'], case['inputShape'], generator=g) if 'tokens' in case else torch.randn(case['inputShape'], generator=g)
            first_input = x.flatten()[:4].tolist()
            scaled = lsuv(model, x) if scheme == 'lsuv' else None
            result = run(model, x, case['inputSeed'] + 1)
            runs.append({'scheme': scheme, **result, **({'lsuv': scaled} if scaled is not None else {})})
        # The weights in effect, bit for bit where InitLens claims them exact: the first and last values of each parameter.
        ns = namespace_of(case)
        torch.manual_seed(case['seed'])
        model = eval(case['build'], ns.__dict__) if case['build'] != 'model' else ns.model
        weights = {name: {'head': p.detach().flatten()[:4].tolist(), 'tail': p.detach().flatten()[-4:].tolist()} for name, p in model.named_parameters()}
        key = {
            'name': case['name'],
            **({'pick': case['pick']} if 'pick' in case else {}),
            **({'exact': case['exact'], 'weights': weights} if 'exact' in case else {}),
            **({'file': case['file']} if 'file' in case else {'text': case['text']}),
            'model': case['model'],
            'seed': case['seed'],
            'inputSeed': case['inputSeed'],
            'inputShape': case['inputShape'],
            **({'tokens': case['tokens']} if 'tokens' in case else {}),
            **({'driver': case['driver']} if 'driver' in case else {}),
            'inputHead': first_input,
            'torch': torch.__version__,
            'runs': runs,
        }
        with open(os.path.join(OUT, f'{case["name"]}.json'), 'w', encoding='utf8') as f:
            json.dump(key, f, indent=1)
            f.write('\n')
        print(case['name'], 'output std per scheme:', ', '.join(f'{r["scheme"]} {r["output"]["std"]:.3g}' for r in runs))


if __name__ == '__main__':
    main()
