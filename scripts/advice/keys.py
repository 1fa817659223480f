"""The answer keys of the advice corpora, measured in real PyTorch (not from InitLens).

Every model of test/fixtures/advice/{healthy,broken} is built as its file builds it (the file's own
classes and init code, executed here; the two Keras files as PyTorch modules of the same layer sizes,
initializers and order, written below from their source), run forward on a seeded N(0, 1) input in
training mode (BatchNorm on batch statistics, Dropout off, as the signal engine runs it) and backward
from a seeded N(0, 1) upstream gradient at the output. For every weight layer (Linear, Conv*,
ConvTranspose*, Embedding) it records, per call:

  p  = rms of the layer's input (sqrt(mean(x^2)): second moments are what propagate, gain.ts),
  q  = rms of the gradient with respect to that input,
  identical units: every row of the weight (one output unit's weights) equal to the first.

THE THRESHOLDS (the README's, "What InitLens recommends and why"; nothing else decides):

1. Identical units. A layer whose weight rows are all equal (constant or zero init) computes the
   same output in every unit: a warning, except on the output layer (the last weight layer run),
   whose units the loss drives apart (the script reports that the gradient rows of such a layer
   differ: `gradRowsDiffer`).
2. Shrink or growth beyond 100x over the layers like it. The weight layers (embeddings aside) and the
   normalizers (a class whose name has "Norm": BatchNorm*, LayerNorm, GroupNorm, a file's own
   LayerNorm) are taken in the order they run. The points of the profile are their inputs:
   P = log p (forward), Q = log q (backward). A normalizer re-normalizes, so the layers like a layer
   are those of its *normalizer-free run*: the points from the weight layer after a normalizer (or
   the first) to the next normalizer's input (or the output layer's input), as the README's
   normalizer rule says the chain stops there. Layer k's own gain is f_k = p_{k+1}/p_k (from its
   input to the next point: the layer, its activation, pooling, a residual sum in between) and
   b_k = q_k/q_{k+1} (the gradient the other way). A run of points i <= k < j changes the signal
   by exp(P_j - P_i) and the gradient by exp(Q_i - Q_j). A hidden layer k is a warning when a run
   i <= k < j of its segment changes it by more than LIMIT = 100x, in the pass (forward or
   backward) whose largest change in the segment is the larger (gain.ts: "the forward or backward
   compound farther from 1"), and the layer itself moves it that way by more than OWN = 10%
   (f_k or b_k < 1/1.1 in a shrinking run, > 1.1 in a growing one): the layers like it are the
   ones that compound the problem; one that goes against the run, or is neutral, is not at fault.
   Residual branches: a segment that ends on a sum one of whose terms was computed before the
   segment began (autograd graph: `rejoins`) is a branch around a skip (pre-LN transformers,
   pre-activation ResNets). The skip carries the signal and the gradient past it, and a branch that
   starts small is the design of Fixup (Zhang et al. 2019), ReZero, zero-γ (Goyal et al. 2017) and
   GPT-2's 1/√(2·n_layer): only its growth counts. A residual net without normalizers has no such
   segment boundary: its whole sum is one run, and the sum's growth is measured as such.
3. The output layer is judged alone (the README's output rule): its own gain rms(output)/rms(input),
   forward or backward, beyond 100x.
4. Embeddings read indices: no gain; only rule 1 (they are never at fault for identical rows either,
   as every row is a different token: not checked).

5. Pretrained layers (the transfer-learning files of test/fixtures/advice/healthy, their loads listed in
   pretrained.json from the files' own code and documentation): a layer whose values a documented load
   overwrites (torchvision `weights=...`/`pretrained=True`) is not initialized at random, so no init
   advice applies: keyed `ok` with rule `pretrained` (the level and rule of InitLens's verdict for a
   loaded layer), never measured. The weights cannot be downloaded offline: the model is built on
   torchvision's own code path with `WeightsEnum.get_state_dict` returning the state dict of the same
   architecture built at random (outside the seeded stream, torch.random.fork_rng), so what is loaded is
   not ImageNet's, and only which layers are loaded is keyed. A layer added or replaced after the load (a
   new head) starts at random and is measured by rules 1-3 on what the backbone feeds it: the backbone's
   output on the seeded input, run like every model here (training mode, BatchNorm on batch statistics,
   which the pretrained BatchNorm's affine parameters would rescale: the spread is the random backbone's,
   documented as such). A zero output layer (every weight 0, gradient rows differing) is the README's
   exception of rule 1 ("a zero output layer is fine"): it outputs its bias alone, so its gains are 0 by
   design and not judged by rule 3.

A corpus key `Class.attr` (the class that holds the layer as an attribute, and the attribute path,
as InitLens names layers) gathers every instance of that layer in the model(s) built; its level is
`warning` when any instance is one. A layer of a library model built at module level
(`model_ft = resnet18(...)`, no class of the file around it) is keyed `variable.path` as InitLens
names a module-level model (`model_ft.fc`). Output (committed as test/fixtures/advice/<corpus>/keys.json):

    /usr/bin/python3 scripts/advice/keys.py healthy > test/fixtures/advice/healthy/keys.json
    /usr/bin/python3 scripts/advice/keys.py broken > test/fixtures/advice/broken/keys.json
"""
import argparse
import ast
import contextlib
import datetime
import json
import math
import os
import sys
import types
import warnings

import torch
import torch.nn as nn

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
LIMIT = 100.0
OWN = 1.1
SEED = 0
INPUT_SEED = 1
WEIGHT_TYPES = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.ConvTranspose1d, nn.ConvTranspose2d, nn.ConvTranspose3d, nn.Embedding)
CONTAINERS = (nn.Sequential, nn.ModuleList, nn.ModuleDict)


def load(path, keep_all=True, extra=None):
    """The file's module namespace. keep_all=False runs only its imports, functions, classes and
    constant assignments (for scripts whose top level parses arguments and trains)."""
    text = open(os.path.join(ROOT, path)).read()
    tree = ast.parse(text)
    if not keep_all:
        ok = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.ClassDef)
        tree.body = [n for n in tree.body if isinstance(n, ok)]
    name = "corpus_" + os.path.splitext(os.path.basename(path))[0]
    mod = types.ModuleType(name)
    mod.__dict__.update(extra or {})
    sys.modules[name] = mod
    exec(compile(tree, path, "exec"), mod.__dict__)
    return mod


def keras_he_normal_(w):
    # keras.initializers.HeNormal: truncated normal, stddev sqrt(2 / fan_in) / .87962566103423978, cut at 2 stddev.
    fan_in = w[0].numel()
    std = math.sqrt(2.0 / fan_in) / 0.87962566103423978
    nn.init.trunc_normal_(w, 0.0, std, -2 * std, 2 * std)


def keras_dense(i, o):
    # keras Dense defaults: glorot_uniform kernel, zeros bias.
    lin = nn.Linear(i, o)
    nn.init.xavier_uniform_(lin.weight)
    nn.init.zeros_(lin.bias)
    return lin


class KerasModule(nn.Module):
    """Marks the PyTorch equivalents of Keras classes as the file's own (their names are the key's)."""


def keras_models():
    """The Keras files of the healthy corpus as PyTorch modules of the same sizes, order and initializers."""

    # keras-team/keras examples/demo_subclass.py: MyModel(hidden_dim=256, output_dim=16) on x of shape (., 128).
    class MyModel(KerasModule):
        def __init__(self, hidden_dim, output_dim):
            super().__init__()
            self.dense1 = keras_dense(128, hidden_dim)
            self.dense2 = keras_dense(hidden_dim, hidden_dim)
            self.dense3 = keras_dense(hidden_dim, output_dim)

        def forward(self, x):
            return self.dense3(torch.relu(self.dense2(torch.relu(self.dense1(x)))))

    # tensorflow/examples densenet.py (channels_first here): he_normal convolutions without bias,
    # BatchNormalization(epsilon=1e-3), bottleneck ConvBlocks concatenated in DenseBlocks.
    def conv(i, o, k, stride=1):
        c = nn.Conv2d(i, o, k, stride=stride, padding=k // 2, bias=False)
        keras_he_normal_(c.weight)
        return c

    def bn(c):
        return nn.BatchNorm2d(c, eps=1e-3, momentum=0.01)

    class ConvBlock(KerasModule):
        def __init__(self, cin, num_filters, bottleneck):
            super().__init__()
            self.bottleneck = bottleneck
            inter = num_filters * 4
            self.batchnorm1 = bn(cin)
            if bottleneck:
                self.conv1 = conv(cin, inter, 1)
                self.batchnorm2 = bn(inter)
            self.conv2 = conv(inter if bottleneck else cin, num_filters, 3)

        def forward(self, x):
            out = self.batchnorm1(x)
            if self.bottleneck:
                out = self.batchnorm2(self.conv1(torch.relu(out)))
            return self.conv2(torch.relu(out))

    class TransitionBlock(KerasModule):
        def __init__(self, cin, num_filters):
            super().__init__()
            self.batchnorm = bn(cin)
            self.conv = conv(cin, num_filters, 1)
            self.avg_pool = nn.AvgPool2d(2)

        def forward(self, x):
            return self.avg_pool(self.conv(torch.relu(self.batchnorm(x))))

    class DenseBlock(KerasModule):
        def __init__(self, cin, num_layers, growth_rate, bottleneck):
            super().__init__()
            self.blocks = nn.ModuleList([ConvBlock(cin + i * growth_rate, growth_rate, bottleneck) for i in range(num_layers)])

        def forward(self, x):
            for b in self.blocks:
                x = torch.cat([x, b(x)], 1)
            return x

    class DenseNet(KerasModule):
        # DenseNet(mode="from_depth", growth_rate=12, output_classes=10, depth_of_model=40, num_of_blocks=3), bottleneck=True:
        # calc_from_depth gives (40 - 4) / 3 // 2 = 6 layers per block; compression 0.5.
        def __init__(self, growth_rate=12, output_classes=10, depth=40, blocks=3, compression=0.5):
            super().__init__()
            per_block = int((depth - 4) / 3) // 2
            filters = 2 * growth_rate
            self.conv1 = conv(3, filters, 3)
            dense, trans = [], []
            c = filters
            for i in range(blocks):
                dense.append(DenseBlock(c, per_block, growth_rate, True))
                c = c + growth_rate * per_block
                if i + 1 < blocks:
                    nxt = int(c * compression)
                    trans.append(TransitionBlock(c, nxt))
                    c = nxt
            self.dense_blocks = nn.ModuleList(dense)
            self.transition_blocks = nn.ModuleList(trans)
            self.batchnorm2 = bn(c)
            self.classifier = keras_dense(c, output_classes)

        def forward(self, x):
            out = self.conv1(x)
            for i in range(len(self.transition_blocks)):
                out = self.transition_blocks[i](self.dense_blocks[i](out))
            out = torch.relu(self.batchnorm2(self.dense_blocks[-1](out)))
            return self.classifier(out.mean(dim=(2, 3)))

    return MyModel, DenseNet


def keras_sequential(var, input_dim, dense):
    """A Keras `var = keras.Sequential([Dense(units, activation) ...])` of default Dense layers as PyTorch,
    its layers named as Keras names them (dense, dense_1, ...) in a class named after the variable."""
    acts = {"relu": torch.relu, "softmax": lambda t: torch.softmax(t, -1), None: lambda t: t}

    def init(self):
        KerasModule.__init__(self)
        fan = input_dim
        self.names = []
        for i, (units, _) in enumerate(dense):
            name = "dense" if i == 0 else f"dense_{i}"
            setattr(self, name, keras_dense(fan, units))
            self.names.append(name)
            fan = units

    def forward(self, x):
        for name, (_, act) in zip(self.names, dense):
            x = acts[act](getattr(self, name)(x))
        return x

    return type(var, (KerasModule,), {"__init__": init, "forward": forward})()


def cifar(path, *builders):
    def build():
        mod = load(path)
        return [(getattr(mod, b)() if isinstance(b, str) else b(mod), (8, 3, 32, 32), "float") for b in builders]

    return build


def dcgan():
    opt = argparse.Namespace(latent_dim=100, img_size=32, channels=1)
    mod = load("test/fixtures/realworld/eriklindernoren/PyTorch-GAN/implementations/dcgan/dcgan.py", keep_all=False, extra={"opt": opt})
    g, d = mod.Generator(), mod.Discriminator()
    # dcgan.py lines 115-116.
    g.apply(mod.weights_init_normal)
    d.apply(mod.weights_init_normal)
    return [(g, (16, 100), "float"), (d, (16, 1, 32, 32), "float")]


def nanogpt():
    mod = load("test/fixtures/realworld/karpathy/nanoGPT/model.py")
    cfg = mod.GPTConfig()
    return [(mod.GPT(cfg), (2, 64), ("index", cfg.vocab_size))]


def keras_demo():
    MyModel, _ = keras_models()
    return [(MyModel(hidden_dim=256, output_dim=16), (256, 128), "float")]


def keras_densenet():
    _, DenseNet = keras_models()
    return [(DenseNet(), (8, 3, 32, 32), "float")]


def small(path, cls, shape):
    def build():
        return [(getattr(load(path), cls)(), shape, "float")]

    return build


@contextlib.contextmanager
def offline_weights():
    """torchvision's pretrained code path without the download: `WeightsEnum.get_state_dict` returns the
    state dict of the same architecture built at random (`ResNet18_Weights` -> resnet18), outside the
    seeded stream, so the file's own construction draws exactly what it draws with the real weights."""
    import torchvision
    from torchvision.models._api import WeightsEnum

    real = WeightsEnum.get_state_dict

    def state(self, progress=True):
        arch = type(self).__name__[: -len("_Weights")].lower()
        with torch.random.fork_rng():
            return getattr(torchvision.models, arch)(weights=None).state_dict()

    WeightsEnum.get_state_dict = state
    try:
        yield torchvision
    finally:
        WeightsEnum.get_state_dict = real


T = "test/fixtures/advice/healthy/"


def loaded(model, why, root=None, skip=()):
    """The transfer record of a model: its weight layers loaded by `why` (a load of pretrained.json), keyed
    under `root` when no class of the file holds them; `skip`: modules not keyed at all."""
    return {"root": root, "pretrained": {m: why for m in model.modules() if isinstance(m, WEIGHT_TYPES)}, "skip": set(skip)}


def tutorial():
    # 9bow transfer_learning_tutorial.py lines 256-258 and 299-305 (use_gpu off), batch_size=4 and
    # 224x224 crops normalized to ImageNet's mean and std (the file's data_transforms): a seeded (4, 3, 224, 224).
    out = []
    with offline_weights() as torchvision, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torchvision's deprecation of pretrained=True (it maps to IMAGENET1K_V1)
        for var, line in (("model_ft", 256), ("model_conv", 299)):
            model = torchvision.models.resnet18(pretrained=True)
            if var == "model_conv":
                for param in model.parameters():
                    param.requires_grad = False
            t = loaded(model, f"resnet18(pretrained=True), line {line}: ImageNet weights loaded after construction", root=var)
            num_ftrs = model.fc.in_features
            model.fc = nn.Linear(num_ftrs, 2)
            # The loaded fc is replaced: only the layers still in the model are loaded ones.
            kept = set(model.modules())
            t["pretrained"] = {m: w for m, w in t["pretrained"].items() if m in kept and m is not model.fc}
            out.append((model, (4, 3, 224, 224), "float", t))
    return out


def convert():
    # pytorch/examples cpp/transfer-learning/convert.py line 8; its `resnet18` Sequential (line 15) holds the same modules.
    with offline_weights() as torchvision:
        model = torchvision.models.resnet18(weights=torchvision.models.ResNet18_Weights.IMAGENET1K_V1)
    return [(model, (1, 3, 224, 224), "float", loaded(model, "resnet18(weights=IMAGENET1K_V1), line 8: ImageNet weights loaded after construction", root="model"))]


def fast_style_vgg():
    # pytorch/examples fast_neural_style/neural_style/vgg.py: Vgg16() keeps features[0:23] of vgg16(weights=IMAGENET1K_V1) (line 10).
    with offline_weights():
        model = load(T + "pytorch/examples/fast_neural_style/neural_style/vgg.py").Vgg16()
    return [(model, (1, 3, 224, 224), "float", loaded(model, "vgg16(weights=IMAGENET1K_V1).features, line 10: ImageNet weights loaded after construction"))]


def tflite_mobilenet():
    # tensorflow/examples generate_training_model.py: the head only (the layers beyond the application). `ws` =
    # tf.zeros((7*7*1280, 4)), `bs` = tf.zeros((1, 4)), logits = bottleneck @ ws + bs (lines 40-46, 112). Its input,
    # the bottleneck, is MobileNetV2(alpha=1.0, include_top=False, weights='imagenet') at 224x224 (line 50), here
    # torchvision's MobileNetV2 features (the same architecture, Sandler et al. 2018; NCHW, so the 62720 features
    # are in another order, which a zero head does not see), not keyed (the brief of this corpus: only the head).
    import torchvision

    class TransferLearningModel(KerasModule):
        def __init__(self):
            super().__init__()
            self.ws = nn.Linear(7 * 7 * 1280, 4)
            nn.init.zeros_(self.ws.weight)
            nn.init.zeros_(self.ws.bias)
            self.base = torchvision.models.mobilenet_v2(weights=None).features

        def forward(self, x):
            return self.ws(self.base(x).reshape(-1, 7 * 7 * 1280))

    model = TransferLearningModel()
    return [(model, (4, 3, 224, 224), "float", {"root": None, "pretrained": {}, "skip": set(model.base.modules())})]


HEALTHY = {
    "test/fixtures/realworld/kuangliu/pytorch-cifar/models/resnet.py": cifar("test/fixtures/realworld/kuangliu/pytorch-cifar/models/resnet.py", "ResNet18", "ResNet50"),
    "test/fixtures/realworld/kuangliu/pytorch-cifar/models/vgg.py": cifar("test/fixtures/realworld/kuangliu/pytorch-cifar/models/vgg.py", lambda m: m.VGG("VGG11")),
    "test/fixtures/realworld/kuangliu/pytorch-cifar/models/mobilenetv2.py": cifar("test/fixtures/realworld/kuangliu/pytorch-cifar/models/mobilenetv2.py", "MobileNetV2"),
    "test/fixtures/realworld/kuangliu/pytorch-cifar/models/preact_resnet.py": cifar("test/fixtures/realworld/kuangliu/pytorch-cifar/models/preact_resnet.py", "PreActResNet18", "PreActResNet50"),
    "test/fixtures/realworld/karpathy/nanoGPT/model.py": nanogpt,
    "test/fixtures/realworld/tensorflow/examples/tensorflow_examples/models/densenet/densenet.py": keras_densenet,
    "test/fixtures/realworld/keras-team/keras/examples/demo_subclass.py": keras_demo,
    "test/fixtures/realworld/pytorch/examples/mnist/main.py": lambda: [(load("test/fixtures/realworld/pytorch/examples/mnist/main.py").Net(), (8, 1, 28, 28), "float")],
    "test/fixtures/realworld/eriklindernoren/PyTorch-GAN/implementations/dcgan/dcgan.py": dcgan,
    T + "9bow/PyTorch-tutorials-kr-0.3.1/beginner_source/transfer_learning_tutorial.py": tutorial,
    T + "pytorch/examples/cpp/transfer-learning/convert.py": convert,
    T + "pytorch/examples/fast_neural_style/neural_style/vgg.py": fast_style_vgg,
    T + "tensorflow/examples/lite/examples/model_personalization/transfer_learning/generate_training_model.py": tflite_mobilenet,
}

B = "test/fixtures/advice/broken/"
BROKEN = {
    # keras_glorot_relu_16.py: Dense(256, relu, input_shape=(784,)), 15 x Dense(256, relu), Dense(10, softmax).
    "keras_glorot_relu_16.py": lambda: [(keras_sequential("model", 784, [(256, "relu")] * 16 + [(10, "softmax")]), (256, 784), "float")],
    "constant.py": small(B + "constant.py", "ConstantMLP", (256, 784)),
    "he_sigmoid_deep.py": small(B + "he_sigmoid_deep.py", "DeepSigmoid", (256, 256)),
    "residual_no_norm.py": small(B + "residual_no_norm.py", "ResMLP", (256, 784)),
    "small_normal_deep.py": small(B + "small_normal_deep.py", "DeepMLP", (256, 784)),
    "xavier_relu_20.py": small(B + "xavier_relu_20.py", "XavierReLU20", (256, 256)),
    "zeros.py": small(B + "zeros.py", "ZeroMLP", (256, 784)),
}


def own_class(module):
    """Whether a module's class is one the corpus file (or this script, for Keras) defines."""
    return type(module).__module__.startswith("corpus_") or isinstance(module, KerasModule)


def key_names(model, root=None):
    """leaf module -> `Class.attr.path` as InitLens names it: the nearest enclosing class of the file;
    `root.path` for a library model a module-level variable `root` holds."""
    names = {}
    prefix = {}
    for name, m in model.named_modules():
        prefix[name] = m
    for name, m in model.named_modules():
        if not isinstance(m, WEIGHT_TYPES):
            continue
        parts = name.split(".")
        for cut in range(len(parts) - 1, -1, -1):
            owner = prefix[".".join(parts[:cut])] if cut > 0 else model
            if own_class(owner) and not isinstance(owner, CONTAINERS):
                names[m] = f"{type(owner).__name__}.{'.'.join(parts[cut:])}"
                break
        else:
            if root is not None:
                names[m] = f"{root}.{name}"
    return names


def rms(t):
    return math.sqrt(t.detach().double().pow(2).mean().item())


def is_normalizer(m):
    # BatchNorm*, LayerNorm, GroupNorm, InstanceNorm, and a file's own `class LayerNorm` (nanoGPT).
    return "Norm" in type(m).__name__ and not isinstance(m, WEIGHT_TYPES)


def measure(model, shape, kind):
    """Forward and backward once; the calls of weight layers and normalizers in the order they ran."""
    for m in model.modules():
        if hasattr(m, "inplace"):
            m.inplace = False
    model.train()
    for m in model.modules():
        if isinstance(m, (nn.Dropout, nn.Dropout1d, nn.Dropout2d, nn.Dropout3d, nn.AlphaDropout)):
            m.eval()
    gen = torch.Generator().manual_seed(INPUT_SEED)
    if kind == "float":
        x = torch.randn(*shape, generator=gen).requires_grad_(True)
    else:
        x = torch.randint(0, kind[1], shape, generator=gen)
    calls = []

    def pre(m, args):
        a = args[0]
        if a.requires_grad:
            a.retain_grad()
        calls.append({"module": m, "input": a})

    def post(m, args, out):
        # Weight layers and normalizers hold no hooked module inside: the last call recorded is this one.
        calls[-1]["output"] = out
        if out.requires_grad:
            out.retain_grad()

    hooks = []
    for m in model.modules():
        if isinstance(m, WEIGHT_TYPES) or is_normalizer(m):
            hooks += [m.register_forward_pre_hook(pre), m.register_forward_hook(post)]
    y = model(x)
    if isinstance(y, tuple):
        y = y[0]
    up = torch.randn(y.shape, generator=torch.Generator().manual_seed(INPUT_SEED + 1))
    (y * up).sum().backward()
    for h in hooks:
        h.remove()
    return calls


def identical_rows(w):
    rows = w.detach().reshape(w.shape[0], -1)
    return rows.shape[0] > 1 and bool((rows - rows[0:1]).abs().max().item() == 0)


def rejoins(t, start, limit=20000):
    """Whether t is a sum one of whose terms was computed before `start` (a skip around the segment that begins at start)."""
    node = t.grad_fn
    while node is not None and type(node).__name__ in ("ViewBackward0", "CloneBackward0", "ReshapeAliasBackward0"):
        node = node.next_functions[0][0]
    if node is None or type(node).__name__ != "AddBackward0":
        return False
    target = start.grad_fn if start.grad_fn is not None else None

    def contains(root):
        if target is None:
            return False
        seen, stack = set(), [root]
        while stack and len(seen) < limit:
            n = stack.pop()
            if n is None or n in seen:
                continue
            if n is target:
                return True
            seen.add(n)
            stack.extend(f for f, _ in n.next_functions)
        return False

    terms = [f for f, _ in node.next_functions]
    return len(terms) == 2 and any(not contains(t) for t in terms) and any(contains(t) for t in terms)


def log_rms(t):
    v = rms(t) if t is not None else 0.0
    return math.log(v) if v > 0 else -745.0


def classify(models):
    """Every call's figures and level, by the thresholds of the module docstring."""
    out = []
    lim = math.log(LIMIT)
    for model, shape, kind, *rest in models:
        transfer = rest[0] if rest else {"root": None, "pretrained": {}, "skip": set()}
        names = key_names(model, transfer["root"])
        pretrained = transfer["pretrained"]
        for m, why in pretrained.items():
            out.append({"key": names[m], "type": type(m).__name__, "shape": list(m.weight.shape), "level": "ok", "rule": "pretrained", "why": f"pretrained: {why}; not initialized at random, no init advice"})
        if all(m in pretrained or m in transfer["skip"] for m in model.modules() if isinstance(m, WEIGHT_TYPES)):
            continue
        calls = measure(model, shape, kind)
        events = [c for c in calls if not isinstance(c["module"], nn.Embedding)]
        weights = [i for i, c in enumerate(events) if not is_normalizer(c["module"])]
        last = weights[-1]
        P = [log_rms(c["input"]) for c in events]
        Q = [log_rms(c["input"].grad if c["input"].requires_grad else None) for c in events]
        # Segments: the points from a weight layer after a normalizer (or the start) to the next normalizer's input (or the output layer's input).
        segment, seg = [], 0
        for c in events:
            segment.append(seg)
            if is_normalizer(c["module"]):
                seg += 1
        # A segment that closes on a residual sum with a skip from before it is a residual branch.
        branch = {}
        for e, c in enumerate(events):
            if e == 0 or segment[e] != segment[e - 1]:
                first = e
            closes = (is_normalizer(c["module"]) or e == last) and e != first
            if closes:
                branch[segment[e]] = rejoins(c["input"], events[first]["input"])
        for e in weights:
            c = events[e]
            m = c["module"]
            if m in pretrained or m in transfer["skip"]:
                continue
            rec = {"key": names.get(m, type(m).__name__), "type": type(m).__name__, "shape": list(m.weight.shape)}
            rec["identicalUnits"] = identical_rows(m.weight)
            if rec["identicalUnits"]:
                rec["gradRowsDiffer"] = m.weight.grad is not None and not identical_rows(m.weight.grad)
            if e == last:
                f = math.exp(log_rms(c["output"]) - P[e])
                b = math.exp(Q[e] - log_rms(c["output"].grad))
                extreme = any(v > LIMIT or v < 1 / LIMIT for v in (f, b))
                rec.update({"output": True, "forward": f, "backward": b, "level": "warning" if extreme else "ok"})
                rec["why"] = f"output layer, judged alone: forward x{f:.3g}, backward x{b:.3g}" + (": beyond 100x" if extreme else "")
            else:
                f, b = math.exp(P[e + 1] - P[e]), math.exp(Q[e] - Q[e + 1])
                # The points of this layer's segment, before it (i <= e) and after it (j > e).
                pts = [i for i in range(len(events)) if segment[i] == segment[e] and (i <= last)]
                before = [i for i in pts if i <= e]
                after = [i for i in pts if i > e]
                # Forward: growth P_j - P_i; backward (the gradient flows from j to i): growth Q_i - Q_j.
                fg = max(P[j] for j in after) - min(P[i] for i in before)
                fs = max(P[i] for i in before) - min(P[j] for j in after)
                bg = max(Q[i] for i in before) - min(Q[j] for j in after)
                bs = max(Q[j] for j in after) - min(Q[i] for i in before)
                sp = [(P[i], Q[i]) for i in pts]
                fw = max(abs(u[0] - v[0]) for u in sp for v in sp)
                bw = max(abs(u[1] - v[1]) for u in sp for v in sp)
                if branch.get(segment[e]):
                    # A residual branch may start small (Fixup, ReZero, zero-γ, GPT-2's 1/√(2L)): the skip carries
                    # the signal and the gradient past it. Only its growth counts.
                    fs = bs = 0.0
                    fw, bw = fg, bg
                pass_, own, grow, shrink = ("forward", f, fg, fs) if fw >= bw else ("backward", b, bg, bs)
                at_fault = (grow > lim and own > OWN) or (shrink > lim and own < 1 / OWN)
                rec.update({"output": False, "forward": f, "backward": b, "level": "warning" if at_fault else "ok"})
                rec["run"] = {"pass": pass_, "layers": len([i for i in pts if i in weights and i != last]), "growth": math.exp(grow), "shrink": math.exp(-shrink)}
                change = math.exp(grow) if grow >= shrink else math.exp(-shrink)
                what = "signal" if pass_ == "forward" else "gradient"
                run = "its residual branch (only growth counts)" if branch.get(segment[e]) else "its normalizer-free run"
                rec["branch"] = bool(branch.get(segment[e]))
                rec["why"] = (
                    f"{pass_} x{own:.3g} for this layer; {run} {'grows' if grow >= shrink else 'shrinks'} the {what} x{change:.3g}"
                    + (": beyond 100x, and this layer compounds it" if at_fault else "")
                )
            if rec["identicalUnits"] and not rec["output"]:
                rec["level"] = "warning"
                rec["why"] = "identical units: every row of the weight is the same; " + rec["why"]
            elif rec["identicalUnits"] and rec["gradRowsDiffer"] and not m.weight.detach().any():
                # Rule 5's zero output layer: the README's exception of rule 1; it outputs its bias, gains 0 by design.
                rec["level"] = "ok"
                rec["forward"] = rms(c["output"] - m.bias) / math.exp(P[e]) if m.bias is not None else 0.0
                rec["backward"] = math.exp(Q[e] - log_rms(c["output"].grad)) if Q[e] > -745.0 else 0.0
                rec["why"] = f"zero output layer (every weight 0, gradient rows differ): fine by the README's symmetry rule; its output is its bias (forward x{rec['forward']:.3g}, backward x{rec['backward']:.3g} by design)"
            elif rec["identicalUnits"]:
                rec["why"] += "; identical units, but the gradient rows of the output layer differ" if rec["gradRowsDiffer"] else "; identical units, gradient rows identical too"
                if not rec["gradRowsDiffer"]:
                    rec["level"] = "warning"
            out.append(rec)
        for c in calls:
            m = c["module"]
            if isinstance(m, nn.Embedding) and m not in pretrained and m not in transfer["skip"]:
                out.append({"key": names.get(m, "Embedding"), "type": "Embedding", "shape": list(m.weight.shape), "identicalUnits": False, "output": False, "level": "ok", "why": "embedding: reads indices, no gain; output rms %.3g" % rms(c["output"])})
    return out


def gather(records):
    """Per corpus key: the worst level over its instances, their count, and the worst instance's figures."""
    keys = {}
    for r in records:
        k = keys.setdefault(r["key"], {"level": "ok", "instances": 0, "type": r["type"]})
        if "rule" in r:
            k["rule"] = r["rule"]
        k["instances"] += 1
        if r["level"] == "warning" and k["level"] != "warning" or "why" not in k:
            k["level"] = r["level"]
            k["why"] = r["why"]
            for f in ("forward", "backward", "run", "branch", "identicalUnits", "output"):
                if f in r:
                    k[f] = r[f]
    for k in keys.values():
        for f in ("forward", "backward"):
            if f in k and isinstance(k[f], float):
                k[f] = float(f"{k[f]:.4g}") if math.isfinite(k[f]) else None
        if "run" in k:
            k["run"] = {a: (float(f"{b:.4g}") if isinstance(b, float) else b) for a, b in k["run"].items()}
    return dict(sorted(keys.items()))


def main():
    corpus = sys.argv[1]
    table = HEALTHY if corpus == "healthy" else BROKEN
    files = {}
    torch.set_num_threads(2)
    for path, build in table.items():
        torch.manual_seed(SEED)
        # What the files print while building (nanoGPT's parameter count) is not the key.
        with contextlib.redirect_stdout(sys.stderr):
            files[path] = gather(classify(build()))
    doc = {
        "provenance": {
            "script": "scripts/advice/keys.py",
            "command": f"/usr/bin/python3 scripts/advice/keys.py {corpus}",
            "torch": torch.__version__,
            "date": datetime.date.today().isoformat(),
            "seed": SEED,
            "inputSeed": INPUT_SEED,
            "thresholds": {"limit": LIMIT, "own": OWN},
            "note": "Measured in PyTorch; thresholds and definitions in the script's docstring. Not derived from InitLens.",
        },
        "files": files,
    }
    json.dump(doc, sys.stdout, indent=1, ensure_ascii=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
