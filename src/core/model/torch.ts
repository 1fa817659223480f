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
import { sequenceElements, statements, unwrap } from '../python/syntax';
import { bindCall, extend, type BoundCall, type Context } from './context';
import { withoutEntries, type Scope } from './evaluate';
import { Forward } from './forward';
import { Inits } from './inits';
import { explicitInit, type LayerDraft } from './layer';
import { lookupLayer } from './catalog';
import { applyRules, type InitRule } from './inits';
import { parameters, settle, TorchClass, withoutNames } from './members';
import type { ConfigClass } from './moduleScope';
import { bindArguments, classRef, EMPTY_BINDING, withEmptySpreads, type ClassContext, type ClassSignature, type Site } from './tree';
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
}

const SEQUENTIAL_BASES = new Set(['torch.nn.Sequential', 'torch.nn.modules.container.Sequential']);
const MODULE_BASES = new Set(['torch.nn.Module', 'torch.nn.modules.module.Module', ...SEQUENTIAL_BASES]);
const INIT_METHOD_NAMES = ['_init_weights', 'init_weights', 'reset_parameters', '_reset_parameters', 'initialize_weights', '_initialize_weights'];

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
      // A subclass of a library layer (`class TransformerModel(nn.Transformer)`) is a module too.
      if (MODULE_BASES.has(ctx.qualified(b) ?? '') || lookupLayer(ctx.qualified(b) ?? '')?.framework === 'torch') {
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

/** The module tree's view of the file, for analyzing a class inside it. */
export interface TreeOptions {
  /** The context the class is built in (default: its own defaults). */
  readonly context?: ClassContext;
  /** The file's module classes by name. */
  readonly classes?: ReadonlyMap<string, ClassSignature>;
  readonly configs?: ReadonlyMap<string, ConfigClass>;
}

/** A class analyzed in one context: its draft, the classes it builds and its init rules. */
export interface TorchClassResult {
  readonly draft: TorchModelDraft;
  readonly sites: readonly Site[];
  readonly rules: readonly InitRule[];
}

/** Analyzes one `nn.Module` subclass (in one context of the module tree). */
export function analyzeTorchClass(cls: SyntaxNode, ctx: Context, moduleFunctions: ReadonlyMap<string, SyntaxNode>, tree: TreeOptions = {}): TorchClassResult | undefined {
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
  const initParams = init ? parameters(init, ctx, ctx.moduleScope) : { names: [], defaults: [], defaultNodes: [] };
  const classes = tree.classes ?? new Map<string, ClassSignature>();
  const configs = tree.configs ?? new Map<string, ConfigClass>();
  const binding = tree.context?.binding ?? EMPTY_BINDING;
  // Parameters shadow module constants of the same name: only defaults and given values stand for them.
  const given = new Set([...binding.values.map(([k]) => k), ...binding.refs.map(([k]) => k)]);
  const shadowed = initParams.names.slice(1).filter((n) => !given.has(n));
  // A module object of a parameter's name (`kwargs = dict(...)`) is shadowed with its entries.
  let scope = extend(withoutEntries(withoutNames(ctx.moduleScope, shadowed), initParams.names.slice(1)), initParams.defaults.filter(([k]) => !binding.unknown.includes(k)));
  scope = extend(withoutNames(scope, binding.unknown), withEmptySpreads(binding, classes.get(ctx.slice(nameNode))));
  const sites: Site[] = [];
  const submodules: { className: string; node: SyntaxNode }[] = [];
  const refOf = (node: SyntaxNode): string | undefined =>
    classRef(node, ctx, (n) => {
      const text = ctx.slice(n).replace(/\s+/g, '');
      return torchClass.refs.get(text) ?? (classes.has(text) ? text : undefined);
    });
  const torchClass: TorchClass = new TorchClass(ctx, scope, moduleFunctions, byName, {
    instance(call, callee, path, at) {
      const sig = classes.get(callee);
      if (!sig) return undefined;
      const visit = (c: BoundCall, name: string, p: string, s: ClassSignature, depth: number) => {
        sites.push({ className: name, path: p, binding: bindArguments(c, s, at, ctx, configs, refOf) });
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
      visit(call, callee, path, sig, 0);
      return { kind: 'module', className: callee };
    },
    ref: refOf,
  });
  for (const [param, node] of initParams.defaultNodes) {
    if (binding.unknown.includes(param) || given.has(param)) continue;
    const ref = refOf(node);
    if (ref !== undefined) torchClass.refs.set(param, ref);
  }
  for (const [param, ref] of binding.refs) torchClass.refs.set(param, ref);
  const initBody = init?.getChild('Body');
  const sequentialSubclass = (cls.getChild('ArgList') ? argNodes(cls.getChild('ArgList') as SyntaxNode) : []).some((b) => SEQUENTIAL_BASES.has(ctx.qualified(b) ?? ''));
  // A subclass of a library layer (`class TransformerModel(nn.Transformer)`): the layer its super().__init__ builds.
  const base = libraryBase(cls, ctx);
  const own = base && initBody ? superInitLayer(base, initBody, ctx, scope) : undefined;
  if (own) torchClass.layers.push(own);
  if (initBody) scope = torchClass.init(initBody, scope, sequentialSubclass);
  const forward = byName.get('forward');
  if (forward) new Forward(torchClass, forward, scope).run();
  const inits = new Inits(torchClass, byName, moduleFunctions, scope);
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
  };
  return { draft, sites, rules: inits.rules };
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

