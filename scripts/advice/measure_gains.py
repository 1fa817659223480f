"""Measures the variance gains src/core/advice/gain.ts computes analytically.

For each case: a chain of `depth` bias-free nn.Linear(width, width) layers, each
followed by the activation, weights N(0, w/width) (so w = fan_in * sigma^2),
input x ~ N(0, 1). Forward gain: sqrt(mean(x_N^2) / mean(x_0^2)). Backward
gain: with a random N(0, 1) output gradient g, sqrt(mean(dx_0^2) / mean(g^2)).
Averaged (geometric mean) over SEEDS seeds. Prints JSON; the committed copy is
test/fixtures/advice/gains.json:

    /usr/bin/python3 scripts/advice/measure_gains.py > test/fixtures/advice/gains.json
"""
import json
import math
import sys

import torch
import torch.nn as nn

WIDTH = 512
BATCH = 1024
SEEDS = (0, 1, 2)

ACTS = {
    "identity": lambda: nn.Identity(),
    "relu": lambda: nn.ReLU(),
    "leaky_relu:0.2": lambda: nn.LeakyReLU(0.2),
    "tanh": lambda: nn.Tanh(),
    "sigmoid": lambda: nn.Sigmoid(),
    "selu": lambda: nn.SELU(),
    "gelu": lambda: nn.GELU(),
    "silu": lambda: nn.SiLU(),
    "elu": lambda: nn.ELU(),
    "softplus": lambda: nn.Softplus(),
    "hardtanh": lambda: nn.Hardtanh(),
}

CASES = [
    ("relu", 2.0), ("relu", 1.0), ("relu", 1 / 3), ("relu", WIDTH * 0.01 ** 2),
    ("identity", 1 / 3), ("identity", 1.0),
    ("leaky_relu:0.2", 2 / 1.04),
    ("tanh", 1.0), ("tanh", (5 / 3) ** 2), ("tanh", 2.0), ("tanh", 1 / 3),
    ("sigmoid", 2.0), ("sigmoid", 1.0), ("sigmoid", 1 / 3),
    ("selu", 1.0),
    ("gelu", 2.0), ("gelu", 1 / 3), ("gelu", 0.02 ** 2 * WIDTH),
    ("silu", 2.0), ("elu", 2.0), ("softplus", 2.0), ("hardtanh", 1.0),
]
DEPTHS = (1, 10)
# The example: Xavier on a 20-layer ReLU net.
EXTRA = [("relu", 1.0, 20), ("relu", 2.0, 20)]


def measure(act, w, depth, seed):
    torch.manual_seed(seed)
    layers = []
    for _ in range(depth):
        lin = nn.Linear(WIDTH, WIDTH, bias=False)
        nn.init.normal_(lin.weight, 0.0, math.sqrt(w / WIDTH))
        layers += [lin, ACTS[act]()]
    net = nn.Sequential(*layers).double()
    x = torch.randn(BATCH, WIDTH, dtype=torch.float64, requires_grad=True)
    y = net(x)
    g = torch.randn_like(y)
    (y * g).sum().backward()
    fwd = math.sqrt(y.pow(2).mean().item() / x.pow(2).mean().item())
    bwd = math.sqrt(x.grad.pow(2).mean().item() / g.pow(2).mean().item())
    return fwd, bwd


def main():
    out = []
    runs = [(a, w, d) for a, w in CASES for d in DEPTHS] + EXTRA
    for act, w, depth in runs:
        if True:
            fs, bs = zip(*(measure(act, w, depth, s) for s in SEEDS))
            geo = lambda v: math.exp(sum(math.log(t) for t in v) / len(v))
            kind, _, slope = act.partition(":")
            case = {"activation": kind, "w": w, "depth": depth, "forward": geo(fs), "backward": geo(bs)}
            if slope:
                case["slope"] = float(slope)
            out.append(case)
    json.dump({"torch": torch.__version__, "width": WIDTH, "batch": BATCH, "seeds": list(SEEDS), "dtype": "float64", "cases": out}, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
