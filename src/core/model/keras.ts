/**
 * Keras / tf.keras models: `Sequential([...])` (and `.add(...)`), the
 * functional API (`x = layers.Dense(64)(x)` ... `keras.Model(inputs, outputs)`),
 * and subclassed `keras.Model`s. Input widths come from shape inference
 * (channels-last, as Keras builds kernels), so `Dense(10)` after
 * `Flatten()` after `Conv2D(32, 3)` on `Input((28, 28, 1))` knows its fan_in.
 */
import type { SyntaxNode } from '../python/parse';
import { descendants, same, sequenceElements, statements, stringValue, unwrap } from '../python/syntax';
import { functionCall, kerasActivationName, kerasLayer, type Activation } from './activations';
import { lookupLayer } from './catalog';
import { bindCall, extend, type BoundCall, type Context } from './context';
import { evaluate, type Scope, type Value } from './evaluate';
import { consumer, type FlowTarget } from './flow';
import { kerasInitializerName, kerasInitializerObject } from './initCalls';
import { draftLayer, explicitInit, type LayerDraft } from './layer';
import { parameters, walkStatements } from './members';
import type { ActivationUse } from './types';

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

  /** A call's arguments, evaluated in the builder's scope. */
  bind(call: SyntaxNode): BoundCall | undefined {
    return bindCall(call, this.ctx, this.scope);
  }

  /** The Keras layer type of a constructor call (`Dense`), or undefined when it is not one. */
  layerType(call: BoundCall): string | undefined {
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
      const argument = this.activationArgument(call);
      // `activation=None` / "linear" applies nothing inside the layer: what follows it decides.
      const linear = argument?.kind === 'identity' && !spec.builtinActivation;
      const activation = linear ? undefined : (argument ?? (builtin ? kerasActivationName(builtin) : undefined));
      if (activation) {
        layer.activation = { activation, via: spec.builtinActivation ? 'builtin' : 'argument', ...spanOf(call.node_('activation', -1)) };
        layer.activationSettled = true;
        this.pending = undefined;
      } else {
        if (linear) LINEAR_ARGUMENT.set(layer, { activation: { kind: 'identity' }, via: 'argument', ...spanOf(call.node_('activation', -1)) });
        this.pending = layer;
      }
      this.layers.push(layer);
      return propagate(type, call, shape);
    }
    const classified = this.classify(type, call);
    if (classified?.role === 'activation') this.settle(classified.activation, n);
    else if (!classified) this.settle(undefined);
    return propagate(type, call, shape);
  }

  /** An activation or neutral layer (`layers.ReLU()`, `layers.Activation(tf.nn.gelu)`, `layers.Dropout(0.1)`). */
  classify(type: string, call: BoundCall): ReturnType<typeof kerasLayer> {
    const classified = kerasLayer(type, call.read);
    if (classified || type !== 'Activation') return classified;
    const node = call.node_('activation', 0);
    const activation = node ? this.activationValue(node, call.read('activation', 0)) : undefined;
    return activation ? { role: 'activation', activation } : undefined;
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
    return node ? this.activationValue(node, call.read('activation', -1)) : undefined;
  }

  /**
   * An activation written as a value: a name (`"relu"`, or a constant that
   * holds one), `None`, a function (`tf.nn.relu`), `keras.activations.get("relu")`.
   */
  activationValue(node: SyntaxNode, value: Value | undefined): Activation | undefined {
    const name = stringValue(node, this.ctx.text) ?? (typeof value === 'string' ? value : undefined);
    if (name !== undefined) return kerasActivationName(name);
    if (node.name === 'None' || value === null) return { kind: 'identity' };
    const n = unwrap(node);
    if (n.name === 'CallExpression' && /(^|\.)activations\.get$/.test(this.ctx.qualified(n.firstChild) ?? '')) {
      const arg = bindCall(n, this.ctx, this.scope)?.read('identifier', 0);
      return typeof arg === 'string' ? kerasActivationName(arg) : undefined;
    }
    const q = this.ctx.qualified(n);
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

  /** The pending layer's activation is decided (undefined: unknown, or the layer's own `activation=None`). */
  settle(activation: Activation | undefined, at?: SyntaxNode): void {
    if (this.pending && !this.pending.activationSettled) {
      const use = activation ? { activation, via: 'sequential' as const, ...spanOf(at) } : LINEAR_ARGUMENT.get(this.pending);
      if (use) this.pending.activation = use;
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

/**
 * Layers written with `activation=None` or `"linear"`: their output is linear,
 * so what follows them decides; this is their activation when nothing does.
 */
const LINEAR_ARGUMENT = new WeakMap<LayerDraft, ActivationUse>();

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

/** What `self.<attr>` holds in a subclassed model, as far as the analysis knows. */
type Entry =
  | { readonly kind: 'layer'; readonly layer: LayerDraft }
  | { readonly kind: 'activation'; readonly activation: Activation; readonly at: SyntaxNode }
  | { readonly kind: 'neutral' }
  | { readonly kind: 'list'; readonly elements: readonly Entry[] }
  | { readonly kind: 'other' };

/**
 * A subclassed `keras.Model`: layers assigned in `__init__` (also in its
 * if/for blocks, and in list literals), each layer's activation from its `activation=`
 * argument, else from the data flow of `call()` (see {@link KerasCall}).
 */
export function analyzeKerasClass(cls: SyntaxNode, ctx: Context, scope: Scope): KerasModelDraft | undefined {
  const nameNode = cls.getChild('VariableName');
  const body = cls.getChild('Body');
  if (!nameNode || !body) return undefined;
  const methods = new Map<string, SyntaxNode>();
  for (const stmt of statements(body)) {
    const fn = stmt.name === 'DecoratedStatement' ? stmt.getChild('FunctionDefinition') : stmt;
    const fnName = fn?.name === 'FunctionDefinition' ? fn.getChild('VariableName') : null;
    if (fn && fnName) methods.set(ctx.slice(fnName), fn);
  }
  const init = methods.get('__init__');
  const initBody = init?.getChild('Body');
  if (!init || !initBody) return undefined;
  // Sizes from __init__'s parameter defaults and `self.units = units` constants, as in PyTorch classes.
  let initScope = extend(scope, parameters(init, ctx, scope).defaults);
  const entries = new Map<string, Entry>();
  const layers: LayerDraft[] = [];
  for (const s of walkStatements(initBody)) {
    if (s.name !== 'AssignStatement') continue;
    const target = s.firstChild;
    const value = s.lastChild;
    if (!target || !value || same(target, value)) continue;
    const m = /^self\.(\w+)$/.exec(ctx.slice(target));
    if (!m) continue;
    const constant = evaluate(value, ctx.text, initScope);
    if (constant !== undefined) {
      initScope = extend(initScope, [[`self.${m[1]}`, constant]]);
      continue;
    }
    entries.set(m[1], entryFor(value, m[1], layers, new KerasBuilder(ctx, initScope)));
  }
  const fn = methods.get('call');
  if (fn) new KerasCall(ctx, initScope, new KerasBuilder(ctx, initScope), entries, fn).run();
  for (const layer of layers) {
    if (!layer.activationSettled) {
      // What call() did not decide stays unknown, unless the layer says `activation=None` itself.
      const linear = LINEAR_ARGUMENT.get(layer);
      if (linear) layer.activation = linear;
      layer.activationSettled = true;
    }
  }
  return layers.length > 0 ? { name: ctx.slice(nameNode), kind: 'keras-subclass', node: cls, layers } : undefined;
}

/**
 * Interprets the value of `self.<name> = value`, or of an element of a list
 * assigned so; its layers are added to `layers`. `builder` reads the value in
 * the scope of the statement (constants assigned to `self` before it).
 */
function entryFor(value: SyntaxNode, name: string, layers: LayerDraft[], builder: KerasBuilder): Entry {
  const n = unwrap(value);
  if (n.name === 'ArrayExpression' || n.name === 'TupleExpression') {
    return { kind: 'list', elements: (sequenceElements(n) ?? []).map((e, i) => entryFor(e, `${name}.${i}`, layers, builder)) };
  }
  // A comprehension (`[layers.Dense(64) for _ in range(3)]`) is not unrolled: its layers would share
  // one constructor call, and Keras Apply edits the call, so it would write `kernel_initializer=` once per layer.
  const call = n.name === 'CallExpression' ? builder.bind(n) : undefined;
  const type = call && builder.layerType(call);
  if (!call || !type) {
    // `self.act = tf.nn.relu`, `self.act = keras.activations.get("gelu")`
    const activation = builder.activationValue(n, undefined);
    return activation && activation.kind !== 'identity' ? { kind: 'activation', activation, at: n } : { kind: 'other' };
  }
  if (lookupLayer(`keras.layers.${type}`)) {
    const before = builder.layers.length;
    builder.add(n, undefined, name);
    // Opened by add, decided in call(): not by the next element of a list.
    builder.pendingLayer = undefined;
    const layer = builder.layers[before];
    if (!layer) return { kind: 'other' };
    layers.push(layer);
    // List elements keep their path as name (`blocks.0`); only a direct assignment is an attribute.
    if (!name.includes('.')) layer.attribute = name;
    return { kind: 'layer', layer };
  }
  const classified = builder.classify(type, call);
  if (classified?.role === 'activation') return { kind: 'activation', activation: classified.activation, at: n };
  return classified?.role === 'neutral' ? { kind: 'neutral' } : { kind: 'other' };
}

function fromEntry(entry: Entry): FlowTarget {
  switch (entry.kind) {
    case 'layer':
      return entry.layer.spec.role === 'normalizer' ? { kind: 'normalizer', type: entry.layer.spec.type } : { kind: 'layers', layers: [entry.layer] };
    case 'activation':
      return { kind: 'activation', activation: entry.activation, at: entry.at };
    case 'neutral':
      return { kind: 'neutral' };
    case 'list': {
      // A list called element by element (a loop variable, an unknown index): what all its elements do alike.
      const targets = entry.elements.map(fromEntry);
      const layers = targets.flatMap((t) => (t.kind === 'layers' ? t.layers : []));
      if (targets.length > 0 && targets.every((t) => t.kind === 'layers')) return { kind: 'layers', layers };
      const first = targets[0];
      return first && targets.every((t) => alike(t, first)) ? first : { kind: 'other' };
    }
    case 'other':
      return { kind: 'other' };
  }
}

/** Two targets that do the same to their input (a list of `layers.ReLU()`, of `BatchNormalization()`). */
function alike(a: FlowTarget, b: FlowTarget): boolean {
  if (a.kind === 'activation' && b.kind === 'activation') return a.activation.kind === b.activation.kind && a.activation.slope === b.activation.slope;
  if (a.kind === 'normalizer' && b.kind === 'normalizer') return a.type === b.type;
  return a.kind === b.kind && (a.kind === 'neutral' || a.kind === 'other');
}

/**
 * The data flow of a subclassed model's `call(self, inputs, ...)`, after
 * torch.ts's `Forward`: each layer called there gets the activation its
 * output is passed to (`tf.nn.relu(self.dense(x))`, `self.act(x)` holding
 * `layers.ReLU()`), identity when it feeds another weight layer, and
 * identity `via: 'output'` when it is returned.
 */
class KerasCall {
  private readonly loopVars = new Map<string, Entry>();

  constructor(
    private readonly ctx: Context,
    private readonly scope: Scope,
    private readonly builder: KerasBuilder,
    private readonly entries: ReadonlyMap<string, Entry>,
    private readonly fn: SyntaxNode,
  ) {}

  run(): void {
    const body = this.fn.getChild('Body');
    if (!body) return;
    for (const stmt of walkStatements(body)) {
      if (stmt.name === 'ForStatement') this.bindLoop(stmt);
    }
    const rules = { target: (call: SyntaxNode) => this.target(call) };
    for (const call of descendants(body, 'CallExpression')) {
      const target = this.target(call);
      if (target.kind !== 'layers') continue;
      const pending = target.layers.filter((l) => !l.activationSettled);
      if (pending.length === 0) continue;
      const { use, normalizer } = consumer(call, body, this.ctx, rules);
      for (const layer of pending) {
        if (normalizer && !layer.normalizer) layer.normalizer = normalizer;
        // Unknown here: the layer's own `activation=None`, if it says so.
        const decided = use ?? LINEAR_ARGUMENT.get(layer);
        if (decided) layer.activation = decided;
        layer.activationSettled = true;
      }
    }
  }

  /** `self.dense`, `self.blocks[0]`, `self.blocks[i]` (any element), a loop variable over `self.blocks`. */
  private entryOf(node: SyntaxNode): Entry | undefined {
    const n = unwrap(node);
    if (n.name === 'VariableName') return this.loopVars.get(this.ctx.slice(n));
    if (n.name !== 'MemberExpression') return undefined;
    const object = n.firstChild;
    const prop = n.lastChild;
    if (object && prop?.name === 'PropertyName' && this.ctx.slice(object) === 'self') return this.entries.get(this.ctx.slice(prop));
    if (object && n.getChild('[')) {
      const list = this.entryOf(object);
      if (list?.kind !== 'list') return undefined;
      const index = n.getChild('Number');
      const i = index ? Number(this.ctx.slice(index)) : NaN;
      return Number.isInteger(i) ? list.elements.at(i) : list;
    }
    return undefined;
  }

  /** What calling `call`'s callee does to its input. */
  private target(call: SyntaxNode): FlowTarget {
    const callee = call.firstChild;
    if (!callee) return { kind: 'other' };
    const entry = this.entryOf(callee);
    if (entry) return fromEntry(entry);
    const bound = bindCall(call, this.ctx, this.scope);
    const qualified = this.ctx.qualified(callee);
    if (bound && qualified) {
      const classified = functionCall(qualified, bound.read);
      if (classified?.role === 'activation') return { kind: 'activation', activation: classified.activation, at: call };
      if (classified?.role === 'neutral') return { kind: 'neutral' };
    }
    // An activation layer built where it is applied: `layers.ReLU()(x)`.
    if (callee.name === 'CallExpression') {
      const inner = bindCall(callee, this.ctx, this.scope);
      const type = inner && this.builder.layerType(inner);
      const classified = inner && type && !lookupLayer(`keras.layers.${type}`) ? this.builder.classify(type, inner) : undefined;
      if (classified?.role === 'activation') return { kind: 'activation', activation: classified.activation, at: call };
      if (classified?.role === 'neutral') return { kind: 'neutral' };
    }
    return { kind: 'other' };
  }

  /** `for block in self.blocks:` / `for i, block in enumerate(self.blocks):`. */
  private bindLoop(stmt: SyntaxNode): void {
    const names: SyntaxNode[] = [];
    let iterable: SyntaxNode | undefined;
    let seenIn = false;
    for (let c = stmt.firstChild; c; c = c.nextSibling) {
      if (c.name === 'in') seenIn = true;
      else if (!seenIn && c.name === 'VariableName') names.push(c);
      else if (seenIn && c.name !== 'Body' && !iterable) iterable = c;
    }
    if (!iterable || names.length === 0) return;
    let source = iterable;
    if (source.name === 'CallExpression' && this.ctx.slice(source.firstChild as SyntaxNode) === 'enumerate') {
      const inner = bindCall(source, this.ctx, this.scope)?.args.positional[0];
      if (!inner) return;
      source = inner;
    }
    const entry = this.entryOf(source);
    if (entry) this.loopVars.set(this.ctx.slice(names[names.length - 1]), entry);
  }
}
