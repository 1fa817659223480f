/**
 * PyTorch models: `nn.Module` subclasses (layers assigned in `__init__`,
 * `nn.Sequential`/`ModuleList`/`ModuleDict` containers, layers built inline in
 * `forward`) and free-standing `nn.Sequential(...)` models. For each layer:
 * the activation that follows (forward data flow, the next module of a
 * Sequential, `nonlinearity=`/`activation=` arguments) and explicit
 * `nn.init` calls (in `__init__`, methods it calls, `for m in self.modules()`
 * loops, and functions given to `.apply`).
 */
import { qualify } from '../python/imports';
import { dottedName, type SyntaxNode } from '../python/parse';
import { sequenceElements, statements, unwrap } from '../python/syntax';
import { bindCall, extend, type BoundCall, type Context } from './context';
import { evaluate, withoutEntries, type Scope, type Value } from './evaluate';
import { Forward, type InputSummary, type ModuleEntry } from './forward';
import type { ActivationUse, Span, TorchParameter } from './types';
import { Inits } from './inits';
import { explicitInit, writeInit, type LayerDraft } from './layer';
import type { Entry } from './members';
import { lookupLayer } from './catalog';
import { applyRules, type InitRule } from './inits';
import { parameters, settle, TorchClass, withoutNames } from './members';
import type { ConfigClass } from './moduleScope';
import { bindArguments, classRef, EMPTY_BINDING, withEmptySpreads, type Binding, type ClassContext, type ClassSignature, type Site } from './tree';
import { libraryBase, superInitLayer } from './subclass';

export { parameters } from './members';

/** A torch model found in the document, before finalization. */
export interface TorchModelDraft {
  readonly name: string;
  readonly kind: 'torch-module' | 'torch-sequential';
  readonly node: SyntaxNode;
  readonly layers: LayerDraft[];
  readonly init?: SyntaxNode;
  readonly initMethod?: { name: string; node: SyntaxNode; called: boolean };
  /** Classes of the file built in `__init__`, at their construction calls. */
  readonly submodules?: readonly { readonly className: string; readonly node: SyntaxNode }[];
  /** `self.<name> = nn.Parameter(<tensor>)` members ({@link TorchClass.parameters}). */
  readonly parameters?: readonly ParameterDraft[];
  /** {@link TorchClass.initValues}. */
  readonly initValues?: ReadonlyMap<string, Value>;
}

/** One `self.<name> = nn.Parameter(<tensor>)` ({@link TorchParameter}, its span a node). */
export type ParameterDraft = Omit<TorchParameter, 'span'> & { readonly tensor: SyntaxNode };

/** Most characters of the code that writes a member again, quoted in its reason (document text). */
const MAX_WRITTEN = 60;

/** What a parameter member's tensor is made of, and whether `__init__` writes it again (an `nn.init` call or an in-place draw on it). */
function parameterDraft(name: string, tensor: SyntaxNode, inner: SyntaxNode, shape: readonly number[] | undefined, initBody: SyntaxNode | undefined, ctx: Context): ParameterDraft {
  const callee = inner.name === 'CallExpression' ? ctx.qualified(inner.firstChild) : undefined;
  const fill = callee === 'torch.zeros' ? 0 : callee === 'torch.ones' ? 1 : undefined;
  const body = initBody ? ctx.slice(initBody) : '';
  const escaped = name.replace(/[^\w]/g, '');
  const written = new RegExp(`(?:init\\.\\w+_?\\(\\s*self\\.${escaped}\\b|self\\.${escaped}(?:\\.data)?\\.(?:normal_|uniform_|fill_|zero_|copy_|trunc_normal_)\\()`).exec(body);
  return { name, tensor, ...(shape ? { shape } : {}), ...(fill !== undefined ? { fill } : {}), ...(written ? { rewritten: `__init__ writes it again (${written[0].slice(0, MAX_WRITTEN)}…)` } : {}) };
}

const SEQUENTIAL_BASES = new Set(['torch.nn.Sequential', 'torch.nn.modules.container.Sequential']);
/**
 * Hugging Face transformers' model base: `post_init()` (and the older
 * `init_weights()`) at the end of a model's `__init__` runs
 * `self.apply(self._init_weights)` (transformers/modeling_utils.py), with
 * `_init_weights(self, module)` written by the model's own `*PreTrainedModel` class.
 */
const HF_MODEL_BASES = new Set(['transformers.PreTrainedModel', 'transformers.modeling_utils.PreTrainedModel']);
const MODULE_BASES = new Set(['torch.nn.Module', 'torch.nn.modules.module.Module', ...SEQUENTIAL_BASES, ...HF_MODEL_BASES]);
/** Classes of the file a class inherits methods from, followed at most this deep. */
const MAX_BASE_DEPTH = 8;
const INIT_METHOD_NAMES = ['_init_weights', 'init_weights', 'reset_parameters', '_reset_parameters', 'initialize_weights', '_initialize_weights'];

/**
 * Names of classes in the document that are `nn.Module`s (directly or through other classes of the document).
 * `names`, when given, receives each class's name in the order of `classes` (the analyzer reads them once).
 */
export function torchModuleClasses(classes: readonly SyntaxNode[], ctx: Context, names?: (string | undefined)[], headers?: readonly ClassHeader[]): Set<string> {
  const bases = new Map<string, readonly ClassBase[]>();
  classes.forEach((cls, i) => {
    const { name, bases: written } = headers?.[i] ?? classHeader(cls, ctx);
    names?.push(name);
    if (name !== undefined) bases.set(name, written);
  });
  // Classes derive from base classes written anywhere in the file: walk from
  // the nn.Module subclasses down to their subclasses, each class once.
  const subclasses = new Map<string, string[]>();
  const result = new Set<string>();
  const work: string[] = [];
  for (const [name, nodes] of bases) {
    for (const b of nodes) {
      // A subclass of a library layer (`class TransformerModel(nn.Transformer)`) is a module too.
      const qualified = (b.dotted && qualify(b.dotted, ctx.imports)) ?? '';
      if (MODULE_BASES.has(qualified) || lookupLayer(qualified)?.framework === 'torch') {
        if (!result.has(name)) work.push(name);
        result.add(name);
      } else {
        const base = b.text;
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

/** A base of a class as written: its text, and its parts when it is a dotted name (`nn.Module`). */
export interface ClassBase {
  readonly text: string;
  readonly dotted?: readonly string[];
}

/** What a class statement says before its body (`class Block(nn.Module):`), which depends on its text only. */
export interface ClassHeader {
  readonly name: string | undefined;
  /** The nodes of its argument list as written, keywords (`metaclass=...`) included. */
  readonly bases: readonly ClassBase[];
}

/** A class statement's {@link ClassHeader}, read in one pass over its children. */
export function classHeader(cls: SyntaxNode, ctx: Context): ClassHeader {
  let name: string | undefined;
  let list: SyntaxNode | undefined;
  for (let c = cls.firstChild; c && c.name !== 'Body'; c = c.nextSibling) {
    if (c.name === 'VariableName' && name === undefined) name = ctx.slice(c);
    else if (c.name === 'ArgList') list = c;
  }
  const bases = (list ? argNodes(list) : []).map((b): ClassBase => {
    const dotted = dottedName(b, ctx.text);
    return dotted ? { text: ctx.slice(b), dotted } : { text: ctx.slice(b) };
  });
  return { name, bases };
}

/** The bases of a class as written (`nn.Module`, `BasePreTrainedModel`). */
function baseNodes(cls: SyntaxNode): SyntaxNode[] {
  const list = cls.getChild('ArgList');
  return list ? (sequenceElements(list) ?? argNodes(list)).filter((n) => n.name !== 'VariableName' || n.nextSibling?.name !== 'AssignOp') : [];
}

/**
 * A class's methods by name as Python resolves `self.<name>`: its own, then
 * those of its bases that are classes of the file (depth first, left to right,
 * as the MRO of single inheritance), except `__init__`. `hfModel`: some base
 * is transformers' `PreTrainedModel`.
 */
function methodsOf(cls: SyntaxNode, ctx: Context, classNodes: ReadonlyMap<string, SyntaxNode>): { byName: Map<string, SyntaxNode>; hfModel: boolean } {
  const byName = new Map<string, SyntaxNode>();
  let hfModel = false;
  const seen = new Set<SyntaxNode>();
  const visit = (c: SyntaxNode, depth: number) => {
    if (seen.has(c) || depth > MAX_BASE_DEPTH) return;
    seen.add(c);
    const body = c.getChild('Body');
    for (const stmt of body ? statements(body) : []) {
      const fn = stmt.name === 'DecoratedStatement' ? stmt.getChild('FunctionDefinition') : stmt;
      const fnName = fn?.name === 'FunctionDefinition' ? fn.getChild('VariableName') : null;
      const name = fnName ? ctx.slice(fnName) : '';
      // An inherited __init__ would report the base's layers a second time, at the base's lines: the base's lens shows them.
      if (fn && fnName && !byName.has(name) && (depth === 0 || name !== '__init__')) byName.set(name, fn);
    }
    for (const b of baseNodes(c)) {
      if (HF_MODEL_BASES.has(ctx.qualified(b) ?? '')) hfModel = true;
      const base = b.name === 'VariableName' ? classNodes.get(ctx.slice(b)) : undefined;
      if (base) visit(base, depth + 1);
    }
  };
  visit(cls, 0);
  return { byName, hfModel };
}

function argNodes(list: SyntaxNode): SyntaxNode[] {
  const out: SyntaxNode[] = [];
  for (let c = list.firstChild; c; c = c.nextSibling) if (c.name !== '(' && c.name !== ')' && c.name !== ',') out.push(c);
  return out;
}

/** The module tree's view of the file, for analyzing a class inside it. */
export interface TreeOptions {
  /** The context the class is built in (default: its own defaults). */
  readonly context?: ClassContext;
  /** The file's module classes by name. */
  readonly classes?: ReadonlyMap<string, ClassSignature>;
  readonly configs?: ReadonlyMap<string, ConfigClass>;
  /** The file's classes by name, their last definitions: where inherited methods come from, library-layer subclasses built here, class attributes of class arguments. */
  readonly classNodes?: ReadonlyMap<string, SyntaxNode>;
  /** What a class of the file built with `binding` does to its forward's inputs (its analysis in that context). */
  readonly summaries?: (className: string, binding: Binding) => InputSummary | undefined;
  /** Compute the class's own {@link TorchClassResult.summary}. */
  readonly summarize?: boolean;
  /** Library-layer subclasses being analyzed inside their builders above this one. */
  readonly depth?: number;
  /** Only what the constructor leaves on the instance (instances.ts): no forward, no inits. */
  readonly instance?: boolean;
}

/** Library-layer subclasses analyzed inside the class that builds them, one inside another. */
const MAX_LIBRARY_DEPTH = 2;

/**
 * Class-level constants of a class body (`expansion = 4`), evaluated in `scope`:
 * what `self.expansion` reads until `__init__` sets its own, and `block.expansion`
 * with `block` a class argument.
 */
export function classAttributes(cls: SyntaxNode, ctx: Context, scope: Scope): [string, Value][] {
  const body = cls.getChild('Body');
  const out: [string, Value][] = [];
  for (const stmt of body ? statements(body) : []) {
    const target = stmt.name === 'AssignStatement' ? stmt.firstChild : null;
    if (target?.name !== 'VariableName' || target.nextSibling?.name !== 'AssignOp' || !stmt.lastChild) continue;
    const v = evaluate(stmt.lastChild, ctx.text, scope);
    if (v !== undefined) out.push([ctx.slice(target), v]);
  }
  return out;
}

/** A class analyzed in one context: its draft, the classes it builds and its init rules. */
export interface TorchClassResult {
  readonly draft: TorchModelDraft;
  readonly sites: readonly Site[];
  readonly rules: readonly InitRule[];
  /** What its forward does to its inputs, when asked ({@link TreeOptions.summarize}). */
  readonly summary?: InputSummary;
  /** What its `__init__` left on the instance, when asked ({@link TreeOptions.instance}): `self.<x>` constants and what each attribute holds. */
  readonly instance?: { readonly scope: Scope; readonly entries: ReadonlyMap<string, Entry> };
}

/** Analyzes one `nn.Module` subclass (in one context of the module tree). */
export function analyzeTorchClass(cls: SyntaxNode, ctx: Context, moduleFunctions: ReadonlyMap<string, SyntaxNode>, tree: TreeOptions = {}): TorchClassResult | undefined {
  const nameNode = cls.getChild('VariableName');
  if (!nameNode) return undefined;
  const { byName, hfModel } = methodsOf(cls, ctx, tree.classNodes ?? new Map());
  const init = byName.get('__init__');
  const initParams = init ? parameters(init, ctx, ctx.moduleScope) : { names: [], defaults: [], defaultNodes: [] };
  const classes = tree.classes ?? new Map<string, ClassSignature>();
  const configs = tree.configs ?? new Map<string, ConfigClass>();
  const binding = tree.context?.binding ?? EMPTY_BINDING;
  // Parameters shadow module constants of the same name: only defaults and given values stand for them.
  const given = new Set([...binding.values.map(([k]) => k), ...binding.refs.map(([k]) => k)]);
  const shadowed = initParams.names.slice(1).filter((n) => !given.has(n));
  // A module object of a parameter's name (`kwargs = dict(...)`) is shadowed with its entries.
  // A parameter given a class (`activation=nn.ReLU`) is not its default (`activation=None`).
  const classGiven = new Set(binding.refs.map(([k]) => k));
  let scope = extend(withoutEntries(withoutNames(ctx.moduleScope, shadowed), initParams.names.slice(1)), initParams.defaults.filter(([k]) => !binding.unknown.includes(k) && !classGiven.has(k)));
  scope = extend(withoutNames(scope, binding.unknown), withEmptySpreads(binding, classes.get(ctx.slice(nameNode))));
  const sites: Site[] = [];
  /** The site each module entry was built at (its binding, and where its exit goes). */
  const siteOf = new Map<ModuleEntry, number>();
  const submodules: { className: string; node: SyntaxNode }[] = [];
  const refOf = (node: SyntaxNode): string | undefined =>
    classRef(node, ctx, (n) => {
      const text = ctx.slice(n).replace(/\s+/g, '');
      return torchClass.refs.get(text) ?? (classes.has(text) ? text : undefined);
    });
  // A class of the file deriving from a library layer (`class Layer(nn.Linear)`) is that layer, built here:
  // analyzed in this construction's context and listed at the construction, under the name the builder gives it.
  const libraryLayer = (call: BoundCall, callee: string, sig: ClassSignature, path: string, at: Scope): Entry | undefined => {
    const node = tree.classNodes?.get(callee);
    if (!node || !libraryBase(node, ctx) || (tree.depth ?? 0) >= MAX_LIBRARY_DEPTH) return undefined;
    const context = { binding: bindArguments(call, sig, at, ctx, configs, refOf), inherited: [], label: callee };
    const own = analyzeTorchClass(node, ctx, moduleFunctions, { ...tree, context, depth: (tree.depth ?? 0) + 1 })?.draft.layers.find((l) => l.name === '');
    if (!own) return undefined;
    own.name = path;
    own.call = call.node;
    own.line = ctx.line(call.node.from);
    torchClass.layers.push(own);
    return { kind: 'layer', layer: own };
  };
  const torchClass: TorchClass = new TorchClass(ctx, scope, moduleFunctions, byName, {
    instance(call, callee, path, at) {
      const sig = classes.get(callee);
      if (!sig) return undefined;
      const library = libraryLayer(call, callee, sig, path, at);
      if (library) return library;
      const visit = (c: BoundCall, name: string, p: string, s: ClassSignature, depth: number) => {
        sites.push({ className: name, path: p, binding: bindArguments(c, s, at, ctx, configs, refOf), built: torchClass.layers.length, span: { from: c.node.from, to: c.node.to }, ...(depth > 0 ? { argument: true as const } : {}) });
        submodules.push({ className: name, node: c.node });
        // Instances built as arguments (`LayerScale(dim, PreNorm(dim, FeedForward(dim, mlp_dim)))`, lucidrains'
        // CaiT) are built here too, in this scope; the builder usually keeps them under the parameter's name.
        if (depth >= 4) return;
        s.params.forEach((param, i) => {
          const node = c.args.keywords.get(param) ?? (c.args.hasStarred ? undefined : c.args.positional[i]);
          const inner = node && unwrap(node).name === 'CallExpression' ? bindCall(unwrap(node), ctx, at) : undefined;
          const innerName = inner ? (torchClass.refs.get(ctx.slice(inner.callee)) ?? ctx.slice(inner.callee)) : '';
          const innerSig = classes.get(innerName);
          if (inner && innerSig) visit(inner, innerName, `${p}.${param}`, innerSig, depth + 1);
        });
      };
      const entry: ModuleEntry = { kind: 'module', className: callee };
      siteOf.set(entry, sites.length);
      visit(call, callee, path, sig, 0);
      return entry;
    },
    ref: refOf,
  });
  for (const [param, node] of initParams.defaultNodes) {
    if (binding.unknown.includes(param) || given.has(param)) continue;
    const ref = refOf(node);
    if (ref !== undefined) torchClass.refs.set(param, ref);
  }
  for (const [param, ref] of binding.refs) torchClass.refs.set(param, ref);
  // Class attributes: the class's own as `self.<name>`, a class argument's as `<param>.<name>`.
  const attributes: [string, Value][] = classAttributes(cls, ctx, ctx.moduleScope).map(([k, v]) => [`self.${k}`, v]);
  for (const [param, ref] of torchClass.refs) {
    const node = tree.classNodes?.get(ref);
    if (node) for (const [k, v] of classAttributes(node, ctx, ctx.moduleScope)) attributes.push([`${param}.${k}`, v]);
  }
  if (attributes.length > 0) {
    for (const [k, v] of attributes) torchClass.classConstants.set(k, v);
    scope = extend(new Map(attributes), scope);
  }
  const initBody = init?.getChild('Body');
  const sequentialSubclass = (cls.getChild('ArgList') ? argNodes(cls.getChild('ArgList') as SyntaxNode) : []).some((b) => SEQUENTIAL_BASES.has(ctx.qualified(b) ?? ''));
  // A subclass of a library layer (`class TransformerModel(nn.Transformer)`): the layer its super().__init__ builds.
  const base = libraryBase(cls, ctx);
  const own = base && initBody ? superInitLayer(base, initBody, ctx, scope) : undefined;
  if (own) torchClass.layers.push(own);
  if (initBody) scope = torchClass.init(initBody, scope, sequentialSubclass);
  if (tree.instance) return { draft: { name: ctx.slice(nameNode), kind: 'torch-module', node: cls, layers: torchClass.layers }, sites, rules: [], instance: { scope, entries: torchClass.entries } };
  const forward = byName.get('forward');
  const flow = forward
    ? new Forward(torchClass, forward, scope, {
        name: ctx.slice(nameNode),
        summary: (entry) => {
          const site = sites[siteOf.get(entry) ?? -1];
          return site ? tree.summaries?.(site.className, site.binding) : undefined;
        },
        ...(tree.context?.exit !== undefined ? { exit: tree.context.exit } : {}),
      })
    : undefined;
  flow?.run();
  // The classes it builds learn what follows their output here (the module tree passes it on).
  for (const [entry, exit] of flow?.exits ?? []) {
    const i = siteOf.get(entry);
    if (i !== undefined) sites[i] = { ...sites[i], exit };
  }
  // Built here but never called by forward (only by another method, or not at all): where its output goes is unknown.
  // A module built at an unknown place (`<attr>.?`, members.ts reach()) is not in any container forward can follow: its class keeps its own answer.
  if (flow) for (const [entry, i] of siteOf) if (!flow.exits.has(entry) && sites[i].exit === undefined && !sites[i].path.split('.').includes('?')) sites[i] = { ...sites[i], exit: 'unknown' };
  if (tree.context?.activations) agreeActivations(torchClass.layers, tree.context.activations);
  const summary = tree.summarize ? flow?.summary() ?? { params: [], flows: [] } : undefined;
  const inits = new Inits(torchClass, byName, moduleFunctions, scope, hfModel);
  if (initBody) inits.body(initBody);
  // The classes above run their rules after this one is built.
  for (const { rule, prefix, owner } of tree.context?.inherited ?? []) applyRules([owner ? { ...rule, init: { ...rule.init, by: owner } } : rule], torchClass.layers, prefix);
  const existing = INIT_METHOD_NAMES.map((n) => [n, byName.get(n)] as const).find(([, fn]) => fn && parameters(fn, ctx, scope).names.length === 1);
  const called = existing && initBody ? new RegExp(`self\\.${existing[0]}\\(\\s*\\)`).test(ctx.slice(initBody)) : false;
  const draft: TorchModelDraft = {
    name: ctx.slice(nameNode),
    kind: 'torch-module',
    node: cls,
    layers: torchClass.layers,
    ...(init ? { init } : {}),
    ...(existing && existing[1] ? { initMethod: { name: existing[0], node: existing[1], called } } : {}),
    ...(submodules.length > 0 ? { submodules } : {}),
    ...(torchClass.initValues.size > 0 ? { initValues: torchClass.initValues } : {}),
    ...(torchClass.parameters.size > 0 ? { parameters: [...torchClass.parameters].map(([name, p]) => ({ ...parameterDraft(name, p.tensor, p.inner ?? p.tensor, p.shape, initBody ?? undefined, ctx), ...(p.steps ? { steps: p.steps } : {}) })) } : {}),
  };
  return { draft, sites, rules: inits.rules, ...(summary ? { summary } : {}) };
}

/**
 * A context standing for several (analyze.ts's merged view): each layer's
 * activation is what all of them agree on, not what the merged context, which
 * knows less (no builder's use of the output), would find alone. A use equal
 * to its own keeps its own (with where it is written).
 */
function agreeActivations(layers: readonly LayerDraft[], agreed: NonNullable<ClassContext['activations']>): void {
  const byName = new Map(agreed);
  for (const layer of layers) {
    if (!byName.has(layer.name)) continue;
    const a = byName.get(layer.name);
    layer.activationSettled = true;
    if (!a) {
      delete layer.activation;
      continue;
    }
    if (!layer.activation || !sameUse(layer.activation, a.use)) layer.activation = a.use;
    if (a.normalizer) layer.normalizer = a.normalizer;
    else delete layer.normalizer;
  }
}

/** Two uses that name the same activation the same way (positions aside). */
export function sameUse(a: ActivationUse, b: ActivationUse): boolean {
  return a.activation.kind === b.activation.kind && a.activation.slope === b.activation.slope && a.via === b.via && a.through === b.through;
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

/** A single library layer assigned at module level (`fc = torch.nn.Linear(4, 1)`): a model of that layer, named "" as in `named_modules()`. */
export function analyzeTorchLayer(call: SyntaxNode, name: string, ctx: Context, scope: Scope): TorchModelDraft | undefined {
  const torchClass = new TorchClass(ctx, scope);
  const entry = torchClass.entryFor(call, '', scope);
  if (entry.kind !== 'layer') return undefined;
  // The layer is the whole model: its output layer.
  settle(entry.layer, { activation: { kind: 'identity' }, via: 'output' });
  return { name, kind: 'torch-sequential', node: call, layers: torchClass.layers };
}

/** `nn.init.kaiming_normal_(model[0].weight, ...)` statements after a free-standing Sequential (`fc.weight` after a single layer). */
export function applyFollowingInits(draft: TorchModelDraft, followers: readonly SyntaxNode[], ctx: Context): void {
  const cls = new TorchClass(ctx, ctx.moduleScope);
  const inits = new Inits(cls, new Map(), new Map());
  const pattern = new RegExp(`^${draft.name}(?:\\[(\\d+)\\])?\\.(\\w+)$`);
  for (const stmt of followers) {
    const call = stmt.firstChild;
    if (stmt.name !== 'ExpressionStatement' || call?.name !== 'CallExpression') continue;
    const bound = bindCall(call, ctx, ctx.moduleScope);
    const found = bound && inits.schemeOf(call, bound);
    const m = found && pattern.exec(ctx.slice(found.target).replace(/\s+/g, ''));
    const layer = m && draft.layers.find((l) => l.name === (m[1] ?? ''));
    if (found && m && layer) writeInit(layer, m[2], { ...explicitInit(found.scheme, call, 'torch', ctx.slice(call)), ranAt: { from: stmt.from, to: stmt.to } });
  }
}

/**
 * Applies `model.apply(fn)` found at module level (the statement `at`) to a class's layers; the inits
 * it writes run there ({@link CurrentInit.ranAt}).
 */
export function applyModuleLevel(draft: TorchModelDraft, fnNode: SyntaxNode, ctx: Context, moduleFunctions: ReadonlyMap<string, SyntaxNode>, at: Span): void {
  const cls = new TorchClass(ctx, ctx.moduleScope);
  cls.layers.push(...draft.layers);
  const before = draft.layers.map((l) => new Map(l.explicit));
  new Inits(cls, new Map(), moduleFunctions).applyFunction(fnNode);
  draft.layers.forEach((l, i) => {
    for (const [name, init] of l.explicit) if (before[i].get(name) !== init) l.explicit.set(name, { ...init, ranAt: { from: at.from, to: at.to } });
  });
}

