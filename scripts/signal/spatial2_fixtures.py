#!/usr/bin/python3
"""Answer keys for the signal engine's linear interpolation and convolution padding modes (src/core/signal/spatial.ts),
written by real PyTorch 1.13 on its CPU.

- taps: the (out × in) weight matrix of a 1-d linear interpolation, read off PyTorch by interpolating one-hot rows
  (F.interpolate(torch.eye(n)[:, None], mode='linear', ...)): row o holds the weights output o gives each input.
- models: small modules (their source text), with their state_dict, an input, an upstream gradient, and PyTorch's
  output and gradients (of the input and of every parameter) after `output.backward(upstream)`.

  /usr/bin/python3 scripts/signal/spatial2_fixtures.py      (writes test/fixtures/spatial2/keys.json)
"""
import json
import os
import warnings

import torch
import torch.nn as nn
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, 'test', 'fixtures', 'spatial2')

# (input size, size or None, scale_factor or None, align_corners, recompute_scale_factor)
TAPS = [
    (5, None, 2.0, False, None), (5, None, 2.0, True, None), (7, None, 3.0, False, None), (7, None, 3.0, True, None),
    (6, None, 1.5, False, None), (13, None, 2.3, False, None), (13, None, 2.3, False, True), (16, None, 3.0, True, None),
    (8, None, 0.5, False, None), (9, None, 0.7, True, None), (1, None, 4.0, False, None), (1, None, 4.0, True, None),
    (5, 11, None, False, None), (5, 11, None, True, None), (12, 5, None, False, None), (4, 4, None, False, None), (3, 1, None, True, None),
]

HEAD = 'import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\n\n\n'


def module(name, init, forward):
    return HEAD + f'class {name}(nn.Module):\n    def __init__(self):\n        super().__init__()\n' + ''.join(f'        {line}\n' for line in init) + '\n    def forward(self, x):\n' + ''.join(f'        {line}\n' for line in forward)


MODELS = [
    ('UpBilinear', ["self.up = nn.Upsample(scale_factor=2, mode='bilinear', align_corners=False)", 'self.conv = nn.Conv2d(2, 3, 3, padding=1)'], ['return self.conv(self.up(x))'], [2, 2, 5, 7]),
    ('UpAligned', ["self.up = nn.Upsample(scale_factor=2, mode='bilinear', align_corners=True)", 'self.conv = nn.Conv2d(2, 3, 3, padding=1)'], ['return self.conv(self.up(x))'], [2, 2, 5, 7]),
    ('UpModule', ['self.up = nn.UpsamplingBilinear2d(scale_factor=2)', 'self.conv = nn.Conv2d(2, 2, 1)'], ['return self.conv(self.up(x))'], [2, 2, 4, 6]),
    ('UpSize', ['self.conv = nn.Conv2d(2, 3, 3)'], ["return self.conv(F.interpolate(x, size=(11, 7), mode='bilinear', align_corners=False))"], [2, 2, 5, 4]),
    ('UpDefault', ['self.conv = nn.Conv2d(2, 3, 3)'], ["return self.conv(F.interpolate(x, scale_factor=1.5, mode='bilinear'))"], [2, 2, 6, 5]),
    ('UpRecompute', ['self.conv = nn.Conv2d(2, 3, 1)'], ["return self.conv(F.interpolate(x, scale_factor=(2.3, 3), mode='bilinear', align_corners=True, recompute_scale_factor=True))"], [2, 2, 5, 4]),
    ('UpFraction', ['self.conv = nn.Conv2d(2, 3, 1)'], ["return self.conv(F.interpolate(x, scale_factor=(2.3, 0.6), mode='bilinear', align_corners=False))"], [2, 2, 5, 9]),
    ('UpLinear1d', ["self.up = nn.Upsample(scale_factor=2.5, mode='linear')", 'self.conv = nn.Conv1d(2, 3, 3)'], ['return self.conv(self.up(x))'], [2, 2, 9]),
    ('UpTrilinear', ['self.conv = nn.Conv3d(2, 2, 1)'], ["return self.conv(F.interpolate(x, scale_factor=2, mode='trilinear', align_corners=True))"], [2, 2, 3, 4, 3]),
    ('PadReflect', ["self.conv = nn.Conv2d(2, 3, 3, padding=(1, 2), padding_mode='reflect')"], ['return self.conv(x)'], [2, 2, 6, 5]),
    ('PadReplicate', ["self.conv = nn.Conv2d(2, 3, 3, stride=2, padding=(2, 1), padding_mode='replicate')"], ['return self.conv(x)'], [2, 2, 7, 6]),
    ('PadCircular', ["self.conv = nn.Conv2d(2, 3, 3, dilation=2, padding=2, padding_mode='circular')"], ['return self.conv(x)'], [2, 2, 6, 5]),
    ('PadSame', ["self.conv = nn.Conv2d(2, 3, 4, padding='same', padding_mode='reflect')"], ['return self.conv(x)'], [2, 2, 6, 5]),
    ('PadGrouped', ["self.conv = nn.Conv2d(4, 4, 3, padding=1, groups=2, padding_mode='replicate')"], ['return self.conv(x)'], [2, 4, 5, 5]),
    ('Pad1d', ["self.conv = nn.Conv1d(2, 3, 5, padding=2, padding_mode='reflect')", "self.conv2 = nn.Conv1d(3, 3, 3, padding=1, padding_mode='circular')"], ['return self.conv2(torch.relu(self.conv(x)))'], [2, 2, 9]),
    ('TransposeGrouped', ['self.deconv = nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1, output_padding=1, groups=2)'], ['return self.deconv(x)'], [2, 4, 4, 3]),
    ('Transpose1dGrouped', ['self.deconv = nn.ConvTranspose1d(6, 3, 4, stride=2, groups=3, bias=False)'], ['return self.deconv(x)'], [2, 6, 5]),
    ('SameZeros', ["self.conv = nn.Conv2d(2, 3, 4, padding='same')"], ['return self.conv(x)'], [2, 2, 6, 5]),
    ('SameSymmetric', ["self.conv = nn.Conv2d(2, 3, (3, 5), padding='same', dilation=2)"], ['return self.conv(x)'], [2, 2, 7, 9]),
    ('Same1d', ["self.conv = nn.Conv1d(2, 3, 4, padding='same', dilation=3, padding_mode='circular')", "self.conv2 = nn.Conv1d(3, 2, 2, padding='same')"], ['return self.conv2(torch.tanh(self.conv(x)))'], [2, 2, 11]),
]


def flat(t):
    return t.detach().flatten().tolist()


def main():
    os.makedirs(OUT, exist_ok=True)
    warnings.simplefilter('ignore')
    taps = []
    for n, size, scale, align, recompute in TAPS:
        eye = torch.eye(n)[:, None, :]
        y = F.interpolate(eye, size=size, scale_factor=scale, mode='linear', align_corners=align, recompute_scale_factor=recompute)
        taps.append({'in': n, 'size': size, 'scale': scale, 'alignCorners': align, 'recompute': recompute, 'out': y.shape[2], 'weights': y[:, 0, :].t().flatten().tolist()})
    models = []
    for i, (name, init, forward, shape) in enumerate(MODELS):
        text = module(name, init, forward)
        ns = {}
        exec(compile(text, name, 'exec'), ns)
        torch.manual_seed(i)
        m = ns[name]()
        x = torch.randn(shape, generator=torch.Generator().manual_seed(100 + i)).requires_grad_(True)
        y = m(x)
        g = torch.randn(y.shape, generator=torch.Generator().manual_seed(200 + i))
        y.backward(g)
        models.append({
            'name': name, 'text': text, 'inputShape': shape, 'outputShape': list(y.shape),
            'params': {k: {'shape': list(p.shape), 'values': flat(p), 'grad': flat(p.grad)} for k, p in m.named_parameters()},
            'input': flat(x), 'upstream': flat(g), 'output': flat(y), 'inputGrad': flat(x.grad), 'outputStd': y.std().item(),
        })
    with open(os.path.join(OUT, 'keys.json'), 'w') as f:
        json.dump({'torch': torch.__version__, 'taps': taps, 'models': models}, f)
        f.write('\n')


if __name__ == '__main__':
    main()
