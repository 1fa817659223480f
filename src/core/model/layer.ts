/**
 * Building a {@link Layer} from a constructor call: arguments resolved against
 * the signature, parameter tensors from the catalog, then (in `finalize`) the
 * initialization in effect, the recommendation and their numbers.
 */
import { agrees, recommend, type Variant } from '../init/recommend';
import { fanFactors, resolveInit, resolveOneFan, type ResolvedInit } from '../init/schemes';
import type { SyntaxNode } from '../python/parse';
import { hasError } from '../python/syntax';
import type { Activation } from './activations';
import { sizeProblems, type Args, type LayerSpec, type ParamSpec } from './catalog';
import type { BoundCall, Context } from './context';
import { dim, isFloatSyntax, isKnown, product, type Dim, type Scope, type Value } from './evaluate';
import { DRAWING_INITS, schemeLabel } from './initCalls';
import type { ActivationUse, CurrentInit, Layer, LayerProblem, Param } from './types';
import { LIMITS } from '../limits';

/** A layer under construction: mutable while the analysis finds its activation and inits. */
export interface LayerDraft {
  name: string;
  readonly spec: LayerSpec;
  /** The constructor call, or the call of the factory function that returns it. */
  call: SyntaxNode;
  line: number;
  readonly args: Map<string, Value | Dim | undefined>;
  activation?: ActivationUse;
  /** True once forward/sequential analysis has decided (even "unknown"). */
  activationSettled?: boolean;
  normalizer?: string;
  /** Explicit initializations by parameter name; later writes win. */
  readonly explicit: Map<string, CurrentInit>;
  attribute?: string;
  /** Kept in a plain Python list attribute: built, but not registered (modules() and apply() do not reach it). */
  unregistered?: boolean;
  /** The statement that rebuilt the module holding it, after which its `named_modules()` name is unknown. */
  rebuilt?: string;
  kernelInitializer?: SyntaxNode;
  /** Size arguments the library would reject. */
  readonly problems: readonly LayerProblem[];
}

/** Longest argument text quoted in a problem message. */
const MAX_QUOTED = 40;

/** Resolves a constructor call against `spec`'s signature. */
export function draftLayer(spec: LayerSpec, call: BoundCall, name: string, ctx: Context, scope: Scope, extra?: Record<string, Value | Dim>): LayerDraft {
  const args = new Map<string, Value | Dim | undefined>();
  // In a half-typed call (`nn.Linear(3,` before the next `def`) the parser's
  // recovery pulls following code into the arguments: show those as unknown.
  const broken = hasError(call.node);
  const resolve = (node: SyntaxNode, value: Value | undefined) => (value !== undefined ? value : broken ? { symbol: '?' } : dim(node, ctx.text, scope));
  spec.signature.forEach((param, i) => {
    const node = call.node_(param, i);
    if (!node) {
      if (param in spec.defaults) args.set(param, spec.defaults[param]);
      return;
    }
    args.set(param, resolve(node, call.read(param, i)));
  });
  // Keyword-only arguments the signature does not list positionally (bias=False, affine=False, ...).
  for (const [key, node] of call.args.keywords) {
    if (!args.has(key)) {
      args.set(key, resolve(node, call.read(key, -1)));
    }
  }
  for (const [key, value] of Object.entries(spec.defaults)) if (!args.has(key)) args.set(key, value);
  if (extra) for (const [key, value] of Object.entries(extra)) args.set(key, value);
  const nodeOf = (arg: string) => call.node_(arg, spec.signature.indexOf(arg));
  const problems = sizeProblems(spec, args, (arg) => {
    const node = nodeOf(arg);
    if (!node) return undefined;
    const text = ctx.slice(node).replace(/\s+/g, ' ');
    return { text: text.length > MAX_QUOTED ? `${text.slice(0, MAX_QUOTED - 1)}…` : text, float: isFloatSyntax(node, ctx.text) };
  }).map((p): LayerProblem => {
    const node = nodeOf(p.arg);
    return node ? { ...p, at: { from: node.from, to: node.to } } : p;
  });
  return { name, spec, call: call.node, line: ctx.line(call.node.from), args, explicit: new Map(), problems };
}

/** A dimension numbers may be derived from: a non-negative integer a double holds exactly. */
const validSize = (d: Dim) => typeof d === 'number' && Number.isSafeInteger(d) && d >= 0;

/**
 * The shape as numbers when every dimension is a valid size, else undefined.
 * Argument checks catch rejected sizes where they are written; this also
 * stops those that arrive another way (a Keras input width inferred from a
 * layer with a rejected size, `input_shape=(-3,)`).
 */
export function knownShape(shape: readonly Dim[]): number[] | undefined {
  return shape.every(validSize) ? (shape as number[]) : undefined;
}

function safeResolve(fn: () => ResolvedInit): ResolvedInit | undefined {
  try {
    return fn();
  } catch {
    return undefined;
  }
}

/** Fans of a weight in the framework's layout: exact (digits above 2^53 − 1), symbolic where dims are unknown. */
function fans(shape: readonly Dim[], framework: 'torch' | 'keras'): { fanIn: Dim; fanOut: Dim } | undefined {
  const known = knownShape(shape);
  if (!known && shape.some((d) => isKnown(d) && !validSize(d))) return undefined;
  // Symbolic Keras weights of rank < 2 have no fans to show.
  if (!known && shape.length < 2) return undefined;
  let f;
  try {
    f = fanFactors(shape, framework);
  } catch {
    return undefined;
  }
  if (!known) return { fanIn: product(f.fanIn), fanOut: product(f.fanOut) };
  return { fanIn: countDim(exactCount(f.fanIn as number[])), fanOut: countDim(exactCount(f.fanOut as number[])) };
}

/**
 * The activation a parameter's recommendation depends on. Recurrent input
 * weights get Xavier whatever the cell's nonlinearity (the gates saturate);
 * in Transformer layers only `linear1` feeds the activation, and the attention
 * projections keep PyTorch's own conventions (no recommendation).
 */
function activationFor(draft: LayerDraft, spec: ParamSpec): Activation | undefined {
  if (spec.kind === 'recurrent') return undefined;
  if (draft.spec.builtinActivation && spec.kind === 'weight' && draft.spec.role !== 'composite') return { kind: 'identity' };
  // An nn.TransformerEncoder's copies: layers.<i>.linear1.
  if (draft.spec.role === 'composite') return /^(layers\.\d+\.)?linear1\./.test(spec.name) ? draft.activation?.activation : undefined;
  return draft.activation?.activation;
}

/** Schemes whose std and bounds are the same for every shape. */
const SHAPE_FREE: ReadonlySet<string> = new Set(['uniform', 'normal', 'trunc_normal', 'constant', 'ones', 'zeros']);

export { stateDictKey } from './stateDict';

/** Completes a draft: inits in effect, recommendations, numbers. */
export function finalize(draft: LayerDraft, variant: Variant): Layer {
  const framework = draft.spec.framework;
  const invalid = draft.problems.length > 0;
  // A rejected size stays in the shapes as its text, so nothing numeric comes from it.
  const args = invalid ? new Map([...draft.args, ...draft.problems.map((p): [string, Dim] => [p.arg, { symbol: p.arg }])]) : draft.args;
  const specs = draft.spec.params(args);
  const params: Param[] = specs.map((spec) => {
    const explicit = draft.explicit.get(spec.name) ?? (spec.kind === 'bias' ? draft.explicit.get('bias') : undefined);
    // Each parameter gets its own span object (cached models are shifted in place).
    const current: CurrentInit = explicit ? { ...explicit, ...(explicit.at ? { at: { ...explicit.at } } : {}), ...(explicit.ranAt ? { ranAt: { ...explicit.ranAt } } : {}) } : { scheme: spec.init, label: spec.label, source: 'default' };
    // A layer its library would not build has no numbers at all, not even those of its valid sizes.
    const shape = invalid ? undefined : knownShape(spec.shape);
    const elements = shape ? exactCount(shape) : undefined;
    // An empty tensor has no distribution (torch.nn.init does nothing to it).
    const numeric = shape && elements !== 0n ? shape : undefined;
    // An init a parent class writes after this one is built would overwrite any code written here.
    const recommendation = invalid || current.by ? undefined : recommend(framework, spec.kind, activationFor(draft, spec), variant);
    const recommended = recommendation && numeric ? safeResolve(() => resolveInit(recommendation.scheme, numeric, framework)) : undefined;
    // A scheme whose numbers do not depend on the shape (normal_(0, 0.02)) has them with the shape unknown.
    const shapeFree = !numeric && !invalid && elements === undefined && current.scheme && SHAPE_FREE.has(current.scheme.kind);
    const oneFan = !numeric && !shapeFree && !invalid && elements === undefined && current.scheme ? fans(spec.shape, framework) : undefined;
    const resolved =
      current.scheme && (numeric || shapeFree)
        ? safeResolve(() => resolveInit(current.scheme as NonNullable<typeof current.scheme>, numeric ?? [], framework))
        : current.scheme && oneFan
          ? resolveOneFan(current.scheme, typeof oneFan.fanIn === 'number' ? oneFan.fanIn : undefined, typeof oneFan.fanOut === 'number' ? oneFan.fanOut : undefined)
          : undefined;
    const agreesNow = recommendation && current.scheme ? agrees(current.scheme, recommendation.scheme, shape, framework) : undefined;
    return {
      ...spec,
      current: current.source === 'explicit' || !current.scheme ? current : { ...current, label: spec.label },
      ...(recommendation ? { recommendation } : {}),
      ...(recommended ? { recommended } : {}),
      ...(resolved ? { resolved } : {}),
      ...(agreesNow !== undefined ? { agrees: agreesNow } : {}),
      ...(elements !== undefined && elements <= MAX_SAFE ? { count: Number(elements) } : {}),
    };
  });
  const main = mainParam({ params });
  const f = main && !invalid ? fans(main.shape, framework) : undefined;
  // A closed form counts what may not all be listed (deep recurrent stacks).
  const total = invalid ? undefined : (draft.spec.count?.(args) ?? paramTotal(params));
  return {
    name: draft.name,
    type: draft.spec.type,
    framework,
    role: draft.spec.role,
    spec: draft.spec,
    span: { from: draft.call.from, to: draft.call.to },
    line: draft.line,
    args: draft.args,
    params,
    ...(draft.activation ? { activation: draft.activation.at ? { ...draft.activation, at: { ...draft.activation.at } } : draft.activation } : {}),
    ...(draft.normalizer ? { normalizer: draft.normalizer } : {}),
    ...(f ? { fanIn: f.fanIn, fanOut: f.fanOut } : {}),
    paramCount: total === undefined ? { symbol: '?' } : countDim(total),
    ...(invalid ? { problems: draft.problems.map((p) => (p.at ? { ...p, at: { ...p.at } } : p)) } : {}),
    ...(draft.attribute ? { attribute: draft.attribute } : {}),
    ...(draft.unregistered ? { unregistered: true } : {}),
    ...(draft.rebuilt ? { rebuilt: draft.rebuilt } : {}),
    ...(draft.kernelInitializer ? { kernelInitializer: { from: draft.kernelInitializer.from, to: draft.kernelInitializer.to } } : {}),
  };
}

/** The parameter recommendations are about: `linear1.weight` in Transformer layers (it feeds the activation; `layers.0.linear1.weight` of an nn.TransformerEncoder), else the first weight. */
export function mainParam<P extends { readonly name: string; readonly kind: string }>(layer: { readonly params: readonly P[] }): P | undefined {
  return layer.params.find((p) => p.name === 'linear1.weight' || p.name === 'layers.0.linear1.weight') ?? layer.params.find((p) => p.kind === 'weight' || p.kind === 'embedding');
}

/**
 * Recurrent layers stacked deeper than {@link LIMITS.rnnLayersListed}: their
 * count is exact but their tensors are listed only up to the limit, so code
 * written per tensor (Apply) would cover part of the stack. The depth, or
 * undefined when every tensor is listed.
 */
export function unlistedDepth(layer: { readonly spec: LayerSpec; readonly args: Args }): number | undefined {
  const depth = layer.args.get('num_layers');
  return layer.spec.count && typeof depth === 'number' && depth > LIMITS.rnnLayersListed.value ? depth : undefined;
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** Elements of a tensor, exactly. */
function exactCount(shape: readonly number[]): bigint {
  return shape.reduce((a, b) => a * BigInt(b), 1n);
}

/** Exact element total of `params`, or undefined when a shape is unknown. */
function paramTotal(params: readonly { readonly shape: readonly Dim[] }[]): bigint | undefined {
  let total = 0n;
  for (const p of params) {
    const shape = knownShape(p.shape);
    if (!shape) return undefined;
    total += exactCount(shape);
  }
  return total;
}

/** A count as a number, or its exact digits (`12,345,…`) when a double would round it. */
function countDim(n: bigint): Dim {
  return n <= MAX_SAFE ? Number(n) : { symbol: n.toLocaleString('en-US') };
}

/** The count {@link countDim} wrote, exactly; undefined when unknown. */
function countOf(d: Dim): bigint | undefined {
  if (typeof d === 'number') return BigInt(d);
  return /^\d{1,3}(,\d{3})*$/.test(d.symbol) ? BigInt(d.symbol.replace(/,/g, '')) : undefined;
}

/** Sum of parameter counts, exact (symbolic when any layer's is unknown). */
export function totalParams(layers: readonly Layer[]): Dim {
  let total = 0n;
  for (const l of layers) {
    const n = countOf(l.paramCount);
    if (n === undefined) return { symbol: '?' };
    total += n;
  }
  return countDim(total);
}

/**
 * Records an explicit init of a layer's parameter. When another init call
 * wrote it before (another `apply` function, a loop after `self.apply`), the
 * earlier drawing calls' labels go with it ({@link CurrentInit.earlier}): they
 * drew from the stream too.
 */
export function writeInit(layer: LayerDraft, param: string, init: CurrentInit): void {
  const before = layer.explicit.get(param);
  const other = before !== undefined && before !== init && before.source === 'explicit' && !(before.at && init.at && before.at.from === init.at.from && before.at.to === init.at.to);
  if (other) {
    const drew = !before.scheme || DRAWING_INITS.has(before.scheme.kind);
    const earlier = [...(before.earlier ?? []), ...(drew ? [before.label] : [])];
    if (earlier.length > 0) init = { ...init, earlier };
  }
  layer.explicit.set(param, init);
}

/** `schemeLabel` for the explicit init of a parameter. */
export function explicitInit(scheme: CurrentInit['scheme'], at: SyntaxNode, framework: 'torch' | 'keras', source: string): CurrentInit {
  return { scheme, label: scheme ? schemeLabel(scheme, framework) : source, source: 'explicit', at: { from: at.from, to: at.to } };
}
