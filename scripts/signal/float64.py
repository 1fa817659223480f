#!/usr/bin/python3
"""How far PyTorch's own float32 is from float64 on a model of the signal keys: the conditioning behind a key.

Runs scripts/signal/reference.py's `run` (the same forward and backward, hooks and statistics) on the model in float32
and again in float64 (the same float32 weights and input, cast), for each input seed and scheme, and prints the
worst relative difference of a std (output, activation, gradient, weight gradient) and how many values of the
BatchNorms named bn1 and bn2 changed sign (MobileNetV2's ReLU inputs). A model whose float32 run is itself more than 1e-3 from float64 cannot be a key within
signal.test.ts's 1e-3: any other summation order lands as far, on another side. For a block's bn1 in MobileNetV2
(ReLU, depthwise convolution, bn2 after it) it also checks that bn1's weight gradient is eps/(var + eps) of bn2's.

  /usr/bin/python3 scripts/signal/float64.py        (pytorch-cifar's MobileNetV2, two 32x32 images, input seeds 0-6)
  /usr/bin/python3 scripts/signal/float64.py NAME   (a case of reference.py, its schemes and input seed)
"""
import importlib.util
import os
import sys

import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
NAMES = sys.argv[1:]
sys.argv = sys.argv[:1]
_spec = importlib.util.spec_from_file_location('signal_reference', os.path.join(HERE, 'reference.py'))
ref = importlib.util.module_from_spec(_spec)
sys.modules['signal_reference'] = ref
_spec.loader.exec_module(ref)

MOBILENET = {'name': 'kuangliu-mobilenetv2', 'file': 'test/fixtures/realworld/kuangliu/pytorch-cifar/models/mobilenetv2.py',
             'model': 'MobileNetV2', 'build': 'MobileNetV2()', 'seed': 0, 'inputShape': [2, 3, 32, 32]}
CASE = next(c for c in ref.CASES if c['name'] == NAMES[0]) if NAMES else MOBILENET
SCHEMES = CASE.get('schemes', ['in-effect', 'he'])
INPUT_SEEDS = [CASE['inputSeed']] if 'inputSeed' in CASE else range(7)
EPS = 1e-5


def build(scheme, input_seed, double):
    ns = ref.namespace_of(CASE)
    torch.manual_seed(CASE['seed'])
    model = eval(CASE['build'], ns.__dict__)
    ref.apply_scheme(model, scheme, CASE['seed'])
    x = torch.randn(CASE['inputShape'], generator=torch.Generator().manual_seed(input_seed))
    if double:
        model, x = model.double(), x.double()
        # The output back in float32, so that run's float32 upstream gradient flows into the float64 graph exactly.
        model.register_forward_hook(lambda m, i, o: o.float())
    return model, x


def relu_inputs(scheme, input_seed, double):
    """The outputs of the BatchNorms named bn1 and bn2 (in MobileNetV2, those a ReLU reads)."""
    model, x = build(scheme, input_seed, double)
    got = {}
    for name, m in model.named_modules():
        if isinstance(m, nn.BatchNorm2d) and name.split('.')[-1] in ('bn1', 'bn2'):
            m.register_forward_hook(lambda mod, i, o, name=name: got.__setitem__(name, o.detach()))
    with torch.no_grad():
        model.train()(x)
    return got


def stds(layer):
    yield 'out', layer['out']['std']
    yield 'grad', layer['grad']['std']
    if layer['weightGrad']:
        yield 'weightGrad', layer['weightGrad']['std']
    if layer['act']:
        yield 'act', layer['act']['std']


def eps_identity(scheme, input_seed):
    """max over blocks and channels of |dγ1 − eps/(var2 + eps)·γ2/γ1·dγ2| / max |dγ1|, in float64."""
    model, x = build(scheme, input_seed, True)
    var2 = {}
    for name, m in model.named_modules():
        if name.endswith('.bn2'):
            m.register_forward_hook(lambda mod, i, o, name=name: var2.__setitem__(name, i[0].detach().var(dim=(0, 2, 3), unbiased=False)))
    out = model.train()(x)
    out.backward(torch.randn(out.shape, generator=torch.Generator().manual_seed(input_seed + 1)))
    mods = dict(model.named_modules())
    worst, ratio = 0.0, []
    for name in var2:
        b1, b2 = mods[name[:-1] + '1'], mods[name]
        predicted = EPS / (var2[name] + EPS) * b2.weight.detach() / b1.weight.detach() * b2.weight.grad
        worst = max(worst, ((b1.weight.grad - predicted).abs().max() / b1.weight.grad.abs().max()).item())
        ratio.append((b1.weight.grad.std() / b2.weight.grad.std()).item())
    return worst, min(ratio), max(ratio)


def main():
    print(f"{CASE['name']}: input seed, scheme, worst relative difference of a std float32 vs float64 (where), bn1/bn2 values that changed sign")
    for input_seed in INPUT_SEEDS:
        for scheme in SCHEMES:
            runs = [ref.run(*build(scheme, input_seed, double), input_seed + 1)['layers'] for double in (False, True)]
            worst, where = 0.0, ''
            for single, double in zip(*runs):
                for (what, a), (_, b) in zip(stds(single), stds(double)):
                    if abs(b) > 1e-7 and abs(a - b) / abs(b) > worst:
                        worst, where = abs(a - b) / abs(b), f"{single['name']} {what}"
            y32, y64 = relu_inputs(scheme, input_seed, False), relu_inputs(scheme, input_seed, True)
            flips = sum(int(((y32[n] > 0) != (y64[n] > 0)).sum()) for n in y64)
            print(f'  {input_seed} {scheme:9s} {worst:.2e} ({where}), {flips} flipped')
    if CASE is not MOBILENET:
        return
    worst, low, high = eps_identity('in-effect', 0)
    print(f'  blocks\' bn1 weight gradient = eps/(var2 + eps)·γ2/γ1·(bn2\'s), in float64: within {worst:.1e}; its std {low:.1e} to {high:.1e} of bn2\'s')


if __name__ == '__main__':
    main()
