/**
 * What the attributes of a PyTorch module hold (`self.<attr> = ...` in
 * `__init__`): layers, activations, neutral modules and containers
 * (`nn.Sequential`, `ModuleList`, `ModuleDict`), with Sequential chaining
 * deciding each element's activation, and layer factories of the file
 * (`def conv3x3(...): return nn.Conv2d(...)`).
 */
import type { SyntaxNode } from '../python/parse';
import { exceeds } from '../limits';
import { descendants, same, sequenceElements, statements, stringValue, unwrap } from '../python/syntax';
import { kerasActivationName, torchModule, type Activation } from './activations';
import { lookupLayer, maybeLibraryModel } from './catalog';
import { bindCall, extend, type BoundCall, type Context } from './context';
import { applyWrites, arithmetic, evaluate, objectWrites, rangeLength, rangeValues, tensorShape, valueSize, withoutEntries, type Dim, type Scope, type Value } from './evaluate';
import { draftLayer, type LayerDraft } from './layer';
import { encoderStackArgs } from './encoderStack';
import type { ActivationUse, ScalarStep } from './types';

/** What `self.<attr>` holds, as far as the analysis knows. */
export type Entry =
  | { readonly kind: 'layer'; readonly layer: LayerDraft }
  | { readonly kind: 'activation'; readonly activation: Activation; readonly at: SyntaxNode }
  | { readonly kind: 'neutral' }
  /** `partial`: more elements follow whose positions InitLens does not know (a loop or branch it cannot count). */
  | { readonly kind: 'container'; readonly elements: readonly Entry[]; readonly byKey: ReadonlyMap<string, Entry>; readonly tail?: LayerDraft; readonly head?: Entry; readonly partial?: true }
  | { readonly kind: 'module'; readonly className: string }
  | { readonly kind: 'other' };

/** The module tree's hooks into a class's analysis. */
export interface InstanceHook {
  /** The entry for `call` when its callee (already resolved through class references) is a module class of the file. */
  instance(call: BoundCall, callee: string, path: string, scope: Scope): Entry | undefined;
  /** The class an expression stands for (`nn.BatchNorm2d`, `BasicBlock`), if any. */
  ref(node: SyntaxNode): string | undefined;
}

/**
 * Methods of `nn.Module` that return the module itself (`Layer(...).to(device)`):
 * the module they are called on, with its tensors' distribution unchanged.
 */
const SELF_RETURNING = new Set(['to', 'cuda', 'cpu', 'xpu', 'float', 'double', 'half', 'bfloat16', 'train', 'eval', 'requires_grad_']);

/** `X.to(device)`, `X.cuda()`: the module expression X; otherwise the node itself. */
export function selfReturned(node: SyntaxNode, ctx: Context): SyntaxNode {
  let n = unwrap(node);
  for (let i = 0; i < 4 && n.name === 'CallExpression'; i++) {
    const callee = n.firstChild;
    const method = callee?.name === 'MemberExpression' ? callee.lastChild : null;
    const object = callee?.firstChild;
    if (!object || method?.name !== 'PropertyName' || !SELF_RETURNING.has(ctx.slice(method))) break;
    n = unwrap(object);
  }
  return n;
}

/** Parameter names of a function (`self` included) with evaluated defaults. */
export function parameters(fn: SyntaxNode, ctx: Context, scope: Scope): { names: string[]; defaults: [string, Value][]; defaultNodes: [string, SyntaxNode][] } {
  const list = fn.getChild('ParamList');
  const names: string[] = [];
  const defaults: [string, Value][] = [];
  const defaultNodes: [string, SyntaxNode][] = [];
  if (!list) return { names, defaults, defaultNodes };
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
      if (current !== undefined) defaultNodes.push([current, c]);
      expectDefault = false;
    } else if (c.name === ',') {
      expectDefault = false;
    }
  }
  return { names, defaults, defaultNodes };
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

/**
 * A module expression of `__init__` not registered yet (`conv = nn.Conv2d(...)`,
 * an element of `layers = [...]`): built once, under the name it is registered
 * with, in the scope of the line that wrote it (a loop's variable as it was then).
 */
interface Pending {
  readonly kind: 'module';
  readonly node: SyntaxNode;
  readonly scope: Scope;
  readonly frame: Frame;
  built?: Entry;
  /** Added to its list where InitLens cannot count (a loop of unknown length, a branch of unknown condition): its index is unknown, and so are those after it. */
  unsure?: boolean;
}

/** A Python list of modules (`layers = []`, `.append`, `+=`, `.extend`), later given to a container. */
interface ModuleItems {
  readonly kind: 'list';
  readonly items: Pending[];
  /** {@link TorchClass.uncertain} when the list was made: additions at a deeper level are unsure. */
  readonly level: number;
}

/** What a local name holds besides a constant (constants live in the frame's scope). */
type Local = Pending | ModuleItems;

/** One running function: `__init__`, a method or local function it calls, or a module-level factory. */
interface Frame {
  scope: Scope;
  readonly locals: Map<string, Local>;
  /** Functions defined in this body (`def block(...)` inside `__init__`), visible to calls below them. */
  readonly functions: Map<string, SyntaxNode>;
  /** Nesting of function calls, bounded like the factories before them. */
  readonly depth: number;
  /** Whether `self` is the module (in `__init__`, its methods and their local functions). */
  readonly self: boolean;
}

/** What a `return` gave back. */
interface Returned {
  readonly local?: Local;
}

/** Calls followed into functions (factory of a factory of a factory). */
const MAX_CALL_DEPTH = 3;

/** Builtins returning an iterator over known elements (`elements` reads them). */
const ITERATORS = new Set(['zip', 'enumerate', 'reversed']);

/** Longest code quoted in a layer's note. */
const MAX_SHOWN = 60;

/**
 * `torch.randn(dim) * 0.02`, `0.5 - torch.rand(d)`: the arithmetic with numbers around a parameter's draw,
 * innermost first (each elementwise in float32, the number rounded to float32, as PyTorch computes it).
 */
function scalarSteps(tensor: SyntaxNode, text: string, scope: Scope): { steps?: ScalarStep[]; inner?: SyntaxNode } {
  const steps: ScalarStep[] = [];
  let n = unwrap(tensor);
  for (let depth = 0; n.name === 'BinaryExpression' && depth < 4; depth++) {
    const left = n.firstChild;
    const op = left?.nextSibling;
    const right = op?.nextSibling;
    const o = op ? text.slice(op.from, op.to) : '';
    if (!left || !right || op?.name !== 'ArithOp' || !['+', '-', '*', '/'].includes(o)) return { steps: [{ op: 'unknown', value: 0, scalarLeft: false }] };
    const a = evaluate(left, text, scope);
    const b = evaluate(right, text, scope);
    if (typeof b === 'number') {
      steps.unshift({ op: o as ScalarStep['op'], value: b, scalarLeft: false });
      n = unwrap(left);
    } else if (typeof a === 'number') {
      steps.unshift({ op: o as ScalarStep['op'], value: a, scalarLeft: true });
      n = unwrap(right);
    } else return { steps: [{ op: 'unknown', value: 0, scalarLeft: false }] };
  }
  return steps.length > 0 ? { steps, inner: n } : {};
}

/** Most names of one `__init__` kept in {@link TorchClass.initValues}, and most elements of a tuple there. */
const MAX_INIT_VALUES = 256;
const MAX_INIT_TUPLE = 16;

function plainValue(v: Value): boolean {
  return typeof v === 'number' || typeof v === 'boolean' || v === null || (typeof v === 'string' && v.length <= 200) || (Array.isArray(v) && v.length <= MAX_INIT_TUPLE && v.every((x) => typeof x === 'number'));
}

export class TorchClass {
  readonly entries = new Map<string, Entry>();
  readonly layers: LayerDraft[] = [];
  private inlineCount = 0;
  /** Loop and comprehension iterations unrolled so far, against LIMITS.loopIterations. */
  private iterations = 0;
  /** Statements of module functions run for their value so far, against LIMITS.functionSteps, and how deep such calls nest. */
  private steps = 0;
  private pureDepth = 0;
  /** `self.<attr> = <constant>` seen by the interpreter, for methods it calls and for forward. */
  private readonly selfConstants = new Map<string, Value>();
  /** Modules registered by `super().__init__(...)` and `add_module`, in order (a Sequential subclass chains them). */
  private readonly registered: [Entry, SyntaxNode][] = [];
  /** Depth of loops of unknown length and branches of unknown condition being run. */
  private uncertain = 0;
  /** ModuleList attributes appended to in such a loop or branch: their later indices are unknown. */
  private readonly unsureAttributes = new Set<string>();
  /** Set when {@link containerItems} left elements out; read (and reset) by the container it was called for. */
  private cutItems = false;
  /**
   * Plain Python lists of modules held by `self.<attr>` (`self.layers = []`,
   * `self.layers = self.layers + [Layer(...)]`): PyTorch does not register
   * them, but they are built; see {@link init}.
   */
  private readonly selfLists = new Map<string, ModuleItems>();
  /** Attributes holding a module InitLens does not see into (`self.resnet = torchvision.models.resnet18()`). */
  private readonly opaque = new Set<string>();
  /** Attributes holding a library architecture whose attributes are in scope (`self.resnet.fc.in_features`). */
  private readonly libraryAttrs = new Set<string>();
  /** Layers set inside such a module (`self.resnet.conv1 = nn.Conv2d(...)`), by the attribute. */
  private readonly inside = new Map<string, LayerDraft[]>();
  /**
   * Class attributes the methods read besides `self.<attr>` of `__init__`:
   * the class's own (`expansion = 4` as `self.expansion`) and those of classes
   * given as arguments (`block.expansion`).
   */
  readonly classConstants = new Map<string, Value>();
  /**
   * `self.<name> = nn.Parameter(<tensor>)`: each parameter member (the last
   * assignment of each name), its tensor's expression and its shape where known.
   */
  readonly parameters = new Map<string, { readonly tensor: SyntaxNode; readonly shape?: readonly number[]; readonly steps?: readonly ScalarStep[]; readonly inner?: SyntaxNode }>();
  /** The names `__init__` sets (locals, `self.<attr>`) to a number, string, bool, None or tuple of numbers, as it ends. */
  readonly initValues = new Map<string, Value>();

  constructor(
    readonly ctx: Context,
    readonly scope: Scope,
    /** Module-level functions, for layer factories like torchvision's `conv3x3(...)`. */
    private readonly functions: ReadonlyMap<string, SyntaxNode> = new Map(),
    /** The class's methods by name (`self._make_layers(cfg)` in `__init__`). */
    private readonly methods: ReadonlyMap<string, SyntaxNode> = new Map(),
    private readonly hook?: InstanceHook,
  ) {}

  /**
   * Names that hold a class rather than a value (`norm_layer = nn.BatchNorm2d`,
   * a `block` argument given `BasicBlock`): name → qualified name, or the
   * name of a class of the file.
   */
  readonly refs = new Map<string, string>();

  /** The qualified name a callee stands for, through class references (a class of the file by its own name). */
  private resolveCallee(callee: SyntaxNode, scope: Scope): string {
    const text = this.ctx.slice(callee).replace(/\s+/g, '');
    return this.refs.get(text) ?? this.calleeName(callee, scope) ?? text;
  }

  /**
   * Runs `__init__`'s body: what each `self.<attr>` holds, local modules and
   * lists registered later, loops unrolled with their variable bound per
   * iteration, the branch of an `if` whose condition is known (every branch
   * when it is not), methods and local functions it calls. Returns `scope`
   * with the `self.<attr>` constants, for forward and the inits.
   */
  init(body: SyntaxNode, scope: Scope, sequentialSubclass = false): Scope {
    const frame: Frame = { scope, locals: new Map(), functions: new Map(), depth: 0, self: true };
    this.run(body, frame);
    // What __init__ ends with, in this context: its locals and members that are plain values (`patch_height`).
    for (const [k, v] of frame.scope) {
      if (this.initValues.size >= MAX_INIT_VALUES) break;
      if ((!scope.has(k) || scope.get(k) !== v) && plainValue(v)) this.initValues.set(k, v);
    }
    // Modules kept in a plain list attribute and given to no container: built all the same, under the
    // list's name and index (`self.layers[0]` reaches them), but PyTorch's modules() and apply() do not.
    for (const [attr, list] of this.selfLists) {
      for (const [key, p] of this.indexed(list.items, attr)) {
        if (p.built) continue;
        const entry = this.build(p, `${attr}.${key}`);
        if (entry.kind === 'layer') {
          entry.layer.attribute = `${attr}.${key}`;
          entry.layer.unregistered = true;
        }
      }
    }
    // nn.Sequential's own forward (no override): each registered module feeds the next.
    if (sequentialSubclass && !this.methods.has('forward')) {
      let pending: LayerDraft | undefined;
      for (const [entry, node] of this.registered) pending = chain(pending, entry, node);
    }
    return extend(scope, this.selfConstants);
  }

  /** Interprets the value of `self.<name> = value` (or a container element). */
  entryFor(value: SyntaxNode, name: string, scope: Scope, depth = 0, frame: Frame = { scope, locals: new Map(), functions: new Map(), depth, self: false }): Entry {
    const node = selfReturned(value, this.ctx);
    const held = this.held(node, name, scope, frame);
    if (held) return held;
    if (node.name !== 'CallExpression') return { kind: 'other' };
    const call = bindCall(node, this.ctx, scope);
    if (!call) return { kind: 'other' };
    const fn = this.functionOf(call.callee, frame);
    if (fn) {
      const returned = this.callFunction(fn.node, call, frame, fn.method)?.local;
      if (returned?.kind !== 'module') return { kind: 'other' };
      const entry = this.build(returned, name);
      // Lenses, hovers and edits belong where the model calls the factory, not inside it.
      if (entry.kind === 'layer' && entry.layer.call === returned.node) {
        entry.layer.call = node;
        entry.layer.line = this.ctx.line(node.from);
      }
      return entry;
    }
    const qualified = this.resolveCallee(call.callee, scope);
    const instance = this.hook?.instance(call, qualified, name, scope);
    if (instance) return instance;
    const spec = lookupLayer(qualified);
    if (spec && spec.framework === 'torch') {
      const layer = draftLayer(spec, call, name, this.ctx, scope, spec.type === 'TransformerEncoder' ? this.encoderStack(call, name, frame) : undefined);
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
    if (qualified.startsWith('torch.nn.') && last === 'Sequential') return this.sequential(node, name, frame, scope);
    if (qualified.startsWith('torch.nn.') && (last === 'ModuleList' || last === 'ModuleDict')) return this.list(node, name, frame, scope);
    return { kind: 'other' };
  }

  /** The encoder layers given to an nn.TransformerEncoder so far (model/encoderStack.ts). */
  private readonly stacked = new Map<SyntaxNode, string>();

  /** The arguments of an nn.TransformerEncoder's encoder layer and norm, read where they are built (model/encoderStack.ts). */
  private encoderStack(call: BoundCall, name: string, frame: Frame): Record<string, Value | Dim> {
    return encoderStackArgs(call, name, {
      ctx: this.ctx,
      used: this.stacked,
      callee: (c, scope) => this.resolveCallee(c.callee, scope),
      held: (node) => {
        const n = unwrap(node);
        if (n.name === 'CallExpression') return { node: n, scope: frame.scope, here: true };
        const local = n.name === 'VariableName' ? frame.locals.get(this.ctx.slice(n)) : undefined;
        if (local?.kind !== 'module' || unwrap(local.node).name !== 'CallExpression') return undefined;
        return { node: unwrap(local.node), scope: local.scope, here: local.frame.locals === frame.locals, ...(local.built ? { registered: true } : {}) };
      },
    });
  }

  /** A local name (`self.conv = conv`) or a conditional expression: what it holds, else undefined. */
  private held(node: SyntaxNode, name: string, scope: Scope, frame: Frame): Entry | undefined {
    if (node.name === 'VariableName') {
      const local = frame.locals.get(this.ctx.slice(node));
      // A plain list assigned to self is no submodule in PyTorch.
      return local?.kind === 'module' ? this.build(local, name) : { kind: 'other' };
    }
    if (node.name === 'ConditionalExpression') {
      const branch = this.branch(node, scope);
      return branch ? this.entryFor(branch, name, scope, frame.depth, frame) : { kind: 'other' };
    }
    return undefined;
  }

  /**
   * The branch of `a if condition else b` that runs: the one the condition
   * picks when it evaluates in scope. When it does not, the branch that holds
   * layers, if the other is None or `nn.Identity()` (or another module
   * that passes its input on: `nn.Sequential(...) if project_out else nn.Identity()`): the layers exist
   * in one case and nothing is in the other, so they are the ones to describe.
   * Two branches that both hold modules stay unknown.
   */
  private branch(node: SyntaxNode, scope: Scope): SyntaxNode | undefined {
    const parts: SyntaxNode[] = [];
    for (let c = node.firstChild; c; c = c.nextSibling) if (c.name !== 'if' && c.name !== 'else' && c.name !== 'Comment') parts.push(c);
    const [yes, condition, no] = parts;
    if (!yes || !condition || !no) return undefined;
    const truth = this.truth(condition, scope);
    if (truth !== undefined) return truth ? yes : no;
    const empty = (n: SyntaxNode) => {
      const u = unwrap(n);
      if (u.name === 'None') return true;
      if (u.name !== 'CallExpression') return false;
      const bound = bindCall(u, this.ctx, scope);
      const module = bound && torchModule(this.calleeName(bound.callee, scope) ?? '', bound.read);
      return module?.role === 'neutral' || (module?.role === 'activation' && module.activation.kind === 'identity');
    };
    if (empty(no) && !empty(yes)) return yes;
    if (empty(yes) && !empty(no)) return no;
    return undefined;
  }

  /** A callee's qualified name; `getattr(nn, name)` with `name` a string in scope reads as `nn.<name>`. */
  private calleeName(callee: SyntaxNode, scope: Scope): string | undefined {
    if (callee.name === 'CallExpression' && this.ctx.slice(callee.firstChild as SyntaxNode) === 'getattr' && !scope.has('getattr')) {
      const bound = bindCall(callee, this.ctx, scope);
      const owner = bound?.args.positional[0] && this.ctx.qualified(bound.args.positional[0]);
      const attr = bound?.args.positional.length === 2 ? this.constant(bound.args.positional[1], scope) : undefined;
      return owner && typeof attr === 'string' && /^\w+$/.test(attr) ? `${owner}.${attr}` : undefined;
    }
    return this.ctx.qualified(callee);
  }

  /** The function a call runs: a local `def`, a method (`self.name`), or a module-level function. */
  private functionOf(callee: SyntaxNode, frame: Frame): { node: SyntaxNode; method: boolean } | undefined {
    if (frame.depth >= MAX_CALL_DEPTH) return undefined;
    if (callee.name === 'VariableName') {
      const name = this.ctx.slice(callee);
      const local = frame.functions.get(name);
      if (local) return { node: local, method: false };
      const global = !frame.locals.has(name) && !frame.scope.has(name) ? this.functions.get(name) : undefined;
      return global ? { node: global, method: false } : undefined;
    }
    const m = frame.self && callee.name === 'MemberExpression' ? /^self\.(\w+)$/.exec(this.ctx.slice(callee)) : null;
    const method = m ? this.methods.get(m[1]) : undefined;
    return method && m?.[1] !== '__init__' ? { node: method, method: true } : undefined;
  }

  /**
   * Runs a function with its parameters bound to the call's arguments
   * (constants into its scope, module lists and modules into its locals).
   * A module-level function sees the module's constants, a method those and
   * `self.<attr>`, a local function the scope it was called in.
   */
  private callFunction(fn: SyntaxNode, call: BoundCall, frame: Frame, method: boolean): Returned | undefined {
    const body = fn.getChild('Body');
    if (!body) return undefined;
    const { names, defaults } = parameters(fn, this.ctx, this.ctx.moduleScope);
    const params = method ? names.slice(1) : names;
    const bound: [string, Value][] = defaults.filter(([k]) => !method || k !== names[0]);
    const locals = new Map<string, Local>();
    params.forEach((param, i) => {
      const value = call.read(param, i);
      if (value !== undefined) {
        bound.push([param, value]);
        return;
      }
      const node = call.node_(param, i);
      const constant = node && this.constant(node, frame.scope);
      if (constant !== undefined) bound.push([param, constant]);
      else if (node) {
        const local = this.valueOf(node, frame);
        if (local) locals.set(param, local);
      }
    });
    const local = frame.functions.has(this.ctx.slice(fn.getChild('VariableName') as SyntaxNode)) && !method;
    const outer = local ? frame.scope : method ? extend(extend(this.ctx.moduleScope, this.classConstants), this.selfConstants) : this.ctx.moduleScope;
    // Parameters without a resolvable value must not fall through to constants of the same name.
    const unresolved = params.filter((n) => !bound.some(([k]) => k === n));
    const scope = withoutNames(extend(outer, bound), unresolved);
    const inner: Frame = { scope, locals, functions: local ? new Map(frame.functions) : new Map(), depth: frame.depth + 1, self: method || (local && frame.self) };
    const returned = this.run(body, inner);
    // `self.in_planes = ...` in a method is seen by the code after the call.
    if (frame.self && inner.self) frame.scope = extend(frame.scope, this.selfConstants);
    return returned;
  }

  /** Runs the statements of a body; what a `return` gave back, if one ran. */
  private run(body: SyntaxNode, frame: Frame): Returned | undefined {
    for (const stmt of statements(body)) {
      const returned = this.statement(stmt, frame);
      if (returned) return returned;
    }
    return undefined;
  }

  private statement(stmt: SyntaxNode, frame: Frame): Returned | undefined {
    // What it writes into objects (`config.merge_from_dict({...}[config.model_type])`), read before it runs.
    const writes = objectWrites(stmt, this.ctx.text, frame.scope, this.ctx.objects);
    try {
      return this.run_(stmt, frame);
    } finally {
      if (writes) frame.scope = applyWrites(frame.scope, writes);
    }
  }

  private run_(stmt: SyntaxNode, frame: Frame): Returned | undefined {
    switch (stmt.name) {
      case 'AssignStatement':
        this.assign(stmt, frame);
        return undefined;
      case 'UpdateStatement':
        this.update(stmt, frame);
        return undefined;
      case 'ExpressionStatement':
        if (stmt.firstChild?.name === 'CallExpression') this.callStatement(stmt.firstChild, frame);
        return undefined;
      case 'FunctionDefinition': {
        const name = stmt.getChild('VariableName');
        if (name) frame.functions.set(this.ctx.slice(name), stmt);
        return undefined;
      }
      case 'ReturnStatement': {
        const value = stmt.lastChild;
        const local = value && value.name !== 'return' ? this.valueOf(value, frame) : undefined;
        return local ? { local } : {};
      }
      case 'IfStatement':
        return this.ifStatement(stmt, frame);
      case 'ForStatement':
        return this.forStatement(stmt, frame);
      default: {
        // with / try: each block once, in order; a while loop's body once, uncounted.
        const loop = stmt.name === 'WhileStatement';
        if (loop) this.uncertain++;
        try {
          for (let c = stmt.firstChild; c; c = c.nextSibling) {
            if (c.name !== 'Body') continue;
            const returned = this.run(c, frame);
            if (returned) return returned;
          }
          return undefined;
        } finally {
          if (loop) this.uncertain--;
        }
      }
    }
  }

  /** `if`/`elif`/`else`: the first branch whose condition holds; a branch whose condition is unknown runs too, and so do the ones after it. */
  private ifStatement(stmt: SyntaxNode, frame: Frame): Returned | undefined {
    let condition: SyntaxNode | undefined;
    let expect = false;
    for (let c = stmt.firstChild; c; c = c.nextSibling) {
      if (c.name === 'if' || c.name === 'elif') {
        expect = true;
      } else if (c.name === 'else') {
        condition = undefined;
      } else if (c.name === 'Body') {
        const truth = condition ? this.truth(condition, frame.scope) : true;
        condition = undefined;
        if (truth === false) continue;
        if (truth === undefined) this.uncertain++;
        const returned = this.run(c, frame);
        if (truth === undefined) this.uncertain--;
        if (returned || truth === true) return returned;
      } else if (expect && c.name !== 'Comment') {
        condition = c;
        expect = false;
      }
    }
    return undefined;
  }

  /**
   * `for x in <iterable>:` with the iterable known (a literal, a constant, a
   * `range`, `enumerate`/`zip` of those, an element of a module-level dict):
   * the body once per element with the variables bound. Otherwise, or beyond
   * LIMITS.loopIterations, the body once with the variables unknown.
   */
  private forStatement(stmt: SyntaxNode, frame: Frame): Returned | undefined {
    const targets: SyntaxNode[] = [];
    let iterable: SyntaxNode | undefined;
    let seenIn = false;
    for (let c = stmt.firstChild; c; c = c.nextSibling) {
      if (c.name === 'in' && !seenIn) seenIn = true;
      else if (!seenIn && c.name !== 'for' && c.name !== ',' && c.name !== 'Comment') targets.push(c);
      else if (seenIn && !iterable && c.name !== 'Body' && c.name !== 'Comment') iterable = c;
    }
    const bodies = stmt.getChildren('Body');
    const body = bodies[0];
    if (!body || !iterable) return undefined;
    const values = this.iterate(iterable, frame.scope);
    if (values) {
      for (const value of values) {
        this.bindTargets(targets, value, frame);
        const returned = this.run(body, frame);
        if (returned) return returned;
      }
    } else {
      this.bindTargets(targets, undefined, frame);
      this.uncertain++;
      const returned = this.run(body, frame);
      this.uncertain--;
      if (returned) return returned;
    }
    // for ... else: runs when the loop did not break (InitLens follows no break).
    return bodies[1] ? this.run(bodies[1], frame) : undefined;
  }

  /** The elements an iterable yields, when known and within the loop budget. */
  private iterate(node: SyntaxNode, scope: Scope): readonly Value[] | undefined {
    const values = this.elements(node, scope);
    if (!values) return undefined;
    if (exceeds('loopIterations', this.iterations + values.length)) return undefined;
    this.iterations += values.length;
    return values;
  }

  private elements(node: SyntaxNode, scope: Scope, depth = 0): readonly Value[] | undefined {
    const n = unwrap(node);
    if (n.name === 'CallExpression' && this.ctx.qualified(n.firstChild) === 'torch.linspace') {
      const call = bindCall(n, this.ctx, scope);
      const [start, end, steps] = ['start', 'end', 'steps'].map((name, i) => (call ? this.constant(call.node_(name, i) ?? n, scope) : undefined));
      if (call?.args.hasStarred || typeof start !== 'number' || typeof end !== 'number' || typeof steps !== 'number' || !Number.isInteger(steps) || steps < 0) return undefined;
      if (exceeds('loopIterations', this.iterations + steps)) return undefined;
      return linspace(start, end, steps);
    }
    if (n.name === 'CallExpression' && n.firstChild?.name === 'VariableName' && depth < MAX_CALL_DEPTH) {
      const fn = this.ctx.slice(n.firstChild);
      const call = scope.has(fn) ? undefined : bindCall(n, this.ctx, scope);
      const args = call && !call.args.hasStarred && call.args.keywords.size === 0 ? call.args.positional : undefined;
      if (fn === 'range' && args && args.length >= 1 && args.length <= 3) {
        const nums = args.map((a) => this.constant(a, scope));
        const count = rangeLength(nums as Value[]);
        if (count === undefined || exceeds('loopIterations', this.iterations + count)) return undefined;
        return rangeValues(nums as number[]);
      }
      if (fn === 'enumerate' && args && args.length === 1) return this.elements(args[0], scope, depth + 1)?.map((v, i) => [i, v]);
      if (fn === 'zip' && args && args.length >= 1) {
        const lists = args.map((a) => this.elements(a, scope, depth + 1));
        if (!lists.every((l): l is readonly Value[] => l !== undefined)) return undefined;
        const length = Math.min(...lists.map((l) => l.length));
        return Array.from({ length }, (_, i) => lists.map((l) => l[i]));
      }
      if ((fn === 'list' || fn === 'tuple' || fn === 'reversed') && args && args.length === 1) {
        const inner = this.elements(args[0], scope, depth + 1);
        return inner && fn === 'reversed' ? [...inner].reverse() : inner;
      }
      return undefined;
    }
    const value = this.constant(n, scope);
    if (Array.isArray(value)) return value;
    return typeof value === 'string' ? [...value] : undefined;
  }

  /** Binds loop targets (`x`, `i, x`, `i, (k, s)`) to one element; undefined makes them unknown. */
  private bindTargets(targets: readonly SyntaxNode[], value: Value | undefined, frame: Frame): void {
    const set: [string, Value][] = [];
    const unknown: string[] = [];
    const bindOne = (target: SyntaxNode, v: Value | undefined, depth: number): void => {
      const t = target.name === 'ParenthesizedExpression' ? unwrap(target) : target;
      if (t.name === 'VariableName') {
        const name = this.ctx.slice(t);
        frame.locals.delete(name);
        if (v === undefined) unknown.push(name);
        else set.push([name, v]);
        return;
      }
      const inner = (t.name === 'TupleExpression' || t.name === 'ArrayExpression') && depth < MAX_CALL_DEPTH ? sequenceElements(t) : undefined;
      if (inner && !inner.some((e) => e.name === 'StarExpression' || this.ctx.slice(e).startsWith('*'))) {
        const parts = Array.isArray(v) && v.length === inner.length ? v : undefined;
        inner.forEach((e, i) => bindOne(e, parts?.[i], depth + 1));
        return;
      }
      // Targets written another way (`for x.attr in ...`, starred): their names are unknown.
      for (const name of descendants(t, 'VariableName')) unknown.push(this.ctx.slice(name));
    };
    if (targets.length === 1) bindOne(targets[0], value, 0);
    else {
      const parts = Array.isArray(value) && value.length === targets.length ? value : undefined;
      targets.forEach((t, i) => bindOne(t, parts?.[i], 0));
    }
    frame.scope = withoutNames(extend(frame.scope, set), unknown);
  }

  /** `a = ...`, `a, b = ...`, `self.x = ...`, and chains of them (`self.patch_size = ph, pw = pair(patch_size)`: each target list gets the value). */
  private assign(stmt: SyntaxNode, frame: Frame): void {
    const segments: SyntaxNode[][] = [[]];
    for (let c = stmt.firstChild; c; c = c.nextSibling) {
      if (c.name === 'AssignOp') segments.push([]);
      else if (c.name !== ',' && c.name !== 'TypeDef' && c.name !== 'Comment') segments[segments.length - 1].push(c);
    }
    const values = segments.pop() ?? [];
    if (values.length === 0 || segments.length === 0 || segments.some((t) => t.length === 0)) return;
    // Python evaluates the value once, then assigns it to each target list from left to right.
    const whole = values.length === 1 && segments.some((t) => t.length > 1) ? this.constant(values[0], frame.scope) : undefined;
    for (const targets of segments) {
      if (targets.length === 1 && values.length === 1) {
        this.bind(targets[0], values[0], frame);
        continue;
      }
      // a, b = x, y / channels, height, width = input_shape
      targets.forEach((target, i) => {
        if (values.length === targets.length) this.bind(target, values[i], frame);
        else this.setConstant(target, Array.isArray(whole) && whole.length === targets.length ? whole[i] : undefined, frame);
      });
    }
  }

  private bind(target: SyntaxNode, value: SyntaxNode, frame: Frame): void {
    if (same(target, value)) return;
    const constant = this.constant(value, frame.scope);
    // `layers = []` starts a list of modules as well as an empty constant.
    if (target.name === 'VariableName' && Array.isArray(constant) && constant.length === 0) {
      this.setConstant(target, constant, frame);
      frame.locals.set(this.ctx.slice(target), { kind: 'list', items: [], level: this.uncertain });
      return;
    }
    if (constant !== undefined || target.name !== 'VariableName') {
      const attr = this.selfAttribute(target, frame);
      if (attr !== undefined) this.rebuild(attr, value);
      if (constant === undefined && attr !== undefined) {
        this.forgetSelf(attr, frame);
        const list = this.plainList(value, frame);
        if (list) {
          this.selfLists.set(attr, list);
          this.entries.set(attr, { kind: 'other' });
          return;
        }
        this.copyObject(value, `self.${attr}`, frame);
        this.libraryObject(value, attr, frame);
        // `self.layers = nn.ModuleList(self.layers)` reads the plain list it replaces.
        const entry = this.entryFor(value, attr, frame.scope, frame.depth, frame);
        this.selfLists.delete(attr);
        if (entry.kind === 'layer') entry.layer.attribute = attr;
        this.entries.set(attr, entry);
        if (entry.kind === 'other' && selfReturned(value, this.ctx).name === 'CallExpression') this.opaque.add(attr);
        // `self.pos_embedding = nn.Parameter(torch.randn(1, num_patches + 1, dim))`: its shape, read as
        // `self.pos_embedding.shape` (and by whoever is given the instance: `encoder.pos_embedding.shape`).
        const tensor = entry.kind === 'other' ? this.parameterOf(value) : undefined;
        const shape = tensor ? tensorShape(tensor, this.ctx.text, frame.scope) : undefined;
        if (tensor && tensor !== unwrap(value) && this.uncertain === 0) this.parameters.set(attr, { tensor, ...(shape ? { shape } : {}), ...scalarSteps(tensor, this.ctx.text, frame.scope) });
        else this.parameters.delete(attr);
        if (shape) {
          frame.scope = extend(frame.scope, [[`self.${attr}.shape`, shape]]);
          this.selfConstants.set(`self.${attr}.shape`, shape);
        }
        return;
      }
      if (attr !== undefined && Array.isArray(constant) && constant.length === 0) this.selfLists.set(attr, { kind: 'list', items: [], level: this.uncertain });
      else if (attr !== undefined) this.selfLists.delete(attr);
      // `self.resnet.conv1 = nn.Conv2d(...)`: a layer replaced inside a module InitLens does not see into.
      const inner = constant === undefined && frame.self && target.name === 'MemberExpression' ? /^self\.(\w+)\.(\w+)$/.exec(this.ctx.slice(target).replace(/\s+/g, '')) : null;
      if (inner && this.opaque.has(inner[1])) {
        const path = `${inner[1]}.${inner[2]}`;
        const entry = this.entryFor(value, path, frame.scope, frame.depth, frame);
        if (entry.kind === 'layer') {
          entry.layer.attribute = path;
          const held = this.inside.get(inner[1]) ?? [];
          held.push(entry.layer);
          this.inside.set(inner[1], held);
        }
        return;
      }
      this.setConstant(target, constant, frame);
      return;
    }
    const name = this.ctx.slice(target);
    // `pairs = zip(sizes[:-1], sizes[1:])`: the iterator's elements, for the loop that consumes it.
    const iterator = unwrap(value);
    const fn = iterator.name === 'CallExpression' && iterator.firstChild?.name === 'VariableName' ? this.ctx.slice(iterator.firstChild) : '';
    const elements = ITERATORS.has(fn) && !frame.scope.has(fn) ? this.elements(iterator, frame.scope) : undefined;
    if (elements) {
      this.refs.delete(name);
      this.setConstant(target, elements, frame);
      return;
    }
    frame.scope = withoutNames(frame.scope, [name]);
    // `norm_layer = nn.BatchNorm2d`: the name holds a class from here on.
    const ref = unwrap(value).name === 'None' ? undefined : this.hook?.ref(value);
    if (ref !== undefined) this.refs.set(name, ref);
    else this.refs.delete(name);
    const local = this.valueOf(value, frame);
    if (local) frame.locals.set(name, local);
    else frame.locals.delete(name);
  }

  /** A list expression of modules assigned to `self.<attr>` (a literal, a comprehension, `self.layers + [...]`, a local list). */
  private plainList(value: SyntaxNode, frame: Frame): ModuleItems | undefined {
    const n = unwrap(value);
    const listy = n.name === 'ArrayExpression' || n.name === 'ArrayComprehensionExpression' || n.name === 'BinaryExpression' || (n.name === 'VariableName' && frame.locals.get(this.ctx.slice(n))?.kind === 'list');
    const local = listy ? this.valueOf(n, frame) : undefined;
    return local?.kind === 'list' ? local : undefined;
  }

  /**
   * `self.resnet = nn.Sequential(*list(self.resnet.children())[:-1])`: the layers
   * set inside the old module (`self.resnet.conv1 = ...`) live on under names
   * InitLens cannot tell when the new value reads the old module, and are
   * dropped from it otherwise (still listed, as overwritten attributes are).
   */
  private rebuild(attr: string, value: SyntaxNode): void {
    this.opaque.delete(attr);
    const held = this.inside.get(attr);
    if (!held) return;
    this.inside.delete(attr);
    const code = this.ctx.slice(value).replace(/\s+/g, ' ');
    if (!new RegExp(`(?<![\\w.])self\\.${attr}(?!\\w)`).test(code)) return;
    const shown = code.length > MAX_SHOWN ? `${code.slice(0, MAX_SHOWN - 1)}…` : code;
    for (const layer of held) layer.rebuilt = `self.${attr} = ${shown}`;
  }

  /** `self.config = config`: the object's attributes (`config.n_embd` in scope) under the attribute too. */
  private copyObject(value: SyntaxNode, into: string, frame: Frame): void {
    const prefix = this.ctx.slice(value).replace(/\s+/g, '');
    if (!/^\w+$/.test(prefix)) return;
    const copied: [string, Value][] = [];
    for (const [k, v] of frame.scope) if (k.startsWith(`${prefix}.`)) copied.push([`${into}${k.slice(prefix.length)}`, v]);
    if (copied.length === 0) return;
    frame.scope = extend(frame.scope, copied);
    for (const [k, v] of copied) this.selfConstants.set(k, v);
  }

  /** `self.<attr>` in a frame where `self` is the module. */
  private selfAttribute(target: SyntaxNode, frame: Frame): string | undefined {
    if (!frame.self || target.name !== 'MemberExpression') return undefined;
    return /^self\.(\w+)$/.exec(this.ctx.slice(target))?.[1];
  }

  private forgetSelf(attr: string, frame: Frame): void {
    this.selfConstants.delete(`self.${attr}`);
    this.selfConstants.delete(`self.${attr}.shape`);
    frame.scope = withoutNames(frame.scope, [`self.${attr}`, `self.${attr}.shape`]);
    if (this.libraryAttrs.delete(attr)) {
      frame.scope = withoutEntries(frame.scope, [`self.${attr}`]);
      for (const k of [...this.selfConstants.keys()]) if (k.startsWith(`self.${attr}.`) || k.startsWith(`self.${attr}[`)) this.selfConstants.delete(k);
    }
  }

  /**
   * `self.resnet = torchvision.models.resnet18(weights=None)`: what the architecture holds as attributes
   * (catalog.ts: its head's `in_features`, read as `self.resnet.fc.in_features`), in scope until the
   * attribute is assigned again.
   */
  private libraryObject(value: SyntaxNode, attr: string, frame: Frame): void {
    const call = selfReturned(value, this.ctx);
    if (call.name !== 'CallExpression' || !call.firstChild || !maybeLibraryModel(this.ctx.slice(call.firstChild))) return;
    // The file's objects (analyze.ts fileObjects) know the architectures, as at module level.
    const entries = this.ctx.objects?.(call, frame.scope);
    if (!entries) return;
    const held = entries.map(([k, v]): [string, Value] => [`self.${attr}${k}`, v]);
    frame.scope = extend(frame.scope, held);
    for (const [k, v] of held) this.selfConstants.set(k, v);
    this.libraryAttrs.add(attr);
  }

  /** The tensor of `nn.Parameter(tensor)` (`requires_grad` aside); otherwise the expression itself. */
  private parameterOf(value: SyntaxNode): SyntaxNode {
    const n = unwrap(value);
    const list = n.name === 'CallExpression' && this.ctx.qualified(n.firstChild) === 'torch.nn.Parameter' ? n.getChild('ArgList') : null;
    const inner = list ? bindCall(n, this.ctx, new Map()) : undefined;
    return inner && inner.args.positional.length === 1 && !inner.args.hasStarred ? inner.args.positional[0] : n;
  }

  /** A name or `self.<attr>` now holds `value` (undefined: something unknown). */
  private setConstant(target: SyntaxNode, value: Value | undefined, frame: Frame): void {
    const attr = this.selfAttribute(target, frame);
    const name = attr !== undefined ? `self.${attr}` : target.name === 'VariableName' ? this.ctx.slice(target) : undefined;
    if (name === undefined) return;
    if (attr === undefined) frame.locals.delete(name);
    if (value === undefined) {
      if (attr !== undefined) this.forgetSelf(attr, frame);
      else frame.scope = withoutNames(frame.scope, [name]);
      return;
    }
    frame.scope = extend(frame.scope, [[name, value]]);
    if (attr !== undefined) this.selfConstants.set(name, value);
  }

  /** `layers += [...]`, `out_features *= 2`. */
  private update(stmt: SyntaxNode, frame: Frame): void {
    const target = stmt.firstChild;
    const op = stmt.getChild('UpdateOp');
    const value = stmt.lastChild;
    if (!target || !op || !value || same(target, value)) return;
    const a = this.constant(target, frame.scope);
    const b = this.constant(value, frame.scope);
    const list = target.name === 'VariableName' ? frame.locals.get(this.ctx.slice(target)) : undefined;
    if (list?.kind === 'list' && this.ctx.slice(op) === '+=' && b === undefined) {
      this.push(list, this.items(value, frame));
      frame.scope = withoutNames(frame.scope, [this.ctx.slice(target)]);
      return;
    }
    const op_ = this.ctx.slice(op).slice(0, -1);
    const result = typeof a === 'number' && typeof b === 'number' ? arithmetic(op_, a, b) : op_ === '+' && Array.isArray(a) && Array.isArray(b) ? [...a, ...b] : undefined;
    this.setConstant(target, result, frame);
    if (list) frame.locals.set(this.ctx.slice(target), list);
  }

  /** Calls as statements: list building, `self.add_module`, `super().__init__(...)` of a Sequential subclass, methods. */
  private callStatement(node: SyntaxNode, frame: Frame): void {
    const call = bindCall(node, this.ctx, frame.scope);
    if (!call) return;
    const callee = call.callee;
    const object = callee.name === 'MemberExpression' ? callee.firstChild : null;
    const method = callee.name === 'MemberExpression' ? callee.lastChild : null;
    const methodName = method?.name === 'PropertyName' ? this.ctx.slice(method) : '';
    const arg = call.args.positional[0];
    if (object?.name === 'VariableName' && (methodName === 'append' || methodName === 'extend')) {
      const name = this.ctx.slice(object);
      const list = frame.locals.get(name);
      if (list?.kind !== 'list' || !arg) return;
      // widths.append(64) keeps a constant list; a module makes it a list of modules.
      const before = frame.scope.get(name);
      const added = this.constant(arg, frame.scope);
      if (Array.isArray(before) && added !== undefined && (methodName === 'append' || Array.isArray(added))) {
        frame.scope = extend(frame.scope, [[name, methodName === 'append' ? [...before, added] : [...before, ...(added as readonly Value[])]]]);
        return;
      }
      frame.scope = withoutNames(frame.scope, [name]);
      this.push(list, methodName === 'append' ? [this.pending(arg, frame)] : this.items(arg, frame));
      return;
    }
    const self = object && frame.self ? this.ctx.slice(object) : '';
    if (self === 'self' && (methodName === 'add_module' || methodName === 'register_module')) {
      const key = call.args.positional[0] ?? call.args.keywords.get('name');
      const module = call.args.positional[1] ?? call.args.keywords.get('module');
      const name = key ? this.constant(key, frame.scope) : undefined;
      if (typeof name !== 'string' || !module) return;
      const entry = this.entryFor(module, name, frame.scope, frame.depth, frame);
      if (entry.kind === 'layer') entry.layer.attribute = name;
      this.entries.set(name, entry);
      this.registered.push([entry, module]);
      return;
    }
    // self.blocks.append(nn.Linear(...)) on a ModuleList attribute.
    const attr = object && frame.self ? /^self\.(\w+)$/.exec(this.ctx.slice(object))?.[1] : undefined;
    const plain = attr !== undefined ? this.selfLists.get(attr) : undefined;
    if (plain && arg && (methodName === 'append' || methodName === 'extend')) {
      // A list of numbers stays a constant (`self.sizes.append(64)`); a module makes it a list of modules.
      const before = frame.scope.get(`self.${attr}`);
      const added = this.constant(arg, frame.scope);
      if (Array.isArray(before) && added !== undefined && (methodName === 'append' || Array.isArray(added))) {
        this.setConstant(object as SyntaxNode, methodName === 'append' ? [...before, added] : [...before, ...(added as readonly Value[])], frame);
        return;
      }
      this.forgetSelf(attr as string, frame);
      this.push(plain, methodName === 'append' ? [this.pending(arg, frame)] : this.items(arg, frame));
      return;
    }
    const container = attr !== undefined ? this.entries.get(attr) : undefined;
    if (attr !== undefined && container?.kind === 'container' && !container.head && (methodName === 'append' || methodName === 'extend') && arg) {
      if (this.uncertain > 0) this.unsureAttributes.add(attr);
      const added = methodName === 'append' ? [this.pending(arg, frame)] : this.items(arg, frame);
      if (this.unsureAttributes.has(attr)) {
        if (!container.partial) this.entries.set(attr, { ...container, partial: true });
        for (const p of added) this.reach(p, `${attr}.?`);
        return;
      }
      const elements = [...container.elements];
      const byKey = new Map(container.byKey);
      for (const p of added) {
        const key = String(elements.length);
        const entry = this.build(p, `${attr}.${key}`);
        elements.push(entry);
        byKey.set(key, entry);
      }
      this.entries.set(attr, { kind: 'container', elements, byKey, ...(container.partial ? { partial: true as const } : {}) });
      return;
    }
    // super().__init__(*layers) / super(Cls, self).__init__(OrderedDict(...)): the class is a Sequential (or ModuleList).
    if (frame.self && methodName === '__init__' && object && /^super\(/.test(this.ctx.slice(object)) && (call.args.positional.length > 0 || call.args.hasStarred)) {
      for (const [key, p] of this.containerItems(node, frame, '')) {
        const entry = this.build(p, key);
        if (entry.kind === 'layer') entry.layer.attribute = key;
        this.entries.set(key, entry);
        this.registered.push([entry, p.node]);
      }
      return;
    }
    const fn = this.functionOf(callee, frame);
    if (fn) this.callFunction(fn.node, call, frame, fn.method);
  }

  /**
   * A constant value: what the evaluator reads, plus what only the
   * interpreter knows how to read: conditions (`not`, `and`, `==`, `is None`),
   * `seq[i]` and `module_dict['key']`, and string formatting
   * (`'denselayer%d' % (i + 1)`, f-strings, `'{}'.format(i)`) for names.
   */
  private constant(node: SyntaxNode, scope: Scope, depth = 0): Value | undefined {
    const value = evaluate(node, this.ctx.text, scope);
    if (value !== undefined || exceeds('expressionDepth', depth)) return value;
    const n = unwrap(node);
    switch (n.name) {
      case 'MemberExpression': {
        const object = n.firstChild;
        if (!object || !n.getChild('[')) return undefined;
        if (n.getChild(':')) return this.slice(n, scope, depth);
        const index = object.nextSibling?.nextSibling;
        if (!index) return undefined;
        const key = this.constant(index, scope, depth + 1);
        if (key === undefined) return undefined;
        const seq = this.constant(object, scope, depth + 1);
        if (Array.isArray(seq) || typeof seq === 'string') {
          if (typeof key !== 'number' || !Number.isInteger(key)) return undefined;
          const i = key < 0 ? seq.length + key : key;
          return i >= 0 && i < seq.length ? seq[i] : undefined;
        }
        return object.name === 'VariableName' && seq === undefined && !scope.has(this.ctx.slice(object)) ? this.moduleDictValue(object, key) : undefined;
      }
      case 'FormatString': {
        let out = '';
        let at = n.from;
        const raw = this.ctx.slice(n);
        const quote = /^[fFrR]*(['"]{1,3})/.exec(raw);
        if (!quote || /[rR]/.test(raw.slice(0, quote.index + raw.indexOf(quote[1])))) return undefined;
        at = n.from + raw.indexOf(quote[1]) + quote[1].length;
        for (let c = n.firstChild; c; c = c.nextSibling) {
          if (c.name !== 'FormatReplacement') continue;
          const inner = c.firstChild?.nextSibling;
          if (!inner || c.getChild('FormatSpec') || c.getChild('FormatConversion')) return undefined;
          const v = this.constant(inner, scope, depth + 1);
          if (!isPrintable(v)) return undefined;
          out += this.ctx.text.slice(at, c.from) + print(v);
          at = c.to;
        }
        const tail = this.ctx.text.slice(at, n.to - quote[1].length);
        return /[{}\\]/.test(out + tail) ? undefined : out + tail;
      }
      case 'CallExpression': {
        const pure = this.pureCall(n, scope, depth);
        if (pure !== undefined) return pure;
        // '{}_{}'.format(a, b)
        const callee = n.firstChild;
        const template = callee?.name === 'MemberExpression' && this.ctx.slice(callee.lastChild as SyntaxNode) === 'format' ? stringValue(callee.firstChild ?? undefined, this.ctx.text) : undefined;
        const call = template !== undefined ? bindCall(n, this.ctx, scope) : undefined;
        if (template === undefined || !call || call.args.keywords.size > 0 || call.args.hasStarred) return undefined;
        const args = call.args.positional.map((a) => this.constant(a, scope, depth + 1));
        let i = 0;
        let ok = true;
        const out = template.replace(/\{(\d*)\}/g, (_, index: string) => {
          const v = args[index === '' ? i++ : Number(index)];
          if (!isPrintable(v)) ok = false;
          return isPrintable(v) ? print(v) : '';
        });
        return ok && !/[{}]/.test(out) ? out : undefined;
      }
      case 'BinaryExpression': {
        const left = n.firstChild;
        const op = left?.nextSibling;
        const right = op?.nextSibling;
        if (left && op?.name === 'ArithOp' && this.ctx.slice(op) === '%' && left.name === 'String' && right) {
          const template = stringValue(left, this.ctx.text);
          const v = this.constant(right, scope, depth + 1);
          const args = Array.isArray(v) ? v : [v];
          if (template === undefined) return undefined;
          let i = 0;
          let ok = true;
          const out = template.replace(/%([dis%])/g, (_, f: string) => {
            if (f === '%') return '%';
            const a = args[i++];
            if (f === 's' ? !isPrintable(a) : typeof a !== 'number' || !Number.isInteger(a)) ok = false;
            return isPrintable(a) ? print(a) : '';
          });
          return ok && i === args.length && !/%/.test(out.replace(/%%/g, '')) ? out : undefined;
        }
        if (left && op?.name === 'ArithOp' && right && (this.ctx.slice(op) === '+' || this.ctx.slice(op) === '*')) return this.listArithmetic(this.ctx.slice(op), left, right, scope, depth);
        return this.truth(n, scope, depth);
      }
      case 'UnaryExpression':
        return this.truth(n, scope, depth);
      case 'ArrayComprehensionExpression':
        return this.constantComprehension(n, scope, depth);
      case 'ConditionalExpression': {
        // `t if isinstance(t, tuple) else (t, t)`
        const parts: SyntaxNode[] = [];
        for (let c = n.firstChild; c; c = c.nextSibling) if (c.name !== 'if' && c.name !== 'else' && c.name !== 'Comment') parts.push(c);
        const [yes, condition, no] = parts;
        const truth = condition ? this.truth(condition, scope, depth + 1) : undefined;
        return truth === undefined || !yes || !no ? undefined : this.constant(truth ? yes : no, scope, depth + 1);
      }
      default:
        return undefined;
    }
  }

  /** `[a] + [b, c]` and `[1] * (n - 1)` of known lists or tuples, within LIMITS.constantElements. */
  private listArithmetic(op: string, left: SyntaxNode, right: SyntaxNode, scope: Scope, depth: number): Value | undefined {
    const a = this.constant(left, scope, depth + 1);
    const b = a === undefined ? undefined : this.constant(right, scope, depth + 1);
    if (op === '+') {
      if (!Array.isArray(a) || !Array.isArray(b) || exceeds('constantElements', valueSize(a) + valueSize(b))) return undefined;
      return [...a, ...b];
    }
    const [list, times] = Array.isArray(a) ? [a, b] : [b, a];
    if (!Array.isArray(list) || typeof times !== 'number' || !Number.isInteger(times)) return undefined;
    const n = Math.max(0, times);
    if (exceeds('constantElements', valueSize(list) * n)) return undefined;
    const out: Value[] = [];
    for (let i = 0; i < n; i++) out.push(...list);
    return out;
  }

  /**
   * A call of a small function of the module on constants, by running its body
   * (`def pair(t): return t if isinstance(t, tuple) else (t, t)`, lucidrains'
   * `default(val, d)`): assignments, `if`, `return` and docstrings only, each
   * statement counted against LIMITS.functionSteps; calls inside it nest up to
   * the interpreter's call depth. Also `isinstance` where the value's type is
   * certain.
   */
  private pureCall(n: SyntaxNode, scope: Scope, depth: number): Value | undefined {
    const callee = n.firstChild;
    if (callee?.name !== 'VariableName') return undefined;
    const name = this.ctx.slice(callee);
    if (scope.has(name)) return undefined;
    const call = bindCall(n, this.ctx, scope);
    if (!call || call.args.hasStarred) return undefined;
    if (name === 'isinstance' && !this.functions.has(name)) {
      const value = call.args.positional[0] ? this.constant(call.args.positional[0], scope, depth + 1) : undefined;
      const type = call.args.positional[1];
      return value === undefined || !type || call.args.positional.length !== 2 ? undefined : isInstance(value, this.ctx.slice(type).replace(/\s+/g, ''));
    }
    const fn = this.functions.get(name);
    const body = fn?.getChild('Body');
    if (!fn || !body || this.pureDepth >= MAX_CALL_DEPTH) return undefined;
    const { names, defaults } = parameters(fn, this.ctx, this.ctx.moduleScope);
    // `*args` / `**kwargs` parameters: not followed.
    if (/[*]/.test(this.ctx.slice(fn.getChild('ParamList') as SyntaxNode))) return undefined;
    const bound: [string, Value][] = [];
    for (const [i, param] of names.entries()) {
      const node = call.node_(param, i);
      const v = node ? this.constant(node, scope, depth + 1) : defaults.find(([k]) => k === param)?.[1];
      if (v === undefined) return undefined;
      bound.push([param, v]);
    }
    if (call.args.positional.length > names.length || [...call.args.keywords.keys()].some((k) => !names.includes(k))) return undefined;
    this.pureDepth++;
    try {
      return this.pureBody(statements(body), extend(withoutNames(this.ctx.moduleScope, names), bound), depth + 1)?.value;
    } finally {
      this.pureDepth--;
    }
  }

  /** Runs a pure function's statements: `{ value }` when one returns, `{}` when they end, undefined when InitLens cannot follow. */
  private pureBody(body: readonly SyntaxNode[], scope: Scope, depth: number): { value?: Value; scope: Scope } | undefined {
    let current = scope;
    for (const stmt of body) {
      this.steps++;
      if (exceeds('functionSteps', this.steps)) return undefined;
      if (stmt.name === 'ExpressionStatement' && stmt.firstChild?.name === 'String') continue;
      if (stmt.name === 'PassStatement') continue;
      if (stmt.name === 'ReturnStatement') {
        const value = stmt.lastChild && stmt.lastChild.name !== 'return' ? this.constant(stmt.lastChild, current, depth + 1) : null;
        return value === undefined ? undefined : { value, scope: current };
      }
      if (stmt.name === 'AssignStatement') {
        const target = stmt.firstChild;
        const value = stmt.lastChild;
        if (target?.name !== 'VariableName' || target.nextSibling?.name !== 'AssignOp' || !value || target.nextSibling.nextSibling?.from !== value.from) return undefined;
        const v = this.constant(value, current, depth + 1);
        if (v === undefined) return undefined;
        current = extend(current, [[this.ctx.slice(target), v]]);
        continue;
      }
      if (stmt.name === 'IfStatement') {
        let condition: SyntaxNode | undefined;
        let ran = false;
        for (let c = stmt.firstChild; c && !ran; c = c.nextSibling) {
          if (c.name === 'if' || c.name === 'elif') {
            condition = c.nextSibling ?? undefined;
          } else if (c.name === 'else') {
            condition = undefined;
          } else if (c.name === 'Body') {
            const truth = condition ? this.truth(condition, current, depth + 1) : true;
            if (truth === undefined) return undefined;
            if (!truth) continue;
            ran = true;
            const result = this.pureBody(statements(c), current, depth + 1);
            if (!result || result.value !== undefined) return result;
            current = result.scope;
          }
        }
        continue;
      }
      return undefined;
    }
    return { scope: current };
  }

  /**
   * Python truth of a condition: comparisons of constants, `is`/`is not`,
   * `in`, `not`, and `and`/`or` (which decide with one side unknown when the
   * other settles them); undefined when unknown.
   */
  private truth(node: SyntaxNode, scope: Scope, depth = 0): boolean | undefined {
    if (exceeds('expressionDepth', depth)) return undefined;
    const n = unwrap(node);
    const first = n.firstChild;
    if (n.name === 'UnaryExpression' && first?.name === 'not') {
      const inner = first.nextSibling ? this.truth(first.nextSibling, scope, depth + 1) : undefined;
      return inner === undefined ? undefined : !inner;
    }
    if (n.name === 'BinaryExpression' && first) {
      const op = first.nextSibling;
      const right = n.lastChild;
      if (!op || !right || same(right, op)) return undefined;
      if (op.name === 'and' || op.name === 'or') {
        const a = this.truth(first, scope, depth + 1);
        if (op.name === 'and' && a === false) return false;
        if (op.name === 'or' && a === true) return true;
        const b = this.truth(right, scope, depth + 1);
        if (a !== undefined) return b;
        return op.name === 'and' && b === false ? false : op.name === 'or' && b === true ? true : undefined;
      }
      const operator = this.ctx.text.slice(op.from, right.from).replace(/\s+/g, ' ').trim();
      if (op.name === 'CompareOp' || op.name === 'is' || op.name === 'in' || op.name === 'not') {
        const a = this.constant(first, scope, depth + 1);
        const b = this.constant(right, scope, depth + 1);
        if (a === undefined || b === undefined) return undefined;
        return compare(operator, a, b);
      }
    }
    const value = this.constant(n, scope, depth + 1);
    if (value === undefined) return undefined;
    return Array.isArray(value) ? value.length > 0 : typeof value === 'string' ? value.length > 0 : !!value;
  }

  /** `cfg['VGG11']` with `cfg = {...}` a dict literal at module level. */
  private moduleDictValue(name: SyntaxNode, key: Value): Value | undefined {
    let top: SyntaxNode = name;
    while (top.parent) top = top.parent;
    const wanted = this.ctx.slice(name);
    let dict: SyntaxNode | undefined;
    for (const stmt of statements(top)) {
      const target = stmt.name === 'AssignStatement' ? stmt.firstChild : null;
      if (target?.name === 'VariableName' && this.ctx.slice(target) === wanted) dict = stmt.lastChild?.name === 'DictionaryExpression' ? stmt.lastChild : undefined;
    }
    if (!dict) return undefined;
    for (const [k, v] of dictPairs(dict)) {
      if (evaluate(k, this.ctx.text, this.ctx.moduleScope) === key) return evaluate(v, this.ctx.text, this.ctx.moduleScope);
    }
    return undefined;
  }

  /** What an expression gives to a local name: a module list, or a module for later. */
  private valueOf(node: SyntaxNode, frame: Frame): Local | undefined {
    const n = unwrap(node);
    switch (n.name) {
      case 'VariableName':
        return frame.locals.get(this.ctx.slice(n)) ?? this.pending(n, frame);
      case 'MemberExpression': {
        const attr = this.selfAttribute(n, frame);
        return attr !== undefined ? this.selfLists.get(attr) : undefined;
      }
      case 'ArrayExpression':
      case 'TupleExpression':
      case 'ArrayComprehensionExpression':
        return { kind: 'list', items: this.items(n, frame), level: this.uncertain };
      case 'BinaryExpression': {
        const op = n.firstChild?.nextSibling;
        if (!op || this.ctx.slice(op) !== '+') return undefined;
        const a = this.valueOf(n.firstChild as SyntaxNode, frame);
        const b = n.lastChild ? this.valueOf(n.lastChild, frame) : undefined;
        return a?.kind === 'list' && b?.kind === 'list' ? { kind: 'list', items: [...a.items, ...b.items], level: this.uncertain } : undefined;
      }
      case 'ConditionalExpression': {
        const branch = this.branch(n, frame.scope);
        return branch ? this.valueOf(branch, frame) : undefined;
      }
      case 'CallExpression': {
        const call = bindCall(n, this.ctx, frame.scope);
        const fn = call && this.functionOf(call.callee, frame);
        if (call && fn) return this.callFunction(fn.node, call, frame, fn.method)?.local;
        return this.pending(n, frame);
      }
      default:
        return undefined;
    }
  }

  /** Adds modules to a list; in a loop or branch InitLens cannot count, they are unsure. */
  private push(list: ModuleItems, items: readonly Pending[]): void {
    const unsure = this.uncertain > list.level;
    for (const p of items) list.items.push(unsure && !p.unsure ? { ...p, unsure: true } : p);
  }

  private pending(node: SyntaxNode, frame: Frame): Pending {
    const local = unwrap(node).name === 'VariableName' ? frame.locals.get(this.ctx.slice(node)) : undefined;
    return local?.kind === 'module' ? local : { kind: 'module', node, scope: frame.scope, frame };
  }

  /** The modules a list expression holds (`[a, *block(...), b]`, a comprehension, a local list). */
  private items(node: SyntaxNode, frame: Frame): Pending[] {
    const n = unwrap(node);
    if (n.name === 'ArrayComprehensionExpression') return this.comprehension(n, frame);
    if (n.name !== 'ArrayExpression' && n.name !== 'TupleExpression') {
      const local = this.valueOf(n, frame);
      return local?.kind === 'list' ? [...local.items] : [];
    }
    return spread(n).flatMap(({ node: e, starred }) => {
      if (starred) return this.items(e, frame);
      const local = this.valueOf(e, frame);
      return local?.kind === 'module' ? [local] : local ? [] : [this.pending(e, frame)];
    });
  }

  /**
   * `[nn.Linear(d, d) for _ in range(3)]`: one element per iteration, in the
   * scope of that iteration (`[nn.Linear(w[i], w[i + 1]) for i in range(n)]`);
   * an unknown or too long iterable gives one element, unsure (their number is unknown).
   */
  private comprehension(node: SyntaxNode, frame: Frame): Pending[] {
    const parts = comprehensionParts(node);
    if (!parts) return [];
    const { element, targets, iterable, conditions } = parts;
    const values = this.iterate(iterable, frame.scope);
    const out: Pending[] = [];
    const saved = frame.scope;
    if (values) {
      for (const value of values) {
        this.bindTargets(targets, value, frame);
        if (conditions.every((c) => this.truth(c, frame.scope) !== false)) out.push({ kind: 'module', node: element, scope: frame.scope, frame });
      }
    } else if (conditions.every((c) => this.truth(c, frame.scope) !== false)) {
      // `[Block(config) for _ in range(config.n_layer)]` with n_layer unknown: the element is still
      // built (its class gets this context), an unknown number of times, as a loop InitLens cannot count.
      this.bindTargets(targets, undefined, frame);
      out.push({ kind: 'module', node: element, scope: frame.scope, frame, unsure: true });
    }
    // The comprehension's variables do not leak (Python 3).
    frame.scope = saved;
    return out;
  }

  /**
   * `[in_planes for _ in range(n - 1)]`, `[x.item() for x in torch.linspace(0, rate, depth)]` (the drop-path
   * rates of timm-style models) of constants: the list, when every element and condition is known.
   */
  private constantComprehension(node: SyntaxNode, scope: Scope, depth: number): Value | undefined {
    const parts = comprehensionParts(node);
    const values = parts ? this.iterate(parts.iterable, scope) : undefined;
    if (!parts || !values) return undefined;
    const frame: Frame = { scope, locals: new Map(), functions: new Map(), depth: 0, self: false };
    const out: Value[] = [];
    let size = 0;
    for (const value of values) {
      this.bindTargets(parts.targets, value, frame);
      const keep = parts.conditions.map((c) => this.truth(c, frame.scope, depth + 1));
      if (keep.includes(undefined)) return undefined;
      if (keep.includes(false)) continue;
      const v = this.constant(parts.element, frame.scope, depth + 1);
      if (v === undefined) return undefined;
      size += valueSize(v);
      if (exceeds('constantElements', size)) return undefined;
      out.push(v);
    }
    return out;
  }

  /** `seq[a:b:step]` of a known list, tuple or string, with Python's bounds (clamped, negative from the end). */
  private slice(n: SyntaxNode, scope: Scope, depth: number): Value | undefined {
    const object = n.firstChild as SyntaxNode;
    const bounds: (SyntaxNode | undefined)[] = [undefined];
    for (let c = object.nextSibling; c && c.name !== ']'; c = c.nextSibling) {
      if (c.name === '[' || c.name === 'Comment') continue;
      if (c.name === ',') return undefined;
      if (c.name === ':') bounds.push(undefined);
      else if (bounds[bounds.length - 1] !== undefined) return undefined;
      else bounds[bounds.length - 1] = c;
    }
    if (bounds.length > 3) return undefined;
    const nums: (number | undefined)[] = [];
    for (const b of bounds) {
      const v = b ? this.constant(b, scope, depth + 1) : null;
      if (v !== null && (typeof v !== 'number' || !Number.isInteger(v))) return undefined;
      nums.push(v === null ? undefined : v);
    }
    const seq = this.constant(object, scope, depth + 1);
    if (!Array.isArray(seq) && typeof seq !== 'string') return undefined;
    const picked = pySlice(typeof seq === 'string' ? [...seq] : (seq as readonly Value[]), nums[0], nums[1], nums[2] ?? 1);
    return picked === undefined ? undefined : typeof seq === 'string' ? picked.join('') : picked;
  }

  private build(p: Pending, name: string): Entry {
    p.built ??= this.entryFor(p.node, name, p.scope, p.frame.depth, p.frame);
    return p.built;
  }

  /** `nn.Sequential(a, b, ...)` or `nn.Sequential(OrderedDict([...]))`: each layer's activation is the next module. */
  private sequential(node: SyntaxNode, prefix: string, frame: Frame, scope: Scope): Entry {
    const elements: Entry[] = [];
    const byKey = new Map<string, Entry>();
    let pending: LayerDraft | undefined;
    this.cutItems = false;
    const items = this.containerItems(node, { ...frame, scope }, prefix);
    const partial = this.cutItems;
    this.cutItems = false;
    for (const [key, p] of items) {
      const entry = this.build(p, `${prefix}.${key}`);
      elements.push(entry);
      byKey.set(key, entry);
      pending = chain(pending, entry, p.node);
    }
    return { kind: 'container', elements, byKey, ...(pending ? { tail: pending } : {}), ...(elements[0] ? { head: elements[0] } : {}), ...(partial ? { partial } : {}) };
  }

  private list(node: SyntaxNode, prefix: string, frame: Frame, scope: Scope): Entry {
    const elements: Entry[] = [];
    const byKey = new Map<string, Entry>();
    this.cutItems = false;
    const items = this.containerItems(node, { ...frame, scope }, prefix);
    const partial = this.cutItems;
    this.cutItems = false;
    for (const [key, p] of items) {
      const entry = this.build(p, `${prefix}.${key}`);
      elements.push(entry);
      byKey.set(key, entry);
    }
    return { kind: 'container', elements, byKey, ...(partial ? { partial } : {}) };
  }

  /**
   * Container elements with their names: positional (`*layers` spread in),
   * a list (literal, comprehension, local), or keys of an OrderedDict, a dict
   * literal or `dict(name=module, ...)`.
   */
  private containerItems(call: SyntaxNode, frame: Frame, prefix: string): [string, Pending][] {
    const list = call.getChild('ArgList');
    const args = list ? spread(list) : [];
    const first = args[0];
    if (!first) return [];
    const unwrapped = unwrap(first.node);
    const keyed = (pairs: [string | undefined, SyntaxNode][]): [string, Pending][] =>
      pairs.flatMap(([key, value]) => (key !== undefined ? [[key, this.pending(value, frame)] as [string, Pending]] : []));
    if (args.length === 1 && !first.starred) {
      const callee = unwrapped.name === 'CallExpression' ? (unwrapped.firstChild as SyntaxNode) : undefined;
      // OrderedDict([("name", module), ...])
      if (callee && /(^|\.)OrderedDict$/.test(this.ctx.qualified(callee) ?? this.ctx.slice(callee))) {
        const inner = bindCall(unwrapped, this.ctx, frame.scope)?.args.positional[0];
        const pairs = inner ? (sequenceElements(unwrap(inner)) ?? []) : [];
        return keyed(
          pairs.flatMap((pair) => {
            const parts = sequenceElements(pair);
            return parts && parts[1] ? [[stringValue(parts[0], this.ctx.text), parts[1]] as [string | undefined, SyntaxNode]] : [];
          }),
        );
      }
      // dict(wte=nn.Embedding(...), h=nn.ModuleList([...])): keywords in order.
      if (callee && this.ctx.slice(callee) === 'dict' && !frame.scope.has('dict') && !frame.locals.has('dict')) {
        const inner = bindCall(unwrapped, this.ctx, frame.scope);
        return inner && inner.args.positional.length === 0 && !inner.args.hasStarred ? keyed([...inner.args.keywords]) : [];
      }
      if (unwrapped.name === 'DictionaryExpression') return keyed(dictPairs(unwrapped).map(([k, v]) => [stringValue(k, this.ctx.text), v]));
      if (['ArrayExpression', 'TupleExpression', 'ArrayComprehensionExpression'].includes(unwrapped.name) || frame.locals.get(this.ctx.slice(unwrapped))?.kind === 'list' || (unwrapped.name === 'MemberExpression' && this.valueOf(unwrapped, frame)?.kind === 'list')) {
        return this.indexed(this.items(unwrapped, frame), prefix);
      }
    }
    // nn.Sequential(a, *block(...), b)
    return this.indexed(args.flatMap(({ node, starred }) => (starred ? this.items(node, frame) : [this.pending(node, frame)])), prefix);
  }

  /**
   * Elements named by position, up to the first whose position is unknown: a
   * wrong index would put lenses, hovers and Apply's init code on another
   * module, so those are left out. The classes of the file they build are
   * still built there ({@link reach}).
   */
  private indexed(items: readonly Pending[], prefix: string): [string, Pending][] {
    const known = items.findIndex((p) => p.unsure);
    if (known < 0) return items.map((p, i) => [String(i), p]);
    for (const p of items.slice(known)) this.reach(p, `${prefix}${prefix ? '.' : ''}?`);
    // The container is partial: its last known element is not its last (set after reach, whose builds reset it).
    this.cutItems = true;
    return items.slice(0, known).map((p, i) => [String(i), p]);
  }

  /**
   * Builds a module whose place is unknown (`[Block(config) for _ in range(n)]`
   * with `n` unknown, an append in such a loop) for the module tree only: the
   * classes of the file it builds get this context (and the parent's init
   * rules, matched by the `?` in their path where a rule tests names), while
   * its own library layers are dropped, as they have no name to report.
   */
  private reach(p: Pending, path: string): void {
    const before = this.layers.length;
    const built = p.built;
    this.build(p, path);
    this.layers.length = before;
    // Registered later under a real name, it is built again there, with its layers.
    p.built = built;
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

/** The parts of `[element for targets in iterable if conditions]` (one `for`), or undefined. */
function comprehensionParts(node: SyntaxNode): { element: SyntaxNode; targets: SyntaxNode[]; iterable: SyntaxNode; conditions: SyntaxNode[] } | undefined {
  const parts: SyntaxNode[] = [];
  for (let c = node.firstChild; c; c = c.nextSibling) if (c.name !== '[' && c.name !== ']' && c.name !== 'Comment') parts.push(c);
  const [element, forKw] = parts;
  if (!element || forKw?.name !== 'for' || parts.filter((p) => p.name === 'for').length !== 1) return undefined;
  const inAt = parts.findIndex((p) => p.name === 'in');
  const iterable = parts[inAt + 1];
  if (inAt < 0 || !iterable) return undefined;
  return { element, targets: parts.slice(2, inAt).filter((p) => p.name !== ','), iterable, conditions: parts.slice(inAt + 2).filter((p) => p.name !== 'if') };
}

/** Python's `seq[start:stop:step]`; undefined for a zero step. */
function pySlice<T>(seq: readonly T[], start: number | undefined, stop: number | undefined, step: number): T[] | undefined {
  if (step === 0) return undefined;
  const n = seq.length;
  const bound = (i: number | undefined, fallback: number) => (i === undefined ? fallback : i < 0 ? Math.max(i + n, step < 0 ? -1 : 0) : Math.min(i, step < 0 ? n - 1 : n));
  const from = bound(start, step < 0 ? n - 1 : 0);
  const to = bound(stop, step < 0 ? -1 : n);
  const out: T[] = [];
  for (let i = from; step > 0 ? i < to : i > to; i += step) out.push(seq[i]);
  return out;
}

/** Positional arguments of an ArgList, or elements of a list or tuple, each with whether it is `*spread`. */
function spread(node: SyntaxNode): { node: SyntaxNode; starred: boolean }[] {
  const out: { node: SyntaxNode; starred: boolean }[] = [];
  let starred = false;
  let keyword = false;
  for (let c = node.firstChild; c; c = c.nextSibling) {
    if (c.name === '*') starred = true;
    else if (c.name === '**') keyword = true;
    else if (c.name === 'VariableName' && c.nextSibling?.name === 'AssignOp') keyword = true;
    else if (c.name === ',') {
      starred = false;
      keyword = false;
    } else if (!['(', ')', '[', ']', 'AssignOp', 'Comment'].includes(c.name) && !keyword) {
      out.push({ node: c, starred });
      starred = false;
    }
  }
  return out;
}

/** Key and value nodes of a dict literal. */
function dictPairs(dict: SyntaxNode): [SyntaxNode, SyntaxNode][] {
  const out: [SyntaxNode, SyntaxNode][] = [];
  let key: SyntaxNode | undefined;
  for (let c = dict.firstChild; c; c = c.nextSibling) {
    if (['{', '}', ':', ',', 'Comment'].includes(c.name)) continue;
    if (c.name === '**') return out;
    if (key === undefined) key = c;
    else {
      out.push([key, c]);
      key = undefined;
    }
  }
  return out;
}

function isPrintable(v: Value | undefined): v is string | number {
  return typeof v === 'string' || (typeof v === 'number' && Number.isInteger(v));
}

/** str() of an integer or a string, as Python prints it. */
function print(v: string | number): string {
  return String(v);
}

/** Python comparison of two constants (`==`, `<`, `is not`, `in`, ...); undefined where Python's answer is not certain here. */
function compare(op: string, a: Value, b: Value): boolean | undefined {
  const eq = (x: Value, y: Value): boolean => (Array.isArray(x) && Array.isArray(y) ? x.length === y.length && x.every((v, i) => eq(v, y[i])) : x === y);
  switch (op) {
    case '==':
      return eq(a, b);
    case '!=':
      return !eq(a, b);
    case 'is':
      return a === null || b === null || typeof a === 'boolean' || typeof b === 'boolean' ? a === b : undefined;
    case 'is not':
      return a === null || b === null || typeof a === 'boolean' || typeof b === 'boolean' ? a !== b : undefined;
    case 'in':
    case 'not in': {
      const found = Array.isArray(b) ? b.some((v) => eq(v, a)) : typeof b === 'string' && typeof a === 'string' ? b.includes(a) : undefined;
      return found === undefined ? undefined : op === 'in' ? found : !found;
    }
    case '<':
    case '>':
    case '<=':
    case '>=': {
      if (typeof a !== 'number' || typeof b !== 'number') return undefined;
      return op === '<' ? a < b : op === '>' ? a > b : op === '<=' ? a <= b : a >= b;
    }
    default:
      return undefined;
  }
}

/**
 * `isinstance(value, type)` where a constant's type is certain: tuples and
 * lists are both arrays here, and an integral number may be a float, so those
 * stay unknown.
 */
function isInstance(value: Value, type: string): boolean | undefined {
  const names = /^\((.*)\)$/.exec(type)?.[1].split(',').filter((t) => t !== '') ?? [type];
  let result: boolean | undefined = false;
  for (const t of names) {
    const one = ((): boolean | undefined => {
      switch (t) {
        case 'tuple':
        case 'list':
          return Array.isArray(value) ? undefined : false;
        case 'str':
          return typeof value === 'string';
        case 'bool':
          return typeof value === 'boolean';
        case 'dict':
        case 'set':
          // No constant here is a dict or a set (dicts are held as entries, evaluate.ts).
          return false;
        case 'int':
          return typeof value === 'boolean' ? true : typeof value === 'number' ? (Number.isInteger(value) ? undefined : false) : false;
        case 'float':
          return typeof value === 'number' ? (Number.isInteger(value) ? undefined : true) : false;
        default:
          return undefined;
      }
    })();
    if (one === true) return true;
    if (one === undefined) result = undefined;
  }
  return result;
}

/**
 * `torch.linspace(start, end, steps)` in float32, as ATen's scalar CPU kernel
 * computes it (aten/src/ATen/native/cpu/RangeFactoriesKernel.cpp): the first
 * half counts up from `start`, the second down from `end`, so both ends are
 * exact. Its vectorized path fills whole SIMD chunks from their first element,
 * so a value inside a chunk may differ in the last bit; these values serve as
 * arguments (drop-path rates), and no fan or std is computed from them.
 */
export function linspace(start: number, end: number, steps: number): number[] {
  const f = Math.fround;
  if (steps === 1) return [f(start)];
  const step = f(f(f(end) - f(start)) / (steps - 1));
  const half = Math.floor(steps / 2);
  return Array.from({ length: steps }, (_, i) => (i < half ? f(f(start) + f(step * i)) : f(f(end) - f(step * (steps - i - 1)))));
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
    case 'module':
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

export function withoutNames(scope: Scope, names: readonly string[]): Scope {
  const copy = new Map(scope);
  for (const n of names) copy.delete(n);
  return copy;
}

