/**
 * Forward data flow of a PyTorch module: for each layer called in
 * `forward` (or in the methods `forward` calls, `self._forward_impl(x)`,
 * `self.encode(x)`, and lambdas `__init__` stores on the module), what
 * consumes its output: an activation, a normalizer on the way, another layer,
 * the return value.
 *
 * The rule is the one of the PyTorch-derived answer keys
 * (scripts/realworld/keys.py, `classify`/`follow`): a layer's output passes
 * through norms, dropout, pooling, padding, reshapes (`view`, `split`,
 * `chunk`, einops' `rearrange`), indexing and residual additions; an
 * activation ends the search with that activation; another weight layer, a
 * product, a concatenation, an attention or the model's output ends it with
 * none ("identity"). Every use of the value is followed; the first use that
 * gives an answer decides.
 *
 * The flow crosses module classes of the file, as torch.fx traces the whole
 * model: a value passed to a child module continues inside the child's
 * forward (its {@link InputSummary}, computed in the child's own context), and
 * a layer's output that reaches this class's `return` continues where the
 * class that builds it uses it (the context's `exit`, which that class's
 * analysis computed: the next block of a Sequential or a loop, its own
 * forward). With no such class, the return is the model's output; where the
 * builder's forward never calls it, unknown. A class that computes an
 * activation by hand (formula.ts) is that activation to its callers.
 */
import type { SyntaxNode } from '../python/parse';
import { callArgs, descendants, same, statements, stringValue, unwrap } from '../python/syntax';
import { functionCall, tensorMethod, type Activation } from './activations';
import { bindCall, type Context } from './context';
import type { Scope } from './evaluate';
import type { LayerDraft } from './layer';
import { settle, walkStatements, type Entry, type TorchClass } from './members';
import { formulaActivation } from './formula';
import type { ActivationUse } from './types';

/** A module class of the file held by an attribute or a container. */
export type ModuleEntry = Extract<Entry, { kind: 'module' }>;

/**
 * Where a value goes, as far as one class's forward decides it: the use that
 * decides (an activation or none, with the normalizer met on the way); `exit`:
 * it reaches the class's `return`, so what the caller does with the call's
 * value decides; unknown; or nothing reads it but its shape.
 */
export type Flow = { readonly use: ActivationUse; readonly normalizer?: string } | { readonly exit: true; readonly normalizer?: string } | 'unknown' | 'ignore';

/** What a module class's forward does to each of its parameters (after `self`). */
export interface InputSummary {
  /** The parameters in order: the caller's positional arguments map onto them. */
  readonly params: readonly string[];
  readonly flows: readonly (readonly [string, Flow])[];
}

/** The module tree's side of the flow. */
export interface ForwardHooks {
  /** The class's name, for uses decided here that another class's layer reaches. */
  readonly name: string;
  /** What the module class an attribute holds does to its inputs (in the context it is built in); undefined: not known. */
  summary?(entry: ModuleEntry): InputSummary | undefined;
  /** What follows this class's output in the class that builds it (a decided use or unknown); absent: the model's output. */
  readonly exit?: Flow;
}

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
  /**
   * Modules of the class (a layer, a container, a module class of the file):
   * `entry` decides what happens to the input; `layers` and `modules` are the
   * ones whose output is the call's value. `loop`: a loop variable over a
   * container (`for block in self.h`), the loop statement.
   */
  | { readonly kind: 'entry'; readonly entry: Entry; readonly layers: readonly LayerDraft[]; readonly modules: readonly ModuleEntry[]; readonly loop?: SyntaxNode }
  /** A layer built inline (`nn.Linear(4, 4)(x)`). */
  | { readonly kind: 'layers'; readonly layers: readonly LayerDraft[] }
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

/** What follows one use of a value: an activation (with the normalizer met on the way), the class's return (summaries), unknown, or nothing (a shape read, an unused parameter). */
type Outcome = Flow;

const IDENTITY: Activation = { kind: 'identity' };

export class Forward {
  private readonly loopVars = new Map<string, Entry>();
  /** The `for` statement that binds each loop variable. */
  private readonly loopOf = new Map<string, SyntaxNode>();
  /** How many elements each such loop runs, by the loop's offset (syntax nodes are not canonical objects). */
  private readonly loopSize = new Map<number, number>();
  /** Loops over a partial container: after its known elements come others. */
  private readonly loopPartial = new Set<number>();
  private readonly methods = new Map<string, SyntaxNode>();
  /** `self.<name> = lambda x: ...` in `__init__` (minGPT's `self.mlpf`), called like a method; and `m = self.<attr>` aliases its lambdas read. */
  private readonly lambdas = new Map<string, SyntaxNode>();
  /** `self.<name> = F.gelu` in `__init__` (lucidrains' CCT): the function the attribute holds, by its qualified name. */
  private readonly heldFunctions = new Map<string, string>();
  private readonly aliases = new Map<string, Entry>();
  private init?: SyntaxNode;
  private budget = 0;
  /** While following a summary: the class's own return hands the value to the caller. */
  private summarizing = false;
  /**
   * While following a value inside a loop over a container whose element
   * `next` takes it in the next iteration (`for block in self.h: x = block(x)`):
   * reads after the loop come only after the last element.
   */
  private iterating?: { readonly loop: SyntaxNode; readonly next: number };
  /** The element a loop's variable stands for in the iteration being followed (else any of them). */
  private element?: { readonly loop: SyntaxNode; readonly index: number };
  /** What follows each module class's output here (the context its class gets from this one). */
  readonly exits = new Map<ModuleEntry, Flow>();
  /** Sequentials' elements whose output is the Sequential's output (after the tail layer). */
  private readonly seqOutputs = new Map<Entry, { layers: LayerDraft[]; modules: ModuleEntry[] }>();

  constructor(
    private readonly cls: TorchClass,
    private readonly fn: SyntaxNode,
    private readonly scope: Scope,
    private readonly hooks?: ForwardHooks,
  ) {
    // The class's other methods, for `self.<method>(x)` calls.
    const classBody = fn.parent?.name === 'DecoratedStatement' ? fn.parent.parent : fn.parent;
    if (classBody?.name !== 'Body') return;
    for (const stmt of statements(classBody)) {
      const def = stmt.name === 'DecoratedStatement' ? stmt.getChild('FunctionDefinition') : stmt;
      const name = def?.name === 'FunctionDefinition' ? def.getChild('VariableName') : null;
      if (def && name) this.methods.set(this.ctx.slice(name), def);
    }
    this.init = this.methods.get('__init__');
    const initBody = this.init?.getChild('Body');
    if (!initBody) return;
    for (const stmt of statements(initBody)) {
      if (stmt.name !== 'AssignStatement') continue;
      const target = stmt.firstChild;
      const value = stmt.lastChild;
      if (!target || !value || target.nextSibling?.name !== 'AssignOp') continue;
      const attr = target.name === 'MemberExpression' && this.ctx.slice(target.firstChild as SyntaxNode) === 'self' ? target.getChild('PropertyName') : null;
      if (attr && value.name === 'LambdaExpression') this.lambdas.set(this.ctx.slice(attr), value);
      else if (attr) this.lambdas.delete(this.ctx.slice(attr));
      if (attr) {
        const held = value.name === 'MemberExpression' || value.name === 'VariableName' ? this.ctx.qualified(value) : undefined;
        if (held !== undefined) this.heldFunctions.set(this.ctx.slice(attr), held);
        else this.heldFunctions.delete(this.ctx.slice(attr));
      }
      else if (target.name === 'VariableName') {
        // `m = self.mlp`: what the attribute holds, for the lambdas below it.
        const held = value.name === 'MemberExpression' ? this.entryOf(value) : undefined;
        if (held) this.aliases.set(this.ctx.slice(target), held);
        else this.aliases.delete(this.ctx.slice(target));
      }
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
      // self.blocks[0] / self.heads["a"] / self.transformer.h (a ModuleDict's entry)
      if (object && prop?.name === 'PropertyName') {
        const container = this.entryOf(object);
        if (container?.kind === 'container') return container.byKey.get(this.ctx.slice(prop));
        return undefined;
      }
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
    if (n.name === 'VariableName') {
      // An alias of __init__ is read only by what __init__ defines (its lambdas).
      const inInit = this.init && n.from >= this.init.from && n.to <= this.init.to;
      return inInit ? this.aliases.get(this.ctx.slice(n)) : this.loopVars.get(this.ctx.slice(n));
    }
    return undefined;
  }

  /** What calling `callee` does to its input. */
  private target(call: SyntaxNode): Target {
    const callee = call.firstChild;
    if (!callee) return { kind: 'other' };
    const entry = this.entryOf(callee);
    const lambda = callee.name === 'MemberExpression' && this.ctx.slice(callee.firstChild as SyntaxNode) === 'self' ? this.lambdas.get(this.ctx.slice(callee.getChild('PropertyName') ?? callee)) : undefined;
    if (lambda && (!entry || entry.kind === 'other')) return { kind: 'method', fn: lambda };
    const held = callee.name === 'MemberExpression' && this.ctx.slice(callee.firstChild as SyntaxNode) === 'self' ? this.heldFunctions.get(this.ctx.slice(callee.getChild('PropertyName') ?? callee)) : undefined;
    if (held !== undefined && (!entry || entry.kind === 'other')) {
      const bound = bindCall(call, this.ctx, this.scope);
      const classified = bound ? functionCall(held, bound.read) : undefined;
      if (classified?.role === 'activation') return { kind: 'activation', activation: classified.activation, at: call };
      if (classified?.role === 'neutral') return { kind: 'neutral' };
    }
    if (entry) {
      const loop = callee.name === 'VariableName' ? this.loopOf.get(this.ctx.slice(callee)) : undefined;
      return this.fromEntry(entry, loop);
    }
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

  private fromEntry(entry: Entry, loop?: SyntaxNode): Target {
    switch (entry.kind) {
      case 'layer':
        return entry.layer.spec.role === 'normalizer' ? { kind: 'normalizer', type: entry.layer.spec.type } : { kind: 'entry', entry, layers: [entry.layer], modules: [] };
      case 'activation':
        return { kind: 'activation', activation: entry.activation, at: entry.at };
      case 'neutral':
        return { kind: 'neutral' };
      case 'module':
        return { kind: 'entry', entry, layers: [], modules: [entry] };
      case 'container': {
        const out = this.outputsOf(entry, 0);
        return { kind: 'entry', entry, layers: out.layers, modules: out.modules, ...(loop ? { loop } : {}) };
      }
      case 'other':
        return { kind: 'other' };
    }
  }

  /** The layers and module classes whose output is the value of calling `entry` (a ModuleList: any of its elements'). */
  private outputsOf(entry: Entry, depth: number): { layers: LayerDraft[]; modules: ModuleEntry[] } {
    const out: { layers: LayerDraft[]; modules: ModuleEntry[] } = { layers: [], modules: [] };
    if (entry.kind === 'layer' && entry.layer.spec.role !== 'normalizer') out.layers.push(entry.layer);
    else if (entry.kind === 'module') out.modules.push(entry);
    else if (entry.kind === 'container' && depth < MAX_DEPTH) {
      if (entry.head) {
        // A partial Sequential's last known layer feeds an element InitLens could not place, not its output.
        if (entry.tail && !entry.partial) out.layers.push(entry.tail);
        const more = this.seqOutputs.get(entry);
        if (more) {
          out.layers.push(...more.layers);
          out.modules.push(...more.modules);
        }
      } else {
        for (const e of entry.elements) {
          const inner = this.outputsOf(e, depth + 1);
          out.layers.push(...inner.layers);
          out.modules.push(...inner.modules);
        }
      }
    }
    return out;
  }

  run(): void {
    const body = this.fn.getChild('Body');
    this.sequentials();
    if (body) this.visit({ fn: this.fn, body, depth: 0 });
  }

  /**
   * What forward does to each of its parameters, for the classes that call
   * this one: a return hands the value back to the caller (`exit`); uses
   * decided here name this class and carry no position (it is another
   * class's text).
   */
  summary(): InputSummary {
    const body = this.fn.getChild('Body');
    const params = (parameterNames(this.fn, this.ctx) ?? []).slice(1);
    const flows: [string, Flow][] = [];
    if (!body) return { params, flows };
    // A class that computes an activation by hand (minGPT's NewGELU) is that activation to its callers.
    const formula = params.length > 0 ? formulaActivation(this.fn, params[0], this.ctx) : undefined;
    if (formula) return { params, flows: [[params[0], this.portable({ use: { activation: formula, via: 'forward' } })]] };
    const frame: Frame = { fn: this.fn, body, depth: 0 };
    this.summarizing = true;
    try {
      for (const param of params) {
        this.budget = STEP_BUDGET;
        const reads = this.reads(param, body.from, body);
        const flow = reads.length === 0 ? 'ignore' : merge(reads.map((r) => this.follow(r, frame, undefined, undefined)));
        flows.push([param, this.portable(flow)]);
      }
    } finally {
      this.summarizing = false;
    }
    return { params, flows };
  }

  /**
   * A flow as another class sees it: found through this class (however deep
   * it was decided, so that every context of a class that differs only there
   * stays one), without positions in this class's text.
   */
  private portable(flow: Flow): Flow {
    if (typeof flow !== 'object' || !('use' in flow)) return flow;
    const { at: _at, through: _through, ...use } = flow.use;
    return { use: { ...use, ...(this.hooks ? { through: this.hooks.name } : {}) }, ...(flow.normalizer ? { normalizer: flow.normalizer } : {}) };
  }

  /** What a module class does to the argument `arg` of `call`. */
  private moduleInput(entry: ModuleEntry, call: SyntaxNode | undefined, arg: SyntaxNode | undefined): Flow {
    const summary = this.hooks?.summary?.(entry);
    if (!summary) return 'unknown';
    let param: string | undefined = summary.params[0];
    const list = call?.getChild('ArgList');
    if (list && arg) {
      const args = callArgs(list, this.ctx.text);
      param = undefined;
      for (const [key, value] of args.keywords) if (same(value, arg)) param = key;
      const position = args.positional.findIndex((a) => same(a, arg));
      if (param === undefined && position >= 0 && !args.hasStarred) param = summary.params[position];
    }
    return summary.flows.find(([p]) => p === param)?.[1] ?? 'unknown';
  }

  /**
   * What calling `entry` does to its input (the argument `arg` of `call`; a
   * container's elements get the value as their first argument): decided, or
   * `exit` when it comes out as the call's value (neutral modules, a module
   * class that returns it).
   */
  private inputOf(entry: Entry, call: SyntaxNode | undefined, arg: SyntaxNode | undefined, depth: number): Flow {
    switch (entry.kind) {
      case 'layer':
        return entry.layer.spec.role === 'normalizer' ? { exit: true, normalizer: entry.layer.spec.type } : { use: { activation: IDENTITY, via: 'forward' } };
      case 'activation':
        return { use: { activation: entry.activation, via: 'forward', at: { from: entry.at.from, to: entry.at.to } } };
      case 'neutral':
        return { exit: true };
      case 'module':
        return this.moduleInput(entry, call, arg);
      case 'container': {
        if (depth >= MAX_DEPTH) return 'unknown';
        if (entry.head) return this.sequenceInput(entry.partial ? [...entry.elements, { kind: 'other' }] : entry.elements, depth + 1);
        // Elements InitLens could not place may do anything.
        if (entry.partial) return 'unknown';
        // A ModuleList element (loop variable, unknown index): any of them, so they must agree.
        const flows = entry.elements.map((e) => this.inputOf(e, call, arg, depth + 1));
        if (flows.length === 0) return 'unknown';
        const first = JSON.stringify(flows[0]);
        return flows.every((f) => JSON.stringify(f) === first) ? flows[0] : 'unknown';
      }
      case 'other':
        return 'unknown';
    }
  }

  /** What a chain of modules (a Sequential's elements) does to its input; `exit` when the value comes out of the last. */
  private sequenceInput(elements: readonly Entry[], depth: number): Flow {
    let normalizer: string | undefined;
    for (const e of elements) {
      const flow = this.inputOf(e, undefined, undefined, depth);
      if (typeof flow !== 'object') return flow;
      normalizer ??= flow.normalizer;
      if ('use' in flow) return { use: flow.use, ...(normalizer ? { normalizer } : {}) };
    }
    return { exit: true, ...(normalizer ? { normalizer } : {}) };
  }

  /**
   * Inside the class's Sequentials: what follows each module class of the
   * file (the rest of the chain), and a layer followed by one (`chain` in
   * members.ts leaves it undecided). What comes out of the last element is
   * the Sequential's output, decided where forward calls it.
   */
  private sequentials(): void {
    const seen = new Set<Entry>();
    const walk = (entry: Entry, owner: Entry | undefined, after: readonly Entry[], depth: number) => {
      if (entry.kind !== 'container' || depth >= MAX_DEPTH || seen.has(entry)) return;
      seen.add(entry);
      if (!entry.head) {
        for (const e of entry.elements) walk(e, undefined, [], depth + 1);
        return;
      }
      const top = owner ?? entry;
      // Elements InitLens could not place follow a partial Sequential: what comes after its known ones is unknown.
      const end: readonly Entry[] = entry.partial ? [{ kind: 'other' }] : after;
      entry.elements.forEach((e, i) => {
        const rest = [...entry.elements.slice(i + 1), ...end];
        if (e.kind === 'container') walk(e, top, rest, depth + 1);
        const decides = e.kind === 'module' || (e.kind === 'layer' && e.layer.spec.role !== 'normalizer' && !e.layer.activation && nextIsModule(rest));
        if (!decides) return;
        const flow = this.sequenceInput(rest, depth + 1);
        if (flow === 'unknown' || flow === 'ignore') return;
        if ('exit' in flow) {
          // Its output is the Sequential's: decided where forward calls it.
          const outs = this.seqOutputs.get(top) ?? { layers: [], modules: [] };
          if (e.kind === 'module') outs.modules.push(e);
          else if (e.kind === 'layer') {
            e.layer.activationSettled = false;
            if (flow.normalizer) e.layer.normalizer ??= flow.normalizer;
            outs.layers.push(e.layer);
          }
          this.seqOutputs.set(top, outs);
        } else if (e.kind === 'module') this.record(e, flow);
        else if (e.kind === 'layer') {
          e.layer.activation = flow.use;
          if (flow.normalizer) e.layer.normalizer ??= flow.normalizer;
        }
      });
    };
    for (const entry of this.cls.entries.values()) walk(entry, undefined, [], 0);
  }

  /**
   * What follows a module class's output: the same at every call, else
   * unknown. Seen from inside the module it is found in this class's forward
   * (even where this class returns it as the model's output: the module is no
   * output layer of its own), so contexts that differ only there stay one.
   */
  private record(entry: ModuleEntry, flow: Flow): void {
    if (flow === 'ignore') return;
    const portable = this.portable(flow);
    const f = typeof portable === 'object' && 'use' in portable ? { ...portable, use: { ...portable.use, via: 'forward' as const } } : portable;
    const before = this.exits.get(entry);
    this.exits.set(entry, before === undefined || JSON.stringify(before) === JSON.stringify(f) ? f : 'unknown');
  }

  /** Settles the layers called in one frame, then in the methods it calls. */
  private visit(frame: Frame): void {
    if (frame.body.name === 'Body') {
      for (const stmt of walkStatements(frame.body)) {
        if (stmt.name === 'ForStatement') this.bindLoop(stmt);
      }
    }
    for (const call of descendants(frame.body, 'CallExpression')) {
      const target = this.target(call);
      if (target.kind === 'method') {
        if (frame.depth < MAX_DEPTH && !onStack(frame, target.fn)) {
          const body = bodyOf(target.fn);
          if (body) this.visit({ fn: target.fn, body, caller: { call, frame }, depth: frame.depth + 1 });
        }
        continue;
      }
      if (target.kind !== 'layers' && target.kind !== 'entry') continue;
      if (target.kind === 'entry' && target.modules.length > 0) this.moduleOutputs(call, frame, target);
      const pending = target.layers.filter((l) => !l.activationSettled);
      if (pending.length === 0) continue;
      this.budget = STEP_BUDGET;
      const outcome = this.follow(call, frame, undefined, undefined);
      for (const layer of pending) {
        if (typeof outcome === 'object' && outcome.normalizer && !layer.normalizer) layer.normalizer = outcome.normalizer;
        settle(layer, typeof outcome === 'object' && 'use' in outcome ? outcome.use : undefined);
      }
    }
  }

  /**
   * What follows the output of the module classes a call runs. In a loop over
   * a container (`for block in self.h: x = block(x)`), every element but the
   * last hands its output to the next iteration; the last to what follows the loop.
   */
  private moduleOutputs(call: SyntaxNode, frame: Frame, target: Extract<Target, { kind: 'entry' }>): void {
    const { loop } = target;
    const follow = (index?: number): Flow => {
      this.budget = STEP_BUDGET;
      this.iterating = loop && index !== undefined ? this.after(loop, index) : undefined;
      try {
        return this.follow(call, frame, undefined, undefined);
      } finally {
        this.iterating = undefined;
      }
    };
    const elements = loop && target.entry.kind === 'container' ? target.entry.elements : undefined;
    if (!elements) {
      const flow = follow();
      for (const m of target.modules) this.record(m, flow);
      return;
    }
    let last: Flow | undefined;
    // After a partial container's known elements come others InitLens could not place: the last known one's
    // output goes to one of them.
    const partial = target.entry.kind === 'container' && target.entry.partial;
    elements.forEach((e, i) => {
      const { modules } = this.outputsOf(e, 1);
      if (modules.length === 0) return;
      const flow = i < elements.length - 1 ? follow(i) : partial ? 'unknown' : (last ??= follow());
      for (const m of modules) this.record(m, flow);
    });
  }

  private bindLoop(stmt: SyntaxNode): void {
    // for layer in self.layers: / for i, layer in enumerate(self.layers): / for attn, ff in self.layers:
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
    const enumerated = source.name === 'CallExpression' && this.ctx.slice(source.firstChild as SyntaxNode) === 'enumerate';
    if (enumerated) {
      const inner = bindCall(source, this.ctx, this.scope)?.args.positional[0];
      if (!inner) return;
      source = inner;
    }
    const entry = this.entryOf(source);
    if (!entry) return;
    const bind = (name: SyntaxNode, e: Entry) => {
      this.loopVars.set(this.ctx.slice(name), e);
      this.loopOf.set(this.ctx.slice(name), stmt);
      if (e.kind === 'container') this.loopSize.set(stmt.from, e.elements.length);
      if (e.kind === 'container' && e.partial) this.loopPartial.add(stmt.from);
    };
    if (enumerated || names.length === 1) {
      bind(names[names.length - 1], entry);
      return;
    }
    // `for attn, ff in self.layers`, each element a ModuleList of as many: each name runs the elements' j-th module.
    if (entry.kind !== 'container') return;
    const rows = entry.elements;
    if (rows.length === 0 || !rows.every((r) => r.kind === 'container' && !r.head && !r.partial && r.elements.length === names.length)) return;
    names.forEach((name, j) => {
      const column = rows.map((r) => (r as Extract<Entry, { kind: 'container' }>).elements[j]);
      bind(name, { kind: 'container', elements: column, byKey: new Map(), ...(entry.partial ? { partial: true as const } : {}) });
    });
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
              return done(IDENTITY);
            case 'entry': {
              // A loop's variable in a known iteration: that element, else any (they must agree).
              const at = this.element;
              const element = at && target.loop && same(at.loop, target.loop) && target.entry.kind === 'container' ? target.entry.elements[at.index] : undefined;
              const input = this.inputOf(element ?? target.entry, call, node, 0);
              if (input === 'unknown' || input === 'ignore') return input;
              if ('use' in input) return { use: input.use, ...(normalizer ?? input.normalizer ? { normalizer: normalizer ?? input.normalizer } : {}) };
              // Passed through (a module class that returns it, neutral modules): the call's value carries it on.
              normalizer ??= input.normalizer;
              break;
            }
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
          // A lambda called like a method returns its body's value to the call.
          if (same(parent, frame.fn) && same(parent.lastChild, node)) {
            if (!frame.caller) return this.returned(normalizer, done);
            node = frame.caller.call;
            frame = frame.caller.frame;
            index = undefined;
            continue;
          }
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
          if (!frame.caller) return this.returned(normalizer, done);
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

  /** The value reaches forward's own return: the caller's (summaries), the building class's use (the context), or the model's output. */
  private returned(normalizer: string | undefined, done: (activation: Activation, via: ActivationUse['via']) => Outcome): Outcome {
    if (this.summarizing) return { exit: true, ...(normalizer ? { normalizer } : {}) };
    const exit = this.hooks?.exit;
    if (exit === undefined) return done(IDENTITY, 'output');
    if (typeof exit !== 'object' || !('use' in exit)) return 'unknown';
    const n = normalizer ?? exit.normalizer;
    return { use: exit.use, ...(n ? { normalizer: n } : {}) };
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
    const body = bodyOf(fn);
    const list = call.getChild('ArgList');
    if (!body || !list || frame.depth >= MAX_DEPTH || onStack(frame, fn)) return 'unknown';
    const args = callArgs(list, this.ctx.text);
    const params = parameterNames(fn, this.ctx);
    if (!params) return 'unknown';
    let param: string | undefined;
    for (const [key, value] of args.keywords) if (same(value, arg)) param = key;
    const position = args.positional.findIndex((a) => same(a, arg));
    // After `self` (a lambda stored on the module takes no `self`).
    if (param === undefined && position >= 0 && !args.hasStarred) param = params[position + (fn.name === 'LambdaExpression' ? 0 : 1)];
    if (param === undefined || !params.includes(param)) return 'unknown';
    const inner: Frame = { fn, body, caller: { call, frame }, depth: frame.depth + 1 };
    const reads = this.reads(param, body.from, body);
    if (reads.length === 0) return 'ignore';
    return merge(reads.map((r) => this.follow(r, inner, undefined, normalizer)));
  }

  /** The uses of `name` after the statement that binds it. */
  private uses(name: string, stmt: SyntaxNode, frame: Frame, index: number | undefined, normalizer: string | undefined): Outcome {
    const iterating = this.iterating;
    const loopBody = iterating?.loop.getChild('Body');
    if (iterating && loopBody && stmt.from >= loopBody.from && stmt.to <= loopBody.to) {
      // The next iteration takes the value: the reads after `stmt` in the loop's body, then those at its
      // top, up to where it binds the name again, which must be `stmt` itself (else later reads may see it).
      if (!same(stmt.parent, loopBody) || !rebinds(stmt, name, this.ctx)) return 'unknown';
      // The next element is one InitLens could not place (a partial container).
      if (iterating.next >= (this.loopSize.get(iterating.loop.from) ?? 0)) return 'unknown';
      const later = this.reads(name, stmt.to, loopBody).map((r) => this.follow(r, frame, index, normalizer));
      const again = this.reads(name, loopBody.from, loopBody).filter((r) => r.to <= stmt.to);
      const outer = { iterating, element: this.element };
      // The next element takes it, and hands its output to the one after (or, the last, to what follows the loop).
      this.element = { loop: iterating.loop, index: iterating.next };
      this.iterating = this.after(iterating.loop, iterating.next);
      try {
        const all = [...later, ...again.map((r) => this.follow(r, frame, index, normalizer))];
        return all.length === 0 ? 'unknown' : merge(all);
      } finally {
        this.iterating = outer.iterating;
        this.element = outer.element;
      }
    }
    const reads = this.reads(name, stmt.to, frame.body);
    if (reads.length === 0) {
      // Bound and never read again: nothing consumes it (unless a loop comes back to an earlier read).
      return insideLoop(stmt, frame.body) ? 'unknown' : { use: { activation: IDENTITY, via: 'forward' }, ...(normalizer ? { normalizer } : {}) };
    }
    return merge(reads.map((r) => this.fromOutside(r, stmt, name, frame, index, normalizer) ?? this.follow(r, frame, index, normalizer)));
  }

  /**
   * A value bound before a loop over a container and read in its body, which
   * binds the name again at its top level: the first element takes it, and
   * hands its output on to the next iteration. Undefined for other reads.
   */
  private fromOutside(read: SyntaxNode, stmt: SyntaxNode, name: string, frame: Frame, index: number | undefined, normalizer: string | undefined): Outcome | undefined {
    let loop: SyntaxNode | undefined;
    for (let n = read.parent; n; n = n.parent) {
      if (n.name === 'ForStatement' && this.loopSize.has(n.from)) {
        loop = n;
        break;
      }
    }
    const body = loop?.getChild('Body');
    if (!loop || !body || (stmt.from >= loop.from && stmt.to <= loop.to)) return undefined;
    if (!statements(body).some((s) => rebinds(s, name, this.ctx))) return undefined;
    const outer = { iterating: this.iterating, element: this.element };
    this.element = { loop, index: 0 };
    this.iterating = this.after(loop, 0);
    try {
      return this.follow(read, frame, index, normalizer);
    } finally {
      this.iterating = outer.iterating;
      this.element = outer.element;
    }
  }

  /** Where the output of a loop's element `index` goes: the next element, else (the last) what follows the loop; after a partial container's last known one, an element InitLens could not place. */
  private after(loop: SyntaxNode, index: number): { readonly loop: SyntaxNode; readonly next: number } | undefined {
    const size = this.loopSize.get(loop.from) ?? 0;
    if (index + 1 < size || this.loopPartial.has(loop.from)) return { loop, next: index + 1 };
    return undefined;
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

/**
 * The first outcome that names an activation; else the first that leaves the
 * class (a summary's `exit`: a residual `x + f(x)` read first must not hide
 * what `f` does); else unknown, unless every use is only a shape read.
 */
function merge(outcomes: readonly Outcome[]): Outcome {
  const known = outcomes.find((o) => typeof o === 'object' && 'use' in o) ?? outcomes.find((o) => typeof o === 'object');
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

/** Where a function's reads are looked for: a method's body, or a lambda's whole expression (its parameters are skipped as such). */
function bodyOf(fn: SyntaxNode): SyntaxNode | null {
  return fn.name === 'LambdaExpression' ? fn : fn.getChild('Body');
}

/** Whether the next element that decides a chain's activation is a module class of the file (or a Sequential starting with one). */
function nextIsModule(rest: readonly Entry[]): boolean {
  for (const e of rest) {
    if (e.kind === 'neutral' || (e.kind === 'layer' && e.layer.spec.role === 'normalizer')) continue;
    if (e.kind === 'container' && e.head) return nextIsModule(e.elements);
    return e.kind === 'module';
  }
  return false;
}

/** Whether `stmt` binds `name` (`x = block(x)`, `x += f(x)`) whatever its value. */
function rebinds(stmt: SyntaxNode, name: string, ctx: Context): boolean {
  if (stmt.name === 'AssignStatement') return assignTargets(stmt).some((t) => t.name === 'VariableName' && ctx.slice(t) === name);
  if (stmt.name === 'UpdateStatement') return stmt.firstChild?.name === 'VariableName' && ctx.slice(stmt.firstChild) === name;
  return false;
}
