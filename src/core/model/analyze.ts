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
import { collectImports, type ImportBinding } from '../python/imports';
import { lineBreaks, type SyntaxNode, type Tree } from '../python/parse';
import { same, statements, unwrap } from '../python/syntax';
import { Context, extend } from './context';
import { exceeds, LIMITS } from '../limits';
import { evaluate, valueSize, type Scope, type Value } from './evaluate';
import { analyzeKerasClass, analyzeKerasFunctional, analyzeKerasSequential, isKerasName, type KerasModelDraft } from './keras';
import { finalize, totalParams, type LayerDraft } from './layer';
import { analyzeTorchClass, analyzeTorchSequential, applyFollowingInits, applyModuleLevel, parameters, torchModuleClasses, type TorchModelDraft } from './torch';
import type { Layer, Model, ModelAnalysis, Span } from './types';

export interface AnalysisOptions {
  /** Normal or uniform variant of recommendations (`initlens.init.variant`). */
  readonly variant?: Variant;
  /** Documents larger than this (UTF-16 units) are skipped with a note. */
  readonly maxLength?: number;
  /** The document's imports when already collected (the seeding analysis has them). */
  readonly imports?: readonly ImportBinding[];
}

export const DEFAULT_MAX_LENGTH = LIMITS.documentLength.value;

const KERAS_MODEL_BASES = ['Model', 'models.Model'];

interface CacheEntry {
  readonly models: readonly Model[];
  /** Where the statement was when its models' positions were last set. */
  offset: number;
  line: number;
  /**
   * When a span of the models lies outside the statement: the positions (offset
   * and line) of the module environment's statements (functions, `.apply`,
   * `.add` calls) it was computed with. Shifting by the statement's own move
   * would be wrong there.
   */
  readonly outside?: string;
}

/** Analyzes documents, reusing unchanged top-level statements between calls. */
export class ModelAnalyzer {
  /** Models per top-level statement text, valid for one module environment. */
  private cache = new Map<string, CacheEntry>();
  private cacheEnv = '';

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
    const scope = moduleScope(top, text);
    const ctx = new Context(text, imports, scope);
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
    const torchClasses = torchModuleClasses(classes, ctx);
    const env = [
      imports.map((b) => `${b.local}=${b.target}`).join(','),
      JSON.stringify([...scope]),
      [...torchClasses].sort().join(','),
      [...functions.values()].map((f) => ctx.slice(f)).join('\n'),
      // Module-level dicts are no constants of the scope, but a class reads them (`cfg[vgg_name]`, members.ts).
      top.filter((s) => s.name === 'AssignStatement' && s.lastChild?.name === 'DictionaryExpression').map((s) => ctx.slice(s)).join('\n'),
      applies.map((a) => ctx.slice(a)).join('\n'),
      adds.map((a) => ctx.slice(a)).join('\n'),
      variant,
    ].join('\u0001');

    if (env !== this.cacheEnv) {
      this.cache.clear();
      this.cacheEnv = env;
    }
    // Entries are updated in place (offset, line) and unused ones dropped at the
    // end: a keystroke allocates only for the statement it changed.
    const used = new Set<CacheEntry>();
    const models: Model[] = [];
    let envKey: string | undefined;
    const envPositions = () => (envKey ??= positionsKey(text, [...functions.values(), ...applies, ...adds]));
    for (const stmt of top) {
      if (!mayHoldModel(stmt)) continue;
      const key = ctx.slice(stmt);
      const line = ctx.line(stmt.from);
      let entry = this.cache.get(key);
      if (entry && used.has(entry)) entry = undefined; // the same text twice: analyze the second copy itself
      if (entry && entry.outside !== undefined && entry.outside !== envPositions()) {
        this.cache.delete(key);
        entry = undefined;
      }
      if (entry) {
        if (entry.offset !== stmt.from || entry.line !== line) {
          for (const m of entry.models) shiftModel(m, entry.offset, entry.offset + key.length, stmt.from - entry.offset, line - entry.line);
          entry.offset = stmt.from;
          entry.line = line;
        }
      } else {
        const found = this.statementModels(stmt, ctx, torchClasses, functions, applies, adds, variant);
        const outside = found.some((m) => !spansWithin(m, stmt.from, stmt.to));
        entry = { models: found, offset: stmt.from, line, ...(outside ? { outside: envPositions() } : {}) };
        if (!this.cache.has(key)) this.cache.set(key, entry);
      }
      used.add(entry);
      for (const m of entry.models) models.push(m);
    }
    for (const [key, entry] of this.cache) if (!used.has(entry)) this.cache.delete(key);
    if (tree.length < text.length) notes.push('Parts of this file were not parsed.');
    return { models, notes };
  }

  private statementModels(
    stmt: SyntaxNode,
    ctx: Context,
    torchClasses: ReadonlySet<string>,
    functions: ReadonlyMap<string, SyntaxNode>,
    applies: readonly SyntaxNode[],
    adds: readonly SyntaxNode[],
    variant: Variant,
  ): Model[] {
    const drafts: (TorchModelDraft | KerasModelDraft)[] = [];
    try {
      if (stmt.name === 'ClassDefinition') {
        const name = stmt.getChild('VariableName');
        if (name && torchClasses.has(ctx.slice(name))) {
          const draft = analyzeTorchClass(stmt, ctx, functions);
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
        drafts.push(...blockModels([stmt], ctx, ctx.moduleScope, adds));
      }
    } catch (error) {
      // A construct the analysis mishandles must not take the other models down.
      if (!(error instanceof RangeError || error instanceof TypeError)) throw error;
      return [];
    }
    return drafts.map((d) => toModel(d, ctx, variant));
  }
}

/** Statements that can define a model: classes, functions, assignments and returns. */
function mayHoldModel(stmt: SyntaxNode): boolean {
  return stmt.name === 'ClassDefinition' || stmt.name === 'FunctionDefinition' || stmt.name === 'AssignStatement' || stmt.name === 'IfStatement' || stmt.name === 'WithStatement';
}

/** Module-level constants (`HIDDEN = 256`, `D = 4 * 64`), evaluated in order. */
function moduleScope(top: readonly SyntaxNode[], text: string): Scope {
  const scope = new Map<string, Value>();
  // The scope is part of the cache key (serialized on every analysis): bounded as a whole.
  let elements = 0;
  for (const stmt of top) {
    if (stmt.name !== 'AssignStatement') continue;
    const target = stmt.firstChild;
    const value = stmt.lastChild;
    if (!target || !value || target.name !== 'VariableName' || same(target, value)) continue;
    const v = evaluate(value, text, scope);
    if (v === undefined || exceeds('scopeElements', elements + valueSize(v))) continue;
    elements += valueSize(v);
    scope.set(text.slice(target.from, target.to), v);
  }
  return scope;
}

function isKerasSubclass(cls: SyntaxNode, ctx: Context): boolean {
  const list = cls.getChild('ArgList');
  if (!list) return false;
  for (let c = list.firstChild; c; c = c.nextSibling) {
    if (isKerasName(ctx.qualified(c), KERAS_MODEL_BASES)) return true;
  }
  return false;
}

/** Sequential and functional models among a block's statements. */
function blockModels(block: readonly SyntaxNode[], ctx: Context, scope: Scope, moreFollowers: readonly SyntaxNode[]): (TorchModelDraft | KerasModelDraft)[] {
  const out: (TorchModelDraft | KerasModelDraft)[] = [];
  block.forEach((stmt, i) => {
    const isAssign = stmt.name === 'AssignStatement';
    const isReturn = stmt.name === 'ReturnStatement';
    if (!isAssign && !isReturn) return;
    const target = isAssign ? stmt.firstChild : undefined;
    const valueNode = stmt.lastChild;
    if (!valueNode || (isAssign && (!target || target.name !== 'VariableName'))) return;
    const value = unwrap(valueNode);
    if (value.name !== 'CallExpression') return;
    const name = target ? ctx.slice(target) : 'model';
    const q = ctx.qualified(value.firstChild) ?? '';
    if (q === 'torch.nn.Sequential' || q === 'torch.nn.modules.container.Sequential') {
      const draft = analyzeTorchSequential(value, name, ctx, scope);
      if (draft && draft.layers.length > 0) {
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
  if (arg && functions.has(fn)) applyModuleLevel(draft, arg, ctx, functions);
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
  if ('init' in draft || 'initMethod' in draft) {
    const t = draft as TorchModelDraft;
    return {
      ...model,
      torch: {
        ...(t.init ? { init: span(t.init) } : {}),
        ...(t.initMethod ? { initMethod: { name: t.initMethod.name, span: span(t.initMethod.node), called: t.initMethod.called } } : {}),
      },
    };
  }
  return model;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

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

/** Calls `visit` with every span a model holds (the one list shiftModel and spansWithin read). */
function forEachSpan(model: Model, visit: (s: Span) => void): void {
  const each = (s: Span | undefined) => void (s && visit(s));
  each(model.span);
  each(model.torch?.init);
  each(model.torch?.initMethod?.span);
  for (const layer of model.layers) {
    each(layer.span);
    each(layer.activation?.at);
    each(layer.kernelInitializer);
    for (const p of layer.params) each(p.current.at);
    for (const p of layer.problems ?? []) each(p.at);
  }
}

/** Whether every span of `model` lies in [from, to]. */
function spansWithin(model: Model, from: number, to: number): boolean {
  let within = true;
  forEachSpan(model, (s) => void (within &&= s.from >= from && s.to <= to));
  return within;
}

/**
 * Moves what a cached model holds inside its statement [from, to] by `d`
 * offsets and `dl` lines, in place: typing in one class shifts every model
 * below it, and allocating new objects for all of them would dominate
 * re-analysis. Spans in other statements stay: the entry is only reused while
 * those did not move. (finalize gives every span its own object, so none
 * moves twice.)
 */
function shiftModel(model: Model, from: number, to: number, d: number, dl: number): Model {
  for (const layer of model.layers) if (layer.span.from >= from && layer.span.to <= to) (layer as Mutable<Layer>).line += dl;
  if (model.span.from >= from && model.span.to <= to) (model as Mutable<Model>).line += dl;
  forEachSpan(model, (s) => {
    if (s.from < from || s.to > to) return;
    (s as Mutable<Span>).from += d;
    (s as Mutable<Span>).to += d;
  });
  return model;
}
