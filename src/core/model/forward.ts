/**
 * Forward data flow of a PyTorch module: for each layer called in
 * `forward` (or in the methods `forward` calls, `self._forward_impl(x)`,
 * `self.encode(x)`), what consumes its output: an activation, a normalizer
 * on the way, another layer, the return value.
 *
 * The rule is the one of the PyTorch-derived answer keys
 * (scripts/realworld/keys.py, `classify`/`follow`): a layer's output passes
 * through norms, dropout, pooling, padding, reshapes (`view`, `split`,
 * `chunk`, einops' `rearrange`), indexing and residual additions; an
 * activation ends the search with that activation; another weight layer, a
 * product, a concatenation, an attention or the model's output ends it with
 * none ("identity"). Every use of the value is followed; the first use that
 * gives an answer decides.
 */
import type { SyntaxNode } from '../python/parse';
import { callArgs, descendants, same, statements, stringValue, unwrap } from '../python/syntax';
import { functionCall, tensorMethod, type Activation } from './activations';
import { bindCall, type Context } from './context';
import type { Scope } from './evaluate';
import type { LayerDraft } from './layer';
import { settle, walkStatements, type Entry, type TorchClass } from './members';
import type { ActivationUse } from './types';

/** Tensor methods that reshape or split without computing (keys.py's PASS_METHODS, plus `to`/`clone`). */
const PASS_METHODS = new Set(['view', 'reshape', 'flatten', 'permute', 'transpose', 'contiguous', 'squeeze', 'unsqueeze', 'float', 'to', 'clone', 'add', 'add_', 'split', 'chunk', 'view_as', 'type_as', 'unbind']);
/** Tensor methods that read only the shape: not a use of the data. */
const SHAPE_METHODS = new Set(['size', 'dim', 'numel']);
const SHAPE_ATTRIBUTES = new Set(['shape', 'device', 'dtype', 'ndim', 'is_cuda']);
/** Tensor methods that take the value as data (a product, a mask, a reduction): no activation follows. */
const DATA_METHODS = new Set(['mul', 'mul_', 'div', 'div_', 'sub', 'sub_', 'matmul', 'bmm', 'mm', 'masked_fill', 'masked_fill_', 'sum', 'mean', 'exp', 'pow', 'expand', 'expand_as', 'repeat', 'gather', 'norm']);
/** How deep the flow follows methods calling methods (`forward` → `_forward_impl` → `_block`). */
const MAX_DEPTH = 4;
/** Steps one layer's flow may take over all its uses: bounds the work on long forwards. */
const STEP_BUDGET = 512;

/** Layers an expression's call target stands for (`self.fc1`, `self.layers[0]`, a loop variable over `self.blocks`). */
type Target =
  /** `consumes`: what a container does first to its input, when it is not a lone layer (`nn.Sequential(nn.BatchNorm2d(c), nn.ReLU(), ...)`). */
  | { readonly kind: 'layers'; readonly layers: readonly LayerDraft[]; readonly consumes?: Head | 'unknown' }
  | { readonly kind: 'activation'; readonly activation: Activation; readonly at: SyntaxNode }
  | { readonly kind: 'normalizer'; readonly type: string }
  | { readonly kind: 'neutral' }
  /** A method of the class (`self.encode(x)`). */
  | { readonly kind: 'method'; readonly fn: SyntaxNode }
  /** `outputs.append(x)`: the value goes into the list `name`. */
  | { readonly kind: 'append'; readonly name: string }
  | { readonly kind: 'other' };

/** A function the data flows through: `forward`, or a method it calls, which returns to `caller`. */
interface Frame {
  readonly fn: SyntaxNode;
  readonly body: SyntaxNode;
  readonly caller?: { readonly call: SyntaxNode; readonly frame: Frame };
  readonly depth: number;
}

/** What follows one use of a value: an activation (with the normalizer met on the way), unknown, or nothing (a shape read, an unused parameter). */
type Outcome = { readonly use: ActivationUse; readonly normalizer?: string } | 'unknown' | 'ignore';

const IDENTITY: Activation = { kind: 'identity' };

export class Forward {
  private readonly loopVars = new Map<string, Entry>();
  private readonly methods = new Map<string, SyntaxNode>();
  private budget = 0;

  constructor(
    private readonly cls: TorchClass,
    private readonly fn: SyntaxNode,
    private readonly scope: Scope,
  ) {
    // The class's other methods, for `self.<method>(x)` calls.
    const classBody = fn.parent?.name === 'DecoratedStatement' ? fn.parent.parent : fn.parent;
    if (classBody?.name !== 'Body') return;
    for (const stmt of statements(classBody)) {
      const def = stmt.name === 'DecoratedStatement' ? stmt.getChild('FunctionDefinition') : stmt;
      const name = def?.name === 'FunctionDefinition' ? def.getChild('VariableName') : null;
      if (def && name) this.methods.set(this.ctx.slice(name), def);
    }
  }

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
    if (callee.name === 'MemberExpression') {
      const object = callee.firstChild;
      const prop = callee.getChild('PropertyName');
      const name = prop ? this.ctx.slice(prop) : '';
      if (object && this.ctx.slice(object) === 'self' && this.methods.has(name)) return { kind: 'method', fn: this.methods.get(name) as SyntaxNode };
      if (object?.name === 'VariableName' && (name === 'append' || name === 'extend')) return { kind: 'append', name: this.ctx.slice(object) };
    }
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
    if (body) this.visit({ fn: this.fn, body, depth: 0 });
  }

  /** Settles the layers called in one frame, then in the methods it calls. */
  private visit(frame: Frame): void {
    for (const stmt of walkStatements(frame.body)) {
      if (stmt.name === 'ForStatement') this.bindLoop(stmt);
    }
    for (const call of descendants(frame.body, 'CallExpression')) {
      const target = this.target(call);
      if (target.kind === 'method') {
        if (frame.depth < MAX_DEPTH && !onStack(frame, target.fn)) {
          const body = target.fn.getChild('Body');
          if (body) this.visit({ fn: target.fn, body, caller: { call, frame }, depth: frame.depth + 1 });
        }
        continue;
      }
      if (target.kind !== 'layers') continue;
      const pending = target.layers.filter((l) => !l.activationSettled);
      if (pending.length === 0) continue;
      this.budget = STEP_BUDGET;
      const outcome = this.follow(call, frame, undefined, undefined);
      for (const layer of pending) {
        if (typeof outcome === 'object' && outcome.normalizer && !layer.normalizer) layer.normalizer = outcome.normalizer;
        settle(layer, typeof outcome === 'object' ? outcome.use : undefined);
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

  /**
   * Follows the value of `start` in `frame` up the expression tree to what
   * consumes it. `index` is the value's position in the tuple being passed
   * on (`return self.fc21(h), self.fc22(h)`), when it is one.
   */
  private follow(start: SyntaxNode, startFrame: Frame, startIndex: number | undefined, startNormalizer: string | undefined): Outcome {
    let node = start;
    let frame = startFrame;
    let index = startIndex;
    let normalizer = startNormalizer;
    const done = (activation: Activation, via: ActivationUse['via'] = 'forward', at?: SyntaxNode): Outcome => ({
      use: { activation, via, ...(at ? { at: { from: at.from, to: at.to } } : {}) },
      ...(normalizer ? { normalizer } : {}),
    });
    while (this.budget-- > 0) {
      const parent = node.parent;
      if (!parent) return 'unknown';
      switch (parent.name) {
        case 'ArgList': {
          const call = parent.parent;
          if (call?.name !== 'CallExpression') return 'unknown';
          if (isKeywordName(node)) return 'unknown';
          const target = this.target(call);
          switch (target.kind) {
            case 'activation':
              return done(target.activation, 'forward', target.at);
            case 'normalizer':
              normalizer ??= target.type;
              break;
            case 'neutral':
              break;
            case 'layers':
              if (target.consumes === 'unknown') return 'unknown';
              if (target.consumes?.normalizer) normalizer ??= target.consumes.normalizer;
              return target.consumes ? done(target.consumes.activation, 'forward', target.consumes.at) : done(IDENTITY);
            case 'method':
              return this.enter(target.fn, call, node, frame, normalizer);
            case 'append': {
              const stmt = statementOf(call);
              return stmt ? this.uses(target.name, stmt, frame, undefined, normalizer) : 'unknown';
            }
            case 'other':
              return this.throughMap(call, node, frame, normalizer);
          }
          node = call;
          index = undefined;
          continue;
        }
        case 'MemberExpression': {
          // The value is indexed or has a method called on it (an index inside brackets is not the data).
          if (!same(parent.firstChild, node)) return 'unknown';
          if (parent.getChild('[')) {
            node = parent;
            index = undefined;
            continue;
          }
          const prop = parent.getChild('PropertyName');
          const name = prop ? this.ctx.slice(prop) : '';
          const call = parent.parent?.name === 'CallExpression' && same(parent.parent.firstChild, parent) ? parent.parent : undefined;
          if (!call) {
            if (SHAPE_ATTRIBUTES.has(name)) return 'ignore';
            if (name === 'T' || name === 'mT') {
              node = parent;
              continue;
            }
            return 'unknown';
          }
          const activation = tensorMethod(name);
          if (activation) return done(activation, 'forward', call);
          if (SHAPE_METHODS.has(name)) return 'ignore';
          if (DATA_METHODS.has(name)) return done(IDENTITY);
          if (!PASS_METHODS.has(name)) return 'unknown';
          node = call;
          index = undefined;
          continue;
        }
        case 'BinaryExpression': {
          const op = parent.getChild('ArithOp');
          // A residual addition passes the value on; a product, difference or quotient takes it as data.
          if (!op) return 'unknown';
          if (this.ctx.slice(op) !== '+') return done(IDENTITY);
          node = parent;
          index = undefined;
          continue;
        }
        case 'ParenthesizedExpression':
          node = parent;
          continue;
        case 'ConditionalExpression':
          if (node.prevSibling?.name === 'if') return 'ignore';
          node = parent;
          continue;
        case 'TupleExpression':
        case 'ArrayExpression':
          index = elementIndex(parent, node);
          node = parent;
          continue;
        case 'LambdaExpression':
          // The body of `map(lambda t: ..., values)`: its value is the map's element.
          return same(parent.lastChild, node) && this.isMapCall(parent.parent?.parent) ? this.continueFrom(parent.parent?.parent as SyntaxNode, frame, normalizer) : 'unknown';
        case 'AssignStatement': {
          const targets = assignTargets(parent);
          if (targets.some((t) => same(t, node))) return 'unknown';
          if (targets.length === 1) {
            const t = targets[0];
            return t.name === 'VariableName' ? this.uses(this.ctx.slice(t), parent, frame, index, normalizer) : 'unknown';
          }
          // `q, k, v = x.split(...)`: each name holds part of the value; `mu, logvar = self.encode(x)`: one of them.
          const chosen = index !== undefined && index < targets.length ? [targets[index]] : targets;
          return merge(chosen.map((t) => (t.name === 'VariableName' ? this.uses(this.ctx.slice(t), parent, frame, undefined, normalizer) : 'unknown')));
        }
        case 'UpdateStatement': {
          const t = parent.firstChild;
          const op = parent.getChild('UpdateOp');
          if (t?.name !== 'VariableName' || !op) return 'unknown';
          // `out += self.shortcut(x)` / `out += identity`: a residual addition into `out`.
          if (this.ctx.slice(op) !== '+=') return done(IDENTITY);
          return this.uses(this.ctx.slice(t), parent, frame, undefined, normalizer);
        }
        case 'ReturnStatement': {
          if (!same(enclosingFunction(parent), frame.fn)) return 'unknown';
          const values = valuesOf(parent);
          if (values.length > 1) index = values.findIndex((v) => same(v, node));
          if (!frame.caller) return done(IDENTITY, 'output');
          node = frame.caller.call;
          frame = frame.caller.frame;
          continue;
        }
        case 'ExpressionStatement':
          // Computed and dropped: nothing consumes it.
          return done(IDENTITY);
        default:
          return 'unknown';
      }
    }
    return 'unknown';
  }

  /** Follows the value from a call node onward (the budget is shared). */
  private continueFrom(node: SyntaxNode, frame: Frame, normalizer: string | undefined): Outcome {
    return this.follow(node, frame, undefined, normalizer);
  }

  private isMapCall(call: SyntaxNode | null | undefined): boolean {
    return call?.name === 'CallExpression' && call.firstChild?.name === 'VariableName' && this.ctx.slice(call.firstChild) === 'map';
  }

  /** `map(lambda t: rearrange(t, ...), qkv)`: the lambda's parameter stands for each element of `qkv`. */
  private throughMap(call: SyntaxNode, arg: SyntaxNode, frame: Frame, normalizer: string | undefined): Outcome {
    if (!this.isMapCall(call)) return 'unknown';
    const list = call.getChild('ArgList');
    const args = list ? callArgs(list, this.ctx.text) : undefined;
    const fn = args?.positional[0];
    if (!args || !fn || fn.name !== 'LambdaExpression' || !args.positional.slice(1).some((a) => same(a, arg))) return 'unknown';
    const param = fn.getChild('ParamList')?.getChild('VariableName');
    const body = fn.lastChild;
    if (!param || !body) return 'unknown';
    const name = this.ctx.slice(param);
    const reads = [...descendants(body, 'VariableName')].filter((v) => this.ctx.slice(v) === name);
    if (body.name === 'VariableName' && this.ctx.slice(body) === name) reads.push(body);
    if (reads.length === 0) return 'ignore';
    return merge(reads.map((r) => this.follow(r, frame, undefined, normalizer)));
  }

  /** The value passed to `self.<method>(...)`: followed from the method's parameter, in a frame that returns to the call. */
  private enter(fn: SyntaxNode, call: SyntaxNode, arg: SyntaxNode, frame: Frame, normalizer: string | undefined): Outcome {
    const body = fn.getChild('Body');
    const list = call.getChild('ArgList');
    if (!body || !list || frame.depth >= MAX_DEPTH || onStack(frame, fn)) return 'unknown';
    const args = callArgs(list, this.ctx.text);
    const params = parameterNames(fn, this.ctx);
    if (!params) return 'unknown';
    let param: string | undefined;
    for (const [key, value] of args.keywords) if (same(value, arg)) param = key;
    const position = args.positional.findIndex((a) => same(a, arg));
    if (param === undefined && position >= 0 && !args.hasStarred) param = params[position + 1]; // after `self`
    if (param === undefined || !params.includes(param)) return 'unknown';
    const inner: Frame = { fn, body, caller: { call, frame }, depth: frame.depth + 1 };
    const reads = this.reads(param, body.from, body);
    if (reads.length === 0) return 'ignore';
    return merge(reads.map((r) => this.follow(r, inner, undefined, normalizer)));
  }

  /** The uses of `name` after the statement that binds it. */
  private uses(name: string, stmt: SyntaxNode, frame: Frame, index: number | undefined, normalizer: string | undefined): Outcome {
    const reads = this.reads(name, stmt.to, frame.body);
    if (reads.length === 0) {
      // Bound and never read again: nothing consumes it (unless a loop comes back to an earlier read).
      return insideLoop(stmt, frame.body) ? 'unknown' : { use: { activation: IDENTITY, via: 'forward' }, ...(normalizer ? { normalizer } : {}) };
    }
    return merge(reads.map((r) => this.follow(r, frame, index, normalizer)));
  }

  /**
   * Reads of `name` after `offset` in `body`, up to and including the
   * statement that binds it again (`x = self.fc2(x)` reads `x`, then rebinds it).
   */
  private reads(name: string, offset: number, body: SyntaxNode): SyntaxNode[] {
    const out: SyntaxNode[] = [];
    let until = Infinity;
    for (const v of descendants(body, 'VariableName')) {
      if (v.from < offset || this.ctx.slice(v) !== name) continue;
      if (v.from > until) break;
      const parent = v.parent;
      if (parent?.name === 'AssignStatement' && assignTargets(parent).some((t) => same(t, v))) {
        until = Math.min(until, parent.to);
        continue;
      }
      if (parent?.name === 'ForStatement' && !isAfterIn(v)) {
        until = Math.min(until, parent.to);
        continue;
      }
      if (parent?.name === 'ParamList' || isKeywordName(v)) continue;
      // `x += y` reads `x` and binds the sum, which the read itself follows.
      if (parent?.name === 'UpdateStatement' && same(parent.firstChild, v)) until = Math.min(until, parent.to);
      out.push(v);
    }
    return out;
  }
}

/** The first outcome that names an activation; else unknown, unless every use is only a shape read. */
function merge(outcomes: readonly Outcome[]): Outcome {
  const known = outcomes.find((o): o is Exclude<Outcome, string> => typeof o === 'object');
  if (known) return known;
  return outcomes.length > 0 && outcomes.every((o) => o === 'ignore') ? 'ignore' : 'unknown';
}

function onStack(frame: Frame | undefined, fn: SyntaxNode): boolean {
  for (let f = frame; f; f = f.caller?.frame) if (same(f.fn, fn)) return true;
  return false;
}

/** Parameter names of a method (`self` first), or undefined when `*args` makes positions unknowable. */
function parameterNames(fn: SyntaxNode, ctx: Context): string[] | undefined {
  const list = fn.getChild('ParamList');
  if (!list) return undefined;
  const names: string[] = [];
  let afterDefault = false;
  for (let c = list.firstChild; c; c = c.nextSibling) {
    if (c.name === '*' || c.name === '**') return names.length > 0 ? names : undefined;
    if (c.name === 'AssignOp') afterDefault = true;
    else if (c.name === ',') afterDefault = false;
    else if (c.name === 'VariableName' && !afterDefault) names.push(ctx.slice(c));
  }
  return names;
}

/** The targets of `a = ...` / `a, b = ...` (children before the `=`). */
function assignTargets(stmt: SyntaxNode): SyntaxNode[] {
  const out: SyntaxNode[] = [];
  for (let c = stmt.firstChild; c && c.name !== 'AssignOp'; c = c.nextSibling) {
    if (c.name === 'TupleExpression' || c.name === 'ParenthesizedExpression' || c.name === 'ArrayExpression') {
      for (let e = c.firstChild; e; e = e.nextSibling) if (e.name === 'VariableName' || e.name === 'MemberExpression') out.push(e);
    } else if (c.name !== ',' && c.name !== 'TypeDef') out.push(c);
  }
  return out;
}

/** The values of `return a, b` (one for `return a`). */
function valuesOf(stmt: SyntaxNode): SyntaxNode[] {
  const out: SyntaxNode[] = [];
  for (let c = stmt.firstChild; c; c = c.nextSibling) if (c.name !== 'return' && c.name !== ',') out.push(c);
  return out;
}

/** Position of `node` among a tuple/list literal's elements; undefined after a `*spread`. */
function elementIndex(seq: SyntaxNode, node: SyntaxNode): number | undefined {
  let i = 0;
  for (let c = seq.firstChild; c; c = c.nextSibling) {
    if (c.name === '*') return undefined;
    if (same(c, node)) return i;
    if (c.name !== '(' && c.name !== ')' && c.name !== '[' && c.name !== ']' && c.name !== ',') i++;
  }
  return undefined;
}

/** `name` in `f(name=value)`: a keyword, not a read. */
function isKeywordName(node: SyntaxNode): boolean {
  return node.name === 'VariableName' && node.parent?.name === 'ArgList' && node.nextSibling?.name === 'AssignOp';
}

/** Whether a VariableName child of a `for` statement comes after `in` (the iterable, a read). */
function isAfterIn(v: SyntaxNode): boolean {
  for (let c = v.prevSibling; c; c = c.prevSibling) if (c.name === 'in') return true;
  return false;
}

function statementOf(node: SyntaxNode): SyntaxNode | undefined {
  for (let n: SyntaxNode | null = node; n; n = n.parent) if (n.parent?.name === 'Body') return n;
  return undefined;
}

function enclosingFunction(node: SyntaxNode): SyntaxNode | undefined {
  for (let n = node.parent; n; n = n.parent) if (n.name === 'FunctionDefinition' || n.name === 'LambdaExpression') return n;
  return undefined;
}

function insideLoop(stmt: SyntaxNode, body: SyntaxNode): boolean {
  for (let n = stmt.parent; n && !same(n, body); n = n.parent) if (n.name === 'ForStatement' || n.name === 'WhileStatement') return true;
  return false;
}

/** The first thing a container does to its input that decides the activation. */
interface Head {
  readonly activation: Activation;
  readonly at?: SyntaxNode;
  readonly normalizer?: string;
}

function headOf(entry: Entry, normalizer?: string): Head | undefined {
  switch (entry.kind) {
    case 'layer':
      return entry.layer.spec.role === 'normalizer' ? undefined : { activation: IDENTITY, ...(normalizer ? { normalizer } : {}) };
    case 'activation':
      return { activation: entry.activation, at: entry.at, ...(normalizer ? { normalizer } : {}) };
    case 'container': {
      let norm = normalizer;
      for (const e of entry.elements) {
        if (e.kind === 'neutral') continue;
        if (e.kind === 'layer' && e.layer.spec.role === 'normalizer') {
          norm ??= e.layer.spec.type;
          continue;
        }
        return headOf(e, norm);
      }
      return undefined;
    }
    default:
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
      if (entry.tail) return { kind: 'layers', layers: [entry.tail], consumes: headOf(entry) ?? 'unknown' };
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
