/**
 * Activation functions as they appear in PyTorch and Keras code: module
 * classes (`nn.ReLU()`), functionals (`F.relu`, `torch.tanh`), tensor methods
 * (`x.relu()`), Keras names (`activation="relu"`, `tf.nn.relu`, `layers.ReLU`),
 * the modules that sit between a layer and its activation without changing
 * the choice of initialization (dropout, pooling, padding, reshaping, einops),
 * and the functions that take a layer's output as data (matmul, cat, losses).
 */
import type { Value } from './evaluate';

export type ActivationKind =
  | 'relu'
  | 'relu6'
  | 'leaky_relu'
  | 'prelu'
  | 'elu'
  | 'celu'
  | 'selu'
  | 'gelu'
  | 'silu'
  | 'mish'
  | 'hardswish'
  | 'tanh'
  | 'sigmoid'
  | 'hardtanh'
  | 'softsign'
  | 'softplus'
  | 'softmax'
  | 'log_softmax'
  | 'identity';

export interface Activation {
  readonly kind: ActivationKind;
  /** Negative slope of LeakyReLU (or PReLU's initial value). */
  readonly slope?: number;
}

/** Display names (`ReLU`, `LeakyReLU(0.2)`). */
export function activationLabel(a: Activation): string {
  const names: Record<ActivationKind, string> = {
    relu: 'ReLU',
    relu6: 'ReLU6',
    leaky_relu: 'LeakyReLU',
    prelu: 'PReLU',
    elu: 'ELU',
    celu: 'CELU',
    selu: 'SELU',
    gelu: 'GELU',
    silu: 'SiLU',
    mish: 'Mish',
    hardswish: 'Hardswish',
    tanh: 'Tanh',
    sigmoid: 'Sigmoid',
    hardtanh: 'Hardtanh',
    softsign: 'Softsign',
    softplus: 'Softplus',
    softmax: 'Softmax',
    log_softmax: 'LogSoftmax',
    identity: 'no activation',
  };
  return a.slope !== undefined && a.kind === 'leaky_relu' ? `LeakyReLU(${a.slope})` : names[a.kind];
}

/** PyTorch's default negative slope for LeakyReLU, and PReLU's initial slope. */
const TORCH_LEAKY_DEFAULT = 0.01;
const PRELU_INIT = 0.25;
/** Keras 3 `LeakyReLU(negative_slope=0.3)` and `tf.nn.leaky_relu(alpha=0.2)`. */
const KERAS_LEAKY_LAYER_DEFAULT = 0.3;
const TF_LEAKY_FN_DEFAULT = 0.2;

/** `nn.<Class>` modules (torch.nn.modules.activation). */
const TORCH_MODULES: Record<string, ActivationKind> = {
  ReLU: 'relu',
  ReLU6: 'relu6',
  LeakyReLU: 'leaky_relu',
  PReLU: 'prelu',
  RReLU: 'leaky_relu',
  ELU: 'elu',
  CELU: 'celu',
  SELU: 'selu',
  GELU: 'gelu',
  SiLU: 'silu',
  Mish: 'mish',
  Hardswish: 'hardswish',
  Tanh: 'tanh',
  Sigmoid: 'sigmoid',
  Hardtanh: 'hardtanh',
  Softsign: 'softsign',
  Softplus: 'softplus',
  Softmax: 'softmax',
  LogSoftmax: 'log_softmax',
  // Consume a layer's output as data, activating nothing: what follows the layer is no activation.
  PixelShuffle: 'identity',
  PixelUnshuffle: 'identity',
};

/** Function names shared by `torch.nn.functional`, `torch`, tensor methods, and Keras/TF. */
const FUNCTIONS: Record<string, ActivationKind> = {
  relu: 'relu',
  relu_: 'relu',
  relu6: 'relu6',
  leaky_relu: 'leaky_relu',
  leaky_relu_: 'leaky_relu',
  prelu: 'prelu',
  elu: 'elu',
  elu_: 'elu',
  celu: 'celu',
  selu: 'selu',
  gelu: 'gelu',
  silu: 'silu',
  swish: 'silu',
  mish: 'mish',
  hardswish: 'hardswish',
  hard_swish: 'hardswish',
  tanh: 'tanh',
  tanh_: 'tanh',
  sigmoid: 'sigmoid',
  sigmoid_: 'sigmoid',
  hardtanh: 'hardtanh',
  softsign: 'softsign',
  softplus: 'softplus',
  softmax: 'softmax',
  log_softmax: 'log_softmax',
  linear: 'identity',
};

/** Modules/functions that pass a layer's output on to its activation unchanged in kind. */
const TORCH_NEUTRAL = new Set([
  'Dropout',
  'Dropout1d',
  'Dropout2d',
  'Dropout3d',
  'AlphaDropout',
  'MaxPool1d',
  'MaxPool2d',
  'MaxPool3d',
  'AvgPool1d',
  'AvgPool2d',
  'AvgPool3d',
  'AdaptiveAvgPool1d',
  'AdaptiveAvgPool2d',
  'AdaptiveMaxPool2d',
  'Flatten',
  'Unflatten',
  'Upsample',
  'Identity',
  'AdaptiveAvgPool3d',
  'AdaptiveMaxPool1d',
  'AdaptiveMaxPool3d',
  'ReflectionPad1d',
  'ReflectionPad2d',
  'ReflectionPad3d',
  'ReplicationPad1d',
  'ReplicationPad2d',
  'ReplicationPad3d',
  'ConstantPad1d',
  'ConstantPad2d',
  'ConstantPad3d',
  'ZeroPad2d',
]);
/** einops' parameter-free layers (`einops.layers.torch`): a reshape or a reduction. */
const EINOPS_NEUTRAL = new Set(['einops.layers.torch.Rearrange', 'einops.layers.torch.Reduce']);
/** `torch.add` is a residual addition, `layer_norm`/`batch_norm` sit between a layer and its activation. */
const FUNCTIONAL_NEUTRAL = new Set([
  'dropout',
  'dropout1d',
  'dropout2d',
  'dropout3d',
  'max_pool1d',
  'max_pool2d',
  'max_pool3d',
  'avg_pool1d',
  'avg_pool2d',
  'avg_pool3d',
  'adaptive_avg_pool1d',
  'adaptive_avg_pool2d',
  'adaptive_max_pool1d',
  'adaptive_max_pool2d',
  'flatten',
  'interpolate',
  'add',
  'layer_norm',
  'batch_norm',
]);
/** `einops.rearrange`/`repeat` reshape and broadcast (`reduce` computes, like `mean`). */
const EINOPS_FUNCTIONS_NEUTRAL = new Set(['einops.rearrange', 'einops.repeat']);
/**
 * Functions that take a layer's output as data (products, concatenation,
 * attention, losses): nothing activates it on the way, so the activation that
 * follows the layer is none. PyTorch-derived answer keys (scripts/realworld/keys.py)
 * stop there the same way.
 */
const FUNCTIONAL_DATA = new Set([
  'matmul',
  'bmm',
  'mm',
  'baddbmm',
  'einsum',
  'cat',
  'concat',
  'stack',
  'mul',
  'div',
  'sub',
  'exp',
  'sum',
  'mean',
  'scaled_dot_product_attention',
  'pixel_shuffle',
  'cross_entropy',
  'nll_loss',
  'mse_loss',
  'l1_loss',
  'binary_cross_entropy',
  'binary_cross_entropy_with_logits',
  'kl_div',
  'cosine_similarity',
  'pairwise_distance',
]);
/** TensorFlow / Keras ops that pass a tensor on unchanged in kind (`tf.nn.dropout`, `tf.reshape`, `keras.ops.squeeze`). */
const TF_NEUTRAL = new Set(['dropout', 'reshape', 'squeeze', 'expand_dims', 'identity', 'transpose', 'max_pool', 'max_pool1d', 'max_pool2d', 'max_pool3d', 'avg_pool', 'avg_pool1d', 'avg_pool2d', 'avg_pool3d', 'average_pool']);

export type Classified =
  | { readonly role: 'activation'; readonly activation: Activation }
  | { readonly role: 'neutral' };

function slopeFrom(value: Value | undefined, fallback: number): number {
  return typeof value === 'number' ? value : fallback;
}

/**
 * Classifies a qualified callee as a PyTorch activation module constructor
 * (`torch.nn.LeakyReLU` with its arguments), or a neutral module.
 */
export function torchModule(qualified: string, args: (name: string, position: number) => Value | undefined): Classified | undefined {
  if (EINOPS_NEUTRAL.has(qualified)) return { role: 'neutral' };
  if (!qualified.startsWith('torch.nn.')) return undefined;
  const last = qualified.slice(qualified.lastIndexOf('.') + 1);
  if (TORCH_NEUTRAL.has(last)) return { role: 'neutral' };
  const kind = TORCH_MODULES[last];
  if (!kind) return undefined;
  if (kind === 'leaky_relu') return { role: 'activation', activation: { kind, slope: slopeFrom(args('negative_slope', 0), TORCH_LEAKY_DEFAULT) } };
  if (kind === 'prelu') return { role: 'activation', activation: { kind, slope: slopeFrom(args('init', 1), PRELU_INIT) } };
  return { role: 'activation', activation: { kind } };
}

/**
 * An activation class passed by name to a building block
 * (`activation_layer=nn.Hardswish`, torchvision's default `"ReLU"`), with
 * PyTorch's default arguments; undefined for anything else (`partial(...)`).
 */
export function torchActivationClass(text: string): Activation | undefined {
  const m = /^(?:[A-Za-z_]\w*\.)*([A-Za-z_]\w*)$/.exec(text.trim());
  const kind = m ? TORCH_MODULES[m[1]] : undefined;
  if (!kind || m?.[1].startsWith('Pixel')) return undefined;
  if (kind === 'leaky_relu') return { kind, slope: TORCH_LEAKY_DEFAULT };
  if (kind === 'prelu') return { kind, slope: PRELU_INIT };
  return { kind };
}

/**
 * Classifies a qualified function (`torch.nn.functional.relu`, `torch.tanh`,
 * `tensorflow.nn.relu`, `keras.activations.gelu`) applied to a tensor.
 */
export function functionCall(qualified: string, args: (name: string, position: number) => Value | undefined): Classified | undefined {
  const dot = qualified.lastIndexOf('.');
  const module = qualified.slice(0, dot);
  const last = qualified.slice(dot + 1);
  if (EINOPS_FUNCTIONS_NEUTRAL.has(qualified)) return { role: 'neutral' };
  const torchFunctional = module === 'torch.nn.functional' || module === 'torch' || module === 'torch.special';
  // `tf.tanh` and `tf.sigmoid` are TensorFlow's top-level aliases of tf.math's.
  const tfFunctional = module === 'tensorflow' || module === 'tensorflow.nn' || module === 'tensorflow.math' || module === 'tensorflow.keras.activations' || module === 'keras.activations' || module === 'keras.ops';
  if (!torchFunctional && !tfFunctional) return undefined;
  if (torchFunctional && FUNCTIONAL_NEUTRAL.has(last)) return { role: 'neutral' };
  if (torchFunctional && FUNCTIONAL_DATA.has(last)) return { role: 'activation', activation: { kind: 'identity' } };
  if (tfFunctional && TF_NEUTRAL.has(last)) return { role: 'neutral' };
  const kind = FUNCTIONS[last];
  if (!kind) return undefined;
  if (kind === 'leaky_relu') {
    const fallback = tfFunctional ? TF_LEAKY_FN_DEFAULT : TORCH_LEAKY_DEFAULT;
    return { role: 'activation', activation: { kind, slope: slopeFrom(args(tfFunctional ? 'alpha' : 'negative_slope', 1), fallback) } };
  }
  return { role: 'activation', activation: { kind } };
}

/** A tensor method call `x.relu()`, `x.sigmoid()`. */
export function tensorMethod(name: string): Activation | undefined {
  if (name === 'linear') return undefined;
  const kind = FUNCTIONS[name];
  return kind ? { kind } : undefined;
}

/** A Keras `activation=` string, or the `Activation("...")` layer argument. */
export function kerasActivationName(name: string): Activation | undefined {
  const kind = FUNCTIONS[name.toLowerCase()];
  if (kind === 'leaky_relu') return { kind, slope: TF_LEAKY_FN_DEFAULT };
  return kind ? { kind } : undefined;
}

/** Keras activation/neutral layers (`layers.ReLU()`, `layers.LeakyReLU(0.1)`, `layers.Dropout`). */
export function kerasLayer(type: string, args: (name: string, position: number) => Value | undefined): Classified | undefined {
  switch (type) {
    case 'ReLU':
      return { role: 'activation', activation: typeof args('negative_slope', 1) === 'number' && args('negative_slope', 1) !== 0 ? { kind: 'leaky_relu', slope: args('negative_slope', 1) as number } : { kind: 'relu' } };
    case 'LeakyReLU':
      return { role: 'activation', activation: { kind: 'leaky_relu', slope: slopeFrom(args('negative_slope', 0) ?? args('alpha', 0), KERAS_LEAKY_LAYER_DEFAULT) } };
    case 'PReLU':
      return { role: 'activation', activation: { kind: 'prelu', slope: 0 } };
    case 'ELU':
      return { role: 'activation', activation: { kind: 'elu' } };
    case 'Softmax':
      return { role: 'activation', activation: { kind: 'softmax' } };
    case 'Activation': {
      const name = args('activation', 0);
      const activation = typeof name === 'string' ? kerasActivationName(name) : undefined;
      return activation ? { role: 'activation', activation } : undefined;
    }
    case 'Dropout':
    case 'SpatialDropout1D':
    case 'SpatialDropout2D':
    case 'SpatialDropout3D':
    case 'AlphaDropout':
    case 'GaussianDropout':
    case 'GaussianNoise':
    case 'MaxPooling1D':
    case 'MaxPooling2D':
    case 'MaxPooling3D':
    case 'AveragePooling1D':
    case 'AveragePooling2D':
    case 'AveragePooling3D':
    case 'GlobalAveragePooling1D':
    case 'GlobalAveragePooling2D':
    case 'GlobalAveragePooling3D':
    case 'GlobalMaxPooling1D':
    case 'GlobalMaxPooling2D':
    case 'GlobalMaxPooling3D':
    // Keras's short aliases of the pooling layers (keras/src/layers/__init__.py).
    case 'MaxPool1D':
    case 'MaxPool2D':
    case 'MaxPool3D':
    case 'AvgPool1D':
    case 'AvgPool2D':
    case 'AvgPool3D':
    case 'GlobalAvgPool1D':
    case 'GlobalAvgPool2D':
    case 'GlobalMaxPool1D':
    case 'GlobalMaxPool2D':
    case 'Flatten':
    case 'Reshape':
    case 'Permute':
    case 'UpSampling1D':
    case 'UpSampling2D':
    case 'ZeroPadding1D':
    case 'ZeroPadding2D':
      return { role: 'neutral' };
    default:
      return undefined;
  }
}
