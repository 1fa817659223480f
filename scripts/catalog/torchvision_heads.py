"""The classifier heads of torchvision's classification architectures, read from the built models.

Run with Debian's python3-torchvision (0.14) as /usr/bin/python3:
    /usr/bin/python3 scripts/catalog/torchvision_heads.py > test/fixtures/catalog/torchvision_heads.json
Each architecture is built with weights=None (nothing is downloaded) and its last nn.Linear is the head:
its path in named_modules() and its in_features / out_features with the default num_classes.
test/unit/libraryModels.test.ts compares src/core/model/catalog.ts's table with this file.
"""
import json
import sys

import torch
import torchvision
import torchvision.models as M

NAMES = [
    'resnet18', 'resnet34', 'resnet50', 'resnet101', 'resnet152', 'resnext50_32x4d', 'resnext101_32x8d',
    'wide_resnet50_2', 'wide_resnet101_2', 'vgg11', 'vgg11_bn', 'vgg13', 'vgg13_bn', 'vgg16', 'vgg16_bn', 'vgg19',
    'vgg19_bn', 'alexnet', 'densenet121', 'densenet161', 'densenet169', 'densenet201', 'mobilenet_v2',
    'mobilenet_v3_small', 'mobilenet_v3_large', 'efficientnet_b0', 'efficientnet_b1', 'efficientnet_b2',
    'efficientnet_b3', 'efficientnet_b4', 'efficientnet_b5', 'efficientnet_b6', 'efficientnet_b7',
    'shufflenet_v2_x1_0', 'convnext_tiny', 'convnext_small', 'convnext_base', 'convnext_large', 'mnasnet1_0',
    'googlenet', 'inception_v3', 'vit_b_16', 'vit_b_32', 'vit_l_16', 'swin_t',
]

out = {'torch': torch.__version__, 'torchvision': torchvision.__version__, 'models': {}}
for name in NAMES:
    kwargs = {'aux_logits': False, 'init_weights': False} if name in ('googlenet', 'inception_v3') else {}
    model = getattr(M, name)(weights=None, **kwargs)
    linears = [(path, m) for path, m in model.named_modules() if isinstance(m, torch.nn.Linear)]
    path, head = linears[-1]
    out['models'][name] = {'head': path, 'in_features': head.in_features, 'out_features': head.out_features}
json.dump(out, sys.stdout, indent=1)
print()
