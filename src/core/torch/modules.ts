/**
 * Default initialization of `torch.nn` modules on the emulated generator, in
 * the order each constructor draws (spec §8), returned in `named_parameters()`
 * order. Mirrors `reset_parameters` in `torch/nn/modules/linear.py`
 * (Linear, Bilinear), `conv.py` (_ConvNd), `sparse.py` (Embedding,
 * EmbeddingBag), `rnn.py` (RNNBase, RNNCellBase), `activation.py`
 * (MultiheadAttention), `transformer.py`, `batchnorm.py`, `normalization.py`.
 */
import { TORCH_LINEAR_DEFAULT } from '../model/catalog';
import type { Value } from '../model/evaluate';
import { ExactInitError, filled, initTensor, type ExactTensor } from './init';
import type { TorchGenerator } from './generator';

/** One parameter of a module, named as in `state_dict()` relative to the module. */
export interface ExactParam extends ExactTensor {
  readonly name: string;
}

/** Constructor arguments by name (positional ones already mapped to their names). */
export type ModuleArgs = Readonly<Record<string, Value | undefined>>;

/** Module types whose default initialization is emulated. */
export const EXACT_MODULES: ReadonlySet<string> = new Set([
  'Linear', 'Bilinear', 'Conv1d', 'Conv2d', 'Conv3d', 'ConvTranspose1d', 'ConvTranspose2d', 'ConvTranspose3d',
  'Embedding', 'EmbeddingBag', 'RNN', 'LSTM', 'GRU', 'RNNCell', 'LSTMCell', 'GRUCell', 'MultiheadAttention',
  'TransformerEncoderLayer', 'TransformerDecoderLayer', 'BatchNorm1d', 'BatchNorm2d', 'BatchNorm3d', 'LayerNorm', 'GroupNorm',
]);

function int(args: ModuleArgs, name: string, fallback?: number): number {
  const v = args[name];
  if (v === undefined || v === null) {
    if (fallback !== undefined) return fallback;
    throw new ExactInitError(`${name} is not known`);
  }
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new ExactInitError(`${name} = ${JSON.stringify(v)} is not a known size`);
  return v;
}

function bool(args: ModuleArgs, name: string, fallback: boolean): boolean {
  const v = args[name];
  return typeof v === 'boolean' ? v : fallback;
}

function sizes(args: ModuleArgs, name: string, n: number): number[] {
  const v = args[name];
  if (Array.isArray(v)) {
    if (v.length !== n || !v.every((x) => typeof x === 'number' && Number.isInteger(x) && x >= 0)) throw new ExactInitError(`${name} is not a known size`);
    return v as number[];
  }
  return Array.from({ length: n }, () => int(args, name));
}

const exact = (name: string, shape: number[], values: Float32Array): ExactParam => ({ name, shape, values, exact: true });

/** Linear-style weight then bias (`Linear.reset_parameters`, `_ConvNd.reset_parameters`). */
function linearLike(gen: TorchGenerator, shape: number[], outFeatures: number, bias: boolean, conv: boolean): ExactParam[] {
  const weight = { ...initTensor(gen, TORCH_LINEAR_DEFAULT, shape), name: 'weight' };
  const params: ExactParam[] = [weight];
  if (!bias) return params;
  const fanIn = shape.length >= 2 ? shape[1] * shape.slice(2).reduce((a, b) => a * b, 1) : 0;
  if (conv && fanIn === 0) {
    // _ConvNd skips the bias init when fan_in is 0: it keeps torch.empty's contents.
    params.push({ name: 'bias', shape: [outFeatures], values: filled(gen, outFeatures, 0), exact: false, reason: 'conv bias with fan_in 0 is left uninitialized by PyTorch' });
    return params;
  }
  // Linear: `bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0` (it still draws).
  const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
  params.push(exact('bias', [outFeatures], gen.uniform32(outFeatures, -bound, bound)));
  return params;
}

function prefixed(prefix: string, params: ExactParam[]): ExactParam[] {
  return params.map((p) => ({ ...p, name: `${prefix}${p.name}` }));
}

/** MultiheadAttention: out_proj is constructed (and drawn) first, then `_reset_parameters` (spec §8). */
function attention(gen: TorchGenerator, e: number, bias: boolean, addBiasKv: boolean, kdim: number, vdim: number): ExactParam[] {
  const outProj = linearLike(gen, [e, e], e, bias, false);
  const own: ExactParam[] = [];
  if (kdim === e && vdim === e) {
    own.push({ ...initTensor(gen, { kind: 'xavier_uniform', gain: 1 }, [3 * e, e]), name: 'in_proj_weight' });
  } else {
    own.push({ ...initTensor(gen, { kind: 'xavier_uniform', gain: 1 }, [e, e]), name: 'q_proj_weight' });
    own.push({ ...initTensor(gen, { kind: 'xavier_uniform', gain: 1 }, [e, kdim]), name: 'k_proj_weight' });
    own.push({ ...initTensor(gen, { kind: 'xavier_uniform', gain: 1 }, [e, vdim]), name: 'v_proj_weight' });
  }
  if (bias) {
    own.push(exact('in_proj_bias', [3 * e], filled(gen, 3 * e, 0)));
    // constant_(out_proj.bias, 0): its draws were consumed at construction all the same.
    outProj[1] = exact('bias', [e], filled(gen, e, 0));
  }
  if (addBiasKv) {
    own.push({ ...initTensor(gen, { kind: 'xavier_normal', gain: 1 }, [1, 1, e]), name: 'bias_k' });
    own.push({ ...initTensor(gen, { kind: 'xavier_normal', gain: 1 }, [1, 1, e]), name: 'bias_v' });
  }
  return [...own, ...prefixed('out_proj.', outProj)];
}

function norm(gen: TorchGenerator, shape: number[]): ExactParam[] {
  const n = shape.reduce((a, b) => a * b, 1);
  return [exact('weight', shape, filled(gen, n, 1)), exact('bias', shape, filled(gen, n, 0))];
}

/**
 * Builds one module right where `gen` stands, drawing what its constructor
 * draws, and returns its parameters in `named_parameters()` order. Throws
 * {@link ExactInitError} when a size is unknown or the type is not emulated.
 */
export function moduleParameters(gen: TorchGenerator, type: string, args: ModuleArgs): ExactParam[] {
  const conv = /^Conv(Transpose)?([123])d$/.exec(type);
  if (conv) {
    const transpose = conv[1] !== undefined;
    const k = sizes(args, 'kernel_size', Number(conv[2]));
    const cin = int(args, 'in_channels');
    const cout = int(args, 'out_channels');
    const groups = int(args, 'groups', 1);
    if (groups === 0 || cin % groups !== 0 || cout % groups !== 0) throw new ExactInitError('channels must be divisible by groups');
    const shape = transpose ? [cin, cout / groups, ...k] : [cout, cin / groups, ...k];
    return linearLike(gen, shape, cout, bool(args, 'bias', true), true);
  }
  switch (type) {
    case 'Linear': {
      const i = int(args, 'in_features');
      const o = int(args, 'out_features');
      return linearLike(gen, [o, i], o, bool(args, 'bias', true), false);
    }
    case 'Bilinear': {
      const in1 = int(args, 'in1_features');
      const in2 = int(args, 'in2_features');
      const o = int(args, 'out_features');
      const bound = 1 / Math.sqrt(in1);
      const params = [exact('weight', [o, in1, in2], gen.uniform32(o * in1 * in2, -bound, bound))];
      if (bool(args, 'bias', true)) params.push(exact('bias', [o], gen.uniform32(o, -bound, bound)));
      return params;
    }
    case 'Embedding':
    case 'EmbeddingBag': {
      const num = int(args, 'num_embeddings');
      const dim = int(args, 'embedding_dim');
      const values = gen.normal32(num * dim, 0, 1);
      const pad = args.padding_idx;
      if (typeof pad === 'number') {
        // Embedding._fill_padding_idx_with_zero; a negative index counts from the end.
        const row = pad < 0 ? num + pad : pad;
        if (row < 0 || row >= num) throw new ExactInitError('padding_idx must be within num_embeddings');
        values.fill(0, row * dim, (row + 1) * dim);
      }
      return [exact('weight', [num, dim], values)];
    }
    case 'RNN':
    case 'LSTM':
    case 'GRU':
      return recurrent(gen, type, args);
    case 'RNNCell':
    case 'LSTMCell':
    case 'GRUCell': {
      const gates = type === 'LSTMCell' ? 4 : type === 'GRUCell' ? 3 : 1;
      const input = int(args, 'input_size');
      const h = int(args, 'hidden_size');
      const k = h > 0 ? 1.0 / Math.sqrt(h) : 0;
      const params = [exact('weight_ih', [gates * h, input], gen.uniform32(gates * h * input, -k, k)), exact('weight_hh', [gates * h, h], gen.uniform32(gates * h * h, -k, k))];
      if (bool(args, 'bias', true)) params.push(exact('bias_ih', [gates * h], gen.uniform32(gates * h, -k, k)), exact('bias_hh', [gates * h], gen.uniform32(gates * h, -k, k)));
      return params;
    }
    case 'MultiheadAttention': {
      const e = int(args, 'embed_dim');
      return attention(gen, e, bool(args, 'bias', true), bool(args, 'add_bias_kv', false), int(args, 'kdim', e), int(args, 'vdim', e));
    }
    case 'TransformerEncoderLayer':
    case 'TransformerDecoderLayer': {
      const d = int(args, 'd_model');
      const ff = int(args, 'dim_feedforward', 2048);
      const bias = bool(args, 'bias', true);
      const params = prefixed('self_attn.', attention(gen, d, bias, false, d, d));
      if (type === 'TransformerDecoderLayer') params.push(...prefixed('multihead_attn.', attention(gen, d, bias, false, d, d)));
      params.push(...prefixed('linear1.', linearLike(gen, [ff, d], ff, bias, false)));
      params.push(...prefixed('linear2.', linearLike(gen, [d, ff], d, bias, false)));
      for (let i = 1; i <= (type === 'TransformerDecoderLayer' ? 3 : 2); i++) params.push(...prefixed(`norm${i}.`, norm(gen, [d])));
      return params;
    }
    case 'BatchNorm1d':
    case 'BatchNorm2d':
    case 'BatchNorm3d':
      return bool(args, 'affine', true) ? norm(gen, [int(args, 'num_features')]) : [];
    case 'GroupNorm':
      return bool(args, 'affine', true) ? norm(gen, [int(args, 'num_channels')]) : [];
    case 'LayerNorm': {
      if (!bool(args, 'elementwise_affine', true)) return [];
      const v = args.normalized_shape;
      const shape = Array.isArray(v) ? sizes(args, 'normalized_shape', v.length) : [int(args, 'normalized_shape')];
      return norm(gen, shape);
    }
    default:
      throw new ExactInitError(`${type} is not emulated`);
  }
}

/** RNNBase: every parameter `uniform_(-1/√H, 1/√H)` in registration order (spec §8). */
function recurrent(gen: TorchGenerator, type: 'RNN' | 'LSTM' | 'GRU', args: ModuleArgs): ExactParam[] {
  const gates = type === 'LSTM' ? 4 : type === 'GRU' ? 3 : 1;
  const input = int(args, 'input_size');
  const h = int(args, 'hidden_size');
  const layers = int(args, 'num_layers', 1);
  const dirs = bool(args, 'bidirectional', false) ? 2 : 1;
  const proj = int(args, 'proj_size', 0);
  const bias = bool(args, 'bias', true);
  const hr = proj > 0 ? proj : h;
  const k = h > 0 ? 1.0 / Math.sqrt(h) : 0;
  const draw = (name: string, shape: number[]) => exact(name, shape, gen.uniform32(shape.reduce((a, b) => a * b, 1), -k, k));
  // Every layer draws one word per value: refuse a deep stack before building any of it.
  const perLayer = (inL: number) => dirs * (gates * h * (inL + hr) + (bias ? 2 * gates * h : 0) + (proj > 0 ? proj * h : 0));
  gen.reserve(layers === 0 ? 0 : perLayer(input) + (layers - 1) * perLayer(hr * dirs));
  const params: ExactParam[] = [];
  for (let l = 0; l < layers; l++) {
    for (let dir = 0; dir < dirs; dir++) {
      const sfx = `_l${l}${dir === 1 ? '_reverse' : ''}`;
      const inL = l === 0 ? input : hr * dirs;
      params.push(draw(`weight_ih${sfx}`, [gates * h, inL]), draw(`weight_hh${sfx}`, [gates * h, hr]));
      if (bias) params.push(draw(`bias_ih${sfx}`, [gates * h]), draw(`bias_hh${sfx}`, [gates * h]));
      if (proj > 0) params.push(draw(`weight_hr${sfx}`, [proj, h]));
    }
  }
  return params;
}
