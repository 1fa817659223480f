"""Measured gain of the new heads of the transfer-learning corpus files (test/fixtures/advice/healthy/pretrained.json).

A head replaced after loading (`model.fc = nn.Linear(512, 2)` in the PyTorch transfer-learning tutorial)
starts at PyTorch's default init, kaiming_uniform_(a=sqrt(5)) = U(+-1/sqrt(fan_in)). Its std ratio on
unit-variance inputs is measured here over many seeds (the head has only 2 outputs, so one draw is noisy);
the analytic value is sqrt(fan_in * (1/(3 fan_in))) = 1/sqrt(3) = 0.577.

Run with real PyTorch: /usr/bin/python3 scripts/advice/pretrained_heads.py
"""
import json
import sys

import torch
import torch.nn as nn

SEEDS = 200
BATCH = 4096


def ratio(fan_in, fan_out):
    total = 0.0
    for seed in range(SEEDS):
        torch.manual_seed(seed)
        layer = nn.Linear(fan_in, fan_out)
        nn.init.zeros_(layer.bias)
        x = torch.randn(BATCH, fan_in)
        with torch.no_grad():
            total += (layer(x).pow(2).mean() / x.pow(2).mean()).item()
    return (total / SEEDS) ** 0.5


json.dump({"torch": torch.__version__, "seeds": SEEDS, "batch": BATCH, "Linear(512, 2)": round(ratio(512, 2), 4)}, sys.stdout)
sys.stdout.write("\n")
