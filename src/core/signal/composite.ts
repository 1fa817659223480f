/**
 * A composite PyTorch model (a class whose `__init__` builds classes of the
 * file: `self.b1 = Block(16)`, kuangliu's `self.layer1 = self._make_layer(...)`)
 * as one model for the signal engine: every layer of every instance under its
 * `named_modules()` name (`layer1.0.conv1`), from the module tree's instance
 * tree (analyze.ts, {@link InstanceNode}), each class's layers in exactly the
 * context that instance is built in.
 *
 * Two orders: registration (`modules()`, what a scheme's loop over the model
 * visits: each class's attributes in the order `__init__` first assigns them)
 * and construction (what draws from the stream first: a class's own layers and
 * its children as the analysis built them). The weights in effect are exact
 * only where the order of every draw is certain: the defaults, and inits of the
 * root (one loop or `apply` over its modules) or of module level, with both
 * orders the same; an `nn.init` call inside a child class's `__init__` runs in
 * the middle of construction, so its values are "distribution only".
 */
import type { Binding, InstanceNode } from '../model/tree';
import type { Layer, Model, ModelAnalysis, Span, TorchParameter } from '../model/types';
import type { SyntaxNode, Tree } from '../python/parse';
import { descendants, statements } from '../python/syntax';
import { drawsAt } from '../model/encoderStack';
import type { PlacedConstruction } from '../torch/exact';
import { stateDictKey } from '../model/layer';

export interface CompositeModel {
  /** Every instance's layers, renamed from the root, in registration (`modules()`) order; no contexts or submodules of its own. */
  readonly model: Model;
  /** The same layers in construction order, for exact mode. */
  readonly construction: Model;
  readonly root: InstanceNode;
  /** Why the weights in effect cannot be exact (undefined: they are, where exact mode reproduces each layer). */
  readonly inexact?: string;
  /** The renamed layers of each instance, by its path, by their name inside it. */
  readonly layersAt: ReadonlyMap<string, ReadonlyMap<string, Layer>>;
  /** Each instance's construction, in order, for placing the other draws of `__init__`s ({@link constructionOrder}). */
  readonly built: BuiltInstance;
}

/** One instance's construction: its `__init__`, and its own layers and children in the order they are built. */
export interface BuiltInstance {
  readonly path: string;
  readonly className: string;
  readonly init?: Span;
  /** Its `nn.Parameter` members, in this context (names its own). */
  readonly parameters: readonly TorchParameter[];
  readonly items: readonly ({ readonly layer: Layer } | { readonly child: BuiltInstance; readonly at?: Span })[];
}

/**
 * The construction stream of a composite: its layers in construction order,
 * and each draw of an `__init__` (at document offsets `offsets`: an
 * `nn.Parameter(torch.randn(...))`) placed among them, once per instance of the
 * class it is in, before the first of the instance's layers and children
 * written after it, as Python runs `__init__`. Where the instance builds one
 * of them outside `__init__` (a helper method, a function of the module), the
 * draw's place is not known from there on: it is placed before that one,
 * ambiguous (the stream is lost there).
 */
export function constructionOrder(built: BuiltInstance, offsets: readonly number[]): PlacedConstruction {
  const layerAt = new Map<string, number>();
  const instanceOf = new Map<string, string>();
  const draws: { offset: number; at: number; ambiguous?: string; param?: number }[] = [];
  const parameters: TorchParameter[] = [];
  let clock = 0;
  const visit = (node: BuiltInstance) => {
    const init = node.init;
    const own = init ? offsets.filter((o) => inside(init, { from: o, to: o })).sort((a, b) => a - b) : [];
    // This instance's members, each once; a draw inside one's tensor draws its values.
    const first = parameters.length;
    for (const p of node.parameters) parameters.push({ ...p, name: stateDictKey(node.path, p.name) });
    const memberAt = (offset: number) => {
      const i = node.parameters.findIndex((p) => p.span.from <= offset && offset < p.span.to);
      return i >= 0 ? { param: first + i } : {};
    };
    const textOf = (item: BuiltInstance['items'][number]) => ('layer' in item ? drawsAt(item.layer) : item.at?.from);
    const why = `${node.className}${node.path ? ` at ${node.path}` : ''} builds some of its modules outside __init__, so InitLens cannot tell where this draw runs among them`;
    let next = 0;
    for (const item of node.items) {
      const t = textOf(item);
      const written = t !== undefined && inside(init, { from: t, to: t });
      // Before the first item written after it; one built elsewhere may come before or after it: from there on, the stream is not known.
      while (next < own.length && (!written || own[next] < t)) {
        const offset = own[next++];
        draws.push({ offset, at: clock++, ...(written ? {} : { ambiguous: why }), ...memberAt(offset) });
      }
      if ('layer' in item) {
        layerAt.set(item.layer.name, clock++);
        instanceOf.set(item.layer.name, node.path);
      } else visit(item.child);
    }
    while (next < own.length) {
      const offset = own[next++];
      draws.push({ offset, at: clock++, ...memberAt(offset) });
    }
  };
  visit(built);
  return { layerAt, instanceOf, draws, parameters };
}

const inside = (s: Span | undefined, at: Span) => !!s && s.from <= at.from && at.to <= s.to;

/** The class statement of a class model. */
export function classNodeOf(model: Model, tree: Tree): SyntaxNode | undefined {
  for (const node of descendants(tree.topNode, 'ClassDefinition')) if (node.from === model.span.from && node.to === model.span.to) return node;
  return undefined;
}

/** Offsets of the first `self.<attr> = ...` of each attribute in a class's `__init__` (its registration order). */
function attributeOrder(cls: SyntaxNode | undefined, text: string): Map<string, number> {
  const order = new Map<string, number>();
  const body = cls?.getChild('Body');
  const init = body ? statements(body).find((s) => s.name === 'FunctionDefinition' && text.slice(s.getChild('VariableName')?.from ?? 0, s.getChild('VariableName')?.to ?? 0) === '__init__') : undefined;
  if (!init) return order;
  for (const node of descendants(init, 'AssignStatement')) {
    const target = node.firstChild;
    if (target?.name !== 'MemberExpression' || !target.firstChild || text.slice(target.firstChild.from, target.firstChild.to) !== 'self') continue;
    const prop = target.getChild('PropertyName');
    if (!prop) continue;
    const name = text.slice(prop.from, prop.to);
    if (!order.has(name)) order.set(name, node.from);
  }
  return order;
}

/**
 * The whole model of `root`, or undefined when it builds no class of the file
 * (the model itself is then the whole model).
 */
export function compositeModel(root: InstanceNode, tree: Tree, text: string): CompositeModel | undefined {
  if (root.children.length === 0 || !root.model) return undefined;
  const registered: Layer[] = [];
  const constructed: Layer[] = [];
  const layersAt = new Map<string, Map<string, Layer>>();
  const reasons: string[] = [];
  const rootModel = root.model;
  // A module-level `model.apply(fn)` reaches the children through the tree's inherited rules, which do not say where it
  // runs: the root's own layers do (CurrentInit.ranAt), and the children's inits from the same call run there too.
  const ranAt = new Map<string, Span>();
  const callKey = (p: Layer['params'][number]) => (p.current.source === 'explicit' && p.current.at ? `${p.current.at.from}:${p.current.at.to}` : undefined);
  for (const l of rootModel.layers) {
    for (const p of l.params) {
      const key = callKey(p);
      if (key && p.current.ranAt) ranAt.set(key, p.current.ranAt);
    }
  }
  /** The init's statement where the root's init from the same call says it (p itself otherwise). */
  const placedParam = (p: Layer['params'][number]) => {
    const key = callKey(p);
    const at = key && !p.current.ranAt ? ranAt.get(key) : undefined;
    return at ? { ...p, current: { ...p.current, ranAt: at } } : p;
  };
  const placed = (l: Layer): Layer => {
    const params = l.params.map(placedParam);
    return params.some((p, i) => p !== l.params[i]) ? { ...l, params } : l;
  };
  const walk = (node: InstanceNode, reg: Layer[], con: Layer[], built?: BuiltInstance['items'][number][]) => {
    const model = node.model;
    if (!model) {
      reasons.push(node.missing ?? `${node.className} at ${node.path} was not analyzed`);
      return;
    }
    const prefix = node.path ? `${node.path}.` : '';
    const own = new Map<string, Layer>();
    layersAt.set(node.path, own);
    const renamed = model.layers.map((l) => {
      const r: Layer = { ...placed(l), name: `${prefix}${l.name}` };
      own.set(l.name, r);
      return r;
    });
    if (node !== root) {
      for (const l of model.layers) {
        for (const p of l.params) {
          if (p.current.source === 'explicit' && p.current.at && inside(model.span, p.current.at)) {
            reasons.push(`${prefix}${l.name}.${p.name}: ${p.current.label} in ${node.className}'s own code runs while ${root.className} is being built, between its constructors (InitLens does not interleave it yet)`);
          }
        }
      }
    }
    // Construction: the analysis's own layers and its children, each child after the layers built before it.
    type Item = { readonly local: string; readonly layer?: Layer; readonly child?: InstanceNode };
    const items: Item[] = [];
    let next = 0;
    for (const child of node.children) {
      const built = Math.min(child.built ?? renamed.length, renamed.length);
      while (next < built) items.push({ local: model.layers[next].name, layer: renamed[next++] });
      items.push({ local: child.path.slice(prefix.length), child });
    }
    while (next < renamed.length) items.push({ local: model.layers[next].name, layer: renamed[next++] });
    const order = attributeOrder(classNodeOf(model, tree), text);
    const key = (local: string) => order.get(local.split('.')[0]) ?? Number.MAX_SAFE_INTEGER;
    const byRegistration = items.map((item, i) => ({ item, i })).sort((a, b) => key(a.item.local) - key(b.item.local) || a.i - b.i);
    for (const item of items) {
      if (item.layer) {
        con.push(item.layer);
        built?.push({ layer: item.layer });
      } else if (item.child) {
        const inner: BuiltInstance['items'][number][] = [];
        walk(item.child, [], con, built ? inner : undefined);
        if (built && item.child.model) built.push({ child: builtInstance(item.child, inner), ...(item.child.at ? { at: item.child.at } : {}) });
      }
    }
    for (const { item } of byRegistration) {
      if (item.layer) reg.push(item.layer);
      else if (item.child) walk(item.child, reg, []);
    }
  };
  const rootItems: BuiltInstance['items'][number][] = [];
  walk(root, registered, constructed, rootItems);
  // An init of the root's __init__ before its last child is built runs between constructors too.
  const rootOrder = attributeOrder(classNodeOf(rootModel, tree), text);
  const lastChild = Math.max(-1, ...root.children.map((c) => rootOrder.get(c.path.split('.')[0]) ?? Number.MAX_SAFE_INTEGER));
  for (const l of registered) {
    for (const p of l.params) {
      const at = p.current.at;
      if (p.current.source === 'explicit' && at && inside(rootModel.torch?.init, at) && at.from < lastChild) {
        reasons.push(`${l.name}.${p.name}: ${p.current.label} in ${root.className}.__init__ runs before its last child is built (InitLens does not interleave it yet)`);
      }
    }
  }
  // Walked twice per child above (once per order): the per-instance maps and reasons are the same both times.
  const unique = [...new Set(reasons)];
  const explicit = registered.some((l) => l.params.some((p) => p.current.source === 'explicit'));
  if (explicit && registered.some((l, i) => constructed[i] !== undefined && constructed[i].name !== l.name)) {
    unique.push(`${root.className}: its modules are built in another order than modules() visits them, and an nn.init loop follows that order`);
  }
  const base: Model = { name: rootModel.name, kind: rootModel.kind, framework: rootModel.framework, span: rootModel.span, line: rootModel.line, layers: registered, paramCount: rootModel.paramCount, ...(rootModel.torch ? { torch: rootModel.torch } : {}) };
  return { model: base, construction: { ...base, layers: constructed }, root, layersAt, built: builtInstance(root, rootItems), ...(unique.length > 0 ? { inexact: unique.join('; ') } : {}) };
}

function builtInstance(node: InstanceNode, items: BuiltInstance['items'][number][]): BuiltInstance {
  const init = node.model?.torch?.init;
  return { path: node.path, className: node.className, ...(init ? { init } : {}), parameters: node.model?.torch?.parameters ?? [], items };
}

/** What the signal engine runs for `model`: the model itself, or its composite when it builds classes of the file. */
export interface SignalModel {
  readonly model: Model;
  readonly composite?: CompositeModel;
  /** The context of the root, when the module tree knows several (`ResNet18(): ResNet(BasicBlock, [2, 2, 2, 2])`). */
  readonly context?: string;
  /** What the root's constructor is given there, when it builds no class of the file (no composite); for buildGraph's `binding`. */
  readonly binding?: Binding;
}

/**
 * The model the signal engine runs for the class `model` of `analysis` (made
 * with `instances: true`): in the root context whose label names `pick`
 * (`ResNet18` for `ResNet18(): ResNet(...)`), else the first the tree analyzed.
 */
export function signalModel(analysis: ModelAnalysis, model: Model, tree: Tree, text: string, pick?: string): SignalModel {
  if (model.kind !== 'torch-module' || !analysis.instances) return { model };
  const trees = analysis.instances(model.name);
  const chosen = (pick !== undefined ? trees.find((t) => t.label.split(/:\s+/).some((part) => part === `${pick}()`)) : undefined) ?? trees[0];
  if (!chosen) return { model };
  const composite = compositeModel(chosen, tree, text);
  // Named when it tells something: several contexts, or arguments (not `MLP()`, the class's own defaults).
  const context = trees.length > 1 || (chosen.label !== 'defaults' && chosen.label !== model.name && chosen.label !== `${model.name}()`) ? chosen.label : undefined;
  if (!composite) return { model: chosen.model ?? model, ...(context ? { context } : {}), ...(chosen.binding ? { binding: chosen.binding } : {}) };
  return { model: composite.model, composite, ...(context ? { context } : {}) };
}
