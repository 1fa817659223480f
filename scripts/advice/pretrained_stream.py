"""Answer key for exact mode after a library constructor (transfer learning).

torchvision builds a pretrained model at random, then copies the weights in
(`_resnet`, `_vgg`, `alexnet` in torchvision/models), so the constructor still
draws from the CPU stream and a layer built after it gets values that depend on
it. This script records, for torchvision 0.14 architectures, the first values of
an `nn.Linear(16, 4)` built right after `torch.manual_seed(seed); m = arch(weights=...)`,
with weights=None and with weights given. The weights cannot be downloaded
offline, so `WeightsEnum.get_state_dict` is patched to return a state dict of
the right shapes, built before the seed: what happens to the stream is exactly
torchvision's code path (including VGG's `init_weights=False` when weights are
given). It also checks that `load_state_dict` draws nothing.

Run with real PyTorch: /usr/bin/python3 scripts/advice/pretrained_stream.py > test/fixtures/advice/pretrained_stream.json
"""
import json
import struct
import sys

import torch
import torch.nn as nn
import torchvision
from torchvision.models._api import WeightsEnum

ARCHS = ["resnet18", "resnet34", "resnet50", "resnext50_32x4d", "wide_resnet50_2", "vgg11", "vgg16_bn", "alexnet"]
SEEDS = [0, 12345]
VALUES = 8


def bits(t):
    return ["0x%08x" % struct.unpack("<I", struct.pack("<f", float(x)))[0] for x in t.flatten()[:VALUES]]


def main():
    torch.set_num_threads(1)
    states = {}
    for arch in ARCHS:
        states[arch] = getattr(torchvision.models, arch)(weights=None).state_dict()
    current = {}
    WeightsEnum.get_state_dict = lambda self, progress=True: current["sd"]
    cases = []
    for arch in ARCHS:
        current["sd"] = states[arch]
        for weights in [None, "IMAGENET1K_V1"]:
            for seed in SEEDS:
                torch.manual_seed(seed)
                getattr(torchvision.models, arch)(weights=weights)
                head = nn.Linear(16, 4)
                cases.append({"architecture": arch, "weights": weights, "seed": seed, "head": "Linear(16, 4)", "weight_bits": bits(head.weight.detach()), "bias_bits": bits(head.bias.detach())})
    # load_state_dict copies and draws nothing: the next draw is the same with and without it.
    model = torchvision.models.resnet18()
    sd = {k: v.clone() for k, v in model.state_dict().items()}
    torch.manual_seed(0)
    model = torchvision.models.resnet18()
    a = torch.rand(4)
    torch.manual_seed(0)
    model = torchvision.models.resnet18()
    model.load_state_dict(sd)
    b = torch.rand(4)
    json.dump({
        "torch": torch.__version__,
        "torchvision": torchvision.__version__,
        "load_state_dict_draws_nothing": bool(torch.equal(a, b)),
        "cases": cases,
    }, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
