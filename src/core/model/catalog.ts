/**
 * The layers InitLens recognizes: constructor signatures, parameter tensors
 * (shapes and names as in `state_dict()`), and each library's default
 * initialization, in the order the library initializes them.
 *
 * PyTorch sources mirrored: `torch/nn/modules/linear.py` (Linear, Bilinear),
 * `conv.py` (_ConvNd.reset_parameters), `sparse.py` (Embedding, EmbeddingBag),
 * `rnn.py` (RNNBase.reset_parameters), `activation.py` (MultiheadAttention),
 * `transformer.py`, `batchnorm.py`, `normalization.py`. Keras sources:
 * `keras/src/layers/core/dense.py`, `convolutional/base_conv.py`,
 * `core/embedding.py`, `rnn/lstm.py`, `rnn/gru.py`, `rnn/simple_rnn.py`.
 */
import type { InitScheme } from '../init/schemes';
import { LIMITS } from '../limits';
import { isKnown, product, type Dim, type Value } from './evaluate';

/** `kaiming_uniform_(w, a=math.sqrt(5))`: PyTorch's Linear/Conv weight default. */
export const TORCH_LINEAR_DEFAULT: InitScheme = { kind: 'kaiming_uniform', a: Math.sqrt(5), mode: 'fan_in', nonlinearity: 'leaky_relu' };

/** One parameter tensor of a layer and how the library initializes it. */
export interface ParamSpec {
  /** As in `state_dict()` relative to the layer (`weight`, `weight_hh_l0`, `self_attn.in_proj_weight`). */
  readonly name: string;
  readonly shape: readonly Dim[];
  /** The default scheme with its numbers, when they are known. */
  readonly init: InitScheme | undefined;
  /** The default as PyTorch/Keras describe it (`kaiming_uniform_(a=√5)`). */
  readonly label: string;
  /** `weight`-like tensors get recommendations; biases and norms follow conventions. */
  readonly kind: 'weight' | 'recurrent' | 'bias' | 'norm_weight' | 'norm_bias' | 'embedding';
}

export type LayerRole = 'weight' | 'normalizer' | 'composite';

/** Constructor arguments as resolved by the analysis. */
export type Args = ReadonlyMap<string, Value | Dim | undefined>;

export interface LayerSpec {
  readonly framework: 'torch' | 'keras';
  readonly type: string;
  readonly role: LayerRole;
  /** Constructor parameters in positional order. */
  readonly signature: readonly string[];
  readonly defaults: Readonly<Record<string, Value>>;
  /** The nonlinearity a recurrent/transformer layer applies internally, from its arguments. */
  readonly builtinActivation?: (args: Args) => string | undefined;
  /** For Keras: the input feature dimension, supplied by shape inference as `in`. */
  readonly params: (args: Args) => ParamSpec[];
  /**
   * The parameter count in closed form, for layers whose `params` may list
   * only some of their tensors (a recurrent stack deeper than
   * `LIMITS.rnnLayersListed`). Undefined: the sum of `params`.
   */
  readonly count?: (args: Args) => number | undefined;
}

function d(args: Args, name: string): Dim | undefined {
  const v = args.get(name);
  if (typeof v === 'number' || (typeof v === 'object' && v !== null && 'symbol' in v)) return v as Dim;
  return undefined;
}

function flag(args: Args, name: string): boolean {
  return args.get(name) !== false;
}

/** A kernel size argument as a list of dims (an int repeats `n` times). */
function kernel(args: Args, name: string, n: number): Dim[] {
  const v = args.get(name);
  if (Array.isArray(v)) return v.map((x) => (typeof x === 'number' ? x : { symbol: String(x) }));
  const one = d(args, name);
  return Array.from({ length: n }, () => one ?? { symbol: name });
}

function div(a: Dim | undefined, b: Dim | undefined): Dim {
  if (b === 1 && a !== undefined) return a;
  if (isKnown(a) && isKnown(b) && b !== 0) return a / b;
  return { symbol: `${show(a)}/${show(b)}` };
}

function mul(a: Dim | undefined, b: Dim | undefined): Dim {
  return product([a, b]);
}

function show(x: Dim | undefined): string {
  return x === undefined ? '?' : typeof x === 'number' ? String(x) : x.symbol;
}

const uniformBound = (fanIn: Dim | undefined): InitScheme | undefined =>
  isKnown(fanIn) && fanIn > 0 ? { kind: 'uniform', a: -1 / Math.sqrt(fanIn), b: 1 / Math.sqrt(fanIn) } : undefined;

function linearLike(weightShape: Dim[], fanIn: Dim | undefined, out: Dim | undefined, bias: boolean): ParamSpec[] {
  const params: ParamSpec[] = [
    { name: 'weight', shape: weightShape, init: TORCH_LINEAR_DEFAULT, label: 'kaiming_uniform_(a=√5) = U(±1/√fan_in)', kind: 'weight' },
  ];
  if (bias) params.push({ name: 'bias', shape: [out ?? { symbol: 'out' }], init: uniformBound(fanIn), label: 'U(±1/√fan_in)', kind: 'bias' });
  return params;
}

function conv(n: number, transpose: boolean): LayerSpec {
  const signature = transpose
    ? ['in_channels', 'out_channels', 'kernel_size', 'stride', 'padding', 'output_padding', 'groups', 'bias', 'dilation']
    : ['in_channels', 'out_channels', 'kernel_size', 'stride', 'padding', 'dilation', 'groups', 'bias'];
  return {
    framework: 'torch',
    type: `Conv${transpose ? 'Transpose' : ''}${n}d`,
    role: 'weight',
    signature,
    defaults: { stride: 1, padding: 0, dilation: 1, groups: 1, bias: true, output_padding: 0 },
    params(args) {
      const cin = d(args, 'in_channels');
      const cout = d(args, 'out_channels');
      const groups = d(args, 'groups') ?? 1;
      const k = kernel(args, 'kernel_size', n);
      // _ConvNd: weight is (out, in/groups, *k), or (in, out/groups, *k) when transposed;
      // the bias bound uses _calculate_fan_in_and_fan_out(weight)[0], i.e. shape[1]·∏k.
      const shape = transpose ? [cin, div(cout, groups), ...k] : [cout, div(cin, groups), ...k];
      const fanIn = product([shape[1], ...k]);
      return linearLike(shape as Dim[], fanIn, cout, flag(args, 'bias'));
    },
  };
}

function rnn(type: 'RNN' | 'LSTM' | 'GRU'): LayerSpec {
  const gates = type === 'LSTM' ? 4 : type === 'GRU' ? 3 : 1;
  return {
    framework: 'torch',
    type,
    role: 'weight',
    signature: type === 'RNN'
      ? ['input_size', 'hidden_size', 'num_layers', 'nonlinearity', 'bias', 'batch_first', 'dropout', 'bidirectional']
      : ['input_size', 'hidden_size', 'num_layers', 'bias', 'batch_first', 'dropout', 'bidirectional', 'proj_size'],
    defaults: { num_layers: 1, nonlinearity: 'tanh', bias: true, batch_first: false, dropout: 0, bidirectional: false, proj_size: 0 },
    builtinActivation: (args) => (type === 'RNN' ? String(args.get('nonlinearity') ?? 'tanh') : 'tanh'),
    params(args) {
      const { input, hidden, layers, directions, proj, bias } = rnnArgs(args);
      // RNNBase.reset_parameters: every parameter U(-1/√hidden, 1/√hidden).
      const init: InitScheme | undefined = isKnown(hidden) && hidden > 0 ? { kind: 'uniform', a: -1 / Math.sqrt(hidden), b: 1 / Math.sqrt(hidden) } : undefined;
      const label = 'U(±1/√hidden_size)';
      const rows = mul(gates, hidden);
      const recurrentWidth = proj > 0 ? proj : hidden;
      const out: ParamSpec[] = [];
      // A deep stack is listed up to the limit; `count` still counts every layer.
      for (let l = 0; l < Math.min(layers, LIMITS.rnnLayersListed.value); l++) {
        for (let dir = 0; dir < directions; dir++) {
          const suffix = `_l${l}${dir === 1 ? '_reverse' : ''}`;
          const inputWidth = l === 0 ? input : mul(recurrentWidth, directions);
          out.push({ name: `weight_ih${suffix}`, shape: [rows, inputWidth ?? { symbol: 'input_size' }], init, label, kind: 'weight' });
          out.push({ name: `weight_hh${suffix}`, shape: [rows, recurrentWidth ?? { symbol: 'hidden_size' }], init, label, kind: 'recurrent' });
          if (bias) {
            out.push({ name: `bias_ih${suffix}`, shape: [rows], init, label, kind: 'bias' });
            out.push({ name: `bias_hh${suffix}`, shape: [rows], init, label, kind: 'bias' });
          }
          if (proj > 0) out.push({ name: `weight_hr${suffix}`, shape: [proj, hidden ?? { symbol: 'hidden_size' }], init, label, kind: 'recurrent' });
        }
      }
      return out;
    },
    count(args) {
      // Layers after the first are alike: layer 0 plus (layers − 1) copies, in closed form.
      const { input, hidden, layers, directions, proj, bias } = rnnArgs(args);
      if (!isKnown(input) || !isKnown(hidden)) return undefined;
      const width = proj > 0 ? proj : hidden;
      const perLayer = (inputWidth: number) => directions * (gates * hidden * (inputWidth + width) + (bias ? 2 * gates * hidden : 0) + (proj > 0 ? proj * hidden : 0));
      return perLayer(input) + (layers - 1) * perLayer(width * directions);
    },
  };
}

/** RNNBase's constructor arguments (`num_layers` that is not a positive integer reads as 1). */
function rnnArgs(args: Args) {
  const layersArg = args.get('num_layers');
  const projArg = args.get('proj_size');
  return {
    input: d(args, 'input_size'),
    hidden: d(args, 'hidden_size'),
    layers: typeof layersArg === 'number' && Number.isSafeInteger(layersArg) && layersArg >= 1 ? layersArg : 1,
    directions: args.get('bidirectional') === true ? 2 : 1,
    proj: typeof projArg === 'number' && Number.isSafeInteger(projArg) && projArg > 0 ? projArg : 0,
    bias: flag(args, 'bias'),
  };
}

function norm(type: string, signature: string[], channels: (args: Args) => Dim[]): LayerSpec {
  return {
    framework: 'torch',
    type,
    role: 'normalizer',
    signature,
    defaults: { eps: 1e-5, affine: true, elementwise_affine: true, bias: true },
    params(args) {
      if (args.get('affine') === false || args.get('elementwise_affine') === false) return [];
      const shape = channels(args);
      return [
        { name: 'weight', shape, init: { kind: 'ones' }, label: 'ones', kind: 'norm_weight' },
        { name: 'bias', shape, init: { kind: 'zeros' }, label: 'zeros', kind: 'norm_bias' },
      ];
    },
  };
}

function attentionParams(prefix: string, e: Dim | undefined, bias: boolean): ParamSpec[] {
  const E = e ?? { symbol: 'embed_dim' };
  const params: ParamSpec[] = [
    { name: `${prefix}in_proj_weight`, shape: [mul(3, E), E], init: { kind: 'xavier_uniform', gain: 1 }, label: 'xavier_uniform_', kind: 'weight' },
  ];
  if (bias) params.push({ name: `${prefix}in_proj_bias`, shape: [mul(3, E)], init: { kind: 'zeros' }, label: 'zeros', kind: 'bias' });
  params.push({ name: `${prefix}out_proj.weight`, shape: [E, E], init: TORCH_LINEAR_DEFAULT, label: 'kaiming_uniform_(a=√5) = U(±1/√fan_in)', kind: 'weight' });
  if (bias) params.push({ name: `${prefix}out_proj.bias`, shape: [E], init: { kind: 'zeros' }, label: 'zeros', kind: 'bias' });
  return params;
}

function transformer(type: 'TransformerEncoderLayer' | 'TransformerDecoderLayer'): LayerSpec {
  return {
    framework: 'torch',
    type,
    role: 'composite',
    signature: ['d_model', 'nhead', 'dim_feedforward', 'dropout', 'activation'],
    defaults: { dim_feedforward: 2048, dropout: 0.1, activation: 'relu', bias: true },
    builtinActivation: (args) => String(args.get('activation') ?? 'relu'),
    params(args) {
      const dm = d(args, 'd_model');
      const ff = d(args, 'dim_feedforward');
      const bias = flag(args, 'bias');
      const out = attentionParams('self_attn.', dm, bias);
      if (type === 'TransformerDecoderLayer') out.push(...attentionParams('multihead_attn.', dm, bias));
      out.push(...linearLike([ff ?? { symbol: 'dim_feedforward' }, dm ?? { symbol: 'd_model' }], dm, ff, bias).map((p) => ({ ...p, name: `linear1.${p.name}` })));
      out.push(...linearLike([dm ?? { symbol: 'd_model' }, ff ?? { symbol: 'dim_feedforward' }], ff, dm, bias).map((p) => ({ ...p, name: `linear2.${p.name}` })));
      const norms = type === 'TransformerDecoderLayer' ? 3 : 2;
      for (let i = 1; i <= norms; i++) {
        out.push({ name: `norm${i}.weight`, shape: [dm ?? { symbol: 'd_model' }], init: { kind: 'ones' }, label: 'ones', kind: 'norm_weight' });
        out.push({ name: `norm${i}.bias`, shape: [dm ?? { symbol: 'd_model' }], init: { kind: 'zeros' }, label: 'zeros', kind: 'norm_bias' });
      }
      return out;
    },
  };
}

const TORCH_LAYERS: LayerSpec[] = [
  {
    framework: 'torch',
    type: 'Linear',
    role: 'weight',
    signature: ['in_features', 'out_features', 'bias'],
    defaults: { bias: true },
    params: (args) => linearLike([d(args, 'out_features') ?? { symbol: 'out_features' }, d(args, 'in_features') ?? { symbol: 'in_features' }], d(args, 'in_features'), d(args, 'out_features'), flag(args, 'bias')),
  },
  {
    framework: 'torch',
    type: 'Bilinear',
    role: 'weight',
    signature: ['in1_features', 'in2_features', 'out_features', 'bias'],
    defaults: { bias: true },
    params(args) {
      const in1 = d(args, 'in1_features');
      const out = d(args, 'out_features');
      // Bilinear.reset_parameters: bound = 1/√weight.size(1) = 1/√in1 for weight and bias.
      const init = uniformBound(in1);
      const params: ParamSpec[] = [{ name: 'weight', shape: [out ?? { symbol: 'out_features' }, in1 ?? { symbol: 'in1_features' }, d(args, 'in2_features') ?? { symbol: 'in2_features' }], init, label: 'U(±1/√in1_features)', kind: 'weight' }];
      if (flag(args, 'bias')) params.push({ name: 'bias', shape: [out ?? { symbol: 'out_features' }], init, label: 'U(±1/√in1_features)', kind: 'bias' });
      return params;
    },
  },
  conv(1, false),
  conv(2, false),
  conv(3, false),
  conv(1, true),
  conv(2, true),
  conv(3, true),
  {
    framework: 'torch',
    type: 'Embedding',
    role: 'weight',
    signature: ['num_embeddings', 'embedding_dim', 'padding_idx'],
    defaults: { padding_idx: null },
    params: (args) => [{ name: 'weight', shape: [d(args, 'num_embeddings') ?? { symbol: 'num_embeddings' }, d(args, 'embedding_dim') ?? { symbol: 'embedding_dim' }], init: { kind: 'normal', mean: 0, std: 1 }, label: 'normal_(0, 1)', kind: 'embedding' }],
  },
  {
    framework: 'torch',
    type: 'EmbeddingBag',
    role: 'weight',
    signature: ['num_embeddings', 'embedding_dim'],
    defaults: {},
    params: (args) => [{ name: 'weight', shape: [d(args, 'num_embeddings') ?? { symbol: 'num_embeddings' }, d(args, 'embedding_dim') ?? { symbol: 'embedding_dim' }], init: { kind: 'normal', mean: 0, std: 1 }, label: 'normal_(0, 1)', kind: 'embedding' }],
  },
  rnn('RNN'),
  rnn('LSTM'),
  rnn('GRU'),
  {
    framework: 'torch',
    type: 'MultiheadAttention',
    role: 'composite',
    signature: ['embed_dim', 'num_heads', 'dropout', 'bias'],
    defaults: { dropout: 0, bias: true },
    params: (args) => attentionParams('', d(args, 'embed_dim'), flag(args, 'bias')),
  },
  transformer('TransformerEncoderLayer'),
  transformer('TransformerDecoderLayer'),
  norm('BatchNorm1d', ['num_features', 'eps', 'momentum', 'affine'], (a) => [d(a, 'num_features') ?? { symbol: 'num_features' }]),
  norm('BatchNorm2d', ['num_features', 'eps', 'momentum', 'affine'], (a) => [d(a, 'num_features') ?? { symbol: 'num_features' }]),
  norm('BatchNorm3d', ['num_features', 'eps', 'momentum', 'affine'], (a) => [d(a, 'num_features') ?? { symbol: 'num_features' }]),
  norm('LayerNorm', ['normalized_shape', 'eps', 'elementwise_affine', 'bias'], (a) => {
    const v = a.get('normalized_shape');
    if (Array.isArray(v)) return v.map((x) => (typeof x === 'number' ? x : { symbol: String(x) }));
    return [d(a, 'normalized_shape') ?? { symbol: 'normalized_shape' }];
  }),
  norm('GroupNorm', ['num_groups', 'num_channels', 'eps', 'affine'], (a) => [d(a, 'num_channels') ?? { symbol: 'num_channels' }]),
];

/** Keras layers: `in` is the input feature dimension found by shape inference. */
function kerasDense(): LayerSpec {
  return {
    framework: 'keras',
    type: 'Dense',
    role: 'weight',
    signature: ['units', 'activation', 'use_bias', 'kernel_initializer', 'bias_initializer'],
    defaults: { activation: null, use_bias: true, kernel_initializer: 'glorot_uniform', bias_initializer: 'zeros' },
    params(args) {
      const units = d(args, 'units') ?? { symbol: 'units' };
      const input = d(args, 'in') ?? { symbol: 'in' };
      return kerasKernelBias([input, units], units, args);
    },
  };
}

function kerasKernelBias(kernelShape: Dim[], units: Dim, args: Args): ParamSpec[] {
  const params: ParamSpec[] = [{ name: 'kernel', shape: kernelShape, init: { kind: 'variance_scaling', scale: 1, mode: 'fan_avg', distribution: 'uniform' }, label: 'glorot_uniform', kind: 'weight' }];
  if (args.get('use_bias') !== false) params.push({ name: 'bias', shape: [units], init: { kind: 'zeros' }, label: 'zeros', kind: 'bias' });
  return params;
}

function kerasConv(n: number, transpose: boolean): LayerSpec {
  return {
    framework: 'keras',
    type: `Conv${n}D${transpose ? 'Transpose' : ''}`,
    role: 'weight',
    signature: ['filters', 'kernel_size', 'strides', 'padding'],
    defaults: { strides: 1, padding: 'valid', activation: null, use_bias: true, kernel_initializer: 'glorot_uniform', bias_initializer: 'zeros' },
    params(args) {
      const filters = d(args, 'filters') ?? { symbol: 'filters' };
      const input = d(args, 'in') ?? { symbol: 'in_channels' };
      const k = kernel(args, 'kernel_size', n);
      // Keras kernels are channels-last: (*k, in, filters); transposed: (*k, filters, in).
      return kerasKernelBias(transpose ? [...k, filters, input] : [...k, input, filters], filters, args);
    },
  };
}

function kerasRnn(type: 'LSTM' | 'GRU' | 'SimpleRNN'): LayerSpec {
  const gates = type === 'LSTM' ? 4 : type === 'GRU' ? 3 : 1;
  return {
    framework: 'keras',
    type,
    role: 'weight',
    signature: ['units', 'activation', 'recurrent_activation'],
    defaults: { activation: 'tanh', use_bias: true },
    builtinActivation: (args) => String(args.get('activation') ?? 'tanh'),
    params(args) {
      const units = d(args, 'units') ?? { symbol: 'units' };
      const input = d(args, 'in') ?? { symbol: 'in' };
      const cols = mul(gates, units);
      const out: ParamSpec[] = [
        { name: 'kernel', shape: [input, cols], init: { kind: 'variance_scaling', scale: 1, mode: 'fan_avg', distribution: 'uniform' }, label: 'glorot_uniform', kind: 'weight' },
        { name: 'recurrent_kernel', shape: [units, cols], init: { kind: 'orthogonal', gain: 1 }, label: 'orthogonal', kind: 'recurrent' },
      ];
      // GRU with reset_after=True (the default) keeps two bias rows.
      const biasShape = type === 'GRU' ? [2, cols] : [cols];
      if (args.get('use_bias') !== false) out.push({ name: 'bias', shape: biasShape, init: { kind: 'zeros' }, label: type === 'LSTM' ? 'zeros (forget gate ones: unit_forget_bias)' : 'zeros', kind: 'bias' });
      return out;
    },
  };
}

const KERAS_LAYERS: LayerSpec[] = [
  kerasDense(),
  kerasConv(1, false),
  kerasConv(2, false),
  kerasConv(3, false),
  kerasConv(2, true),
  kerasConv(3, true),
  {
    framework: 'keras',
    type: 'Embedding',
    role: 'weight',
    signature: ['input_dim', 'output_dim', 'embeddings_initializer'],
    defaults: { embeddings_initializer: 'uniform' },
    params: (args) => [
      { name: 'embeddings', shape: [d(args, 'input_dim') ?? { symbol: 'input_dim' }, d(args, 'output_dim') ?? { symbol: 'output_dim' }], init: { kind: 'uniform', a: -0.05, b: 0.05 }, label: 'RandomUniform(-0.05, 0.05)', kind: 'embedding' },
    ],
  },
  kerasRnn('LSTM'),
  kerasRnn('GRU'),
  kerasRnn('SimpleRNN'),
  {
    framework: 'keras',
    type: 'MultiHeadAttention',
    role: 'composite',
    signature: ['num_heads', 'key_dim', 'value_dim'],
    defaults: { use_bias: true },
    params(args) {
      const heads = d(args, 'num_heads') ?? { symbol: 'num_heads' };
      const key = d(args, 'key_dim') ?? { symbol: 'key_dim' };
      const input = d(args, 'in') ?? { symbol: 'in' };
      const glorot: InitScheme = { kind: 'variance_scaling', scale: 1, mode: 'fan_avg', distribution: 'uniform' };
      return ['query', 'key', 'value'].map((p) => ({ name: `${p}/kernel`, shape: [input, heads, key], init: glorot, label: 'glorot_uniform', kind: 'weight' as const }));
    },
  },
  ...['BatchNormalization', 'LayerNormalization'].map(
    (type): LayerSpec => ({
      framework: 'keras',
      type,
      role: 'normalizer',
      signature: ['axis'],
      defaults: {},
      params: (args) => {
        const c = d(args, 'in') ?? { symbol: 'channels' };
        const params: ParamSpec[] = [
          { name: 'gamma', shape: [c], init: { kind: 'ones' }, label: 'ones', kind: 'norm_weight' },
          { name: 'beta', shape: [c], init: { kind: 'zeros' }, label: 'zeros', kind: 'norm_bias' },
        ];
        // Keras counts BatchNormalization's moving statistics among the layer's (non-trainable) weights.
        if (type === 'BatchNormalization') {
          params.push(
            { name: 'moving_mean', shape: [c], init: { kind: 'zeros' }, label: 'zeros', kind: 'norm_bias' },
            { name: 'moving_variance', shape: [c], init: { kind: 'ones' }, label: 'ones', kind: 'norm_weight' },
          );
        }
        return params;
      },
    }),
  ),
];

const TORCH_BY_NAME = new Map(TORCH_LAYERS.map((s) => [s.type, s]));
const KERAS_BY_NAME = new Map(KERAS_LAYERS.map((s) => [s.type, s]));

/** Module prefixes under which PyTorch exposes its layers. */
const TORCH_PREFIXES = ['torch.nn.', 'torch.nn.modules.'];
const KERAS_PREFIXES = ['tensorflow.keras.layers.', 'keras.layers.', 'tf_keras.layers.', 'tensorflow.python.keras.layers.'];

/** The layer a qualified constructor name denotes (`torch.nn.Linear`, `keras.layers.Dense`). */
export function lookupLayer(qualifiedName: string): LayerSpec | undefined {
  const last = qualifiedName.slice(qualifiedName.lastIndexOf('.') + 1);
  if (TORCH_PREFIXES.some((p) => qualifiedName.startsWith(p))) return TORCH_BY_NAME.get(last);
  if (KERAS_PREFIXES.some((p) => qualifiedName.startsWith(p))) return KERAS_BY_NAME.get(last);
  return undefined;
}

export const ALL_LAYERS: readonly LayerSpec[] = [...TORCH_LAYERS, ...KERAS_LAYERS];
