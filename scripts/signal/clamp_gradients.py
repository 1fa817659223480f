#!/usr/bin/python3
"""Answer key for the clamping activations' gradients at their bounds (src/core/signal/clamps.ts), by real PyTorch.

For F.relu6, F.hardtanh and F.hardswish: inputs on and around each bound, float32; the outputs and the gradient of
out.backward(upstream) with respect to the input. And the same as the signal engine runs it: a Linear(1, n) whose
weight is zero and whose bias holds the inputs, fed x = [[1.]], then the activation; the std of the gradient with
respect to the Linear's output (a zero probe added to it) and of its weight's gradient, unbiased, in float64 of the
float32 tensors, as scripts/signal/reference.py records them.

  /usr/bin/python3 scripts/signal/clamp_gradients.py      (writes test/fixtures/torch/clamp-gradients.json)
"""
import json
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, 'test', 'fixtures', 'torch', 'clamp-gradients.json')

POINTS = {
    'relu6': [-1.0, 0.0, 2.5, 6.0, 7.0],
    'hardtanh': [-2.0, -1.0, 0.0, 0.5, 1.0, 2.0],
    'hardswish': [-4.0, -3.0, -1.5, 0.0, 3.0, 4.0],
}


def main():
    cases = []
    for name, points in POINTS.items():
        f = getattr(F, name)
        x = torch.tensor(points, requires_grad=True)
        upstream = torch.arange(1, len(points) + 1, dtype=torch.float32) * 0.5
        y = f(x)
        y.backward(upstream)
        fc = nn.Linear(1, len(points))
        with torch.no_grad():
            fc.weight.zero_()
            fc.bias.copy_(torch.tensor(points))
        h = fc(torch.ones(1, 1))
        probe = torch.zeros_like(h, requires_grad=True)
        f(h + probe).backward(upstream.reshape(1, -1))
        cases.append({
            'activation': name,
            'x': points,
            'upstream': upstream.tolist(),
            'y': y.detach().tolist(),
            'grad': x.grad.tolist(),
            'linear': {'gradStd': probe.grad.double().std().item(), 'weightGradStd': fc.weight.grad.double().std().item()},
        })
    with open(OUT, 'w', encoding='utf8') as out:
        json.dump({'torch': torch.__version__, 'cases': cases}, out, indent=1)
        out.write('\n')
    for c in cases:
        print(c['activation'], 'grad', c['grad'])


if __name__ == '__main__':
    main()
