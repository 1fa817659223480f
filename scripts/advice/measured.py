#!/usr/bin/python3
"""Answer key of the advice's measured gains (src/core/advice/measure.ts), made by real PyTorch.

For each broken-corpus model below: torch.manual_seed(0) (the files set no seed), the class built with its
defaults, model.train(), input x = torch.randn((8, in_features of the first Linear), generator seeded 0), upstream
gradient torch.randn(out.shape, generator seeded 1), out.backward(upstream). Per Linear in the order forward calls
it: the unbiased std (float64 of the float32 tensor) of its input and of the gradient with respect to that input
(a forward pre-hook's retain_grad), of its output and of the gradient with respect to it. Nothing here reads
InitLens code or output.

  /usr/bin/python3 scripts/advice/measured.py      (writes test/fixtures/advice/measured.json; a second)
"""
import json
import os
import runpy

import torch
import torch.nn as nn

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BROKEN = os.path.join(ROOT, "test", "fixtures", "advice", "broken")
CASES = [("xavier_relu_20.py", "XavierReLU20"), ("he_sigmoid_deep.py", "DeepSigmoid"), ("small_normal_deep.py", "DeepMLP"), ("constant.py", "ConstantMLP")]


def std(t):
    return t.detach().double().std().item()


def measure(file, cls):
    ns = runpy.run_path(os.path.join(BROKEN, file))
    torch.manual_seed(0)
    model = ns[cls]()
    model.train()
    names = {m: n for n, m in model.named_modules()}
    first = next(m for m in model.modules() if isinstance(m, nn.Linear))
    x = torch.randn((8, first.in_features), generator=torch.Generator().manual_seed(0)).requires_grad_(True)
    calls = []

    def pre(m, args):
        a = args[0]
        if a.requires_grad:
            a.retain_grad()
        calls.append({"name": names[m], "input": a})

    def post(m, args, out):
        out.retain_grad()
        calls[-1]["output"] = out

    for m in model.modules():
        if isinstance(m, nn.Linear):
            m.register_forward_pre_hook(pre)
            m.register_forward_hook(post)
    y = model(x)
    y.backward(torch.randn(y.shape, generator=torch.Generator().manual_seed(1)))
    return [
        {"name": c["name"], "inStd": std(c["input"]), "inGrad": std(c["input"].grad), "outStd": std(c["output"]), "outGrad": std(c["output"].grad)}
        for c in calls
    ]


def main():
    out = {
        "provenance": {"script": "scripts/advice/measured.py", "torch": torch.__version__},
        "files": {f: {"model": cls, "layers": measure(f, cls)} for f, cls in CASES},
    }
    with open(os.path.join(ROOT, "test", "fixtures", "advice", "measured.json"), "w") as fh:
        json.dump(out, fh, indent=1)
        fh.write("\n")


if __name__ == "__main__":
    main()
