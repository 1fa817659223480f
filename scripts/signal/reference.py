#!/usr/bin/python3
"""Answer keys for the signal engine (src/core/signal), made by real PyTorch (Debian's python3-torch 1.13).

For each case below, the model is built from its source (a small fixture written here, or a file of the real-world
corpus executed as it is, its imports that torch alone cannot satisfy stood in for), under torch.manual_seed(seed),
and run once forward and once backward, as the engine does:

- model.train(), every Dropout off (F.dropout and friends are the identity here, as every Dropout module in eval());
  BatchNorm therefore uses batch statistics;
- input x = torch.randn(shape, generator=torch.Generator().manual_seed(input_seed)), float32;
- upstream gradient g = torch.randn(out.shape, generator=torch.Generator().manual_seed(input_seed + 1));
  out.backward(g);
- schemes: 'in-effect' is the model as built; every other one is torch.manual_seed(seed) again, then for each Linear,
  Conv1d and Conv2d in model.modules() order init(weight) and zeros_(bias); norm layers get weight 1 and bias 0.
  'recommended' is the same with each layer's init written out below by InitLens's published rule (He before the
  ReLU family, Xavier with tanh's gain before tanh, Xavier at the output).

Per layer with parameters, in the order forward calls them (named_modules() names): mean and std of its output; the
first activation its output reaches through norms, dropout, pooling and reshapes when each step has one consumer
(mean, std, fraction of exact zeros, fraction saturated for tanh |y| > 0.99 and sigmoid y < 0.01 or > 0.99, else
None); std of the gradient with respect to its output (a zero added to the output, whose .grad is that gradient
even when an in-place activation follows) and of its weight's gradient; and the output's std. std is unbiased
(torch.std's default), computed in float64 from the float32 tensors. Nothing here reads InitLens code or output.

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

def tanh_recommended(name, w):
    # InitLens's rule (README "How InitLens reads a model"): Xavier with tanh's gain 5/3 before tanh, Xavier (gain 1) at the output.
    nn.init.xavier_normal_(w, gain=5 / 3 if name != '22' else 1.0)


def relu_recommended(name, w):
    # He (kaiming_normal_, fan_in, ReLU) before ReLU; Xavier (gain 1) at the output.
    if name == 'layers.28':
        nn.init.xavier_normal_(w)
    else:
        nn.init.kaiming_normal_(w, mode='fan_in', nonlinearity='relu')


ALL = ['in-effect', 'zeros', 'constant', 'normal', 'xavier', 'he', 'lecun', 'orthogonal']

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

CASES = [
    # The article's case: a deep tanh MLP, where N(0, 0.01) vanishes and Xavier keeps the signal.
    {'name': 'deep-tanh', 'text': _sequential(256, 12, 'Tanh'), 'model': 'model', 'build': 'model', 'seed': 0, 'inputSeed': 1, 'inputShape': [8, 256], 'schemes': ALL + ['recommended'], 'recommended': tanh_recommended},
    # ... and a deep ReLU MLP, where He keeps it.
    {'name': 'deep-relu', 'text': DEEP_RELU, 'model': 'DeepReLU', 'build': 'DeepReLU()', 'seed': 3, 'inputSeed': 7, 'inputShape': [8, 256], 'schemes': ALL + ['recommended'], 'recommended': relu_recommended},
    {'name': 'small-cnn', 'text': CNN, 'model': 'SmallCNN', 'build': 'SmallCNN()', 'seed': 42, 'inputSeed': 0, 'inputShape': [8, 3, 32, 32], 'schemes': ALL},
    {'name': 'residual-mlp', 'text': RESIDUAL_MLP, 'model': 'ResidualMLP', 'build': 'ResidualMLP()', 'seed': 1, 'inputSeed': 2, 'inputShape': [8, 20], 'schemes': ALL},
    {'name': 'conv-shapes', 'text': CONV_SHAPES, 'model': 'ConvShapes', 'build': 'ConvShapes()', 'seed': 11, 'inputSeed': 4, 'inputShape': [3, 3, 17, 19], 'schemes': ['in-effect', 'he', 'orthogonal']},
    {'name': 'conv1d', 'text': CONV1D, 'model': 'Conv1dNet', 'build': 'Conv1dNet()', 'seed': 5, 'inputSeed': 5, 'inputShape': [8, 4, 32], 'schemes': ['in-effect', 'he', 'orthogonal']},
    # Files of the real-world corpus, executed as they are.
    {'name': 'mnist-net', 'file': 'test/fixtures/realworld/pytorch/examples/mnist/main.py', 'model': 'Net', 'build': 'Net()', 'seed': 0, 'inputSeed': 0, 'inputShape': [4, 1, 28, 28], 'schemes': ['in-effect', 'normal', 'he']},
    # The project's own deep example: 50 ReLU layers over a ModuleList, looped in forward.
    {'name': 'deep-mlp-example', 'file': 'examples/deep_mlp.py', 'model': 'DeepMLP', 'build': 'DeepMLP()', 'seed': 0, 'inputSeed': 3, 'inputShape': [2, 512], 'schemes': ['in-effect', 'normal', 'xavier', 'he']},
    # Composite models (classes of the file inside classes): every instance's layers under its named_modules() name.
    {'name': 'composite-blocks', 'text': BLOCKS, 'model': 'Blocks', 'build': 'Blocks()', 'seed': 2, 'inputSeed': 6, 'inputShape': [8, 20], 'schemes': ['in-effect', 'normal', 'xavier', 'he', 'orthogonal'], 'exact': True},
    {'name': 'composite-root-init', 'text': ROOT_INIT, 'model': 'RootInit', 'build': 'RootInit()', 'seed': 9, 'inputSeed': 1, 'inputShape': [4, 3, 16, 16], 'schemes': ['in-effect', 'he', 'zeros'], 'exact': True},
    # nn.init inside a child's __init__ runs between constructors: the weights in effect are "distribution only" in
    # InitLens, so only the other schemes are keys (and 'exact': False says so).
    {'name': 'composite-child-init', 'text': CHILD_INIT, 'model': 'ChildInit', 'build': 'ChildInit()', 'seed': 4, 'inputSeed': 2, 'inputShape': [6, 12], 'schemes': ['xavier', 'he'], 'exact': False},
    # kuangliu's ResNet18 (MIT) as its builder ResNet18() makes it: _make_layer's Sequential of BasicBlocks.
    {'name': 'kuangliu-resnet18', 'file': 'test/fixtures/realworld/kuangliu/pytorch-cifar/models/resnet.py', 'model': 'ResNet', 'pick': 'ResNet18', 'build': 'ResNet18()', 'seed': 0, 'inputSeed': 0, 'inputShape': [2, 3, 32, 32], 'schemes': ['in-effect', 'he'], 'exact': True},
    # The torchvision-style ResNet-18 of examples/ (the benchmark's model): a root modules() init loop over every instance.
    {'name': 'example-resnet18', 'file': 'examples/resnet18.py', 'model': 'ResNet', 'pick': 'resnet18', 'build': 'resnet18()', 'seed': 0, 'inputSeed': 3, 'inputShape': [1, 3, 64, 64], 'schemes': ['in-effect', 'xavier'], 'exact': True},
    {'name': 'cifar-lenet', 'file': 'test/fixtures/realworld/kuangliu/pytorch-cifar/models/lenet.py', 'model': 'LeNet', 'build': 'LeNet()', 'seed': 0, 'inputSeed': 0, 'inputShape': [8, 3, 32, 32], 'schemes': ['in-effect', 'xavier', 'he']},
]

# ----------------------------------------------------------------------------------------------------------------

WEIGHT_TYPES = (nn.Linear, nn.Conv1d, nn.Conv2d)
NORM_TYPES = (nn.BatchNorm1d, nn.BatchNorm2d, nn.LayerNorm)
LAYER_TYPES = WEIGHT_TYPES + NORM_TYPES


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
    elif scheme == 'orthogonal':
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
            elif isinstance(m, NORM_TYPES) and getattr(m, 'weight', None) is not None:
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)


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


def run(model, x, g_seed):
    """One forward and backward pass; the per-layer record in forward order."""
    producers, inside = {}, [0]
    records = []
    handles = []
    for qual, m in model.named_modules():
        if qual == '' or not isinstance(m, LEAVES):
            continue

        def pre(module, inputs):
            inside[0] += 1

        def post(module, inputs, output, qual=qual):
            if isinstance(module, LAYER_TYPES):
                out = output.detach().double()
                probe = torch.zeros_like(output, requires_grad=True)
                output = output + probe
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
        if isinstance(m, nn.modules.dropout._DropoutNd):
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
        w = getattr(rec['module'], 'weight', None)
        layers.append({
            'name': rec['name'],
            'type': rec['type'],
            'out': rec['out'],
            'act': activation_after(rec['node']),
            'grad': {'std': rec['probe'].grad.double().std().item()},
            'weightGrad': {'std': w.grad.double().std().item()} if w is not None else None,
        })
    return {'output': {'std': out.detach().double().std().item()}, 'layers': layers}


def namespace_of(case):
    if 'file' in case:
        path = os.path.join(ROOT, case['file'])
        with open(path, encoding='utf8') as f:
            text = f.read()
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
    for case in CASES:
        runs = []
        first_input = None
        for scheme in case['schemes']:
            ns = namespace_of(case)
            torch.manual_seed(case['seed'])
            model = eval(case['build'], ns.__dict__) if case['build'] != 'model' else ns.model
            apply_scheme(model, scheme, case['seed'], case.get('recommended'))
            x = torch.randn(case['inputShape'], generator=torch.Generator().manual_seed(case['inputSeed']))
            first_input = x.flatten()[:4].tolist()
            result = run(model, x, case['inputSeed'] + 1)
            runs.append({'scheme': scheme, **result})
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
