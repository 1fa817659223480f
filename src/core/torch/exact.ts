/**
 * Exact mode for whole models: the float32 values PyTorch's CPU generator
 * gives every parameter of a model built right after `torch.manual_seed(seed)`
 * (spec §8: construction order, one continuing stream, then the explicit
 * `nn.init` calls), each labelled exact or "distribution only" with the reason.
 * Also the single-tensor entry point {@link exactTensor} and how a document
 * seeds the model ({@link findTorchSeed}).
 */
import type { InitScheme } from '../init/schemes';
import type { Value } from '../model/evaluate';
import type { Layer, Model, Span, TorchParameter } from '../model/types';
import type { SeedingAnalysis } from '../seeding/analyze';
import { checkLimit, LimitError, type LimitKey } from '../limits';
import { isTorchSeed } from '../seeds';
import { TorchGenerator } from './generator';
import { bulkKernels } from './kernels';
import { ExactInitError, initTensor, type ExactTensor } from './init';
import { moduleParameters, type ExactParam, type ModuleArgs } from './modules';
import { libraryReplay } from './libraryModels';
import type { LibraryModelUse } from '../model/pretrained';
import { stateDictKey } from '../model/layer';
import { drawsAt } from '../model/encoderStack';

/** One parameter of a model as PyTorch would initialize it. */
export interface ExactParameter {
  /** `state_dict()` key (`features.0.weight`). */
  readonly name: string;
  /** The layer (`named_modules()` name) it belongs to. */
  readonly layer: string;
  /** Known dims; empty when the shape is unknown. */
  readonly shape: readonly number[];
  /** Row-major values; empty when not computed (unknown shape, or not requested). */
  readonly values: Float32Array;
  /** True when every bit matches PyTorch 1.13 CPU (AVX2 kernels) per the spec's verified rules. */
  readonly exact: boolean;
  /** Why the values are "distribution only" (set when `exact` is false). */
  readonly reason?: string;
}

export interface ExactOptions {
  /**
   * Which layers' values to compute (by layer name); the others only advance
   * the stream, which is much cheaper. Default: all.
   */
  readonly materialize?: (layer: string) => boolean;
  /**
   * Other draws from the torch CPU stream inside the model's `__init__`
   * (`torch.randn(...)` for an `nn.Parameter`): offsets into the document. A
   * layer built after one of them is "distribution only".
   */
  readonly otherDraws?: readonly StreamDraw[];
  /**
   * Draws between the seed and where the model is built, outside it (`model = resnet18(weights=...)`
   * before `model.fc = nn.Linear(512, 10)`): replayed before the first layer, or the stream is lost.
   */
  readonly preceding?: readonly StreamDraw[];
  /**
   * The one layer whose values are wanted: when no explicit init touches it,
   * construction stops after it, so later layers (of any size) cost nothing.
   */
  readonly through?: string;
  /**
   * Bounds checked before each layer is drawn: the values computed (all
   * materialized layers together) and the words drawn or skipped. Above them
   * the call throws {@link LimitError}. Default: unbounded.
   */
  readonly limits?: { readonly values: LimitKey; readonly words: LimitKey };
  /**
   * Draws at module level after the model is built and before the inits that run there
   * ({@link CurrentInit.ranAt}: `discriminator = Discriminator()` before `generator.apply(fn)`):
   * replayed in order before the first such init that follows them, or the stream is lost.
   */
  readonly between?: readonly StreamDraw[];
  /** Draw on this generator, where it stands, instead of a fresh one seeded with `seed` (replaying another model's construction). */
  readonly generator?: TorchGenerator;
  /** Construction only: the inits that run at module level afterwards ({@link CurrentInit.ranAt}) are left out. */
  readonly constructionOnly?: boolean;
  /**
   * A composite model's construction (signal/composite.ts's `constructionOrder`): where
   * each layer is drawn and where each draw of an `__init__` at the given offsets runs
   * (once per instance of its class). Without it, the model's draws are those inside its
   * own `__init__`, placed by their offsets among its layers'.
   */
  readonly construction?: (offsets: readonly number[]) => PlacedConstruction;
  /** Receives the values of each `nn.Parameter` member as built (the draws inside its tensor, where its shape is known), once construction is done. */
  readonly onParameter?: (member: ExactMember) => void;
}

/** {@link ExactOptions.construction}: positions in the construction stream. */
export interface PlacedConstruction {
  readonly layerAt: ReadonlyMap<string, number>;
  /** The instance (its path) that builds each layer itself. */
  readonly instanceOf: ReadonlyMap<string, string>;
  /** `ambiguous`: why the draw cannot be placed (it then loses the stream); `param`: the parameter member whose tensor it draws, an index of `parameters`. */
  readonly draws: readonly { readonly offset: number; readonly at: number; readonly ambiguous?: string; readonly param?: number }[];
  /** Every instance's `nn.Parameter` members, named from the root (`transformer.0.gamma`). */
  readonly parameters: readonly TorchParameter[];
}

/** The values of a model's `nn.Parameter` members as built ({@link ExactOptions.onParameter}); `values` empty when not known. */
export interface ExactMember {
  readonly name: string;
  readonly shape: readonly number[];
  readonly values: Float32Array;
  readonly exact: boolean;
  readonly reason?: string;
}

/** The document's draws around a model, as {@link ExactOptions} takes them (src/core/torch/program.ts's `streamDraws`). */
export type StreamOptions = Pick<ExactOptions, 'otherDraws' | 'preceding' | 'between'>;

/**
 * A draw from the torch stream that is not a layer of the model: a `torch.randn(...)`, or a library
 * constructor (`torchvision.models.resnet18(...)`), which `replay` reproduces when InitLens knows it.
 */
export interface StreamDraw {
  readonly offset: number;
  readonly label: string;
  /** Advances the generator exactly as the draw does; absent: the stream position after it is unknown. */
  readonly replay?: (gen: TorchGenerator) => void;
  /** Why there is no replay, when the draw is a library constructor. */
  readonly reason?: string;
  /** Its values for a shape the analysis gives (an `nn.Parameter`'s tensor in one instance's context), drawn as it draws them; a string says why not. */
  readonly sampled?: (shape: readonly number[]) => ((gen: TorchGenerator) => Float32Array) | string;
}

/** The values of one `torch.nn.init` scheme on a fresh tensor right after `torch.manual_seed(seed)`. */
export function exactTensor(scheme: InitScheme, shape: readonly number[], seed: bigint | number): ExactTensor {
  return initTensor(new TorchGenerator(BigInt(seed)), scheme, shape);
}

const inside = (s: Span | undefined, offset: number) => !!s && s.from <= offset && offset < s.to;

/** Whether a draw at `offset` happens while `model` is built: in a Sequential's call, or in a class's `__init__`. */
export function drawsInside(model: Model, offset: number): boolean {
  return model.kind === 'torch-sequential' ? inside(model.span, offset) : inside(model.torch?.init, offset);
}

/** A layer's analysed arguments as plain values (symbolic dims become undefined). */
function plainArgs(layer: Layer): ModuleArgs {
  const out: Record<string, Value | undefined> = {};
  for (const [key, v] of layer.args) {
    out[key] = v !== null && typeof v === 'object' && !Array.isArray(v) ? undefined : (v as Value | undefined);
  }
  return out;
}

interface InitEvent {
  readonly layer: number;
  readonly param: string;
  readonly ranAt?: Span;
  /** Earlier init calls that drew into the same tensor (only the last write is replayed). */
  readonly earlier?: readonly string[];
  readonly scheme: InitScheme | null | undefined;
  readonly at: Span;
  readonly label: string;
}

/**
 * Every parameter of a PyTorch `model` as built right after
 * `torch.manual_seed(seed)`, in `named_parameters()` order per layer, layers
 * in construction order. Keras models throw {@link ExactInitError}.
 *
 * What is exact: module defaults and the explicit inits whose order is clear
 * (calls written one by one, or one loop/`apply` function over the modules).
 * What is not: trunc_normal_ and orthogonal_ (see their reasons); layers with
 * unknown sizes and everything drawn after them; anything after another draw
 * in `__init__`; explicit inits whose order cannot be told.
 */
export function exactParameters(model: Model, seed: bigint | number, options: ExactOptions = {}): ExactParameter[] {
  if (model.framework !== 'torch') throw new ExactInitError('exact mode reproduces PyTorch CPU initialization only');
  const gen = options.generator ?? new TorchGenerator(BigInt(seed));
  const initSpan = model.torch?.init;
  const placing = options.construction;
  let draws: (StreamDraw & { readonly param?: number })[] = [...(options.otherDraws ?? [])].filter((d) => placing || drawsInside(model, d.offset));
  let lost: string | undefined;
  // The nn.Parameter members (a composite's: every instance's, from the placement below) and the values their draws give.
  let members: readonly TorchParameter[] = placing ? [] : model.torch?.parameters ?? [];
  const memberValues = new Map<number, ExactMember>();
  const memberOf = (offset: number) => members.findIndex((m) => m.span.from <= offset && offset < m.span.to);
  // Draw one after another: a replayable one advances the stream, any other loses it.
  const consume = (d: StreamDraw & { readonly param?: number }, before: string, happens = 'is built') => {
    const m = d.param ?? (placing ? -1 : memberOf(d.offset));
    if (m >= 0 && !memberValues.has(m)) {
      // A member's tensor: its values, for the shape of its instance, drawn as the call draws them.
      const member = members[m];
      const sampler = !member.shape ? 'its shape is not known here' : d.sampled ? d.sampled(member.shape) : 'its draw is not replayed';
      if (typeof sampler !== 'string') {
        const shape = member.shape as readonly number[];
        try {
          const values = withSteps(sampler(gen), member.steps);
          if (!values) memberValues.set(m, { name: member.name, shape, values: new Float32Array(0), exact: false, reason: `${member.name}: InitLens does not compute the arithmetic around its draw` });
          else memberValues.set(m, { name: member.name, shape, values, exact: !lost && !member.rewritten, ...(lost || member.rewritten ? { reason: lost ?? member.rewritten } : {}) });
          return;
        } catch (error) {
          if (error instanceof LimitError) throw error.subject ? error : new LimitError(error.limit, error.amount, member.name);
          lost ??= `${d.label}: ${error instanceof Error ? error.message : String(error)}, so the stream position after it is unknown`;
          return;
        }
      }
      memberValues.set(m, { name: member.name, shape: member.shape ?? [], values: new Float32Array(0), exact: false, reason: `${member.name}: ${sampler}` });
    }
    if (lost) return;
    if (!d.replay) {
      lost = `${d.label} draws from the same stream before ${before} ${happens}${d.reason ? `: ${d.reason}` : ''}`;
      return;
    }
    try {
      d.replay(gen);
    } catch (error) {
      if (error instanceof LimitError) throw error.subject ? error : new LimitError(error.limit, error.amount, d.label);
      lost = `${d.label}: ${error instanceof Error ? error.message : String(error)}, so the stream position after it is unknown`;
    }
  };
  // A class built inside another draws where its builder's construction is in the stream.
  const builder = model.contexts?.find((c) => c.builtBy)?.builtBy;
  if (builder) lost = `${model.name} is built inside ${builder}: its values depend on where ${builder}'s construction is in the stream (exact mode replays one class at a time)`;
  // The classes it builds draw from the same stream, and InitLens does not replay them inside it.
  for (const sub of model.submodules ?? []) draws.push({ offset: sub.span.from, label: `${sub.className}(...) (a class of this file, whose own layers are not replayed here)` });
  draws.sort((a, b) => a.offset - b.offset);
  const perLayer: ExactParam[][] = [];
  const all = model.layers.filter((l) => !inForward(l));
  const target = all.find((l) => l.name === options.through);
  // Layers whose draws come before their own call (an nn.TransformerEncoder's encoder layer, built earlier: model/encoderStack.ts),
  // compared with the layers their instance builds itself (one class's text).
  const drawnFirst = all.filter((l) => drawsAt(l) !== l.span.from);
  let placed: PlacedConstruction | undefined;
  const sameClass = (a: Layer, b: Layer) => !placed || placed.instanceOf.get(a.name) === placed.instanceOf.get(b.name);
  const drawsBefore = (a: Layer, b: Layer) => sameClass(a, b) && drawsAt(a) < drawsAt(b);
  const drawnLater = target && drawnFirst.some((l) => all.indexOf(l) > all.indexOf(target) && drawsBefore(l, target));
  const layers = target && !drawnLater && !target.params.some((p) => p.current.source === 'explicit') ? all.slice(0, all.indexOf(target) + 1) : all;
  if (!options.generator) gen.budget = options.limits?.words;
  // Inits written in __init__ before a later constructor run there, in the stream.
  const inits = initEvents(layers);
  const early = earlyInits(inits.inClass, layers, initSpan, gen, perLayer, options);
  draws.push(...early.draws);
  draws.sort((a, b) => a.offset - b.offset);
  if (placing) {
    // A composite: each draw where (and as often as) its instances run it, in the stream's positions.
    placed = placing(draws.map((d) => d.offset));
    members = placed.parameters;
    const byOffset = new Map(draws.map((d) => [d.offset, d] as const));
    draws = placed.draws.flatMap((p) => {
      const d = byOffset.get(p.offset);
      return d ? [{ ...d, offset: p.at, ...(p.ambiguous ? { replay: undefined, sampled: undefined, reason: p.ambiguous } : {}), ...(p.param !== undefined ? { param: p.param } : {}) }] : [];
    });
  }
  const streamAt = (layer: Layer) => (placed ? placed.layerAt.get(layer.name) ?? Number.MAX_SAFE_INTEGER : drawsAt(layer));
  for (const d of [...(options.preceding ?? [])].sort((a, b) => a.offset - b.offset)) consume(d, model.name);
  let materialized = 0;
  let next = 0;
  const drawnEarly = new Map<Layer, ExactParam[]>();
  const draw = (layer: Layer): ExactParam[] => {
    while (next < draws.length && draws[next].offset < streamAt(layer)) consume(draws[next++], layer.name);
    gen.skipValues = options.materialize ? !options.materialize(layer.name) : false;
    if (options.limits && !gen.skipValues && typeof layer.paramCount === 'number') {
      materialized += layer.paramCount;
      checkLimit(options.limits.values, materialized, `${layer.name} (${layer.type})`);
    }
    let params: ExactParam[];
    try {
      if (layer.problems) throw new ExactInitError(layer.problems[0].message);
      params = moduleParameters(gen, layer.type, plainArgs(layer));
    } catch (error) {
      if (error instanceof LimitError) throw error.subject ? error : new LimitError(error.limit, error.amount, `${layer.name} (${layer.type})`);
      const why = error instanceof Error ? error.message : String(error);
      lost ??= `${layer.name} (${layer.type}): ${why}, so the stream position after it is unknown`;
      params = layer.params.map((p) => ({ name: p.name, shape: p.shape.every((d) => typeof d === 'number') ? (p.shape as number[]) : [], values: new Float32Array(0), exact: false, reason: `${layer.name}: ${why}` }));
    }
    return params.map((p) => (lost && p.exact ? { ...p, exact: false, reason: lost } : p));
  };
  for (const layer of layers) {
    // A later layer whose draws come first (in source order, where it is built) is drawn first.
    for (const e of drawnFirst) if (!drawnEarly.has(e) && layers.indexOf(e) > layers.indexOf(layer) && drawsBefore(e, layer)) drawnEarly.set(e, draw(e));
    perLayer.push(drawnEarly.get(layer) ?? draw(layer));
  }
  // An early init the loss kept from running left its tensor as constructed: not what PyTorch gives.
  for (const e of early.events) {
    if (early.ran.has(e)) continue;
    const params = perLayer[e.layer];
    const index = params?.findIndex((x) => x.name === e.param) ?? -1;
    if (index >= 0) params[index] = { ...params[index], exact: false, reason: lost ?? `${e.label} was not replayed` };
  }
  const subLost = model.submodules?.length ? `${model.submodules[0].className}(...) draws from the same stream before these inits run, and InitLens does not replay it here` : undefined;
  if (layers === all && next < draws.length) {
    // Draws of __init__ after its last layer (a member written last) come before the inits written after them.
    const pending = inits.inClass.filter((e) => !early.events.includes(e));
    const first = Math.min(...pending.map((e) => e.at.from));
    const trailing = draws.slice(next);
    next = draws.length;
    const ordered = pending.length === 0 || (!placed && trailing.every((d) => d.offset < first));
    for (const d of trailing) {
      if (!ordered && !lost) lost = `${d.label} draws after the last layer is built, among the nn.init calls of __init__, which InitLens does not order`;
      consume(d, 'construction ends', 'ends');
    }
  }
  if (layers === all) {
    // The module-level draws after construction, consumed in order as the inits that run there come.
    const between = [...(options.between ?? [])].sort((a, b) => a.offset - b.offset);
    let nextBetween = 0;
    const advance = (offset: number, before: string) => {
      while (nextBetween < between.length && between[nextBetween].offset < offset) consume(between[nextBetween++], before, 'runs');
      return lost;
    };
    applyExplicitInits(gen, layers, perLayer, lost ?? subLost, options, advance, inits, new Set(early.events));
  }
  if (options.onParameter && layers === all) {
    members.forEach((member, i) => {
      const drawn = memberValues.get(i);
      const filled = !drawn && member.fill !== undefined && member.shape ? withSteps(new Float32Array(member.shape.reduce((a, b) => a * b, 1)).fill(member.fill), member.steps) : undefined;
      if (drawn) options.onParameter?.(drawn);
      else if (filled && member.shape) options.onParameter?.({ name: member.name, shape: member.shape, values: filled, exact: !member.rewritten, ...(member.rewritten ? { reason: member.rewritten } : {}) });
      else options.onParameter?.({ name: member.name, shape: member.shape ?? [], values: new Float32Array(0), exact: false, reason: member.rewritten ?? (member.shape ? 'InitLens does not know how its tensor is made' : 'its shape is not known here') });
    });
  }
  return perLayer.flatMap((params, i) =>
    params.map((p) => ({ name: stateDictKey(layers[i].name, p.name), layer: layers[i].name, shape: p.shape, values: p.values, exact: p.exact, ...(p.exact ? {} : { reason: p.reason ?? 'not reproduced' }) })),
  );
}

/** `values` through a member's arithmetic with numbers, each step elementwise in float32 as PyTorch's; undefined for arithmetic InitLens does not compute. */
function withSteps(values: Float32Array, steps: TorchParameter['steps']): Float32Array | undefined {
  if (!steps) return values;
  for (const step of steps) {
    if (step.op === 'unknown') return undefined;
    const s = Math.fround(step.value);
    for (let i = 0; i < values.length; i++) {
      const [a, b] = step.scalarLeft ? [s, values[i]] : [values[i], s];
      values[i] = step.op === '+' ? a + b : step.op === '-' ? a - b : step.op === '*' ? a * b : a / b;
    }
  }
  return values;
}

/** Layers created in `forward()` (named `forward.inline<N>` by the analysis) are not built by the constructor, nor in `state_dict()`. */
function inForward(layer: Layer): boolean {
  return layer.name.startsWith('forward.');
}

/**
 * The explicit `nn.init` calls, after construction. Calls written one per
 * parameter run in source order; a span shared by several parameters is a
 * loop or an `apply` function, which visits modules in registration order.
 * Calls inside `__init__` between two constructors run between them.
 */
/** The explicit inits of `layers`' parameters: those run in the class (construction, then its inits) and those module-level statements run afterwards. */
function initEvents(layers: readonly Layer[]): { readonly inClass: InitEvent[]; readonly late: InitEvent[] } {
  const inClass: InitEvent[] = [];
  const late: InitEvent[] = [];
  layers.forEach((layer, i) => {
    for (const p of layer.params) {
      if (p.current.source !== 'explicit' || !p.current.at) continue;
      const e = { layer: i, param: p.name, scheme: p.current.scheme, at: p.current.at, label: p.current.label, ...(p.current.ranAt ? { ranAt: p.current.ranAt } : {}), ...(p.current.earlier ? { earlier: p.current.earlier } : {}) };
      (e.ranAt ? late : inClass).push(e);
    }
  });
  return { inClass, late };
}

/** Events by whether their call writes one parameter (a call written for it) or several (a loop, an `apply` function). */
function bySpan(events: readonly InitEvent[]): { readonly single: InitEvent[]; readonly shared: InitEvent[] } {
  const key = (s: Span) => `${s.from}:${s.to}`;
  const uses = new Map<string, number>();
  for (const e of events) uses.set(key(e.at), (uses.get(key(e.at)) ?? 0) + 1);
  return { single: events.filter((e) => uses.get(key(e.at)) === 1), shared: events.filter((e) => (uses.get(key(e.at)) ?? 0) > 1) };
}

/** Draws `e`'s init into its parameter's slot (values, exact as the stream and the scheme allow). */
function drawInit(gen: TorchGenerator, layers: readonly Layer[], perLayer: ExactParam[][], e: InitEvent, lost: string | undefined, options: ExactOptions): string | undefined {
  const params = perLayer[e.layer];
  const index = params ? params.findIndex((p) => p.name === e.param) : -1;
  const target = params?.[index];
  const skip = gen.skipValues;
  gen.skipValues = options.materialize ? !options.materialize(layers[e.layer].name) : false;
  try {
    if (!target || e.scheme === null || e.scheme === undefined || (target.shape.length === 0 && target.values.length === 0 && !target.exact)) {
      lost ??= `${stateDictKey(layers[e.layer].name, e.param)}: ${e.label} could not be resolved`;
      if (target) params[index] = { ...target, exact: false, reason: lost };
      return lost;
    }
    try {
      const t = initTensor(gen, e.scheme, target.shape);
      const exact = !lost && target.exact !== false && t.exact;
      params[index] = { ...target, values: t.values, exact, ...(exact ? {} : { reason: lost ?? t.reason ?? target.reason }) };
    } catch (error) {
      if (error instanceof LimitError) throw error;
      lost ??= `${stateDictKey(layers[e.layer].name, e.param)}: ${error instanceof Error ? error.message : String(error)}`;
      params[index] = { ...target, exact: false, reason: lost };
    }
    return lost;
  } finally {
    gen.skipValues = skip;
  }
}

/**
 * The inits written in `__init__` before a later constructor there, as draws
 * of the construction stream at their place: a call written for one parameter
 * is replayed there (`nn.init.normal_(self.a.weight)` before `self.b = ...`);
 * a loop before a later constructor loses the stream (InitLens does not order it).
 */
function earlyInits(inClass: readonly InitEvent[], layers: readonly Layer[], initSpan: Span | undefined, gen: TorchGenerator, perLayer: ExactParam[][], options: ExactOptions): { readonly draws: StreamDraw[]; readonly events: InitEvent[]; readonly ran: Set<InitEvent> } {
  const { single, shared } = bySpan(inClass);
  const ran = new Set<InitEvent>();
  const beforeLater = (e: InitEvent) => inside(initSpan, e.at.from) && layers.some((l) => inside(initSpan, l.span.from) && l.span.from > e.at.from);
  const events = single.filter(beforeLater);
  const draws: StreamDraw[] = events.map((e) => ({
    offset: e.at.from,
    label: `${e.label} on ${stateDictKey(layers[e.layer].name, e.param)}`,
    // A tensor written twice drew twice: InitLens replays the last write only.
    ...(e.earlier ? { reason: `it is initialized more than once (${[...e.earlier, e.label].join(', then ')}), and InitLens replays the last call only` } : {}),
    replay: e.earlier ? undefined : () => {
      const lost = drawInit(gen, layers, perLayer, e, undefined, options);
      ran.add(e);
      if (lost) throw new Error(lost);
    },
  }));
  const loop = shared.find(beforeLater);
  if (loop) draws.push({ offset: loop.at.from, label: `the ${loop.label} loop in __init__`, reason: 'it runs between constructors, which InitLens does not order yet' });
  return { draws, events, ran };
}

/**
 * The explicit `nn.init` calls, after construction (those {@link earlyInits} ran, `done`, aside).
 * Calls written one per parameter run in source order; a span shared by several parameters is a
 * loop or an `apply` function, which visits modules in registration order. Then the
 * module-level statements' inits, each after the draws before it (`advance`).
 */
function applyExplicitInits(gen: TorchGenerator, layers: readonly Layer[], perLayer: ExactParam[][], lostBefore: string | undefined, options: ExactOptions, advance: (offset: number, before: string) => string | undefined, all: ReturnType<typeof initEvents>, done: ReadonlySet<InitEvent>): void {
  const events = all.inClass.filter((e) => !done.has(e));
  const late = options.constructionOnly ? [] : all.late;
  if (events.length === 0 && late.length === 0) return;
  const { single, shared } = bySpan(events);
  let lost = lostBefore;
  if (shared.length > 0 && single.length > 0) lost ??= 'the order of the nn.init loop/apply and the single nn.init calls could not be told';
  // A tensor written twice drew twice: InitLens replays the last write only.
  const twice = [...events, ...late].find((e) => e.earlier);
  if (twice) lost ??= `${stateDictKey(layers[twice.layer].name, twice.param)} is initialized more than once (${[...(twice.earlier ?? []), twice.label].join(', then ')}), and InitLens replays the last call only`;
  const ordered = [
    ...single.sort((a, b) => a.at.from - b.at.from),
    ...shared.sort((a, b) => a.layer - b.layer || a.at.from - b.at.from),
    // Then the module-level statements, in source order (an `apply` visits modules in registration order).
    ...late.sort((a, b) => (a.ranAt?.from ?? 0) - (b.ranAt?.from ?? 0) || a.layer - b.layer || a.at.from - b.at.from),
  ];
  for (const e of ordered) {
    // What the module's code draws before this statement runs, after the model was built.
    if (e.ranAt) lost ??= advance(e.ranAt.from, `${stateDictKey(layers[e.layer].name, e.param)}'s ${e.label}`);
    lost = drawInit(gen, layers, perLayer, e, lost, options);
  }
  // Everything drawn after the stream was lost is distribution only.
  if (lost && !lostBefore) {
    for (const params of perLayer) {
      params.forEach((p, i) => {
        const written = ordered.some((e) => perLayer[e.layer] === params && e.param === p.name);
        if (written && p.exact) params[i] = { ...p, exact: false, reason: lost };
      });
    }
  }
}

/** The seed a document gives a model, or why there is none. */
export type TorchSeed = { readonly seed: bigint; readonly line: number; readonly from: number; readonly built: number } | { readonly reason: string };

/**
 * `torch.manual_seed(<int literal>)` before the model is built: the last such
 * call before the first `Name(` after the class (a `Sequential` is built where
 * it is written). What draws between them is for the caller to replay
 * (program.ts's `streamDraws`).
 */
export function findTorchSeed(model: Model, text: string, seeding: SeedingAnalysis): TorchSeed {
  if (model.framework !== 'torch') return { reason: 'exact mode reproduces PyTorch only' };
  let built = model.span.from;
  if (model.kind === 'torch-module') {
    const re = new RegExp(`(?<![\\w.])${model.name.replace(/[^\w]/g, '')}\\s*\\(`, 'g');
    re.lastIndex = model.span.to;
    const m = re.exec(text);
    if (!m) return { reason: `no \`${model.name}(...)\` call after the class, so InitLens cannot tell which seed builds it` };
    built = m.index;
  }
  const seeds = seeding.references.filter((r) => (r.qualifiedName === 'torch.manual_seed' || r.qualifiedName === 'torch.random.manual_seed') && r.from < built);
  const last = seeds[seeds.length - 1];
  if (!last) return { reason: 'no torch.manual_seed(...) before the model is built' };
  const arg = (last.argument ?? '').replace(/_/g, '').trim();
  if (!/^[+-]?(0x[0-9a-f]+|\d+)$/i.test(arg)) return { reason: `torch.manual_seed(${last.argument ?? ''}) is not an integer literal` };
  const negative = arg.startsWith('-');
  const seed = BigInt(arg.replace(/^[+-]/, '')) * (negative ? -1n : 1n);
  if (!isTorchSeed(seed)) return { reason: `torch.manual_seed(${arg}) is out of PyTorch's range` };
  // The draws between the seed and the model are the stream's (program.ts's streamDraws): replayed, or the values distribution only.
  return { seed, line: last.line, from: last.from, built };
}

/**
 * The torch library constructions of a document as stream draws (src/core/torch/libraryModels.ts):
 * replayed where InitLens knows the constructor, labelled "not exact" otherwise.
 */
export function libraryDraws(uses: readonly LibraryModelUse[] | undefined): StreamDraw[] {
  return (uses ?? [])
    .filter((u) => u.kind === 'construct' && u.framework === 'torch')
    .map((u) => {
      const r = libraryReplay(u);
      const label = `${u.source === 'timm' ? 'timm ' : ''}${u.architecture ?? u.callee} (${u.weights ?? 'weights=None'}, line ${u.line + 1})`;
      return { offset: u.span.from, label, ...('replay' in r ? { replay: r.replay } : { reason: r.reason }) };
    });
}

/** The limit on the values the histogram panel computes exactly: larger with the WebAssembly kernels than with the scalar code. */
export function panelExactLimit(): LimitKey {
  return bulkKernels() ? 'panelExactValues' : 'panelExactValuesScalar';
}
