/**
 * The signal engine: one forward and one backward pass of a model's graph
 * (graph.ts) on TensorFlow.js ops, and the statistics of every layer's
 * output, activation and gradients, as PyTorch would compute them in
 * float32 with the same weights, input and upstream gradient.
 *
 * Written once against `@tensorflow/tfjs-core`: the caller passes the `tf`
 * namespace with a backend already set (cpu in Node, webgpu/webgl in the
 * panel), and with its gradients registered, so nothing here imports a
 * backend. Tensors are kept in PyTorch's
 * layout (NCHW) so that flatten/view see PyTorch's element order; the conv
 * and pooling kernels run channels-last in between, as TensorFlow.js needs.
 */
import type * as tfc from '@tensorflow/tfjs-core';
import { stateDictKey } from '../model/stateDict';
import type { GraphLayer, GraphParam, LayerOp, OpsOp, SignalGraph, SignalOp, SimActivation } from './graph';
import { ELEMENTWISE_KINDS, evalElementwise, type ElementwiseOp } from './elementwise';
import { evalSpatial, SPATIAL_KINDS, type SpatialOp } from './spatial';
import { hardswish, hardtanh, relu6 } from './clamps';
import { batchMoments, channelSum } from './batchStats';

type RnnOp = Extract<SignalOp, { kind: 'rnn' }>;

/** The TensorFlow.js namespace (`import * as tf from '@tensorflow/tfjs-core'`), its backend set. */
export type Tf = typeof tfc;
type Tensor = tfc.Tensor;

/** Parameters by `state_dict()` name, row-major in PyTorch's layout. */
export type Weights = ReadonlyMap<string, Float32Array>;

/** mean and std of a tensor; std is unbiased (n − 1), as `torch.std` by default. */
export interface Moments {
  readonly mean: number;
  readonly std: number;
}

export interface ActivationStats extends Moments {
  /** Fraction of exact zeros (dead ReLUs). */
  readonly zeroFraction: number;
  /** |tanh| > 0.99, sigmoid < 0.01 or > 0.99; null where the activation has no saturation. */
  readonly saturatedFraction: number | null;
}

export interface LayerSignal {
  readonly name: string;
  readonly type: string;
  /** 1-based line of its constructor. */
  readonly line: number;
  readonly out: Moments;
  /** After the activation that follows it; null when none does. */
  readonly act: ActivationStats | null;
  /** Of the gradient with respect to its output. */
  readonly grad: { readonly std: number };
  /** Of the gradient of its weight (a recurrent layer: `weight_ih_l0`, its first layer's input weights); null without a weight. */
  readonly weightGrad: { readonly std: number } | null;
  /**
   * A recurrent layer only: std of the gradient with respect to its input
   * sequence at the first and at the last time step. Through time the
   * gradient of the first step vanishes (or explodes) first.
   */
  readonly stepGrad?: { readonly first: number; readonly last: number };
  /**
   * With {@link RunOptions.inputs}: std of the layer's input and of the gradient with respect to
   * it (the whole gradient of that value, every consumer's; the advice's measured gains, core/advice/measure.ts).
   */
  readonly input?: { readonly std: number; readonly grad: number };
}

export interface RunOptions {
  /** Also each layer's input and its gradient ({@link LayerSignal.input}): one more probe per distinct input. */
  readonly inputs?: boolean;
}

export interface SignalStats {
  readonly output: { readonly std: number };
  readonly layers: readonly LayerSignal[];
}

/** The graph cannot run (something in it is not simulated, or a value is missing). */
export class SignalError extends Error {
  override readonly name = 'SignalError';
}

/** Where an activation saturates (the issue's thresholds). */
const SATURATION: Partial<Record<SimActivation['kind'], { readonly below?: number; readonly above?: number; readonly abs?: number }>> = {
  tanh: { abs: 0.99 },
  sigmoid: { below: 0.01, above: 0.99 },
};

/** Every tensor the graph's values depend on: its layers' parameters, then the members forward reads. */
export function graphParams(graph: SignalGraph): GraphParam[] {
  return [...graph.layers.flatMap((l) => l.params), ...(graph.tensors ?? [])];
}

/**
 * Runs `graph` forward on `input` (its `inputShape`, row-major) and backward
 * from `upstream` (the output's shape): `output.backward(upstream)`.
 */
export async function runGraph(tf: Tf, graph: SignalGraph, weights: Weights, input: Float32Array, upstream: Float32Array, options: RunOptions = {}): Promise<SignalStats> {
  // tfjs-core registers no gradients by itself (the union package and `@tensorflow/tfjs-core/dist/register_all_gradients` do).
  if (!tf.getGradient('Add')) throw new SignalError('TensorFlow.js has no gradients registered: import @tensorflow/tfjs-core/dist/register_all_gradients');
  if (graph.notSimulated.length > 0) throw new SignalError(`${graph.model}: ${graph.notSimulated.map((n) => `not simulated: ${n.op} at line ${n.line}`).join('; ')}`);
  const outShape = graph.ops[graph.output].shape;
  if (input.length !== numel(graph.inputShape)) throw new SignalError(`the input has ${input.length} values, the shape ${graph.inputShape.join('×')} needs ${numel(graph.inputShape)}`);
  if (upstream.length !== numel(outShape)) throw new SignalError(`the upstream gradient has ${upstream.length} values, the output ${outShape.join('×')} needs ${numel(outShape)}`);
  const allParams = graphParams(graph);
  const paramNames = allParams.map((p) => p.name);
  for (const p of allParams) {
    const w = weights.get(p.name);
    if (!w || w.length !== numel(p.shape)) throw new SignalError(`${p.name}: ${w ? `${w.length} values for the shape ${p.shape.join('×')}` : 'no values'}`);
  }
  const kept: Tensor[] = [];
  const keep = <T extends Tensor>(t: T): T => {
    kept.push(tf.keep(t));
    return t;
  };
  const inputOp = graph.ops[0];
  const tokens = inputOp?.kind === 'input' ? inputOp.tokens : undefined;
  if (tokens !== undefined && input.some((v) => !Number.isInteger(v) || v < 0 || v >= tokens)) throw new SignalError(`the input holds token indices: integers from 0 to ${tokens - 1}`);
  try {
    const x = keep(tf.tensor(input, [...graph.inputShape]));
    // Token indices take no gradient: the Embedding reads them as int32, outside the differentiated function.
    const ids = tokens !== undefined ? keep(tf.tensor(Int32Array.from(input), [...graph.inputShape], 'int32')) : undefined;
    const params = allParams.map((p) => keep(tf.tensor(weights.get(p.name)!, [...p.shape])));
    // A zero added to each layer's output: its gradient is the gradient with respect to that output (adding +0 changes no value).
    const probes = graph.layers.map((l) => keep(tf.zeros([...graph.ops[l.op].shape])));
    // ... and to each recurrent layer's input, for the gradient at each time step.
    const recurrentOps = graph.layers.map((l) => recurrentOpOf(graph, l)).filter((r): r is number => r !== undefined);
    const stepProbes = recurrentOps.map((r) => keep(tf.zeros([...graph.ops[(graph.ops[r] as RnnOp).input].shape])));
    // ... and, when asked, to each distinct value a layer reads (not the token indices, which take no gradient).
    const inputOf = (l: GraphLayer): number | undefined => {
      const op = graph.ops[l.op];
      // A convolution's own padding (padding_mode) is part of the module: it reads what its pad op reads.
      const own = op.kind === 'conv' && op.paddingMode ? graph.ops[op.input] : undefined;
      const i = own && own.kind === 'pad' ? own.input : 'input' in op && typeof op.input === 'number' ? op.input : undefined;
      return i === undefined || (ids && graph.ops[i].kind === 'input') ? undefined : i;
    };
    const inputOps = options.inputs ? [...new Set(graph.layers.map(inputOf).filter((i): i is number => i !== undefined))] : [];
    const inputProbes = inputOps.map((i) => keep(tf.zeros([...graph.ops[i].shape])));
    const dy = keep(tf.tensor(upstream, [...outShape]));
    const values: Tensor[] = new Array(graph.ops.length);
    // The input is a constant, not differentiated (its read probe, with `inputs`, takes its gradient): a convolution that reads it as it is computes no input gradient.
    const forward = (...args: Tensor[]): Tensor => {
      const byName = new Map(paramNames.map((n, i) => [n, args[i]]));
      const probeOf = new Map(graph.layers.map((l, i) => [l.op, args[paramNames.length + i]]));
      const context: EvalContext = { states: new Map(), inputProbes: new Map(recurrentOps.map((r, i) => [r, args[paramNames.length + probes.length + i]])) };
      const readProbe = new Map(inputOps.map((o, i) => [o, args[paramNames.length + probes.length + stepProbes.length + i]]));
      graph.ops.forEach((op, i) => {
        let v = ids && op.kind === 'input' ? ids : evalOp(tf, op, values, byName, x, i, context);
        const probe = probeOf.get(i);
        if (probe) v = tf.add(v, probe);
        const read = readProbe.get(i);
        if (read) v = tf.add(v, read);
        values[i] = keep(v);
      });
      return values[graph.output];
    };
    const grads = gradients(tf, forward, [...params, ...probes, ...stepProbes, ...inputProbes], dy);
    grads.forEach(keep);
    const gradOf = new Map(paramNames.map((n, i) => [n, grads[i]]));
    const stepGradOf = new Map(recurrentOps.map((r, i) => [r, grads[paramNames.length + probes.length + i]]));
    const layers: LayerSignal[] = [];
    for (const [i, layer] of graph.layers.entries()) {
      const recurrent = recurrentOpOf(graph, layer);
      const signal = await layerSignal(graph, layer, values, grads[paramNames.length + i], gradOf.get(layer.weight ?? stateDictKey(layer.name, 'weight')) ?? gradOf.get(stateDictKey(layer.name, 'weight_ih_l0')));
      const read = inputOf(layer);
      const k = read === undefined ? -1 : inputOps.indexOf(read);
      const withInput = k < 0 ? signal : { ...signal, input: { std: moments(await values[read as number].data()).std, grad: moments(await grads[paramNames.length + probes.length + stepProbes.length + k].data()).std } };
      layers.push(recurrent === undefined ? withInput : { ...withInput, stepGrad: await stepGrad(tf, graph.ops[recurrent] as RnnOp, stepGradOf.get(recurrent) as Tensor) });
    }
    return { output: { std: moments(await values[graph.output].data()).std }, layers };
  } finally {
    for (const t of kept) t.dispose();
  }
}

/**
 * `tf.grads`, except that an argument the output does not depend on gets a
 * zero gradient instead of an error: the weights of a stacked RNN's forward
 * direction when the model reads only the last layer's reverse h_n. (PyTorch's
 * fused RNN op gives them zeros too.)
 */
function gradients(tf: Tf, f: (...args: Tensor[]) => Tensor, xs: Tensor[], dy: Tensor): Tensor[] {
  return tf.tidy(() => tf.engine().gradients(() => f(...xs), xs, dy, true).grads.map((g, i) => g ?? tf.zerosLike(xs[i])));
}

/** The `rnn` op of a recurrent layer's row (its own op, or the op whose h_n it reports). */
function recurrentOpOf(graph: SignalGraph, layer: GraphLayer): number | undefined {
  const op = graph.ops[layer.op];
  return op.kind === 'rnn' ? layer.op : op.kind === 'rnnState' ? op.input : undefined;
}

/** std of the gradient with respect to a recurrent layer's input at its first and last time step. */
async function stepGrad(tf: Tf, op: RnnOp, grad: Tensor): Promise<{ first: number; last: number }> {
  const axis = op.batchFirst ? 1 : 0;
  const steps = grad.shape[axis] as number;
  const at = async (t: number) => {
    const begin = grad.shape.map((_, a) => (a === axis ? t : 0));
    const size = grad.shape.map((d, a) => (a === axis ? 1 : d));
    const step = tf.slice(grad, begin, size);
    try {
      return moments(await step.data()).std;
    } finally {
      step.dispose();
    }
  };
  return { first: await at(0), last: await at(steps - 1) };
}

async function layerSignal(graph: SignalGraph, layer: GraphLayer, values: readonly Tensor[], grad: Tensor, weightGrad: Tensor | undefined): Promise<LayerSignal> {
  const actOp = layer.act !== undefined ? (graph.ops[layer.act] as Extract<SignalOp, { kind: 'activation' }>) : undefined;
  const out = moments(await values[layer.op].data());
  let act: ActivationStats | null = null;
  if (actOp && layer.act !== undefined) {
    const v = await values[layer.act].data();
    const m = moments(v);
    const sat = SATURATION[actOp.activation.kind];
    let zeros = 0;
    let saturated = 0;
    for (let i = 0; i < v.length; i++) {
      const x = v[i];
      if (x === 0) zeros++;
      if (sat && (sat.abs !== undefined ? Math.abs(x) > sat.abs : x < (sat.below ?? -Infinity) || x > (sat.above ?? Infinity))) saturated++;
    }
    act = { ...m, zeroFraction: zeros / v.length, saturatedFraction: sat ? saturated / v.length : null };
  }
  return {
    name: layer.name,
    type: layer.type,
    line: layer.line,
    out,
    act,
    grad: { std: moments(await grad.data()).std },
    weightGrad: weightGrad ? { std: moments(await weightGrad.data()).std } : null,
  };
}

/**
 * Mean and unbiased std (torch.std's default correction) of float32 values,
 * two-pass in double precision as torch.std accumulates: read back from the
 * device, so that no float32 rounding of the mean or underflow of the
 * squares (a signal of 1e-30 after 40 layers) enters the statistics.
 */
export function moments(values: ArrayLike<number>): Moments {
  const n = values.length;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += values[i];
  const mean = sum / n;
  let squares = 0;
  for (let i = 0; i < n; i++) squares += (values[i] - mean) ** 2;
  return { mean, std: Math.sqrt(squares / (n - 1)) };
}

function numel(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** NCHW (or NCL) → channels-last, and back. */
const toLast = (tf: Tf, x: Tensor) => tf.transpose(x, x.rank === 4 ? [0, 2, 3, 1] : [0, 2, 1]);
const toFirst = (tf: Tf, x: Tensor) => tf.transpose(x, x.rank === 4 ? [0, 3, 1, 2] : [0, 2, 1]);

/**
 * One op of `graph` computed outside the differentiated function (LSUV's
 * measurements, the activation histograms), its temporaries freed; a
 * recurrent op's final states are kept in `context` for its rnnState ops
 * ({@link disposeContext} frees them).
 */
export function evalKept(tf: Tf, graph: SignalGraph, i: number, values: readonly Tensor[], params: ReadonlyMap<string, Tensor>, input: Tensor, context: EvalContext): Tensor {
  return tf.tidy(() => {
    const v = evalOp(tf, graph.ops[i], values, params, input, i, context);
    const states = context.states.get(i);
    if (states) for (const t of [states.h, states.c]) if (t) tf.keep(t);
    return v;
  });
}

/** A fresh context for {@link evalKept}: no states, no probes. */
export function evalContext(): EvalContext {
  return { states: new Map(), inputProbes: new Map() };
}

/** Frees the states {@link evalKept} kept. */
export function disposeContext(context: EvalContext): void {
  for (const states of context.states.values()) for (const t of [states.h, states.c]) t?.dispose();
  context.states.clear();
}

/** What ops pass on besides their value: a recurrent layer's final states, and the probes added to its input. */
export interface EvalContext {
  readonly states: Map<number, { readonly h: Tensor; readonly c?: Tensor }>;
  readonly inputProbes: ReadonlyMap<number, Tensor>;
}

export function evalOp(tf: Tf, op: SignalOp, values: readonly Tensor[], params: ReadonlyMap<string, Tensor>, input: Tensor, index: number, context: EvalContext): Tensor {
  const param = (o: LayerOp, name: string) => params.get(stateDictKey(o.layer, `${'prefix' in o && o.prefix ? o.prefix : ''}${name}`)) as Tensor;
  switch (op.kind) {
    case 'input':
      return input;
    case 'linear': {
      const x = values[op.input];
      const w = param(op, 'weight');
      const inF = w.shape[1] as number;
      // x @ Wᵀ (+ b), over every leading axis: torch.nn.functional.linear.
      let y = linearProduct(tf, tf.reshape(x, [-1, inF]), w);
      if (op.bias) y = tf.add(y, param(op, 'bias'));
      return tf.reshape(y, [...op.shape]);
    }
    case 'conv': {
      if (op.dims === 3) {
        const y = convolve3d(tf, values[op.input], param(op, 'weight'), op.stride, op.padding, op.dilation, op.shape.slice(2));
        return op.bias ? tf.add(y, tf.reshape(param(op, 'bias'), [1, -1, 1, 1, 1])) : y;
      }
      // Conv1d as Conv2d over a height of 1.
      const oneD = op.dims === 1;
      const x = oneD ? tf.expandDims(values[op.input], 2) : values[op.input];
      const w = param(op, 'weight');
      const two = (v: readonly number[], one: number): [number, number] => (oneD ? [one, v[0]] : [v[0], v[1]]);
      const spatial = op.shape.slice(2);
      const stride = two(op.stride, 1);
      const padding = two(op.padding, 0);
      const dilation = two(op.dilation, 1);
      const size: [number, number] = oneD ? [1, spatial[0]] : [spatial[0], spatial[1]];
      const w4 = oneD ? tf.expandDims(w, 2) : w;
      let y = op.groups && op.groups > 1 ? groupedConv(tf, x, w4, op.groups, stride, padding, dilation, size, values[op.input] !== input) : convolve(tf, x, w4, stride, padding, dilation, size, values[op.input] !== input);
      if (op.bias) y = tf.add(y, tf.reshape(param(op, 'bias'), [1, -1, 1, 1]));
      return oneD ? tf.squeeze(y, [2]) : y;
    }
    case 'batchnorm': {
      // Training mode: the batch's mean and biased variance over every axis but the channel (torch.batch_norm).
      const x = values[op.input];
      const axes = [0, ...Array.from({ length: x.rank - 2 }, (_, i) => i + 2)];
      return batchNorm(tf, x, axes, op.eps, op.affine ? [param(op, 'weight'), param(op, 'bias')] : undefined);
    }
    case 'layernorm': {
      const x = values[op.input];
      const axes = Array.from({ length: op.normalized }, (_, i) => x.rank - op.normalized + i);
      return normalize(tf, x, axes, op.eps, op.affine ? [param(op, 'weight'), param(op, 'bias')] : undefined, x.shape.slice(x.rank - op.normalized));
    }
    case 'activation':
      return activate(tf, op.activation, values[op.input]);
    case 'pool':
      return pool(tf, values[op.input], op.mode, op.kernel, op.stride, op.padding);
    case 'adaptivePool': {
      // Equal windows (the graph admits no others): a pooling of in/out with the same stride.
      const x = values[op.input];
      const kernel = op.shape.slice(2).map((o, i) => x.shape[2 + i] / o);
      return pool(tf, x, op.mode, kernel, kernel, kernel.map(() => 0));
    }
    case 'reshape':
      return tf.reshape(values[op.input], [...op.shape]);
    case 'dropout':
      return values[op.input];
    case 'add':
      return tf.add(values[op.inputs[0]], values[op.inputs[1]]);
    case 'rnn': {
      const probe = context.inputProbes.get(index);
      const x = probe ? tf.add(values[op.input], probe) : values[op.input];
      const { out, h, c } = recurrent(tf, op, x, (name) => param(op, name));
      context.states.set(index, { h, c });
      return out;
    }
    case 'rnnState': {
      const states = context.states.get(op.input);
      const state = states?.[op.state];
      if (!state) throw new SignalError(`graph op ${index} reads a state its rnn op does not have`);
      return state;
    }
    case 'select': {
      const y = tf.slice(values[op.input], [...op.begin], [...op.size]);
      return tf.reshape(y, [...op.shape]);
    }
    case 'param': {
      const t = params.get(op.name);
      if (!t) throw new SignalError(`graph op ${index} reads ${op.name}, which has no values`);
      return t;
    }
    default:
      if (ELEMENTWISE_KINDS.has(op.kind)) return evalElementwise(tf, op as ElementwiseOp, values);
      if (SPATIAL_KINDS.has(op.kind)) return evalSpatial(tf, op as SpatialOp, values);
      return evalOpsOp(tf, op as OpsOp, values, (name) => param(op as LayerOp, name));
  }
}

/** The ops of {@link OpsOp}: transposed and 3-d convolutions, embeddings, group norms, the tensor algebra of attention. */
function evalOpsOp(tf: Tf, op: OpsOp, values: readonly Tensor[], param: (name: string) => Tensor): Tensor {
  switch (op.kind) {
    case 'convTranspose': {
      const groups = op.groups ?? 1;
      const bias = op.bias ? param('bias') : undefined;
      if (groups === 1) return convTranspose(tf, op, values[op.input], param('weight'), bias);
      // Grouped: each group's input channels through its rows of the weight (in, out / groups, …), the outputs joined by channel.
      const xs = tf.split(values[op.input], groups, 1);
      const ws = tf.split(param('weight'), groups, 0);
      const bs = bias ? tf.split(bias, groups, 0) : undefined;
      return tf.concat(xs.map((x, g) => convTranspose(tf, op, x, ws[g], bs?.[g])), 1);
    }
    case 'embedding':
      return embed(tf, param('weight'), values[op.input].dtype === 'int32' ? values[op.input] : tf.cast(values[op.input], 'int32'));
    case 'groupnorm': {
      // torch.group_norm: mean and biased variance per (sample, group) over its channels and positions, then the per-channel affine.
      const x = values[op.input];
      const [n, c] = x.shape as number[];
      const grouped = tf.reshape(x, [n, op.groups, -1]);
      const { mean, variance } = tf.moments(grouped, [2], true);
      let y = tf.reshape(tf.mul(tf.sub(grouped, mean), tf.rsqrt(tf.add(variance, op.eps))), x.shape);
      const affine = [1, c, ...Array<number>(x.rank - 2).fill(1)];
      if (op.affine) y = tf.add(tf.mul(y, tf.reshape(param('weight'), affine)), tf.reshape(param('bias'), affine));
      return y;
    }
    case 'concat':
      return tf.concat(op.inputs.map((i) => values[i]), op.axis);
    case 'mean':
      return tf.reshape(tf.mean(values[op.input], [...op.axes]), [...op.shape]);
    case 'transpose':
      return tf.transpose(values[op.input], [...op.perm]);
    case 'matmul': {
      const [a, b] = op.inputs.map((i) => values[i]);
      const rank = op.shape.length;
      if (rank === 2) return tf.matMul(a, b);
      // Batch axes broadcast explicitly (tf.broadcastTo's gradient sums them back), then one batched product.
      const batch = op.shape.slice(0, -2);
      const [m, k] = a.shape.slice(-2) as number[];
      const n = b.shape[b.rank - 1] as number;
      const flat = (t: Tensor, rows: number, cols: number) => tf.reshape(batch.length + 2 === t.rank && t.shape.slice(0, -2).every((d, i) => d === batch[i]) ? t : tf.broadcastTo(t, [...batch, rows, cols]), [-1, rows, cols]);
      return tf.reshape(tf.matMul(flat(a, m, k), flat(b, k, n)), [...op.shape]);
    }
    case 'scale':
      // A Python float meets a float32 tensor as float32 (TensorIterator's scalar).
      return op.divide ? tf.div(values[op.input], tf.scalar(Math.fround(op.factor))) : tf.mul(values[op.input], tf.scalar(Math.fround(op.factor)));
    case 'slice': {
      const x = values[op.input];
      return tf.slice(x, x.shape.map((_, i) => (i === op.axis ? op.start : 0)), x.shape.map((d, i) => (i === op.axis ? op.size : (d as number))));
    }
    case 'arange':
      return tf.range(0, op.shape[0], 1, 'int32');
    case 'broadcast':
      return tf.broadcastTo(values[op.input], [...op.shape]);
  }
}

/**
 * torch.embedding: the weight's rows at `ids`; its gradient sums each row's upstream gradients
 * (embedding_dense_backward), here a scatter that adds duplicates: tf.gather's own gradient needs
 * UnsortedSegmentSum, which the wasm backend lacks.
 */
function embed(tf: Tf, weight: Tensor, ids: Tensor): Tensor {
  const [vocab, dim] = weight.shape as number[];
  const op = tf.customGrad((...args: (Tensor | ((save: Tensor[]) => void))[]) => {
    const [w] = args as [Tensor];
    return {
      value: tf.gather(w, ids, 0),
      gradFunc: (dy: Tensor) => [tf.scatterND(tf.reshape(ids, [-1, 1]), tf.reshape(dy, [-1, dim]), [vocab, dim])],
    };
  });
  return op(weight);
}

/**
 * ConvTranspose (torch.nn.functional.conv_transposeNd, one group) as the convolution it is the gradient of:
 * the input spread out by the stride (zeros between), padded by dilation·(k − 1) − padding on each side (output_padding
 * more at the end; a negative pad crops), then convolved at stride 1 with the kernel flipped and its in/out swapped.
 */
function convTranspose(tf: Tf, op: Extract<OpsOp, { kind: 'convTranspose' }>, input: Tensor, w: Tensor, bias: Tensor | undefined): Tensor {
  let x = input;
  const spatialAxes = Array.from({ length: op.dims }, (_, i) => i + 2);
  for (const [i, axis] of spatialAxes.entries()) {
    const s = op.stride[i];
    if (s === 1) continue;
    const len = x.shape[axis] as number;
    // (…, L, …) → (…, L, s, …) with zeros after each element → (…, L·s, …), cut to (L − 1)·s + 1.
    let t = tf.expandDims(x, axis + 1);
    t = tf.pad(t, t.shape.map((_, j): [number, number] => (j === axis + 1 ? [0, s - 1] : [0, 0])));
    t = tf.reshape(t, x.shape.map((d, j) => (j === axis ? len * s : (d as number))));
    x = tf.slice(t, t.shape.map(() => 0), t.shape.map((d, j) => (j === axis ? (len - 1) * s + 1 : (d as number))));
  }
  for (const [i, axis] of spatialAxes.entries()) {
    const lo = op.dilation[i] * (op.kernel[i] - 1) - op.padding[i];
    const hi = lo + op.outputPadding[i];
    if (lo > 0 || hi > 0) x = tf.pad(x, x.shape.map((_, j): [number, number] => (j === axis ? [Math.max(lo, 0), Math.max(hi, 0)] : [0, 0])));
    if (lo < 0 || hi < 0) {
      const len = x.shape[axis] as number;
      const from = Math.max(-lo, 0);
      x = tf.slice(x, x.shape.map((_, j) => (j === axis ? from : 0)), x.shape.map((d, j) => (j === axis ? len - from - Math.max(-hi, 0) : (d as number))));
    }
  }
  const kernel = tf.transpose(tf.reverse(w, spatialAxes), [1, 0, ...spatialAxes]);
  const spatial = op.shape.slice(2);
  const ones = spatialAxes.map(() => 1);
  let y: Tensor;
  if (op.dims === 3) y = convolve3d(tf, x, kernel, ones, spatialAxes.map(() => 0), op.dilation, spatial);
  else if (op.dims === 2) y = convolve(tf, x, kernel, [1, 1], [0, 0], [op.dilation[0], op.dilation[1]], [spatial[0], spatial[1]]);
  else y = tf.squeeze(convolve(tf, tf.expandDims(x, 2), tf.expandDims(kernel, 2), [1, 1], [0, 0], [1, op.dilation[0]], [1, spatial[0]]), [2]);
  if (bias) y = tf.add(y, tf.reshape(bias, [1, -1, ...ones]));
  return y;
}

/**
 * A 3-d convolution of NCDHW `x` with weight (out, in, kd, kh, kw), the way {@link convolve} does 2-d: the input laid
 * out (D·H·W, N, C), one product per kernel tap at its offset, every position computed at stride 1, then the strided
 * positions kept.
 */
function convolve3d(tf: Tf, x: Tensor, w: Tensor, stride: readonly number[], padding: readonly number[], dilation: readonly number[], out: readonly number[]): Tensor {
  const [n, c] = x.shape as number[];
  const [cout, , kd, kh, kw] = w.shape as number[];
  let t = tf.transpose(x, [2, 3, 4, 0, 1]);
  if (padding.some((p) => p > 0)) t = tf.pad(t, [[padding[0], padding[0]], [padding[1], padding[1]], [padding[2], padding[2]], [0, 0], [0, 0]]);
  const [dp, hp, wp] = t.shape as number[];
  const depth = dp - (kd - 1) * dilation[0];
  const offsets: number[] = [];
  for (let i = 0; i < kd; i++) for (let j = 0; j < kh; j++) for (let k = 0; k < kw; k++) offsets.push(i * dilation[0] * hp * wp + j * dilation[1] * wp + k * dilation[2]);
  const overrun = (kh - 1) * dilation[1] * wp + (kw - 1) * dilation[2];
  let flat = tf.reshape(t, [dp * hp * wp, n, c]);
  if (overrun > 0) flat = tf.concat([flat, tf.zeros([overrun, n, c])], 0);
  const taps = tf.reshape(tf.transpose(w, [2, 3, 4, 1, 0]), [kd * kh * kw, c, cout]);
  const full = tf.reshape(tapProducts(tf, flat, taps, offsets, depth * hp * wp), [depth, hp, wp, n, cout]);
  // Positions 0, s, 2s, … of each axis, `out` of them.
  let y = full;
  for (let axis = 0; axis < 3; axis++) {
    const s = stride[axis];
    const want = out[axis] * s;
    const have = y.shape[axis] as number;
    if (have > want) y = tf.slice(y, y.shape.map(() => 0), y.shape.map((d, i) => (i === axis ? want : (d as number))));
    else if (have < want) y = tf.pad(y, y.shape.map((_, i): [number, number] => (i === axis ? [0, want - have] : [0, 0])));
    if (s > 1) {
      const split = tf.reshape(y, [...y.shape.slice(0, axis), out[axis], s, ...y.shape.slice(axis + 1)] as number[]);
      y = tf.reshape(tf.slice(split, split.shape.map(() => 0), split.shape.map((d, i) => (i === axis + 1 ? 1 : (d as number)))), [...y.shape.slice(0, axis), out[axis], ...y.shape.slice(axis + 1)] as number[]);
    }
  }
  return tf.transpose(y, [3, 4, 0, 1, 2]);
}

/**
 * nn.RNN / LSTM / GRU over a whole sequence as PyTorch 1.13's CPU kernels
 * compute it (aten/src/ATen/native/RNN.cpp: `FullLayer`, `FullBidirectionalLayer`
 * and the cells): h0 = c0 = 0, the input projection `x·W_ihᵀ + b_ih` of every
 * step at once, then per step `h·W_hhᵀ + b_hh` and the cell. Gates in
 * PyTorch's order: LSTM i, f, g, o; GRU r, z, n with
 * n = tanh(W_in x + b_in + r ∘ (W_hn h + b_hn)). The reverse direction runs
 * from the last step; each layer's input is the previous layer's output,
 * both directions concatenated (no dropout between layers: it is off).
 */
function recurrent(tf: Tf, op: RnnOp, input: Tensor, param: (name: string) => Tensor): { out: Tensor; h: Tensor; c?: Tensor } {
  const sequence = op.batchFirst ? tf.transpose(input, [1, 0, 2]) : input;
  const [steps, batch] = sequence.shape as number[];
  const hidden = op.hidden;
  const gates = op.cell === 'lstm' ? 4 : op.cell === 'gru' ? 3 : 1;
  const directions = op.bidirectional ? 2 : 1;
  const finalH: Tensor[] = [];
  const finalC: Tensor[] = [];
  let layerInput = sequence;
  for (let l = 0; l < op.layers; l++) {
    const outputs: Tensor[] = [];
    for (let d = 0; d < directions; d++) {
      const suffix = `_l${l}${d === 1 ? '_reverse' : ''}`;
      const wIh = param(`weight_ih${suffix}`);
      const wHh = param(`weight_hh${suffix}`);
      const bIh = op.bias ? param(`bias_ih${suffix}`) : undefined;
      const bHh = op.bias ? param(`bias_hh${suffix}`) : undefined;
      const width = layerInput.shape[2] as number;
      // W_hhᵀ once per sequence, not once per step.
      const wHhT = tf.transpose(wHh);
      let projected = linearProduct(tf, tf.reshape(layerInput, [steps * batch, width]), wIh);
      if (bIh) projected = tf.add(projected, bIh);
      const xs = tf.unstack(tf.reshape(projected, [steps, batch, gates * hidden]));
      let h: Tensor = tf.zeros([batch, hidden]);
      let c: Tensor = tf.zeros([batch, hidden]);
      const ys: Tensor[] = new Array(steps);
      for (let k = 0; k < steps; k++) {
        const t = d === 0 ? k : steps - 1 - k;
        let hh = stepProduct(tf, h, wHh, wHhT);
        if (bHh) hh = tf.add(hh, bHh);
        switch (op.cell) {
          case 'rnn_tanh':
            h = tf.tanh(tf.add(hh, xs[t]));
            break;
          case 'rnn_relu':
            h = tf.relu(tf.add(hh, xs[t]));
            break;
          case 'lstm': {
            const [i, f, g, o] = tf.split(tf.add(hh, xs[t]), 4, 1);
            c = tf.add(tf.mul(tf.sigmoid(f), c), tf.mul(tf.sigmoid(i), tf.tanh(g)));
            h = tf.mul(tf.sigmoid(o), tf.tanh(c));
            break;
          }
          case 'gru': {
            const [xr, xz, xn] = tf.split(xs[t], 3, 1);
            const [hr, hz, hn] = tf.split(hh, 3, 1);
            const r = tf.sigmoid(tf.add(hr, xr));
            const z = tf.sigmoid(tf.add(hz, xz));
            const n = tf.tanh(tf.add(xn, tf.mul(hn, r)));
            // (h − n)·z + n, as GRUCell writes h' = (1 − z)·n + z·h.
            h = tf.add(tf.mul(tf.sub(h, n), z), n);
            break;
          }
        }
        ys[t] = h;
      }
      outputs.push(tf.stack(ys));
      finalH.push(h);
      if (op.cell === 'lstm') finalC.push(c);
    }
    layerInput = outputs.length === 1 ? outputs[0] : tf.concat(outputs, 2);
  }
  const out = op.batchFirst ? tf.transpose(layerInput, [1, 0, 2]) : layerInput;
  return { out, h: tf.stack(finalH), ...(finalC.length > 0 ? { c: tf.stack(finalC) } : {}) };
}

/**
 * A 2-d convolution of NCHW `x` with PyTorch's weight (out, in, kh, kw), as
 * one matrix product per kernel tap over the input laid out (H·W, N, C):
 * each tap's inputs are then one contiguous run of that layout, at the
 * tap's offset, and the output is computed at every position of a row
 * (stride 1), the columns past the edge and between strides cut at the end.
 * TensorFlow.js's own conv2d would need no such care, but its cpu backend
 * takes minutes for the input gradient at MNIST's sizes and has no gradient
 * for dilations; this uses only contiguous slices, products and sums. On
 * wasm, tf.conv2d runs it instead ({@link directConv}).
 */
function convolve(tf: Tf, x: Tensor, w: Tensor, stride: [number, number], padding: [number, number], dilation: [number, number], out: [number, number], inputGrad = true): Tensor {
  if (directConvolves(tf, w, stride, padding, dilation)) return tf.transpose(directConv(tf, toLast(tf, x), w, stride, padding, dilation, out, inputGrad), [0, 3, 1, 2]);
  const [n, c] = x.shape;
  const [cout, , kh, kw] = w.shape;
  let t = tf.transpose(x, [2, 3, 0, 1]);
  if (padding[0] > 0 || padding[1] > 0) t = tf.pad(t, [[padding[0], padding[0]], [padding[1], padding[1]], [0, 0], [0, 0]]);
  const [hp, wp] = t.shape;
  const rows = hp - (kh - 1) * dilation[0];
  const offsets: number[] = [];
  for (let i = 0; i < kh; i++) for (let j = 0; j < kw; j++) offsets.push(i * dilation[0] * wp + j * dilation[1]);
  // The last taps read past the last row by up to (kw − 1)·dilation positions, into columns that are cut.
  const overrun = (kw - 1) * dilation[1];
  let flat = tf.reshape(t, [hp * wp, n, c]);
  if (overrun > 0) flat = tf.concat([flat, tf.zeros([overrun, n, c])], 0);
  const taps = tf.reshape(tf.transpose(w, [2, 3, 1, 0]), [kh * kw, c, cout]);
  const full = tf.reshape(tapProducts(tf, flat, taps, offsets, rows * wp), [rows, wp, n, cout]);
  return tf.transpose(strided(tf, full, stride, out), [2, 3, 0, 1]);
}

/**
 * Backends whose own Conv2D kernel is fast: wasm's is XNNPACK's. There the tap products above
 * compute every position at stride 1 and hold every tap's product and partial sum to the end
 * of the op (ResNet-18's 7×7 stem at batch 8: 49 of 8×64×230×230 values, past the wasm heap).
 * Not cpu (its Conv2D is a scalar loop), nor the GPU backends (not measured).
 */
const DIRECT_CONV_BACKENDS: ReadonlySet<string> = new Set(['wasm']);

/**
 * Whether {@link directConv} runs this convolution: on a backend of {@link DIRECT_CONV_BACKENDS}
 * that registers Conv2D, with the strides or the dilations all 1 (tf.conv2d takes no other),
 * and no padding past the dilated kernel (what the gradient's convolutions assume).
 */
function directConvolves(tf: Tf, w: Tensor, stride: [number, number], padding: [number, number], dilation: [number, number]): boolean {
  const backend = tf.getBackend();
  if (!DIRECT_CONV_BACKENDS.has(backend) || !tf.getKernel('Conv2D', backend)) return false;
  if (!(stride.every((s) => s === 1) || dilation.every((d) => d === 1))) return false;
  return padding.every((p, a) => p <= dilation[a] * ((w.shape[2 + a] as number) - 1));
}

/**
 * A convolution of NHWC `x` with PyTorch's weight (out, in, kh, kw) by tf.conv2d, computed at the output positions
 * only, its gradient by forward convolutions too (the backend's Conv2DBackpropInput is a scalar
 * loop on wasm, about 10× slower than its Conv2D, and it registers no Conv2DBackpropFilter):
 * - the kernel's: each tap (i, j) sums x at (s·ho + d·i, s·wo + d·j) times dy at (ho, wo), a
 *   convolution of x with batch and channels swapped, dy as the kernel, dilated by the stride
 *   (at stride 1: strided by the dilation);
 * - the input's, where it is wanted (not for the model's input): at stride 1, dy convolved with
 *   the kernel flipped, its in/out swapped, padded by d·(k − 1) − p; at stride s, for each phase
 *   (a, b) of the padded input (rows ≡ a, columns ≡ b mod s) the same with the taps of that
 *   phase (i ≡ a, j ≡ b), the phases then interleaved: each product done once, as in the forward.
 */
function directConv(tf: Tf, x: Tensor, w: Tensor, stride: [number, number], padding: [number, number], dilation: [number, number], out: [number, number], inputGrad: boolean): Tensor {
  const [n, h, wid, c] = x.shape as number[];
  const [, , kh, kw] = w.shape as number[];
  const k = [kh, kw];
  const size = [h, wid];
  const pad = (lo: [number, number], hi: [number, number]): [[number, number], [number, number], [number, number], [number, number]] => [[0, 0], [lo[0], hi[0]], [lo[1], hi[1]], [0, 0]];
  const all = (len: number) => Array.from({ length: len }, (_, i) => i);
  const forward = (xs: Tensor, ws: Tensor) => tf.conv2d(xs as tfc.Tensor4D, kernelTaps(tf, ws, all(kh), all(kw), false), stride, pad(padding, padding), 'NHWC', dilation);
  const kernelGrad = (xs: Tensor, dy: Tensor): Tensor => {
    // Rows and columns of the padded input that a tap reads: s·(out − 1) + d·(k − 1) + 1, from the top-left padding.
    const extent = [0, 1].map((a) => stride[a] * (out[a] - 1) + dilation[a] * (k[a] - 1) + 1);
    const used = [0, 1].map((a) => Math.min(size[a], extent[a] - padding[a]));
    let t = tf.transpose(xs, [3, 1, 2, 0]);
    if (used[0] < h || used[1] < wid) t = tf.slice(t, [0, 0, 0, 0], [c, used[0], used[1], n]);
    const hi: [number, number] = [extent[0] - padding[0] - used[0], extent[1] - padding[1] - used[1]];
    const byStride = dilation.every((d) => d === 1);
    const g = tf.conv2d(t as tfc.Tensor4D, tf.transpose(dy, [1, 2, 0, 3]) as tfc.Tensor4D, byStride ? 1 : dilation, pad(padding, hi), 'NHWC', byStride ? stride : 1);
    return weightOf(tf, g);
  };
  const inputGradOf = (dy: Tensor, ws: Tensor): Tensor => {
    // Flipped (each list of taps descending), (out, in) swapped.
    const kernelOf = (rows: number[], cols: number[]) => kernelTaps(tf, ws, rows, cols, true);
    const descending = (from: number, to: number, step: number) => Array.from({ length: Math.ceil((to - from) / step) }, (_, m) => to - 1 - ((to - 1 - from) % step) - m * step);
    if (stride.every((s) => s === 1)) {
      const lo: [number, number] = [dilation[0] * (kh - 1) - padding[0], dilation[1] * (kw - 1) - padding[1]];
      return tf.conv2d(dy as tfc.Tensor4D, kernelOf(descending(0, kh, 1), descending(0, kw, 1)), 1, pad(lo, lo), 'NHWC', dilation);
    }
    // Each phase's length, enough for every tap's product and for the input's last row past its padding.
    const q = [0, 1].map((a) => Math.max(out[a] + Math.ceil(k[a] / stride[a]) - 1, Math.ceil((padding[a] + size[a]) / stride[a])));
    const phases: Tensor[] = [];
    for (let a = 0; a < stride[0]; a++)
      for (let b = 0; b < stride[1]; b++) {
        // This phase's taps a, a + s, … (b, b + s, …), last first.
        const rows = a < kh ? descending(a, kh, stride[0]) : [];
        const cols = b < kw ? descending(b, kw, stride[1]) : [];
        if (rows.length === 0 || cols.length === 0) {
          phases.push(tf.zeros([n, q[0], q[1], c]));
          continue;
        }
        phases.push(tf.conv2d(dy as tfc.Tensor4D, kernelOf(rows, cols), 1, pad([rows.length - 1, cols.length - 1], [q[0] - out[0], q[1] - out[1]]), 'NHWC'));
      }
    const woven = tf.reshape(tf.transpose(tf.reshape(tf.stack(phases), [stride[0], stride[1], n, q[0], q[1], c]), [2, 3, 0, 4, 1, 5]), [n, q[0] * stride[0], q[1] * stride[1], c]);
    return tf.slice(woven, [0, padding[0], padding[1], 0], [n, h, wid, c]);
  };
  if (!inputGrad) {
    // The model's input: a constant, its gradient never computed.
    const op = tf.customGrad((...args: (Tensor | ((save: Tensor[]) => void))[]) => {
      const [ws, save] = args as [Tensor, (save: Tensor[]) => void];
      // Saved, not closed over: the forward's intermediates (this x) are freed before the backward pass.
      save([x]);
      return { value: forward(x, ws), gradFunc: (dy: Tensor, saved: Tensor[]) => [tf.tidy(() => kernelGrad(saved[0], dy))] };
    });
    return op(w);
  }
  const op = tf.customGrad((...args: (Tensor | ((save: Tensor[]) => void))[]) => {
    const [xs, ws, save] = args as [Tensor, Tensor, (save: Tensor[]) => void];
    save([xs, ws]);
    return {
      value: forward(xs, ws),
      gradFunc: (dy: Tensor, saved: Tensor[]) => tf.tidy(() => [inputGradOf(dy, saved[1]), kernelGrad(saved[0], dy)]),
    };
  });
  return op(x, w);
}

/**
 * The taps (`rows[r]`, `cols[q]`) of a weight (out, in, kh, kw) as a tf.conv2d kernel (r, q, in, out),
 * or (r, q, out, in) with `swapped`: relaid in JavaScript from the values read back (synchronous and
 * a copy on wasm, whose memory they are in). wasm's Transpose, Reverse and Gather go element by
 * element, 10 to 100 ms for a 512×512×3×3 kernel where this takes 5.
 */
function kernelTaps(tf: Tf, w: Tensor, rows: readonly number[], cols: readonly number[], swapped: boolean): tfc.Tensor4D {
  const [cout, c, kh, kw] = w.shape as number[];
  const src = w.dataSync() as Float32Array;
  const dst = new Float32Array(rows.length * cols.length * cout * c);
  let at = 0;
  for (const i of rows)
    for (const j of cols) {
      const tap = i * kw + j;
      if (swapped) for (let o = 0; o < cout; o++) for (let k = 0; k < c; k++) dst[at++] = src[(o * c + k) * kh * kw + tap];
      else for (let k = 0; k < c; k++) for (let o = 0; o < cout; o++) dst[at++] = src[(o * c + k) * kh * kw + tap];
    }
  return tf.tensor4d(dst, [rows.length, cols.length, swapped ? cout : c, swapped ? c : cout]);
}

/** A kernel gradient (in, kh, kw, out) as PyTorch's weight layout (out, in, kh, kw), relaid as {@link kernelTaps} does. */
function weightOf(tf: Tf, g: Tensor): Tensor {
  const [c, kh, kw, cout] = g.shape as number[];
  const src = g.dataSync() as Float32Array;
  const dst = new Float32Array(src.length);
  const taps = kh * kw;
  for (let k = 0; k < c; k++) for (let t = 0; t < taps; t++) for (let o = 0; o < cout; o++) dst[(o * c + k) * taps + t] = src[(k * taps + t) * cout + o];
  return tf.tensor4d(dst, [cout, c, kh, kw]);
}

/** Σ over taps of (`flat` from the tap's offset, `length` positions) · (its C×out matrix), with the gradient written the same way. */
function tapProducts(tf: Tf, flat: Tensor, taps: Tensor, offsets: readonly number[], length: number): Tensor {
  const [positions, n, c] = flat.shape;
  const cout = taps.shape[2] as number;
  const tapOf = (x: Tensor, o: number) => tf.reshape(tf.slice(x, [o, 0, 0], [length, n, c]), [length * n, c]);
  const kernelOf = (k: Tensor, t: number) => tf.reshape(tf.slice(k, [t, 0, 0], [1, c, cout]), [c, cout]);
  const op = tf.customGrad((...args: (Tensor | ((save: Tensor[]) => void))[]) => {
    const [x, k, save] = args as [Tensor, Tensor, (save: Tensor[]) => void];
    save([x, k]);
    let y: Tensor | undefined;
    offsets.forEach((o, t) => {
      const p = tf.matMul(tapOf(x, o), kernelOf(k, t));
      y = y ? tf.add(y, p) : p;
    });
    return {
      value: tf.reshape(y as Tensor, [length, n, cout]),
      gradFunc: (dy: Tensor, saved: Tensor[]) => {
        const [xs, ks] = saved;
        const g = tf.reshape(dy, [length * n, cout]);
        const dk: Tensor[] = [];
        let dx: Tensor | undefined;
        offsets.forEach((o, t) => {
          dk.push(product(tf, tapOf(xs, o), g, true, false));
          const dtap = tf.reshape(product(tf, g, kernelOf(ks, t), false, true), [length, n, c]);
          const parts = [...(o > 0 ? [tf.zeros([o, n, c])] : []), dtap, ...(positions - o - length > 0 ? [tf.zeros([positions - o - length, n, c])] : [])];
          const placed = parts.length === 1 ? parts[0] : tf.concat(parts, 0);
          dx = dx ? tf.add(dx, placed) : placed;
        });
        return [dx as Tensor, tf.stack(dk, 0)];
      },
    };
  });
  return op(flat, taps);
}

/**
 * A matrix product with its operands' transposes made explicit: the wasm
 * backend's transposed products are 7× (b) and 30× (a) slower than plain ones
 * at 256×1024×1024 (XNNPACK takes only the plain layout), the same products
 * and sums otherwise.
 */
function product(tf: Tf, a: Tensor, b: Tensor, transposeA = false, transposeB = false): Tensor {
  return tf.matMul(transposeA ? tf.transpose(a) : a, transposeB ? tf.transpose(b) : b);
}

/** x · Wᵀ with its gradient written as plain products: dx = dy · W, dW = dyᵀ · x (what tfjs's own BatchMatMul gradient computes, with transposed products). */
function linearProduct(tf: Tf, x: Tensor, w: Tensor): Tensor {
  const op = tf.customGrad((...args: (Tensor | ((save: Tensor[]) => void))[]) => {
    const [xs, ws, save] = args as [Tensor, Tensor, (save: Tensor[]) => void];
    save([xs, ws]);
    return {
      value: product(tf, xs, ws, false, true),
      gradFunc: (dy: Tensor, saved: Tensor[]) => [product(tf, dy, saved[1]), product(tf, dy, saved[0], true, false)],
    };
  });
  return op(x, w);
}

/**
 * h · Wᵀ for one time step, `wT` being Wᵀ formed once for the whole
 * sequence: `linearProduct` would transpose W at every step. The gradient
 * is the same plain products (dh = dy · W, dW = dyᵀ · h).
 */
function stepProduct(tf: Tf, h: Tensor, w: Tensor, wT: Tensor): Tensor {
  const op = tf.customGrad((...args: (Tensor | ((save: Tensor[]) => void))[]) => {
    const [hs, ws, save] = args as [Tensor, Tensor, (save: Tensor[]) => void];
    save([hs, ws]);
    return {
      value: tf.matMul(hs, wT),
      gradFunc: (dy: Tensor, saved: Tensor[]) => [product(tf, dy, saved[1]), product(tf, dy, saved[0], true, false)],
    };
  });
  return op(h, w);
}

/**
 * A grouped convolution (PyTorch `groups`): output channels [k·out/g, (k+1)·out/g) read input channels
 * [k·in/g, (k+1)·in/g). Depthwise (one input channel per group, MobileNet's) as per-tap products of the
 * shifted input with each channel's tap, summed; otherwise each group's convolution, concatenated.
 */
function groupedConv(tf: Tf, x: Tensor, w: Tensor, groups: number, stride: [number, number], padding: [number, number], dilation: [number, number], out: [number, number], inputGrad: boolean): Tensor {
  const [cout, cin, kh, kw] = w.shape;
  const [n, c, h, wd] = x.shape;
  if (cin !== 1 || groups !== c) {
    const xs = tf.split(x, groups, 1);
    const ws = tf.split(w, groups, 0);
    return tf.concat(xs.map((xg, k) => convolve(tf, xg, ws[k], stride, padding, dilation, out, inputGrad)), 1);
  }
  // Each input channel repeated out/groups times in a row: output channel o reads input channel ⌊o·g/out⌋.
  const repeat = cout / c;
  const xr = repeat === 1 ? x : tf.reshape(tf.broadcastTo(tf.reshape(x, [n, c, 1, h * wd]), [n, c, repeat, h * wd]), [n, cout, h, wd]);
  let t = tf.transpose(xr, [2, 3, 0, 1]);
  if (padding[0] > 0 || padding[1] > 0) t = tf.pad(t, [[padding[0], padding[0]], [padding[1], padding[1]], [0, 0], [0, 0]]);
  const [hp, wp] = t.shape;
  const rows = hp - (kh - 1) * dilation[0];
  const cols = wp - (kw - 1) * dilation[1];
  // (cout, 1, kh, kw) → (kh·kw, cout): one row of channel factors per tap.
  const taps = tf.transpose(tf.reshape(w, [cout, kh * kw]), [1, 0]);
  const terms: Tensor[] = [];
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      const shifted = tf.slice(t, [i * dilation[0], j * dilation[1], 0, 0], [rows, cols, n, cout]);
      terms.push(tf.mul(shifted, tf.reshape(tf.slice(taps, [i * kw + j, 0], [1, cout]), [1, 1, 1, cout])));
    }
  }
  const full = terms.length === 1 ? terms[0] : tf.addN(terms);
  return tf.transpose(strided(tf, full, stride, out), [2, 3, 0, 1]);
}

/** Rows 0, s, 2s, … and columns likewise of a (rows, cols, …) tensor, `out` of each. */
function strided(tf: Tf, full: Tensor, stride: [number, number], out: [number, number]): Tensor {
  const [rows, cols, ...rest] = full.shape;
  const zeros = rest.map(() => 0);
  if (stride[0] === 1 && stride[1] === 1) return tf.slice(full, [0, 0, ...zeros], [out[0], out[1], ...rest]);
  // Cut or pad each axis to out·stride, split it into (out, stride), keep the first of each stride.
  const fit = (t: Tensor, axis: number, want: number, have: number) => {
    if (have > want) return tf.slice(t, t.shape.map(() => 0), t.shape.map((d, i) => (i === axis ? want : d)));
    if (have < want) return tf.pad(t, t.shape.map((_, i): [number, number] => (i === axis ? [0, want - have] : [0, 0])));
    return t;
  };
  const t = fit(fit(full, 0, out[0] * stride[0], rows), 1, out[1] * stride[1], cols);
  const split = tf.reshape(t, [out[0], stride[0], out[1], stride[1], ...rest]);
  return tf.reshape(tf.slice(split, [0, 0, 0, 0, ...zeros], [out[0], 1, out[1], 1, ...rest]), [out[0], out[1], ...rest]);
}

/**
 * {@link normalize} over the batch and positions of each channel, its gradient written out as
 * torch's batch_norm_backward computes it (aten/src/ATen/native/Normalization.cpp):
 * dx = w·invstd·(dy − mean(dy) − x̂·mean(dy·x̂)), dw = Σ dy·x̂, db = Σ dy. Only the input, the
 * batch's mean and invstd are kept for it: through tfjs's own gradients of the moments, the
 * subtraction and the products, every channel's values were kept twice more and the backward
 * pass made six tensors of their size.
 */
function batchNorm(tf: Tf, x: Tensor, axes: number[], eps: number, affine: [Tensor, Tensor] | undefined): Tensor {
  const shape = [1, x.shape[1] as number, ...Array<number>(x.rank - 2).fill(1)];
  const count = x.size / (x.shape[1] as number);
  const op = tf.customGrad((...args: (Tensor | ((save: Tensor[]) => void))[]) => {
    const save = args[args.length - 1] as (save: Tensor[]) => void;
    const [xs, weight, bias] = args.slice(0, -1) as Tensor[];
    const { mean, invstd } = batchMoments(tf, xs, axes, eps);
    save([xs, mean, invstd, ...(weight ? [weight] : [])]);
    let y = tf.mul(tf.sub(xs, mean), invstd);
    if (weight && bias) y = tf.add(tf.mul(y, tf.reshape(weight, shape)), tf.reshape(bias, shape));
    return {
      value: y,
      gradFunc: (dy: Tensor, saved: Tensor[]) =>
        tf.tidy(() => {
          const [xs, mean, invstd, weight] = saved;
          const normalized = tf.mul(tf.sub(xs, mean), invstd);
          const dBias = channelSum(tf, dy, axes);
          const dWeight = channelSum(tf, tf.mul(dy, normalized), axes);
          const centered = tf.sub(tf.sub(dy, tf.div(tf.reshape(dBias, shape), count)), tf.mul(normalized, tf.div(tf.reshape(dWeight, shape), count)));
          const dx = tf.mul(centered, weight ? tf.mul(invstd, tf.reshape(weight, shape)) : invstd);
          return weight ? [dx, dWeight, dBias] : [dx];
        }),
    };
  });
  return affine ? op(x, affine[0], affine[1]) : op(x);
}

/** (x − mean) / √(var + eps), biased variance over `axes`, then weight and bias shaped `affineShape`. */
function normalize(tf: Tf, x: Tensor, axes: number[], eps: number, affine: [Tensor, Tensor] | undefined, affineShape: number[]): Tensor {
  const { mean, variance } = tf.moments(x, axes, true);
  let y = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, eps)));
  if (affine) y = tf.add(tf.mul(y, tf.reshape(affine[0], affineShape)), tf.reshape(affine[1], affineShape));
  return y;
}

function pool(tf: Tf, input: Tensor, mode: 'max' | 'avg', kernel: readonly number[], stride: readonly number[], padding: readonly number[]): Tensor {
  let x = toLast(tf, input);
  const oneD = input.rank === 3;
  // 1-d pooling as 2-d over a height of 1.
  if (oneD) x = tf.expandDims(x, 1);
  const k: [number, number] = oneD ? [1, kernel[0]] : [kernel[0], kernel[1]];
  const s: [number, number] = oneD ? [1, stride[0]] : [stride[0], stride[1]];
  const p = oneD ? [0, padding[0]] : [padding[0], padding[1]];
  // PyTorch pads max pooling with −∞ and counts the zero padding in the average (count_include_pad=True).
  if (p.some((v) => v > 0)) x = tf.pad(x, [[0, 0], [p[0], p[0]], [p[1], p[1]], [0, 0]], mode === 'max' ? -Infinity : 0);
  let y = mode === 'max' ? maxPool(tf, x as tfc.Tensor4D, k, s) : tf.avgPool(x as tfc.Tensor4D, k, s, 'valid');
  if (oneD) y = tf.squeeze(y, [1]);
  return toFirst(tf, y);
}

/**
 * Max pooling (NHWC, no padding), on wasm with its gradient computed here: the wasm backend's
 * MaxPoolGrad loses part of the gradient for some windows (2×1 and 1×2, the 1-d poolings: a third
 * of Conv1dNet's) and is a scalar loop. Each window's gradient goes to its first maximum in
 * row-major order, as torch's max_pool2d_with_indices takes it (`val > maxval`), on the values
 * read back (synchronous and a copy on wasm).
 */
function maxPool(tf: Tf, x: tfc.Tensor4D, k: [number, number], s: [number, number]): Tensor {
  if (tf.getBackend() !== 'wasm') return tf.maxPool(x, k, s, 'valid');
  const op = tf.customGrad((...args: (Tensor | ((save: Tensor[]) => void))[]) => {
    const [xs, save] = args as [tfc.Tensor4D, (save: Tensor[]) => void];
    save([xs]);
    return {
      value: tf.maxPool(xs, k, s, 'valid'),
      gradFunc: (dy: Tensor, saved: Tensor[]) => {
        const [n, h, w, c] = saved[0].shape as number[];
        const [, ho, wo] = dy.shape as number[];
        const values = saved[0].dataSync() as Float32Array;
        const g = dy.dataSync() as Float32Array;
        const dx = new Float32Array(values.length);
        const best = new Float32Array(c);
        const at = new Int32Array(c);
        for (let b = 0; b < n; b++)
          for (let oh = 0; oh < ho; oh++)
            for (let ow = 0; ow < wo; ow++) {
              best.fill(-Infinity);
              at.fill(-1);
              for (let i = 0; i < k[0]; i++)
                for (let j = 0; j < k[1]; j++) {
                  const base = ((b * h + oh * s[0] + i) * w + ow * s[1] + j) * c;
                  for (let ch = 0; ch < c; ch++) {
                    const v = values[base + ch];
                    if (v > best[ch] || at[ch] < 0) {
                      best[ch] = v;
                      at[ch] = base + ch;
                    }
                  }
                }
              const from = ((b * ho + oh) * wo + ow) * c;
              for (let ch = 0; ch < c; ch++) dx[at[ch]] += g[from + ch];
            }
        return [tf.tensor4d(dx, [n, h, w, c])];
      },
    };
  });
  return op(x);
}

/** The activations of the catalog, as torch.nn.functional defines them. */
function activate(tf: Tf, a: SimActivation, x: Tensor): Tensor {
  switch (a.kind) {
    case 'relu':
      return tf.relu(x);
    case 'relu6':
      return relu6(tf, x);
    case 'leaky_relu':
    case 'prelu':
      return tf.leakyRelu(x, a.slope ?? 0.01);
    case 'elu':
    case 'celu':
      // alpha = 1 (the only value the graph admits): CELU(1) is ELU(1).
      return tf.elu(x);
    case 'selu':
      return tf.selu(x);
    case 'gelu':
      // The exact GELU, x·Φ(x) (approximate='none').
      return tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1));
    case 'silu':
      return tf.mul(x, tf.sigmoid(x));
    case 'mish':
      return tf.mul(x, tf.tanh(tf.softplus(x)));
    case 'hardswish':
      return hardswish(tf, x);
    case 'tanh':
      return tf.tanh(x);
    case 'sigmoid':
      return tf.sigmoid(x);
    case 'hardtanh':
      return hardtanh(tf, x);
    case 'softsign':
      return tf.div(x, tf.add(tf.abs(x), 1));
    case 'softplus':
      return tf.softplus(x);
    case 'softmax':
    case 'log_softmax': {
      const dim = a.dim ?? x.rank - 1;
      const f = (t: Tensor) => (a.kind === 'softmax' ? tf.softmax(t) : tf.logSoftmax(t));
      if (dim === x.rank - 1) return f(x);
      // Along another axis: move it last and back.
      const perm = Array.from({ length: x.rank }, (_, i) => i).filter((i) => i !== dim).concat(dim);
      const inverse = perm.map((_, i) => perm.indexOf(i));
      return tf.transpose(f(tf.transpose(x, perm)), inverse);
    }
  }
}
