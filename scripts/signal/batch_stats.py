#!/usr/bin/python3
"""Answer key for BatchNorm's batch statistics (src/core/signal/batchStats.ts), by real PyTorch.

x = torch.randn(shape, generator=torch.Generator().manual_seed(seed)) * scale + shift (float32), and the mean and
1/sqrt(biased variance + eps) per channel that torch.native_batch_norm saves in training mode (its save_mean and
save_invstd, float32, summed in double by ATen's CPU kernel).

  /usr/bin/python3 scripts/signal/batch_stats.py      (writes test/fixtures/torch/batch-stats.json)
"""
import json
import os

import torch

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, 'test', 'fixtures', 'torch', 'batch-stats.json')

CASES = [
    {'shape': [2, 3, 32, 32], 'seed': 0, 'scale': 3.0, 'shift': 1.0, 'eps': 1e-5},
    {'shape': [4, 2, 64], 'seed': 1, 'scale': 0.5, 'shift': -2.0, 'eps': 1e-3},
]


def main():
    out = []
    for case in CASES:
        x = torch.randn(case['shape'], generator=torch.Generator().manual_seed(case['seed'])) * case['scale'] + case['shift']
        _, mean, invstd = torch.native_batch_norm(x, None, None, None, None, True, 0.1, case['eps'])
        out.append({**case, 'mean': mean.tolist(), 'invstd': invstd.tolist()})
    with open(OUT, 'w', encoding='utf8') as f:
        json.dump({'torch': torch.__version__, 'cases': out}, f, indent=1)
        f.write('\n')
    for c in out:
        print(c['shape'], 'mean', c['mean'], 'invstd', c['invstd'])


if __name__ == '__main__':
    main()
