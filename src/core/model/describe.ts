/**
 * Plain, stable descriptions of analyzed models: the JSON of `initlens analyze
 * --json`, the code line that applies a recommendation, and the short texts of
 * lenses and tables. Numbers are rounded for display only here.
 */
import { formatPython, torchInitCall, type InitScheme } from '../init/schemes';
import { activationLabel } from './activations';
import { showDim, type Dim } from './evaluate';
import { schemeLabel } from './initCalls';
import { mainParam } from './layer';
import type { Layer, Model, Param } from './types';

/** 4 significant digits, as lenses show (`0.0505`). */
export function short(x: number): string {
  if (x === 0) return '0';
  return Number(x.toPrecision(4)).toString();
}

/** `200,960`, or the symbol when unknown. */
export function count(d: Dim): string {
  return typeof d === 'number' ? d.toLocaleString('en-US') : showDim(d);
}

/** The Python expression naming a layer's parameter in its model's code. */
export function paramExpression(model: Model, layer: Layer, param: string): string {
  const [base, path] = model.kind === 'torch-sequential' ? [model.name, layer.name] : ['self', layer.attribute ?? layer.name];
  // Parameter names may hold container indices too (`encoder.layers.0.linear1.weight`); the model itself has path "".
  return modulePath(base, path ? `${path}.${param}` : param);
}

const PYTHON_KEYWORDS = new Set('False None True and as assert async await break class continue def del elif else except finally for from global if import in is lambda nonlocal not or pass raise return try while with yield'.split(' '));

/**
 * Python that reaches the submodule at a `named_modules()` path from `base`:
 * `.name` for identifiers, `[i]` for container indices, and `getattr(..., "name")`
 * for names that are neither (an `OrderedDict` key such as `"conv-1"` or `"class"`,
 * which PyTorch accepts as a module name).
 */
function modulePath(base: string, path: string): string {
  let expr = base;
  for (const part of path.split('.')) {
    if (/^\d+$/.test(part)) expr += `[${part}]`;
    else if (/^[A-Za-z_]\w*$/.test(part) && !PYTHON_KEYWORDS.has(part)) expr += `.${part}`;
    else expr = `getattr(${expr}, ${JSON.stringify(part)})`;
  }
  return expr;
}

/** The code line that applies `scheme` (PyTorch call, or Keras `kernel_initializer=` argument). */
export function initCode(model: Model, layer: Layer, param: Param, scheme: InitScheme): string {
  if (layer.framework === 'keras') return `${param.name === 'kernel' ? 'kernel_initializer' : `${param.name}_initializer`}=${kerasInitializerExpression(scheme)}`;
  return torchInitCall(scheme, paramExpression(model, layer, param.name));
}

/** A Keras initializer as code: a preset name, or a `keras.initializers` object. */
export function kerasInitializerExpression(scheme: InitScheme): string {
  const label = schemeLabel(scheme, 'keras');
  if (/^(glorot|he|lecun)_(normal|uniform)$|^(zeros|ones|orthogonal)$/.test(label)) return `"${label}"`;
  if (scheme.kind === 'variance_scaling') {
    return `keras.initializers.VarianceScaling(scale=${formatPython(scheme.scale)}, mode="${scheme.mode}", distribution="${scheme.distribution}")`;
  }
  if (scheme.kind === 'normal') return `keras.initializers.RandomNormal(mean=${formatPython(scheme.mean)}, stddev=${formatPython(scheme.std)})`;
  if (scheme.kind === 'uniform') return `keras.initializers.RandomUniform(minval=${formatPython(scheme.a)}, maxval=${formatPython(scheme.b)})`;
  return `"${label}"`;
}

/** `ReLU → kaiming_normal_ · std 0.0505` (the lens above a weight layer), or what is wrong with the layer's sizes. */
export function layerSummary(layer: Layer): string | undefined {
  if (layer.problems) return layer.problems.map((p) => p.message).join('; ');
  const param = mainParam(layer);
  const rec = param?.recommendation;
  const activation = layer.activation ? activationLabel(layer.activation.activation) : 'activation unknown';
  const prefix = `${layer.normalizer ? `${layer.normalizer} → ` : ''}${activation}`;
  if (!param) return undefined;
  const recurrent = layer.params.find((p) => p.kind === 'recurrent');
  if (recurrent?.recommendation && rec) return `${prefix} · ${param.name} → ${rec.name} · ${recurrent.name} → ${recurrent.recommendation.name}`;
  if (!rec) return `${prefix} · ${param.current.label}${param.resolved ? ` · std ${short(param.resolved.std)}` : ''}`;
  const numbers = param.recommended ? ` · std ${short(param.recommended.std)}${param.recommended.bound !== undefined && param.recommended.distribution.kind === 'uniform' ? ` (±${short(param.recommended.bound)})` : ''}` : '';
  return `${prefix} → ${rec.name}${numbers}`;
}

/** JSON of one model (stable: documented in the README). */
export function describeModel(model: Model) {
  return {
    name: model.name,
    kind: model.kind,
    framework: model.framework,
    line: model.line + 1,
    params: countJson(model.paramCount),
    // Where the module tree found it built (absent: its own defaults, nothing in the workspace builds it).
    ...(model.contexts ? { contexts: model.contexts.map((c) => ({ label: c.label, count: c.count, builtBy: c.builtBy ?? null })) } : {}),
    layers: model.layers.map((layer) => {
      const param = mainParam(layer);
      return {
        name: layer.name,
        type: layer.type,
        line: layer.line + 1,
        fanIn: dimJson(layer.fanIn),
        fanOut: dimJson(layer.fanOut),
        params: countJson(layer.paramCount),
        problems: (layer.problems ?? []).map((p) => ({ argument: p.arg, message: p.message })),
        activation: layer.activation ? { kind: layer.activation.activation.kind, ...(layer.activation.activation.slope !== undefined ? { slope: layer.activation.activation.slope } : {}), via: layer.activation.via } : null,
        normalizer: layer.normalizer ?? null,
        current: param
          ? { param: param.name, scheme: param.current.label, source: param.current.source, std: param.resolved ? param.resolved.std : null }
          : null,
        recommended:
          param?.recommendation
            ? {
                scheme: param.recommendation.name,
                reason: param.recommendation.reason,
                distribution: param.recommended?.distribution.kind ?? null,
                std: param.recommended?.std ?? null,
                bound: param.recommended?.bound ?? null,
                code: initCode(model, layer, param, param.recommendation.scheme),
              }
            : null,
        agrees: param?.agrees ?? null,
        ...(layer.contexts
          ? {
              contexts: layer.contexts.map((c) => ({ label: c.label, count: c.count, builtBy: c.builtBy ?? null, fanIn: dimJson(c.fanIn), fanOut: dimJson(c.fanOut), init: c.init ?? null, std: c.std ?? null })),
            }
          : {}),
      };
    }),
  };
}

/** A count: a number, its exact digits above 2^53 − 1, or null when unknown. */
function countJson(d: Dim): number | string | null {
  return typeof d === 'number' ? d : /^[\d,]+$/.test(d.symbol) ? d.symbol.replace(/,/g, '') : null;
}

function dimJson(d: Dim | undefined): number | string | null {
  return d === undefined ? null : typeof d === 'number' ? d : d.symbol;
}
