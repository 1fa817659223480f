/**
 * Forward data flow of a PyTorch module: for each layer called in
 * `forward`, what consumes its output (an activation, a normalizer on the
 * way, another layer, the return value).
 */
import type { SyntaxNode } from '../python/parse';
import { descendants, same, stringValue, unwrap } from '../python/syntax';
import { functionCall, tensorMethod, type Activation } from './activations';
import { bindCall, type Context } from './context';
import type { Scope } from './evaluate';
import type { LayerDraft } from './layer';
import { settle, walkStatements, type Entry, type TorchClass } from './members';
import type { ActivationUse } from './types';

const SHAPE_METHODS = new Set(['view', 'reshape', 'flatten', 'permute', 'transpose', 'contiguous', 'squeeze', 'unsqueeze', 'float', 'to', 'clone']);

/** Layers an expression's call target stands for (`self.fc1`, `self.layers[0]`, a loop variable over `self.blocks`). */
type Target =
  | { readonly kind: 'layers'; readonly layers: readonly LayerDraft[] }
  | { readonly kind: 'activation'; readonly activation: Activation; readonly at: SyntaxNode }
  | { readonly kind: 'normalizer'; readonly type: string }
  | { readonly kind: 'neutral' }
  | { readonly kind: 'other' };

export class Forward {
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
    case 'module':
    case 'other':
      return { kind: 'other' };
  }
}

