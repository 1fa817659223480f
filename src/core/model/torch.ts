/**
 * PyTorch models: `nn.Module` subclasses (layers assigned in `__init__`,
 * `nn.Sequential`/`ModuleList`/`ModuleDict` containers, layers built inline in
 * `forward`) and free-standing `nn.Sequential(...)` models. For each layer:
 * the activation that follows (forward data flow, the next module of a
 * Sequential, `nonlinearity=`/`activation=` arguments) and explicit
 * `nn.init` calls (in `__init__`, methods it calls, `for m in self.modules()`
 * loops, and functions given to `.apply`).
 */
import type { SyntaxNode } from '../python/parse';
import { descendants, same, sequenceElements, statements, stringValue, unwrap } from '../python/syntax';
import { functionCall, kerasActivationName, tensorMethod, torchModule, type Activation } from './activations';
import { ALL_LAYERS, lookupLayer } from './catalog';
import { bindCall, extend, type BoundCall, type Context } from './context';
import { evaluate, type Scope, type Value } from './evaluate';
import { tensorMethodScheme, torchInitScheme } from './initCalls';
import { draftLayer, explicitInit, type LayerDraft } from './layer';
import type { ActivationUse } from './types';

/** What `self.<attr>` holds, as far as the analysis knows. */
type Entry =
  | { readonly kind: 'layer'; readonly layer: LayerDraft }
  | { readonly kind: 'activation'; readonly activation: Activation; readonly at: SyntaxNode }
  | { readonly kind: 'neutral' }
  | { readonly kind: 'container'; readonly elements: readonly Entry[]; readonly byKey: ReadonlyMap<string, Entry>; readonly tail?: LayerDraft; readonly head?: Entry }
  | { readonly kind: 'other' };

/** A torch model found in the document, before finalization. */
export interface TorchModelDraft {
  readonly name: string;
  readonly kind: 'torch-module' | 'torch-sequential';
  readonly node: SyntaxNode;
  readonly layers: LayerDraft[];
  readonly init?: SyntaxNode;
  readonly initMethod?: { name: string; node: SyntaxNode; called: boolean };
}

const MODULE_BASES = new Set(['torch.nn.Module', 'torch.nn.modules.module.Module']);
const INIT_METHOD_NAMES = ['_init_weights', 'init_weights', 'reset_parameters', '_reset_parameters', 'initialize_weights', '_initialize_weights'];
const SHAPE_METHODS = new Set(['view', 'reshape', 'flatten', 'permute', 'transpose', 'contiguous', 'squeeze', 'unsqueeze', 'float', 'to', 'clone']);

/** Names of classes in the document that are `nn.Module`s (directly or through other classes of the document). */
export function torchModuleClasses(classes: readonly SyntaxNode[], ctx: Context): Set<string> {
  const bases = new Map<string, SyntaxNode[]>();
  for (const cls of classes) {
    const name = cls.getChild('VariableName');
    const list = cls.getChild('ArgList');
    if (name) bases.set(ctx.slice(name), list ? (sequenceElements(list) ?? argNodes(list)) : []);
  }
  // Classes derive from base classes written anywhere in the file: walk from
  // the nn.Module subclasses down to their subclasses, each class once.
  const subclasses = new Map<string, string[]>();
  const result = new Set<string>();
  const work: string[] = [];
  for (const [name, nodes] of bases) {
    for (const b of nodes) {
      if (MODULE_BASES.has(ctx.qualified(b) ?? '')) {
        if (!result.has(name)) work.push(name);
        result.add(name);
      } else {
        const base = ctx.slice(b);
        const list = subclasses.get(base);
        if (list) list.push(name);
        else subclasses.set(base, [name]);
      }
    }
  }
  for (let name = work.pop(); name !== undefined; name = work.pop()) {
    for (const sub of subclasses.get(name) ?? []) {
      if (!result.has(sub)) {
        result.add(sub);
        work.push(sub);
      }
    }
  }
  return result;
}

function argNodes(list: SyntaxNode): SyntaxNode[] {
  const out: SyntaxNode[] = [];
  for (let c = list.firstChild; c; c = c.nextSibling) if (c.name !== '(' && c.name !== ')' && c.name !== ',') out.push(c);
  return out;
}

/** Parameter names of a function (`self` included) with evaluated defaults. */
export function parameters(fn: SyntaxNode, ctx: Context, scope: Scope): { names: string[]; defaults: [string, Value][] } {
  const list = fn.getChild('ParamList');
  const names: string[] = [];
  const defaults: [string, Value][] = [];
  if (!list) return { names, defaults };
  let current: string | undefined;
  let expectDefault = false;
  for (let c = list.firstChild; c; c = c.nextSibling) {
    if (c.name === 'VariableName' && !expectDefault) {
      current = ctx.slice(c);
      names.push(current);
    } else if (c.name === 'AssignOp') {
      expectDefault = true;
    } else if (expectDefault && c.name !== 'TypeDef') {
      const value = evaluate(c, ctx.text, scope);
      if (current !== undefined && value !== undefined) defaults.push([current, value]);
      expectDefault = false;
    } else if (c.name === ',') {
      expectDefault = false;
    }
  }
  return { names, defaults };
}

/** Walks every statement in a body, descending into if/for/while/with/try blocks, in source order. */
function* walkStatements(body: SyntaxNode): Generator<SyntaxNode> {
  for (const stmt of statements(body)) {
    yield stmt;
    for (let c = stmt.firstChild; c; c = c.nextSibling) {
      if (c.name === 'Body') yield* walkStatements(c);
    }
  }
}

class TorchClass {
  readonly entries = new Map<string, Entry>();
  readonly layers: LayerDraft[] = [];
  private inlineCount = 0;

  constructor(
    readonly ctx: Context,
    readonly scope: Scope,
    /** Module-level functions, for layer factories like torchvision's `conv3x3(...)`. */
    private readonly functions: ReadonlyMap<string, SyntaxNode> = new Map(),
  ) {}

  /** Interprets the value of `self.<name> = value` (or a container element). */
  entryFor(value: SyntaxNode, name: string, scope: Scope, depth = 0): Entry {
    const node = unwrap(value);
    if (node.name !== 'CallExpression') return { kind: 'other' };
    const call = bindCall(node, this.ctx, scope);
    if (!call) return { kind: 'other' };
    const factory = call.callee.name === 'VariableName' && depth < 3 ? this.factory(call, scope) : undefined;
    if (factory) {
      const entry = this.entryFor(factory.returned, name, factory.scope, depth + 1);
      // Lenses, hovers and edits belong where the model calls the factory, not inside it.
      if (entry.kind === 'layer') {
        entry.layer.call = node;
        entry.layer.line = this.ctx.line(node.from);
      }
      return entry;
    }
    const qualified = this.ctx.qualified(call.callee) ?? '';
    const spec = lookupLayer(qualified);
    if (spec && spec.framework === 'torch') {
      const layer = draftLayer(spec, call, name, this.ctx, scope);
      this.layers.push(layer);
      const builtin = spec.builtinActivation?.(layer.args);
      if (builtin) {
        const activation = kerasActivationName(builtin);
        if (activation) {
          layer.activation = { activation, via: 'builtin' };
          layer.activationSettled = true;
        }
      }
      return { kind: 'layer', layer };
    }
    const classified = torchModule(qualified, call.read);
    if (classified?.role === 'activation') return { kind: 'activation', activation: classified.activation, at: node };
    if (classified?.role === 'neutral') return { kind: 'neutral' };
    const last = qualified.slice(qualified.lastIndexOf('.') + 1);
    if (qualified.startsWith('torch.nn.') && last === 'Sequential') return this.sequential(call, name, scope);
    if (qualified.startsWith('torch.nn.') && (last === 'ModuleList' || last === 'ModuleDict')) return this.list(call, name, scope);
    return { kind: 'other' };
  }

  /**
   * A module-level function whose body ends in `return <call>` (`def conv3x3(i, o,
   * stride=1): return nn.Conv2d(i, o, 3, stride, 1, bias=False)`): the returned
   * call, with the function's parameters bound to this call's arguments.
   */
  private factory(call: BoundCall, scope: Scope): { returned: SyntaxNode; scope: Scope } | undefined {
    const fn = this.functions.get(this.ctx.slice(call.callee));
    const body = fn?.getChild('Body');
    const last = body ? statements(body).pop() : undefined;
    const returned = last?.name === 'ReturnStatement' ? last.lastChild : undefined;
    if (!fn || !returned || returned.name !== 'CallExpression') return undefined;
    const { names, defaults } = parameters(fn, this.ctx, this.ctx.moduleScope);
    const bound: [string, Value][] = [...defaults];
    names.forEach((param, i) => {
      const value = call.read(param, i);
      if (value !== undefined) bound.push([param, value]);
    });
    // Parameters without a resolvable value must not fall through to module constants of the same name.
    const unresolved = names.filter((n) => !bound.some(([k]) => k === n));
    const inner = extend(scope, bound);
    return { returned, scope: unresolved.length === 0 ? inner : withoutNames(inner, unresolved) };
  }

  /** `nn.Sequential(a, b, ...)` or `nn.Sequential(OrderedDict([...]))`: each layer's activation is the next module. */
  private sequential(call: BoundCall, prefix: string, scope: Scope): Entry {
    const items = this.containerItems(call, scope);
    const elements: Entry[] = [];
    const byKey = new Map<string, Entry>();
    let pending: LayerDraft | undefined;
    for (const [key, node] of items) {
      const entry = this.entryFor(node, `${prefix}.${key}`, scope);
      elements.push(entry);
      byKey.set(key, entry);
      pending = chain(pending, entry, node);
    }
    return { kind: 'container', elements, byKey, ...(pending ? { tail: pending } : {}), ...(elements[0] ? { head: elements[0] } : {}) };
  }

  private list(call: BoundCall, prefix: string, scope: Scope): Entry {
    const items = this.containerItems(call, scope);
    const elements: Entry[] = [];
    const byKey = new Map<string, Entry>();
    for (const [key, node] of items) {
      const entry = this.entryFor(node, `${prefix}.${key}`, scope);
      elements.push(entry);
      byKey.set(key, entry);
    }
    return { kind: 'container', elements, byKey };
  }

  /** Container elements with their names: positional, OrderedDict/dict keys, or a comprehension over a literal range. */
  private containerItems(call: BoundCall, scope: Scope): [string, SyntaxNode][] {
    const first = call.args.positional[0];
    if (!first) return [];
    const unwrapped = unwrap(first);
    // OrderedDict([("name", module), ...]) or a dict literal.
    if (unwrapped.name === 'CallExpression' && /(^|\.)OrderedDict$/.test(this.ctx.qualified(unwrapped.firstChild) ?? this.ctx.slice(unwrapped.firstChild as SyntaxNode))) {
      const inner = bindCall(unwrapped, this.ctx, scope)?.args.positional[0];
      const pairs = inner ? sequenceElements(unwrap(inner)) ?? [] : [];
      return pairs.flatMap((pair) => {
        const parts = sequenceElements(pair);
        const key = parts && stringValue(parts[0], this.ctx.text);
        return parts && key !== undefined && parts[1] ? [[key, parts[1]] as [string, SyntaxNode]] : [];
      });
    }
    if (unwrapped.name === 'DictionaryExpression') {
      const out: [string, SyntaxNode][] = [];
      let key: string | undefined;
      for (let c = unwrapped.firstChild; c; c = c.nextSibling) {
        if (c.name === 'String' && key === undefined) key = stringValue(c, this.ctx.text);
        else if (!['{', '}', ':', ','].includes(c.name) && key !== undefined) {
          out.push([key, c]);
          key = undefined;
        }
      }
      return out;
    }
    if (unwrapped.name === 'ArrayExpression' || unwrapped.name === 'TupleExpression') {
      return (sequenceElements(unwrapped) ?? []).map((n, i) => [String(i), n]);
    }
    if (unwrapped.name === 'ArrayComprehensionExpression') return this.comprehension(unwrapped, scope);
    // nn.Sequential(a, b, c)
    return call.args.positional.map((n, i) => [String(i), n]);
  }

  /** `[nn.Linear(d, d) for _ in range(3)]`: one element per iteration of a literal range. */
  private comprehension(node: SyntaxNode, scope: Scope): [string, SyntaxNode][] {
    const element = node.firstChild?.nextSibling;
    const forKw = node.getChild('for');
    const variable = forKw?.nextSibling;
    const rangeCall = node.getChild('in')?.nextSibling;
    if (!element || !variable || !rangeCall || rangeCall.name !== 'CallExpression') return [];
    if (this.ctx.slice(rangeCall.firstChild as SyntaxNode) !== 'range') return [];
    const call = bindCall(rangeCall, this.ctx, scope);
    const args = call?.args.positional.map((a) => evaluate(a, this.ctx.text, scope)) ?? [];
    if (args.length === 0 || args.some((a) => typeof a !== 'number')) return [];
    const [start, stop, step] = args.length === 1 ? [0, args[0] as number, 1] : [args[0] as number, args[1] as number, (args[2] as number | undefined) ?? 1];
    const count = step > 0 ? Math.max(0, Math.ceil((stop - start) / step)) : 0;
    if (count > 256) return [];
    // The element is built once per iteration; the loop variable is rarely used in sizes.
    return Array.from({ length: count }, (_, i) => [String(i), element]);
  }

  /** A layer constructed and called in `forward` (`nn.Linear(4, 2)(x)`). */
  inline(call: SyntaxNode, scope: Scope): LayerDraft | undefined {
    const bound = bindCall(call, this.ctx, scope);
    const spec = bound && lookupLayer(this.ctx.qualified(bound.callee) ?? '');
    if (!bound || !spec || spec.framework !== 'torch') return undefined;
    const layer = draftLayer(spec, bound, `forward.inline${this.inlineCount++}`, this.ctx, scope);
    this.layers.push(layer);
    return layer;
  }
}

/** Sequential chaining: the entry after a pending layer decides its activation. */
function chain(pending: LayerDraft | undefined, entry: Entry, node: SyntaxNode): LayerDraft | undefined {
  switch (entry.kind) {
    case 'layer':
      if (entry.layer.spec.role === 'normalizer') {
        if (pending) pending.normalizer = entry.layer.spec.type;
        return pending;
      }
      settle(pending, { activation: { kind: 'identity' }, via: 'sequential' });
      return entry.layer.activationSettled ? undefined : entry.layer;
    case 'activation':
      settle(pending, { activation: entry.activation, via: 'sequential', at: { from: node.from, to: node.to } });
      return undefined;
    case 'neutral':
      return pending;
    case 'container': {
      // A nested Sequential: its first module follows `pending`.
      let p = pending;
      if (entry.head) p = chain(p, entry.head, node);
      else settle(p, undefined);
      return entry.tail ?? (entry.elements.length > 0 ? undefined : p);
    }
    case 'other':
      settle(pending, undefined);
      return undefined;
  }
}

function settle(layer: LayerDraft | undefined, use: ActivationUse | undefined): void {
  if (!layer || layer.activationSettled) return;
  if (use) layer.activation = use;
  layer.activationSettled = true;
}

function withoutNames(scope: Scope, names: readonly string[]): Scope {
  const copy = new Map(scope);
  for (const n of names) copy.delete(n);
  return copy;
}

/** Layers an expression's call target stands for (`self.fc1`, `self.layers[0]`, a loop variable over `self.blocks`). */
type Target =
  | { readonly kind: 'layers'; readonly layers: readonly LayerDraft[] }
  | { readonly kind: 'activation'; readonly activation: Activation; readonly at: SyntaxNode }
  | { readonly kind: 'normalizer'; readonly type: string }
  | { readonly kind: 'neutral' }
  | { readonly kind: 'other' };

class Forward {
  private readonly loopVars = new Map<string, Entry>();

  constructor(
    private readonly cls: TorchClass,
    private readonly fn: SyntaxNode,
    private readonly scope: Scope,
  ) {}

  private get ctx(): Context {
    return this.cls.ctx;
  }

  private entryOf(node: SyntaxNode): Entry | undefined {
    const n = unwrap(node);
    if (n.name === 'MemberExpression') {
      const object = n.firstChild;
      const prop = n.lastChild;
      if (object && prop?.name === 'PropertyName' && this.ctx.slice(object) === 'self') return this.cls.entries.get(this.ctx.slice(prop));
      // self.blocks[0] / self.heads["a"]
      if (object && n.getChild('[')) {
        const container = this.entryOf(object);
        const index = n.getChild('Number') ?? n.getChild('String');
        if (container?.kind === 'container') {
          const key = index ? (index.name === 'String' ? stringValue(index, this.ctx.text) : this.ctx.slice(index)) : undefined;
          if (key !== undefined && container.byKey.has(key)) return container.byKey.get(key);
          return container; // an unknown index: any element
        }
      }
      return undefined;
    }
    if (n.name === 'VariableName') return this.loopVars.get(this.ctx.slice(n));
    return undefined;
  }

  /** What calling `callee` does to its input. */
  private target(call: SyntaxNode): Target {
    const callee = call.firstChild;
    if (!callee) return { kind: 'other' };
    const entry = this.entryOf(callee);
    if (entry) return fromEntry(entry);
    const qualified = this.ctx.qualified(callee);
    if (qualified) {
      const bound = bindCall(call, this.ctx, this.scope);
      const classified = bound ? functionCall(qualified, bound.read) : undefined;
      if (classified?.role === 'activation') return { kind: 'activation', activation: classified.activation, at: call };
      if (classified?.role === 'neutral') return { kind: 'neutral' };
    }
    if (callee.name === 'CallExpression') {
      const inline = this.cls.inline(callee, this.scope);
      if (inline) return { kind: 'layers', layers: [inline] };
    }
    return { kind: 'other' };
  }

  run(): void {
    const body = this.fn.getChild('Body');
    if (!body) return;
    for (const stmt of walkStatements(body)) {
      if (stmt.name === 'ForStatement') this.bindLoop(stmt);
    }
    for (const call of descendants(body, 'CallExpression')) {
      const target = this.target(call);
      if (target.kind !== 'layers') continue;
      const pending = target.layers.filter((l) => !l.activationSettled);
      if (pending.length === 0) continue;
      const use = this.consumer(call, body);
      for (const layer of pending) {
        if (use.normalizer && !layer.normalizer) layer.normalizer = use.normalizer;
        settle(layer, use.use);
      }
    }
  }

  private bindLoop(stmt: SyntaxNode): void {
    // for layer in self.layers: / for i, layer in enumerate(self.layers):
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

  /** Follows a layer's output to what consumes it. */
  private consumer(start: SyntaxNode, body: SyntaxNode): { use?: ActivationUse; normalizer?: string } {
    let node = start;
    let normalizer: string | undefined;
    for (let step = 0; step < 32; step++) {
      const parent = node.parent;
      if (!parent) break;
      if (parent.name === 'ArgList' && parent.parent?.name === 'CallExpression') {
        const call = parent.parent;
        const target = this.target(call);
        switch (target.kind) {
          case 'activation':
            return { use: { activation: target.activation, via: 'forward', at: { from: target.at.from, to: target.at.to } }, ...(normalizer ? { normalizer } : {}) };
          case 'normalizer':
            normalizer ??= target.type;
            node = call;
            continue;
          case 'neutral':
            node = call;
            continue;
          case 'layers':
            return { use: { activation: { kind: 'identity' }, via: 'forward' }, ...(normalizer ? { normalizer } : {}) };
          case 'other':
            return {};
        }
      }
      if (parent.name === 'MemberExpression' && same(parent.firstChild, node) && parent.parent?.name === 'CallExpression') {
        const method = parent.getChild('PropertyName');
        const name = method ? this.ctx.slice(method) : '';
        const activation = tensorMethod(name);
        if (activation) return { use: { activation, via: 'forward', at: { from: parent.parent.from, to: parent.parent.to } }, ...(normalizer ? { normalizer } : {}) };
        if (SHAPE_METHODS.has(name)) {
          node = parent.parent;
          continue;
        }
        return {};
      }
      if (parent.name === 'BinaryExpression' || parent.name === 'ParenthesizedExpression') {
        node = parent;
        continue;
      }
      if (parent.name === 'AssignStatement' && !same(node, parent.firstChild)) {
        const target = parent.firstChild;
        if (!target || target.name !== 'VariableName') return {};
        const next = this.nextUse(this.ctx.slice(target), parent.to, body);
        if (!next) return {};
        node = next;
        continue;
      }
      // `out += identity`: a residual connection passes the value on.
      if (parent.name === 'UpdateStatement' && same(node, parent.firstChild) && node.name === 'VariableName') {
        const next = this.nextUse(this.ctx.slice(node), parent.to, body);
        if (!next) return {};
        node = next;
        continue;
      }
      if (parent.name === 'ReturnStatement') {
        return { use: { activation: { kind: 'identity' }, via: 'output' }, ...(normalizer ? { normalizer } : {}) };
      }
      return {};
    }
    return {};
  }

  /** The first read of `name` after `offset` in the function body. */
  private nextUse(name: string, offset: number, body: SyntaxNode): SyntaxNode | undefined {
    for (const v of descendants(body, 'VariableName')) {
      if (v.from < offset || this.ctx.slice(v) !== name) continue;
      const parent = v.parent;
      // `x = ...` re-binds without reading.
      if (parent?.name === 'AssignStatement' && same(parent.firstChild, v)) continue;
      return v;
    }
    return undefined;
  }
}

function fromEntry(entry: Entry): Target {
  switch (entry.kind) {
    case 'layer':
      return entry.layer.spec.role === 'normalizer' ? { kind: 'normalizer', type: entry.layer.spec.type } : { kind: 'layers', layers: [entry.layer] };
    case 'activation':
      return { kind: 'activation', activation: entry.activation, at: entry.at };
    case 'neutral':
      return { kind: 'neutral' };
    case 'container': {
      if (entry.tail) return { kind: 'layers', layers: [entry.tail] };
      // A ModuleList/ModuleDict called element by element (loop variable, unknown index).
      const layers = entry.elements.flatMap((e) => (e.kind === 'layer' && e.layer.spec.role !== 'normalizer' ? [e.layer] : []));
      if (layers.length > 0) return { kind: 'layers', layers };
      const acts = entry.elements.filter((e): e is Extract<Entry, { kind: 'activation' }> => e.kind === 'activation');
      if (acts.length > 0 && acts.length === entry.elements.length) return fromEntry(acts[0]);
      return { kind: 'other' };
    }
    case 'other':
      return { kind: 'other' };
  }
}

/** Explicit initialization found in code, applied to the class's layers. */
class Inits {
  constructor(
    private readonly cls: TorchClass,
    private readonly methodsByName: Map<string, SyntaxNode>,
    private readonly moduleFunctions: ReadonlyMap<string, SyntaxNode>,
  ) {}

  private get ctx(): Context {
    return this.cls.ctx;
  }

  /** Processes a function body in order: direct init calls, called methods, modules() loops, apply(fn). */
  body(body: SyntaxNode, depth = 0): void {
    if (depth > 4) return;
    for (const stmt of walkStatements(body)) {
      if (stmt.name === 'ForStatement') {
        this.modulesLoop(stmt);
        continue;
      }
      for (const call of descendants(stmt, 'CallExpression')) this.call(call, depth);
      if (stmt.name === 'ExpressionStatement' && stmt.firstChild?.name === 'CallExpression') this.call(stmt.firstChild, depth);
    }
  }

  private call(call: SyntaxNode, depth: number): void {
    const callee = call.firstChild;
    if (!callee) return;
    const bound = bindCall(call, this.ctx, this.cls.scope);
    if (!bound) return;
    const text = this.ctx.slice(callee);
    // self.method()
    const method = /^self\.(\w+)$/.exec(text);
    if (method && this.methodsByName.has(method[1]) && method[1] !== '__init__' && method[1] !== 'forward' && bound.args.positional.length === 0) {
      const body = this.methodsByName.get(method[1])?.getChild('Body');
      if (body) this.body(body, depth + 1);
      return;
    }
    // self.apply(fn)
    if (text === 'self.apply' && bound.args.positional[0]) {
      this.applyFunction(bound.args.positional[0]);
      return;
    }
    const scheme = this.schemeOf(call, bound);
    if (!scheme) return;
    const target = this.layerParam(scheme.target);
    if (target) target.layer.explicit.set(target.param, explicitInit(scheme.scheme, call, 'torch', this.ctx.slice(call)));
  }

  /** The scheme of an `nn.init.*` call or an in-place tensor method, with the tensor expression. */
  schemeOf(call: SyntaxNode, bound: BoundCall): { target: SyntaxNode; scheme: ReturnType<typeof torchInitScheme> } | undefined {
    const qualified = this.ctx.qualified(bound.callee);
    if (qualified?.startsWith('torch.nn.init.')) {
      const scheme = torchInitScheme(qualified.slice('torch.nn.init.'.length), bound.readStrict);
      const target = bound.args.positional[0] ?? bound.args.keywords.get('tensor');
      return scheme !== undefined && target ? { target, scheme } : undefined;
    }
    if (bound.callee.name === 'MemberExpression') {
      const method = bound.callee.lastChild;
      const object = bound.callee.firstChild;
      if (!method || !object || method.name !== 'PropertyName') return undefined;
      const scheme = tensorMethodScheme(this.ctx.slice(method), bound.readStrict);
      if (scheme === undefined) return undefined;
      // w.data.normal_(...) acts on w.
      const target = object.name === 'MemberExpression' && this.ctx.slice(object.lastChild as SyntaxNode) === 'data' ? (object.firstChild as SyntaxNode) : object;
      return { target, scheme };
    }
    void call;
    return undefined;
  }

  /** `self.fc1.weight` → (fc1, weight); `self.layers[0].bias` → (layers.0, bias). */
  private layerParam(node: SyntaxNode): { layer: LayerDraft; param: string } | undefined {
    if (node.name !== 'MemberExpression') return undefined;
    const prop = node.lastChild;
    const object = node.firstChild;
    if (!prop || !object || prop.name !== 'PropertyName') return undefined;
    const param = this.ctx.slice(prop);
    const owner = this.ownerPath(object);
    const layer = owner && this.cls.layers.find((l) => l.name === owner);
    return layer ? { layer, param } : undefined;
  }

  private ownerPath(node: SyntaxNode): string | undefined {
    const text = this.ctx.slice(node).replace(/\s+/g, '');
    const m = /^self\.([\w.]+(?:\[(?:\d+|'[^']*'|"[^"]*")\])*(?:\.[\w.]+)*)$/.exec(text);
    if (!m) return undefined;
    return m[1].replace(/\[(\d+)\]/g, '.$1').replace(/\[['"]([^'"]*)['"]\]/g, '.$1');
  }

  /** `for m in self.modules(): if isinstance(m, nn.Conv2d): nn.init.kaiming_normal_(m.weight, ...)`. */
  private modulesLoop(stmt: SyntaxNode): void {
    const variable = stmt.getChild('VariableName');
    const iterable = stmt.getChild('in')?.nextSibling;
    const body = stmt.getChild('Body');
    if (!variable || !iterable || !body) return;
    if (!/^self\.(modules|children)\(\)$/.test(this.ctx.slice(iterable).replace(/\s+/g, ''))) return;
    this.rules(body, this.ctx.slice(variable));
  }

  /** `self.apply(self._init_weights)` / `self.apply(init_fn)`. */
  applyFunction(arg: SyntaxNode): void {
    const text = this.ctx.slice(arg);
    const method = /^self\.(\w+)$/.exec(text);
    const fn = method ? this.methodsByName.get(method[1]) : this.moduleFunctions.get(text);
    if (!fn) return;
    const { names } = parameters(fn, this.ctx, this.cls.scope);
    const variable = method ? names[1] : names[0];
    const body = fn.getChild('Body');
    if (variable && body) this.rules(body, variable);
  }

  /** isinstance branches: init calls on `<variable>.weight` apply to every layer of the listed types. */
  private rules(body: SyntaxNode, variable: string): void {
    for (const stmt of walkStatements(body)) {
      if (stmt.name !== 'IfStatement') continue;
      // An if/elif chain: each condition followed by its Body.
      let types: Set<string> | undefined;
      for (let c = stmt.firstChild; c; c = c.nextSibling) {
        if (c.name === 'Body') {
          if (types) this.applyRule(c, variable, types);
          types = undefined;
        } else if (c.name === 'CallExpression' && this.ctx.slice(c.firstChild as SyntaxNode) === 'isinstance') {
          types = this.isinstanceTypes(c, variable);
        } else if (c.name === 'BinaryExpression') {
          types = classNameTypes(this.ctx.slice(c));
        }
      }
    }
  }

  private isinstanceTypes(call: SyntaxNode, variable: string): Set<string> | undefined {
    const bound = bindCall(call, this.ctx, this.cls.scope);
    const [subject, classes] = bound?.args.positional ?? [];
    if (!subject || !classes || this.ctx.slice(subject) !== variable) return undefined;
    const nodes = sequenceElements(unwrap(classes)) ?? [classes];
    const types = new Set<string>();
    for (const n of nodes) {
      const spec = lookupLayer(this.ctx.qualified(n) ?? '');
      if (spec) types.add(spec.type);
    }
    return types.size > 0 ? types : undefined;
  }

  private applyRule(body: SyntaxNode, variable: string, types: Set<string>): void {
    for (const call of descendants(body, 'CallExpression')) {
      const bound = bindCall(call, this.ctx, this.cls.scope);
      const scheme = bound && this.schemeOf(call, bound);
      if (!scheme) continue;
      // m.weight, or m.weight.data (the DCGAN tutorial's spelling)
      const m = new RegExp(`^${variable}\\.(\\w+)(?:\\.data)?$`).exec(this.ctx.slice(scheme.target).replace(/\s+/g, ''));
      if (!m) continue;
      for (const layer of this.cls.layers) {
        if (types.has(layer.spec.type)) layer.explicit.set(m[1], explicitInit(scheme.scheme, call, 'torch', this.ctx.slice(call)));
      }
    }
  }
}

/**
 * Layer types selected by a class-name test, as in PyTorch's DCGAN example:
 * `classname.find('Conv') != -1` or `'Conv' in classname` (with
 * `classname = m.__class__.__name__`) selects every layer type containing "Conv".
 */
function classNameTypes(condition: string): Set<string> | undefined {
  const m = /^\w+\.find\(\s*(['"])(\w+)\1\s*\)\s*(?:!=\s*-1|>=\s*0|>\s*-1)$/.exec(condition) ?? /^(['"])(\w+)\1\s+in\s+\w+$/.exec(condition);
  if (!m) return undefined;
  const types = new Set(ALL_LAYERS.filter((spec) => spec.framework === 'torch' && spec.type.includes(m[2])).map((spec) => spec.type));
  return types.size > 0 ? types : undefined;
}

/** Analyzes one `nn.Module` subclass. */
export function analyzeTorchClass(cls: SyntaxNode, ctx: Context, moduleFunctions: ReadonlyMap<string, SyntaxNode>): TorchModelDraft | undefined {
  const nameNode = cls.getChild('VariableName');
  if (!nameNode) return undefined;
  const byName = new Map<string, SyntaxNode>();
  const body = cls.getChild('Body');
  if (body) {
    for (const stmt of statements(body)) {
      const fn = stmt.name === 'DecoratedStatement' ? stmt.getChild('FunctionDefinition') : stmt;
      const fnName = fn?.name === 'FunctionDefinition' ? fn.getChild('VariableName') : null;
      if (fn && fnName) byName.set(ctx.slice(fnName), fn);
    }
  }
  const init = byName.get('__init__');
  const initParams = init ? parameters(init, ctx, ctx.moduleScope) : { names: [], defaults: [] };
  let scope = extend(ctx.moduleScope, initParams.defaults);
  const torchClass = new TorchClass(ctx, scope, moduleFunctions);
  const initBody = init?.getChild('Body');
  if (initBody) {
    for (const stmt of walkStatements(initBody)) {
      if (stmt.name !== 'AssignStatement') continue;
      const target = stmt.firstChild;
      const value = stmt.lastChild;
      if (!target || !value || same(target, value)) continue;
      const m = /^self\.(\w+)$/.exec(ctx.slice(target));
      if (!m) continue;
      const constant = evaluate(value, ctx.text, scope);
      if (constant !== undefined) {
        scope = extend(scope, [[`self.${m[1]}`, constant]]);
        continue;
      }
      const entry = torchClass.entryFor(value, m[1], scope);
      if (entry.kind === 'layer') entry.layer.attribute = m[1];
      torchClass.entries.set(m[1], entry);
    }
  }
  const forward = byName.get('forward');
  if (forward) new Forward(torchClass, forward, scope).run();
  if (initBody) new Inits(torchClass, byName, moduleFunctions).body(initBody);
  const existing = INIT_METHOD_NAMES.map((n) => [n, byName.get(n)] as const).find(([, fn]) => fn && parameters(fn, ctx, scope).names.length === 1);
  const called = existing && initBody ? new RegExp(`self\\.${existing[0]}\\(\\s*\\)`).test(ctx.slice(initBody)) : false;
  return {
    name: ctx.slice(nameNode),
    kind: 'torch-module',
    node: cls,
    layers: torchClass.layers,
    ...(init ? { init } : {}),
    ...(existing && existing[1] ? { initMethod: { name: existing[0], node: existing[1], called } } : {}),
  };
}

/** A free-standing `nn.Sequential(...)` (e.g. `model = nn.Sequential(...)`). */
export function analyzeTorchSequential(call: SyntaxNode, name: string, ctx: Context, scope: Scope): TorchModelDraft | undefined {
  const torchClass = new TorchClass(ctx, scope);
  const entry = torchClass.entryFor(call, name, scope);
  if (entry.kind !== 'container') return undefined;
  // The last layer of a model is its output layer.
  settle(entry.tail, { activation: { kind: 'identity' }, via: 'output' });
  // Layer names relative to the model, as in named_modules(): "0", "1", ...
  for (const layer of torchClass.layers) layer.name = layer.name.slice(name.length + 1);
  return { name, kind: 'torch-sequential', node: call, layers: torchClass.layers };
}

/** `nn.init.kaiming_normal_(model[0].weight, ...)` statements after a free-standing Sequential. */
export function applyFollowingInits(draft: TorchModelDraft, followers: readonly SyntaxNode[], ctx: Context): void {
  const cls = new TorchClass(ctx, ctx.moduleScope);
  const inits = new Inits(cls, new Map(), new Map());
  const pattern = new RegExp(`^${draft.name}\\[(\\d+)\\]\\.(\\w+)$`);
  for (const stmt of followers) {
    const call = stmt.firstChild;
    if (stmt.name !== 'ExpressionStatement' || call?.name !== 'CallExpression') continue;
    const bound = bindCall(call, ctx, ctx.moduleScope);
    const found = bound && inits.schemeOf(call, bound);
    const m = found && pattern.exec(ctx.slice(found.target).replace(/\s+/g, ''));
    const layer = m && draft.layers.find((l) => l.name === m[1]);
    if (found && m && layer) layer.explicit.set(m[2], explicitInit(found.scheme, call, 'torch', ctx.slice(call)));
  }
}

/** Applies `model.apply(fn)` found at module level to a class's layers. */
export function applyModuleLevel(draft: TorchModelDraft, fnNode: SyntaxNode, ctx: Context, moduleFunctions: ReadonlyMap<string, SyntaxNode>): void {
  const cls = new TorchClass(ctx, ctx.moduleScope);
  cls.layers.push(...draft.layers);
  new Inits(cls, new Map(), moduleFunctions).applyFunction(fnNode);
}

