/**
 * Keras / tf.keras models: `Sequential([...])` (and `.add(...)`), the
 * functional API (`x = layers.Dense(64)(x)` ... `keras.Model(inputs, outputs)`),
 * and subclassed `keras.Model`s. Input widths come from shape inference
 * (channels-last, as Keras builds kernels), so `Dense(10)` after
 * `Flatten()` after `Conv2D(32, 3)` on `Input((28, 28, 1))` knows its fan_in.
 */
import type { SyntaxNode } from '../python/parse';
import { sequenceElements, statements, stringValue, unwrap } from '../python/syntax';
import { functionCall, kerasActivationName, kerasLayer, type Activation } from './activations';
import { lookupLayer } from './catalog';
import { bindCall, type BoundCall, type Context } from './context';
import type { Scope, Value } from './evaluate';
import { kerasInitializerName, kerasInitializerObject } from './initCalls';
import { draftLayer, explicitInit, type LayerDraft } from './layer';

export interface KerasModelDraft {
  readonly name: string;
  readonly kind: 'keras-sequential' | 'keras-functional' | 'keras-subclass';
  readonly node: SyntaxNode;
  readonly layers: LayerDraft[];
}

/** A tensor shape without the batch dimension; undefined entries are unknown. */
type Shape = readonly (number | undefined)[] | undefined;

const KERAS_MODULES = ['tensorflow.keras', 'keras', 'tf_keras'];

export function isKerasName(qualified: string | undefined, suffixes: readonly string[]): boolean {
  if (!qualified) return false;
  return KERAS_MODULES.some((m) => suffixes.some((s) => qualified === `${m}.${s}`));
}

/** Numbers of a tuple/int argument. */
function ints(value: Value | undefined, n: number): number[] | undefined {
  if (typeof value === 'number') return Array.from({ length: n }, () => value);
  if (Array.isArray(value) && value.every((v) => typeof v === 'number')) return value as number[];
  return undefined;
}

function shapeOf(value: Value | undefined): Shape {
  if (typeof value === 'number') return [value];
  if (Array.isArray(value)) return value.map((v) => (typeof v === 'number' ? v : undefined));
  return undefined;
}

/** The output shape of a layer given its input (channels-last). */
function propagate(type: string, call: BoundCall, input: Shape): Shape {
  const last = input ? input[input.length - 1] : undefined;
  switch (type) {
    case 'Dense': {
      const units = call.read('units', 0);
      return input && typeof units === 'number' ? [...input.slice(0, -1), units] : typeof units === 'number' ? [units] : undefined;
    }
    case 'Conv1D':
    case 'Conv2D':
    case 'Conv3D':
    case 'MaxPooling1D':
    case 'MaxPooling2D':
    case 'MaxPooling3D':
    case 'AveragePooling1D':
    case 'AveragePooling2D': {
      const rank = Number(/(\d)D/.exec(type)?.[1] ?? 2);
      const pooling = type.includes('Pooling');
      const kernel = ints(call.read(pooling ? 'pool_size' : 'kernel_size', pooling ? 0 : 1) ?? (pooling ? 2 : undefined), rank);
      const strides = ints(call.read('strides', pooling ? 1 : 2) ?? (pooling ? undefined : 1), rank) ?? kernel;
      const padding = call.read('padding', pooling ? 2 : 3) ?? 'valid';
      const channels = pooling ? last : call.read('filters', 0);
      if (!input || input.length !== rank + 1 || !kernel || !strides) return typeof channels === 'number' ? [...Array.from({ length: rank }, () => undefined), channels] : undefined;
      const spatial = input.slice(0, rank).map((n, i) => {
        if (n === undefined) return undefined;
        return padding === 'same' ? Math.ceil(n / strides[i]) : Math.floor((n - kernel[i]) / strides[i]) + 1;
      });
      return [...spatial, typeof channels === 'number' ? channels : undefined];
    }
    case 'Flatten':
      return input ? [input.every((d) => d !== undefined) ? (input as number[]).reduce((a, b) => a * b, 1) : undefined] : undefined;
    case 'GlobalAveragePooling1D':
    case 'GlobalAveragePooling2D':
    case 'GlobalMaxPooling2D':
      return [last];
    case 'Embedding': {
      const dim = call.read('output_dim', 1);
      return input && typeof dim === 'number' ? [...input, dim] : undefined;
    }
    case 'LSTM':
    case 'GRU':
    case 'SimpleRNN': {
      const units = call.read('units', 0);
      const sequences = call.read('return_sequences', -1) === true;
      if (typeof units !== 'number') return undefined;
      return sequences && input ? [...input.slice(0, -1), units] : [units];
    }
    case 'Reshape':
      return shapeOf(call.read('target_shape', 0));
    case 'Dropout':
    case 'BatchNormalization':
    case 'LayerNormalization':
    case 'Activation':
    case 'ReLU':
    case 'LeakyReLU':
    case 'PReLU':
    case 'ELU':
    case 'Softmax':
    case 'SpatialDropout1D':
    case 'SpatialDropout2D':
    case 'GaussianNoise':
      return input;
    default:
      return undefined;
  }
}

class KerasBuilder {
  readonly layers: LayerDraft[] = [];
  private pending: LayerDraft | undefined;
  private readonly counts = new Map<string, number>();

  /** The layer whose activation is still open (functional graphs set it per input). */
  get pendingLayer(): LayerDraft | undefined {
    return this.pending;
  }

  set pendingLayer(layer: LayerDraft | undefined) {
    this.pending = layer && !layer.activationSettled ? layer : undefined;
  }

  constructor(
    private readonly ctx: Context,
    private readonly scope: Scope,
  ) {}

  private layerType(call: BoundCall): string | undefined {
    const q = this.ctx.qualified(call.callee);
    if (!q) return undefined;
    const m = /^(?:tensorflow\.keras|keras|tf_keras)\.layers\.(\w+)$/.exec(q);
    return m?.[1];
  }

  /** Input shape declared on a layer (`input_shape=(784,)`, `input_dim=784`). */
  declaredInput(call: BoundCall): Shape {
    const shape = shapeOf(call.read('input_shape', -1));
    if (shape) return shape;
    const dim = call.read('input_dim', -1);
    return typeof dim === 'number' ? [dim] : undefined;
  }

  /** Adds one layer call in sequence; returns its output shape. */
  add(node: SyntaxNode, input: Shape, name?: string): Shape {
    const n = unwrap(node);
    if (n.name !== 'CallExpression') {
      this.settle(undefined);
      return undefined;
    }
    const call = bindCall(n, this.ctx, this.scope);
    if (call && isKerasName(this.ctx.qualified(call.callee), ['Input', 'layers.Input'])) return shapeOf(call.read('shape', 0));
    const type = call && this.layerType(call);
    if (!call || !type) {
      this.settle(undefined);
      return undefined;
    }
    if (type === 'InputLayer' || type === 'Input') return shapeOf(call.read('shape', 0) ?? call.read('input_shape', 0));
    const shape = this.declaredInput(call) ?? input;
    const spec = lookupLayer(`keras.layers.${type}`);
    if (spec) {
      if (spec.role === 'normalizer') {
        if (this.pending) this.pending.normalizer = type;
        const layer = draftLayer(spec, call, name ?? this.nextName(type, call), this.ctx, this.scope, shape && shape[shape.length - 1] !== undefined ? { in: shape[shape.length - 1] as number } : undefined);
        layer.activationSettled = true;
        this.layers.push(layer);
        return propagate(type, call, shape);
      }
      const inputWidth = shape ? shape[shape.length - 1] : undefined;
      const layer = draftLayer(spec, call, name ?? this.nextName(type, call), this.ctx, this.scope, inputWidth !== undefined ? { in: inputWidth } : undefined);
      this.initializers(layer, call);
      this.settle({ kind: 'identity' });
      // Recurrent layers apply their own activation (tanh unless `activation=` says otherwise).
      const builtin = spec.builtinActivation?.(layer.args);
      const activation = this.activationArgument(call) ?? (builtin ? kerasActivationName(builtin) : undefined);
      if (activation) {
        layer.activation = { activation, via: spec.builtinActivation ? 'builtin' : 'argument', ...spanOf(call.node_('activation', -1)) };
        layer.activationSettled = true;
        this.pending = undefined;
      } else {
        this.pending = layer;
      }
      this.layers.push(layer);
      return propagate(type, call, shape);
    }
    const classified = kerasLayer(type, call.read);
    if (classified?.role === 'activation') this.settle(classified.activation, n);
    else if (!classified) this.settle(undefined);
    return propagate(type, call, shape);
  }

  /** Keras's automatic layer names: `dense`, `dense_1`, `conv2d`, `batch_normalization`. */
  private nextName(type: string, call: BoundCall): string {
    const explicit = call.read('name', -1);
    if (typeof explicit === 'string') return explicit;
    const base = type.replace(/(.)([A-Z][a-z]+)/g, '$1_$2').replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase();
    const n = this.counts.get(base) ?? 0;
    this.counts.set(base, n + 1);
    return n === 0 ? base : `${base}_${n}`;
  }

  /** `activation="relu"`, `activation=tf.nn.relu`, `activation=keras.activations.gelu`. */
  private activationArgument(call: BoundCall): Activation | undefined {
    const node = call.node_('activation', -1);
    if (!node) return undefined;
    const name = stringValue(node, this.ctx.text);
    if (name !== undefined) return kerasActivationName(name);
    if (node.name === 'None') return { kind: 'identity' };
    const q = this.ctx.qualified(node);
    const classified = q ? functionCall(q, () => undefined) : undefined;
    return classified?.role === 'activation' ? classified.activation : undefined;
  }

  private initializers(layer: LayerDraft, call: BoundCall): void {
    for (const [arg, param] of [['kernel_initializer', 'kernel'], ['bias_initializer', 'bias'], ['embeddings_initializer', 'embeddings'], ['recurrent_initializer', 'recurrent_kernel']] as const) {
      const node = call.node_(arg, -1);
      if (!node) continue;
      if (arg === 'kernel_initializer') layer.kernelInitializer = node;
      const name = stringValue(node, this.ctx.text);
      let scheme = name !== undefined ? kerasInitializerName(name) ?? null : undefined;
      if (scheme === undefined && node.name === 'CallExpression') {
        const inner = bindCall(node, this.ctx, this.scope);
        const q = inner ? this.ctx.qualified(inner.callee) : undefined;
        const cls = q?.slice(q.lastIndexOf('.') + 1);
        scheme = inner && cls ? kerasInitializerObject(cls, inner.readStrict) ?? null : null;
      }
      layer.explicit.set(param, explicitInit(scheme ?? null, node, 'keras', this.ctx.slice(node)));
    }
  }

  /** The pending layer's activation is decided. */
  settle(activation: Activation | undefined, at?: SyntaxNode): void {
    if (this.pending && !this.pending.activationSettled) {
      if (activation) this.pending.activation = { activation, via: 'sequential', ...spanOf(at) };
      this.pending.activationSettled = true;
    }
    this.pending = undefined;
  }

  /** The last layer feeds the model's output. */
  finish(): void {
    if (this.pending && !this.pending.activationSettled) {
      this.pending.activation = { activation: { kind: 'identity' }, via: 'output' };
      this.pending.activationSettled = true;
    }
    this.pending = undefined;
  }
}

function spanOf(node: SyntaxNode | undefined): { at?: { from: number; to: number } } {
  return node ? { at: { from: node.from, to: node.to } } : {};
}

/** `Sequential([...])` with optional later `model.add(...)` calls in the same block. */
export function analyzeKerasSequential(call: SyntaxNode, name: string, followers: readonly SyntaxNode[], ctx: Context, scope: Scope): KerasModelDraft {
  const builder = new KerasBuilder(ctx, scope);
  const bound = bindCall(call, ctx, scope);
  const list = bound?.args.positional[0] ?? bound?.args.keywords.get('layers');
  let shape: Shape;
  for (const element of list ? sequenceElements(unwrap(list)) ?? [] : []) shape = builder.add(element, shape);
  for (const stmt of followers) {
    const c = stmt.firstChild;
    if (c?.name !== 'CallExpression' || ctx.slice(c.firstChild as SyntaxNode) !== `${name}.add`) continue;
    const arg = bindCall(c, ctx, scope)?.args.positional[0];
    if (arg) shape = builder.add(arg, shape);
  }
  builder.finish();
  return { name, kind: 'keras-sequential', node: call, layers: builder.layers };
}

/**
 * Functional API in one block of statements: `x = layers.Dense(64)(x)` chains
 * (activation from the argument or the next statement consuming `x`), ending in
 * `name = keras.Model(...)`.
 */
export function analyzeKerasFunctional(block: readonly SyntaxNode[], modelStmt: SyntaxNode, name: string, ctx: Context, scope: Scope): KerasModelDraft | undefined {
  const builder = new KerasBuilder(ctx, scope);
  const shapes = new Map<string, Shape>();
  const producers = new Map<string, LayerDraft>();
  for (const stmt of block) {
    if (stmt.from >= modelStmt.from) break;
    if (stmt.name !== 'AssignStatement') continue;
    const target = stmt.firstChild;
    const value = stmt.lastChild ? unwrap(stmt.lastChild) : undefined;
    if (!target || target.name !== 'VariableName' || !value || value.name !== 'CallExpression') continue;
    const variable = ctx.slice(target);
    const inner = value.firstChild;
    // keras.Input(shape=(...))
    const direct = bindCall(value, ctx, scope);
    if (direct && isKerasName(ctx.qualified(direct.callee), ['Input', 'layers.Input'])) {
      shapes.set(variable, shapeOf(direct.read('shape', 0)));
      continue;
    }
    // layers.X(...)(input): the layer whose output `input` holds is the pending one.
    if (inner?.name === 'CallExpression') {
      const inputNode = bindCall(value, ctx, scope)?.args.positional[0];
      const inputName = inputNode?.name === 'VariableName' ? ctx.slice(inputNode) : undefined;
      builder.pendingLayer = inputName ? producers.get(inputName) : undefined;
      shapes.set(variable, builder.add(inner, inputName ? shapes.get(inputName) : undefined));
      const pending = builder.pendingLayer;
      if (pending) producers.set(variable, pending);
      else producers.delete(variable);
      continue;
    }
    // tf.nn.relu(x) / keras.activations.relu(x)
    if (direct) {
      const q = ctx.qualified(direct.callee);
      const classified = q ? functionCall(q, direct.read) : undefined;
      const inputNode = direct.args.positional[0];
      const producer = inputNode?.name === 'VariableName' ? producers.get(ctx.slice(inputNode)) : undefined;
      if (classified?.role === 'activation' && producer && !producer.activationSettled) {
        producer.activation = { activation: classified.activation, via: 'forward', at: { from: value.from, to: value.to } };
        producer.activationSettled = true;
      }
    }
  }
  // Layers whose output reaches `outputs` without an activation are output layers.
  for (const layer of builder.layers) {
    if (!layer.activationSettled) {
      layer.activation = { activation: { kind: 'identity' }, via: 'output' };
      layer.activationSettled = true;
    }
  }
  if (builder.layers.length === 0) return undefined;
  return { name, kind: 'keras-functional', node: modelStmt, layers: builder.layers };
}

/** A subclassed `keras.Model`: layers assigned in `__init__`, activations from their arguments. */
export function analyzeKerasClass(cls: SyntaxNode, ctx: Context, scope: Scope): KerasModelDraft | undefined {
  const nameNode = cls.getChild('VariableName');
  const body = cls.getChild('Body');
  if (!nameNode || !body) return undefined;
  const layers: LayerDraft[] = [];
  for (const stmt of statements(body)) {
    if (stmt.name !== 'FunctionDefinition' || ctx.slice(stmt.getChild('VariableName') as SyntaxNode) !== '__init__') continue;
    const initBody = stmt.getChild('Body');
    if (!initBody) continue;
    for (const s of statements(initBody)) {
      if (s.name !== 'AssignStatement') continue;
      const m = /^self\.(\w+)$/.exec(ctx.slice(s.firstChild as SyntaxNode));
      if (!m || !s.lastChild) continue;
      const builder = new KerasBuilder(ctx, scope);
      builder.add(s.lastChild, undefined, m[1]);
      for (const layer of builder.layers) layer.attribute = m[1];
      // Without an activation argument, what follows is decided in call(): unknown here.
      builder.settle(undefined);
      layers.push(...builder.layers);
    }
  }
  return layers.length > 0 ? { name: ctx.slice(nameNode), kind: 'keras-subclass', node: cls, layers } : undefined;
}
