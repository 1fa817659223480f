/**
 * Document-level model analysis: finds every PyTorch and Keras model in a
 * Python document and describes its layers ({@link ModelAnalysis}).
 *
 * Re-analysis after an edit is incremental at the level of top-level
 * statements: each statement's models are cached by its text and by the
 * module environment (imports, constants, module-level functions and
 * `.apply(...)` calls); an unchanged statement's models are reused, shifted to
 * their new position. So typing inside one class re-analyzes only that class.
 * Models that point into other statements (an init in a module-level
 * function, a `model.add(...)` line) are reused only while those statements
 * stay where they were: the cached result always equals a fresh analysis.
 */
import type { Variant } from '../init/recommend';
import { collectImports, qualify, type ImportBinding } from '../python/imports';
import { dottedName, lineBreaks, type SyntaxNode, type Tree } from '../python/parse';
import { callArgs, descendants, statements, unwrap } from '../python/syntax';
import { Context, extend } from './context';
import { exceeds, LIMITS } from '../limits';
import { evaluate, withoutEntries, type Entries, type ObjectCalls, type Scope } from './evaluate';
import { analyzeKerasClass, analyzeKerasFunctional, analyzeKerasSequential, isKerasName, type KerasModelDraft } from './keras';
import { finalize, mainParam, totalParams, type LayerDraft } from './layer';
import { libraryModelEntries, lookupLayer, maybeLibraryModel } from './catalog';
import { libraryModels, type LibraryModelCache } from './pretrained';
import { functionScope, moduleScope, objectFactories } from './moduleScope';
import { ownInstanceCalls, type InstanceFiles } from './instances';
import { analyzeTorchClass, analyzeTorchLayer, analyzeTorchSequential, applyFollowingInits, applyModuleLevel, classHeader, parameters, torchModuleClasses, type ClassHeader, type TorchModelDraft, type TreeOptions } from './torch';
import type { Activation } from './activations';
import type { InputSummary } from './forward';
import { bindCall } from './context';
import { applyRulesOf, type InitRule } from './inits';
import { selfReturned, TorchClass, withoutNames } from './members';
import { libraryBase } from './subclass';
import { configClasses, type ConfigClass } from './moduleScope';
import { bindArguments, classRef, classSignature, commonContext, contextKey, defaultContext, planTree, withEmptySpreads, type AgreedActivation, type Binding, type ClassContext, type ClassContexts, type ClassSignature, type InheritedRule, type InstanceNode, type Site, siteContext, signatureOfClass } from './tree';
import type { ActivationUse, Layer, LayerContext, Model, ModelAnalysis, Span } from './types';

export interface AnalysisOptions {
  /** Normal or uniform variant of recommendations (`initlens.init.variant`). */
  readonly variant?: Variant;
  /** Documents larger than this (UTF-16 units) are skipped with a note. */
  readonly maxLength?: number;
  /** The document's imports when already collected (the seeding analysis has them). */
  readonly imports?: readonly ImportBinding[];
  /**
   * Constructions of this document's classes in other files of the workspace
   * (`model = ViT(dim=1024, ...)` in a training script that imports ViT): root
   * contexts of the module tree, as if written at the bottom of this file.
   */
  readonly external?: readonly ExternalSite[];
  /**
   * The document's place in the workspace and its files: module-level instances of classes it imports
   * from them (`enc = Encoder(64)` with `Encoder` from `encoder.py`, then `model = Head(enc)`) carry what
   * their constructor sets (instances.ts).
   */
  readonly files?: InstanceFiles;
  /**
   * Also give {@link ModelAnalysis.instances}: each root class's tree of
   * instances, every node the class's model in exactly its context (the
   * signal engine's composite models). Costs nothing until asked.
   */
  readonly instances?: boolean;
}

/** A construction of one of the document's classes in another file, its arguments evaluated there. */
export interface ExternalSite {
  readonly className: string;
  readonly binding: Binding;
  /** Where, for hovers: `train.py:88 ViT(dim=1024, …)`. */
  readonly label: string;
  /** Functions of this document given to the instance's `apply` there (`G_AB.apply(weights_init_normal)`). */
  readonly applies?: readonly string[];
}

export const DEFAULT_MAX_LENGTH = LIMITS.documentLength.value;

const KERAS_MODEL_BASES = ['Model', 'models.Model'];

interface CacheEntry {
  readonly models: readonly Model[];
  /** Module classes: the classes it builds in this context, and its init rules (their spans move with the entry). */
  readonly sites?: readonly Site[];
  readonly rules?: readonly InitRule[];
  /** Where the statement was when its models' positions were last set. */
  offset: number;
  line: number;
  /**
   * When a span of the models lies outside the statement: the positions (offset
   * and line) of the module environment's statements (functions, `.apply`,
   * `.add` calls, library-layer subclasses) it was computed with. Shifting by
   * the statement's own move would be wrong there.
   */
  readonly outside?: string;
  /**
   * Module classes whose forward this analysis followed into (their summaries),
   * with their text then: the entry is stale when one of them changed.
   */
  readonly deps?: readonly (readonly [string, string])[];
  /** The analysis ({@link ModelAnalyzer.generation}) that last used it. */
  used?: number;
  /** What moves with the statement, listed at its first move ({@link movingParts}). */
  moving?: MovingParts;
  /**
   * What the tree wrote on its models (treeModels): their contexts, and the
   * layers' too. Absent: neither, so a model shown bare needs no clean-up.
   */
  described?: 'model' | 'layers';
}

/** A cache entry, every field present from the start (one object shape for all of them: their reads stay fast). */
function cacheEntry(found: Pick<CacheEntry, 'models' | 'sites' | 'rules'>, offset: number, line: number, outside: string | undefined, deps?: CacheEntry['deps']): CacheEntry {
  return { models: found.models, sites: found.sites, rules: found.rules, offset, line, outside, deps, used: undefined, moving: undefined, described: undefined };
}

/** A dependency that never holds again: a summary refused by the limit is computed afresh next time. */
const REFUSED = '\u0000refused';

/** Analyzes documents, reusing unchanged top-level statements between calls. */
export class ModelAnalyzer {
  /** Models per top-level statement text, valid for one module environment. */
  private cache = new Map<string, CacheEntry>();
  /** Library models and weight loads per top-level statement text (pretrained.ts). */
  private readonly libraryCache: LibraryModelCache = { imports: '', statements: new Map() };
  /** Module classes by their text: signature, the classes they mention, and an entry per context. */
  private classes = new Map<string, ClassRecord>();
  /** Counts analyses: a class record not seen in the latest one is dropped. */
  private generation = 0;
  /** Module-level constructions and class references, by statement text. */
  private siteCache = new Map<string, readonly Site[] | readonly string[]>();
  private readonly liveSites = new Set<string>();
  private cacheEnv: Env = [];
  /** Every class's header by the class's text (read once per version of the class, not at every keystroke), with the analysis that last saw it. */
  private headers = new Map<string, { readonly header: ClassHeader; seen: number }>();
  /** The module classes of the last analysis, with what they were computed from. */
  private moduleClasses?: { readonly importsKey: string; readonly headers: readonly ClassHeader[]; readonly names: readonly (string | undefined)[]; readonly result: ReadonlySet<string> };

  /**
   * Analyzes one version of the document. The result stays valid until the next
   * call on this analyzer, which may reuse (and move) its model objects; keep
   * one analyzer per document and drop old results when the document changes.
   */
  analyze(tree: Tree, text: string, options: AnalysisOptions = {}): ModelAnalysis {
    const notes: string[] = [];
    const maxLength = options.maxLength ?? DEFAULT_MAX_LENGTH;
    if (text.length > maxLength) {
      return { models: [], notes: [`InitLens skipped this file: ${text.length.toLocaleString('en-US')} characters is above the ${maxLength.toLocaleString('en-US')} limit (setting ${LIMITS.documentLength.setting}).`] };
    }
    if (text.includes('\u0000')) return { models: [], notes: ['InitLens skipped this file: it contains NUL bytes, so it is not Python source.'] };
    const variant = options.variant ?? 'normal';
    const imports = options.imports ?? collectImports(tree, text);
    const top = statements(tree.topNode);
    const objects = fileObjects(top, text, imports);
    // Instances of the file's classes built at module level and given to another (`enc = Encoder(64)`, then
    // `model = Head(enc)`) are objects of the module scope: the environment below holds them.
    const scope = moduleScope(top, text, ownInstanceCalls({ text, tree }, objects, options.files));
    const ctx = new Context(text, imports, scope, objects);
    const functions = new Map<string, SyntaxNode>();
    const applies: SyntaxNode[] = [];
    const adds: SyntaxNode[] = [];
    for (const stmt of top) {
      if (stmt.name === 'FunctionDefinition') {
        const name = stmt.getChild('VariableName');
        if (name) functions.set(ctx.slice(name), stmt);
      } else if (stmt.name === 'ExpressionStatement' && /^\s*\w+\.apply\(/.test(ctx.slice(stmt))) {
        applies.push(stmt);
      } else if (stmt.name === 'ExpressionStatement' && /^\s*(\w+\.add|[\w.]*init\.\w+|\w+\[\d+\]\.\w+(\.data)?\.\w+_)\(/.test(ctx.slice(stmt))) {
        // model.add(...) for Keras; nn.init.*(model[0].weight) for free-standing Sequentials.
        adds.push(stmt);
      }
    }
    const classes = top.filter((s) => s.name === 'ClassDefinition');
    const generation = ++this.generation;
    const classTexts = classes.map((c) => ctx.slice(c));
    const headers = classes.map((c, i) => {
      let h = this.headers.get(classTexts[i]);
      if (!h) {
        h = { header: classHeader(c, ctx), seen: generation };
        this.headers.set(classTexts[i], h);
      }
      h.seen = generation;
      return h.header;
    });
    // Which classes are modules depends on the headers and the imports only: unchanged, the last answer holds.
    const importsKey = imports.map((b) => `${b.local}=${b.target}`).join(',');
    const last = this.moduleClasses;
    const same = last !== undefined && last.importsKey === importsKey && last.headers.length === headers.length && last.headers.every((h, i) => sameHeader(h, headers[i]));
    const classNames: readonly (string | undefined)[] = same ? last.names : [];
    const torchClasses: ReadonlySet<string> = same ? last.result : torchModuleClasses(classes, ctx, classNames as (string | undefined)[], headers);
    if (!same) this.moduleClasses = { importsKey, headers, names: classNames, result: torchClasses };
    // Each name's last class, for the methods a subclass inherits.
    const classNodes = classNodesOf(classes, headers);
    const bases = baseClasses(classes, headers, classNodes);
    // Lines of the top-level statements, in one pass (the Context counts from the last offset asked).
    const lines = new Map<number, number>();
    for (const stmt of top) lines.set(stmt.from, ctx.line(stmt.from));
    // The module tree holds each module class's last definition (a later `class X` rebinds the name).
    const treeClasses = new Map<string, TreeClass>();
    /** Offsets of the module classes' statements (earlier definitions too), for the config classes. */
    const moduleAt = new Set<number>();
    for (let i = 0; i < classes.length; i++) {
      const c = classes[i];
      const name = classNames[i];
      if (name === undefined || !torchClasses.has(name)) continue;
      moduleAt.add(c.from);
      const text = classTexts[i];
      let record = this.classes.get(text);
      if (!record) {
        const signature = signatureOfClass(name, c, ctx);
        record = { signature, signatureKey: `${name}(${signature.params.map((p) => (signature.defaults.has(p) ? `${p}=` : p)).join(',')})`, contexts: new Map() };
        this.classes.set(text, record);
      }
      record.seen = generation;
      treeClasses.set(name, { name, stmt: c, text, line: lines.get(c.from) ?? 0, record });
    }
    // The statement of each class the tree holds, by offset (the output loop meets them in order).
    const treeAt = new Map<number, TreeClass>();
    const signatureKeys: string[] = [];
    const outers: string[] = [];
    /** Library-layer subclasses: a class that builds one holds spans inside it (their positions are part of {@link envPositions}). */
    const libraries: SyntaxNode[] = [];
    const signatures = new Map<string, ClassSignature>();
    for (const c of treeClasses.values()) {
      signatures.set(c.name, c.record.signature);
      treeAt.set(c.stmt.from, c);
      signatureKeys.push(c.record.signatureKey);
      c.record.outer ??= outerText(c.stmt, ctx);
      outers.push(c.record.outer.text);
      if (c.record.outer.library) libraries.push(c.stmt);
    }
    // Module classes are no config classes: configClasses skips them by name, here they are not even looked at.
    const configs = configClasses(moduleAt.size > 0 ? top.filter((s) => !moduleAt.has(s.from)) : top, text, scope, torchClasses);
    // Compared part by part with the last one: the per-class parts are arrays of the records' own strings, so
    // an unchanged class costs one identity comparison and no joined copy of every class's strings is built.
    const env: Env = [
      importsKey,
      JSON.stringify([...scope]),
      [...torchClasses],
      texts(functions.values(), ctx),
      // A subclass's analysis reads its bases' methods (`_init_weights`, `__init__`).
      texts(bases, ctx),
      // Module-level dicts are no constants of the scope, but a class reads them (`cfg[vgg_name]`, members.ts).
      texts(top, ctx, (s) => s.name === 'AssignStatement' && s.lastChild?.name === 'DictionaryExpression'),
      texts(applies, ctx),
      texts(adds, ctx),
      JSON.stringify(configs.map((c) => [c.name, [...c.fields]])),
      signatureKeys,
      // A builder reads its class arguments' class attributes (`block.expansion`), and a library-layer
      // subclass it builds is analyzed inside it (torch.ts): those are part of every class's environment.
      outers,
      variant,
    ];

    if (!sameEnv(env, this.cacheEnv)) {
      this.cache.clear();
      for (const record of this.classes.values()) {
        record.contexts.clear();
        record.summaries?.clear();
        delete record.references;
        delete record.defaultContext;
        delete record.outer;
      }
      this.siteCache.clear();
      this.cacheEnv = env;
    }
    // Entries are updated in place (offset, line) and unused ones dropped at the
    // end: a keystroke allocates only for the statement it changed. An entry used
    // in this analysis carries its generation (no set of them to build each time).
    const used = (entry: CacheEntry) => entry.used === generation;
    const models: Model[] = [];
    let envKey: string | undefined;
    const envPositions = () => (envKey ??= positionsKey(text, [...functions.values(), ...applies, ...adds, ...bases, ...libraries]));
    const place = (entry: CacheEntry, stmt: SyntaxNode, key: string, line: number) => {
      if (entry.offset === stmt.from && entry.line === line) return;
      const moving = (entry.moving ??= movingParts(entry, entry.offset, entry.offset + key.length));
      const d = stmt.from - entry.offset;
      const dl = line - entry.line;
      if (d !== 0) {
        for (const s of moving.spans) {
          s.from += d;
          s.to += d;
        }
      }
      if (dl !== 0) for (const holder of moving.lines) holder.line += dl;
      entry.offset = stmt.from;
      entry.line = line;
    };
    const depsHold = (deps: readonly (readonly [string, string])[] | undefined) => (deps ?? []).every(([n, t]) => n !== REFUSED && treeClasses.get(n)?.text === t);
    const reusable = (entry: CacheEntry | undefined) => entry !== undefined && !used(entry) && (entry.outside === undefined || entry.outside === envPositions()) && depsHold(entry.deps);

    // The module tree: constructions at module level are roots; a class no other
    // class mentions is a root with its defaults; the rest get their contexts from
    // the classes that build them.
    const configMap = new Map(configs.map((c) => [c.name, c]));
    const roots = new Map<string, ClassContext[]>();
    const appliedRules = (names: readonly string[] | undefined): InheritedRule[] => {
      const out: InheritedRule[] = [];
      for (const n of names ?? []) {
        const fn = functions.get(n);
        if (fn) for (const rule of applyRulesOf(fn, new TorchClass(ctx, ctx.moduleScope))) out.push({ rule, prefix: '' });
      }
      return out;
    };
    const referenced = new Set<string>();
    const referencedBy = new Map<string, Set<string>>();
    for (const [ownName, c] of treeClasses) {
      c.record.references ??= references(c.text, signatures);
      for (const r of c.record.references) {
        if (r === ownName) continue;
        referenced.add(r);
        const by = referencedBy.get(r) ?? new Set<string>();
        by.add(ownName);
        referencedBy.set(r, by);
      }
    }
    // Constructions in functions of the file (`def cct_14(...)`, `def ResNet18()`) may never run: they are the
    // class's contexts only where no code that runs (module level, `__main__`, the workspace's scripts) builds it.
    const maybe = new Set<ClassContext>();
    // A function the file's own code calls (`cct_14` → `_cct`, torchvision's `resnet18` → `_resnet`) builds in the
    // contexts of those calls, followed from the caller; only the functions nobody here calls start on their own.
    const called = calledFunctions(top, functions, ctx);
    for (const stmt of top) {
      if (stmt.name === 'ClassDefinition') continue;
      if (!mayBuild(stmt)) continue;
      if (stmt.name === 'FunctionDefinition' && called.has(ctx.slice(stmt.getChild('VariableName') ?? stmt))) continue;
      for (const site of this.moduleSites(stmt, ctx, signatures, configMap, functions)) {
        const list = roots.get(site.className) ?? [];
        const context: ClassContext = { binding: site.binding, inherited: appliedRules(site.applies), label: site.path };
        if (stmt.name === 'FunctionDefinition') maybe.add(context);
        list.push(context);
        roots.set(site.className, list);
        for (const [, ref] of site.binding.refs) referenced.add(ref);
      }
    }
    const root = (className: string, context: ClassContext) => {
      const list = roots.get(className) ?? [];
      if (list.length < LIMITS.classContexts.value) list.push(context);
      roots.set(className, list);
      for (const [, ref] of context.binding.refs) referenced.add(ref);
    };
    for (const site of options.external ?? []) {
      if (signatures.has(site.className)) {
        root(site.className, { binding: site.binding, inherited: appliedRules(site.applies), label: site.label });
        continue;
      }
      // `net = densenet_cifar()` in a training script: the classes the function builds, in its body's context.
      const fn = functions.get(site.className);
      if (!fn) continue;
      const built: Site[] = [];
      const file: SiteFile = { ctx, signatures, configs: configMap, functions, followed: 0 };
      enterFunction(fn, classSignature(site.className, fn, ctx.slice(fn), ctx, false), site.binding, `${site.label.replace(/ .*/, '')} `, [], file, built);
      for (const b of built) root(b.className, { binding: b.binding, inherited: appliedRules([...(b.applies ?? []), ...(site.applies ?? [])]), label: b.path });
    }
    for (const [name, list] of roots) if (list.some((c) => !maybe.has(c))) roots.set(name, list.filter((c) => !maybe.has(c)));
    // No class builds another and nothing builds one: each is a root in its own defaults (most files),
    // and the tree's bookkeeping is skipped.
    const flat = referenced.size === 0 && roots.size === 0;
    for (const [name, c] of treeClasses) {
      if (referenced.has(name) || roots.has(name)) continue;
      // The default context depends on the class and the config classes (in the environment): kept with the record.
      if (!c.record.defaultContext) {
        const context = defaultContext(c.record.signature, configs);
        c.record.defaultContext = { ...context, key: contextKey(context) };
      }
      if (!flat) roots.set(name, [c.record.defaultContext]);
    }
    // What a class built with a binding does to its forward's inputs: the class analyzed in that
    // context, once per analysis at most (kept with its record while the classes it follows into
    // are unchanged), classes inside classes up to the tree's depth, within the analyses' limit.
    let summaryCount = 0;
    const collecting: Map<string, string>[] = [];
    const inProgress = new Set<string>();
    const note = (deps: Iterable<readonly [string, string]>) => {
      const top = collecting[collecting.length - 1];
      if (top) for (const [n, t] of deps) top.set(n, t);
    };
    const summaries = (className: string, binding: Binding): InputSummary | undefined => {
      const c = treeClasses.get(className);
      if (!c || inProgress.has(className) || inProgress.size >= LIMITS.treeDepth.value) return undefined;
      const key = JSON.stringify([binding.values, binding.refs, binding.unknown]);
      const cached = c.record.summaries?.get(key);
      if (cached && depsHold(cached.deps)) {
        note([[className, c.text], ...cached.deps]);
        return cached.summary;
      }
      if (summaryCount >= LIMITS.treeAnalyses.value) {
        note([[REFUSED, '']]);
        return undefined;
      }
      summaryCount++;
      inProgress.add(className);
      collecting.push(new Map());
      let summary: InputSummary | undefined;
      try {
        ctx.seek(c.stmt.from, c.line);
        summary = analyzeTorchClass(c.stmt, ctx, functions, { ...treeOptions, context: { binding, inherited: [], label: className }, summarize: true })?.summary;
      } catch (error) {
        if (!(error instanceof RangeError || error instanceof TypeError)) throw error;
      } finally {
        inProgress.delete(className);
      }
      const deps = [...(collecting.pop() ?? [])];
      if (!deps.some(([n]) => n === REFUSED)) (c.record.summaries ??= new Map()).set(key, { summary, deps });
      note([[className, c.text], ...deps]);
      return summary;
    };
    const treeOptions: TreeOptions = { classes: signatures, configs: configMap, summaries, classNodes };
    const inContext = (name: string, context: ClassContext, key: string): CacheEntry => {
      const { stmt, text, line, record } = treeClasses.get(name) as TreeClass;
      const byContext = record.contexts;
      let entry = byContext.get(key);
      // Asked again in the same analysis (the tree, then the output): the same entry.
      if (entry && used(entry)) return entry;
      if (entry && !reusable(entry)) entry = undefined;
      if (entry) place(entry, stmt, text, line);
      else {
        // Lines inside the class are counted from its own start, not from wherever the counter last was.
        ctx.seek(stmt.from, line);
        collecting.push(new Map());
        const found = this.classModels(stmt, ctx, functions, applies, variant, { ...treeOptions, context });
        const deps = [...(collecting.pop() ?? [])];
        const outside = found.models.some((m) => !spansWithin(m, stmt.from, stmt.to));
        entry = cacheEntry(found, stmt.from, line, outside ? envPositions() : undefined, deps.length > 0 ? deps : undefined);
        byContext.set(key, entry);
      }
      entry.used = generation;
      if (record.used !== generation) {
        record.used = generation;
        record.usedCount = 0;
      }
      record.usedCount = (record.usedCount ?? 0) + 1;
      return entry;
    };
    const planned = flat
      ? undefined
      : planTree(signatures, roots, configs, (name, context, key) => {
          const entry = inContext(name, context, key);
          return { sites: entry.sites ?? [], rules: entry.rules ?? [] };
        }, referencedBy);

    for (const stmt of top) {
      if (!mayHoldModel(stmt)) continue;
      const held = stmt.name === 'ClassDefinition' ? treeAt.get(stmt.from) : undefined;
      if (held) {
        const { name } = held;
        if (!planned) {
          const { defaultContext: context } = held.record;
          const entry = context && inContext(name, context, context.key as string);
          if (entry?.described) undescribe(entry, true);
          for (const m of entry?.models ?? []) models.push(m);
          continue;
        }
        const found = planned.get(name);
        if (found) for (const m of this.treeModels(name, found, inContext)) models.push(m);
        continue;
      }
      const key = ctx.slice(stmt);
      const line = lines.get(stmt.from) ?? ctx.line(stmt.from);
      ctx.seek(stmt.from, line);
      let entry = this.cache.get(key);
      if (!reusable(entry)) {
        if (entry && !used(entry)) this.cache.delete(key);
        entry = undefined;
      }
      if (entry) place(entry, stmt, key, line);
      else {
        const found = this.statementModels(stmt, ctx, torchClasses, functions, applies, adds, variant, classNodes);
        const outside = found.some((m) => !spansWithin(m, stmt.from, stmt.to));
        entry = cacheEntry({ models: found }, stmt.from, line, outside ? envPositions() : undefined);
        if (!this.cache.has(key)) this.cache.set(key, entry);
      }
      entry.used = generation;
      for (const m of entry.models) models.push(m);
    }
    for (const [key, entry] of this.cache) if (!used(entry)) this.cache.delete(key);
    for (const [key, h] of this.headers) if (h.seen !== generation) this.headers.delete(key);
    for (const [key, record] of this.classes) {
      if (record.seen !== generation) this.classes.delete(key);
      // Most records have had every context entry used: nothing to look through.
      else if ((record.used === generation ? (record.usedCount ?? 0) : 0) < record.contexts.size) {
        for (const [k, entry] of record.contexts) if (!used(entry)) record.contexts.delete(k);
      }
    }
    for (const key of this.siteCache.keys()) if (!this.liveSites.has(key)) this.siteCache.delete(key);
    this.liveSites.clear();
    if (tree.length < text.length) notes.push('Parts of this file were not parsed.');
    const library = libraryModels(tree, text, imports, this.libraryCache);
    if (!options.instances) return { models, notes, libraryModels: library };
    const instances = (className: string): InstanceNode[] => {
      const c = treeClasses.get(className);
      if (!c) return [];
      const planned_ = planned?.get(className)?.contexts ?? (c.record.defaultContext ? [{ context: c.record.defaultContext, key: c.record.defaultContext.key as string, count: 1 }] : []);
      let nodes = 0;
      const plannedKey = (name: string, key: string) => (planned ? !!planned.get(name)?.contexts.some((x) => x.key === key) : name === className);
      const node = (name: string, context: ClassContext, key: string, path: string, depth: number, built?: number, span?: Span): InstanceNode => {
        nodes++;
        const at = { ...(built !== undefined ? { built } : {}), ...(span ? { at: span } : {}) };
        // Only what the module tree analyzed: nothing is analyzed twice, or beyond its limits.
        if (!plannedKey(name, key) || nodes > LIMITS.treeAnalyses.value) return { className: name, path, ...at, label: context.label, children: [], missing: `${name} at ${path || 'the root'} is beyond the module tree's limits (${LIMITS.treeAnalyses.what})` };
        const entry = inContext(name, context, key);
        const analysis = { sites: entry.sites ?? [], rules: entry.rules ?? [] };
        const deep = depth + 1 >= LIMITS.treeDepth.value;
        const children = analysis.sites
          .filter((site) => !site.argument)
          .map((site) => {
            const child = siteContext(name, context, site, analysis, deep, signatures);
            return node(site.className, child, contextKey(child), path ? `${path}.${site.path}` : site.path, depth + 1, site.built, site.span);
          });
        return { className: name, path, ...at, ...(entry.models[0] ? { model: entry.models[0] } : {}), label: context.label, binding: context.binding, children };
      };
      return planned_.map(({ context, key }) => node(className, context, key, '', 0));
    };
    return { models, notes, libraryModels: library, instances };
  }

  /** Constructions of module classes in a top-level statement or function (`model = ViT(dim=1024, ...)`, `def ResNet18(): return ResNet(BasicBlock, [2, 2, 2, 2])`). */
  private moduleSites(stmt: SyntaxNode, ctx: Context, signatures: ReadonlyMap<string, ClassSignature>, configs: ReadonlyMap<string, ConfigClass>, functions: ReadonlyMap<string, SyntaxNode>): readonly Site[] {
    const text = ctx.slice(stmt);
    const key = `s\u0002${text}`;
    this.liveSites.add(key);
    let found = this.siteCache.get(key) as readonly Site[] | undefined;
    if (!found) {
      const sites: Site[] = [];
      // A function's constructions see what its body assigns before them (`stride = ...` in lucidrains' `_cct`).
      const scope = stmt.name === 'FunctionDefinition' ? functionScope(stmt, ctx, ctx.objects) : ctx.moduleScope;
      const own = stmt.name === 'FunctionDefinition' ? ctx.slice(stmt.getChild('VariableName') ?? stmt) : undefined;
      followSites(stmt, scope, new Map(), own !== undefined ? `${own}(): ` : '', own !== undefined ? [own] : [], { ctx, signatures, configs, functions, followed: 0 }, sites);
      found = sites;
      this.siteCache.set(key, found);
    }
    return found;
  }

  /** One module class in one context: its model, the classes it builds, its init rules. */
  private classModels(stmt: SyntaxNode, ctx: Context, functions: ReadonlyMap<string, SyntaxNode>, applies: readonly SyntaxNode[], variant: Variant, tree: TreeOptions): Pick<CacheEntry, 'models' | 'sites' | 'rules'> {
    try {
      const result = analyzeTorchClass(stmt, ctx, functions, tree);
      if (!result) return { models: [], sites: [], rules: [] };
      for (const apply of applies) moduleApply(apply, result.draft, ctx, functions);
      // Rules are shifted with the entry: each entry owns its spans.
      const rules = result.rules.map((r) => ({ ...r, init: { ...r.init, ...(r.init.at ? { at: { ...r.init.at } } : {}) } }));
      return { models: [toModel(result.draft, ctx, variant)], sites: result.sites, rules };
    } catch (error) {
      // A construct the analysis mishandles must not take the other models down.
      if (!(error instanceof RangeError || error instanceof TypeError)) throw error;
      return { models: [], sites: [], rules: [] };
    }
  }

  /**
   * The model shown for a class: its one context's, or what its contexts share
   * with every context's numbers listed per layer.
   */
  private treeModels(name: string, found: ClassContexts, inContext: (name: string, context: ClassContext, key: string) => CacheEntry): readonly Model[] {
    const describe = () => found.contexts.map(({ context, count }) => ({ label: context.label, count, ...(context.builtBy ? { builtBy: context.builtBy } : {}) }));
    if (found.contexts.length === 1 && !found.overflow) {
      const [{ context, key }] = found.contexts;
      const entry = inContext(name, context, key);
      // A root with its own defaults says nothing (the common case: no allocation, no property churn).
      const own = context.label === 'defaults' && context.binding.values.length === 0;
      if (own) {
        if (entry.described) undescribe(entry, true);
        return entry.models;
      }
      if (entry.described === 'layers') undescribe(entry, false);
      for (const m of entry.models) {
        if (m.contexts?.length !== 1 || m.contexts[0].label !== context.label || m.contexts[0].count !== found.contexts[0].count) m.contexts = describe();
      }
      entry.described = 'model';
      return entry.models;
    }
    const described = describe();
    const each = found.contexts.map(({ context, key, count }) => ({
      label: context.label,
      count,
      ...(context.builtBy ? { builtBy: context.builtBy } : {}),
      layers: new Map((inContext(name, context, key).models[0]?.layers ?? []).map((l) => [l.name, l])),
    }));
    // What the contexts share (those beyond the limit too: what they do not share is unknown all the same)
    // includes each layer's activation, where they all agree (the common context alone does not know what
    // the builders do with the output).
    const common: ClassContext = {
      ...commonContext([...found.contexts.map((c) => c.context), ...(found.rest ? [found.rest] : [])]),
      activations: agreedActivations(each.map((e) => e.layers)),
    };
    const shown = inContext(name, common, contextKey(common));
    const { models } = shown;
    shown.described = 'layers';
    const contextsOf = (name: string): LayerContext[] =>
      each.flatMap(({ layers, ...where }) => {
        const l = layers.get(name);
        const main = l ? mainParam(l) : undefined;
        return l ? [{ ...where, ...(l.fanIn !== undefined ? { fanIn: l.fanIn } : {}), ...(l.fanOut !== undefined ? { fanOut: l.fanOut } : {}), ...(main ? { init: main.current.label, ...(main.resolved ? { std: main.resolved.std } : {}) } : {}) }] : [];
      });
    for (const m of models) {
      m.contexts = described;
      for (const layer of m.layers) layer.contexts = contextsOf(layer.name);
    }
    const [model] = models;
    if (!model) return models;
    // Layers that only some contexts build (a loop whose length only they know): listed too, as the first
    // context that builds them has them, when every context that builds them agrees on their fans.
    const shared = new Set(model.layers.map((l) => l.name));
    const extra: Layer[] = [];
    for (const { layers } of each) {
      for (const [name, l] of layers) {
        if (shared.has(name)) continue;
        shared.add(name);
        const contexts = contextsOf(name);
        const fans = (c: { fanIn?: unknown; fanOut?: unknown }) => JSON.stringify([c.fanIn, c.fanOut]);
        if (contexts.every((c) => fans(c) === fans(l))) extra.push({ ...l, contexts });
      }
    }
    return extra.length > 0 ? [{ ...model, layers: [...model.layers, ...extra] }, ...models.slice(1)] : models;
  }

  private statementModels(
    stmt: SyntaxNode,
    ctx: Context,
    torchClasses: ReadonlySet<string>,
    functions: ReadonlyMap<string, SyntaxNode>,
    applies: readonly SyntaxNode[],
    adds: readonly SyntaxNode[],
    variant: Variant,
    classNodes: ReadonlyMap<string, SyntaxNode>,
  ): Model[] {
    const drafts: (TorchModelDraft | KerasModelDraft)[] = [];
    try {
      if (stmt.name === 'ClassDefinition') {
        const name = stmt.getChild('VariableName');
        if (name && torchClasses.has(ctx.slice(name))) {
          // An earlier definition of a name a later class rebinds: on its own, with its defaults.
          const draft = analyzeTorchClass(stmt, ctx, functions, { classNodes })?.draft;
          if (draft) {
            for (const apply of applies) moduleApply(apply, draft, ctx, functions);
            drafts.push(draft);
          }
        } else if (isKerasSubclass(stmt, ctx)) {
          const draft = analyzeKerasClass(stmt, ctx, ctx.moduleScope);
          if (draft) drafts.push(draft);
        }
      } else if (stmt.name === 'FunctionDefinition') {
        const body = stmt.getChild('Body');
        const scope = extend(ctx.moduleScope, parameters(stmt, ctx, ctx.moduleScope).defaults);
        if (body) drafts.push(...blockModels(statements(body), ctx, scope, []));
      } else {
        drafts.push(...blockModels([stmt], ctx, ctx.moduleScope, adds, true));
      }
    } catch (error) {
      // A construct the analysis mishandles must not take the other models down.
      if (!(error instanceof RangeError || error instanceof TypeError)) throw error;
      return [];
    }
    return drafts.map((d) => toModel(d, ctx, variant));
  }
}

/**
 * Each layer's activation in every context that has the layer, when they
 * agree on it (null: they differ, or one does not know it), with the
 * normalizer before it when they agree on that too; how the first found it
 * stands for all.
 */
function agreedActivations(contexts: readonly ReadonlyMap<string, Layer>[]): [string, AgreedActivation | null][] {
  const agreed = new Map<string, AgreedActivation | null>();
  for (const layers of contexts) {
    for (const [name, layer] of layers) {
      const own = layer.activation ? { use: withoutPosition(layer.activation), ...(layer.normalizer ? { normalizer: layer.normalizer } : {}) } : null;
      if (!agreed.has(name)) agreed.set(name, own);
      const before = agreed.get(name);
      if (!before) continue;
      if (!own || !sameActivation(before.use.activation, own.use.activation)) agreed.set(name, null);
      // A normalizer on the way in some contexts only: the activation stands, the normalizer is not named.
      else if (before.normalizer !== own.normalizer) agreed.set(name, { use: before.use });
    }
  }
  return [...agreed];
}

function sameActivation(a: Activation, b: Activation): boolean {
  return a.kind === b.kind && a.slope === b.slope;
}

function withoutPosition(use: ActivationUse): ActivationUse {
  const { at: _at, ...rest } = use;
  return rest;
}

/** The module environment of the cached models, part by part: strings, and lists of per-class strings. */
type Env = readonly (string | readonly string[])[];

/** Whether two environments are equal part by part (lists element by element, in order). */
function sameEnv(a: Env, b: Env): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    if (typeof x === 'string' || typeof y === 'string') {
      if (x !== y) return false;
      continue;
    }
    if (x.length !== y.length) return false;
    for (let j = 0; j < x.length; j++) if (x[j] !== y[j]) return false;
  }
  return true;
}

/**
 * The objects the file's own functions build (`cfg = default_config()`, `cfg = GPT.get_default_config()` at
 * module level): module functions and static or class methods of its classes that return an object.
 */
export function fileObjects(top: readonly SyntaxNode[], text: string, imports?: readonly ImportBinding[]): ObjectCalls | undefined {
  let functions: Map<string, Entries> | undefined;
  const methods = new Map<string, Map<string, Entries>>();
  // Built at the first call that needs it (most analyses make none).
  let classes: Map<string, SyntaxNode> | undefined;
  const classesOf = () => {
    if (classes) return classes;
    classes = new Map();
    for (const s of top) {
      const name = s.name === 'ClassDefinition' ? s.getChild('VariableName') : null;
      if (name) classes.set(text.slice(name.from, name.to), s);
    }
    return classes;
  };
  return (call, scope) => {
    const callee = call.firstChild;
    const list = call.getChild('ArgList');
    // `model = torchvision.models.resnet18(weights=...)`: what the architecture holds (`model.fc.in_features`, catalog.ts).
    if (imports && callee && list && maybeLibraryModel(text.slice(callee.from, callee.to))) {
      const name = dottedName(callee, text);
      const qualified = name && qualify(name, imports);
      const given = callArgs(list, text).keywords.get('num_classes');
      const entries = qualified ? libraryModelEntries(qualified, given ? (evaluate(given, text, scope ?? new Map()) ?? null) : undefined) : undefined;
      if (entries) return entries;
    }
    if (!callee || !list || list.getChild(',') || (list.firstChild?.nextSibling?.name ?? ')') !== ')') return undefined;
    if (callee.name === 'VariableName') {
      functions ??= objectFactories(top.filter((s) => s.name === 'FunctionDefinition'), text);
      return functions.get(text.slice(callee.from, callee.to));
    }
    const owner = callee.name === 'MemberExpression' ? callee.firstChild : null;
    const method = callee.lastChild;
    const cls = owner?.name === 'VariableName' ? text.slice(owner.from, owner.to) : undefined;
    const node = cls !== undefined ? classesOf().get(cls) : undefined;
    if (cls === undefined || !node || !method) return undefined;
    let found = methods.get(cls);
    if (!found) {
      const body = node.getChild('Body');
      found = objectFactories(body ? statements(body).filter((s) => s.name === 'DecoratedStatement') : [], text, true);
      methods.set(cls, found);
    }
    return found.get(text.slice(method.from, method.to));
  };
}

/** The file's functions called by its own module-level code and functions (not by themselves). */
function calledFunctions(top: readonly SyntaxNode[], functions: ReadonlyMap<string, SyntaxNode>, ctx: Context): Set<string> {
  const out = new Set<string>();
  for (const stmt of top) {
    if (stmt.name === 'ClassDefinition' || stmt.name === 'DecoratedStatement') continue;
    const own = stmt.name === 'FunctionDefinition' ? ctx.slice(stmt.getChild('VariableName') ?? stmt) : undefined;
    for (const call of descendants(stmt, 'CallExpression')) {
      const callee = call.firstChild;
      const name = callee?.name === 'VariableName' ? ctx.slice(callee) : undefined;
      if (name !== undefined && name !== own && functions.has(name)) out.add(name);
    }
  }
  return out;
}

/** What {@link followSites} reads the file through. */
interface SiteFile {
  readonly ctx: Context;
  readonly signatures: ReadonlyMap<string, ClassSignature>;
  readonly configs: ReadonlyMap<string, ConfigClass>;
  readonly functions: ReadonlyMap<string, SyntaxNode>;
  /** Calls followed so far, against LIMITS.followedCalls. */
  followed: number;
}

/** Calls followed from a module-level statement into the file's functions (`cct_14` → `_cct` → `CCT`). */
const MAX_FOLLOWED_CALLS = 3;

/**
 * The constructions of module classes a block reaches: its own, evaluated in
 * `scope` (`refs`: parameters that hold a class), then those of the file's
 * functions it calls, each with its parameters bound to the call's arguments
 * as a class's are (`**kwargs` and `*args` spread), and its body read from
 * there; calls nest {@link MAX_FOLLOWED_CALLS} deep, a function on the way is
 * not entered again, at most LIMITS.followedCalls are followed, and the sites
 * are at most {@link LIMITS.classContexts}.
 */
function followSites(block: SyntaxNode, scope: Scope, refs: ReadonlyMap<string, string>, via: string, path: readonly string[], file: SiteFile, out: Site[]): void {
  const { ctx, signatures, configs, functions } = file;
  const refOf = (node: SyntaxNode) =>
    classRef(node, ctx, (n) => {
      const name = ctx.slice(n).replace(/\s+/g, '');
      return refs.get(name) ?? (signatures.has(name) ? name : undefined);
    });
  const classOf = (callee: SyntaxNode) => (callee.name === 'VariableName' ? signatures.get(refs.get(ctx.slice(callee)) ?? ctx.slice(callee)) : undefined);
  for (const c of constructionsIn(block, ctx, scope, classOf, configs, refOf, LIMITS.classContexts.value - out.length)) {
    const shown = `${via}${ctx.slice(c.call).replace(/\s+/g, ' ')}`;
    out.push({ className: c.className, path: shown.length > 60 ? `${shown.slice(0, 59)}…)` : shown, binding: c.binding, ...(c.applies.length > 0 ? { applies: c.applies } : {}) });
  }
  if (path.length >= MAX_FOLLOWED_CALLS) return;
  for (const call of descendants(block, 'CallExpression')) {
    if (out.length >= LIMITS.classContexts.value) return;
    const callee = call.firstChild;
    const name = callee?.name === 'VariableName' ? ctx.slice(callee) : undefined;
    const fn = name !== undefined && !scope.has(name) && !path.includes(name) ? functions.get(name) : undefined;
    const bound = fn && bindCall(call, ctx, scope);
    if (!fn || !bound || name === undefined) continue;
    if (exceeds('followedCalls', ++file.followed)) return;
    const sig = classSignature(name, fn, ctx.slice(fn), ctx, false);
    enterFunction(fn, sig, bindArguments(bound, sig, scope, ctx, configs, refOf), via, path, file, out);
  }
}

/**
 * The constructions a call of the file's function `fn` reaches, its parameters
 * bound as `binding` says ({@link followSites}; another file's
 * `net = densenet_cifar()` through {@link ExternalSite}).
 */
function enterFunction(fn: SyntaxNode, sig: ClassSignature, binding: Binding, via: string, path: readonly string[], file: SiteFile, out: Site[]): void {
  const { ctx } = file;
  // The function's scope as a class's is built (torch.ts): its parameters hide the module's names, then its
  // defaults where the call gives nothing, then what the call gives.
  const names = [...sig.params, ...(sig.star !== undefined ? [sig.star] : []), ...(sig.starStar !== undefined ? [sig.starStar] : [])];
  const given = new Set([...binding.values.map(([k]) => k.split(/[.[]/)[0]), ...binding.refs.map(([k]) => k)]);
  const defaults = parameters(fn, ctx, ctx.moduleScope).defaults.filter(([k]) => !given.has(k) && !binding.unknown.includes(k));
  const start = extend(extend(withoutNames(withoutEntries(ctx.moduleScope, names), names), defaults), withEmptySpreads(binding, sig));
  const body = fn.getChild('Body');
  const inner = body ? moduleScope(statements(body), ctx.text, ctx.objects, start) : start;
  followSites(fn, inner, new Map(binding.refs), `${via}${sig.name}(): `, [...path, sig.name], file, out);
}

/** What the analyzer keeps of one module class, by its text. */
interface ClassRecord {
  readonly signature: ClassSignature;
  /** Module classes of the file it mentions (valid with the cache environment, which holds the set of classes). */
  references?: readonly string[];
  /** Its context as a root nothing builds (valid with the cache environment, which holds the config classes). */
  defaultContext?: ClassContext;
  /** Its constructor's parameters and defaults, as the cache environment holds them. */
  readonly signatureKey: string;
  /** What other classes' analyses read of it ({@link outerText}), valid with the cache environment (imports decide its bases). */
  outer?: { readonly text: string; readonly library: boolean };
  /** Its models in each context of the module tree, by context key. */
  readonly contexts: Map<string, CacheEntry>;
  /** What its forward does to its inputs, by the binding it is built with, and the classes that followed into. */
  summaries?: Map<string, { readonly summary: InputSummary | undefined; readonly deps: readonly (readonly [string, string])[] }>;
  /** The analysis that last saw this text. */
  seen?: number;
  /** The analysis that last used entries of it, and how many ({@link CacheEntry.used}). */
  used?: number;
  usedCount?: number;
}

/** A module class of this version of the document. */
/** The classes of the file that another class of the file derives from. */
/**
 * The texts of `nodes` (those `keep` selects), one per line, for the environment key. A loop rather than
 * `[...map.values()].map(...).join()` or `nodes.filter(...).map(...).join()` inline: those deoptimized
 * `analyze` at nearly every keystroke ("wrong map" on the arrays, Node 20), which then ran unoptimized.
 */
function texts(nodes: Iterable<SyntaxNode>, ctx: Context, keep?: (node: SyntaxNode) => boolean): string {
  let out = '';
  for (const n of nodes) if (!keep || keep(n)) out += `${ctx.slice(n)}\n`;
  return out;
}

/** Whether two class headers say the same (a keystroke in a class body leaves its header as it was). */
function sameHeader(a: ClassHeader, b: ClassHeader): boolean {
  return a === b || (a.name === b.name && a.bases.length === b.bases.length && a.bases.every((x, i) => x.text === b.bases[i].text));
}

function baseClasses(classes: readonly SyntaxNode[], headers: readonly ClassHeader[], classNodes: ReadonlyMap<string, SyntaxNode>): SyntaxNode[] {
  const out = new Set<SyntaxNode>();
  classes.forEach((c, i) => {
    for (const b of headers[i].bases) {
      const base = b.dotted?.length === 1 ? classNodes.get(b.dotted[0]) : undefined;
      if (base && base !== c) out.add(base);
    }
  });
  return [...out];
}

/** Each name's last class definition among the file's classes (`headers` in their order). */
function classNodesOf(classes: readonly SyntaxNode[], headers: readonly ClassHeader[]): Map<string, SyntaxNode> {
  const out = new Map<string, SyntaxNode>();
  classes.forEach((c, i) => {
    const name = headers[i].name;
    if (name !== undefined) out.set(name, c);
  });
  return out;
}

interface TreeClass {
  readonly name: string;
  readonly stmt: SyntaxNode;
  readonly text: string;
  readonly line: number;
  readonly record: ClassRecord;
}

/**
 * What the analysis of another class reads of a class: its class-level
 * assignments (`expansion = 4`, read as `block.expansion`), and all of it when
 * it derives from a library layer (built and analyzed inside its builder).
 */
function outerText(cls: SyntaxNode, ctx: Context): { text: string; library: boolean } {
  if (libraryBase(cls, ctx)) return { text: ctx.slice(cls), library: true };
  const body = cls.getChild('Body');
  return { text: (body ? statements(body) : []).filter((s) => s.name === 'AssignStatement').map((s) => ctx.slice(s)).join('\n'), library: false };
}

/** Module classes a class's text mentions (builds, or passes on as an argument). */
function references(text: string, signatures: ReadonlyMap<string, ClassSignature>): string[] {
  const names = new Set<string>();
  for (const m of text.matchAll(/[A-Za-z_]\w*/g)) if (signatures.has(m[0])) names.add(m[0]);
  return [...names];
}

/** A construction of a module class in a block: the call, its arguments bound, the functions applied to it after. */
export interface Construction {
  readonly call: SyntaxNode;
  readonly className: string;
  readonly binding: Binding;
  readonly applies: readonly string[];
}

/**
 * The constructions in `block` of the classes `classOf` names by their callee,
 * their arguments evaluated in `scope`, at most `limit` of them, in source order
 * (module-level sites of this document, and sites in the files importing it).
 */
export function constructionsIn(
  block: SyntaxNode,
  ctx: Context,
  scope: Scope,
  classOf: (callee: SyntaxNode) => ClassSignature | undefined,
  configs: ReadonlyMap<string, ConfigClass>,
  refOf: (node: SyntaxNode) => string | undefined,
  limit: number,
): Construction[] {
  const out: Construction[] = [];
  for (const call of descendants(block, 'CallExpression')) {
    if (out.length >= limit) break;
    const callee = call.firstChild;
    const sig = callee ? classOf(callee) : undefined;
    const bound = sig && bindCall(call, ctx, scope);
    if (!sig || !bound) continue;
    out.push({ call, className: sig.name, binding: bindArguments(bound, sig, scope, ctx, configs, refOf), applies: appliedTo(call, block, ctx) });
  }
  return out;
}

/**
 * The functions given to `apply` on the variable a construction is assigned to
 * (`netG = Generator(ngpu).to(device)` then `netG.apply(weights_init)`), in the
 * statement's block or, at module level, anywhere after it in the module.
 */
export function appliedTo(call: SyntaxNode, block: SyntaxNode, ctx: Context): string[] {
  let node: SyntaxNode | null = call;
  while (node && node.parent && node.parent.name !== 'AssignStatement' && node.parent !== block && /Expression|ArgList/.test(node.parent.name)) node = node.parent;
  const assign = node?.parent;
  const target = assign?.name === 'AssignStatement' ? assign.firstChild : null;
  if (!assign || target?.name !== 'VariableName' || target.nextSibling?.name !== 'AssignOp') return [];
  const variable = ctx.slice(target);
  // At module level the apply may come in any later statement; in a function, later in its body.
  const after = ctx.text.slice(assign.to, assign.parent?.name === 'Script' ? ctx.text.length : block.to);
  const out: string[] = [];
  for (const m of after.matchAll(new RegExp(`(?<![\\w.])${variable}\\.apply\\(\\s*(\\w+)\\s*\\)`, 'g'))) out.push(m[1]);
  return out;
}

/** Top-level statements that can build a module class (`model = Net()`, `def ResNet18(): return ResNet(...)`, `if __name__ == ...:`). */
function mayBuild(stmt: SyntaxNode): boolean {
  return stmt.name !== 'ImportStatement' && stmt.name !== 'ImportFromStatement' && stmt.name !== 'DecoratedStatement';
}

/** Statements that can define a model: classes, functions, assignments and returns. */
function mayHoldModel(stmt: SyntaxNode): boolean {
  return stmt.name === 'ClassDefinition' || stmt.name === 'FunctionDefinition' || stmt.name === 'AssignStatement' || stmt.name === 'IfStatement' || stmt.name === 'WithStatement';
}

function isKerasSubclass(cls: SyntaxNode, ctx: Context): boolean {
  const list = cls.getChild('ArgList');
  if (!list) return false;
  for (let c = list.firstChild; c; c = c.nextSibling) {
    if (isKerasName(ctx.qualified(c), KERAS_MODEL_BASES)) return true;
  }
  return false;
}

/** Sequential and functional models among a block's statements; at module level, single layers assigned to a name too. */
function blockModels(block: readonly SyntaxNode[], ctx: Context, scope: Scope, moreFollowers: readonly SyntaxNode[], moduleLevel = false): (TorchModelDraft | KerasModelDraft)[] {
  const out: (TorchModelDraft | KerasModelDraft)[] = [];
  block.forEach((stmt, i) => {
    const isAssign = stmt.name === 'AssignStatement';
    const isReturn = stmt.name === 'ReturnStatement';
    if (!isAssign && !isReturn) return;
    const target = isAssign ? stmt.firstChild : undefined;
    const valueNode = stmt.lastChild;
    // At module level a replaced head of a built model too (`model.fc = nn.Linear(model.fc.in_features, 10)`,
    // transfer learning): a model named by the target.
    // A subscripted head too (`vgg.classifier[6] = nn.Linear(4096, 2)`), named as written.
    const replaced = moduleLevel && target?.name === 'MemberExpression' && ((dottedName(target, ctx.text)?.length ?? 0) > 1 || /^[A-Za-z_]\w*(\.[A-Za-z_]\w*|\[\s*\d+\s*\])+$/.test(ctx.slice(target)));
    if (!valueNode || (isAssign && (!target || (target.name !== 'VariableName' && !replaced)))) return;
    const value = unwrap(valueNode);
    if (value.name !== 'CallExpression') return;
    const name = target ? ctx.slice(target) : 'model';
    // `nn.Sequential(...).to(device)` is the Sequential (Module.to returns it).
    const model = selfReturned(value, ctx);
    const q = (model.name === 'CallExpression' ? ctx.qualified(model.firstChild) : undefined) ?? '';
    if (q === 'torch.nn.Sequential' || q === 'torch.nn.modules.container.Sequential') {
      const draft = analyzeTorchSequential(model, name, ctx, scope);
      if (draft && draft.layers.length > 0) {
        applyFollowingInits(draft, [...block.slice(i + 1), ...moreFollowers], ctx);
        out.push(draft);
      }
    } else if (moduleLevel && isAssign && lookupLayer(q)?.framework === 'torch') {
      // `fc = torch.nn.Linear(4, 1)` at module level: a model of one layer (a function returning one is a layer factory).
      const draft = analyzeTorchLayer(model, name, ctx, scope);
      if (draft) {
        applyFollowingInits(draft, [...block.slice(i + 1), ...moreFollowers], ctx);
        out.push(draft);
      }
    } else if (isKerasName(q, ['Sequential', 'models.Sequential'])) {
      const draft = analyzeKerasSequential(value, name, [...block.slice(i + 1), ...moreFollowers], ctx, scope);
      if (draft.layers.length > 0) out.push(draft);
    } else if (isKerasName(q, ['Model', 'models.Model'])) {
      const draft = analyzeKerasFunctional(block, stmt, name, ctx, scope);
      if (draft) out.push(draft);
    }
  });
  return out;
}

/** `model.apply(init_fn)` at module level, where `model = Net(...)`. */
function moduleApply(apply: SyntaxNode, draft: TorchModelDraft, ctx: Context, functions: ReadonlyMap<string, SyntaxNode>): void {
  const m = /^\s*(\w+)\.apply\(\s*(\w+)\s*\)/.exec(ctx.slice(apply));
  if (!m) return;
  const [, variable, fn] = m;
  const pattern = new RegExp(`(^|\\n)\\s*${variable}\\s*=\\s*${draft.name}\\s*\\(`);
  if (variable !== draft.name && !pattern.test(ctx.text.slice(0, apply.from))) return;
  const call = apply.firstChild;
  const arg = call?.getChild('ArgList')?.firstChild?.nextSibling;
  if (arg && functions.has(fn)) applyModuleLevel(draft, arg, ctx, functions, span(apply));
}

function span(node: SyntaxNode): Span {
  return { from: node.from, to: node.to };
}

function toModel(draft: TorchModelDraft | KerasModelDraft, ctx: Context, variant: Variant): Model {
  const layers: Layer[] = draft.layers.map((l: LayerDraft) => finalize(l, variant));
  const framework = draft.kind.startsWith('torch') ? 'torch' : 'keras';
  const model: Model = {
    name: draft.name,
    kind: draft.kind,
    framework,
    span: span(draft.node),
    line: ctx.line(draft.node.from),
    layers,
    paramCount: totalParams(layers),
  };
  if ('init' in draft || 'initMethod' in draft || 'submodules' in draft) {
    const t = draft as TorchModelDraft;
    return {
      ...model,
      ...(t.submodules && t.submodules.length > 0 ? { submodules: t.submodules.map((s) => ({ className: s.className, span: span(s.node) })) } : {}),
      torch: {
        ...(t.init ? { init: span(t.init) } : {}),
        ...(t.initMethod ? { initMethod: { name: t.initMethod.name, span: span(t.initMethod.node), called: t.initMethod.called } } : {}),
        ...(t.initValues ? { initValues: t.initValues } : {}),
        ...(t.parameters ? { parameters: t.parameters.map(({ tensor, ...p }) => ({ ...p, span: span(tensor) })) } : {}),
      },
    };
  }
  return model;
}

/**
 * `offset:line` of each statement, lines counted in one forward pass of its
 * own (the Context's line cursor stays where the main loop is).
 */
function positionsKey(text: string, stmts: readonly SyntaxNode[]): string {
  const parts: string[] = [];
  let line = 0;
  let pos = 0;
  for (const from of stmts.map((s) => s.from).sort((a, b) => a - b)) {
    line += lineBreaks(text, pos, from);
    pos = from;
    parts.push(`${from}:${line}`);
  }
  return parts.join(',');
}

/** Calls `visit` with every span a model holds (the one list movingParts and spansWithin read). */
function forEachSpan(model: Model, visit: (s: Span) => void): void {
  // Written out (no helper closure per call): every keystroke visits every model below it.
  visit(model.span);
  const torch = model.torch;
  if (torch?.init) visit(torch.init);
  if (torch?.initMethod) visit(torch.initMethod.span);
  if (torch?.parameters) for (const p of torch.parameters) visit(p.span);
  if (model.submodules) for (const s of model.submodules) visit(s.span);
  for (const layer of model.layers) {
    visit(layer.span);
    const at = layer.activation?.at;
    if (at) visit(at);
    if (layer.kernelInitializer) visit(layer.kernelInitializer);
    for (const p of layer.params) {
      if (p.current.at) visit(p.current.at);
      if (p.current.ranAt) visit(p.current.ranAt);
    }
    if (layer.problems) for (const p of layer.problems) if (p.at) visit(p.at);
  }
}

/** Whether every span of `model` lies in [from, to]. */
function spansWithin(model: Model, from: number, to: number): boolean {
  let within = true;
  forEachSpan(model, (s) => void (within &&= s.from >= from && s.to <= to));
  return within;
}

/** Removes the contexts treeModels wrote on an entry's models (the models' own too when `all`), and every layer's. */
function undescribe(entry: CacheEntry, all: boolean): void {
  for (const m of entry.models) {
    if (all) delete m.contexts;
    if (entry.described === 'layers') for (const layer of m.layers) delete layer.contexts;
  }
  entry.described = all ? undefined : 'model';
}

/** The spans and line holders (models, layers) of a cache entry that lie in its statement. */
interface MovingParts {
  readonly spans: readonly Span[];
  readonly lines: readonly { line: number }[];
}

/**
 * What moves, in place, when an entry's statement [from, to] moves: typing in
 * one class shifts every model below it, and allocating new objects for all of
 * them would dominate re-analysis. Spans in other statements stay: the entry is
 * only reused while those did not move, so what lies inside stays inside and
 * the list made at the first move holds for every later one (one flat loop per
 * move instead of a walk through each model). finalize gives every span its own
 * object, so none moves twice.
 */
function movingParts(entry: CacheEntry, from: number, to: number): MovingParts {
  const spans: Span[] = [];
  const lines: { line: number }[] = [];
  const inside = (s: Span) => s.from >= from && s.to <= to;
  for (const m of entry.models) {
    forEachSpan(m, (s) => void (inside(s) && spans.push(s)));
    for (const layer of m.layers) if (inside(layer.span)) lines.push(layer);
    if (inside(m.span)) lines.push(m);
  }
  for (const rule of entry.rules ?? []) if (rule.init.at && inside(rule.init.at)) spans.push(rule.init.at);
  for (const site of entry.sites ?? []) if (site.span && inside(site.span)) spans.push(site.span);
  return { spans, lines };
}
