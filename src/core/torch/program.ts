/**
 * The module's own code as draws from the torch CPU stream (spec §8): which
 * models its top-level statements build, in order, and the inits they run
 * afterwards (`generator.apply(weights_init_normal)`). A model's values depend
 * on what the module draws between the seed and its construction, and between
 * its construction and those inits (PyTorch-GAN's dcgan.py builds the
 * discriminator before it initializes the generator): {@link streamDraws}
 * gives exact mode those draws, replayed where InitLens knows them.
 */
import { collectImports, qualify } from '../python/imports';
import { dottedName, type Tree } from '../python/parse';
import { descendants, statements } from '../python/syntax';
import type { Layer, Model, ModelAnalysis, Span } from '../model/types';
import type { SeedingAnalysis } from '../seeding/analyze';
import type { TorchGenerator } from './generator';
import { initTensor } from './init';
import { LimitError } from '../limits';
import { drawsInside, exactParameters, findTorchSeed, libraryDraws, type ExactParameter, type StreamDraw, type StreamOptions } from './exact';
import { stateDictKey } from '../model/layer';
import { lineAt, lineStarts } from '../diagnostics/suppress';
import { DRAWING_INITS, DRAWING_METHODS } from '../model/initCalls';
import { moduleScope } from '../model/moduleScope';
import type { Scope } from '../model/evaluate';
import { factoryReplay, methodReplay, shapedSample } from './drawCalls';

/** A top-level statement's construction of one of the document's PyTorch models. */
export interface Construction {
  /** The model's name: its class, or the variable of a module-level Sequential or layer. */
  readonly model: string;
  readonly from: number;
  readonly to: number;
}

/** What {@link streamDraws} reads of a document. */
export interface StreamDocument {
  readonly tree: Tree;
  readonly text: string;
  readonly seeding: SeedingAnalysis;
  readonly models: Pick<ModelAnalysis, 'models' | 'libraryModels'>;
}

/** Statements that run where they are written at module level (not definitions, whose bodies run when called). */
const RUNS_IN_PLACE = new Set(['AssignStatement', 'ExpressionStatement', 'UpdateStatement']);

/** The document's top-level statements that run in place, in order. */
function runningStatements(tree: Tree): Span[] {
  return statements(tree.topNode).filter((s) => RUNS_IN_PLACE.has(s.name)).map((s) => ({ from: s.from, to: s.to }));
}

/**
 * The constructions of the document's PyTorch models by its top-level
 * statements, in source order: `Name(...)` calls of its module classes
 * (`discriminator = Discriminator()`, `Net().to(device)`) and its module-level
 * Sequentials and layers where they are written.
 */
export function moduleConstructions(tree: Tree, text: string, models: readonly Model[]): Construction[] {
  const torch = models.filter((m) => m.framework === 'torch');
  const classes = new Set(torch.filter((m) => m.kind === 'torch-module').map((m) => m.name));
  const out: Construction[] = [];
  for (const stmt of statements(tree.topNode)) {
    if (!RUNS_IN_PLACE.has(stmt.name)) continue;
    // A module-level Sequential or layer is a model of its own, written in this statement.
    const own = torch.filter((m) => m.kind !== 'torch-module' && m.span.from >= stmt.from && m.span.to <= stmt.to);
    for (const m of own) out.push({ model: m.name, from: m.span.from, to: m.span.to });
    for (const call of descendants(stmt, 'CallExpression')) {
      const callee = call.firstChild;
      if (callee?.name !== 'VariableName' || !classes.has(text.slice(callee.from, callee.to))) continue;
      // Inside a Sequential of this statement it is that model's construction, replayed with it.
      if (own.some((m) => call.from >= m.span.from && call.to <= m.span.to)) continue;
      out.push({ model: text.slice(callee.from, callee.to), from: call.from, to: call.to });
    }
  }
  return out.sort((a, b) => a.from - b.from);
}

/** The model a construction builds: a class's model, else the module-level model of that name. */
function builtModel(models: readonly Model[], name: string): Model | undefined {
  const torch = models.filter((m) => m.framework === 'torch' && m.name === name);
  return torch.find((m) => m.kind === 'torch-module') ?? torch[0];
}

/** Replays a model's construction (with its own `__init__` inits) on `gen`, or throws why it cannot. */
function replayConstruction(model: Model, gen: TorchGenerator, otherDraws: readonly StreamDraw[]): void {
  const skip = gen.skipValues;
  try {
    const params = exactParameters(model, 0, { generator: gen, materialize: () => false, constructionOnly: true, otherDraws });
    const lost = params.find((p) => !p.exact);
    if (lost) throw new Error(lost.reason ?? `${lost.name} is not reproduced`);
  } finally {
    gen.skipValues = skip;
  }
}

type Param = Model['layers'][number]['params'][number];

/** The inits a module-level statement (`at`) runs on a model, in the order PyTorch runs them: modules in registration order, one module's in their written order. */
function ranAtInits(model: Model, at: Span): { readonly name: string; readonly scheme: Param['current']['scheme']; readonly shape: Param['shape'] }[] {
  const out: { name: string; scheme: Param['current']['scheme']; shape: Param['shape']; layer: number; at: number }[] = [];
  model.layers.forEach((layer, i) => {
    for (const p of layer.params) {
      const r = p.current.ranAt;
      if (p.current.source === 'explicit' && r && r.from === at.from && r.to === at.to) out.push({ name: stateDictKey(layer.name, p.name), scheme: p.current.scheme, shape: p.shape, layer: i, at: p.current.at?.from ?? 0 });
    }
  });
  return out.sort((a, b) => a.layer - b.layer || a.at - b.at);
}

/** The module-level init statements of `model` ({@link CurrentInit.ranAt}), distinct, in source order. */
function ranAtStatements(model: Model): Span[] {
  const seen = new Map<string, Span>();
  for (const layer of model.layers) for (const p of layer.params) if (p.current.source === 'explicit' && p.current.ranAt) seen.set(`${p.current.ranAt.from}:${p.current.ranAt.to}`, p.current.ranAt);
  return [...seen.values()].sort((a, b) => a.from - b.from);
}

/** The 1-based line of an offset in `text`, the line starts found once. */
function lineLookup(text: string): (offset: number) => number {
  let starts: number[] | undefined;
  return (offset) => lineAt((starts ??= lineStarts(text)), offset) + 1;
}

/**
 * The document's draws from the torch stream that are not a model's own
 * layers or inits: `torch.randn`/`rand`/`randint`/... calls (the seeding
 * analysis's), in-place random tensor methods (`torch.empty(4).normal_()`) and
 * drawing `nn.init` calls on tensors that are no layer's parameter
 * (`nn.init.trunc_normal_(self.cls_token)`). {@link exactParameters} takes those
 * inside a model's `__init__` ({@link ExactOptions.otherDraws}).
 */
export function torchDraws(doc: Pick<StreamDocument, 'tree' | 'text' | 'seeding' | 'models'>): StreamDraw[] {
  const lineOf = lineLookup(doc.text);
  // Each call's replay reads names in the module's scope at module level (found once, when a call needs it), in none inside a definition.
  const running = runningStatements(doc.tree);
  let module: Scope | undefined;
  const scopeAt = (offset: number): Scope => (running.some((r) => r.from <= offset && offset < r.to) ? (module ??= moduleScope(statements(doc.tree.topNode), doc.text)) : NO_NAMES);
  const refs = doc.seeding.references.filter((r) => r.api.effect === 'draws' && r.qualifiedName.startsWith('torch.'));
  const byCallee = new Map(refs.map((r) => [`${r.from}:${r.to}`, r] as const));
  const out: StreamDraw[] = [];
  // The inits InitLens reads as a layer parameter's are replayed as such.
  // (An explicit init's span is its call's.)
  const known = new Set<number>();
  for (const m of doc.models.models) for (const l of m.layers) for (const p of l.params) if (p.current.source === 'explicit' && p.current.at) known.add(p.current.at.from);
  const imports = collectImports(doc.tree, doc.text);
  for (const call of descendants(doc.tree.topNode, 'CallExpression')) {
    const callee = call.firstChild;
    if (!callee) continue;
    const ref = byCallee.get(`${callee.from}:${callee.to}`);
    if (ref) {
      byCallee.delete(`${callee.from}:${callee.to}`);
      out.push({ offset: ref.from, label: `${ref.qualifiedName} (line ${ref.line + 1})`, ...factoryReplay(ref.qualifiedName, call, doc.text, scopeAt(call.from)), sampled: (shape) => shapedSample(ref.qualifiedName, call, doc.text, shape) });
      continue;
    }
    if (callee.name !== 'MemberExpression') continue;
    const method = callee.lastChild;
    const name = method?.name === 'PropertyName' ? doc.text.slice(method.from, method.to) : '';
    const dotted = dottedName(callee, doc.text);
    const q = dotted ? qualify(dotted, imports) : undefined;
    const init = q?.startsWith('torch.nn.init.') ? q.slice('torch.nn.init.'.length).replace(/_$/, '') : undefined;
    const label = init !== undefined && DRAWING_INITS.has(init) ? `torch.nn.init.${init}_` : !init && !q?.startsWith('torch.nn.init.') && DRAWING_METHODS.has(name) ? `.${name}()` : undefined;
    if (!label || known.has(call.from)) continue;
    const replay = label.startsWith('.') ? methodReplay(name, call, doc.text, scopeAt(call.from)) : undefined;
    out.push({ offset: call.from, label: `${label} (line ${lineOf(call.from)})`, ...replay, ...(replay ? { sampled: (shape: readonly number[]) => shapedSample(undefined, call, doc.text, shape) } : {}) });
  }
  // A reference whose call the tree does not show (a name used without a call) is a draw InitLens cannot replay.
  for (const r of byCallee.values()) out.push({ offset: r.from, label: `${r.qualifiedName} (line ${r.line + 1})` });
  return out.sort((a, b) => a.offset - b.offset);
}

/** The scope of a draw inside a definition: no names (its parameters and locals may shadow the module's). */
const NO_NAMES: Scope = new Map();

/** What {@link moduleDraws} reads of a document, found once per {@link streamDraws}. */
interface ModuleFound {
  readonly constructions: readonly Construction[];
  /** {@link torchDraws}. */
  readonly inner: readonly StreamDraw[];
  readonly lineOf: (offset: number) => number;
  /** {@link runningStatements}. */
  readonly running: readonly Span[];
}

/**
 * The draws from the stream of the document's top-level statements in
 * [from, to): other models' constructions (replayed from their analysis),
 * the inits statements run on other models, torch draws and re-seeds.
 */
function moduleDraws(model: Model, doc: StreamDocument, found: ModuleFound, from: number, to: number, skip: Construction | undefined): StreamDraw[] {
  const out: StreamDraw[] = [];
  const others = doc.models.models;
  const { constructions, inner, lineOf } = found;
  for (const c of constructions) {
    if (c === skip || c.from < from || c.from >= to) continue;
    const built = builtModel(others, c.model);
    const label = `${c.model}(...) (line ${lineOf(c.from)})`;
    out.push({ offset: c.from, label, ...(built ? { replay: (gen: TorchGenerator) => replayConstruction(built, gen, inner) } : {}) });
  }
  for (const other of others) {
    // The model's own inits run as its own (a composite's model is another object of the same name).
    if (other === model || other.name === model.name || other.framework !== 'torch') continue;
    for (const at of ranAtStatements(other)) {
      if (at.from < from || at.from >= to) continue;
      const inits = ranAtInits(other, at);
      out.push({
        offset: at.from,
        label: `${doc.text.slice(at.from, at.to).trim().slice(0, 60)} (line ${lineOf(at.from)})`,
        replay: (gen) => {
          const skipValues = gen.skipValues;
          gen.skipValues = true;
          try {
            for (const i of inits) {
              if (!i.scheme) throw new Error(`the init of ${other.name}'s ${i.name} is not resolved`);
              if (!i.shape.every((d) => typeof d === 'number')) throw new Error(`${other.name}'s ${i.name} has an unknown size`);
              initTensor(gen, i.scheme, i.shape as number[]);
            }
          } finally {
            gen.skipValues = skipValues;
          }
        },
      });
    }
  }
  const atTop = (offset: number) => found.running.some((s) => s.from <= offset && offset < s.to);
  for (const d of inner) if (d.offset >= from && d.offset < to && atTop(d.offset)) out.push(d);
  for (const r of doc.seeding.references) {
    if (r.from < from || r.from >= to || !atTop(r.from) || r.api.effect !== 'seeds' || !r.qualifiedName.startsWith('torch.')) continue;
    out.push({ offset: r.from, label: `${r.qualifiedName} (line ${r.line + 1})`, reason: 'it seeds the stream again' });
  }
  return out.sort((a, b) => a.offset - b.offset);
}

/**
 * What {@link exactParameters} needs to know of the document's other draws for
 * `model`: those inside its `__init__`, those between `seed` (the document's
 * `torch.manual_seed`; absent: seeded right before the model is built, as the
 * Signal view does) and its construction, and those between its construction
 * and the inits module-level statements run on it.
 */
export function streamDraws(model: Model, seed: { readonly from: number; readonly built: number } | undefined, doc: StreamDocument): StreamOptions {
  const library = libraryDraws(doc.models.libraryModels);
  const own = (d: StreamDraw) => drawsInside(model, d.offset);
  const late = ranAtStatements(model);
  const constructions = seed !== undefined || late.length > 0 ? moduleConstructions(doc.tree, doc.text, doc.models.models) : [];
  const inner = torchDraws(doc);
  const found: ModuleFound = { constructions, inner, lineOf: lineLookup(doc.text), running: runningStatements(doc.tree) };
  // The model's own construction: the first after the seed's view of where it is built.
  const built = seed?.built ?? model.span.from;
  const self = constructions.find((c) => c.model === model.name && c.from >= (seed ? built : 0));
  const preceding = seed
    ? [
        ...library.filter((d) => !own(d) && d.offset > seed.from && d.offset < seed.built && !(model.span.from <= d.offset && d.offset < model.span.to)),
        ...moduleDraws(model, doc, found, seed.from + 1, self?.from ?? seed.built, self).filter((d) => !library.some((l) => l.offset === d.offset)),
        ...unfollowed(model, doc, found, seed.from + 1, seed.built).filter((d) => !own(d) && !(model.span.from <= d.offset && d.offset < model.span.to)),
      ]
    : [];
  const end = late.length > 0 ? late[late.length - 1].from : 0;
  const start = self?.to ?? built;
  const between = end > start ? [...moduleDraws(model, doc, found, start, end, self), ...library.filter((d) => d.offset >= start && d.offset < end)] : [];
  return {
    otherDraws: [...inner, ...library.filter(own)],
    preceding: preceding.sort((a, b) => a.offset - b.offset),
    between: between.sort((a, b) => a.offset - b.offset),
  };
}

/**
 * The torch draws in [from, to) that may run there but that InitLens does not
 * follow: in a block (`if __name__ == "__main__":`, a loop) or a function of
 * the module, which may be called before the model is built. A class's body
 * is not among them: it draws when the class is built ({@link moduleDraws}
 * replays the constructions it sees). Each loses the stream, saying why.
 */
function unfollowed(model: Model, doc: StreamDocument, found: ModuleFound, from: number, to: number): StreamDraw[] {
  const top = statements(doc.tree.topNode);
  // Only the statements that overlap [from, to) are searched for names and calls.
  const overlapping = top.filter((s) => s.to > from && s.from < to);
  const classes = top.filter((s) => s.name === 'ClassDefinition' || (s.name === 'DecoratedStatement' && !!s.getChild('ClassDefinition')));
  const { running, lineOf } = found;
  const within = (spans: readonly Span[], offset: number) => spans.some((s) => s.from <= offset && offset < s.to);
  // A function of the module runs there only if something there names it (a call, or the function passed on).
  const functions = top.flatMap((s) => {
    const def = s.name === 'FunctionDefinition' ? s : s.name === 'DecoratedStatement' ? s.getChild('FunctionDefinition') : null;
    const name = def?.getChild('VariableName');
    return def && name ? [{ from: s.from, to: s.to, name: doc.text.slice(name.from, name.to) }] : [];
  });
  const named = new Set<string>();
  if (functions.length > 0) {
    const names = new Set(functions.map((f) => f.name));
    for (const v of overlapping.flatMap((s) => [...descendants(s, 'VariableName')])) {
      const text = doc.text.slice(v.from, v.to);
      if (v.from >= from && v.from < to && names.has(text) && !functions.some((f) => f.name === text && f.from <= v.from && v.from < f.to)) named.add(text);
    }
  }
  const idle = (offset: number) => functions.some((f) => f.from <= offset && offset < f.to && !named.has(f.name));
  const followed = (offset: number) => offset < from || offset >= to || within(running, offset) || within(classes, offset) || idle(offset);
  const why = 'it is inside a block or function, which InitLens does not follow: it may run before the model is built';
  const out: StreamDraw[] = doc.seeding.references
    .filter((r) => r.api.effect === 'draws' && r.qualifiedName.startsWith('torch.') && !followed(r.from))
    .map((r) => ({ offset: r.from, label: `${r.qualifiedName} (line ${r.line + 1})`, reason: why }));
  // The file's other classes built there draw their layers, too.
  const others = new Set(doc.models.models.filter((m) => m.framework === 'torch' && m.kind === 'torch-module' && m.name !== model.name).map((m) => m.name));
  if (others.size === 0) return out;
  for (const call of overlapping.flatMap((s) => [...descendants(s, 'CallExpression')])) {
    const callee = call.firstChild;
    if (callee?.name !== 'VariableName' || followed(call.from) || !others.has(doc.text.slice(callee.from, callee.to))) continue;
    out.push({ offset: call.from, label: `${doc.text.slice(callee.from, callee.to)}(...) (line ${lineOf(call.from)})`, reason: why });
  }
  return out;
}

/** What the hover says about exact values: a status line and a few values per parameter. */
export interface ExactSection {
  readonly status: string;
  readonly params: readonly ExactParameter[];
}

/**
 * Exact values for one layer, computed only when the file seeds with
 * `torch.manual_seed(<int literal>)` before the model is built and the model
 * is not too large to reach in a hover. Undefined when there is no seed, and
 * for a layer with size problems (its hover shows them instead of numbers).
 */
export function exactSection(model: Model, layer: Layer, doc: StreamDocument): ExactSection | undefined {
  if (model.framework !== 'torch' || layer.problems) return undefined;
  const found = findTorchSeed(model, doc.text, doc.seeding);
  if (!('seed' in found)) return found.reason.startsWith('no torch.manual_seed') ? undefined : { status: `distribution only: ${found.reason}`, params: [] };
  try {
    const params = exactParameters(model, found.seed, {
      materialize: (name) => name === layer.name,
      ...streamDraws(model, found, doc),
      through: layer.name,
      limits: { values: 'hoverLayerValues', words: 'hoverStreamWords' },
    }).filter((p) => p.layer === layer.name);
    const allExact = params.length > 0 && params.every((p) => p.exact);
    return { status: allExact ? `exact (PyTorch CPU, seed ${found.seed})` : `seed ${found.seed}; distribution only where marked`, params };
  } catch (error) {
    if (error instanceof LimitError) return { status: `exact values not shown: ${error.message} (use \`initlens model --torch-exact\`)`, params: [] };
    return { status: `distribution only: ${error instanceof Error ? error.message : String(error)}`, params: [] };
  }
}

