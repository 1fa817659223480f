/**
 * What the attributes of a PyTorch module hold (`self.<attr> = ...` in
 * `__init__`): layers, activations, neutral modules and containers
 * (`nn.Sequential`, `ModuleList`, `ModuleDict`), with Sequential chaining
 * deciding each element's activation, and layer factories of the file
 * (`def conv3x3(...): return nn.Conv2d(...)`).
 */
import type { SyntaxNode } from '../python/parse';
import { sequenceElements, statements, stringValue, unwrap } from '../python/syntax';
import { kerasActivationName, torchModule, type Activation } from './activations';
import { lookupLayer } from './catalog';
import { bindCall, extend, type BoundCall, type Context } from './context';
import { evaluate, type Scope, type Value } from './evaluate';
import { draftLayer, type LayerDraft } from './layer';
import type { ActivationUse } from './types';

/** What `self.<attr>` holds, as far as the analysis knows. */
export type Entry =
  | { readonly kind: 'layer'; readonly layer: LayerDraft }
  | { readonly kind: 'activation'; readonly activation: Activation; readonly at: SyntaxNode }
  | { readonly kind: 'neutral' }
  | { readonly kind: 'container'; readonly elements: readonly Entry[]; readonly byKey: ReadonlyMap<string, Entry>; readonly tail?: LayerDraft; readonly head?: Entry }
  | { readonly kind: 'other' };

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
export function* walkStatements(body: SyntaxNode): Generator<SyntaxNode> {
  for (const stmt of statements(body)) {
    yield stmt;
    for (let c = stmt.firstChild; c; c = c.nextSibling) {
      if (c.name === 'Body') yield* walkStatements(c);
    }
  }
}

export class TorchClass {
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
      // A building block's own norm and activation (torchvision's Conv2dNormActivation).
      const applied = spec.applies?.(layer.args);
      if (applied?.normalizer) layer.normalizer = applied.normalizer;
      if (applied && applied.activation !== undefined) settle(layer, applied.activation ? { activation: applied.activation, via: 'builtin' } : undefined);
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
export function chain(pending: LayerDraft | undefined, entry: Entry, node: SyntaxNode): LayerDraft | undefined {
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

export function settle(layer: LayerDraft | undefined, use: ActivationUse | undefined): void {
  if (!layer || layer.activationSettled) return;
  if (use) layer.activation = use;
  layer.activationSettled = true;
}

function withoutNames(scope: Scope, names: readonly string[]): Scope {
  const copy = new Map(scope);
  for (const n of names) copy.delete(n);
  return copy;
}

