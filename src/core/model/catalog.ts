/**
 * The layers InitLens recognizes, one entry per layer kind holding every fact
 * about it: constructor signature and defaults, which arguments are sizes and
 * what the library accepts for them, the parameter tensors (shapes and names
 * as in `state_dict()`, in `named_parameters()` order), each library's
 * default initialization, and for PyTorch the order the constructor draws in,
 * which exact mode (`core/torch/modules.ts`) replays.
 *
 * PyTorch sources mirrored: `torch/nn/modules/linear.py` (Linear, Bilinear),
 * `conv.py` (_ConvNd.reset_parameters), `sparse.py` (Embedding, EmbeddingBag),
 * `rnn.py` (RNNBase, RNNCellBase), `activation.py` (MultiheadAttention),
 * `transformer.py`, `batchnorm.py`, `normalization.py`. Keras sources:
 * `keras/src/layers/core/dense.py`, `convolutional/base_conv.py`,
 * `core/embedding.py`, `rnn/lstm.py`, `rnn/gru.py`, `rnn/simple_rnn.py`.
 */
import type { InitScheme } from '../init/schemes';
import { LIMITS } from '../limits';
import { torchActivationClass, type Activation } from './activations';
import { isKnown, product, showDim, type Dim, type Value } from './evaluate';

/** `kaiming_uniform_(w, a=math.sqrt(5))`: PyTorch's Linear/Conv weight default. */
export const TORCH_LINEAR_DEFAULT: InitScheme = { kind: 'kaiming_uniform', a: Math.sqrt(5), mode: 'fan_in', nonlinearity: 'leaky_relu' };
const TORCH_LINEAR_LABEL = 'kaiming_uniform_(a=√5) = U(±1/√fan_in)';

/** One parameter tensor of a layer and how the library initializes it. */
export interface ParamSpec {
  /** As in `state_dict()` relative to the layer (`weight`, `weight_hh_l0`, `self_attn.in_proj_weight`). */
  readonly name: string;
  readonly shape: readonly Dim[];
  /** The default scheme with its numbers, when they are known; undefined also when the library leaves the tensor uninitialized. */
  readonly init: InitScheme | undefined;
  /** The default as PyTorch/Keras describe it (`kaiming_uniform_(a=√5)`). */
  readonly label: string;
  /** `weight`-like tensors get recommendations; biases and norms follow conventions. */
  readonly kind: 'weight' | 'recurrent' | 'bias' | 'norm_weight' | 'norm_bias' | 'embedding' | 'bias_kv';
  /** What the constructor draws into the tensor before `init` overwrites it without drawing (MultiheadAttention's `out_proj.bias`). */
  readonly drawn?: InitScheme;
  /** Construction step: tensors draw in ascending step, ties in list order (MultiheadAttention builds `out_proj` first). */
  readonly step?: number;
  /** The row set to zero after drawing (`padding_idx`). */
  readonly zeroRow?: number;
  /**
   * In a block that builds other modules (torchvision's, timm's, the
   * Transformer layers): the type of the torch module holding this tensor
   * (`Linear` for `fc1.weight`), which `apply(fn)` visits on its own, so an
   * `isinstance(m, nn.Linear)` rule reaches it.
   */
  readonly module?: string;
  /**
   * A deep copy of the tensor of this name in the same layer, which draws
   * nothing: `nn.TransformerEncoder`'s `layers.<i>.*` copy `layers.0.*`
   * (`_get_clones`), so every copy starts with the same values.
   */
  readonly copyOf?: string;
}

export type LayerRole = 'weight' | 'normalizer' | 'composite';

/** Constructor arguments as resolved by the analysis. */
export type Args = ReadonlyMap<string, Value | Dim | undefined>;

/**
 * What a size argument may be. torch 1.13 (checked by running it): `torch.empty`
 * raises on a negative dim and on any float or None (TypeError, even `2.0`);
 * 0 is allowed unless a formula divides by it or the module checks it
 * (see each layer's `sizes`). An index may be negative (counted from the end).
 */
export type SizeRule = 'size' | 'positive' | 'size or None' | 'index or None';

/** A constructor argument whose value the library rejects as a size, or that is beyond what InitLens computes with. */
export interface SizeProblem {
  readonly arg: string;
  /** One line naming the argument and its value. */
  readonly message: string;
  /** Set when the library would accept the value and only InitLens's own limit is exceeded. */
  readonly limit?: true;
}

export interface LayerSpec {
  readonly framework: 'torch' | 'keras';
  readonly type: string;
  readonly role: LayerRole;
  /** Constructor parameters in positional order. */
  readonly signature: readonly string[];
  readonly defaults: Readonly<Record<string, Value>>;
  /** The arguments that are sizes (or indexes into them), and what the library accepts for each. */
  readonly sizes: Readonly<Record<string, SizeRule>>;
  /** Rules between arguments that the library enforces, checked once every size is valid. */
  readonly relations?: (args: Args) => SizeProblem | undefined;
  /** The nonlinearity a recurrent/transformer layer applies internally, from its arguments. */
  readonly builtinActivation?: (args: Args) => string | undefined;
  /**
   * A building block that applies its own norm and activation to its main
   * weight's output (torchvision's `Conv2dNormActivation`): what it applies,
   * from its arguments; `activation` null when the block applies one that
   * InitLens cannot name, absent when it applies none (`activation_layer=None`:
   * what follows the block decides).
   */
  readonly applies?: (args: Args) => { readonly activation?: Activation | null; readonly normalizer?: string } | undefined;
  /** Why exact mode (core/torch/modules.ts) does not replay this constructor's draws; undefined when it does. */
  readonly notEmulated?: string;
  /** Why exact mode does not replay this construction, from its arguments (a TransformerEncoder whose encoder layer cannot be placed in the stream). */
  readonly exactProblem?: (args: Args) => string | undefined;
  /** For Keras: the input feature dimension, supplied by shape inference as `in`. */
  readonly params: (args: Args) => ParamSpec[];
  /**
   * The exact parameter count in closed form, for layers whose `params` may
   * list only some of their tensors (a recurrent stack deeper than
   * `LIMITS.rnnLayersListed`). Undefined: the sum of `params`.
   */
  readonly count?: (args: Args) => bigint | undefined;
}

function d(args: Args, name: string): Dim | undefined {
  const v = args.get(name);
  if (typeof v === 'number' || (typeof v === 'object' && v !== null && 'symbol' in v)) return v as Dim;
  return undefined;
}

/** The dimension, or the argument's name when it is absent. */
function sym(args: Args, name: string): Dim {
  return d(args, name) ?? { symbol: name };
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

function div(a: Dim, b: Dim | undefined): Dim {
  if (b === 1) return a;
  if (isKnown(a) && isKnown(b) && b > 0 && a % b === 0) return a / b;
  // One expression of one call's arguments, so one value: a depthwise conv's `in_channels/groups` with
  // groups = in_channels (mobilenetv2's `groups=planes`) is 1, as _ConvNd requires groups to be positive.
  if (!isKnown(a) && b !== undefined && !isKnown(b) && a.symbol === b.symbol && a.symbol !== '?') return 1;
  return { symbol: `${showDim(a)}/${showDim(b)}` };
}

function mul(a: Dim, b: Dim): Dim {
  return product([a, b]);
}

/** `bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0`, then `uniform_(-bound, bound)` (Linear, RNNBase, RNNCellBase). */
function uniformBound(fan: Dim): InitScheme | undefined {
  if (!isKnown(fan)) return undefined;
  const b = fan > 0 ? 1 / Math.sqrt(fan) : 0;
  return { kind: 'uniform', a: -b, b };
}

const atStep = (step: number, params: ParamSpec[]): ParamSpec[] => params.map((p) => ({ ...p, step }));
const prefixed = (prefix: string, params: ParamSpec[]): ParamSpec[] => params.map((p) => ({ ...p, name: `${prefix}${p.name}` }));

/** Tensors of a module of type `module` inside a block (see {@link ParamSpec.module}); inner modules keep their own type. */
const inModule = (module: string, params: ParamSpec[]): ParamSpec[] => params.map((p) => (p.module ? p : { ...p, module }));

/** The norm class a `norm_layer` argument names (`nn.BatchNorm2d` → `BatchNorm2d`). */
const normType = (text: string): string => /(\w*Norm\w*)$/.exec(text)?.[1] ?? text;

/**
 * Linear-style weight then bias. `_ConvNd` skips the bias init when the
 * weight's fan_in is 0 (the bias keeps `torch.empty`'s contents); `Linear`
 * draws it with bound 0.
 */
function linearLike(weight: Dim[], fanIn: Dim, out: Dim, bias: boolean, conv = false): ParamSpec[] {
  const params: ParamSpec[] = [{ name: 'weight', shape: weight, init: TORCH_LINEAR_DEFAULT, label: TORCH_LINEAR_LABEL, kind: 'weight' }];
  if (!bias) return params;
  if (conv && fanIn === 0) params.push({ name: 'bias', shape: [out], init: undefined, label: 'left uninitialized by PyTorch (fan_in 0)', kind: 'bias' });
  else params.push({ name: 'bias', shape: [out], init: uniformBound(fanIn), label: 'U(±1/√fan_in)', kind: 'bias' });
  return params;
}

/**
 * `_ConvNd`'s "in_channels must be divisible by groups" and its kin
 * (`embed_dim` by `num_heads`, `num_channels` by `num_groups`), as Python's
 * `%` decides it: a divisor of 0 raises ZeroDivisionError.
 */
function divisible(args: Args, what: string, by: string, blame = what): SizeProblem | undefined {
  const a = args.get(what);
  const b = args.get(by);
  // `embed_dim % None` and `% "3"` are TypeErrors too.
  if (b === null || typeof b === 'string' || Array.isArray(b)) return { arg: by, message: `${by} = ${b === null ? 'None' : JSON.stringify(b)} is not a number` };
  if (typeof a !== 'number' || typeof b !== 'number' || (b !== 0 && a % b === 0)) return undefined;
  return { arg: blame, message: `${what} = ${a} is not divisible by ${by} = ${b}` };
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
    // _ConvNd: "groups must be a positive integer", "in_channels must be divisible by groups".
    sizes: { in_channels: 'size', out_channels: 'size', kernel_size: 'size', groups: 'positive' },
    relations: (args) => divisible(args, 'in_channels', 'groups') ?? divisible(args, 'out_channels', 'groups'),
    params(args) {
      const cin = sym(args, 'in_channels');
      const cout = sym(args, 'out_channels');
      const groups = d(args, 'groups') ?? 1;
      const k = kernel(args, 'kernel_size', n);
      // _ConvNd: weight is (out, in/groups, *k), or (in, out/groups, *k) when transposed;
      // the bias bound uses _calculate_fan_in_and_fan_out(weight)[0], i.e. shape[1]·∏k.
      const shape = transpose ? [cin, div(cout, groups), ...k] : [cout, div(cin, groups), ...k];
      return linearLike(shape, product([shape[1], ...k]), cout, flag(args, 'bias'), true);
    },
  };
}

/** RNNBase: every parameter `uniform_(-1/√hidden, 1/√hidden)` in registration order. */
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
    // RNNBase raises when hidden_size <= proj_size (so hidden_size 0 fails) and num_layers 0 has no layer 0.
    sizes: { input_size: 'size', hidden_size: 'positive', num_layers: 'positive', proj_size: 'size' },
    relations(args) {
      const proj = args.get('proj_size');
      const hidden = args.get('hidden_size');
      if (typeof proj !== 'number' || proj === 0) return undefined;
      if (type !== 'LSTM') return { arg: 'proj_size', message: `proj_size = ${proj}: only LSTM has projections` };
      return typeof hidden === 'number' && proj >= hidden ? { arg: 'proj_size', message: `proj_size = ${proj} is not smaller than hidden_size = ${hidden}` } : undefined;
    },
    builtinActivation: (args) => (type === 'RNN' ? String(args.get('nonlinearity') ?? 'tanh') : 'tanh'),
    params(args) {
      const input = sym(args, 'input_size');
      const hidden = sym(args, 'hidden_size');
      const layersArg = d(args, 'num_layers');
      // A deep stack is listed up to the limit; `count` still counts every layer.
      const layers = isKnown(layersArg) ? Math.min(layersArg, LIMITS.rnnLayersListed.value) : 1;
      const directions = args.get('bidirectional') === true ? 2 : 1;
      const proj = d(args, 'proj_size');
      const projected = isKnown(proj) && proj > 0;
      const width = projected ? proj : hidden;
      const init = uniformBound(hidden);
      const label = 'U(±1/√hidden_size)';
      const rows = mul(gates, hidden);
      const out: ParamSpec[] = [];
      for (let l = 0; l < layers; l++) {
        for (let dir = 0; dir < directions; dir++) {
          const suffix = `_l${l}${dir === 1 ? '_reverse' : ''}`;
          out.push({ name: `weight_ih${suffix}`, shape: [rows, l === 0 ? input : mul(width, directions)], init, label, kind: 'weight' });
          out.push({ name: `weight_hh${suffix}`, shape: [rows, width], init, label, kind: 'recurrent' });
          if (flag(args, 'bias')) {
            out.push({ name: `bias_ih${suffix}`, shape: [rows], init, label, kind: 'bias' });
            out.push({ name: `bias_hh${suffix}`, shape: [rows], init, label, kind: 'bias' });
          }
          if (projected) out.push({ name: `weight_hr${suffix}`, shape: [proj, hidden], init, label, kind: 'recurrent' });
        }
      }
      return out;
    },
    count(args) {
      // Layers after the first are alike: layer 0 plus (layers − 1) copies, exactly.
      const [input, hidden, layers, proj] = ['input_size', 'hidden_size', 'num_layers', 'proj_size'].map((name) => d(args, name));
      if (!isKnown(input) || !isKnown(hidden) || !isKnown(layers) || !isKnown(proj)) return undefined;
      const [i, h, p, g] = [input, hidden, proj, gates].map(BigInt);
      const directions = args.get('bidirectional') === true ? 2n : 1n;
      const width = p > 0n ? p : h;
      const perLayer = (inputWidth: bigint) => directions * (g * h * (inputWidth + width) + (flag(args, 'bias') ? 2n * g * h : 0n) + p * h);
      return perLayer(i) + BigInt(layers - 1) * perLayer(width * directions);
    },
  };
}

/** RNNCellBase: like RNNBase for one layer; hidden_size 0 is allowed (bound 0). */
function cell(type: 'RNNCell' | 'LSTMCell' | 'GRUCell'): LayerSpec {
  const gates = type === 'LSTMCell' ? 4 : type === 'GRUCell' ? 3 : 1;
  return {
    framework: 'torch',
    type,
    role: 'weight',
    signature: type === 'RNNCell' ? ['input_size', 'hidden_size', 'bias', 'nonlinearity'] : ['input_size', 'hidden_size', 'bias'],
    defaults: { bias: true, nonlinearity: 'tanh' },
    sizes: { input_size: 'size', hidden_size: 'size' },
    builtinActivation: (args) => (type === 'RNNCell' ? String(args.get('nonlinearity') ?? 'tanh') : 'tanh'),
    params(args) {
      const hidden = sym(args, 'hidden_size');
      const rows = mul(gates, hidden);
      const init = uniformBound(hidden);
      const label = 'U(±1/√hidden_size)';
      const out: ParamSpec[] = [
        { name: 'weight_ih', shape: [rows, sym(args, 'input_size')], init, label, kind: 'weight' },
        { name: 'weight_hh', shape: [rows, hidden], init, label, kind: 'recurrent' },
      ];
      if (flag(args, 'bias')) out.push({ name: 'bias_ih', shape: [rows], init, label, kind: 'bias' }, { name: 'bias_hh', shape: [rows], init, label, kind: 'bias' });
      return out;
    },
  };
}

function norm(type: string, signature: string[], sizes: LayerSpec['sizes'], channels: (args: Args) => Dim[], defaults: Readonly<Record<string, Value>> = {}): LayerSpec {
  return {
    framework: 'torch',
    type,
    role: 'normalizer',
    signature,
    defaults: { eps: 1e-5, affine: true, elementwise_affine: true, bias: true, ...defaults },
    sizes,
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

/**
 * MultiheadAttention's tensors in `named_parameters()` order. Construction
 * order differs: `out_proj` (a Linear, which draws) is built in `__init__`
 * at `step`, then `_reset_parameters` draws the block's own tensors and sets
 * the biases to 0, `out_proj.bias` included.
 */
function attentionParams(prefix: string, e: Dim, bias: boolean, addBiasKv: boolean, kdim: Dim, vdim: Dim, step: number): ParamSpec[] {
  const xavier: InitScheme = { kind: 'xavier_uniform', gain: 1 };
  const own: ParamSpec[] = [];
  const same = (x: Dim) => showDim(x) === showDim(e);
  if (same(kdim) && same(vdim)) {
    own.push({ name: 'in_proj_weight', shape: [mul(3, e), e], init: xavier, label: 'xavier_uniform_', kind: 'weight' });
  } else {
    own.push(
      { name: 'q_proj_weight', shape: [e, e], init: xavier, label: 'xavier_uniform_', kind: 'weight' },
      { name: 'k_proj_weight', shape: [e, kdim], init: xavier, label: 'xavier_uniform_', kind: 'weight' },
      { name: 'v_proj_weight', shape: [e, vdim], init: xavier, label: 'xavier_uniform_', kind: 'weight' },
    );
  }
  if (bias) own.push({ name: 'in_proj_bias', shape: [mul(3, e)], init: { kind: 'zeros' }, label: 'zeros', kind: 'bias' });
  if (addBiasKv) {
    for (const name of ['bias_k', 'bias_v']) own.push({ name, shape: [1, 1, e], init: { kind: 'xavier_normal', gain: 1 }, label: 'xavier_normal_', kind: 'bias_kv' });
  }
  const outProj = linearLike([e, e], e, e, bias).map((p) => (p.name === 'bias' ? { ...p, drawn: p.init, init: { kind: 'zeros' } as InitScheme, label: 'zeros' } : p));
  // out_proj is a NonDynamicallyQuantizableLinear, a subclass of Linear.
  return prefixed(prefix, [...atStep(step + 1, inModule('MultiheadAttention', own)), ...atStep(step, prefixed('out_proj.', inModule('Linear', outProj)))]);
}

function transformer(type: 'TransformerEncoderLayer' | 'TransformerDecoderLayer'): LayerSpec {
  return {
    framework: 'torch',
    type,
    role: 'composite',
    signature: ['d_model', 'nhead', 'dim_feedforward', 'dropout', 'activation'],
    defaults: { dim_feedforward: 2048, dropout: 0.1, activation: 'relu', bias: true },
    // d_model 0 divides by zero in xavier_uniform_ of in_proj_weight.
    sizes: { d_model: 'positive', dim_feedforward: 'size' },
    relations: (args) => divisible(args, 'd_model', 'nhead', 'nhead'),
    builtinActivation: (args) => String(args.get('activation') ?? 'relu'),
    params(args) {
      const dm = sym(args, 'd_model');
      const ff = sym(args, 'dim_feedforward');
      const bias = flag(args, 'bias');
      // Built in this order: self_attn, (multihead_attn), linear1, linear2, norms.
      const out = attentionParams('self_attn.', dm, bias, false, dm, dm, 0);
      if (type === 'TransformerDecoderLayer') out.push(...attentionParams('multihead_attn.', dm, bias, false, dm, dm, 2));
      const rest = inModule('Linear', [...prefixed('linear1.', linearLike([ff, dm], dm, ff, bias)), ...prefixed('linear2.', linearLike([dm, ff], ff, dm, bias))]);
      for (let i = 1; i <= (type === 'TransformerDecoderLayer' ? 3 : 2); i++) {
        rest.push({ name: `norm${i}.weight`, shape: [dm], init: { kind: 'ones' }, label: 'ones', kind: 'norm_weight', module: 'LayerNorm' });
        rest.push({ name: `norm${i}.bias`, shape: [dm], init: { kind: 'zeros' }, label: 'zeros', kind: 'norm_bias', module: 'LayerNorm' });
      }
      return [...out, ...atStep(4, rest)];
    },
  };
}

const XAVIER: InitScheme = { kind: 'xavier_uniform', gain: 1 };

/**
 * `nn.Transformer` (torch/nn/modules/transformer.py): an encoder stack
 * (`encoder.layers.<i>.*`, `encoder.norm`) and a decoder stack
 * (`decoder.layers.<i>.*`, `decoder.norm`), each layer a deep copy of one
 * prototype, then `_reset_parameters` draws `xavier_uniform_` into every
 * tensor of two or more dims. Biases keep what the prototype drew (the
 * attention ones are zero). The copies draw nothing, so exact mode does not
 * replay it.
 */
function transformerModel(): LayerSpec {
  const layer = (type: 'TransformerEncoderLayer' | 'TransformerDecoderLayer') => transformer(type);
  return {
    framework: 'torch',
    type: 'Transformer',
    role: 'composite',
    signature: ['d_model', 'nhead', 'num_encoder_layers', 'num_decoder_layers', 'dim_feedforward', 'dropout', 'activation'],
    defaults: { d_model: 512, nhead: 8, num_encoder_layers: 6, num_decoder_layers: 6, dim_feedforward: 2048, dropout: 0.1, activation: 'relu', bias: true },
    sizes: { d_model: 'positive', nhead: 'positive', num_encoder_layers: 'size', num_decoder_layers: 'size', dim_feedforward: 'size' },
    relations: (args) => divisible(args, 'd_model', 'nhead', 'nhead'),
    notEmulated: 'nn.Transformer deep-copies its layers and redraws their weights afterwards, which exact mode does not replay',
    params(args) {
      const stack = (prefix: 'encoder' | 'decoder', type: 'TransformerEncoderLayer' | 'TransformerDecoderLayer', count: Dim | undefined): ParamSpec[] => {
        // Listed up to the limit of recurrent stacks; `count` still counts every layer.
        const n = isKnown(count) ? Math.min(count, LIMITS.rnnLayersListed.value) : 1;
        const one = layer(type).params(args).map((p): ParamSpec => (p.shape.length >= 2 ? { ...p, init: XAVIER, label: 'xavier_uniform_ (Transformer._reset_parameters)', drawn: undefined, step: undefined } : { ...p, drawn: undefined, step: undefined }));
        const out: ParamSpec[] = [];
        for (let i = 0; i < n; i++) out.push(...prefixed(`${prefix}.layers.${i}.`, one));
        const dm = sym(args, 'd_model');
        out.push({ name: `${prefix}.norm.weight`, shape: [dm], init: { kind: 'ones' }, label: 'ones', kind: 'norm_weight', module: 'LayerNorm' }, { name: `${prefix}.norm.bias`, shape: [dm], init: { kind: 'zeros' }, label: 'zeros', kind: 'norm_bias', module: 'LayerNorm' });
        return out;
      };
      return [...stack('encoder', 'TransformerEncoderLayer', d(args, 'num_encoder_layers')), ...stack('decoder', 'TransformerDecoderLayer', d(args, 'num_decoder_layers'))];
    },
    count(args) {
      const [dm, ff, enc, dec] = ['d_model', 'dim_feedforward', 'num_encoder_layers', 'num_decoder_layers'].map((name) => d(args, name));
      if (!isKnown(dm) || !isKnown(ff) || !isKnown(enc) || !isKnown(dec)) return undefined;
      const sizes = (type: 'TransformerEncoderLayer' | 'TransformerDecoderLayer') => layer(type).params(args).reduce((a, p) => a + p.shape.reduce((x: bigint, y) => x * BigInt(y as number), 1n), 0n);
      const norm = 2n * BigInt(dm);
      return BigInt(enc) * sizes('TransformerEncoderLayer') + norm + BigInt(dec) * sizes('TransformerDecoderLayer') + norm;
    },
  };
}

/**
 * `nn.TransformerEncoder(encoder_layer, num_layers, norm=None)`: `_get_clones`
 * deep-copies the layer it is given `num_layers` times (`layers.<i>.*`), so
 * the draws are the encoder layer's own, made where it is constructed, and
 * every copy starts with the same values; `norm` (an `nn.LayerNorm`) is
 * registered as `norm`. The analysis (model/encoderStack.ts) reads the encoder
 * layer's arguments into these args (its `d_model`, `nhead`, ... under their
 * own names, the norm's as `norm.normalized_shape`, `norm.eps`,
 * `norm.elementwise_affine`); `encoder_layer` is `'TransformerEncoderLayer'`
 * once it is read, and the norm `'LayerNorm'` or None.
 */
function transformerEncoder(): LayerSpec {
  const layer = transformer('TransformerEncoderLayer');
  function params(args: Args): ParamSpec[] {
    const count = d(args, 'num_layers');
    // Listed up to the limit of recurrent stacks; `count` still counts every layer.
    const n = isKnown(count) ? Math.min(count, LIMITS.rnnLayersListed.value) : 1;
    const one = layer.params(args);
    const out: ParamSpec[] = prefixed('layers.0.', one);
    for (let i = 1; i < n; i++) out.push(...prefixed(`layers.${i}.`, one.map((p): ParamSpec => ({ ...p, label: `${p.label}; a deep copy: the values of layers.0.${p.name}`, copyOf: `layers.0.${p.name}`, drawn: undefined, step: undefined }))));
    if (args.get('norm') === 'LayerNorm' && args.get('norm.elementwise_affine') !== false) {
      const shape = args.get('norm.normalized_shape');
      const dims: Dim[] = Array.isArray(shape) ? shape.map((x) => (typeof x === 'number' ? x : { symbol: String(x) })) : [d(args, 'norm.normalized_shape') ?? { symbol: 'normalized_shape' }];
      out.push({ name: 'norm.weight', shape: dims, init: { kind: 'ones' }, label: 'ones', kind: 'norm_weight', module: 'LayerNorm' }, { name: 'norm.bias', shape: dims, init: { kind: 'zeros' }, label: 'zeros', kind: 'norm_bias', module: 'LayerNorm' });
    }
    return out;
  }
  return {
    framework: 'torch',
    type: 'TransformerEncoder',
    role: 'composite',
    signature: ['encoder_layer', 'num_layers', 'norm', 'enable_nested_tensor', 'mask_check'],
    defaults: { ...layer.defaults, norm: null, enable_nested_tensor: true, mask_check: true },
    sizes: { num_layers: 'size', d_model: 'positive', dim_feedforward: 'size' },
    relations(args) {
      const given = args.get('encoder_layer');
      if (given !== 'TransformerEncoderLayer') return { arg: 'encoder_layer', message: `encoder_layer${typeof given === 'string' ? ` = ${given}` : ''}: InitLens reads an nn.TransformerEncoderLayer(...) written inline or held by a local name`, limit: true };
      const norm = args.get('norm');
      if (norm !== null && norm !== 'LayerNorm') return { arg: 'norm', message: `norm${typeof norm === 'string' ? ` = ${norm}` : ''}: InitLens reads None or an nn.LayerNorm(...) written inline or held by a local name`, limit: true };
      return divisible(args, 'd_model', 'nhead', 'nhead');
    },
    builtinActivation: (args) => String(args.get('activation') ?? 'relu'),
    exactProblem: (args) => {
      const why = args.get('encoder_layer.exact');
      return typeof why === 'string' ? why : undefined;
    },
    params,
    count(args) {
      const [dm, ff, n] = ['d_model', 'dim_feedforward', 'num_layers'].map((name) => d(args, name));
      if (!isKnown(dm) || !isKnown(ff) || !isKnown(n)) return undefined;
      const norm = params(args).filter((p) => p.name.startsWith('norm.'));
      if (norm.some((p) => !p.shape.every(isKnown))) return undefined;
      const size = (ps: ParamSpec[]) => ps.reduce((a, p) => a + p.shape.reduce((x: bigint, y) => x * BigInt(y as number), 1n), 0n);
      return BigInt(n) * size(layer.params(args)) + size(norm);
    },
  };
}

function embedding(type: 'Embedding' | 'EmbeddingBag', signature: string[]): LayerSpec {
  return {
    framework: 'torch',
    type,
    role: 'weight',
    signature,
    defaults: { padding_idx: null },
    sizes: { num_embeddings: 'size', embedding_dim: 'size', padding_idx: 'index or None' },
    relations(args) {
      const num = args.get('num_embeddings');
      const pad = args.get('padding_idx');
      if (typeof num === 'number' && typeof pad === 'number' && (pad >= num || pad < -num)) return { arg: 'padding_idx', message: `padding_idx = ${pad} is not within num_embeddings = ${num}` };
      return undefined;
    },
    params(args) {
      const num = sym(args, 'num_embeddings');
      const pad = args.get('padding_idx');
      // reset_parameters: normal_(weight), then _fill_padding_idx_with_zero (a negative index counts from the end).
      const zeroRow = typeof pad === 'number' && isKnown(num) ? (pad < 0 ? num + pad : pad) : undefined;
      return [{ name: 'weight', shape: [num, sym(args, 'embedding_dim')], init: { kind: 'normal', mean: 0, std: 1 }, label: zeroRow === undefined ? 'normal_(0, 1)' : 'normal_(0, 1), padding_idx row 0', kind: 'embedding', ...(zeroRow === undefined ? {} : { zeroRow }) }];
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
    sizes: { in_features: 'size', out_features: 'size' },
    params: (args) => linearLike([sym(args, 'out_features'), sym(args, 'in_features')], sym(args, 'in_features'), sym(args, 'out_features'), flag(args, 'bias')),
  },
  {
    framework: 'torch',
    type: 'Bilinear',
    role: 'weight',
    signature: ['in1_features', 'in2_features', 'out_features', 'bias'],
    defaults: { bias: true },
    // reset_parameters divides by √in1_features.
    sizes: { in1_features: 'positive', in2_features: 'size', out_features: 'size' },
    params(args) {
      const in1 = sym(args, 'in1_features');
      const out = sym(args, 'out_features');
      // Bilinear.reset_parameters: bound = 1/√weight.size(1) = 1/√in1 for weight and bias.
      const init = uniformBound(in1);
      const params: ParamSpec[] = [{ name: 'weight', shape: [out, in1, sym(args, 'in2_features')], init, label: 'U(±1/√in1_features)', kind: 'weight' }];
      if (flag(args, 'bias')) params.push({ name: 'bias', shape: [out], init, label: 'U(±1/√in1_features)', kind: 'bias' });
      return params;
    },
  },
  conv(1, false),
  conv(2, false),
  conv(3, false),
  conv(1, true),
  conv(2, true),
  conv(3, true),
  embedding('Embedding', ['num_embeddings', 'embedding_dim', 'padding_idx']),
  embedding('EmbeddingBag', ['num_embeddings', 'embedding_dim']),
  rnn('RNN'),
  rnn('LSTM'),
  rnn('GRU'),
  cell('RNNCell'),
  cell('LSTMCell'),
  cell('GRUCell'),
  {
    framework: 'torch',
    type: 'MultiheadAttention',
    role: 'composite',
    signature: ['embed_dim', 'num_heads', 'dropout', 'bias', 'add_bias_kv', 'add_zero_attn', 'kdim', 'vdim'],
    defaults: { dropout: 0, bias: true, add_bias_kv: false, add_zero_attn: false, kdim: null, vdim: null },
    // embed_dim 0 divides by zero in xavier_uniform_; kdim/vdim None mean embed_dim.
    sizes: { embed_dim: 'positive', kdim: 'size or None', vdim: 'size or None' },
    // "embed_dim must be divisible by num_heads" (num_heads only splits the projections: PyTorch takes 2.0 or -1 as long as it divides).
    relations: (args) => divisible(args, 'embed_dim', 'num_heads', 'num_heads'),
    params(args) {
      const e = sym(args, 'embed_dim');
      const other = (name: string) => (args.get(name) === null ? e : sym(args, name));
      return attentionParams('', e, flag(args, 'bias'), args.get('add_bias_kv') === true, other('kdim'), other('vdim'), 0);
    },
  },
  transformer('TransformerEncoderLayer'),
  transformer('TransformerDecoderLayer'),
  transformerEncoder(),
  ...['BatchNorm1d', 'BatchNorm2d', 'BatchNorm3d'].map((type) => norm(type, ['num_features', 'eps', 'momentum', 'affine'], { num_features: 'size' }, (a) => [sym(a, 'num_features')])),
  norm('LayerNorm', ['normalized_shape', 'eps', 'elementwise_affine', 'bias'], { normalized_shape: 'size' }, (a) => {
    const v = a.get('normalized_shape');
    if (Array.isArray(v)) return v.map((x) => (typeof x === 'number' ? x : { symbol: String(x) }));
    return [sym(a, 'normalized_shape')];
  }),
  { ...norm('GroupNorm', ['num_groups', 'num_channels', 'eps', 'affine'], { num_channels: 'size' }, (a) => [sym(a, 'num_channels')]), relations: (args) => divisible(args, 'num_channels', 'num_groups', 'num_groups') },
  // _InstanceNorm: affine=False and track_running_stats=False by default (no parameters then).
  ...['InstanceNorm1d', 'InstanceNorm2d', 'InstanceNorm3d'].map((type) => norm(type, ['num_features', 'eps', 'momentum', 'affine', 'track_running_stats'], { num_features: 'size' }, (a) => [sym(a, 'num_features')], { affine: false, track_running_stats: false })),
  transformerModel(),
];

/** A callable argument as written (`nn.Hardswish`), or the default's name (`"ReLU"`); null for None. */
function callableText(args: Args, name: string): string | null | undefined {
  const v = args.get(name);
  if (v === null) return null;
  if (typeof v === 'string') return v;
  return typeof v === 'object' && v !== null && 'symbol' in v ? (v as { symbol: string }).symbol : undefined;
}

/** Tensors of a `norm_layer(channels)` that torchvision builds: BatchNorm's weight and bias; undefined when InitLens cannot tell which norm it is. */
function blockNorm(args: Args, prefix: string, channels: Dim): ParamSpec[] | undefined {
  const text = callableText(args, 'norm_layer');
  if (text === null) return [];
  if (text === undefined || !/BatchNorm[123]d/.test(text)) return undefined;
  return inModule(normType(text), [
    { name: `${prefix}weight`, shape: [channels], init: { kind: 'ones' }, label: 'ones', kind: 'norm_weight' },
    { name: `${prefix}bias`, shape: [channels], init: { kind: 'zeros' }, label: 'zeros', kind: 'norm_bias' },
  ]);
}

/** What a block applies after its weight: its norm, then its activation (null: one InitLens cannot name). */
function blockApplies(args: Args, activationArg: string, normArg?: string): { activation?: Activation | null; normalizer?: string } | undefined {
  const act = callableText(args, activationArg);
  const normText = normArg ? callableText(args, normArg) : null;
  const normalizer = normText ? /(\w*Norm\w*)/.exec(normText)?.[1] : undefined;
  if (act === null) return normalizer ? { normalizer } : undefined;
  return { activation: act === undefined ? null : (torchActivationClass(act) ?? null), ...(normalizer ? { normalizer } : {}) };
}

/**
 * torchvision's building blocks (torchvision/ops/misc.py, 0.14): layers that
 * build weight layers and apply their own norm and activation. Reported where
 * they are constructed, as one layer with the tensors of `named_parameters()`.
 */
const TORCHVISION_LAYERS: LayerSpec[] = [
  {
    framework: 'torch',
    type: 'Conv2dNormActivation',
    role: 'weight',
    signature: ['in_channels', 'out_channels', 'kernel_size', 'stride', 'padding', 'groups', 'norm_layer', 'activation_layer', 'dilation', 'inplace', 'bias'],
    defaults: { kernel_size: 3, stride: 1, padding: null, groups: 1, norm_layer: 'BatchNorm2d', activation_layer: 'ReLU', dilation: 1, inplace: true, bias: null },
    sizes: { in_channels: 'size', out_channels: 'size', kernel_size: 'size', groups: 'positive' },
    relations: (args) => divisible(args, 'in_channels', 'groups') ?? divisible(args, 'out_channels', 'groups'),
    applies: (args) => blockApplies(args, 'activation_layer', 'norm_layer'),
    notEmulated: 'torchvision blocks are not emulated',
    params(args) {
      // ConvNormActivation: `bias = norm_layer is None` when not given; the conv is module 0, the norm module 1.
      const bias = args.get('bias') === null || args.get('bias') === undefined ? callableText(args, 'norm_layer') === null : args.get('bias') !== false;
      const convArgs = new Map(args);
      convArgs.set('bias', bias);
      const convParams = prefixed('0.', inModule('Conv2d', conv(2, false).params(convArgs)));
      return [...convParams, ...(blockNorm(args, '1.', sym(args, 'out_channels')) ?? [])];
    },
    count(args) {
      if (blockNorm(args, '1.', 0) === undefined) return undefined;
      return countOf(this.params(args));
    },
  },
  {
    framework: 'torch',
    type: 'SqueezeExcitation',
    role: 'weight',
    signature: ['input_channels', 'squeeze_channels', 'activation', 'scale_activation'],
    defaults: { activation: 'ReLU', scale_activation: 'Sigmoid' },
    sizes: { input_channels: 'size', squeeze_channels: 'size' },
    // fc1 (a 1×1 Conv2d) is followed by `activation`; fc2 by `scale_activation`.
    applies: (args) => blockApplies(args, 'activation'),
    notEmulated: 'torchvision blocks are not emulated',
    params(args) {
      const input = sym(args, 'input_channels');
      const squeeze = sym(args, 'squeeze_channels');
      return inModule('Conv2d', [...prefixed('fc1.', linearLike([squeeze, input, 1, 1], input, squeeze, true, true)), ...prefixed('fc2.', linearLike([input, squeeze, 1, 1], squeeze, input, true, true))]);
    },
  },
  {
    framework: 'torch',
    type: 'MLP',
    role: 'weight',
    signature: ['in_channels', 'hidden_channels', 'norm_layer', 'activation_layer', 'inplace', 'bias', 'dropout'],
    defaults: { norm_layer: null, activation_layer: 'ReLU', inplace: true, bias: true, dropout: 0 },
    sizes: { in_channels: 'size' },
    // The first Linear is followed by the norm and activation when another Linear comes after it.
    applies: (args) => {
      const hidden = args.get('hidden_channels');
      if (!Array.isArray(hidden)) return { activation: null };
      return hidden.length > 1 ? blockApplies(args, 'activation_layer', 'norm_layer') : undefined;
    },
    notEmulated: 'torchvision blocks are not emulated',
    params(args) {
      const hidden = args.get('hidden_channels');
      if (!Array.isArray(hidden)) return [];
      const dims = hidden.map((h) => (typeof h === 'number' ? h : { symbol: String(h) }));
      // Sequential: per hidden width Linear, [norm], activation, Dropout; then the last Linear and a Dropout.
      const out: ParamSpec[] = [];
      let index = 0;
      let width: Dim = sym(args, 'in_channels');
      dims.forEach((h, i) => {
        out.push(...prefixed(`${index++}.`, inModule('Linear', linearLike([h, width], width, h, flag(args, 'bias')))));
        if (i === dims.length - 1) return;
        if (callableText(args, 'norm_layer') !== null) out.push(...(blockNorm(args, `${index++}.`, h) ?? []));
        index += 2;
        width = h;
      });
      return out;
    },
    count(args) {
      const hidden = args.get('hidden_channels');
      if (!Array.isArray(hidden) || (callableText(args, 'norm_layer') !== null && blockNorm(args, '', 0) === undefined)) return undefined;
      return countOf(this.params(args));
    },
  },
];

/** `norm_layer(width)` of a timm block: LayerNorm's or BatchNorm's ones and zeros; [] for None; undefined when InitLens cannot tell which norm it is. */
function widthNorm(args: Args, name: string, prefix: string, width: Dim): ParamSpec[] | undefined {
  const text = callableText(args, name);
  if (text === null) return [];
  if (text === undefined || !/(^|\.)(LayerNorm|BatchNorm[123]d)$/.test(text)) return undefined;
  return inModule(normType(text), [
    { name: `${prefix}weight`, shape: [width], init: { kind: 'ones' }, label: 'ones', kind: 'norm_weight' },
    { name: `${prefix}bias`, shape: [width], init: { kind: 'zeros' }, label: 'zeros', kind: 'norm_bias' },
  ]);
}

/** `x or default` for an optional width (`hidden_features=None`). */
function orDefault(args: Args, name: string, fallback: Dim): Dim {
  const v = args.get(name);
  return v === null || v === undefined || v === 0 ? fallback : (d(args, name) ?? { symbol: name });
}

/** timm's `to_2tuple(bias)`: one flag for both layers, or a pair. */
function biasPair(args: Args): [boolean, boolean] {
  const v = args.get('bias');
  if (Array.isArray(v) && v.length === 2) return [v[0] !== false, v[1] !== false];
  return [v !== false, v !== false];
}

/**
 * timm's building blocks (pytorch-image-models, timm/layers/mlp.py and
 * patch_embed.py at 0d87cae / 0ad09de): the MLP of every ViT / MLP-Mixer
 * block and the patch embedding, built from plain torch layers with
 * PyTorch's defaults (timm's models re-initialize them in their own
 * `init_weights`, which a file calling them must do itself).
 */
const TIMM_LAYERS: LayerSpec[] = [
  {
    framework: 'torch',
    type: 'Mlp',
    role: 'weight',
    signature: ['in_features', 'hidden_features', 'out_features', 'act_layer', 'norm_layer', 'bias', 'drop', 'use_conv'],
    defaults: { hidden_features: null, out_features: null, act_layer: 'GELU', norm_layer: null, bias: true, drop: 0, use_conv: false },
    sizes: { in_features: 'size' },
    // fc1 → act → drop → norm → fc2: act_layer is fc1's activation.
    applies: (args) => blockApplies(args, 'act_layer'),
    notEmulated: 'timm blocks are not emulated',
    params(args) {
      const input = sym(args, 'in_features');
      const hidden = orDefault(args, 'hidden_features', input);
      const output = orDefault(args, 'out_features', input);
      const [bias1, bias2] = biasPair(args);
      // use_conv: 1×1 Conv2d layers instead of Linear (same defaults, fans without a receptive field).
      const useConv = args.get('use_conv') === true;
      const shape = (o: Dim, i: Dim) => (useConv ? [o, i, 1, 1] : [o, i]);
      const linear = useConv ? 'Conv2d' : 'Linear';
      return [
        ...prefixed('fc1.', inModule(linear, linearLike(shape(hidden, input), input, hidden, bias1))),
        ...(widthNorm(args, 'norm_layer', 'norm.', hidden) ?? []),
        ...prefixed('fc2.', inModule(linear, linearLike(shape(output, hidden), hidden, output, bias2))),
      ];
    },
    count(args) {
      if (widthNorm(args, 'norm_layer', '', 0) === undefined) return undefined;
      return countOf(this.params(args));
    },
  },
  {
    framework: 'torch',
    type: 'PatchEmbed',
    role: 'weight',
    signature: ['img_size', 'patch_size', 'in_chans', 'embed_dim', 'norm_layer', 'flatten', 'output_fmt', 'bias', 'strict_img_size', 'dynamic_img_pad'],
    defaults: { img_size: 224, patch_size: 16, in_chans: 3, embed_dim: 768, norm_layer: null, flatten: true, output_fmt: null, bias: true, strict_img_size: true, dynamic_img_pad: false },
    sizes: { in_chans: 'size', embed_dim: 'size', patch_size: 'size' },
    applies: (args) => {
      const text = callableText(args, 'norm_layer');
      const normalizer = text ? /(\w*Norm\w*)/.exec(text)?.[1] : undefined;
      return normalizer ? { normalizer } : undefined;
    },
    notEmulated: 'timm blocks are not emulated',
    params(args) {
      // proj = nn.Conv2d(in_chans, embed_dim, kernel_size=patch_size, stride=patch_size, bias=bias)
      const input = sym(args, 'in_chans');
      const embed = sym(args, 'embed_dim');
      const [kh, kw] = kernel(args, 'patch_size', 2);
      return [
        ...prefixed('proj.', inModule('Conv2d', linearLike([embed, input, kh, kw], product([input, kh, kw]), embed, args.get('bias') !== false, true))),
        ...(widthNorm(args, 'norm_layer', 'norm.', embed) ?? []),
      ];
    },
    count(args) {
      if (widthNorm(args, 'norm_layer', '', 0) === undefined) return undefined;
      return countOf(this.params(args));
    },
  },
];

/**
 * Hugging Face transformers' `Conv1D(nf, nx)` (src/transformers/pytorch_utils.py):
 * GPT/GPT-2's linear layer with the weight transposed, `torch.empty(nx, nf)`
 * drawn from N(0, 0.02) and a zero bias. PyTorch's fan rule reads that
 * weight as fan_in nf, fan_out nx, and so does every `nn.init` call on it.
 */
const TRANSFORMERS_LAYERS: LayerSpec[] = [
  {
    framework: 'torch',
    type: 'Conv1D',
    role: 'weight',
    signature: ['nf', 'nx'],
    defaults: {},
    sizes: { nf: 'size', nx: 'size' },
    notEmulated: 'transformers layers are not emulated',
    params(args) {
      const nf = sym(args, 'nf');
      const nx = sym(args, 'nx');
      return [
        { name: 'weight', shape: [nx, nf], init: { kind: 'normal', mean: 0, std: 0.02 }, label: 'normal_(std=0.02)', kind: 'weight' },
        { name: 'bias', shape: [nf], init: { kind: 'zeros' }, label: 'zeros', kind: 'bias' },
      ];
    },
  },
];

/** The exact element total of tensors, or undefined when a shape is unknown. */
function countOf(params: readonly ParamSpec[]): bigint | undefined {
  let total = 0n;
  for (const p of params) {
    if (!p.shape.every(isKnown)) return undefined;
    total += p.shape.reduce((a: bigint, b) => a * BigInt(b as number), 1n);
  }
  return total;
}

const BEYOND = `is beyond ${LIMITS.layerSize.value.toLocaleString('en-US')}, the largest size InitLens computes with (limit layerSize)`;

/** How an argument is written in the document, for messages. */
export interface ArgSource {
  /** The argument's text (shortened). */
  readonly text: string;
  /** True when Python evaluates it to a float (`2.0`, `hidden / 2`), which no size accepts; for a tuple, any element. */
  readonly float: boolean;
}

/** A number as Python prints it: `64`, `64.0`, `inf`. */
function pyRepr(v: number, float: boolean): string {
  if (!Number.isFinite(v)) return Number.isNaN(v) ? 'nan' : v > 0 ? 'inf' : '-inf';
  // Beyond 2^53 a double no longer holds Python's exact int: `1e+23` shows its magnitude only.
  if (!float) return String(v);
  return Number.isInteger(v) && Math.abs(v) < 1e16 ? `${v}.0` : String(v);
}

function checkOne(rule: SizeRule, value: Value | Dim | undefined, source: ArgSource | undefined, lib: string): string | undefined {
  if (value === undefined || (typeof value === 'object' && value !== null && !Array.isArray(value))) return undefined;
  if (value === null) return rule.endsWith('or None') ? undefined : 'is None, not an int';
  if (typeof value === 'boolean') return 'is a bool, not an int';
  if (typeof value === 'string') return 'is a string, not an int';
  if (Array.isArray(value)) {
    if (source?.float) return `has an element that is a float; ${lib} needs an int`;
    for (const x of value) {
      const why = checkOne(rule, x as Value, undefined, lib);
      if (why) return `has an element that ${why}`;
    }
    return undefined;
  }
  const v = value as number;
  if (!Number.isInteger(v) || source?.float) return `is a float; ${lib} needs an int`;
  // torch.empty takes int64 sizes: 2^63 and above is a TypeError.
  if (Math.abs(v) >= 2 ** 63) return `is beyond int64; ${lib} rejects it`;
  if (Math.abs(v) > LIMITS.layerSize.value) return BEYOND;
  if (rule === 'index or None') return undefined;
  if (v < 0) return 'is negative';
  if (v === 0 && rule === 'positive') return 'must be at least 1';
  return undefined;
}

/**
 * The size arguments of a layer that its library would reject (or that are
 * beyond `LIMITS.layerSize`), each named with its value; then the first
 * broken rule between arguments. `source` tells how an argument is written.
 */
export function sizeProblems(spec: LayerSpec, args: Args, source?: (arg: string) => ArgSource | undefined): SizeProblem[] {
  const problems: SizeProblem[] = [];
  for (const [arg, rule] of Object.entries(spec.sizes)) {
    const value = args.get(arg);
    const src = source?.(arg);
    const why = checkOne(rule, value, src, spec.framework === 'torch' ? 'PyTorch' : 'Keras');
    if (!why) continue;
    const shown = typeof value === 'number' ? pyRepr(value, src?.float ?? false) : Array.isArray(value) ? `(${value.map((x) => (typeof x === 'number' ? pyRepr(x, false) : String(x))).join(', ')})` : value === null ? 'None' : typeof value === 'boolean' ? (value ? 'True' : 'False') : JSON.stringify(value);
    // A sequence as written (Python's list or tuple brackets); a number with its value when the text differs.
    const text = !src ? shown : src.text === shown || Array.isArray(value) ? src.text : `${src.text} (${shown})`;
    problems.push({ arg, message: `${arg} = ${text} ${why}`, ...(why.endsWith(BEYOND) ? { limit: true as const } : {}) });
  }
  if (problems.length > 0) return problems;
  const relation = spec.relations?.(args);
  return relation ? [relation] : [];
}

/** Keras layers: `in` is the input feature dimension found by shape inference. */
function kerasDense(): LayerSpec {
  return {
    framework: 'keras',
    type: 'Dense',
    role: 'weight',
    signature: ['units', 'activation', 'use_bias', 'kernel_initializer', 'bias_initializer'],
    defaults: { activation: null, use_bias: true, kernel_initializer: 'glorot_uniform', bias_initializer: 'zeros' },
    // Keras 3 (dense.py, rnn/*.py, base_conv.py): `not isinstance(units, int) or units <= 0` raises; tf.keras 2 truncated floats.
    sizes: { units: 'positive' },
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
    sizes: { filters: 'positive', kernel_size: 'positive' },
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
    sizes: { units: 'positive' },
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
    sizes: { input_dim: 'size', output_dim: 'size' },
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
    sizes: { num_heads: 'size', key_dim: 'size', value_dim: 'size or None' },
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
      sizes: {},
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
const TORCHVISION_BY_NAME = new Map(TORCHVISION_LAYERS.map((s) => [s.type, s]));
const TIMM_BY_NAME = new Map(TIMM_LAYERS.map((s) => [s.type, s]));
const TRANSFORMERS_BY_NAME = new Map(TRANSFORMERS_LAYERS.map((s) => [s.type, s]));
const KERAS_BY_NAME = new Map(KERAS_LAYERS.map((s) => [s.type, s]));

/** Module prefixes under which PyTorch exposes its layers. */
const TORCH_PREFIXES = ['torch.nn.', 'torch.nn.modules.'];
const TORCHVISION_PREFIXES = ['torchvision.ops.', 'torchvision.ops.misc.'];
/** timm exports its layers from `timm.layers` (0.9+), `timm.models.layers` (before), and its models' modules import them. */
const TIMM_PREFIXES = ['timm.layers.', 'timm.models.layers.', 'timm.models.vision_transformer.', 'timm.models.mlp_mixer.'];
/** `Conv1D` moved from `transformers.modeling_utils` to `transformers.pytorch_utils` (4.20). */
const TRANSFORMERS_PREFIXES = ['transformers.pytorch_utils.', 'transformers.modeling_utils.'];
const KERAS_PREFIXES = ['tensorflow.keras.layers.', 'keras.layers.', 'tf_keras.layers.', 'tensorflow.python.keras.layers.'];

/** The layer a qualified constructor name denotes (`torch.nn.Linear`, `keras.layers.Dense`). */
export function lookupLayer(qualifiedName: string): LayerSpec | undefined {
  const last = qualifiedName.slice(qualifiedName.lastIndexOf('.') + 1);
  if (TORCH_PREFIXES.some((p) => qualifiedName.startsWith(p))) return TORCH_BY_NAME.get(last);
  if (TORCHVISION_PREFIXES.some((p) => qualifiedName.startsWith(p))) return TORCHVISION_BY_NAME.get(last);
  if (TIMM_PREFIXES.some((p) => qualifiedName.startsWith(p))) return TIMM_BY_NAME.get(last);
  if (TRANSFORMERS_PREFIXES.some((p) => qualifiedName.startsWith(p))) return TRANSFORMERS_BY_NAME.get(last);
  if (KERAS_PREFIXES.some((p) => qualifiedName.startsWith(p))) return KERAS_BY_NAME.get(last);
  return undefined;
}

/**
 * torchvision's classification architectures (`torchvision.models.resnet18(weights=...)`): the path of
 * the head, their last `nn.Linear`, and its `in_features` (torchvision 0.14, read from the built models by
 * scripts/catalog/torchvision_heads.py). Transfer learning replaces that head:
 * `model.fc = nn.Linear(model.fc.in_features, 10)`.
 */
const TORCHVISION_HEADS: Readonly<Record<string, readonly [head: string, inFeatures: number]>> = {
  resnet18: ['fc', 512],
  resnet34: ['fc', 512],
  resnet50: ['fc', 2048],
  resnet101: ['fc', 2048],
  resnet152: ['fc', 2048],
  resnext50_32x4d: ['fc', 2048],
  resnext101_32x8d: ['fc', 2048],
  wide_resnet50_2: ['fc', 2048],
  wide_resnet101_2: ['fc', 2048],
  vgg11: ['classifier.6', 4096],
  vgg11_bn: ['classifier.6', 4096],
  vgg13: ['classifier.6', 4096],
  vgg13_bn: ['classifier.6', 4096],
  vgg16: ['classifier.6', 4096],
  vgg16_bn: ['classifier.6', 4096],
  vgg19: ['classifier.6', 4096],
  vgg19_bn: ['classifier.6', 4096],
  alexnet: ['classifier.6', 4096],
  densenet121: ['classifier', 1024],
  densenet161: ['classifier', 2208],
  densenet169: ['classifier', 1664],
  densenet201: ['classifier', 1920],
  mobilenet_v2: ['classifier.1', 1280],
  mobilenet_v3_small: ['classifier.3', 1024],
  mobilenet_v3_large: ['classifier.3', 1280],
  efficientnet_b0: ['classifier.1', 1280],
  efficientnet_b1: ['classifier.1', 1280],
  efficientnet_b2: ['classifier.1', 1408],
  efficientnet_b3: ['classifier.1', 1536],
  efficientnet_b4: ['classifier.1', 1792],
  efficientnet_b5: ['classifier.1', 2048],
  efficientnet_b6: ['classifier.1', 2304],
  efficientnet_b7: ['classifier.1', 2560],
  shufflenet_v2_x1_0: ['fc', 1024],
  convnext_tiny: ['classifier.2', 768],
  convnext_small: ['classifier.2', 768],
  convnext_base: ['classifier.2', 1024],
  convnext_large: ['classifier.2', 1536],
  mnasnet1_0: ['classifier.1', 1280],
  googlenet: ['fc', 1024],
  inception_v3: ['fc', 2048],
  vit_b_16: ['heads.head', 768],
  vit_b_32: ['heads.head', 768],
  vit_l_16: ['heads.head', 1024],
  swin_t: ['head', 768]
,
};

/** Whether a callee's last name (`resnet18` in `models.resnet18`) is an architecture of {@link TORCHVISION_HEADS}: a test before resolving imports. */
export function maybeLibraryModel(calleeText: string): boolean {
  return Object.hasOwn(TORCHVISION_HEADS, calleeText.slice(calleeText.lastIndexOf('.') + 1));
}

/** torchvision's default `num_classes` (ImageNet). */
const IMAGENET_CLASSES = 1000;

/** `classifier.6` (a `named_modules()` path) → `.classifier[6]`, the expression that reaches the module. */
export function moduleAccess(path: string): string {
  return path === '' ? '' : path.split('.').map((part) => (/^\d+$/.test(part) ? `[${part}]` : `.${part}`)).join('');
}

/**
 * What an architecture of {@link TORCHVISION_HEADS} built by `qualifiedName` holds as attributes, by access
 * path: its head's `in_features`, and, with `num_classes` known (default 1000), `out_features` and the head's
 * tensor shapes. `numClasses` is the call's argument (undefined: not given; null: given but unknown).
 * Undefined for any other callee.
 */
export function libraryModelEntries(qualifiedName: string, numClasses: Value | null | undefined): [string, Value][] | undefined {
  if (!qualifiedName.startsWith('torchvision.models.')) return undefined;
  const known = TORCHVISION_HEADS[qualifiedName.slice(qualifiedName.lastIndexOf('.') + 1)];
  if (!known) return undefined;
  const [head, inFeatures] = known;
  const at = moduleAccess(head);
  const classes = numClasses === undefined ? IMAGENET_CLASSES : typeof numClasses === 'number' && Number.isInteger(numClasses) && numClasses > 0 ? numClasses : undefined;
  const out: [string, Value][] = [[`${at}.in_features`, inFeatures]];
  if (classes !== undefined) out.push([`${at}.out_features`, classes], [`${at}.weight.shape`, [classes, inFeatures]], [`${at}.bias.shape`, [classes]]);
  return out;
}

export const ALL_LAYERS: readonly LayerSpec[] = [...TORCH_LAYERS, ...TORCHVISION_LAYERS, ...TIMM_LAYERS, ...TRANSFORMERS_LAYERS, ...KERAS_LAYERS];
