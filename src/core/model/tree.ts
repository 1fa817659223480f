/**
 * The module tree of a document: which class of the file builds which
 * (`self.blocks = nn.ModuleList([Block(config) for _ in range(n)])`, `block(...)`
 * with `block` a class argument, `model = ViT(dim=1024, ...)` at module level),
 * and what flows down it:
 *
 * - values: each class is analyzed in the contexts it is built in, its
 *   constructor's parameters bound to the arguments it is built with (config
 *   objects as their attributes, classes as references); a root model nobody
 *   builds gets its defaults, and a parameter whose attribute reads match one
 *   config class of the file (`config.n_embd` with `@dataclass class GPTConfig`)
 *   that class's defaults;
 * - initialization: a parent's `apply(fn)` and `modules()` / `named_parameters()`
 *   loops run after its children are built, so they overwrite the children's own
 *   inits (PyTorch's construction order; last write wins).
 *
 * A class built in several different contexts is shown with what its contexts
 * share (the rest symbolic), and every context listed per layer. Nothing here
 * parses: the analysis of one class in one context is a callback, so the
 * document analysis can cache it.
 */
import { LIMITS } from '../limits';
import type { SyntaxNode } from '../python/parse';
import { statements } from '../python/syntax';
import { torchModule } from './activations';
import { lookupLayer } from './catalog';
import type { BoundCall, Context } from './context';
import { byKey, entriesBelow, entryKey, evaluate, keysKey, objectValue, type Entries, type Scope, type Value } from './evaluate';
import type { InitRule } from './inits';
import { objectFactories, type ConfigClass } from './moduleScope';
import type { Flow } from './forward';
import type { ActivationUse, Model, Span } from './types';

/** What a class's constructor parameters are given at one construction. */
export interface Binding {
  /** Parameters with a value; a config object's attributes as `config.n_embd`. */
  readonly values: readonly (readonly [string, Value])[];
  /** Parameters given a class: `block` → `BasicBlock`, `norm_layer` → `torch.nn.BatchNorm2d`. */
  readonly refs: readonly (readonly [string, string])[];
  /** Parameters given what InitLens cannot evaluate: neither their default nor a module constant applies. */
  readonly unknown: readonly string[];
}

/** A class of the file built inside another (or at module level). */
export interface Site {
  readonly className: string;
  /** Attribute path from the builder (`transformer.h.0`), as `named_modules()` names it. */
  readonly path: string;
  readonly binding: Binding;
  /** 0-based line of the construction (module-level sites). */
  readonly line?: number;
  /** Module-level functions given to the instance's `apply` (`netG.apply(weights_init)`). */
  readonly applies?: readonly string[];
  /** What the builder's forward does with the instance's output (forward.ts), when it calls it. */
  readonly exit?: Flow;
  /** How many of the builder's own layers were built before it (its place in construction order). */
  readonly built?: number;
  /** Built as an argument of another construction (`PreNorm(dim, FeedForward(dim))`): `path` is where it is given, not an attribute of the builder's. */
  readonly argument?: true;
  /** The construction call, in the builder's class (sites inside a class; it moves with the class's cache entry). */
  readonly span?: Span;
}

/** One context a class is analyzed in. */
export interface ClassContext {
  readonly binding: Binding;
  /** Init rules of the classes above it, in the order they run, each with the path from the rule's class down to this one. */
  readonly inherited: readonly InheritedRule[];
  /** Where the context comes from, for hovers: `GPT`, `GPTConfig defaults`, `ViT(dim=1024, …)`. */
  readonly label: string;
  /** The class of the file that builds it in this context. */
  readonly builtBy?: string;
  /** {@link contextKey} of this context, when already known (a cached default context). */
  readonly key?: string;
  /** What follows the class's output where its builder uses it (absent: the model's output, or a builder InitLens does not follow). */
  readonly exit?: Flow;
  /**
   * A context standing for several: the activation after each layer that they
   * all agree on, by layer name (null: they differ, or none knows it).
   */
  readonly activations?: readonly (readonly [string, AgreedActivation | null])[];
}

/** A layer's activation as every context of its class has it. */
export interface AgreedActivation {
  readonly use: ActivationUse;
  readonly normalizer?: string;
}

export interface InheritedRule {
  readonly rule: InitRule;
  readonly prefix: string;
  /** The class above whose construction runs the rule (absent: a module-level `model.apply(fn)` on this very class). */
  readonly owner?: string;
}

/** A module class's constructor, as the tree binds it. */
export interface ClassSignature {
  readonly name: string;
  /** `__init__` parameters after `self`, in order. */
  readonly params: readonly string[];
  readonly defaults: ReadonlySet<string>;
  /** Attributes read per parameter anywhere in the class (`config.n_embd` → config: {n_embd}). */
  readonly reads: ReadonlyMap<string, ReadonlySet<string>>;
  /** The `*args` and `**kwargs` parameters, by their names. */
  readonly star?: string;
  readonly starStar?: string;
  /** Static and class methods that return an object without arguments (`GPT.get_default_config()`), with its entries. */
  readonly objects?: ReadonlyMap<string, Entries>;
}

/** What one analysis of a class in a context yields for the tree. */
export interface ClassAnalysis {
  readonly sites: readonly Site[];
  /** The class's own init rules, in order. */
  readonly rules: readonly InitRule[];
}

/** The contexts of one class, identical ones counted once. */
export interface ClassContexts {
  readonly contexts: { readonly context: ClassContext; readonly key: string; count: number }[];
  /** More contexts than {@link LIMITS.classContexts} arrived: the class is shown symbolically. */
  overflow: boolean;
  /** What the contexts beyond the limit share ({@link commonContext}): the class shows only what these share too. */
  rest?: ClassContext;
}

export const EMPTY_BINDING: Binding = { values: [], refs: [], unknown: [] };

/**
 * The binding's values with a class's `*args` and `**kwargs` empty where the
 * binding says nothing of them: a root built with its defaults, as `Net()` builds it.
 */
export function withEmptySpreads(binding: Binding, sig: ClassSignature | undefined): readonly (readonly [string, Value])[] {
  const extra: [string, Value][] = [];
  const has = (name: string) => binding.unknown.includes(name) || binding.values.some(([k]) => k === name || k.startsWith(`${name}[`));
  if (sig?.star !== undefined && !has(sig.star)) extra.push([sig.star, []]);
  if (sig?.starStar !== undefined && !has(sig.starStar)) extra.push([keysKey(sig.starStar), []]);
  return extra.length > 0 ? [...extra, ...binding.values] : binding.values;
}

/**
 * The class an argument expression stands for, if any: `own` names a class of
 * the analyzed file (through the file's names, class references or imports);
 * else a library layer or module (`nn.BatchNorm2d`), by its qualified name.
 */
export function classRef(node: SyntaxNode, ctx: Context, own: (node: SyntaxNode) => string | undefined): string | undefined {
  const name = own(node);
  if (name !== undefined) return name;
  const qualified = ctx.qualified(node);
  return qualified && (lookupLayer(qualified) || torchModule(qualified, () => undefined)) ? qualified : undefined;
}

/** A module class's signature, from the `__init__` among its methods (a class without one takes no arguments). */
export function signatureOfClass(name: string, cls: SyntaxNode, ctx: Context): ClassSignature {
  const body = cls.getChild('Body');
  const members = body ? statements(body) : [];
  const init = members.find((s) => s.name === 'FunctionDefinition' && ctx.slice(s.getChild('VariableName') ?? s) === '__init__');
  const signature = classSignature(name, init, ctx.slice(cls), ctx);
  const objects = objectFactories(members.filter((s) => s.name === 'DecoratedStatement'), ctx.text, true);
  return objects.size > 0 ? { ...signature, objects } : signature;
}

/** The signature of a class's `__init__` (after `self`), and the attributes each parameter is read for. */
export function classSignature(name: string, init: SyntaxNode | undefined, classText: string, ctx: Context, method = true): ClassSignature {
  const params: string[] = [];
  const defaults = new Set<string>();
  const list = init?.getChild('ParamList');
  let last: string | undefined;
  let star: '*' | '**' | undefined;
  let starName: string | undefined;
  let starStarName: string | undefined;
  for (let c = list?.firstChild; c; c = c.nextSibling) {
    if (c.name === '*' || c.name === '**') star = c.name;
    else if (c.name === ',') star = undefined;
    else if (c.name === 'VariableName' && star) {
      if (star === '*') starName = ctx.slice(c);
      else starStarName = ctx.slice(c);
    } else if (c.name === 'VariableName' && (c.prevSibling?.name !== 'AssignOp')) {
      last = ctx.slice(c);
      params.push(last);
    } else if (c.name === 'AssignOp' && last !== undefined) defaults.add(last);
  }
  if (method) params.shift(); // self
  const reads = new Map<string, Set<string>>();
  for (const p of params) {
    const pattern = new RegExp(`(?<![\\w.])${p}\\.(\\w+)`, 'g');
    const attrs = new Set<string>();
    for (const m of classText.matchAll(pattern)) attrs.add(m[1]);
    if (attrs.size > 0) reads.set(p, attrs);
  }
  return { name, params, defaults, reads, ...(starName !== undefined ? { star: starName } : {}), ...(starStarName !== undefined ? { starStar: starStarName } : {}) };
}

/** The scope entries an expression stands for as an object: `config.*` for `config`, the fields of `GPTConfig(n_layer=6)`. */
function objectEntries(node: SyntaxNode, ctx: Context, scope: Scope, configs: ReadonlyMap<string, ConfigClass>): [string, Value][] | undefined {
  const text = ctx.slice(node).replace(/\s+/g, '');
  if (/^[\w.]+$/.test(text)) {
    const out = entriesBelow(text, scope);
    return out.length > 0 ? out : undefined;
  }
  if (node.name !== 'CallExpression') return objectValue(node, ctx.text, scope, ctx.objects);
  const callee = node.firstChild;
  const config = callee && configs.get(ctx.slice(callee));
  const list = node.getChild('ArgList');
  if (!config || !list) return objectValue(node, ctx.text, scope, ctx.objects);
  const fields = new Map(config.fields);
  // Keyword overrides (`GPTConfig(n_layer=6)`); positional ones follow the field order.
  const order = [...config.fields.keys()];
  let position = 0;
  let keyword: string | undefined;
  for (let c = list.firstChild; c; c = c.nextSibling) {
    if (c.name === '(' || c.name === ')' || c.name === ',' || c.name === 'AssignOp') continue;
    if (c.name === '*' || c.name === '**') return undefined;
    if (c.name === 'VariableName' && c.nextSibling?.name === 'AssignOp') {
      keyword = ctx.slice(c);
      continue;
    }
    const name = keyword ?? order[position++];
    keyword = undefined;
    if (name === undefined) return undefined;
    const v = evaluate(c, ctx.text, scope);
    if (v === undefined) fields.delete(name);
    else fields.set(name, v);
  }
  return [...fields].map(([k, v]) => [`.${k}`, v]);
}

/** What a `*x` or `**x` argument spreads, when its value is known: positional values, or keyword entries (the keys of a dict with the entries below each). */
function spreads(call: BoundCall, scope: Scope, ctx: Context): { positional: (Value | undefined)[]; keywords: Map<string, Entries>; known: boolean } {
  const positional: (Value | undefined)[] = [];
  const keywords = new Map<string, Entries>();
  let known = true;
  for (const s of call.args.spreads) {
    if (s.kind === '*') {
      // Spread positions are known only after every plain positional argument.
      const v = s.at === call.args.positional.length ? evaluate(s.node, ctx.text, scope) : undefined;
      if (Array.isArray(v)) positional.push(...v);
      else known = false;
      continue;
    }
    const entries = objectValue(s.node, ctx.text, scope, ctx.objects);
    const keys = entries?.find(([k]) => k === '[*]')?.[1];
    if (!entries || !Array.isArray(keys)) {
      known = false;
      continue;
    }
    const grouped = byKey(entries);
    for (const key of keys) {
      if (typeof key !== 'string') continue;
      const slot = grouped.get(key);
      keywords.set(key, [...(slot?.value !== undefined ? [['', slot.value] as [string, Value]] : []), ...(slot?.entries ?? [])]);
    }
  }
  return { positional, keywords, known };
}

/**
 * Binds a construction's arguments to the class's parameters. `resolveRef`
 * names the class an argument expression stands for, if any. A `*args` or
 * `**kwargs` argument whose value is known spreads its elements and keys
 * (`TransformerClassifier(..., *args, **kwargs)` in lucidrains' CCT); an
 * unknown one makes every parameter it could fill unknown. The class's own
 * `**kwargs` gets the keywords no parameter takes (`kwargs["num_layers"]`,
 * and `kwargs[*]` its keys), its `*args` the extra positional values.
 */
export function bindArguments(
  call: BoundCall,
  sig: ClassSignature,
  scope: Scope,
  ctx: Context,
  configs: ReadonlyMap<string, ConfigClass>,
  resolveRef: (node: SyntaxNode) => string | undefined,
): Binding {
  const values: [string, Value][] = [];
  const refs: [string, string][] = [];
  const unknown: string[] = [];
  const spread = spreads(call, scope, ctx);
  const plain = call.args.positional.length;
  sig.params.forEach((param, i) => {
    const keyword = call.args.keywords.get(param);
    // Plain positions are sure up to the first spread.
    const firstSpread = call.args.spreads.find((s) => s.kind === '*')?.at ?? plain;
    const node = keyword ?? (i < firstSpread ? call.args.positional[i] : undefined);
    if (!node) {
      const fromStar = i >= plain && i - plain < spread.positional.length ? { value: spread.positional[i - plain] } : undefined;
      const fromKeywords = spread.keywords.get(param);
      if (fromStar && spread.known) {
        if (fromStar.value !== undefined) values.push([param, fromStar.value]);
        else unknown.push(param);
      } else if (fromKeywords && spread.known && !fromStar) {
        const own = fromKeywords.find(([k]) => k === '');
        if (own) values.push([param, own[1]]);
        else {
          for (const [k, v] of fromKeywords) values.push([param + k, v]);
          unknown.push(param);
        }
      } else if (call.args.hasStarred && !spread.known) unknown.push(param);
      return;
    }
    const v = evaluate(node, ctx.text, scope);
    if (v !== undefined) {
      values.push([param, v]);
      return;
    }
    const entries = objectEntries(node, ctx, scope, configs);
    if (entries) {
      for (const [suffix, value] of entries) values.push([param + suffix, value]);
      unknown.push(param); // the name itself has no value; its attributes do
      return;
    }
    const ref = resolveRef(node);
    if (ref !== undefined) refs.push([param, ref]);
    else unknown.push(param);
  });
  const named = new Set(sig.params);
  if (sig.starStar !== undefined) {
    const kw = sig.starStar;
    const extra = [...call.args.keywords].filter(([k]) => !named.has(k));
    const spreadExtra = [...spread.keywords].filter(([k]) => !named.has(k) && !call.args.keywords.has(k));
    if (spread.known) {
      values.push([keysKey(kw), [...extra.map(([k]) => k), ...spreadExtra.map(([k]) => k)]]);
      for (const [k, node] of extra) {
        const v = evaluate(node, ctx.text, scope);
        if (v !== undefined) values.push([entryKey(kw, k), v]);
        else for (const [suffix, value] of objectEntries(node, ctx, scope, configs) ?? []) values.push([entryKey(kw, k) + suffix, value]);
      }
      for (const [k, entries] of spreadExtra) for (const [suffix, value] of entries) values.push([entryKey(kw, k) + suffix, value]);
    } else unknown.push(kw);
  }
  if (sig.star !== undefined) {
    const extra = call.args.positional.slice(sig.params.length);
    const evaluated = extra.map((n) => evaluate(n, ctx.text, scope));
    const rest = spread.positional.slice(Math.max(0, sig.params.length - plain));
    const all = [...evaluated, ...rest];
    if (spread.known && all.every((v) => v !== undefined)) values.push([sig.star, all as Value[]]);
    else unknown.push(sig.star);
  }
  return { values, refs, unknown };
}

/** A root model's context when nothing in the file builds it: its defaults, and a config class its parameter reads. */
export function defaultContext(sig: ClassSignature, configs: readonly ConfigClass[]): ClassContext {
  const values: [string, Value][] = [];
  const used: string[] = [];
  for (const param of sig.params) {
    if (sig.defaults.has(param)) continue;
    const reads = sig.reads.get(param);
    if (!reads) continue;
    const matching = configs.filter((c) => [...reads].every((r) => c.fields.has(r)));
    if (matching.length !== 1) continue;
    for (const [k, v] of matching[0].fields) values.push([`${param}.${k}`, v]);
    used.push(matching[0].name);
  }
  return { binding: { values, refs: [], unknown: [] }, inherited: [], label: used.length > 0 ? `${[...new Set(used)].join(', ')} defaults` : 'defaults' };
}

/**
 * The context's identity for caching and deduplication. The path down from a
 * rule's class counts only for rules with a name test, and its element indices
 * (`h.0`, `h.1`) only when the test has a digit, so a ModuleList of twelve
 * identical blocks is one context, counted twelve times.
 */
export function contextKey(context: ClassContext): string {
  const rules = context.inherited.map(({ rule, prefix, owner }) => [
    // Only a name test reads the path (`pn.endswith('c_proj.weight')`).
    !rule.name ? '' : /\d/.test(rule.name.value) ? prefix : prefix.replace(/(^|\.)\d+(?=\.|$)/g, '$1#'),
    rule.types ?? null,
    rule.param ?? null,
    rule.name ?? null,
    rule.rankAbove ?? null,
    rule.init.label,
    rule.init.at ? [rule.init.at.from, rule.init.at.to] : null,
    owner ?? null,
  ]);
  return JSON.stringify([context.binding.values, context.binding.refs, context.binding.unknown, rules, context.exit ?? null, context.activations ?? null]);
}

/**
 * The context a class built at `site` gets inside `builder` analyzed in
 * `context` (whose analysis is `analysis`): the site's binding and the rules
 * of the classes above it, or, beyond the depth the tree follows (`deep`),
 * its parameters unknown (symbolic), never its defaults. {@link planTree} and
 * the instance tree (analyze.ts) build children's contexts with this, so
 * their cache keys match.
 */
export function siteContext(builder: string, context: ClassContext, site: Site, analysis: ClassAnalysis, deep: boolean, classes: ReadonlyMap<string, ClassSignature>): ClassContext {
  if (deep) {
    const params = classes.get(site.className)?.params ?? [];
    return { binding: { values: [], refs: [], unknown: [...params] }, inherited: [], label: builder, builtBy: builder };
  }
  const inherited: InheritedRule[] = [
    ...analysis.rules.map((rule) => ({ rule, prefix: site.path, owner: builder })),
    ...context.inherited.map((r) => ({ rule: r.rule, prefix: r.prefix === '' ? site.path : `${r.prefix}.${site.path}`, owner: r.owner ?? builder })),
  ];
  return { binding: site.binding, inherited, label: builder, builtBy: builder, ...(site.exit ? { exit: site.exit } : {}) };
}

/**
 * Walks the tree from its roots: each class in each context it is built in,
 * parents before children, within the limits. `analyze` is called once per
 * distinct (class, context). Classes that no context reaches get their default
 * context (and build their own children from it).
 */
export function planTree(
  classes: ReadonlyMap<string, ClassSignature>,
  roots: ReadonlyMap<string, readonly ClassContext[]>,
  configs: readonly ConfigClass[],
  analyze: (className: string, context: ClassContext, key: string) => ClassAnalysis,
  /** The classes that mention each class (build it or pass it on). */
  referencedBy: ReadonlyMap<string, ReadonlySet<string>> = new Map(),
): Map<string, ClassContexts> {
  const result = new Map<string, ClassContexts>();
  for (const name of classes.keys()) result.set(name, { contexts: [], overflow: false });
  let analyses = 0;
  const queue: { name: string; context: ClassContext; depth: number }[] = [];
  const visit = (name: string, context: ClassContext, depth: number) => {
    const entry = result.get(name);
    if (!entry) return;
    const key = context.key ?? contextKey(context);
    const same = entry.contexts.find((c) => c.key === key);
    if (same) {
      same.count++;
      return;
    }
    // Every class gets its first context (a document has as many classes as it has); the limits bound the others.
    if (entry.contexts.length > 0 && (entry.contexts.length >= LIMITS.classContexts.value || analyses >= LIMITS.treeAnalyses.value)) {
      entry.overflow = true;
      entry.rest = entry.rest ? commonContext([entry.rest, context]) : context;
      return;
    }
    if (entry.contexts.length > 0) analyses++;
    entry.contexts.push({ context, key, count: 1 });
    const analysis = analyze(name, context, key);
    // Beyond the depth the tree follows, a class is still built by its parent, with what InitLens no longer
    // follows: its parameters are unknown (symbolic), never its defaults.
    const deep = depth + 1 >= LIMITS.treeDepth.value;
    for (const site of analysis.sites) queue.push({ name: site.className, context: siteContext(name, context, site, analysis, deep, classes), depth: depth + 1 });
  };
  let head = 0;
  const drain = () => {
    while (head < queue.length) {
      const next = queue[head++];
      visit(next.name, next.context, next.depth);
    }
  };
  for (const [name, contexts] of roots) for (const context of contexts) queue.push({ name, context, depth: 0 });
  drain();
  // Classes nothing reached (built where InitLens cannot follow): their defaults, parents first, so
  // that a class whose builder also falls back gets its context from that builder, not a default of its own.
  // Each class is tried once (so this ends), and the pending set shrinks as classes are reached.
  const pending = new Set([...classes.keys()].filter((n) => result.get(n)?.contexts.length === 0));
  while (pending.size > 0) {
    let name: string | undefined;
    for (const n of pending) {
      if (![...(referencedBy.get(n) ?? [])].some((r) => r !== n && pending.has(r))) {
        name = n;
        break;
      }
    }
    name ??= pending.values().next().value as string;
    pending.delete(name);
    if (result.get(name)?.contexts.length !== 0) continue;
    queue.push({ name, context: defaultContext(classes.get(name) as ClassSignature, configs), depth: 0 });
    drain();
    for (const n of [...pending]) if (result.get(n)?.contexts.length !== 0) pending.delete(n);
  }
  return result;
}

/**
 * What all of a class's contexts share: the values and classes every context
 * gives alike, and the rules every context inherits. The rest is unknown, so
 * the numbers that depend on it stay symbolic.
 */
export function commonContext(contexts: readonly ClassContext[]): ClassContext {
  const agreed = <T extends readonly [string, unknown]>(lists: (readonly T[])[]): T[] => {
    const [first, ...rest] = lists;
    if (!first) return [];
    const keyed = rest.map((l) => new Map(l.map((e) => [e[0], JSON.stringify(e[1])])));
    return first.filter((e) => keyed.every((m) => m.get(e[0]) === JSON.stringify(e[1])));
  };
  const values = agreed(contexts.map((c) => c.binding.values));
  const refs = agreed(contexts.map((c) => c.binding.refs));
  const kept = new Set([...values.map((e) => e[0]), ...refs.map((e) => e[0])]);
  const unknown = new Set<string>();
  // A config object has no value of its own (it is unknown in each context) but its attributes do:
  // those the contexts agree on stay.
  const nameless = new Set<string>();
  for (const c of contexts) {
    for (const [k] of [...c.binding.values, ...c.binding.refs]) if (!kept.has(k)) unknown.add(k.split(/[.[]/)[0]);
    for (const k of c.binding.unknown) nameless.add(k);
  }
  const ruleKey = (r: InheritedRule) => contextKey({ binding: EMPTY_BINDING, inherited: [r], label: '' });
  const [first, ...rest] = contexts;
  const inherited = (first?.inherited ?? []).filter((r) => rest.every((c) => c.inherited.some((o) => ruleKey(o) === ruleKey(r))));
  // A parameter some contexts give and others leave to its default is unknown too.
  const given = new Set(contexts.flatMap((c) => [...c.binding.values, ...c.binding.refs].map(([k]) => k.split(/[.[]/)[0])));
  for (const c of contexts) {
    const own = new Set([...c.binding.values, ...c.binding.refs].map(([k]) => k.split(/[.[]/)[0]));
    for (const g of given) if (!own.has(g)) unknown.add(g);
  }
  return {
    binding: { values: values.filter(([k]) => !unknown.has(k.split(/[.[]/)[0])), refs: refs.filter(([k]) => !unknown.has(k) && !nameless.has(k)), unknown: [...new Set([...unknown, ...nameless])] },
    inherited,
    label: `${contexts.length} contexts`,
  };
}

/**
 * One module instance of a composite model: a class of the file in exactly
 * the context it is built in, with the instances of the file's classes it
 * builds (`layer1.0`, `b1`), as `named_modules()` names them.
 */
export interface InstanceNode {
  readonly className: string;
  /** From the root (`layer1.0`); '' for the root. */
  readonly path: string;
  /** The class's model in this context (its own layers, names relative to it); undefined when not analyzed. */
  readonly model?: Model;
  /** Where the context comes from (`ResNet18(): ResNet(BasicBlock, [2, 2, 2, 2])`). */
  readonly label: string;
  /** What its constructor's parameters are given there. */
  readonly binding?: Binding;
  readonly children: readonly InstanceNode[];
  /** How many of its builder's own layers were built before it ({@link Site.built}). */
  readonly built?: number;
  /** Its construction call in the builder's class ({@link Site.span}). */
  readonly at?: Span;
  /** Why `model` is absent (beyond the module tree's limits). */
  readonly missing?: string;
}

/** The instance trees of a root class, one per context the module tree analyzed it in (empty for a class nothing analyzed). */
export type InstanceTrees = (className: string) => readonly InstanceNode[];
