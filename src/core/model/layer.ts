/**
 * Building a {@link Layer} from a constructor call: arguments resolved against
 * the signature, parameter tensors from the catalog, then (in `finalize`) the
 * initialization in effect, the recommendation and their numbers.
 */
import { agrees, recommend, type Variant } from '../init/recommend';
import { kerasFans, resolveInit, torchFans, type ResolvedInit } from '../init/schemes';
import type { SyntaxNode } from '../python/parse';
import { hasError } from '../python/syntax';
import type { Activation } from './activations';
import type { LayerSpec, ParamSpec } from './catalog';
import type { BoundCall, Context } from './context';
import { dim, isKnown, product, type Dim, type Scope, type Value } from './evaluate';
import { schemeLabel } from './initCalls';
import type { ActivationUse, CurrentInit, Layer, Param } from './types';

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
  kernelInitializer?: SyntaxNode;
}

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
  return { name, spec, call: call.node, line: ctx.line(call.node.from), args, explicit: new Map() };
}

function shapeNumbers(shape: readonly Dim[]): number[] | undefined {
  return shape.every(isKnown) ? (shape as number[]) : undefined;
}

function safeResolve(fn: () => ResolvedInit): ResolvedInit | undefined {
  try {
    return fn();
  } catch {
    return undefined;
  }
}

/** Fans of a weight in the framework's layout, symbolic where dims are unknown. */
function fans(shape: readonly Dim[], framework: 'torch' | 'keras'): { fanIn: Dim; fanOut: Dim } | undefined {
  const known = shapeNumbers(shape);
  if (known) {
    try {
      return framework === 'torch' ? torchFans(known) : kerasFans(known);
    } catch {
      return undefined;
    }
  }
  if (framework === 'torch') {
    if (shape.length < 2) return undefined;
    const receptive = shape.slice(2);
    return { fanIn: product([shape[1], ...receptive]), fanOut: product([shape[0], ...receptive]) };
  }
  if (shape.length < 2) return undefined;
  const receptive = shape.slice(0, -2);
  return { fanIn: product([shape[shape.length - 2], ...receptive]), fanOut: product([shape[shape.length - 1], ...receptive]) };
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
  if (draft.spec.role === 'composite') return spec.name.startsWith('linear1.') ? draft.activation?.activation : undefined;
  return draft.activation?.activation;
}

/** Completes a draft: inits in effect, recommendations, numbers. */
export function finalize(draft: LayerDraft, variant: Variant): Layer {
  const framework = draft.spec.framework;
  const specs = draft.spec.params(draft.args);
  const params: Param[] = specs.map((spec) => {
    const explicit = draft.explicit.get(spec.name) ?? (spec.kind === 'bias' ? draft.explicit.get('bias') : undefined);
    // Each parameter gets its own span object (cached models are shifted in place).
    const current: CurrentInit = explicit ? { ...explicit, ...(explicit.at ? { at: { ...explicit.at } } : {}) } : { scheme: spec.init, label: spec.label, source: 'default' };
    const shape = shapeNumbers(spec.shape);
    const recommendation = recommend(framework, spec.kind, activationFor(draft, spec), variant);
    const recommended = recommendation && shape ? safeResolve(() => resolveInit(recommendation.scheme, shape, framework)) : undefined;
    const resolved = current.scheme && shape ? safeResolve(() => resolveInit(current.scheme as NonNullable<typeof current.scheme>, shape, framework)) : undefined;
    const agreesNow = recommendation && current.scheme ? agrees(current.scheme, recommendation.scheme, shape, framework) : undefined;
    return {
      ...spec,
      current: current.source === 'explicit' || !current.scheme ? current : { ...current, label: spec.label },
      ...(recommendation ? { recommendation } : {}),
      ...(recommended ? { recommended } : {}),
      ...(resolved ? { resolved } : {}),
      ...(agreesNow !== undefined ? { agrees: agreesNow } : {}),
      ...(shape ? { count: shape.reduce((a, b) => a * b, 1) } : {}),
    };
  });
  const main = mainParam(params);
  const f = main ? fans(main.shape, framework) : undefined;
  const listed = params.length === 0 ? 0 : params.every((p) => p.count !== undefined) ? params.reduce((a, p) => a + (p.count ?? 0), 0) : { symbol: '?' };
  const paramCount = (typeof listed === 'number' ? draft.spec.count?.(draft.args) : undefined) ?? listed;
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
    paramCount,
    ...(draft.attribute ? { attribute: draft.attribute } : {}),
    ...(draft.kernelInitializer ? { kernelInitializer: { from: draft.kernelInitializer.from, to: draft.kernelInitializer.to } } : {}),
  };
}

/** The parameter recommendations are about: `linear1.weight` in Transformer layers (it feeds the activation), else the first weight. */
export function mainParam<P extends { readonly name: string; readonly kind: string }>(params: readonly P[]): P | undefined {
  return params.find((p) => p.name === 'linear1.weight') ?? params.find((p) => p.kind === 'weight' || p.kind === 'embedding');
}

/** Sum of parameter counts (symbolic when any is unknown). */
export function totalParams(layers: readonly Layer[]): Dim {
  let total = 0;
  for (const l of layers) {
    if (!isKnown(l.paramCount)) return { symbol: '?' };
    total += l.paramCount;
  }
  return total;
}

/** `schemeLabel` for the explicit init of a parameter. */
export function explicitInit(scheme: CurrentInit['scheme'], at: SyntaxNode, framework: 'torch' | 'keras', source: string): CurrentInit {
  return { scheme, label: scheme ? schemeLabel(scheme, framework) : source, source: 'explicit', at: { from: at.from, to: at.to } };
}
