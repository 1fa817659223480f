/**
 * The forward pass of a PyTorch model as a bounded list of plain-data ops,
 * for the signal engine (engine.ts): what `model(x)` computes, op by op, with
 * every output shape known before anything runs.
 *
 * The analysis (core/model) knows each layer, its arguments and the
 * activation after it, but not the order of the parameter-free steps between
 * layers (pooling, flatten, residual additions). So this reads the model's
 * own code once more: a `Sequential`'s arguments in order, or `forward`'s
 * straight-line statements (`x = F.relu(self.conv1(x))`, `out += x`,
 * `x.view(x.size(0), -1)`). What it cannot execute is named, "not simulated:
 * <op> at line N", and a graph with such an entry is not run: nothing is
 * dropped silently, and no number stands for a step that was not computed.
 */
import { functionCall, tensorMethod, torchModule as activationModule, type Activation, type ActivationKind } from '../model/activations';
import { Context } from '../model/context';
import { evaluate, type Scope } from '../model/evaluate';
import { functionScope, moduleScope } from '../model/moduleScope';
import { lookupLayer } from '../model/catalog';
import type { Layer, Model } from '../model/types';
import { collectImports } from '../python/imports';
import type { SyntaxNode, Tree } from '../python/parse';
import { callArgs, descendants, sequenceElements, statements, stringValue, unwrap, type CallArgs } from '../python/syntax';
import { checkLimit } from '../limits';
import type { Binding, InstanceNode } from '../model/tree';
import { classNodeOf, type CompositeModel } from './composite';
import { reshapedInput } from './reshapedInput';
import { ListUnsupported, methodElements, sequentialElements, type ListHost } from './lists';
import { bufferOf, initAlias, lambdaMember, moduleDictEntry } from './containers';
import { elementwiseOp, isMask, type ElementwiseOp } from './elementwise';
import { convPads, LINEAR_MODES, linearTaps, nearestRepeats, PAD_MODULES, paddedShape, padsOf, scaledSize, type PadMode, type SpatialOp } from './spatial';
import { stateDictKey } from '../model/layer';
import { einopsInputShape, einopsPlan, einsumPlan, type EinopsFunction, type EinopsStep } from './einops';

export type Shape = readonly number[];

/** An activation as the engine computes it: the catalog's kind plus the arguments that change its values. */
export interface SimActivation {
  readonly kind: Exclude<ActivationKind, 'identity'>;
  /** LeakyReLU's negative slope (PReLU: its initial weight, 0.25 by default). */
  readonly slope?: number;
  /** Softmax / LogSoftmax: the axis (non-negative). */
  readonly dim?: number;
}

interface OpBase {
  /** The op's output shape. */
  readonly shape: Shape;
  /** 1-based line of the code that applies it. */
  readonly line: number;
}

/** One step of the forward pass; inputs are indexes of earlier ops. */
export type SignalOp =
  /** The model's input; `tokens`: integer token indices in [0, tokens) (an Embedding takes it), drawn by `torch.randint`. */
  | (OpBase & { readonly kind: 'input'; readonly tokens?: number })
  /** `prefix`: the parameters are `<layer>.<prefix>weight` / `<prefix>bias` (a Linear inside a composite layer: `self_attn.in_proj_`, `linear1.`). */
  | (OpBase & { readonly kind: 'linear'; readonly layer: string; readonly input: number; readonly bias: boolean; readonly prefix?: string })
  | (OpBase & {
      readonly kind: 'conv';
      readonly layer: string;
      readonly input: number;
      /** 1, 2 or 3 spatial dimensions (Conv1d, Conv2d, Conv3d). */
      readonly dims: 1 | 2 | 3;
      readonly kernel: readonly number[];
      readonly stride: readonly number[];
      readonly padding: readonly number[];
      readonly dilation: readonly number[];
      readonly bias: boolean;
      /** `groups` > 1 (1-d and 2-d): the weight is (out, in / groups, *kernel); absent: 1. */
      readonly groups?: number;
      /** A `padding_mode` other than zeros, or zeros of an odd `padding='same'`: `input` is the layer's own pad op (spatial.ts), which reads what the module does. */
      readonly paddingMode?: 'zeros' | 'reflect' | 'replicate' | 'circular';
    })
  /** BatchNorm in training mode: batch statistics over every axis but the channel (axis 1). */
  | (OpBase & { readonly kind: 'batchnorm'; readonly layer: string; readonly input: number; readonly eps: number; readonly affine: boolean })
  /** LayerNorm over the last `normalized` axes; `prefix` as for linear (`norm1.` of a TransformerEncoderLayer). */
  | (OpBase & { readonly kind: 'layernorm'; readonly layer: string; readonly input: number; readonly normalized: number; readonly eps: number; readonly affine: boolean; readonly prefix?: string })
  | OpsOp
  | ElementwiseOp
  | SpatialOp
  | (OpBase & { readonly kind: 'activation'; readonly activation: SimActivation; readonly input: number })
  | (OpBase & { readonly kind: 'pool'; readonly mode: 'max' | 'avg'; readonly input: number; readonly kernel: readonly number[]; readonly stride: readonly number[]; readonly padding: readonly number[] })
  | (OpBase & { readonly kind: 'adaptivePool'; readonly mode: 'max' | 'avg'; readonly input: number })
  /** view / reshape / flatten: the same values in row-major order, a new shape. */
  | (OpBase & { readonly kind: 'reshape'; readonly input: number })
  /** Dropout, off (every Dropout in eval mode): the identity. */
  | (OpBase & { readonly kind: 'dropout'; readonly input: number })
  | (OpBase & { readonly kind: 'add'; readonly inputs: readonly [number, number] })
  /**
   * nn.RNN / LSTM / GRU over every time step, h0 (and c0) zero, dropout between
   * layers off: the output sequence, (T, N, directions·hidden) or batch first.
   * Its final states are `rnnState` ops.
   */
  | (OpBase & {
      readonly kind: 'rnn';
      readonly layer: string;
      readonly input: number;
      readonly cell: RecurrentCell;
      readonly hidden: number;
      readonly layers: number;
      readonly bidirectional: boolean;
      readonly batchFirst: boolean;
      readonly bias: boolean;
    })
  /** h_n or c_n of the `rnn` op `input`: (layers·directions, N, hidden), layer 0's forward direction first. */
  | (OpBase & { readonly kind: 'rnnState'; readonly input: number; readonly state: 'h' | 'c' })
  /**
   * Integer indexes and plain slices of a tensor (`out[:, -1, :]`, `h[-1]`):
   * the box `begin`…`begin + size` over every axis, then the indexed axes
   * (`squeeze`, each of size 1) dropped.
   */
  | (OpBase & { readonly kind: 'select'; readonly input: number; readonly begin: readonly number[]; readonly size: readonly number[]; readonly squeeze: readonly number[] })
  /** An `nn.Parameter` member read in forward (a ViT's `self.cls_token`): {@link SignalGraph.tensors}' `name`. */
  | (OpBase & { readonly kind: 'param'; readonly name: string });

/** The recurrence of an `rnn` op: nn.RNN's tanh or relu, nn.LSTM, nn.GRU. */
export type RecurrentCell = 'rnn_tanh' | 'rnn_relu' | 'lstm' | 'gru';

/**
 * The ops of convolutions beyond Conv1d/2d, embeddings, group norms and the
 * tensor algebra of attention (issue 13), each computed as PyTorch 1.13 does.
 */
export type OpsOp =
  /** ConvTranspose1d/2d/3d (weight (in, out / groups, *kernel)); `groups` only when above 1. */
  | (OpBase & {
      readonly kind: 'convTranspose';
      readonly layer: string;
      readonly input: number;
      readonly dims: 1 | 2 | 3;
      readonly kernel: readonly number[];
      readonly stride: readonly number[];
      readonly padding: readonly number[];
      readonly outputPadding: readonly number[];
      readonly dilation: readonly number[];
      readonly bias: boolean;
      readonly groups?: number;
    })
  /** `weight[indices]`: the input is token indices (the model's input, or an arange). */
  | (OpBase & { readonly kind: 'embedding'; readonly layer: string; readonly input: number })
  /** GroupNorm (and InstanceNorm: one group per channel): statistics per sample and group, affine per channel. */
  | (OpBase & { readonly kind: 'groupnorm'; readonly layer: string; readonly input: number; readonly groups: number; readonly eps: number; readonly affine: boolean })
  /** `torch.cat(inputs, dim=axis)`. */
  | (OpBase & { readonly kind: 'concat'; readonly inputs: readonly number[]; readonly axis: number })
  /** `x.mean(dim=axes)` (keepdim shows in `shape`). */
  | (OpBase & { readonly kind: 'mean'; readonly input: number; readonly axes: readonly number[] })
  /** `x.permute(perm)` / `x.transpose(a, b)`. */
  | (OpBase & { readonly kind: 'transpose'; readonly input: number; readonly perm: readonly number[] })
  /** `a @ b` / `torch.matmul` over broadcast batch axes (both of rank ≥ 2). */
  | (OpBase & { readonly kind: 'matmul'; readonly inputs: readonly [number, number] })
  /** `x * factor` or (`divide`) `x / factor`, factor a Python number (float32 in PyTorch). */
  | (OpBase & { readonly kind: 'scale'; readonly input: number; readonly factor: number; readonly divide: boolean })
  /** `size` elements from `start` along `axis` (`split`, `chunk`, MultiheadAttention's packed q/k/v). */
  | (OpBase & { readonly kind: 'slice'; readonly input: number; readonly axis: number; readonly start: number; readonly size: number })
  /** `torch.arange(n)`: 0 … n − 1, integer indices for an Embedding (no gradient). */
  | (OpBase & { readonly kind: 'arange' })
  /** The input broadcast to `shape` (einops' `repeat`, `expand`): its gradient sums the copies. */
  | (OpBase & { readonly kind: 'broadcast'; readonly input: number });

export type LayerOp = Extract<SignalOp, { readonly layer: string }>;

/** Something in the model the engine cannot execute. */
export interface NotSimulated {
  /** The code, shortened (`self.lstm(x)`, `for block in self.blocks:`). */
  readonly op: string;
  /** 1-based. */
  readonly line: number;
  readonly why: string;
}

/** A parameter of a layer in the graph, named as in `state_dict()`. */
export interface GraphParam {
  readonly name: string;
  readonly shape: Shape;
  readonly role: 'weight' | 'recurrent' | 'bias' | 'norm_weight' | 'norm_bias' | 'embedding' | 'member';
}

/** A layer with parameters, in forward order: the rows of the signal report. */
export interface GraphLayer {
  /** `named_modules()` name. */
  readonly name: string;
  readonly type: string;
  /** 1-based line of its constructor. */
  readonly line: number;
  /** The op that computes it (a recurrent layer: its output sequence, or its `rnnState` h_n when the model reads only that). */
  readonly op: number;
  /** The first activation its output reaches through norms, dropout, pooling and reshapes; undefined when none. */
  readonly act?: number;
  readonly params: readonly GraphParam[];
  /** The parameter whose gradient is the row's weight gradient, when not `<name>.weight` (MultiheadAttention: `in_proj_weight`). */
  readonly weight?: string;
}

export interface SignalGraph {
  readonly model: string;
  readonly ops: readonly SignalOp[];
  /** The op whose value the model returns. */
  readonly output: number;
  readonly inputShape: Shape;
  /** How the input shape was chosen (given, from the first layer, or fitted to a later layer's size). */
  readonly inputNote: string;
  readonly layers: readonly GraphLayer[];
  /**
   * The `nn.Parameter` members forward reads (`param` ops), role `member`: no rows of
   * their own; every scheme keeps their values as built, as it keeps an Embedding's.
   */
  readonly tensors?: readonly GraphParam[];
  /** Empty when the graph can run. */
  readonly notSimulated: readonly NotSimulated[];
  /** Forward multiply-adds of the weight layers. */
  readonly multiplyAdds: number;
  /** Elements of every op's output together (what the backward pass keeps). */
  readonly values: number;
}

/** Batch of the default input shape. */
export const DEFAULT_BATCH = 8;
/** Spatial size of the default input of a conv net (CIFAR's 32×32), tried first. */
const DEFAULT_SPATIAL = 32;
/**
 * Other usual input sizes, tried in order when 32 does not fit the model (a
 * Linear after a flatten fixes the spatial size: the MNIST example's 9216 is
 * 64·12·12, from 28×28). After them every size up to the last, ascending.
 */
const USUAL_SPATIAL = [28, 64, 224, 96, 128, 256, 299, 227, 48, 16];
const MAX_FITTED_SPATIAL = 512;
/** Longest code quoted in a "not simulated" entry. */
const MAX_QUOTED = 60;

/** Document text in a message: at most {@link MAX_QUOTED} characters of it. */
function quoted(code: string): string {
  return code.length > MAX_QUOTED ? `${code.slice(0, MAX_QUOTED - 1)}…` : code;
}

/** `yes if condition else no`: its three parts, or undefined. */
function conditionalParts(n: SyntaxNode): { readonly yes: SyntaxNode; readonly condition: SyntaxNode; readonly no: SyntaxNode } | undefined {
  const parts: SyntaxNode[] = [];
  for (let c = n.firstChild; c; c = c.nextSibling) if (c.name !== 'if' && c.name !== 'else' && c.name !== 'Comment') parts.push(c);
  const [yes, condition, no] = parts;
  return yes && condition && no ? { yes, condition, no } : undefined;
}

/** einops' functions and layers (core/signal/einops.ts), by qualified name. */
const EINOPS_FUNCTIONS: Readonly<Record<string, EinopsFunction>> = { 'einops.rearrange': 'rearrange', 'einops.repeat': 'repeat', 'einops.reduce': 'reduce' };
const EINOPS_LAYERS: Readonly<Record<string, EinopsFunction>> = { 'einops.layers.torch.Rearrange': 'rearrange', 'einops.layers.torch.Repeat': 'repeat', 'einops.layers.torch.Reduce': 'reduce' };

/** Thrown while building: the statement cannot be executed. */
class Unsupported extends Error {
  constructor(
    readonly node: SyntaxNode,
    readonly why: string,
  ) {
    super(why);
  }
}

/** Thrown while building: the shapes do not fit (wrong input size, or a model PyTorch would reject). */
class ShapeMismatch extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(message);
  }
}

const PASS_THROUGH: ReadonlySet<SignalOp['kind']> = new Set(['batchnorm', 'layernorm', 'groupnorm', 'dropout', 'pool', 'adaptivePool', 'reshape']);

/** Parameter-free `torch.nn` modules the engine executes, by class name. */
const NEUTRAL_MODULES: Readonly<Record<string, 'dropout' | 'maxpool' | 'avgpool' | 'adaptivemax' | 'adaptiveavg' | 'flatten' | 'identity'>> = {
  Dropout: 'dropout',
  Dropout1d: 'dropout',
  Dropout2d: 'dropout',
  AlphaDropout: 'dropout',
  MaxPool1d: 'maxpool',
  MaxPool2d: 'maxpool',
  AvgPool1d: 'avgpool',
  AvgPool2d: 'avgpool',
  AdaptiveMaxPool1d: 'adaptivemax',
  AdaptiveMaxPool2d: 'adaptivemax',
  AdaptiveAvgPool1d: 'adaptiveavg',
  AdaptiveAvgPool2d: 'adaptiveavg',
  Flatten: 'flatten',
  Identity: 'identity',
};

/** `torch.nn.functional` / `torch` functions of the same kinds. */
const NEUTRAL_FUNCTIONS: Readonly<Record<string, 'dropout' | 'maxpool' | 'avgpool' | 'adaptivemax' | 'adaptiveavg' | 'flatten'>> = {
  'torch.nn.functional.dropout': 'dropout',
  'torch.nn.functional.dropout1d': 'dropout',
  'torch.nn.functional.dropout2d': 'dropout',
  'torch.nn.functional.alpha_dropout': 'dropout',
  'torch.dropout': 'dropout',
  'torch.nn.functional.max_pool1d': 'maxpool',
  'torch.nn.functional.max_pool2d': 'maxpool',
  'torch.max_pool1d': 'maxpool',
  'torch.max_pool2d': 'maxpool',
  'torch.nn.functional.avg_pool1d': 'avgpool',
  'torch.nn.functional.avg_pool2d': 'avgpool',
  'torch.avg_pool1d': 'avgpool',
  'torch.nn.functional.adaptive_max_pool1d': 'adaptivemax',
  'torch.nn.functional.adaptive_max_pool2d': 'adaptivemax',
  'torch.nn.functional.adaptive_avg_pool1d': 'adaptiveavg',
  'torch.nn.functional.adaptive_avg_pool2d': 'adaptiveavg',
  'torch.adaptive_avg_pool1d': 'adaptiveavg',
  'torch.flatten': 'flatten',
};

/**
 * The arguments each activation may be written with (besides the tensor),
 * positions counted after it for functionals; any other argument makes the
 * call "not simulated" rather than computed with a default it overrides.
 */
const ACTIVATION_ARGS: Readonly<Record<SimActivation['kind'], readonly string[]>> = {
  relu: ['inplace'],
  relu6: ['inplace'],
  leaky_relu: ['negative_slope', 'inplace'],
  prelu: ['num_parameters', 'init'],
  elu: ['inplace'],
  celu: ['inplace'],
  selu: ['inplace'],
  gelu: [],
  silu: ['inplace'],
  mish: ['inplace'],
  hardswish: ['inplace'],
  tanh: [],
  sigmoid: [],
  hardtanh: ['inplace'],
  softsign: [],
  softplus: [],
  softmax: ['dim'],
  log_softmax: ['dim'],
};

/** Layer types of the convolutions, norms, embeddings and attention the ops branch adds (issue 13): {@link Builder.opsLayer}. */
const OPS_LAYER_TYPES = ['Conv3d', 'ConvTranspose1d', 'ConvTranspose2d', 'ConvTranspose3d', 'Embedding', 'GroupNorm', 'BatchNorm3d', 'InstanceNorm1d', 'InstanceNorm2d', 'InstanceNorm3d', 'MultiheadAttention', 'TransformerEncoderLayer', 'TransformerEncoder'];
/** Tokens per sequence of the default input of a model whose first layer is an Embedding or an attention layer. */
export const DEFAULT_TOKENS = 16;
/** Spatial size of the default input of a 3-d conv net, tried first (32³ volumes would be 8× the work of 16³). */
const DEFAULT_SPATIAL_3D = 16;

/** Layer types the engine executes, by the analysis's type name. */
const LAYER_TYPES: ReadonlySet<string> = new Set(['Linear', 'Conv1d', 'Conv2d', 'BatchNorm1d', 'BatchNorm2d', 'LayerNorm', ...OPS_LAYER_TYPES]);

/** Recurrent layers the engine executes (torch.nn.modules.rnn): each returns a tuple, `(output, h_n)` or `(output, (h_n, c_n))`. */
const RECURRENT_TYPES: ReadonlySet<string> = new Set(['RNN', 'LSTM', 'GRU']);

/** Time steps of the default input of a recurrent model: (8, 16, input_size) batch first, else (16, 8, input_size). */
export const DEFAULT_STEPS = 16;

export interface GraphOptions {
  /** The input shape; default from the first layer (see {@link DEFAULT_BATCH}). */
  readonly inputShape?: Shape;
  /**
   * The model's instances when it builds classes of the file (composite.ts):
   * `model` is then {@link CompositeModel.model}, and each child's forward is
   * run inline with its own members and layers.
   */
  readonly composite?: CompositeModel;
  /** What the model's constructor is given in its context, when it builds no class of the file (composite.ts {@link SignalModel.binding}). */
  readonly binding?: Binding;
}

/**
 * The forward graph of a PyTorch `model` found in `text` (parsed as `tree`).
 * Never throws for what the model's code does: what cannot run is listed in
 * `notSimulated`. Throws {@link LimitError} when the graph is beyond the
 * signal limits (checked while it is built, before anything runs).
 */
export function buildGraph(model: Model, tree: Tree, text: string, options: GraphOptions = {}): SignalGraph {
  if (model.framework !== 'torch') {
    return emptyGraph(model, [{ op: model.name, line: model.line + 1, why: 'the signal engine runs PyTorch models only' }]);
  }
  const ctx = new Context(text, collectImports(tree, text), moduleScope(statements(tree.topNode), text));
  const source = modelSource(model, tree);
  if (!source) return emptyGraph(model, [{ op: model.name, line: model.line + 1, why: 'its code was not found' }]);
  const env: BuildEnv = { model, ctx, source, tree, ...(options.composite ? { composite: options.composite } : {}), ...(options.binding ? { binding: options.binding } : {}) };
  if (options.inputShape) return build(env, options.inputShape, 'given');
  // Forward's first statement reshapes its input to a written shape: that shape (reshapedInput.ts).
  // (Not for token models: their input is indices, guessed from the Embedding below.)
  const reshaped = source.kind === 'class' && !model.layers.some((l) => l.type === 'Embedding') ? reshapedInput(source.node, ctx, DEFAULT_BATCH) : undefined;
  if (reshaped) {
    const graph = build(env, reshaped.shape, `from ${reshaped.code} in forward`);
    if (!graph.mismatch) return graph;
  }
  // The first layer forward applies is usually the first one built: try the first few built, each until it is the one that takes the input.
  const candidates = model.layers.filter((l) => defaultShape(l)).slice(0, MAX_FIRST_CANDIDATES);
  let firstTry: Built | undefined;
  for (const layer of candidates) {
    const graph = fitted(env, layer);
    // Forward starts with einops on its input (a ViT's patches): its pattern, and the first layer after it, tell the shape.
    const viaEinops = graph.einopsInput && graph.notSimulated.length > 0 ? einopsFitted(env, graph.einopsInput, layer) : undefined;
    if (viaEinops) return viaEinops;
    firstTry ??= graph;
    if (!graph.mismatch || graph.layers[0]?.name === layer.name) return graph;
  }
  if (firstTry) return firstTry;
  // No layer tells the input's shape: whatever first needs it fails, and says so.
  const blind = build(env, undefined, '');
  const unsized = model.layers.findIndex((l) => l.params.some((p) => !p.shape.every((d) => typeof d === 'number')));
  const layer = model.layers[unsized];
  const why = layer ? `the input's shape is not known: ${layer.name || model.name} (${layer.type})${unsized === 0 ? ', the first layer built,' : ''} has sizes InitLens cannot evaluate here` : "the input's shape is not known: no layer tells it";
  return blind.notSimulated.length === 0 ? blind : { ...blind, notSimulated: blind.notSimulated.map((n, i) => (i === 0 ? { ...n, why: `${n.why}; ${why}` } : n)) };
}

/** The graph whose input einops' pattern reads ({@link einopsInputShape}), the first usual image side that fits; undefined when none does. */
function einopsFitted(env: BuildEnv, einops: NonNullable<Built['einopsInput']>, first: Layer | undefined): Built | undefined {
  const features = first ? defaultShape(first)?.shape(0).at(-1) : undefined;
  if (features === undefined) return undefined;
  for (const s of [DEFAULT_SPATIAL, ...USUAL_SPATIAL]) {
    const shape = einopsInputShape(einops.pattern, einops.sizes, features, DEFAULT_BATCH, s);
    if (!shape) return undefined;
    const graph = build(env, shape, `from ${einops.code} and ${first?.name} (${first?.type}), ${s} per spatial axis${s === DEFAULT_SPATIAL ? ' as for CIFAR' : ': the first of the usual sizes that fits'}`);
    // Past the einops call on the input: this shape, whatever stops the graph later (it is named).
    if (!graph.mismatch && graph.notSimulated.every((n) => !n.why.startsWith(einops.code))) return graph;
  }
  return undefined;
}

/** How many of the first layers built are tried as the one that takes the input. */
const MAX_FIRST_CANDIDATES = 4;

/** The graph with the default input of `layer`: its size, and for a conv net the first usual spatial size the later layers accept. */
function fitted(env: BuildEnv, layer: Layer): Built {
  const guess = defaultShape(layer) as NonNullable<ReturnType<typeof defaultShape>>;
  const from = `from ${layer.name || env.model.name} (${layer.type})${guess.note ?? ''}`;
  if (guess.spatial === 0) {
    const flat = build(env, guess.shape(0), from);
    return flat.mismatch ? (sequenceFitted(env, guess.shape(0), from) ?? flat) : flat;
  }
  const first = guess.spatial === 3 ? DEFAULT_SPATIAL_3D : DEFAULT_SPATIAL;
  const tried = build(env, guess.shape(first), `${from}, ${first} per spatial axis${guess.spatial === 3 ? '' : ' as for CIFAR'}`);
  if (!tried.mismatch || tried.layers[0]?.name !== layer.name) return tried;
  // The first layer took the input: a later size decides the spatial size.
  for (const s of [...USUAL_SPATIAL, ...Array.from({ length: MAX_FITTED_SPATIAL }, (_, i) => i + 1)]) {
    const graph = build(env, guess.shape(s), `${from}, ${s} per spatial axis: the first of the usual sizes that fits (${first} does not: ${tried.mismatch})`);
    if (!graph.mismatch) return graph;
  }
  return tried;
}

/**
 * A model whose first layer takes features (a Linear before a TransformerEncoderLayer) and whose attention needs
 * sequences: the features as 16 tokens, sequence first or batch first as its first attention layer's batch_first says.
 */
function sequenceFitted(env: BuildEnv, flat: number[], from: string): Built | undefined {
  const attention = env.model.layers.find((l) => l.type === 'MultiheadAttention' || l.type === 'TransformerEncoderLayer' || l.type === 'TransformerEncoder');
  if (!attention || flat.length !== 2) return undefined;
  const batchFirst = attention.args.get('batch_first') === true;
  const shape = batchFirst ? [flat[0], DEFAULT_TOKENS, flat[1]] : [DEFAULT_TOKENS, flat[0], flat[1]];
  const graph = build(env, shape, `${from}, ${DEFAULT_TOKENS} tokens ${batchFirst ? '(batch first' : '(sequence first'} as ${attention.name} takes them)`);
  return graph.mismatch ? undefined : graph;
}

/** The default input of a model whose first layer is `layer`: `(8, in_features)` or `(8, C, 32, 32)`; `spatial` is the number of spatial axes. */
function defaultShape(layer: Layer): { spatial: number; shape: (s: number) => number[]; note?: string } | undefined {
  const arg = (k: string) => (typeof layer.args.get(k) === 'number' ? (layer.args.get(k) as number) : undefined);
  switch (layer.type) {
    case 'Linear': {
      const n = arg('in_features');
      return n === undefined ? undefined : { spatial: 0, shape: () => [DEFAULT_BATCH, n] };
    }
    case 'BatchNorm1d': {
      const n = arg('num_features');
      return n === undefined ? undefined : { spatial: 0, shape: () => [DEFAULT_BATCH, n] };
    }
    case 'LayerNorm': {
      const v = layer.args.get('normalized_shape');
      const dims = typeof v === 'number' ? [v] : Array.isArray(v) && v.every((x) => typeof x === 'number') ? (v as number[]) : undefined;
      return dims ? { spatial: 0, shape: () => [DEFAULT_BATCH, ...dims] } : undefined;
    }
    case 'RNN':
    case 'LSTM':
    case 'GRU': {
      const n = arg('input_size');
      const first = layer.args.get('batch_first') === true;
      return n === undefined ? undefined : { spatial: 0, shape: () => (first ? [DEFAULT_BATCH, DEFAULT_STEPS, n] : [DEFAULT_STEPS, DEFAULT_BATCH, n]), note: `, ${DEFAULT_STEPS} time steps` };
    }
    case 'Conv1d':
    case 'Conv2d':
    case 'BatchNorm2d': {
      const c = arg(layer.type === 'BatchNorm2d' ? 'num_features' : 'in_channels');
      const n = layer.type === 'Conv1d' ? 1 : 2;
      return c === undefined ? undefined : { spatial: n, shape: (s) => [DEFAULT_BATCH, c, ...Array<number>(n).fill(s)] };
    }
    default:
      return opsDefaultShape(layer);
  }
}

/** {@link defaultShape} of the layer types of {@link OPS_LAYER_TYPES}: token indices (8, 16) for an Embedding, (8, 16, E) or (16, 8, E) for attention. */
function opsDefaultShape(layer: Layer): { spatial: number; shape: (s: number) => number[]; note?: string } | undefined {
  const arg = (k: string) => (typeof layer.args.get(k) === 'number' ? (layer.args.get(k) as number) : undefined);
  const spatial = /([123])d$/.exec(layer.type);
  switch (layer.type) {
    case 'Conv3d':
    case 'ConvTranspose1d':
    case 'ConvTranspose2d':
    case 'ConvTranspose3d':
    case 'BatchNorm3d':
    case 'InstanceNorm1d':
    case 'InstanceNorm2d':
    case 'InstanceNorm3d':
    case 'GroupNorm': {
      const c = arg(layer.type.startsWith('Conv') ? 'in_channels' : layer.type === 'GroupNorm' ? 'num_channels' : 'num_features');
      const n = spatial ? Number(spatial[1]) : 2;
      return c === undefined ? undefined : { spatial: n, shape: (s) => [DEFAULT_BATCH, c, ...Array<number>(n).fill(s)] };
    }
    case 'Embedding':
      return arg('num_embeddings') === undefined ? undefined : { spatial: 0, shape: () => [DEFAULT_BATCH, DEFAULT_TOKENS], note: `, ${DEFAULT_TOKENS} token indices per sequence from torch.randint` };
    case 'MultiheadAttention':
    case 'TransformerEncoderLayer':
    case 'TransformerEncoder': {
      const e = arg(layer.type === 'MultiheadAttention' ? 'embed_dim' : 'd_model');
      const batchFirst = layer.args.get('batch_first') === true;
      return e === undefined ? undefined : { spatial: 0, shape: () => (batchFirst ? [DEFAULT_BATCH, DEFAULT_TOKENS, e] : [DEFAULT_TOKENS, DEFAULT_BATCH, e]), note: `, ${DEFAULT_TOKENS} tokens${batchFirst ? ' (batch first)' : ' (sequence first)'}` };
    }
    default:
      return undefined;
  }
}

function emptyGraph(model: Model, notSimulated: NotSimulated[]): SignalGraph {
  return { model: model.name, ops: [], output: -1, inputShape: [], inputNote: '', layers: [], notSimulated, multiplyAdds: 0, values: 0 };
}

/** The class definition or the `Sequential(...)` call of a model. */
type Source = { readonly kind: 'class'; readonly node: SyntaxNode } | { readonly kind: 'sequential'; readonly node: SyntaxNode };

function modelSource(model: Model, tree: Tree): Source | undefined {
  const want = model.kind === 'torch-module' ? 'ClassDefinition' : 'CallExpression';
  for (const node of descendants(tree.topNode, want)) {
    if (node.from === model.span.from && node.to === model.span.to) return { kind: model.kind === 'torch-module' ? 'class' : 'sequential', node };
  }
  return undefined;
}

interface Built extends SignalGraph {
  /** Why the shapes did not fit, when that stopped the build. */
  readonly mismatch?: string;
  /** The einops call that first reads the model's input (a ViT's `Rearrange`), its pattern and sizes: it tells the input's rank. */
  readonly einopsInput?: { readonly pattern: string; readonly sizes: ReadonlyMap<string, number>; readonly code: string };
}

/** What one build reads: the model, its file, and its instances when composite. */
interface BuildEnv {
  readonly model: Model;
  readonly ctx: Context;
  readonly source: Source;
  readonly tree: Tree;
  readonly composite?: CompositeModel;
  readonly binding?: Binding;
}

function build(env: BuildEnv, inputShape: Shape | undefined, note: string): Built {
  const { model, ctx, source } = env;
  const b = new Builder(model, ctx, inputShape ?? [0], env.composite, env.tree, env.binding);
  let mismatch: string | undefined;
  try {
    if (source.kind === 'sequential') {
      b.output = b.applyModule('', source.node, 0, b.lineOf(source.node));
    } else {
      b.runClass(source.node);
    }
  } catch (error) {
    if (error instanceof Unsupported) b.skip(error.node, error.why);
    else if (error instanceof ShapeMismatch) {
      mismatch = error.message;
      b.notSimulated.push({ op: error.message, line: error.line, why: inputShape ? 'the shapes do not fit' : 'no input shape' });
    } else throw error;
  }
  if (b.notSimulated.length === 0) b.checkReachable();
  const layers = b.graphLayers();
  const einopsInput = b.einopsInput;
  return {
    model: model.name,
    ops: b.ops,
    output: b.output,
    inputShape: inputShape ?? [],
    inputNote: note,
    layers,
    ...(b.tensors.length > 0 ? { tensors: b.tensors } : {}),
    notSimulated: b.notSimulated,
    multiplyAdds: b.multiplyAdds,
    values: b.values,
    ...(mismatch !== undefined ? { mismatch } : {}),
    ...(einopsInput ? { einopsInput } : {}),
  };
}

/**
 * A value of the forward code: an op's output, a plain integer (shape arithmetic), a layer or an instance of a class of
 * the file (a loop variable over a ModuleList); also a float (`1.0 / math.sqrt(d)`), a tuple (`split`, MultiheadAttention's
 * pair, what a recurrent layer returns) and a value the engine does not compute (why); None (an argument of forward left
 * at its default None, `loss = None`) and a module reached by its path (`self.transformer`, `m = self.mlp`: containers.ts).
 */
type Val = { readonly op: number } | { readonly int: number } | { readonly layer: Layer } | { readonly instance: InstanceNode } | { readonly num: number } | { readonly tuple: readonly Val[] } | { readonly missing: string } | { readonly none: true } | { readonly module: string };

/** The arguments of a linear-mode upsampling beyond size, scale_factor and mode, as the file gives them (unknown: undefined). */
interface LinearOptions {
  readonly alignCorners?: unknown;
  readonly recompute?: unknown;
  readonly antialias?: unknown;
}

/** An element of a ModuleList or Sequential: a layer, or an instance of a class of the file. */
type Element = { readonly layer: Layer } | { readonly instance: InstanceNode };

/** A row of the report that is a module inside a composite layer (`enc.self_attn` of a TransformerEncoderLayer), or a layer whose weight is not `weight`. */
interface SubRow {
  readonly name: string;
  readonly type: string;
  /** Of its parameters within the layer's (`self_attn.`). */
  readonly prefix: string;
  /** The parameter (full name) whose gradient is its weight gradient. */
  readonly weight?: string;
}

class Builder {
  readonly ops: SignalOp[] = [];
  readonly notSimulated: NotSimulated[] = [];
  /** The einops call on the model's input, when one reads it ({@link Built.einopsInput}). */
  einopsInput?: Built['einopsInput'];
  /** The `nn.Parameter` members read in forward, each once ({@link SignalGraph.tensors}). */
  readonly tensors: GraphParam[] = [];
  private readonly memberOps = new Map<string, number>();
  output = -1;
  multiplyAdds = 0;
  values = 0;
  /** The layers of the class whose forward runs, by their name in it (renamed from the root in a composite). */
  private layersByName: ReadonlyMap<string, Layer>;
  /** `self.<attr> = <call>` of `__init__`, by attribute; null when assigned more than once or conditionally. */
  private members = new Map<string, SyntaxNode | null>();
  /** Every `self.<attr> = <call>` of `__init__`, by attribute, in order (for an attribute assigned more than once). */
  private assignments = new Map<string, SyntaxNode[]>();
  /** The methods of the class whose forward runs. */
  private methods = new Map<string, SyntaxNode>();
  /** The instance whose forward runs, in a composite. */
  private node?: InstanceNode;
  private readonly scope: Scope;
  /** Layers applied, in forward order, with their op. */
  private readonly applied: { layer: Layer; op: number; row?: SubRow }[] = [];
  /** `self.<attr>` numbers of `__init__` (`self.n_head = n_head`), evaluated with its parameters' defaults. */
  private initScope: Scope = new Map();

  constructor(
    private readonly model: Model,
    private readonly ctx: Context,
    inputShape: Shape,
    private readonly composite?: CompositeModel,
    private readonly tree?: Tree,
    private readonly binding?: Binding,
  ) {
    this.layersByName = composite?.layersAt.get('') ?? new Map(model.layers.map((l) => [l.name, l]));
    this.node = composite?.root;
    this.scope = ctx.moduleScope;
    this.push({ kind: 'input', shape: inputShape, line: model.line + 1 });
  }

  lineOf(node: SyntaxNode): number {
    return this.ctx.lineColumn(node.from).line + 1;
  }

  skip(node: SyntaxNode, why: string): void {
    const code = this.ctx.slice(node).split('\n')[0].trim();
    this.notSimulated.push({ op: quoted(code), line: this.lineOf(node), why });
  }

  private push(op: SignalOp): number {
    if (op.shape.some((d) => !Number.isSafeInteger(d) || d < 0)) throw new ShapeMismatch(`a shape of ${op.shape.join('×')}`, op.line);
    this.values += numel(op.shape);
    checkLimit('signalValues', this.values, this.model.name);
    this.ops.push(op);
    return this.ops.length - 1;
  }

  private shape(v: number): Shape {
    return this.ops[v].shape;
  }

  /** A layer whose value never reaches the output has no gradient there: named, not run. */
  checkReachable(): void {
    const reached = new Set<number>([this.output]);
    for (let i = this.output; i >= 0; i--) {
      if (!reached.has(i)) continue;
      const op = this.ops[i];
      if ('input' in op) reached.add(op.input);
      if ('inputs' in op) op.inputs.forEach((x) => reached.add(x));
    }
    for (const { layer, op } of this.applied) {
      if (!reached.has(op)) this.notSimulated.push({ op: layer.name, line: this.ops[op].line, why: `${layer.name}'s value does not reach the output` });
    }
  }

  graphLayers(): GraphLayer[] {
    return this.applied.map(({ layer, op: applied, row }) => {
      const op = this.reportedOp(applied);
      const act = this.activationAfter(op);
      return {
        name: row?.name ?? layer.name,
        type: row?.type ?? layer.type,
        line: layer.line + 1,
        op,
        ...(act !== undefined ? { act } : {}),
        params: layer.params.filter((p) => !row || p.name.startsWith(row.prefix)).map((p) => ({ name: stateDictKey(layer.name, p.name), shape: p.shape as number[], role: p.kind as GraphParam['role'] })),
        ...(row?.weight ? { weight: row.weight } : {}),
      };
    });
  }

  /**
   * The op a layer's row reports: the layer's own, except for a recurrent
   * layer whose output sequence nothing reads (`_, h = self.gru(x)`): its h_n.
   */
  private reportedOp(op: number): number {
    if (this.ops[op].kind !== 'rnn' || op === this.output) return op;
    const readers = this.ops.flatMap((o, i) => ('input' in o && o.input === op ? [i] : o.kind === 'add' && o.inputs.includes(op) ? [i] : []));
    if (readers.some((i) => this.ops[i].kind !== 'rnnState')) return op;
    return readers.find((i) => (this.ops[i] as { state?: string }).state === 'h') ?? op;
  }

  /** The activation op the value of `op` reaches through pass-through ops, when every step has one consumer. */
  private activationAfter(op: number): number | undefined {
    let at = op;
    for (;;) {
      const users = this.ops.flatMap((o, i) => ('input' in o && o.input === at ? [i] : 'inputs' in o && o.inputs.includes(at) ? [i] : []));
      if (users.length !== 1) return undefined;
      const next = this.ops[users[0]];
      if (next.kind === 'activation') return users[0];
      if (!PASS_THROUGH.has(next.kind)) return undefined;
      at = users[0];
    }
  }

  // ---- classes: __init__ members, then forward ----

  runClass(cls: SyntaxNode): void {
    this.output = this.runForward(cls, 0);
  }

  /** Runs a class's forward on `input` with its `__init__`'s members; returns its output op. */
  private runForward(cls: SyntaxNode, input: number): number {
    const body = cls.getChild('Body');
    const methods = new Map<string, SyntaxNode>();
    for (const stmt of body ? statements(body) : []) {
      const def = stmt.name === 'DecoratedStatement' ? stmt.getChild('FunctionDefinition') : stmt;
      const name = def?.name === 'FunctionDefinition' ? def.getChild('VariableName') : null;
      if (def && name) methods.set(this.ctx.slice(name), def);
    }
    const init = methods.get('__init__');
    const forward = methods.get('forward');
    if (!forward) throw new Unsupported(cls, 'no forward method in the class');
    this.methods = methods;
    if (init) {
      this.readMembers(init);
      // What the analysis's run of __init__ ends with in this context (strings and tuples too: `self.pool = 'cls'`) over the numbers read here.
      const known = (this.node?.model ?? this.model).torch?.initValues;
      const numbers = this.initNumbers(init, this.instanceBinding());
      this.initScope = known ? new Map([...numbers, ...known]) : numbers;
    }
    const params = paramNames(forward, this.ctx);
    if (!params || params.length < 2) throw new Unsupported(forward, 'forward takes one tensor here');
    const env = new Map<string, Val>([[params[1], { op: input }]]);
    // `def forward(self, idx, targets=None)`: called with the input alone, the others are None.
    for (const extra of params.slice(2)) {
      if (!noneDefault(forward, extra, this.ctx)) throw new Unsupported(forward, 'forward takes one tensor here');
      env.set(extra, { none: true });
    }
    const fbody = forward.getChild('Body');
    if (!fbody) throw new Unsupported(forward, 'forward has no body');
    for (const stmt of statements(fbody)) {
      const done = this.statement(stmt, env);
      if (done !== undefined) return done;
    }
    throw new Unsupported(forward, 'forward returns no tensor');
  }

  /** The instance of a class of the file at `local` (a path inside the running instance), in a composite. */
  private childAt(local: string): InstanceNode | undefined {
    const node = this.node;
    if (!node) return undefined;
    const path = node.path ? `${node.path}.${local}` : local;
    return node.children.find((c) => c.path === path);
  }

  /** A child instance's forward on `input`, inline: its own members, layers and parameter names. */
  private inline(child: InstanceNode, input: number, at: SyntaxNode): number {
    if (!child.model) throw new Unsupported(at, child.missing ?? `${child.className} was not analyzed`);
    const cls = this.tree ? classNodeOf(child.model, this.tree) : undefined;
    const layers = this.composite?.layersAt.get(child.path);
    if (!cls || !layers) throw new Unsupported(at, `${child.className}: its code was not found`);
    const saved = { layersByName: this.layersByName, members: this.members, assignments: this.assignments, methods: this.methods, node: this.node, initScope: this.initScope };
    this.layersByName = layers;
    this.members = new Map();
    this.assignments = new Map();
    this.node = child;
    try {
      return this.runForward(cls, input);
    } finally {
      Object.assign(this, saved);
    }
  }

  private readMembers(init: SyntaxNode): void {
    const body = init.getChild('Body');
    if (!body) return;
    for (const node of descendants(body, 'AssignStatement')) {
      const target = node.firstChild;
      if (target?.name !== 'MemberExpression' || target.firstChild && this.ctx.slice(target.firstChild) !== 'self') continue;
      const prop = target.getChild('PropertyName');
      if (!prop) continue;
      const name = this.ctx.slice(prop);
      const value = target.nextSibling?.nextSibling;
      // Only direct statements of __init__ are certain to run, once.
      const direct = node.parent && node.parent.from === body.from && node.parent.to === body.to;
      this.members.set(name, this.members.has(name) || !direct || value?.name !== 'CallExpression' ? null : value);
      if (value) this.assignments.set(name, [...(this.assignments.get(name) ?? []), value]);
    }
  }

  /** Executes one statement of forward; returns the output op at `return`. */
  private statement(stmt: SyntaxNode, env: Map<string, Val>): number | undefined {
    switch (stmt.name) {
      case 'AssignStatement': {
        const targets: SyntaxNode[] = [];
        let value: SyntaxNode | null = null;
        // What follows the last `=`: one expression, or the parts of a tuple written without parentheses (`*x.shape, self.heads`).
        const parts: SyntaxNode[] = [];
        let last = -1;
        for (let c = stmt.firstChild; c; c = c.nextSibling) if (c.name === 'AssignOp') last = c.from;
        for (let c = stmt.firstChild; c; c = c.nextSibling) {
          if (c.name === 'AssignOp' || c.name === ',') continue;
          if (c.from < last) targets.push(c);
          else parts.push(c);
        }
        if (parts.length === 1) value = parts[0];
        else if (parts.length > 1) {
          const v = this.tupleOf(parts, env);
          const names = targets.length === 1 && sequenceElements(unwrap(targets[0])) ? unwrap(targets[0]) : targets;
          if (targets.length === 1 && !sequenceElements(unwrap(targets[0]))) {
            if (targets[0].name !== 'VariableName') throw new Unsupported(stmt, 'only names are simulated as assignment targets');
            env.set(this.ctx.slice(targets[0]), v);
          } else this.unpack(names, v, env, stmt);
          return undefined;
        }
        // `B, T, C = x.size()` / `x.shape`: the sizes, as numbers.
        const names = targets.length === 1 && targets[0].name === 'TupleExpression' ? sequenceElements(targets[0]) : targets.length > 1 ? targets : undefined;
        if (value && names && names.every((t) => t.name === 'VariableName')) {
          const sizes = this.sizes(value, env);
          if (sizes && sizes.length === names.length) {
            names.forEach((t, i) => env.set(this.ctx.slice(t), { int: sizes[i] }));
            return undefined;
          }
        }
        // `out, (h, c) = self.lstm(x)`, `q, k, v = qkv.split(C, dim=2)`, `out, _ = self.attn(x, x, x)`: a tuple unpacked.
        if (value && (targets.length > 1 || (targets.length === 1 && sequenceElements(unwrap(targets[0]))))) {
          this.unpack(targets.length === 1 ? unwrap(targets[0]) : targets, this.expr(value, env), env, stmt);
          return undefined;
        }
        if (!value || targets.length !== 1 || targets[0].name !== 'VariableName') throw new Unsupported(stmt, 'only `name = expression` assignments (and `a, b = x.shape`) are simulated');
        env.set(this.ctx.slice(targets[0]), this.expr(value, env));
        return undefined;
      }
      case 'UpdateStatement': {
        const target = stmt.firstChild;
        const op = stmt.getChild('UpdateOp');
        const value = stmt.lastChild;
        if (target?.name !== 'VariableName' || !op || !value || this.ctx.slice(op) !== '+=') throw new Unsupported(stmt, 'only `x += y` updates are simulated');
        const name = this.ctx.slice(target);
        const a = env.get(name);
        if (!a) throw new Unsupported(target, `${name} is not known here`);
        env.set(name, this.add(a, this.expr(value, env), stmt));
        return undefined;
      }
      case 'ReturnStatement': {
        const value = stmt.lastChild;
        if (!value || value.name === 'return') throw new Unsupported(stmt, 'forward returns nothing');
        const logits = this.tensorBesideNones(stmt, env);
        if (logits !== undefined) return logits;
        if (stmt.getChild(',') || value.name === 'TupleExpression') throw new Unsupported(stmt, 'forward returns several values (one output.backward(g) needs one)');
        const v = this.expr(value, env);
        if ('tuple' in v) throw new Unsupported(stmt, 'forward returns several values (one output.backward(g) needs one)');
        if (!('op' in v)) throw new Unsupported(value, 'forward returns no tensor');
        return v.op;
      }
      case 'ExpressionStatement': {
        // A docstring.
        if (stmt.firstChild?.name === 'String') return undefined;
        throw new Unsupported(stmt, 'a statement whose value is dropped');
      }
      case 'PassStatement':
        return undefined;
      // `assert t <= self.block_size, ...`: a check that changes no value (not evaluated).
      case 'AssertStatement':
        return undefined;
      case 'ForStatement':
        this.loop(stmt, env);
        return undefined;
      case 'IfStatement':
        return this.branch(stmt, env);
      default:
        throw new Unsupported(stmt, 'control flow in forward is not simulated yet');
    }
  }

  /**
   * `if` / `elif` / `else` whose conditions are known when the graph is built: whether a member
   * is a module (`if self.downsample is not None:`, torchvision's BasicBlock), a constant or a
   * constructor argument (`if self.use_bn:`), `not`, `and`, `or` of those. The branch taken runs;
   * the others are no part of this model's graph. A condition on a tensor is refused.
   */
  private branch(stmt: SyntaxNode, env: Map<string, Val>): number | undefined {
    let keyword: string | undefined;
    let condition: SyntaxNode | undefined;
    for (let c = stmt.firstChild; c; c = c.nextSibling) {
      if (c.name === 'if' || c.name === 'elif' || c.name === 'else') {
        keyword = c.name;
        condition = undefined;
      } else if (c.name === 'Body') {
        if (keyword === 'else' || (condition && this.truth(condition, env))) {
          for (const inner of statements(c)) {
            const done = this.statement(inner, env);
            if (done !== undefined) return done;
          }
          return undefined;
        }
      } else if (c.name !== ':') condition ??= c;
    }
    return undefined;
  }

  /** The truth of a condition {@link branch} can decide (else refused, naming it). */
  private truth(node: SyntaxNode, env?: Map<string, Val>): boolean {
    const n = unwrap(node);
    const refuse = (): never => {
      throw new Unsupported(n, `\`if ${this.ctx.slice(n)}\`: a condition known only when forward runs is not simulated`);
    };
    if (n.name === 'UnaryExpression' && n.firstChild?.name === 'not') {
      const operand = n.lastChild;
      // The parser reads `not a and b` as `not (a and b)`; Python as `(not a) and b`: refused rather than guessed.
      if (!operand || operand === n.firstChild || (operand.name === 'BinaryExpression' && (operand.getChild('and') || operand.getChild('or')))) return refuse();
      return !this.truth(operand, env);
    }
    if (n.name === 'BinaryExpression') {
      const left = n.firstChild;
      const right = n.lastChild;
      if (left && right && n.getChild('and')) return this.truth(left, env) && this.truth(right, env);
      if (left && right && n.getChild('or')) return this.truth(left, env) || this.truth(right, env);
      // `self.stride == 1`, `self.in_planes != planes`: numbers (or strings) known in this instance.
      const compare = n.getChild('CompareOp');
      if (left && right && compare) {
        const a = evaluate(left, this.ctx.text, this.initScope);
        const b = evaluate(right, this.ctx.text, this.initScope);
        const known = (v: unknown): v is number | string => typeof v === 'number' || typeof v === 'string';
        if (known(a) && known(b) && typeof a === typeof b) {
          switch (this.ctx.slice(compare)) {
            case '==':
              return a === b;
            case '!=':
              return a !== b;
            case '<':
              return a < b;
            case '>':
              return a > b;
            case '<=':
              return a <= b;
            case '>=':
              return a >= b;
          }
        }
      }
      // `self.<name> is (not) None`: whether a module is registered under it in this instance.
      if (left && n.getChild('is') && right?.name === 'None') {
        // `targets is not None`, a name of forward: None (a default left) or a tensor, never None.
        const bound = left.name === 'VariableName' ? env?.get(this.ctx.slice(left)) : undefined;
        if (bound && ('none' in bound || 'op' in bound)) return n.getChild('not') ? !('none' in bound) : 'none' in bound;
        const present = this.moduleAt(left);
        if (present !== undefined) return n.getChild('not') ? present : !present;
      }
    }
    // `input.is_cuda`: the model is simulated as built, on the CPU (pytorch/examples dcgan's data_parallel branch).
    const flag = n.name === 'MemberExpression' && n.firstChild?.name === 'VariableName' ? n.getChild('PropertyName') : null;
    const device = flag ? CPU_TENSOR_FLAGS.get(this.ctx.slice(flag)) : undefined;
    if (device !== undefined) {
      const bound = env?.get(this.ctx.slice(n.firstChild!));
      if (bound && 'op' in bound) return device;
    }
    // `hasattr(self, 'shortcut')`: whether a module is registered under the name in this instance.
    if (n.name === 'CallExpression' && this.ctx.slice(n.firstChild!) === 'hasattr') {
      const args = n.getChild('ArgList');
      const [object, attr] = args ? callArgs(args, this.ctx.text).positional : [];
      const name = attr ? stringValue(attr, this.ctx.text) : undefined;
      if (object && name !== undefined && /^\w+$/.test(name) && this.ctx.slice(object) === 'self') {
        const present = this.moduleNamed(name, true);
        if (present !== undefined) return present;
      }
    }
    const value = evaluate(n, this.ctx.text, this.initScope);
    if (typeof value === 'boolean') return value;
    if (typeof value === 'number') return value !== 0;
    if (value === null) return false;
    return refuse();
  }

  /**
   * Whether `self.<name>` holds a module here: a layer or an instance of the analysis under the name,
   * or a direct construction in __init__; false when it is None in this context (torchvision's
   * `self.downsample = downsample`, given None; or assigned None and layer constructions none of
   * which ran here); undefined for anything else (a module passed as an argument is not yet among
   * the instance's layers).
   */
  private moduleAt(node: SyntaxNode): boolean | undefined {
    const n = unwrap(node);
    const prop = n.name === 'MemberExpression' ? n.getChild('PropertyName') : null;
    if (!prop || !n.firstChild || this.ctx.slice(n.firstChild) !== 'self' || n.getChild('[')) return undefined;
    return this.moduleNamed(this.ctx.slice(prop));
  }

  /**
   * {@link moduleAt} of `self.<name>`; `unassigned`: also false when every assignment of it in __init__
   * constructs a module and none ran in this context (the attribute does not exist: `hasattr` is false).
   */
  private moduleNamed(name: string, unassigned = false): boolean | undefined {
    const depth = this.node?.path ? this.node.path.split('.').length : 0;
    const registered = [...this.layersByName.keys()].some((k) => k === name || k.startsWith(`${name}.`)) || !!this.node?.children.some((c) => c.path.split('.')[depth] === name);

    if (registered || this.members.get(name)) return true;
    // None here: `self.downsample = downsample` with the argument None in this context (or its default).
    if (this.initScope.get(`self.${name}`) === null) return false;
    // None too when every other assignment constructs a module and none was built in this context
    // (`self.downsample = None`, then `if stride != 1: self.downsample = nn.Sequential(...)`): the analysis registers each one it runs.
    const assigned = this.assignments.get(name) ?? [];
    const constructs = (v: SyntaxNode) => {
      const q = v.name === 'CallExpression' ? this.ctx.qualified(v.firstChild) : undefined;
      return !!q && (q === 'torch.nn.Sequential' || q === 'torch.nn.ModuleList' || !!lookupLayer(q));
    };
    if (assigned.some((v) => v.name === 'None') && assigned.every((v) => v.name === 'None' || constructs(v))) return false;
    if (unassigned && assigned.length > 0 && assigned.every(constructs)) return false;
    return undefined;
  }

  /** The sizes `x.shape` / `x.size()` stand for, when `node` is one of them. */
  private sizes(node: SyntaxNode, env: Map<string, Val>): Shape | undefined {
    const n = unwrap(node);
    const call = n.name === 'CallExpression' ? n : undefined;
    const member = call ? call.firstChild : n;
    if (member?.name !== 'MemberExpression' || member.getChild('[')) return undefined;
    const prop = member.getChild('PropertyName');
    const name = prop ? this.ctx.slice(prop) : '';
    const args = call?.getChild('ArgList');
    const bare = !args || callArgs(args, this.ctx.text).positional.length === 0;
    if (!member.firstChild || !((name === 'shape' && !call) || (name === 'size' && call && bare))) return undefined;
    return this.shape(this.tensor(member.firstChild, env));
  }

  /**
   * `for block in self.blocks:` over a ModuleList (or Sequential) of layers,
   * unrolled: its body runs once per element, in order, with the variable
   * standing for that layer.
   */
  private loop(stmt: SyntaxNode, env: Map<string, Val>): void {
    const vars: SyntaxNode[] = [];
    let iterable: SyntaxNode | undefined;
    let afterIn = false;
    for (let c = stmt.firstChild; c; c = c.nextSibling) {
      if (c.name === 'in') afterIn = true;
      else if (c.name === 'Body' || c.name === 'else') {
        if (c.name === 'else') throw new Unsupported(stmt, 'for … else is not simulated');
      } else if (afterIn) iterable ??= c;
      else if (c.name !== 'for') vars.push(c);
    }
    const body = stmt.getChild('Body');
    const names = vars.filter((v) => v.name !== ',');
    if (names.length > 1 && names.every((v) => v.name === 'VariableName') && iterable && body) {
      // `for attn, ff in self.layers:` over a ModuleList of ModuleLists (lucidrains' Transformer): each unpacked.
      const groups = this.moduleGroups(iterable, stmt, names.length);
      checkLimit('loopIterations', groups.length, `${this.model.name}: for … in ${this.ctx.slice(iterable)}`);
      for (const group of groups) {
        names.forEach((v, i) => env.set(this.ctx.slice(v), group[i]));
        this.loopBody(body, env);
      }
      for (const v of names) env.delete(this.ctx.slice(v));
      return;
    }
    if (vars.length !== 1 || vars[0].name !== 'VariableName' || !iterable || !body) throw new Unsupported(stmt, 'only `for layer in self.<ModuleList>:` loops are simulated');
    const layers = this.moduleList(iterable, stmt);
    checkLimit('loopIterations', layers.length, `${this.model.name}: for … in ${this.ctx.slice(iterable)}`);
    const name = this.ctx.slice(vars[0]);
    for (const layer of layers) {
      env.set(name, layer);
      this.loopBody(body, env);
    }
    env.delete(name);
  }

  /** One iteration of a loop's body (a `return` there is not simulated). */
  private loopBody(body: SyntaxNode, env: Map<string, Val>): void {
    for (const inner of statements(body)) {
      if (this.statement(inner, env) !== undefined) throw new Unsupported(inner, 'a return inside a loop is not simulated');
    }
  }

  /**
   * The elements of `self.<attr>`, a ModuleList built in `__init__` whose every element is a ModuleList
   * of `width` layers or instances (`<attr>.0.0`, `<attr>.0.1`, `<attr>.1.0`, …), group by group.
   */
  private moduleGroups(iterable: SyntaxNode, stmt: SyntaxNode, width: number): Element[][] {
    const n = unwrap(iterable);
    const prop = n.name === 'MemberExpression' && !n.getChild('[') && n.firstChild && this.ctx.slice(n.firstChild) === 'self' ? n.getChild('PropertyName') : null;
    const attr = prop ? this.ctx.slice(prop) : undefined;
    const ctor = attr ? this.members.get(attr) : undefined;
    if (!attr || !ctor || this.ctx.qualified(ctor.firstChild) !== 'torch.nn.ModuleList') throw new Unsupported(stmt, 'only loops over a ModuleList built once in __init__ are simulated');
    const groups: Element[][] = [];
    for (let i = 0; ; i++) {
      const group = this.elementsUnder(`${attr}.${i}`);
      if (!group) break;
      if (group.length !== width) throw new Unsupported(stmt, `self.${attr}[${i}] has ${group.length} modules, the loop unpacks ${width}`);
      groups.push(group);
    }
    // Every layer and instance the analysis built under it is in some group (nothing else is there).
    const base = this.node?.path ? `${this.node.path}.${attr}.` : `${attr}.`;
    const under = [...this.layersByName.keys()].filter((k) => k.startsWith(`${attr}.`)).length + (this.node?.children.filter((c) => c.path.startsWith(base)).length ?? 0);
    if (groups.length === 0 || under !== groups.length * width) throw new Unsupported(stmt, `self.${attr}: its elements are not ModuleLists of ${width} modules each`);
    return groups;
  }

  /** The layers of `self.<attr>`, a ModuleList or Sequential whose every element is a layer of the analysis (`<attr>.0`, `<attr>.1`, …). */
  private moduleList(iterable: SyntaxNode, stmt: SyntaxNode): Element[] {
    const n = unwrap(iterable);
    const prop = n.name === 'MemberExpression' && !n.getChild('[') && n.firstChild && this.ctx.slice(n.firstChild) === 'self' ? n.getChild('PropertyName') : null;
    // `for block in self.transformer.h:`, a ModuleList inside a ModuleDict, too.
    const attr = prop ? this.ctx.slice(prop) : this.modulePath(n, new Map());
    const ctor = attr?.includes('.') ? this.pathCtor(attr) : attr ? this.members.get(attr) : undefined;
    const kind = ctor ? this.ctx.qualified(ctor.firstChild) : undefined;
    if (!attr || !ctor || (kind !== 'torch.nn.ModuleList' && kind !== 'torch.nn.Sequential')) throw new Unsupported(stmt, 'only loops over a ModuleList or Sequential built once in __init__ are simulated');
    const list = ctor.getChild('ArgList');
    const args = list ? callArgs(list, this.ctx.text) : undefined;
    const arg = args && !args.hasStarred && args.keywords.size === 0 ? (kind === 'torch.nn.ModuleList' ? (args.positional.length === 1 ? unwrap(args.positional[0]) : undefined) : undefined) : undefined;
    // Elements written out, or one constructor repeated by a comprehension: each element one layer.
    let expected: number | undefined;
    if (kind === 'torch.nn.Sequential' && args && !args.hasStarred && args.keywords.size === 0) expected = args.positional.length;
    else if (arg?.name === 'ArrayExpression') expected = sequenceElements(arg)?.length;
    else if (arg?.name === 'ArrayComprehensionExpression') {
      const element = arg.firstChild?.nextSibling;
      const ofClass = !!this.childAt(`${attr}.0`);
      if (element?.name !== 'CallExpression' || !(ofClass || this.ctx.qualified(element.firstChild)?.startsWith('torch.nn.')) || descendants(arg, 'ArrayComprehensionExpression').next().done === false) throw new Unsupported(stmt, `self.${attr}: only a comprehension of one torch.nn layer or class of the file is simulated`);
    } else throw new Unsupported(stmt, `self.${attr}: its elements are not known`);
    // Instances of classes of the file among the elements (a composite): each element a layer or an instance.
    if (this.node?.children.some((c) => c.path.startsWith(this.node?.path ? `${this.node.path}.${attr}.` : `${attr}.`))) {
      const elements = this.elementsUnder(attr);
      if (!elements || (expected !== undefined && expected !== elements.length)) throw new Unsupported(stmt, `self.${attr}: elements that are not layers or instances (activations) are not simulated in a loop yet`);
      return elements;
    }
    const prefix = `${attr}.`;
    const local = [...this.layersByName].filter(([k]) => k.startsWith(prefix));
    const indexed = local.every(([k]) => /^\d+$/.test(k.slice(prefix.length)));
    const sorted = [...local].sort((a, b) => Number(a[0].slice(prefix.length)) - Number(b[0].slice(prefix.length)));
    const ordered = sorted.map(([, l]) => l);
    const layers = ordered;
    if (!indexed || layers.length === 0 || sorted.some(([k], i) => k !== `${prefix}${i}`) || (expected !== undefined && expected !== layers.length)) {
      throw new Unsupported(stmt, `self.${attr}: elements that are not layers (activations, classes of the file) are not simulated in a loop yet`);
    }
    return ordered.map((layer) => ({ layer }));
  }

  private tensor(node: SyntaxNode, env: Map<string, Val>): number {
    const v = this.expr(node, env);
    if ('tuple' in v) throw new Unsupported(node, 'a tuple where a tensor is expected');
    if (!('op' in v)) throw new Unsupported(node, 'a number where a tensor is expected');
    return v.op;
  }

  /** An integer of forward's, or else of `__init__`'s locals and members in this context (`Rearrange(..., p1 = patch_height)` built there). */
  private intOrInit(node: SyntaxNode, env: Map<string, Val>): number {
    try {
      return this.int(node, env);
    } catch (error) {
      if (!(error instanceof Unsupported)) throw error;
      const v = evaluate(node, this.ctx.text, this.initScope);
      if (typeof v === 'number' && Number.isInteger(v)) return v;
      throw error;
    }
  }

  private int(node: SyntaxNode | undefined, env: Map<string, Val>, fallback?: number): number {
    if (!node) {
      if (fallback === undefined) throw new Error('missing argument');
      return fallback;
    }
    const v = this.expr(node, env);
    if (!('int' in v)) throw new Unsupported(node, 'a tensor where a number is expected');
    return v.int;
  }

  private expr(node: SyntaxNode, env: Map<string, Val>): Val {
    const n = unwrap(node);
    switch (n.name) {
      case 'VariableName': {
        const v = env.get(this.ctx.slice(n));
        if (v && 'missing' in v) throw new Unsupported(n, v.missing);
        if (v) return v;
        const c = this.scope.get(this.ctx.slice(n));
        if (typeof c === 'number' && Number.isInteger(c)) return { int: c };
        throw new Unsupported(n, `${this.ctx.slice(n)} is not known here`);
      }
      case 'Number':
      case 'UnaryExpression': {
        const c = evaluate(n, this.ctx.text, this.scope);
        if (typeof c === 'number' && Number.isInteger(c)) return { int: c };
        if (typeof c === 'number' && Number.isFinite(c)) return { num: c };
        break;
      }
      case 'BinaryExpression': {
        const left = n.firstChild;
        const op = left?.nextSibling;
        const right = op?.nextSibling;
        if (!left || !op || !right) break;
        const a = this.expr(left, env);
        const b = this.expr(right, env);
        const o = this.ctx.slice(op);
        if ('int' in a && 'int' in b) {
          const r = o === '+' ? a.int + b.int : o === '-' ? a.int - b.int : o === '*' ? a.int * b.int : o === '//' && b.int !== 0 ? Math.floor(a.int / b.int) : undefined;
          if (r !== undefined) return { int: r };
        }
        const other = this.binaryOps(a, o, b, n);
        if (other) return other;
        if (o === '+') return this.add(a, b, n);
        throw new Unsupported(n, `\`${o}\` on tensors is not simulated`);
      }
      case 'MemberExpression': {
        // x.shape[i]
        const object = n.firstChild;
        if (object && n.getChild('[') && object.name === 'MemberExpression' && object.getChild('PropertyName') && this.ctx.slice(object.getChild('PropertyName')!) === 'shape') {
          const t = this.tensor(object.firstChild!, env);
          const index = n.getChild('Number') ?? n.getChild('UnaryExpression');
          return { int: this.sizeAt(t, index ? this.int(index, env) : NaN, n) };
        }
        const parameter = this.parameterMember(n);
        if (parameter !== undefined) return { op: parameter };
        const member = this.memberValue(n, env);
        if (member) return member;
        // out[:, -1, :], h[-1], self.lstm(x)[0]
        if (object && n.getChild('[')) return this.subscript(n, object, env);
        const other = this.memberOther(n, env);
        if (other) return other;
        const property = n.getChild('PropertyName');
        if (object?.name === 'VariableName' && this.ctx.slice(object) === 'self' && property) {
          throw new Unsupported(n, `self.${this.ctx.slice(property)} is not a module, parameter or buffer built in __init__`);
        }
        break;
      }
      case 'CallExpression':
        return this.call(n, env);
      case 'ConditionalExpression': {
        // `self.shortcut(out) if hasattr(self, 'shortcut') else x`: the branch a condition known now takes.
        const parts = conditionalParts(n);
        if (!parts) break;
        return this.expr(this.truth(parts.condition, env) ? parts.yes : parts.no, env);
      }
      case 'None':
        return { none: true };
    }
    throw new Unsupported(n, 'not an operation the signal engine knows');
  }

  private sizeAt(t: number, i: number, node: SyntaxNode): number {
    const shape = this.shape(t);
    const k = i < 0 ? shape.length + i : i;
    if (!Number.isInteger(k) || k < 0 || k >= shape.length) throw new Unsupported(node, 'an index the engine cannot resolve');
    return shape[k];
  }

  private call(call: SyntaxNode, env: Map<string, Val>): Val {
    const callee = call.firstChild;
    const list = call.getChild('ArgList');
    if (!callee || !list) throw new Unsupported(call, 'not a call');
    const args = callArgs(list, this.ctx.text);
    if (args.hasStarred) return this.starredReshape(callee, args, env, call);
    const line = this.lineOf(call);
    // self.<member>(x)
    if (callee.name === 'MemberExpression' && callee.firstChild && this.ctx.slice(callee.firstChild) === 'self' && callee.getChild('PropertyName')) {
      const name = this.ctx.slice(callee.getChild('PropertyName')!);
      const layer = this.layersByName.get(name);
      if (layer && RECURRENT_TYPES.has(layer.type)) return this.recurrent(layer, args, env, line, call);
      if (layer?.type === 'MultiheadAttention') return this.attentionCall(layer, args, env, call, line);
      const lambda = layer || this.childAt(name) ? undefined : lambdaMember(this.assignments.get(name));
      if (lambda) return this.runLambda(lambda, args, env, call);
      if (args.positional.length !== 1 || args.keywords.size > 0) throw new Unsupported(call, 'a module called with other than one tensor');
      const input = this.tensor(args.positional[0], env);
      if (layer) return { op: this.applyLayer(layer, input, line, call) };
      const child = this.childAt(name);
      if (child) return { op: this.inline(child, input, call) };
      return { op: this.applyModule(name, this.member(name, call), input, line) };
    }
    // block(x), the loop variable over a ModuleList.
    if (callee.name === 'VariableName') {
      const bound = env.get(this.ctx.slice(callee));
      if (bound && 'layer' in bound && RECURRENT_TYPES.has(bound.layer.type)) return this.recurrent(bound.layer, args, env, line, call);
      if (bound && ('layer' in bound || 'instance' in bound)) {
        if (args.positional.length !== 1 || args.keywords.size > 0) throw new Unsupported(call, 'a module called with other than one tensor');
        const input = this.tensor(args.positional[0], env);
        return { op: 'layer' in bound ? this.applyLayer(bound.layer, input, line, call) : this.inline(bound.instance, input, call) };
      }
    }
    // map(lambda t: rearrange(t, ...), qkv): the lambda on each element of a tuple, as a tuple (lucidrains' attention).
    if (callee.name === 'VariableName' && this.ctx.slice(callee) === 'map' && !env.has('map') && !this.scope.has('map')) {
      const lambda = args.positional.length === 2 && args.keywords.size === 0 ? lambdaMember([unwrap(args.positional[0])]) : undefined;
      if (!lambda) throw new Unsupported(call, 'map with other than a one-parameter lambda and one iterable');
      const items = this.expr(args.positional[1], env);
      if (!('tuple' in items)) throw new Unsupported(call, 'map over other than a tuple of tensors');
      return { tuple: items.tuple.map((item) => this.expr(lambda.body, new Map([...env, [this.ctx.slice(lambda.param), item]]))) };
    }
    // x.view(...), self.conv(x).relu(): a method of a tensor, unless the callee names a torch function (F.relu, torch.flatten).
    const qualified = this.ctx.qualified(callee);
    const object = callee.name === 'MemberExpression' ? callee.firstChild : null;
    const prop = callee.name === 'MemberExpression' ? callee.getChild('PropertyName') : null;
    const torchFunction = !!qualified && qualified.startsWith('torch') && !(object && env.has(this.ctx.slice(object)));
    // self.transformer.wte(idx), m.c_fc(x): a module reached through a ModuleDict or an alias.
    const path = callee.name === 'MemberExpression' ? this.modulePath(callee, env) : undefined;
    if (path !== undefined) return { op: this.applyPath(path, args, env, call, line) };
    if (callee.name === 'VariableName' && this.ctx.slice(callee) === 'float' && !env.has('float') && args.positional.length === 1) {
      const text = stringValue(args.positional[0], this.ctx.text)?.trim().toLowerCase();
      const v = text === '-inf' || text === '-infinity' ? -Infinity : text === 'inf' || text === 'infinity' ? Infinity : scalarOf(this.expr(args.positional[0], env));
      if (v !== undefined) return { num: v };
    }
    if (qualified === 'math.sqrt' && args.positional.length === 1) {
      const v = scalarOf(this.expr(args.positional[0], env));
      if (v !== undefined && v >= 0) return { num: Math.sqrt(v) };
    }
    if (object && prop && !torchFunction) return this.method(object, this.ctx.slice(prop), args, env, call, line);
    if (!qualified) throw new Unsupported(call, 'a function the signal engine does not know');
    const einopsFunction = EINOPS_FUNCTIONS[qualified];
    if (einopsFunction) {
      const first = args.positional[0] ?? args.keywords.get('tensor');
      if (!first) throw new Unsupported(call, `${qualified} without its tensor`);
      return { op: this.einops(einopsFunction, this.tensor(first, env), args, 1, call, line, env) };
    }
    const tensorFunction = this.opsFunction(qualified, args, env, call, line) ?? this.elementwiseFunction(qualified, args, env, call) ?? this.spatialFunction(qualified, args, env, call, line);
    if (tensorFunction) return tensorFunction;
    return { op: this.functional(qualified, args, env, call, line) };
  }

  private method(object: SyntaxNode, method: string, args: CallArgs, env: Map<string, Val>, call: SyntaxNode, line: number): Val {
    const t = this.tensor(object, env);
    const tensorMethodValue = this.opsMethod(t, method, args, env, call, line) ?? this.elementwiseMethod(t, method, args, env, call);
    if (tensorMethodValue) return tensorMethodValue;
    if (method === 'size') {
      if (args.positional.length !== 1) throw new Unsupported(call, 'size() without an index');
      return { int: this.sizeAt(t, this.int(args.positional[0], env), call) };
    }
    if (method === 'view' || method === 'reshape') {
      const dims = args.positional.length === 1 && sequenceElements(unwrap(args.positional[0])) ? sequenceElements(unwrap(args.positional[0]))! : args.positional;
      return { op: this.reshape(t, dims.map((d) => this.int(d, env)), line, call) };
    }
    if (method === 'flatten') {
      const start = this.int(args.keywords.get('start_dim') ?? args.positional[0], env, 0);
      const end = this.int(args.keywords.get('end_dim') ?? args.positional[1], env, -1);
      return { op: this.flatten(t, start, end, line, call) };
    }
    if (method === 'contiguous' || method === 'float' || method === 'clone') return { op: t };
    if (method === 'squeeze') return { op: this.squeeze(t, args, env, line, call) };
    const activation = tensorMethod(method);
    if (activation && activation.kind !== 'identity') return { op: this.activation(activation, t, call, args, line, 0) };
    throw new Unsupported(call, `.${method}() is not simulated`);
  }

  private functional(qualified: string, args: CallArgs, env: Map<string, Val>, call: SyntaxNode, line: number): number {
    const first = args.positional[0] ?? args.keywords.get('input');
    if (!first) throw new Unsupported(call, 'a function call without its tensor');
    const neutral = NEUTRAL_FUNCTIONS[qualified];
    if (neutral) {
      const input = this.tensor(first, env);
      const read = (name: string, position: number) => args.keywords.get(name) ?? args.positional[position + 1];
      return this.neutral(neutral, input, read, env, call, line, qualified.includes('1d') ? 1 : qualified.includes('2d') ? 2 : undefined);
    }
    const classified = functionCall(qualified, (name, position) => evaluate(args.keywords.get(name) ?? args.positional[position], this.ctx.text, this.scope));
    if (classified?.role === 'activation' && classified.activation.kind !== 'identity') {
      return this.activation(classified.activation, this.tensor(first, env), call, args, line, 1);
    }
    throw new Unsupported(call, `${qualified} is not simulated`);
  }

  /** A module constructor call (a member of `__init__`, or an element of a Sequential) applied to `input`. */
  applyModule(name: string, ctor: SyntaxNode, input: number, line: number): number {
    const layer = this.layersByName.get(name);
    if (layer && layer.span.from === ctor.from) return this.applyLayer(layer, input, line, ctor);
    const child = this.childAt(name);
    if (child) return this.inline(child, input, ctor);
    const callee = ctor.firstChild;
    const list = ctor.getChild('ArgList');
    const qualified = callee ? this.ctx.qualified(callee) : undefined;
    // `self._make_layer(...)` returning `nn.Sequential(*layers)`: the elements the analysis built under the attribute.
    const made = ctor.name === 'CallExpression' && callee?.name === 'MemberExpression' && callee.firstChild && this.ctx.slice(callee.firstChild) === 'self' ? this.madeSequential(name, ctor) : undefined;
    if (made && !Array.isArray(made)) return this.applyElements(name, made.nodes, input);
    if (made) {
      let v = input;
      for (const e of made) v = 'layer' in e ? this.applyLayer(e.layer, v, line, ctor) : this.inline(e.instance, v, ctor);
      return v;
    }
    // Only where the analysis built its layers under the attribute (else a Conv2d there would read as not simulated).
    const built = [...this.layersByName.keys()].some((k) => k.startsWith(`${name}.`));
    const helper = built && ctor.name === 'CallExpression' && callee?.name === 'VariableName' ? this.sequentialOfFunction(this.ctx.slice(callee)) : undefined;
    if (helper) return helper.reduce((v, element, i) => this.applyModule(`${name}.${i}`, unwrap(element), v, this.lineOf(element)), input);
    const einopsLayer = qualified ? EINOPS_LAYERS[qualified] : undefined;
    if (einopsLayer && list) return this.einops(einopsLayer, input, callArgs(list, this.ctx.text), 0, ctor, line);
    if (ctor.name === 'CallExpression' && qualified && !qualified.startsWith('torch') && this.node) throw new Unsupported(ctor, `${qualified}: a class of another file (not simulated)`);
    if (ctor.name !== 'CallExpression' || !qualified || !list) throw new Unsupported(ctor, 'a module the signal engine does not know');
    const args = callArgs(list, this.ctx.text);
    if (qualified === 'torch.nn.Sequential') {
      if (args.hasStarred || args.keywords.size > 0) return this.applyElements(name, this.fromLists(() => sequentialElements(this.listHost(), ctor)), input);
      let v = input;
      args.positional.forEach((element, i) => {
        v = this.applyModule(name ? `${name}.${i}` : String(i), unwrap(element), v, this.lineOf(element));
      });
      return v;
    }
    const spatial = this.spatialModule(qualified, args, input, ctor, line);
    if (spatial !== undefined) return spatial;
    if (layer) throw new Unsupported(ctor, `${layer.type} is not simulated`);
    const type = qualified.startsWith('torch.nn.') ? qualified.slice('torch.nn.'.length) : undefined;
    const neutral = type ? NEUTRAL_MODULES[type] : undefined;
    if (neutral) {
      if (args.hasStarred) throw new Unsupported(ctor, '*args are not simulated');
      if (neutral === 'identity') return input;
      const read = (arg: string, position: number) => args.keywords.get(arg) ?? args.positional[position];
      return this.neutral(neutral, input, read, new Map(), ctor, line, type!.includes('1d') ? 1 : type!.includes('2d') ? 2 : undefined, neutral === 'flatten' ? 1 : undefined);
    }
    const classified = activationModule(qualified, (arg, position) => evaluate(args.keywords.get(arg) ?? args.positional[position], this.ctx.text, this.scope));
    if (classified?.role === 'activation' && classified.activation.kind !== 'identity') return this.activation(classified.activation, input, ctor, args, line, 0);
    throw new Unsupported(ctor, `${type ?? qualified} is not simulated`);
  }

  /**
   * The constructor in effect for `self.<name>`: its one assignment in
   * `__init__`, or, when it is assigned more than once (kuangliu's
   * `self.shortcut = nn.Sequential()` replaced under an `if`), the one
   * assignment that builds exactly the layers the analysis built under it
   * for this instance (the branch its constructor values take); likewise
   * its one assignment under an `if` of `__init__` (kuangliu's PreActBlock
   * `self.shortcut`, tested with `hasattr`), when that is what built them.
   */
  private member(name: string, at: SyntaxNode): SyntaxNode {
    const built = this.members.get(name);
    if (built) return built;
    if (built === undefined) throw new Unsupported(at, `self.${name} is not a module built in __init__`);
    const again = `self.${name} is assigned more than once or conditionally in __init__`;
    // `self.downsample = None` beside its constructions: a branch of forward tests it ({@link moduleAt}); calling it means one ran.
    const assigned = this.assignments.get(name) ?? [];
    // `self.to_out = nn.Sequential(...) if project_out else nn.Identity()`: the branch __init__'s values take here.
    const chosen = assigned.length === 1 ? this.branchOf(assigned[0]) : undefined;
    if (chosen) return chosen;
    const all = assigned.filter((v) => v.name !== 'None');
    const under = [...this.layersByName].filter(([k]) => k === name || k.startsWith(`${name}.`)).map(([, l]) => l);
    const childUnder = this.node?.children.some((c) => c.path.split('.').slice(this.node?.path ? this.node.path.split('.').length : 0)[0] === name);
    if (all.length === 0 || all.some((v) => v.name !== 'CallExpression') || childUnder) throw new Unsupported(at, again);
    const builds = (v: SyntaxNode) => [...descendants(v, 'CallExpression')].some((c) => {
      const q = this.ctx.qualified(c.firstChild);
      return !!q && q !== 'torch.nn.Sequential' && q !== 'torch.nn.ModuleList' && !!lookupLayer(q);
    });
    const matching = all.filter((v) => {
      const inside = under.filter((l) => v.from <= l.span.from && l.span.to <= v.to);
      return inside.length === under.length && (under.length > 0 || !builds(v));
    });
    if (matching.length === 1 || (matching.length > 1 && matching.every((v) => this.ctx.slice(v) === this.ctx.slice(matching[0])))) return matching[0];
    throw new Unsupported(at, `${again}, and which one this instance has is not known`);
  }

  /** The construction a conditional expression of `__init__` takes with this instance's values (undefined: not known, or not a call). */
  private branchOf(value: SyntaxNode): SyntaxNode | undefined {
    const n = unwrap(value);
    const parts = n.name === 'ConditionalExpression' ? conditionalParts(n) : undefined;
    if (!parts) return undefined;
    const { yes, condition, no } = parts;
    const v = evaluate(condition, this.ctx.text, this.initScope);
    if (v === undefined) return undefined;
    const taken = unwrap(v === null || v === false || v === 0 || v === '' || (Array.isArray(v) && v.length === 0) ? no : yes);
    return taken.name === 'CallExpression' ? taken : this.branchOf(taken);
  }

  /**
   * The elements of `self.<name> = self.<method>(...)` whose method returns
   * `nn.Sequential(*<list>)` with every element appended to the list a
   * construction (`layers.append(block(self.in_planes, planes, stride))`): the
   * layers and instances the analysis built under `<name>.0`, `<name>.1`, …
   */
  private madeSequential(name: string, ctor: SyntaxNode): Element[] | { nodes: SyntaxNode[] } | undefined {
    const prop = ctor.firstChild?.getChild('PropertyName');
    const method = prop ? this.methods.get(this.ctx.slice(prop)) : undefined;
    const body = method?.getChild('Body');
    if (!method || !body) return undefined;
    const last = statements(body).at(-1);
    const value = last?.name === 'ReturnStatement' ? last.lastChild : undefined;
    const list = value?.name === 'CallExpression' && this.ctx.qualified(value.firstChild) === 'torch.nn.Sequential' ? value.getChild('ArgList') : undefined;
    const args = list ? callArgs(list, this.ctx.text) : undefined;
    const starred = list ? this.ctx.slice(list).replace(/\s+/g, '').match(/^\(\*(\w+)\)$/) : null;
    if (!args || !starred) throw new Unsupported(ctor, `self.${this.ctx.slice(prop!)}() does not return nn.Sequential(*list) (not simulated)`);
    const listName = starred[1];
    // Every write to the list is one `list.append(<construction>)`: nothing else joins it unseen.
    for (const use of descendants(body, 'VariableName')) {
      if (this.ctx.slice(use) !== listName) continue;
      const parent = use.parent;
      const assigned = parent?.name === 'AssignStatement' && parent.firstChild?.from === use.from && this.ctx.slice(parent).replace(/\s+/g, '') === `${listName}=[]`;
      const member = parent?.name === 'MemberExpression' ? parent.getChild('PropertyName') : null;
      const append = member && this.ctx.slice(member) === 'append' && parent?.parent?.name === 'CallExpression';
      const arg = append ? callArgs(parent!.parent!.getChild('ArgList')!, this.ctx.text).positional : [];
      const ok = assigned || (append && arg.length === 1 && unwrap(arg[0]).name === 'CallExpression') || (parent?.name === 'ArgList');
      // Other writes (`layers += [...]` in a loop over a configuration): the method run by lists.ts.
      if (!ok) return { nodes: this.fromLists(() => methodElements(this.listHost(), ctor, method)) };
    }
    const elements = this.elementsUnder(name);
    if (!elements) throw new Unsupported(ctor, `self.${name}: its elements are not known`);
    return elements;
  }

  /** `x.view(x.size(0), *img_shape)` with a module constant tuple of integers (PyTorch-GAN's `img_shape`); other `*args` are not simulated. */
  private starredReshape(callee: SyntaxNode, args: CallArgs, env: Map<string, Val>, call: SyntaxNode): Val {
    const method = callee.name === 'MemberExpression' ? callee.getChild('PropertyName') : null;
    const object = callee.firstChild;
    if (!method || !object || !['view', 'reshape'].includes(this.ctx.slice(method)) || args.keywords.size > 0) throw new Unsupported(call, '*args are not simulated');
    const t = this.expr(object, env);
    if (!('op' in t)) throw new Unsupported(call, '*args are not simulated');
    const dims: number[] = [];
    const spread = (at: number) => {
      for (const s of args.spreads.filter((x) => x.at === at)) {
        const v = evaluate(s.node, this.ctx.text, this.scope);
        if (s.kind !== '*' || !Array.isArray(v) || !v.every((d) => typeof d === 'number' && Number.isInteger(d))) throw new Unsupported(s.node, `*${this.ctx.slice(s.node)}: not a known tuple of integers`);
        dims.push(...(v as number[]));
      }
    };
    args.positional.forEach((p, i) => {
      spread(i);
      dims.push(this.int(p, env));
    });
    spread(args.positional.length);
    return { op: this.reshape(t.op, dims, this.lineOf(call), call) };
  }

  /** Each module construction of a Sequential built from lists applied in turn, as `<name>.0`, `<name>.1`, … */
  private applyElements(name: string, nodes: readonly SyntaxNode[], input: number): number {
    let v = input;
    nodes.forEach((n, i) => {
      v = this.applyModule(name ? `${name}.${i}` : String(i), n, v, this.lineOf(n));
    });
    return v;
  }

  /** lists.ts's answer, its refusal as this engine's. */
  private fromLists(run: () => SyntaxNode[]): SyntaxNode[] {
    try {
      return run();
    } catch (e) {
      if (e instanceof ListUnsupported) throw new Unsupported(e.node, e.why);
      throw e;
    }
  }

  /** The constructor's values of the instance being built: a composite's node's, else the root's in its context. */
  private instanceBinding(): Binding | undefined {
    return this.node ? this.node.binding : this.binding;
  }

  /** What lists.ts reads: module constants, the constructor's values in this context, the class's methods. */
  private listHost(): ListHost {
    const init = this.methods.get('__init__');
    const scope = new Map(init ? functionScope(init, this.ctx) : this.scope);
    const binding = this.instanceBinding();
    for (const [k, v] of binding?.values ?? []) scope.set(k, v);
    for (const k of binding?.unknown ?? []) scope.delete(k);
    const classes = this.fileClasses();
    const isModule = (call: SyntaxNode) => {
      const q = this.ctx.qualified(call.firstChild);
      // A class of the file is called by its plain name (`ResidualBlock(out_features)`).
      const own = call.firstChild?.name === 'VariableName' && classes.has(this.ctx.slice(call.firstChild));
      return own || (!!q && ((q.startsWith('torch.nn.') && !q.startsWith('torch.nn.functional.') && !q.startsWith('torch.nn.init.')) || classes.has(q)));
    };
    return { ctx: this.ctx, scope, methods: this.methods, isModule };
  }

  /**
   * The elements of `nn.Sequential(a, b, …)` that a module-level function of the file returns as its
   * last statement (usuyama/pytorch-unet's `double_conv(in_channels, out_channels)`); the analysis
   * built their layers under the attribute, with the call's arguments. Undefined for other functions.
   */
  private sequentialOfFunction(fn: string): readonly SyntaxNode[] | undefined {
    const def = (this.tree ? statements(this.tree.topNode) : []).find((c) => c.name === 'FunctionDefinition' && c.getChild('VariableName') && this.ctx.slice(c.getChild('VariableName')!) === fn);
    const body = def?.getChild('Body');
    const last = body ? statements(body).at(-1) : undefined;
    const value = last?.name === 'ReturnStatement' ? last.lastChild : undefined;
    const list = value?.name === 'CallExpression' && this.ctx.qualified(value.firstChild) === 'torch.nn.Sequential' ? value.getChild('ArgList') : undefined;
    const args = list ? callArgs(list, this.ctx.text) : undefined;
    return args && !args.hasStarred && args.keywords.size === 0 ? args.positional : undefined;
  }

  /** The module-level classes of the file, by name. */
  private fileClasses(): Set<string> {
    const top = this.tree ? statements(this.tree.topNode) : [];
    return new Set(top.filter((c) => c.name === 'ClassDefinition' && c.getChild('VariableName')).map((c) => this.ctx.slice(c.getChild('VariableName')!)));
  }

  /** The layers and instances at `<name>.0`, `<name>.1`, … of the running instance, when they are exactly that (contiguous, nothing deeper). */
  private elementsUnder(name: string): Element[] | undefined {
    const prefix = `${name}.`;
    const found = new Map<number, Element>();
    for (const [k, layer] of this.layersByName) {
      if (!k.startsWith(prefix)) continue;
      const rest = k.slice(prefix.length);
      if (!/^\d+$/.test(rest)) return undefined;
      found.set(Number(rest), { layer });
    }
    const base = this.node?.path ? `${this.node.path}.${prefix}` : prefix;
    for (const c of this.node?.children ?? []) {
      if (!c.path.startsWith(base)) continue;
      const rest = c.path.slice(base.length);
      if (!/^\d+$/.test(rest) || found.has(Number(rest))) return undefined;
      found.set(Number(rest), { instance: c });
    }
    if (found.size === 0) return undefined;
    const out: Element[] = [];
    for (let i = 0; i < found.size; i++) {
      const e = found.get(i);
      if (!e) return undefined;
      out.push(e);
    }
    return out;
  }

  // ---- ops ----

  private applyLayer(layer: Layer, input: number, line: number, at: SyntaxNode): number {
    if (RECURRENT_TYPES.has(layer.type)) throw new Unsupported(at, `${layer.type} returns a tuple: the next module of a Sequential cannot take it`);
    if (!LAYER_TYPES.has(layer.type)) throw new Unsupported(at, `${layer.type} is not simulated yet`);
    if (layer.problems) throw new Unsupported(at, layer.problems[0].message);
    const shapes = layer.params.map((p) => p.shape);
    if (shapes.some((s) => s.some((d) => typeof d !== 'number'))) throw new Unsupported(at, `${layer.name}: a size is not known`);
    if (this.applied.some((a) => a.layer === layer)) throw new Unsupported(at, `${layer.name} is applied twice (shared weights are not simulated yet)`);
    let x = this.shape(input);
    const num = (k: string, fallback: number) => {
      const v = layer.args.get(k);
      if (v === undefined) return fallback;
      if (typeof v !== 'number') throw new Unsupported(at, `${layer.name}: ${k} is not a known number`);
      return v;
    };
    const bool = (k: string, fallback: boolean) => {
      const v = layer.args.get(k);
      if (v === undefined) return fallback;
      if (typeof v !== 'boolean') throw new Unsupported(at, `${layer.name}: ${k} is not a known boolean`);
      return v;
    };
    const weight = layer.params.find((p) => p.name === 'weight');
    const hasBias = layer.params.some((p) => p.name === 'bias');
    let op: SignalOp;
    switch (layer.type) {
      case 'Linear': {
        const [outF, inF] = (weight?.shape ?? []) as number[];
        if (x.length < 1 || x[x.length - 1] !== inF) throw new ShapeMismatch(`${layer.name} (Linear) expects ${inF} input features, gets ${x.join('×')}`, line);
        this.multiplyAdds += (numel(x) / inF) * inF * outF;
        op = { kind: 'linear', layer: layer.name, input, bias: hasBias, shape: [...x.slice(0, -1), outF], line };
        break;
      }
      case 'Conv1d':
      case 'Conv2d':
      case 'Conv3d': {
        const dims = layer.type === 'Conv1d' ? 1 : layer.type === 'Conv2d' ? 2 : 3;
        const w = weight?.shape as number[];
        const groups = num('groups', 1);
        if (!Number.isInteger(groups) || groups < 1) throw new Unsupported(at, `${layer.name}: groups=${groups} is not simulated`);
        if (groups !== 1 && dims === 3) throw new Unsupported(at, `${layer.name}: grouped 3-d convolutions are not simulated yet`);
        if (w[0] % groups !== 0) throw new ShapeMismatch(`${layer.name} (${layer.type}): ${w[0]} output channels in ${groups} groups`, line);
        const mode = layer.args.get('padding_mode');
        if (mode !== undefined && mode !== 'zeros' && mode !== 'reflect' && mode !== 'replicate' && mode !== 'circular') throw new Unsupported(at, `${layer.name}: padding_mode=${String(mode)} is not simulated`);
        const tuple = (k: string, fallback: number) => {
          const v = layer.args.get(k);
          if (v === undefined) return Array<number>(dims).fill(fallback);
          if (typeof v === 'number') return Array<number>(dims).fill(v);
          if (v === 'valid') return Array<number>(dims).fill(0);
          if (Array.isArray(v) && v.length === dims && v.every((e) => typeof e === 'number')) return v as number[];
          throw new Unsupported(at, `${layer.name}: ${k}=${JSON.stringify(v)} is not simulated`);
        };
        const kernel = w.slice(2);
        const stride = tuple('stride', 1);
        const dilation = tuple('dilation', 1);
        const zeros = mode === undefined || mode === 'zeros';
        const same = layer.args.get('padding') === 'same';
        if (same && stride.some((s) => s !== 1)) throw new ShapeMismatch(`${layer.name} (${layer.type}): padding='same' with a stride (PyTorch refuses it)`, line);
        // padding='same' with zeros: dilation·(kernel − 1) on both sides where it is even (ATen's _convolution_mode), else the zeros padded first.
        const symmetric = same && kernel.every((k, i) => (dilation[i] * (k - 1)) % 2 === 0);
        let padding = same ? kernel.map((k, i) => (zeros && symmetric ? (dilation[i] * (k - 1)) / 2 : 0)) : tuple('padding', 0);
        let paddingMode: 'zeros' | 'reflect' | 'replicate' | 'circular' | undefined;
        if (zeros ? same && !symmetric : same || padding.some((p) => p !== 0)) {
          // _ConvNd._conv_forward: F.pad(x, _reversed_padding_repeated_twice, mode), then the convolution with padding 0.
          if (x.length !== dims + 2) throw new ShapeMismatch(`${layer.name} (${layer.type}) expects ${dims} spatial axes, gets ${x.join('×')}`, line);
          const pads = convPads(same ? 'same' : padding, kernel, dilation);
          const padMode: PadMode = zeros ? 'constant' : (mode as PadMode);
          const padded = paddedShape(x, padMode, pads);
          if (typeof padded === 'string') throw new Unsupported(at, `${layer.name}: padding_mode=${mode}: ${padded}`);
          input = this.pad(input, padMode, pads, 0, at, line);
          paddingMode = zeros ? 'zeros' : (mode as 'reflect' | 'replicate' | 'circular');
          x = this.shape(input);
          padding = Array<number>(dims).fill(0);
        }
        if (x.length !== dims + 2 || x[1] !== w[1] * groups) throw new ShapeMismatch(`${layer.name} (${layer.type}) expects (N, ${w[1] * groups}, ${dims === 1 ? 'L' : dims === 2 ? 'H, W' : 'D, H, W'}), gets ${x.join('×')}`, line);
        const spatial = x.slice(2).map((s, i) => Math.floor((s + 2 * padding[i] - dilation[i] * (kernel[i] - 1) - 1) / stride[i]) + 1);
        if (spatial.some((s) => s < 1)) throw new ShapeMismatch(`${layer.name} (${layer.type}): input ${x.join('×')} is smaller than its kernel`, line);
        const out = [x[0], w[0], ...spatial];
        this.multiplyAdds += numel(out) * w[1] * numel(kernel);
        op = { kind: 'conv', layer: layer.name, input, dims, kernel, stride, padding, dilation, bias: hasBias, shape: out, line, ...(groups !== 1 ? { groups } : {}), ...(paddingMode ? { paddingMode } : {}) };
        break;
      }
      case 'BatchNorm1d':
      case 'BatchNorm2d':
      case 'BatchNorm3d': {
        const c = num('num_features', NaN);
        const rank = layer.type === 'BatchNorm1d' ? [2, 3] : layer.type === 'BatchNorm2d' ? [4] : [5];
        if (!rank.includes(x.length) || x[1] !== c) throw new ShapeMismatch(`${layer.name} (${layer.type}) expects ${c} channels, gets ${x.join('×')}`, line);
        op = { kind: 'batchnorm', layer: layer.name, input, eps: num('eps', 1e-5), affine: bool('affine', true), shape: x, line };
        break;
      }
      case 'LayerNorm': {
        const v = layer.args.get('normalized_shape');
        const dims = typeof v === 'number' ? [v] : Array.isArray(v) && v.every((e) => typeof e === 'number') ? (v as number[]) : undefined;
        if (!dims) throw new Unsupported(at, `${layer.name}: normalized_shape is not known`);
        if (x.length < dims.length || dims.some((d, i) => x[x.length - dims.length + i] !== d)) throw new ShapeMismatch(`${layer.name} (LayerNorm) normalizes ${dims.join('×')}, gets ${x.join('×')}`, line);
        op = { kind: 'layernorm', layer: layer.name, input, normalized: dims.length, eps: num('eps', 1e-5), affine: bool('elementwise_affine', true), shape: x, line };
        break;
      }
      default: {
        const built = this.opsLayer(layer, input, line, at, num, bool);
        if (typeof built === 'number') return built;
        op = built;
      }
    }
    checkLimit('signalMultiplyAdds', this.multiplyAdds, this.model.name);
    const index = this.push(op);
    this.applied.push({ layer, op: index });
    return index;
  }

  private activation(a: Activation, input: number, call: SyntaxNode, args: CallArgs, line: number, offset: number): number {
    if (a.kind === 'identity') return input;
    const kind = a.kind;
    const allowed = ACTIVATION_ARGS[kind];
    for (const key of args.keywords.keys()) if (!allowed.includes(key)) throw new Unsupported(call, `${kind} with ${key}= is not simulated`);
    if (args.positional.length - offset > allowed.length) throw new Unsupported(call, `${kind} with these arguments is not simulated`);
    const shape = this.shape(input);
    let dim: number | undefined;
    if (kind === 'softmax' || kind === 'log_softmax') {
      const node = args.keywords.get('dim') ?? args.positional[offset];
      // F.softmax without dim: PyTorch's legacy choice (_get_softmax_dim), deprecated.
      if (!node) throw new Unsupported(call, `${kind} without dim= is not simulated`);
      const d = evaluate(node, this.ctx.text, this.scope);
      if (typeof d !== 'number' || !Number.isInteger(d) || d < -shape.length || d >= shape.length) throw new Unsupported(call, `${kind}: dim is not known`);
      dim = d < 0 ? shape.length + d : d;
    }
    if (kind === 'prelu') {
      const nodeN = args.keywords.get('num_parameters') ?? args.positional[offset];
      if (nodeN && evaluate(nodeN, this.ctx.text, this.scope) !== 1) throw new Unsupported(call, 'PReLU with one weight per channel is not simulated');
    }
    if ((kind === 'leaky_relu' || kind === 'prelu') && a.slope === undefined) throw new Unsupported(call, `${kind}: the slope is not known`);
    const activation: SimActivation = { kind, ...(a.slope !== undefined && (kind === 'leaky_relu' || kind === 'prelu') ? { slope: a.slope } : {}), ...(dim !== undefined ? { dim } : {}) };
    return this.push({ kind: 'activation', activation, input, shape, line });
  }

  private neutral(kind: string, input: number, read: (name: string, position: number) => SyntaxNode | undefined, env: Map<string, Val>, at: SyntaxNode, line: number, dims: 1 | 2 | undefined, flattenStart?: number): number {
    const x = this.shape(input);
    if (kind === 'dropout') return this.push({ kind: 'dropout', input, shape: x, line });
    if (kind === 'flatten') return this.flatten(input, this.int(read('start_dim', 0), env, flattenStart ?? 0), this.int(read('end_dim', 1), env, -1), line, at);
    if (!dims) throw new Unsupported(at, 'a pooling of unknown rank');
    if (x.length !== dims + 2) throw new ShapeMismatch(`a ${dims}-d pooling gets ${x.join('×')}`, line);
    const tuple = (node: SyntaxNode | undefined, fallback: readonly number[] | undefined): number[] => {
      if (!node) {
        if (!fallback) throw new Unsupported(at, 'a pooling without its size');
        return [...fallback];
      }
      const n = unwrap(node);
      if (n.name === 'None') {
        if (!fallback) throw new Unsupported(at, 'a pooling without its size');
        return [...fallback];
      }
      const elements = sequenceElements(n);
      if (elements && elements.length === dims) return elements.map((e) => this.int(e, env));
      const v = this.int(n, env);
      return Array<number>(dims).fill(v);
    };
    if (kind === 'adaptivemax' || kind === 'adaptiveavg') {
      const out = tuple(read('output_size', 0), undefined);
      if (read('return_indices', 1)) throw new Unsupported(at, 'return_indices is not simulated');
      // Equal windows only: other sizes have windows of varying size (adaptive pooling's start/end rule).
      if (out.some((o, i) => o < 1 || x[2 + i] % o !== 0)) throw new Unsupported(at, `adaptive pooling from ${x.slice(2).join('×')} to ${out.join('×')} (windows of unequal size) is not simulated yet`);
      return this.push({ kind: 'adaptivePool', mode: kind === 'adaptivemax' ? 'max' : 'avg', input, shape: [x[0], x[1], ...out], line });
    }
    const kernel = tuple(read('kernel_size', 0), undefined);
    const stride = tuple(read('stride', 1), kernel);
    const padding = tuple(read('padding', 2), Array<number>(dims).fill(0));
    if (kind === 'maxpool') {
      const dilation = read('dilation', 3);
      if (dilation && this.int(dilation, env) !== 1) throw new Unsupported(at, 'dilated max pooling is not simulated');
      if (read('return_indices', 4)) throw new Unsupported(at, 'return_indices is not simulated');
      const ceil = read('ceil_mode', 5);
      if (ceil && this.ctx.slice(ceil) !== 'False') throw new Unsupported(at, 'ceil_mode is not simulated');
    } else {
      const ceil = read('ceil_mode', 3);
      if (ceil && this.ctx.slice(ceil) !== 'False') throw new Unsupported(at, 'ceil_mode is not simulated');
      const include = read('count_include_pad', 4);
      if (include && this.ctx.slice(include) !== 'True') throw new Unsupported(at, 'count_include_pad=False is not simulated');
      if (read('divisor_override', 5)) throw new Unsupported(at, 'divisor_override is not simulated');
    }
    if (padding.some((p, i) => p > kernel[i] / 2)) throw new ShapeMismatch('pad should be at most half of kernel size', line);
    const spatial = x.slice(2).map((s, i) => Math.floor((s + 2 * padding[i] - kernel[i]) / stride[i]) + 1);
    if (spatial.some((s) => s < 1)) throw new ShapeMismatch(`a pooling of ${kernel.join('×')} gets ${x.join('×')}`, line);
    return this.push({ kind: 'pool', mode: kind === 'maxpool' ? 'max' : 'avg', input, kernel, stride, padding, shape: [x[0], x[1], ...spatial], line });
  }

  private flatten(input: number, start: number, end: number, line: number, at: SyntaxNode): number {
    const x = this.shape(input);
    const s = start < 0 ? x.length + start : start;
    const e = end < 0 ? x.length + end : end;
    if (s < 0 || e >= x.length || s > e) throw new Unsupported(at, 'flatten dims out of range');
    const shape = [...x.slice(0, s), numel(x.slice(s, e + 1)), ...x.slice(e + 1)];
    return this.push({ kind: 'reshape', input, shape, line });
  }

  private reshape(input: number, dims: number[], line: number, at: SyntaxNode): number {
    const x = this.shape(input);
    const total = numel(x);
    const free = dims.filter((d) => d === -1).length;
    if (free > 1 || dims.some((d) => d < -1)) throw new Unsupported(at, 'a view with these sizes is not simulated');
    const known = numel(dims.filter((d) => d !== -1));
    if (free === 1 ? known === 0 || total % known !== 0 : known !== total) throw new ShapeMismatch(`view of ${x.join('×')} as ${dims.join('×')}`, line);
    const shape = dims.map((d) => (d === -1 ? total / known : d));
    return this.push({ kind: 'reshape', input, shape, line });
  }

  // ---- recurrent layers and what their results are read with ----

  /**
   * `self.lstm(x)`: nn.RNN / LSTM / GRU as torch.nn.modules.rnn runs it, h0
   * (and c0) zero. Its value is the tuple PyTorch returns, `(output, h_n)` or
   * `(output, (h_n, c_n))`, each element an op.
   */
  private recurrent(layer: Layer, args: CallArgs, env: Map<string, Val>, line: number, at: SyntaxNode): Val {
    if (args.positional.length > 1 || args.keywords.size > 0) throw new Unsupported(at, `${layer.name}: an initial state is given (only h0 = 0 is simulated)`);
    if (args.positional.length !== 1) throw new Unsupported(at, 'a module called with other than one tensor');
    const input = this.tensor(args.positional[0], env);
    if (layer.problems) throw new Unsupported(at, layer.problems[0].message);
    if (this.applied.some((a) => a.layer === layer)) throw new Unsupported(at, `${layer.name} is applied twice (shared weights are not simulated yet)`);
    const value = (k: string) => layer.args.get(k) ?? layer.spec.defaults[k];
    const int = (k: string) => {
      const v = value(k);
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new Unsupported(at, `${layer.name}: ${k} is not a known size`);
      return v;
    };
    const flag = (k: string) => {
      const v = value(k);
      if (typeof v !== 'boolean') throw new Unsupported(at, `${layer.name}: ${k} is not a known boolean`);
      return v;
    };
    const inputSize = int('input_size');
    const hidden = int('hidden_size');
    const layers = int('num_layers');
    const bias = flag('bias');
    const batchFirst = flag('batch_first');
    const bidirectional = flag('bidirectional');
    if (typeof value('dropout') !== 'number') throw new Unsupported(at, `${layer.name}: dropout is not a known number`);
    if (layer.type === 'LSTM' && int('proj_size') !== 0) throw new Unsupported(at, `${layer.name}: LSTM projections (proj_size) are not simulated`);
    let cell: RecurrentCell;
    if (layer.type === 'LSTM') cell = 'lstm';
    else if (layer.type === 'GRU') cell = 'gru';
    else {
      const nonlinearity = value('nonlinearity');
      if (nonlinearity !== 'tanh' && nonlinearity !== 'relu') throw new Unsupported(at, `${layer.name}: nonlinearity ${JSON.stringify(nonlinearity)} is not tanh or relu`);
      cell = nonlinearity === 'tanh' ? 'rnn_tanh' : 'rnn_relu';
    }
    const directions = bidirectional ? 2 : 1;
    const gates = cell === 'lstm' ? 4 : cell === 'gru' ? 3 : 1;
    // Every tensor the engine reads, as the catalog lists them (a stack deeper than the listing limit is not).
    const names = new Set(layer.params.map((p) => p.name));
    for (let l = 0; l < layers; l++) {
      for (let d = 0; d < directions; d++) {
        const suffix = `_l${l}${d === 1 ? '_reverse' : ''}`;
        for (const p of ['weight_ih', 'weight_hh', ...(bias ? ['bias_ih', 'bias_hh'] : [])]) {
          if (!names.has(`${p}${suffix}`)) throw new Unsupported(at, `${layer.name}: ${p}${suffix} is not listed`);
        }
      }
    }
    if (layer.params.some((p) => p.shape.some((d) => typeof d !== 'number'))) throw new Unsupported(at, `${layer.name}: a size is not known`);
    const x = this.shape(input);
    if (x.length === 2 && x[1] === inputSize) throw new Unsupported(at, `${layer.name}: an unbatched sequence (a 2-d input) is not simulated`);
    if (x.length !== 3 || x[2] !== inputSize) throw new ShapeMismatch(`${layer.name} (${layer.type}) expects (${batchFirst ? 'N, L' : 'L, N'}, ${inputSize}), gets ${x.join('×')}`, line);
    const [steps, batch] = batchFirst ? [x[1], x[0]] : [x[0], x[1]];
    // Each cell step is a handful of ops of its own: the unrolled steps are bounded apart from their sizes.
    checkLimit('signalTimeSteps', steps * layers * directions, `${this.model.name}: ${layer.name}`);
    for (let l = 0; l < layers; l++) this.multiplyAdds += directions * steps * batch * gates * hidden * ((l === 0 ? inputSize : directions * hidden) + hidden);
    checkLimit('signalMultiplyAdds', this.multiplyAdds, this.model.name);
    // What the backward pass keeps per step and direction: the input and recurrent projections and the gates before and
    // after their nonlinearity (gates·hidden each), and the states (4·hidden), per batch element; and that step's
    // gradient of W_hh (gates·hidden × hidden), which TensorFlow.js's tape keeps until the backward pass ends.
    this.values += layers * directions * steps * hidden * (batch * (4 * gates + 4) + gates * hidden);
    checkLimit('signalValues', this.values, this.model.name);
    const width = directions * hidden;
    const out = this.push({ kind: 'rnn', layer: layer.name, input, cell, hidden, layers, bidirectional, batchFirst, bias, shape: batchFirst ? [batch, steps, width] : [steps, batch, width], line });
    this.applied.push({ layer, op: out });
    const stateShape = [layers * directions, batch, hidden];
    const h = this.push({ kind: 'rnnState', input: out, state: 'h', shape: stateShape, line });
    if (cell !== 'lstm') return { tuple: [{ op: out }, { op: h }] };
    const c = this.push({ kind: 'rnnState', input: out, state: 'c', shape: stateShape, line });
    return { tuple: [{ op: out }, { tuple: [{ op: h }, { op: c }] }] };
  }

  /** A tuple written out (`*x.shape, self.heads`): each part's value, a starred one's elements in its place (a shape's sizes, or a tuple's). */
  private tupleOf(parts: readonly SyntaxNode[], env: Map<string, Val>): Val {
    const out: Val[] = [];
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i];
      if (p.name !== '*') {
        out.push(this.expr(p, env));
        continue;
      }
      const starred = parts[++i];
      if (!starred) throw new Unsupported(p, 'a `*` without its value');
      const sizes = this.sizes(starred, env);
      if (sizes) out.push(...sizes.map((d) => ({ int: d })));
      else {
        const v = this.expr(starred, env);
        if (!('tuple' in v)) throw new Unsupported(starred, `*${this.ctx.slice(starred)}: not a tuple or a shape`);
        out.push(...v.tuple);
      }
    }
    return { tuple: out };
  }

  /** `a, (b, c) = value`: names bound to the elements of a tuple, as Python unpacks it. */
  private unpack(target: SyntaxNode | readonly SyntaxNode[], v: Val, env: Map<string, Val>, stmt: SyntaxNode): void {
    const elements = Array.isArray(target) ? (target as readonly SyntaxNode[]) : sequenceElements(target as SyntaxNode);
    if (!elements) {
      const node = unwrap(target as SyntaxNode);
      if (node.name !== 'VariableName') throw new Unsupported(stmt, 'only names are simulated as assignment targets');
      env.set(this.ctx.slice(node), v);
      return;
    }
    if (!('tuple' in v)) throw new Unsupported(stmt, 'unpacking a value that is not a tuple is not simulated');
    if (elements.some((e) => e.name === 'ListSplatExpression' || this.ctx.slice(e).startsWith('*'))) throw new Unsupported(stmt, 'starred unpacking is not simulated');
    if (elements.length !== v.tuple.length) throw new ShapeMismatch(`unpacking ${v.tuple.length} values into ${elements.length} names`, this.lineOf(stmt));
    elements.forEach((e, i) => this.unpack(unwrap(e), v.tuple[i], env, stmt));
  }

  /** `v[...]`: an element of a tuple (`self.lstm(x)[0]`), or integer indexes and plain slices of a tensor's leading axes. */
  private subscript(n: SyntaxNode, object: SyntaxNode, env: Map<string, Val>): Val {
    const v = this.expr(object, env);
    // The subscript's parts, split at the commas: an index is one expression, a slice has colons.
    const parts: SyntaxNode[][] = [[]];
    let open = false;
    for (let c = n.firstChild; c; c = c.nextSibling) {
      if (c.name === '[') open = true;
      else if (c.name === ']') open = false;
      else if (!open) continue;
      else if (c.name === ',') parts.push([]);
      else parts[parts.length - 1].push(c);
    }
    if (parts[parts.length - 1].length === 0 && parts.length > 1) parts.pop();
    if ('tuple' in v) {
      const [part] = parts;
      if (parts.length !== 1 || part.length !== 1) throw new Unsupported(n, 'a tuple indexed with other than one integer');
      const i = this.int(part[0], env);
      const k = i < 0 ? v.tuple.length + i : i;
      if (k < 0 || k >= v.tuple.length) throw new ShapeMismatch(`tuple index ${i} out of range`, this.lineOf(n));
      return v.tuple[k];
    }
    if (!('op' in v)) throw new Unsupported(n, 'a subscript of other than a tensor or a tuple');
    const x = this.shape(v.op);
    if (parts.length > x.length) throw new ShapeMismatch(`too many indices (${parts.length}) for a tensor of ${x.length} dimensions`, this.lineOf(n));
    const begin = x.map(() => 0);
    const size = [...x];
    const squeeze: number[] = [];
    parts.forEach((part, axis) => {
      if (part.length === 0) throw new Unsupported(n, 'an empty subscript');
      const colons = part.filter((c) => c.name === ':').length;
      const dim = x[axis];
      if (colons === 0) {
        if (part.length !== 1) throw new Unsupported(n, 'this subscript is not simulated');
        const i = this.int(part[0], env);
        const k = i < 0 ? dim + i : i;
        if (k < 0 || k >= dim) throw new ShapeMismatch(`index ${i} is out of bounds for dimension ${axis} with size ${dim}`, this.lineOf(n));
        begin[axis] = k;
        size[axis] = 1;
        squeeze.push(axis);
        return;
      }
      // start:stop[:step], as Python clamps them; only a step of 1.
      const bounds: (SyntaxNode | undefined)[] = [undefined];
      for (const c of part) {
        if (c.name === ':') bounds.push(undefined);
        else if (bounds[bounds.length - 1] !== undefined) throw new Unsupported(n, 'this slice is not simulated');
        else bounds[bounds.length - 1] = c;
      }
      const [startNode, stopNode, stepNode] = bounds;
      if (stepNode && this.int(stepNode, env) !== 1) throw new Unsupported(n, 'a slice with a step is not simulated');
      const clamp = (node: SyntaxNode | undefined, fallback: number) => {
        if (!node || unwrap(node).name === 'None') return fallback;
        const i = this.int(node, env);
        return Math.min(dim, Math.max(0, i < 0 ? dim + i : i));
      };
      const start = clamp(startNode, 0);
      const stop = clamp(stopNode, dim);
      if (stop <= start) throw new Unsupported(n, 'an empty slice is not simulated');
      begin[axis] = start;
      size[axis] = stop - start;
    });
    const shape = size.filter((_, axis) => !squeeze.includes(axis));
    return { op: this.push({ kind: 'select', input: v.op, begin, size, squeeze, shape, line: this.lineOf(n) }) };
  }

  /** `x.squeeze()` / `x.squeeze(d)`: the axes of size 1 (that one only) removed, as a reshape. */
  private squeeze(input: number, args: CallArgs, env: Map<string, Val>, line: number, at: SyntaxNode): number {
    const x = this.shape(input);
    const node = args.keywords.get('dim') ?? args.positional[0];
    if (args.positional.length > 1 || [...args.keywords.keys()].some((k) => k !== 'dim')) throw new Unsupported(at, 'squeeze with these arguments is not simulated');
    let shape: number[];
    if (!node) shape = x.filter((d) => d !== 1);
    else {
      const i = this.int(node, env);
      const k = i < 0 ? x.length + i : i;
      if (k < 0 || k >= x.length) throw new ShapeMismatch(`squeeze(${i}) of a tensor of ${x.length} dimensions`, line);
      shape = x[k] === 1 ? x.filter((_, a) => a !== k) : [...x];
    }
    return this.push({ kind: 'reshape', input, shape, line });
  }

  private add(a: Val, b: Val, at: SyntaxNode): Val {
    if (!('op' in a) || !('op' in b)) throw new Unsupported(at, 'adding a number to a tensor is not simulated');
    const sa = this.shape(a.op);
    const sb = this.shape(b.op);
    // Broadcast as PyTorch does (a position embedding of (T, C) added to (B, T, C)).
    const shape = broadcastShapes(sa, sb);
    if (!shape) throw new ShapeMismatch(`adding ${sa.join('×')} and ${sb.join('×')}`, this.lineOf(at));
    return { op: this.push({ kind: 'add', inputs: [a.op, b.op], shape, line: this.lineOf(at) }) };
  }

  // ---- ops of issue 13 beyond Linear/Conv1d/Conv2d (the ops branch): layers, tensor algebra, attention ----

  /** A layer of {@link OPS_LAYER_TYPES}: the op to push, or (attention) the index of the last op it pushed itself. */
  private opsLayer(layer: Layer, input: number, line: number, at: SyntaxNode, num: (k: string, fallback: number) => number, bool: (k: string, fallback: boolean) => boolean): SignalOp | number {
    const x = this.shape(input);
    const weight = layer.params.find((p) => p.name === 'weight');
    const hasBias = layer.params.some((p) => p.name === 'bias');
    switch (layer.type) {
      case 'ConvTranspose1d':
      case 'ConvTranspose2d':
      case 'ConvTranspose3d': {
        const dims = Number(layer.type.slice(-2, -1)) as 1 | 2 | 3;
        const w = weight?.shape as number[];
        const groups = num('groups', 1);
        if (!Number.isInteger(groups) || groups < 1) throw new Unsupported(at, `${layer.name}: groups=${groups} is not simulated`);
        if (w[0] % groups !== 0) throw new ShapeMismatch(`${layer.name} (${layer.type}): ${w[0]} input channels in ${groups} groups`, line);
        const mode = layer.args.get('padding_mode');
        if (mode !== undefined && mode !== 'zeros') throw new Unsupported(at, `${layer.name}: padding_mode=${String(mode)} is not simulated`);
        const kernel = w.slice(2);
        const stride = tupleArg(layer, 'stride', dims, 1, at);
        const padding = tupleArg(layer, 'padding', dims, 0, at);
        const outputPadding = tupleArg(layer, 'output_padding', dims, 0, at);
        const dilation = tupleArg(layer, 'dilation', dims, 1, at);
        if (x.length !== dims + 2 || x[1] !== w[0]) throw new ShapeMismatch(`${layer.name} (${layer.type}) expects ${w[0]} input channels and ${dims} spatial axes, gets ${x.join('×')}`, line);
        // ConvTransposeNd._output_padding: "output padding must be smaller than either stride or dilation".
        if (outputPadding.some((p, i) => p >= stride[i] && p >= dilation[i])) throw new ShapeMismatch(`${layer.name}: output_padding ${outputPadding.join('×')} is not smaller than the stride or the dilation`, line);
        const spatial = x.slice(2).map((s, i) => (s - 1) * stride[i] - 2 * padding[i] + dilation[i] * (kernel[i] - 1) + outputPadding[i] + 1);
        if (spatial.some((s) => s < 1)) throw new ShapeMismatch(`${layer.name} (${layer.type}): an output of ${spatial.join('×')}`, line);
        this.multiplyAdds += numel(x) * w[1] * numel(kernel);
        return { kind: 'convTranspose', layer: layer.name, input, dims, kernel, stride, padding, outputPadding, dilation, bias: hasBias, shape: [x[0], w[1] * groups, ...spatial], line, ...(groups !== 1 ? { groups } : {}) };
      }
      case 'Embedding': {
        const [vocab, dim] = weight?.shape as number[];
        for (const k of ['padding_idx', 'max_norm']) {
          const v = layer.args.get(k);
          if (v !== undefined && v !== null) throw new Unsupported(at, `${layer.name}: an Embedding with ${k}= is not simulated (its gradient skips that row / renormalizes)`);
        }
        if (layer.args.get('scale_grad_by_freq') === true || layer.args.get('sparse') === true) throw new Unsupported(at, `${layer.name}: scale_grad_by_freq / sparse are not simulated`);
        const read = this.ops[input];
        // `torch.arange(0, t).unsqueeze(0)` (minGPT): the arange's indices, reshaped.
        const source = read.kind === 'reshape' && this.ops[read.input].kind === 'arange' ? this.ops[read.input] : read;
        if (source.kind === 'input') {
          // The model's input holds token indices: torch.randint(0, vocab, shape) (the smallest vocabulary of the embeddings reading it).
          if (vocab > 2 ** 24) throw new Unsupported(at, `${layer.name}: a vocabulary above 2^24 (token indices carried as float32)`);
          this.ops[input] = { ...source, tokens: Math.min(source.tokens ?? vocab, vocab) };
        } else if (source.kind === 'arange') {
          if (source.shape[0] > vocab) throw new ShapeMismatch(`${layer.name} (Embedding of ${vocab}): index ${source.shape[0] - 1} out of range`, line);
        } else throw new Unsupported(at, `${layer.name}: an Embedding of a computed tensor (only of the model's input or torch.arange) is not simulated`);
        this.multiplyAdds += numel(x) * dim;
        return { kind: 'embedding', layer: layer.name, input, shape: [...x, dim], line };
      }
      case 'GroupNorm': {
        const groups = num('num_groups', NaN);
        const c = num('num_channels', NaN);
        if (x.length < 2 || x[1] !== c) throw new ShapeMismatch(`${layer.name} (GroupNorm) expects ${c} channels, gets ${x.join('×')}`, line);
        return { kind: 'groupnorm', layer: layer.name, input, groups, eps: num('eps', 1e-5), affine: bool('affine', true), shape: x, line };
      }
      case 'InstanceNorm1d':
      case 'InstanceNorm2d':
      case 'InstanceNorm3d': {
        // Training mode: per-instance statistics whether or not running statistics are tracked (_InstanceNorm.forward).
        const c = num('num_features', NaN);
        const dims = Number(layer.type.slice(-2, -1));
        if (x.length !== dims + 2 || x[1] !== c) throw new ShapeMismatch(`${layer.name} (${layer.type}) expects (N, ${c}, …) with ${dims} spatial axes, gets ${x.join('×')}`, line);
        return { kind: 'groupnorm', layer: layer.name, input, groups: c, eps: num('eps', 1e-5), affine: bool('affine', false), shape: x, line };
      }
      case 'MultiheadAttention':
        throw new Unsupported(at, `${layer.name}: MultiheadAttention is simulated when called as self.${layer.name}(x, x, x)`);
      case 'TransformerEncoderLayer':
        return this.encoderLayer(layer, input, line, at, num, bool);
      case 'TransformerEncoder':
        return this.encoderStack(layer, input, line, at, num, bool);
      default:
        throw new Unsupported(at, `${layer.type} is not simulated yet`);
    }
  }

  /** Pushes `op` for a row of a composite layer (`enc.linear1`) and records the row. */
  private subRow(layer: Layer, op: SignalOp, row: SubRow): number {
    const index = this.push(op);
    this.applied.push({ layer, op: index, row });
    return index;
  }

  /**
   * `nn.TransformerEncoderLayer` in training mode (its slow path, torch/nn/modules/transformer.py):
   * norm_first: x + sa(norm1(x)), then x + ff(norm2(x)); else norm1(x + sa(x)), then norm2(x + ff(x));
   * ff(x) = linear2(activation(linear1(x))), every dropout off. Rows: self_attn, linear1, linear2, norm1, norm2 in call order.
   * `base`: the prefix of its parameters within `layer` (`layers.2.` of an nn.TransformerEncoder).
   */
  private encoderLayer(layer: Layer, input: number, line: number, at: SyntaxNode, num: (k: string, fallback: number) => number, bool: (k: string, fallback: boolean) => boolean, base = ''): number {
    const e = num('d_model', NaN);
    const heads = num('nhead', NaN);
    const ff = num('dim_feedforward', 2048);
    const eps = num('layer_norm_eps', 1e-5);
    const batchFirst = bool('batch_first', false);
    const normFirst = bool('norm_first', false);
    const act = layer.args.get('activation') ?? 'relu';
    if (act !== 'relu' && act !== 'gelu') throw new Unsupported(at, `${layer.name}: activation=${typeof act === 'string' ? act : 'a callable'} is not simulated (relu and gelu are)`);
    if (layer.params.some((p) => p.name.startsWith('self_attn.') && p.name.includes('_proj_weight') && !p.name.startsWith('self_attn.in_proj'))) throw new Unsupported(at, `${layer.name}: separate q/k/v projections are not simulated`);
    const x = this.shape(input);
    if (x.length !== 3 || x[2] !== e) throw new ShapeMismatch(`${layer.name} (TransformerEncoderLayer) expects ${batchFirst ? '(N, S, E)' : '(S, N, E)'} with E = ${e}, gets ${x.join('×')}`, line);
    const rowOf = (sub: string, type: string) => ({ name: stateDictKey(layer.name, `${base}${sub}`), type, prefix: `${base}${sub}.` });
    const norm = (v: number, sub: 'norm1' | 'norm2') => this.subRow(layer, { kind: 'layernorm', layer: layer.name, prefix: `${base}${sub}.`, input: v, normalized: 1, eps, affine: true, shape: this.shape(v), line }, rowOf(sub, 'LayerNorm'));
    const sa = (v: number) => this.attention(layer, `${base}self_attn.`, v, e, heads, true, batchFirst, line, rowOf('self_attn', 'MultiheadAttention'));
    const feedForward = (v: number) => {
      const s = this.shape(v);
      this.multiplyAdds += (numel(s) / e) * e * ff * 2;
      const h = this.subRow(layer, { kind: 'linear', layer: layer.name, prefix: `${base}linear1.`, input: v, bias: true, shape: [...s.slice(0, -1), ff], line }, rowOf('linear1', 'Linear'));
      const a = this.push({ kind: 'activation', activation: { kind: act }, input: h, shape: this.shape(h), line });
      return this.subRow(layer, { kind: 'linear', layer: layer.name, prefix: `${base}linear2.`, input: a, bias: true, shape: s, line }, rowOf('linear2', 'Linear'));
    };
    const plus = (a: number, b: number) => this.push({ kind: 'add', inputs: [a, b], shape: this.shape(a), line });
    let v = input;
    if (normFirst) {
      v = plus(v, sa(norm(v, 'norm1')));
      v = plus(v, feedForward(norm(v, 'norm2')));
    } else {
      v = norm(plus(v, sa(v)), 'norm1');
      v = norm(plus(v, feedForward(v)), 'norm2');
    }
    checkLimit('signalMultiplyAdds', this.multiplyAdds, this.model.name);
    return v;
  }

  /**
   * `nn.TransformerEncoder` in training mode (no mask): each of its `num_layers` copies in turn (`layers.<i>.`, the
   * per-layer loop of its forward), then its `norm` when it has one (a LayerNorm, row `<name>.norm`).
   */
  private encoderStack(layer: Layer, input: number, line: number, at: SyntaxNode, num: (k: string, fallback: number) => number, bool: (k: string, fallback: boolean) => boolean): number {
    const n = num('num_layers', NaN);
    // forward reads self.layers[0] first.
    if (n === 0) throw new Unsupported(at, `${layer.name}: num_layers=0 (PyTorch's forward raises IndexError on self.layers[0])`);
    let v = input;
    for (let i = 0; i < n; i++) v = this.encoderLayer(layer, v, line, at, num, bool, `layers.${i}.`);
    if (layer.args.get('norm') !== 'LayerNorm') return v;
    const shape = layer.args.get('norm.normalized_shape');
    const dims = typeof shape === 'number' ? [shape] : Array.isArray(shape) && shape.every((d) => typeof d === 'number') ? (shape as number[]) : undefined;
    const x = this.shape(v);
    if (!dims || dims.some((d, i) => x[x.length - dims.length + i] !== d)) throw new ShapeMismatch(`${stateDictKey(layer.name, 'norm')} (LayerNorm) normalizes ${dims?.join('×') ?? '?'}, gets ${x.join('×')}`, line);
    const affine = layer.args.get('norm.elementwise_affine') !== false;
    const eps = layer.args.get('norm.eps');
    const op: SignalOp = { kind: 'layernorm', layer: layer.name, prefix: 'norm.', input: v, normalized: dims.length, eps: typeof eps === 'number' ? eps : 1e-5, affine, shape: x, line };
    return this.subRow(layer, op, { name: stateDictKey(layer.name, 'norm'), type: 'LayerNorm', prefix: 'norm.' });
  }

  /** `self.attn(q, k, v, …)` of an `nn.MultiheadAttention`: self-attention only; (output, weights) with the weights not computed. */
  private attentionCall(layer: Layer, args: CallArgs, env: Map<string, Val>, call: SyntaxNode, line: number): Val {
    const read = (name: string, position: number) => args.keywords.get(name) ?? args.positional[position];
    const [q, k, v] = [read('query', 0), read('key', 1), read('value', 2)];
    if (!q || !k || !v) throw new Unsupported(call, 'MultiheadAttention without query, key and value');
    const allowed = new Set(['query', 'key', 'value', 'need_weights', 'average_attn_weights', 'key_padding_mask', 'attn_mask']);
    for (const key of args.keywords.keys()) if (!allowed.has(key)) throw new Unsupported(call, `MultiheadAttention with ${key}= is not simulated`);
    if (args.positional.length > 3) throw new Unsupported(call, 'MultiheadAttention with these arguments is not simulated');
    for (const mask of ['key_padding_mask', 'attn_mask']) {
      const m = args.keywords.get(mask);
      if (m && unwrap(m).name !== 'None') throw new Unsupported(call, `MultiheadAttention with ${mask}= is not simulated yet`);
    }
    const [tq, tk, tv] = [q, k, v].map((node) => this.tensor(node, env));
    if (tq !== tk || tk !== tv) throw new Unsupported(call, 'MultiheadAttention of different query, key and value (cross-attention) is not simulated yet');
    if (this.applied.some((a) => a.layer === layer)) throw new Unsupported(call, `${layer.name} is applied twice (shared weights are not simulated yet)`);
    if (layer.problems) throw new Unsupported(call, layer.problems[0].message);
    const num = (key: string) => layer.args.get(key);
    const e = num('embed_dim');
    const heads = num('num_heads');
    if (typeof e !== 'number' || typeof heads !== 'number') throw new Unsupported(call, `${layer.name}: embed_dim / num_heads are not known numbers`);
    if (num('add_bias_kv') === true || num('add_zero_attn') === true) throw new Unsupported(call, `${layer.name}: add_bias_kv / add_zero_attn are not simulated`);
    if (!layer.params.some((p) => p.name === 'in_proj_weight')) throw new Unsupported(call, `${layer.name}: separate q/k/v projections (kdim, vdim) are not simulated`);
    const x = this.shape(tq);
    const batchFirst = num('batch_first') === true;
    if (x.length !== 3 || x[2] !== e) throw new ShapeMismatch(`${layer.name} (MultiheadAttention) expects ${batchFirst ? '(N, L, E)' : '(L, N, E)'} with E = ${e}, gets ${x.join('×')}`, line);
    const out = this.attention(layer, '', tq, e, heads, num('bias') !== false, batchFirst, line, { name: layer.name, type: layer.type, prefix: '' });
    checkLimit('signalMultiplyAdds', this.multiplyAdds, this.model.name);
    return { tuple: [{ op: out }, { missing: `${layer.name}'s attention weights are not simulated` }] };
  }

  /**
   * Self-attention as torch.nn.functional.multi_head_attention_forward computes it (1.13): the packed in-projection
   * (one Linear to 3E, split in q, k, v), heads folded into the batch ((L, N·H, d) → (N·H, L, d)), q / √d,
   * softmax(q kᵀ) v, heads unfolded, out_proj. `prefix` of the parameters within `layer` (`self_attn.` in an encoder layer).
   */
  private attention(layer: Layer, prefix: string, input: number, e: number, heads: number, bias: boolean, batchFirst: boolean, line: number, row: SubRow): number {
    let x = input;
    if (batchFirst) x = this.permute(x, [1, 0, 2], line);
    const [l, n] = this.shape(x);
    const d = e / heads;
    if (!Number.isInteger(d)) throw new ShapeMismatch(`${layer.name}: embed_dim ${e} is not divisible by num_heads ${heads}`, line);
    this.multiplyAdds += l * n * e * 3 * e + 2 * n * heads * l * l * d + l * n * e * e;
    const proj = this.push({ kind: 'linear', layer: layer.name, prefix: `${prefix}in_proj_`, input: x, bias, shape: [l, n, 3 * e], line });
    const head = (i: number) => {
      const part = this.push({ kind: 'slice', input: proj, axis: 2, start: i * e, size: e, shape: [l, n, e], line });
      return this.permute(this.push({ kind: 'reshape', input: part, shape: [l, n * heads, d], line }), [1, 0, 2], line);
    };
    const q = this.push({ kind: 'scale', input: head(0), factor: Math.sqrt(d), divide: true, shape: [n * heads, l, d], line });
    const k = head(1);
    const v = head(2);
    const scores = this.push({ kind: 'matmul', inputs: [q, this.permute(k, [0, 2, 1], line)], shape: [n * heads, l, l], line });
    const weights = this.push({ kind: 'activation', activation: { kind: 'softmax', dim: 2 }, input: scores, shape: [n * heads, l, l], line });
    const mixed = this.push({ kind: 'matmul', inputs: [weights, v], shape: [n * heads, l, d], line });
    const flat = this.push({ kind: 'reshape', input: this.permute(mixed, [1, 0, 2], line), shape: [l * n, e], line });
    const projected = this.push({ kind: 'linear', layer: layer.name, prefix: `${prefix}out_proj.`, input: flat, bias, shape: [l * n, e], line });
    // The row's op: the attention output in the caller's layout, (L, N, E) or (N, L, E).
    const rowOf = { ...row, weight: stateDictKey(layer.name, `${prefix}in_proj_weight`) };
    if (!batchFirst) return this.subRow(layer, { kind: 'reshape', input: projected, shape: [l, n, e], line }, rowOf);
    const unbatched = this.push({ kind: 'reshape', input: projected, shape: [l, n, e], line });
    return this.subRow(layer, { kind: 'transpose', input: unbatched, perm: [1, 0, 2], shape: [n, l, e], line }, rowOf);
  }

  /**
   * einops' `fn` on `input` (core/signal/einops.ts): the pattern (and, for
   * `reduce`, the reduction) at positional `offset`, the sizes as keywords.
   */
  private einops(fn: EinopsFunction, input: number, args: CallArgs, offset: number, at: SyntaxNode, line: number, env: Map<string, Val> = new Map()): number {
    const read = (name: string, position: number) => args.keywords.get(name) ?? args.positional[offset + position];
    const patternNode = read('pattern', 0);
    const pattern = patternNode ? stringValue(patternNode, this.ctx.text) : undefined;
    if (pattern === undefined) throw new Unsupported(at, `${fn}: its pattern is not a string written here`);
    const reductionNode = fn === 'reduce' ? read('reduction', 1) : undefined;
    const reduction = reductionNode ? stringValue(reductionNode, this.ctx.text) : undefined;
    if (args.hasStarred) throw new Unsupported(at, `${fn}: **sizes spread from a dict are not simulated`);
    const sizes = new Map<string, number>();
    for (const [k, node] of args.keywords) {
      if (k === 'pattern' || k === 'reduction' || k === 'tensor') continue;
      sizes.set(k, this.intOrInit(node, env));
    }
    const code = `${fn}('${quoted(pattern)}')`;
    if (input === 0 && fn === 'rearrange') this.einopsInput = { pattern, sizes, code };
    const plan = einopsPlan(fn, pattern, this.shape(input), sizes, reduction);
    if (typeof plan === 'string') throw new Unsupported(at, `${code}: ${plan}`);
    return this.steps(input, plan.steps, line);
  }

  /** Planned einops / einsum steps (core/signal/einops.ts) as ops on `input`. */
  private steps(input: number, steps: readonly EinopsStep[], line: number): number {
    let v = input;
    for (const step of steps) {
      if (step.kind === 'reshape') v = this.push({ kind: 'reshape', input: v, shape: step.shape, line });
      else if (step.kind === 'transpose') v = this.push({ kind: 'transpose', input: v, perm: step.perm, shape: step.shape, line });
      else if (step.kind === 'mean') v = this.push({ kind: 'mean', input: v, axes: step.axes, shape: step.shape, line });
      else v = this.push({ kind: 'broadcast', input: v, shape: step.shape, line });
    }
    return v;
  }

  /** `torch.einsum(equation, a, b)`: a batched matrix product between transposes and reshapes ({@link einsumPlan}). */
  private einsum(args: CallArgs, env: Map<string, Val>, call: SyntaxNode, line: number): number {
    const [eqNode, ...operands] = args.positional;
    const equation = eqNode ? stringValue(eqNode, this.ctx.text) : undefined;
    if (equation === undefined || args.keywords.size > 0) throw new Unsupported(call, 'einsum: its equation is not a string written here');
    const listed = operands.length === 1 ? sequenceElements(unwrap(operands[0])) : undefined;
    const tensors = (listed ?? operands).map((o) => this.tensor(o, env));
    if (tensors.length !== 2) throw new Unsupported(call, `einsum of ${tensors.length} operands is not simulated (two are)`);
    const plan = einsumPlan(equation, this.shape(tensors[0]), this.shape(tensors[1]));
    if (typeof plan === 'string') throw new Unsupported(call, `einsum('${quoted(equation)}'): ${plan}`);
    const a = this.steps(tensors[0], plan.a, line);
    const b = this.steps(tensors[1], plan.b, line);
    return this.steps(this.matmul(a, b, line), plan.after, line);
  }

  private permute(input: number, perm: readonly number[], line: number): number {
    const x = this.shape(input);
    return this.push({ kind: 'transpose', input, perm, shape: perm.map((p) => x[p]), line });
  }

  /** `a @ b`, `tensor * number`, `tensor / number`, and arithmetic of numbers that are not all integers (`1.0 / math.sqrt(d)`, `d ** -0.5`). */
  private binaryOps(a: Val, o: string, b: Val, at: SyntaxNode): Val | undefined {
    const line = this.lineOf(at);
    const sa = scalarOf(a);
    const sb = scalarOf(b);
    if (sa !== undefined && sb !== undefined) {
      const r = o === '+' ? sa + sb : o === '-' ? sa - sb : o === '*' ? sa * sb : o === '/' && sb !== 0 ? sa / sb : o === '**' ? sa ** sb : undefined;
      if (r === undefined || !Number.isFinite(r)) return undefined;
      return Number.isInteger(r) && 'int' in a && 'int' in b && o !== '/' ? { int: r } : { num: r };
    }
    if ('op' in a && 'op' in b && o === '@') return { op: this.matmul(a.op, b.op, line) };
    if ('op' in a && sb !== undefined && (o === '*' || o === '/')) return { op: this.push({ kind: 'scale', input: a.op, factor: sb, divide: o === '/', shape: this.shape(a.op), line }) };
    if ('op' in b && sa !== undefined && o === '*') return { op: this.push({ kind: 'scale', input: b.op, factor: sa, divide: false, shape: this.shape(b.op), line }) };
    return this.elementwise(a, o, b, at);
  }

  private matmul(a: number, b: number, line: number): number {
    const sa = this.shape(a);
    const sb = this.shape(b);
    if (sa.length < 2 || sb.length < 2) throw new ShapeMismatch(`matmul of ${sa.join('×')} and ${sb.join('×')} (vectors are not simulated)`, line);
    if (sa[sa.length - 1] !== sb[sb.length - 2]) throw new ShapeMismatch(`matmul of ${sa.join('×')} and ${sb.join('×')}`, line);
    const batch = broadcastShapes(sa.slice(0, -2), sb.slice(0, -2));
    if (!batch) throw new ShapeMismatch(`matmul of ${sa.join('×')} and ${sb.join('×')}: batch axes do not broadcast`, line);
    const shape = [...batch, sa[sa.length - 2], sb[sb.length - 1]];
    this.multiplyAdds += numel(shape) * sa[sa.length - 1];
    checkLimit('signalMultiplyAdds', this.multiplyAdds, this.model.name);
    return this.push({ kind: 'matmul', inputs: [a, b], shape, line });
  }

  /** A dim argument (negative counted from the end) of a tensor of `rank`. */
  private axis(node: SyntaxNode | undefined, env: Map<string, Val>, rank: number, at: SyntaxNode, fallback?: number): number {
    const d = this.int(node, env, fallback);
    const k = d < 0 ? rank + d : d;
    if (!Number.isInteger(k) || k < 0 || k >= rank) throw new Unsupported(at, `dim ${d} is out of range for a tensor of ${rank} dims`);
    return k;
  }

  /** The dims of `x.permute(0, 2, 1)` / `x.permute((0, 2, 1))` / `x.mean((2, 3))`. */
  private dims(nodes: readonly SyntaxNode[], env: Map<string, Val>, rank: number, at: SyntaxNode): number[] {
    const listed = nodes.length === 1 ? sequenceElements(unwrap(nodes[0])) : undefined;
    return (listed ?? nodes).map((d) => this.axis(d, env, rank, at));
  }

  /** `.transpose`, `.permute`, `.mean`, `.split`, `.chunk`, `.matmul` of a tensor; undefined for other methods. */
  private opsMethod(t: number, method: string, args: CallArgs, env: Map<string, Val>, call: SyntaxNode, line: number): Val | undefined {
    const x = this.shape(t);
    const arg = (name: string, position: number) => args.keywords.get(name) ?? args.positional[position];
    switch (method) {
      case 'transpose':
        return { op: this.swap(t, arg('dim0', 0), arg('dim1', 1), env, call, line) };
      case 'permute': {
        const perm = this.dims(args.keywords.get('dims') ? [args.keywords.get('dims')!] : args.positional, env, x.length, call);
        if (perm.length !== x.length || new Set(perm).size !== perm.length) throw new Unsupported(call, 'permute: the dims are not a permutation');
        return { op: this.permute(t, perm, line) };
      }
      case 'mean':
        return { op: this.mean(t, arg('dim', 0), arg('keepdim', 1), env, call, line) };
      case 'split':
        return this.split(t, arg('split_size', 0) ?? args.keywords.get('split_size_or_sections'), arg('dim', 1), env, call, line, false);
      case 'chunk':
        return this.split(t, arg('chunks', 0), arg('dim', 1), env, call, line, true);
      case 'matmul': {
        const other = arg('other', 0);
        if (!other) throw new Unsupported(call, 'matmul without its operand');
        return { op: this.matmul(t, this.tensor(other, env), line) };
      }
      default:
        return undefined;
    }
  }

  /** `torch.cat`, `torch.mean`, `torch.transpose`, `torch.permute`, `torch.matmul` / `torch.bmm`, `torch.split` / `torch.chunk`, `torch.arange`; undefined for others. */
  private opsFunction(qualified: string, args: CallArgs, env: Map<string, Val>, call: SyntaxNode, line: number): Val | undefined {
    const arg = (name: string, position: number) => args.keywords.get(name) ?? args.positional[position];
    switch (qualified) {
      case 'torch.cat':
      case 'torch.concat': {
        const list = arg('tensors', 0);
        const elements = list ? sequenceElements(unwrap(list)) : undefined;
        if (!elements || elements.length === 0) throw new Unsupported(call, 'torch.cat of a list not written out');
        const inputs = elements.map((e) => this.tensor(e, env));
        const shapes = inputs.map((i) => this.shape(i));
        const axis = this.axis(arg('dim', 1), env, shapes[0].length, call, 0);
        if (shapes.some((s) => s.length !== shapes[0].length || s.some((d, i) => i !== axis && d !== shapes[0][i]))) throw new ShapeMismatch(`torch.cat of ${shapes.map((s) => s.join('×')).join(', ')} along dim ${axis}`, line);
        const shape = shapes[0].map((d, i) => (i === axis ? shapes.reduce((a, s) => a + s[axis], 0) : d));
        return { op: this.push({ kind: 'concat', inputs, axis, shape, line }) };
      }
      case 'torch.mean':
        return { op: this.mean(this.tensor(arg('input', 0) as SyntaxNode, env), arg('dim', 1), arg('keepdim', 2), env, call, line) };
      case 'torch.transpose':
      case 'torch.swapaxes':
        return { op: this.swap(this.tensor(arg('input', 0) as SyntaxNode, env), arg('dim0', 1), arg('dim1', 2), env, call, line) };
      case 'torch.permute': {
        const t = this.tensor(arg('input', 0) as SyntaxNode, env);
        const dims = arg('dims', 1);
        const perm = dims ? this.dims([dims], env, this.shape(t).length, call) : [];
        if (perm.length !== this.shape(t).length || new Set(perm).size !== perm.length) throw new Unsupported(call, 'permute: the dims are not a permutation');
        return { op: this.permute(t, perm, line) };
      }
      case 'torch.einsum':
      case 'torch.functional.einsum':
        return { op: this.einsum(args, env, call, line) };
      case 'torch.matmul':
      case 'torch.bmm': {
        const a = arg('input', 0);
        const b = arg(qualified === 'torch.bmm' ? 'mat2' : 'other', 1);
        if (!a || !b) throw new Unsupported(call, `${qualified} without its operands`);
        return { op: this.matmul(this.tensor(a, env), this.tensor(b, env), line) };
      }
      case 'torch.split':
      case 'torch.chunk': {
        const t = this.tensor(arg(qualified === 'torch.split' ? 'tensor' : 'input', 0) as SyntaxNode, env);
        return this.split(t, arg(qualified === 'torch.split' ? 'split_size_or_sections' : 'chunks', 1), arg('dim', 2), env, call, line, qualified === 'torch.chunk');
      }
      case 'torch.arange': {
        for (const key of args.keywords.keys()) if (key !== 'dtype' && key !== 'device' && key !== 'end' && key !== 'start') throw new Unsupported(call, `torch.arange with ${key}= is not simulated`);
        const start = args.positional.length >= 2 ? this.int(args.positional[0], env) : this.int(args.keywords.get('start'), env, 0);
        const end = this.int(args.positional.length >= 2 ? args.positional[1] : (args.positional[0] ?? args.keywords.get('end')), env);
        if (args.positional.length > 2) throw new Unsupported(call, 'torch.arange with a step is not simulated');
        if (start !== 0 || end < 1) throw new Unsupported(call, 'torch.arange from other than 0 is not simulated');
        return { op: this.push({ kind: 'arange', shape: [end], line }) };
      }
      default:
        return undefined;
    }
  }

  private swap(t: number, a: SyntaxNode | undefined, b: SyntaxNode | undefined, env: Map<string, Val>, call: SyntaxNode, line: number): number {
    const rank = this.shape(t).length;
    if (!a || !b) throw new Unsupported(call, 'transpose without its two dims');
    const i = this.axis(a, env, rank, call);
    const j = this.axis(b, env, rank, call);
    const perm = Array.from({ length: rank }, (_, k) => (k === i ? j : k === j ? i : k));
    return this.permute(t, perm, line);
  }

  private mean(t: number, dimNode: SyntaxNode | undefined, keepNode: SyntaxNode | undefined, env: Map<string, Val>, call: SyntaxNode, line: number): number {
    const x = this.shape(t);
    const axes = dimNode ? this.dims([dimNode], env, x.length, call) : x.map((_, i) => i);
    const keep = keepNode ? evaluate(keepNode, this.ctx.text, this.scope) : false;
    if (typeof keep !== 'boolean') throw new Unsupported(call, 'mean: keepdim is not known');
    if (new Set(axes).size !== axes.length) throw new Unsupported(call, 'mean: a dim named twice');
    const shape = keep ? x.map((d, i) => (axes.includes(i) ? 1 : d)) : x.filter((_, i) => !axes.includes(i));
    return this.push({ kind: 'mean', input: t, axes, shape, line });
  }

  /** `split(size or sizes, dim)` / `chunk(n, dim)`: slices, as a tuple. */
  private split(t: number, sizeNode: SyntaxNode | undefined, dimNode: SyntaxNode | undefined, env: Map<string, Val>, call: SyntaxNode, line: number, chunk: boolean): Val {
    const x = this.shape(t);
    const axis = this.axis(dimNode, env, x.length, call, 0);
    if (!sizeNode) throw new Unsupported(call, 'split without its size');
    const total = x[axis];
    let sizes: number[];
    const listed = sequenceElements(unwrap(sizeNode));
    if (listed && !chunk) {
      sizes = listed.map((e) => this.int(e, env));
      if (sizes.reduce((a, b) => a + b, 0) !== total) throw new ShapeMismatch(`split of ${total} into ${sizes.join(' + ')}`, line);
    } else {
      const v = this.int(sizeNode, env);
      if (v < 1) throw new Unsupported(call, 'split into pieces of size < 1');
      // torch.chunk: pieces of ⌈total / chunks⌉ (so possibly fewer than chunks); split: pieces of the size, the last smaller.
      const size = chunk ? Math.ceil(total / v) : v;
      sizes = [];
      for (let s = 0; s < total; s += size) sizes.push(Math.min(size, total - s));
    }
    checkLimit('loopIterations', sizes.length, `${this.model.name}: split`);
    let start = 0;
    const parts: Val[] = sizes.map((size) => {
      const op = this.push({ kind: 'slice', input: t, axis, start, size, shape: x.map((d, i) => (i === axis ? size : d)), line });
      start += size;
      return { op };
    });
    return { tuple: parts };
  }

  /**
   * The numbers `__init__` assigns to `self` once, directly in its body (`self.n_head = n_head`,
   * `self.head_dim = n_embd // n_head`), with its parameters' defaults, or, for an instance of a
   * composite, the values its context binds (a parameter it cannot evaluate is unknown, never
   * its default): what forward reads as `self.n_head`.
   */
  private initNumbers(init: SyntaxNode, binding?: Binding): Scope {
    const scope = new Map(functionScope(init, this.ctx));
    // Numbers, and the flags and Nones a branch of forward may test (`if self.use_bn:`, `if self.downsample is not None:`).
    const kept = (v: unknown): v is number | boolean | null => typeof v === 'number' || typeof v === 'boolean' || v === null;
    for (const [k, v] of binding?.values ?? []) {
      if (kept(v)) scope.set(k, v);
      else scope.delete(k);
    }
    for (const k of binding?.unknown ?? []) scope.delete(k);
    const body = init.getChild('Body');
    // Locals computed from the arguments (`reflection_padding = kernel_size // 2`, `channels = input_shape[0]`), again
    // with this instance's values, tuples included.
    if (binding && body) {
      const given = new Map(scope);
      for (const [k, v] of binding.values) given.set(k, v);
      for (const [k, v] of moduleScope(statements(body), this.ctx.text, undefined, given)) if (kept(v) && !k.startsWith('self.')) scope.set(k, v);
    }
    const seen = new Set<string>();
    for (const node of body ? descendants(body, 'AssignStatement') : []) {
      const target = node.firstChild;
      if (target?.name !== 'MemberExpression' || !target.firstChild || this.ctx.slice(target.firstChild) !== 'self' || target.getChild('[')) continue;
      const prop = target.getChild('PropertyName');
      if (!prop) continue;
      const key = `self.${this.ctx.slice(prop)}`;
      const direct = node.parent && node.parent.from === body!.from && node.parent.to === body!.to;
      const value = target.nextSibling?.nextSibling;
      const v = direct && !seen.has(key) && value && target.nextSibling?.name === 'AssignOp' ? evaluate(value, this.ctx.text, scope) : undefined;
      seen.add(key);
      if (kept(v) && direct && !scope.has(key)) scope.set(key, v);
      else scope.delete(key);
    }
    return scope;
  }

  /** `self.n_head` (a number of `__init__`), and `value[i]` of a tuple (`self.attn(x, x, x)[0]`). */
  /** `self.<name>`, an `nn.Parameter` member of the instance whose forward runs: its op (one per member), or undefined. */
  private parameterMember(n: SyntaxNode): number | undefined {
    const object = n.firstChild;
    const prop = n.getChild('PropertyName');
    if (!object || !prop || n.getChild('[') || this.ctx.slice(object) !== 'self') return undefined;
    const name = this.ctx.slice(prop);
    const member = (this.node?.model ?? this.model).torch?.parameters?.find((p) => p.name === name);
    if (!member) return undefined;
    if (!member.shape) throw new Unsupported(n, `self.${name}: an nn.Parameter whose shape is not known here`);
    const key = stateDictKey(this.node?.path ?? '', name);
    const known = this.memberOps.get(key);
    if (known !== undefined) return known;
    const op = this.push({ kind: 'param', name: key, shape: member.shape, line: this.lineOf(n) });
    this.memberOps.set(key, op);
    this.tensors.push({ name: key, shape: member.shape, role: 'member' });
    return op;
  }

  private memberValue(n: SyntaxNode, env: Map<string, Val>): Val | undefined {
    const object = n.firstChild;
    if (!object) return undefined;
    if (n.getChild('[')) {
      const index = n.getChild('Number') ?? n.getChild('UnaryExpression');
      if (!index) return undefined;
      const v = this.expr(object, env);
      if (!('tuple' in v)) return undefined;
      const i = this.int(index, env);
      const k = i < 0 ? v.tuple.length + i : i;
      if (k < 0 || k >= v.tuple.length) throw new Unsupported(n, 'an index out of range');
      const element = v.tuple[k];
      if ('missing' in element) throw new Unsupported(n, element.missing);
      return element;
    }
    const prop = n.getChild('PropertyName');
    if (this.ctx.slice(object) !== 'self' || !prop) return undefined;
    const value = this.initScope.get(`self.${this.ctx.slice(prop)}`);
    if (typeof value !== 'number' || !Number.isFinite(value)) return undefined;
    return Number.isInteger(value) ? { int: value } : { num: value };
  }

  /**
   * `return logits, loss` with `loss` None (karpathy's GPTs called without targets): the one tensor
   * is the output, as `model(idx)[0]`. Undefined for any other return (other tuples are refused).
   */
  private tensorBesideNones(stmt: SyntaxNode, env: Map<string, Val>): number | undefined {
    const value = stmt.lastChild;
    const parts = value?.name === 'TupleExpression' ? sequenceElements(value) : stmt.getChild(',') ? [...children(stmt)].filter((c) => c.name !== 'return' && c.name !== ',') : undefined;
    if (!parts || parts.length < 2) return undefined;
    const vals = parts.map((p) => this.expr(p, env));
    const tensors = vals.filter((v) => 'op' in v);
    if (tensors.length !== 1 || !('op' in vals[0]) || !vals.every((v) => 'op' in v || 'none' in v)) return undefined;
    return vals[0].op;
  }

  // ---- karpathy's GPTs: modules through ModuleDicts, aliases and lambdas, buffers, element-wise arithmetic (containers.ts, elementwise.ts) ----

  /**
   * The member path a callee or iterable names, when it is more than one `self.<attr>`:
   * `self.transformer.wte` → `transformer.wte`, `m.c_fc` with `m = self.mlp` → `mlp.c_fc`.
   */
  private modulePath(node: SyntaxNode, env: Map<string, Val>): string | undefined {
    const n = unwrap(node);
    if (n.name !== 'MemberExpression' || n.getChild('[')) return undefined;
    const prop = n.getChild('PropertyName');
    const object = n.firstChild;
    if (!prop || !object) return undefined;
    const key = this.ctx.slice(prop);
    if (object.name === 'VariableName') {
      const bound = env.get(this.ctx.slice(object));
      return bound && 'module' in bound ? `${bound.module}.${key}` : undefined;
    }
    const o = unwrap(object);
    if (o.name !== 'MemberExpression' || o.getChild('[') || !o.firstChild || this.ctx.slice(o.firstChild) !== 'self') return this.modulePath(o, env)?.concat(`.${key}`);
    const first = o.getChild('PropertyName');
    return first ? `${this.ctx.slice(first)}.${key}` : undefined;
  }

  /** The constructor at a dotted member path (`transformer.drop`): entries of ModuleDicts built once in __init__. */
  private pathCtor(path: string): SyntaxNode | undefined {
    const [head, ...rest] = path.split('.');
    let ctor: SyntaxNode | undefined = this.members.get(head) ?? undefined;
    for (const key of rest) ctor = ctor ? moduleDictEntry(ctor, key, this.ctx) : undefined;
    return ctor;
  }

  /** `self.transformer.wte(idx)`, `m.c_fc(x)`: the layer, instance or constructor at `path`, applied to one tensor. */
  private applyPath(path: string, args: CallArgs, env: Map<string, Val>, call: SyntaxNode, line: number): number {
    if (args.positional.length !== 1 || args.keywords.size > 0) throw new Unsupported(call, 'a module called with other than one tensor');
    const layer = this.layersByName.get(path);
    if (layer && (RECURRENT_TYPES.has(layer.type) || layer.type === 'MultiheadAttention')) throw new Unsupported(call, `${layer.type} reached through a container is not simulated`);
    const input = this.tensor(args.positional[0], env);
    if (layer) return this.applyLayer(layer, input, line, call);
    const child = this.childAt(path);
    if (child) return this.inline(child, input, call);
    const ctor = this.pathCtor(path);
    if (!ctor) throw new Unsupported(call, `self.${path} is not a module built in __init__ (in a ModuleDict written out)`);
    return this.applyModule(path, ctor, input, line);
  }

  /** `self.mlpf(x)` with `self.mlpf = lambda x: m.dropout(m.c_proj(m.act(m.c_fc(x))))`: its body, the aliases of __init__ (`m = self.mlp`) known. */
  private runLambda(lambda: { readonly param: SyntaxNode; readonly body: SyntaxNode }, args: CallArgs, env: Map<string, Val>, call: SyntaxNode): Val {
    if (args.positional.length !== 1 || args.keywords.size > 0) throw new Unsupported(call, 'a lambda called with other than one tensor');
    const inner = new Map<string, Val>([[this.ctx.slice(lambda.param), this.expr(args.positional[0], env)]]);
    const init = this.methods.get('__init__');
    for (const use of descendants(lambda.body, 'VariableName')) {
      const name = this.ctx.slice(use);
      if (inner.has(name)) continue;
      const path = initAlias(init, name, this.ctx);
      if (path !== undefined) inner.set(name, { module: path });
    }
    return this.expr(lambda.body, inner);
  }

  /** `math.pi`, `math.e`; `self.bias`, a constant buffer; `x.device` / `x.dtype` (read, never computed with); `self.transformer`, a ModuleDict. */
  private memberOther(n: SyntaxNode, env: Map<string, Val>): Val | undefined {
    const qualified = this.ctx.qualified(n);
    if (qualified === 'math.pi') return { num: Math.PI };
    if (qualified === 'math.e') return { num: Math.E };
    if (qualified === 'math.inf') return { num: Infinity };
    const object = n.firstChild;
    const prop = n.getChild('PropertyName');
    if (!object || !prop || n.getChild('[')) return undefined;
    const key = this.ctx.slice(prop);
    if (this.ctx.slice(object) === 'self') {
      const buffer = bufferOf(this.methods.get('__init__'), key, this.ctx);
      if (buffer) return { op: this.constantTensor(buffer) };
      const ctor = this.members.get(key);
      if (ctor && this.ctx.qualified(ctor.firstChild) === 'torch.nn.ModuleDict') return { module: key };
      return undefined;
    }
    if ((key === 'device' || key === 'dtype') && object.name === 'VariableName' && env.get(this.ctx.slice(object)) && 'op' in (env.get(this.ctx.slice(object)) as Val)) {
      return { missing: `${this.ctx.slice(n)} is not simulated (only passed to torch.arange)` };
    }
    return undefined;
  }

  /** A buffer's value, known when the graph is built: `torch.ones(n, m)` / `torch.zeros`, `torch.tril` of ones, `.view(...)` of those. */
  private constantTensor(node: SyntaxNode): number {
    const n = unwrap(node);
    const line = this.lineOf(n);
    const call = n.name === 'CallExpression' ? n : undefined;
    const list = call?.getChild('ArgList');
    const args = list ? callArgs(list, this.ctx.text) : undefined;
    const refuse = (): never => {
      throw new Unsupported(n, 'a buffer other than torch.ones / zeros / tril(ones) and their views is not simulated');
    };
    if (!call || !args || args.hasStarred) return refuse();
    const size = (e: SyntaxNode) => {
      const v = evaluate(e, this.ctx.text, this.initScope);
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) return refuse();
      return v;
    };
    const qualified = this.ctx.qualified(call.firstChild);
    if (qualified === 'torch.ones' || qualified === 'torch.zeros') {
      if ([...args.keywords.keys()].some((k) => k !== 'dtype' && k !== 'device')) return refuse();
      const listed = args.positional.length === 1 ? sequenceElements(unwrap(args.positional[0])) : undefined;
      const shape = (listed ?? args.positional).map(size);
      return this.push({ kind: 'constant', fill: qualified === 'torch.ones' ? 1 : 0, shape, line });
    }
    const member = call.firstChild?.name === 'MemberExpression' ? call.firstChild : undefined;
    const method = member?.getChild('PropertyName') ? this.ctx.slice(member.getChild('PropertyName')!) : undefined;
    const tril = qualified === 'torch.tril' ? args.positional[0] : method === 'tril' && !qualified?.startsWith('torch.') ? member?.firstChild : undefined;
    if (tril) {
      const diagonal = args.keywords.get('diagonal') ?? args.positional[qualified === 'torch.tril' ? 1 : 0];
      const d = diagonal ? evaluate(diagonal, this.ctx.text, this.initScope) : 0;
      if (typeof d !== 'number' || !Number.isInteger(d)) return refuse();
      const inner = this.constantTensor(tril);
      const op = this.ops[inner];
      if (op.kind !== 'constant' || op.fill !== 1 || op.tril !== undefined || op.shape.length < 2) return refuse();
      this.ops[inner] = { ...op, tril: d };
      return inner;
    }
    if ((method === 'view' || method === 'reshape') && member?.firstChild && !qualified?.startsWith('torch.')) {
      const t = this.constantTensor(member.firstChild);
      const listed = args.positional.length === 1 ? sequenceElements(unwrap(args.positional[0])) : undefined;
      const dims = (listed ?? args.positional).map((e) => {
        const v = evaluate(e, this.ctx.text, this.initScope);
        return typeof v === 'number' && Number.isInteger(v) ? v : refuse();
      });
      return this.reshape(t, dims, line, call);
    }
    return refuse();
  }

  // ---- padding and nearest upsampling (spatial.ts) ----

  /** `nn.ReflectionPad2d(p)` and the other padding modules, `nn.Upsample(scale_factor=k)` applied to `input`; undefined for other modules. */
  private spatialModule(qualified: string, args: CallArgs, input: number, ctor: SyntaxNode, line: number): number | undefined {
    const type = qualified.startsWith('torch.nn.') ? qualified.slice('torch.nn.'.length) : undefined;
    if (!type) return undefined;
    const value = (name: string, position: number) => {
      const node = args.keywords.get(name) ?? args.positional[position];
      return node ? (evaluate(node, this.ctx.text, this.initScope) ?? evaluate(node, this.ctx.text, this.scope)) : undefined;
    };
    const padding = Object.hasOwn(PAD_MODULES, type) ? PAD_MODULES[type] : undefined;
    if (padding) {
      const given = args.keywords.get('padding') ?? args.positional[0];
      const raw = value('padding', 0);
      if (given && raw === undefined) throw new Unsupported(ctor, `${type}: its padding (${this.ctx.slice(given)}) is not known here`);
      const pads = padsOf(raw, padding.dims);
      if (typeof pads === 'string') throw new Unsupported(ctor, `${type}: ${pads}`);
      const fill = padding.mode === 'constant' && type !== 'ZeroPad2d' ? value('value', 1) : 0;
      if (typeof fill !== 'number') throw new Unsupported(ctor, `${type}: its value is not known`);
      return this.pad(input, padding.mode, pads, fill, ctor, line);
    }
    if (type === 'PixelShuffle') {
      const r = value('upscale_factor', 0);
      if (typeof r !== 'number') throw new Unsupported(ctor, 'PixelShuffle: its upscale_factor is not known');
      return this.pixelShuffle(input, r, ctor, line);
    }
    if (type === 'Upsample' || type === 'UpsamplingNearest2d' || type === 'UpsamplingBilinear2d') {
      const mode = type === 'Upsample' ? (value('mode', 2) ?? 'nearest') : type === 'UpsamplingBilinear2d' ? 'bilinear' : 'nearest';
      const options = type === 'Upsample' ? { alignCorners: value('align_corners', 3), recompute: value('recompute_scale_factor', 4) } : { alignCorners: type === 'UpsamplingBilinear2d' };
      return this.upsample(input, value('size', 0), value('scale_factor', 1), mode, ctor, line, options);
    }
    return undefined;
  }

  /** `F.pad(x, pad, mode, value)` and `F.interpolate(x, size | scale_factor, mode='nearest')`; undefined for other functions. */
  private spatialFunction(qualified: string, args: CallArgs, env: Map<string, Val>, call: SyntaxNode, line: number): Val | undefined {
    if (qualified !== 'torch.nn.functional.pad' && qualified !== 'torch.nn.functional.interpolate' && qualified !== 'torch.nn.functional.upsample' && qualified !== 'torch.nn.functional.upsample_bilinear' && qualified !== 'torch.nn.functional.pixel_shuffle' && qualified !== 'torch.pixel_shuffle') return undefined;
    const node = (name: string, position: number) => args.keywords.get(name) ?? args.positional[position];
    const value = (name: string, position: number) => {
      const n = node(name, position);
      if (!n) return undefined;
      const known = evaluate(n, this.ctx.text, this.initScope);
      if (known !== undefined) return known;
      const number = (v: Val) => ('int' in v ? v.int : 'num' in v ? v.num : 'none' in v ? null : undefined);
      // A size read off tensors: `size=(u.shape[2], u.shape[3])`.
      const elements = n.name === 'TupleExpression' || n.name === 'ArrayExpression' ? sequenceElements(n) : undefined;
      if (elements) return elements.map((e) => number(this.expr(e, env)));
      return number(this.expr(n, env));
    };
    const x = this.tensor(node('input', 0) as SyntaxNode, env);
    if (qualified.endsWith('pixel_shuffle')) {
      const r = value('upscale_factor', 1);
      if (typeof r !== 'number') throw new Unsupported(call, 'pixel_shuffle: its upscale_factor is not known');
      return { op: this.pixelShuffle(x, r, call, line) };
    }
    if (qualified === 'torch.nn.functional.pad') {
      const pads = value('pad', 1);
      const mode = value('mode', 2) ?? 'constant';
      const fill = value('value', 3) ?? 0;
      if (!Array.isArray(pads) || pads.length % 2 !== 0) throw new Unsupported(call, 'F.pad: its pad is not a known tuple of (before, after) pairs');
      if (mode !== 'constant' && mode !== 'reflect' && mode !== 'replicate' && mode !== 'circular') throw new Unsupported(call, `F.pad: mode ${String(mode)} is not simulated`);
      if (typeof fill !== 'number') throw new Unsupported(call, 'F.pad: its value is not known');
      return { op: this.pad(x, mode, pads as number[], fill, call, line) };
    }
    if (qualified.endsWith('upsample_bilinear')) return { op: this.upsample(x, value('size', 1), value('scale_factor', 2), 'bilinear', call, line, { alignCorners: true }) };
    const options = { alignCorners: value('align_corners', 4), recompute: value('recompute_scale_factor', 5), antialias: value('antialias', 6) };
    return { op: this.upsample(x, value('size', 1), value('scale_factor', 2), value('mode', 3) ?? 'nearest', call, line, options) };
  }

  /**
   * `pixel_shuffle(x, r)`: out[n, c, h·r + i, w·r + j] = x[n, c·r² + i·r + j, h, w], as a reshape to
   * (N, C, r, r, H, W), the permutation (0, 1, 4, 2, 5, 3) and a reshape to (N, C, H·r, W·r).
   */
  private pixelShuffle(input: number, r: number, at: SyntaxNode, line: number): number {
    const x = this.shape(input);
    if (!Number.isInteger(r) || r < 1) throw new Unsupported(at, `pixel_shuffle by ${r} (a positive integer is needed)`);
    if (x.length !== 4) throw new Unsupported(at, `pixel_shuffle of a ${x.length}-d tensor is not simulated (4-d is)`);
    const [n, cr2, h, w] = x;
    if (cr2 % (r * r) !== 0) throw new ShapeMismatch(`pixel_shuffle by ${r} of ${cr2} channels`, line);
    const c = cr2 / (r * r);
    const split = this.push({ kind: 'reshape', input, shape: [n, c, r, r, h, w], line });
    const moved = this.permute(split, [0, 1, 4, 2, 5, 3], line);
    return this.push({ kind: 'reshape', input: moved, shape: [n, c, h * r, w * r], line });
  }

  private pad(input: number, mode: PadMode, pads: readonly number[], value: number, at: SyntaxNode, line: number): number {
    const shape = paddedShape(this.shape(input), mode, pads);
    if (typeof shape === 'string') throw new Unsupported(at, shape);
    return this.push({ kind: 'pad', mode, input, pads, value, shape, line });
  }

  /** Nearest upsampling of the spatial axes (2…) by integer factors: from `scale_factor`, or a `size` that is a multiple of the input's; the linear modes in {@link linearUpsample}. */
  private upsample(input: number, size: unknown, scale: unknown, mode: unknown, at: SyntaxNode, line: number, options: LinearOptions = {}): number {
    if (typeof mode === 'string' && Object.hasOwn(LINEAR_MODES, mode)) return this.linearUpsample(input, size, scale, mode, at, line, options);
    if (mode !== 'nearest') throw new Unsupported(at, `upsampling mode ${String(mode)} is not simulated (nearest, linear, bilinear and trilinear are)`);
    const x = this.shape(input);
    const spatial = x.slice(2);
    if (spatial.length < 1 || spatial.length > 3) throw new Unsupported(at, `upsampling a ${x.length}-d tensor is not simulated`);
    const each = (v: unknown) => (Array.isArray(v) ? v : spatial.map(() => v));
    let factors: number[];
    if (scale !== undefined && scale !== null) {
      factors = each(scale) as number[];
    } else if (size !== undefined && size !== null) {
      const sizes = each(size) as number[];
      factors = sizes.map((d, i) => (typeof d === 'number' && d % spatial[i] === 0 ? d / spatial[i] : NaN));
    } else {
      throw new Unsupported(at, 'upsampling without a known size or scale_factor');
    }
    const refuse = (): never => {
      throw new Unsupported(at, 'nearest upsampling by a factor that is not an integer (or not a plain repeat in float32) is not simulated');
    };
    if (factors.length !== spatial.length || factors.some((k) => typeof k !== 'number' || !Number.isInteger(k) || k < 1)) return refuse();
    const shape = [x[0], x[1], ...spatial.map((d, i) => d * factors[i])];
    // Bounded before the index check walks each output axis: the values the op makes are within the run's limit.
    if (shape.some((d) => !Number.isSafeInteger(d))) throw new ShapeMismatch(`a shape of ${shape.join('×')}`, line);
    checkLimit('signalValues', this.values + numel(shape), this.model.name);
    if (factors.some((k, i) => !nearestRepeats(spatial[i], k))) return refuse();
    return this.push({ kind: 'upsample', input, factors, shape, line });
  }

  /**
   * `mode='linear' | 'bilinear' | 'trilinear'` as F.interpolate in PyTorch 1.13 passes it to ATen: the
   * output size given, or floor(size · scale_factor) with the scale_factor itself kept for the weights
   * (recompute_scale_factor=None, the default, or False); align_corners None is False.
   */
  private linearUpsample(input: number, size: unknown, scale: unknown, mode: string, at: SyntaxNode, line: number, options: LinearOptions): number {
    const x = this.shape(input);
    if (x.length !== LINEAR_MODES[mode]) throw new ShapeMismatch(`${mode} interpolation takes a ${LINEAR_MODES[mode]}-d input, gets ${x.join('×')}`, line);
    const spatial = x.slice(2);
    const flag = (v: unknown, what: string) => {
      if (v === undefined || v === null || typeof v === 'boolean') return v === true;
      throw new Unsupported(at, `${what} is not a known boolean`);
    };
    const alignCorners = flag(options.alignCorners, 'align_corners');
    if (flag(options.antialias, 'antialias')) throw new Unsupported(at, 'antialias=True is not simulated');
    const each = (v: unknown) => (Array.isArray(v) ? v : spatial.map(() => v));
    let sizes: unknown[];
    let scales: number[];
    if (scale !== undefined && scale !== null) {
      if (size !== undefined && size !== null) throw new ShapeMismatch('interpolate with both size and scale_factor', line);
      const factors = each(scale);
      if (factors.length !== spatial.length || factors.some((k) => typeof k !== 'number' || !(k > 0) || !Number.isFinite(k))) throw new Unsupported(at, 'a scale_factor that is not a known positive number (per spatial axis) is not simulated');
      sizes = spatial.map((d, i) => scaledSize(d, factors[i] as number));
      scales = flag(options.recompute, 'recompute_scale_factor') ? spatial.map(() => 0) : (factors as number[]);
    } else if (size !== undefined && size !== null) {
      sizes = each(size);
      scales = spatial.map(() => 0);
    } else {
      throw new Unsupported(at, 'upsampling without a known size or scale_factor');
    }
    if (sizes.length !== spatial.length || sizes.some((d) => typeof d !== 'number' || !Number.isSafeInteger(d) || d < 1)) throw new ShapeMismatch(`${mode} interpolation of ${x.join('×')} to ${sizes.join('×')}`, line);
    const shape = [x[0], x[1], ...(sizes as number[])];
    checkLimit('signalValues', this.values + numel(shape), this.model.name);
    // The engine's products, one axis at a time from the last: each output value of a step sums its axis' inputs.
    const step = [...x];
    for (let i = spatial.length - 1; i >= 0; i--) {
      if (spatial[i] === shape[2 + i]) continue;
      step[2 + i] = shape[2 + i];
      this.multiplyAdds += numel(step) * spatial[i];
    }
    checkLimit('signalMultiplyAdds', this.multiplyAdds, this.model.name);
    // The taps are computed here once, so a size the engine could not index is named before it runs.
    if (spatial.some((d, i) => linearTaps(d, shape[2 + i], alignCorners, scales[i]).i1.some((t) => t >= d))) throw new ShapeMismatch(`${mode} interpolation of ${x.join('×')} reads outside its input`, line);
    return this.push({ kind: 'interpolate', input, alignCorners, scales, shape, line });
  }

  /** Element-wise `a <o> b` of {@link elementwiseOp}: a tensor with a number or another tensor. */
  private elementwise(a: Val, o: string, b: Val, at: SyntaxNode): Val | undefined {
    const num = (v: Val) => ('op' in v ? v : scalarOf(v) !== undefined ? { num: scalarOf(v) as number } : undefined);
    const x = num(a);
    const y = num(b);
    if (!x || !y) return undefined;
    const e = elementwiseOp(o, x, y);
    if (!e) return undefined;
    const line = this.lineOf(at);
    if (e.kind === 'scalar') return { op: this.push({ kind: 'scalar', fn: e.fn, input: e.input, value: e.value, shape: this.shape(e.input), line }) };
    const [p, q] = [(x as { op: number }).op, (y as { op: number }).op];
    const shape = broadcastShapes(this.shape(p), this.shape(q));
    if (!shape) throw new ShapeMismatch(`\`${o}\` of ${this.shape(p).join('×')} and ${this.shape(q).join('×')}`, line);
    return { op: this.push({ kind: 'binary', fn: e.fn, inputs: [p, q], shape, line }) };
  }

  /** `torch.pow(x, c)`; undefined for other functions. */
  private elementwiseFunction(qualified: string, args: CallArgs, env: Map<string, Val>, call: SyntaxNode): Val | undefined {
    if (qualified !== 'torch.pow') return undefined;
    const base = args.keywords.get('input') ?? args.positional[0];
    const exponent = args.keywords.get('exponent') ?? args.positional[1];
    if (!base || !exponent) throw new Unsupported(call, 'torch.pow without its operands');
    const v = this.elementwise(this.expr(base, env), '**', this.expr(exponent, env), call);
    if (!v) throw new Unsupported(call, 'torch.pow of these operands is not simulated');
    return v;
  }

  /** `x.masked_fill(mask, value)`, `x.unsqueeze(d)`, `x.pow(c)`; undefined for other methods. */
  private elementwiseMethod(t: number, method: string, args: CallArgs, env: Map<string, Val>, call: SyntaxNode): Val | undefined {
    const line = this.lineOf(call);
    const x = this.shape(t);
    switch (method) {
      case 'masked_fill': {
        const maskNode = args.keywords.get('mask') ?? args.positional[0];
        const valueNode = args.keywords.get('value') ?? args.positional[1];
        if (!maskNode || !valueNode) throw new Unsupported(call, 'masked_fill without its mask and value');
        const mask = this.tensor(maskNode, env);
        if (!isMask(this.ops[mask])) throw new Unsupported(call, 'masked_fill with a mask other than a comparison (`m == 0`) is not simulated');
        const value = scalarOf(this.expr(valueNode, env));
        if (value === undefined) throw new Unsupported(call, 'masked_fill with a tensor value is not simulated');
        const shape = broadcastShapes(x, this.shape(mask));
        if (!shape || shape.length !== x.length || shape.some((d, i) => d !== x[i])) throw new ShapeMismatch(`masked_fill of ${x.join('×')} with a mask of ${this.shape(mask).join('×')}`, line);
        return { op: this.push({ kind: 'maskedFill', inputs: [t, mask], value, shape: x, line }) };
      }
      case 'unsqueeze': {
        const d = this.int(args.keywords.get('dim') ?? args.positional[0], env);
        const k = d < 0 ? x.length + 1 + d : d;
        if (k < 0 || k > x.length) throw new Unsupported(call, `unsqueeze(${d}) of a tensor of ${x.length} dims`);
        return { op: this.push({ kind: 'reshape', input: t, shape: [...x.slice(0, k), 1, ...x.slice(k)], line }) };
      }
      case 'pow': {
        const exponent = args.keywords.get('exponent') ?? args.positional[0];
        if (!exponent) throw new Unsupported(call, 'pow without its exponent');
        return this.elementwise({ op: t }, '**', this.expr(exponent, env), call);
      }
      default:
        return undefined;
    }
  }
}

/** A simulated tensor's device flags: it lives on the CPU, where the model is simulated as built. */
const CPU_TENSOR_FLAGS: ReadonlyMap<string, boolean> = new Map(Object.entries({ is_cpu: true, is_cuda: false, is_xpu: false, is_mps: false, is_meta: false, is_hpu: false, is_ipu: false, is_vulkan: false }));

function* children(node: SyntaxNode): Generator<SyntaxNode> {
  for (let c = node.firstChild; c; c = c.nextSibling) yield c;
}

/** The number a value stands for, when it is one. */
function scalarOf(v: Val): number | undefined {
  return 'int' in v ? v.int : 'num' in v ? v.num : undefined;
}

/** PyTorch's broadcast of two shapes (aligned at the end, 1 stretches); undefined when they do not broadcast. */
function broadcastShapes(a: Shape, b: Shape): number[] | undefined {
  const n = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const x = a[a.length - n + i] ?? 1;
    const y = b[b.length - n + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) return undefined;
    out.push(x === 1 ? y : x);
  }
  return out;
}

/** A per-axis argument of a layer (`stride=2`, `padding=(1, 0)`), `dims` long. */
function tupleArg(layer: Layer, k: string, dims: number, fallback: number, at: SyntaxNode): number[] {
  const v = layer.args.get(k);
  if (v === undefined) return Array<number>(dims).fill(fallback);
  if (typeof v === 'number') return Array<number>(dims).fill(v);
  if (Array.isArray(v) && v.length === dims && v.every((e) => typeof e === 'number')) return v as number[];
  throw new Unsupported(at, `${layer.name}: ${k}=${JSON.stringify(v)} is not simulated`);
}

function numel(shape: Shape): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Parameter names of a method, or undefined with `*args`. */
function paramNames(fn: SyntaxNode, ctx: Context): string[] | undefined {
  const list = fn.getChild('ParamList');
  if (!list) return undefined;
  const names: string[] = [];
  for (let c = list.firstChild; c; c = c.nextSibling) {
    if (c.name === '*' || c.name === '**') return undefined;
    if (c.name === 'VariableName' && c.prevSibling?.name !== 'AssignOp') names.push(ctx.slice(c));
  }
  return names;
}

/** Whether parameter `name` of `fn` has the default None. */
function noneDefault(fn: SyntaxNode, name: string, ctx: Context): boolean {
  for (let c = fn.getChild('ParamList')?.firstChild; c; c = c.nextSibling) {
    if (c.name === 'VariableName' && ctx.slice(c) === name) return c.nextSibling?.name === 'AssignOp' && c.nextSibling.nextSibling?.name === 'None';
  }
  return false;
}

/** A one-line summary of what a graph cannot run, for messages. */
export function notSimulatedText(graph: SignalGraph): string {
  return graph.notSimulated.map((n) => `not simulated: ${n.op} at line ${n.line} (${n.why})`).join('; ');
}
