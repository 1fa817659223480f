/**
 * What the histogram panel samples for a layer: the scheme in effect, the
 * recommended one and the library default (deduplicated), or the scheme the
 * user picked, each as a sampling request on the layer's main weight, with the
 * same seed and bins so they compare on the same axes.
 */
import type { Verdict } from '../advice/judge';
import type { Controls, LayerRow, SeriesData } from '../../webview/protocol';
import { agrees } from '../init/recommend';
import { torchInitCall, type InitScheme } from '../init/schemes';
import { activationLabel } from '../model/activations';
import { TORCH_LINEAR_DEFAULT } from '../model/catalog';
import { initCode, kerasInitializerExpression, paramExpression } from '../model/describe';
import { knownShape, mainParam } from '../model/layer';
import { showDim } from '../model/evaluate';
import { schemeLabel } from '../model/initCalls';
import { isPretrained, type LibraryModelUse } from '../model/pretrained';
import type { Layer, Model } from '../model/types';
import type { SampleSummary } from '../sampling/engine';
import type { SampleRequest, SamplingPlan } from '../sampling/plan';
import { theoryDensity } from '../sampling/theory';
import type { SeedingAnalysis } from '../seeding/analyze';
import { isU64SeedText } from '../seeds';

export interface PreviewSeries {
  readonly role: 'current' | 'recommended' | 'default' | 'custom';
  readonly label: string;
  readonly request: SampleRequest;
}

export interface PreviewPlan {
  readonly layer: Layer;
  readonly series: readonly PreviewSeries[];
  /** The code that applies the primary (first) series' scheme. */
  readonly code: string;
}

/** Why a layer cannot be previewed, or undefined; `verdict`: the layer's, whose `pretrained` rule means its values are loaded. */
export function previewProblem(layer: Layer, verdict?: Verdict): string | undefined {
  if (verdict?.pretrained !== undefined) return `${layer.name || 'This layer'} is pretrained (${verdict.pretrained}): not initialized at random, so there is no histogram of a random init to show.`;
  if (layer.problems) return `${layer.name}: ${layer.problems[0].message}.`;
  const p = mainParam(layer);
  if (!p) return `${layer.name} has no weight tensor to preview.`;
  if (!knownShape(p.shape)) return `The shape of ${layer.name}.${p.name} is not known (${p.shape.map((d) => showDim(d)).join('×')}).`;
  return undefined;
}

/** The scheme the controls describe (for `scheme !== 'current'`). */
export function controlScheme(c: Controls): InitScheme {
  switch (c.scheme) {
    case 'kaiming_normal':
    case 'kaiming_uniform':
      return { kind: c.scheme, a: c.a, mode: c.mode, nonlinearity: c.nonlinearity };
    case 'xavier_normal':
    case 'xavier_uniform':
    case 'orthogonal':
      return { kind: c.scheme, gain: c.gain };
    case 'normal':
      return { kind: 'normal', mean: c.mean, std: c.std };
    case 'uniform':
      return { kind: 'uniform', a: c.low, b: c.high };
    case 'trunc_normal':
      return { kind: 'trunc_normal', mean: c.mean, std: c.std, a: c.low, b: c.high };
    case 'constant':
      return { kind: 'constant', value: c.mean };
    case 'zeros':
      return { kind: 'zeros' };
    case 'current':
      throw new RangeError('"current" is not a scheme of its own');
  }
}

/** The series to sample for `layer` under `controls`. */
export function previewPlan(model: Model, layer: Layer, controls: Controls): PreviewPlan {
  const problem = previewProblem(layer);
  const param = mainParam(layer);
  if (problem || !param) throw new RangeError(problem);
  const shape = param.shape as number[];
  const base = { shape, framework: layer.framework, seed: controls.seed, bins: controls.bins };
  const series: PreviewSeries[] = [];
  const push = (role: PreviewSeries['role'], label: string, scheme: InitScheme | null | undefined) => {
    if (!scheme) return;
    if (series.some((s) => agrees(s.request.scheme, scheme, shape, layer.framework) && sameKind(s.request.scheme, scheme))) return;
    series.push({ role, label, request: { ...base, scheme } });
  };
  if (controls.scheme !== 'current') push('custom', `${schemeLabel(controlScheme(controls), layer.framework)} (chosen)`, controlScheme(controls));
  else push('current', `${param.current.label} (${param.current.source === 'default' ? 'default, in effect' : 'in the code'})`, param.current.scheme);
  if (param.recommendation) push('recommended', `${param.recommendation.name} (recommended)`, param.recommendation.scheme);
  const fallback = param.init ?? (layer.framework === 'torch' ? TORCH_LINEAR_DEFAULT : undefined);
  push('default', `${param.label} (${layer.framework === 'torch' ? 'PyTorch' : 'Keras'} default)`, fallback);
  const primary = series[0]?.request.scheme;
  const code = primary
    ? layer.framework === 'keras'
      ? `${param.name === 'kernel' ? 'kernel_initializer' : `${param.name}_initializer`}=${kerasInitializerExpression(primary)}`
      : model.kind === 'torch-sequential' || layer.attribute
        ? torchInitCall(primary, paramExpression(model, layer, param.name))
        : initCode(model, layer, param, primary)
    : '';
  return { layer, series, code };
}

/** Same distribution family (so a uniform and a normal with equal std both show). */
function sameKind(a: InitScheme, b: InitScheme): boolean {
  const family = (s: InitScheme) => (s.kind.endsWith('uniform') || (s.kind === 'variance_scaling' && s.distribution === 'uniform') ? 'uniform' : s.kind === 'orthogonal' ? 'orthogonal' : 'normal');
  return family(a) === family(b);
}

/**
 * The overview rows of a model; `verdict` (src/core/advice) flags exactly the layers whose verdict is a warning.
 * `library`: the document's library models (src/core/model/pretrained.ts); those the class builds
 * (`self.backbone = resnet18(weights=...)`) are rows too, pretrained or built by the library, never previewed.
 */
export function layerRows(model: Model, verdict?: (layer: Layer) => Verdict | undefined, library: readonly LibraryModelUse[] = []): LayerRow[] {
  const built: LayerRow[] = library
    .filter((u) => u.kind === 'construct' && u.inClass === model.name && u.target?.startsWith('self.'))
    .map((u) => ({ name: u.target!.slice(5), type: u.architecture ?? u.callee, shape: '', activation: '?', scheme: isPretrained(u) ? `pretrained (${u.weights})` : 'random (library constructor)', previewable: false }));
  return [...built, ...model.layers
    .filter((l) => l.role !== 'normalizer')
    .map((layer) => {
      const p = mainParam(layer);
      const v = verdict?.(layer);
      const flag = v?.level === 'warning' ? v.message : undefined;
      return {
        name: layer.name,
        type: layer.type,
        shape: p ? p.shape.map((d) => showDim(d)).join('×') : '',
        activation: layer.activation ? activationLabel(layer.activation.activation) : '?',
        scheme: v?.pretrained !== undefined ? `pretrained (${v.pretrained})` : (p?.current.label ?? ''),
        ...(flag ? { flag } : {}),
        previewable: previewProblem(layer, v) === undefined,
      };
    })];
}

/** The seed the panel starts with: the file's `torch.manual_seed(<int>)` (or another seeding call) when there is one. */
export function seedFromFile(seeding: SeedingAnalysis): string | undefined {
  for (const r of seeding.references) {
    if (r.api.effect !== 'seeds' || r.argument === undefined) continue;
    const literal = r.argument.trim().replace(/_/g, '');
    if (isU64SeedText(literal)) return literal;
  }
  return undefined;
}

/** A series as the page receives it: bins, statistics, and the theory at the bin centres. */
export function seriesData(series: PreviewSeries, plan: SamplingPlan, summary: SampleSummary): SeriesData {
  const edges = summary.bins.edges;
  const theory = plan.theory;
  const density = theory.kind === 'constant' || theory.kind === 'point_masses' ? [] : edges.slice(0, -1).map((e, i) => theoryDensity(theory, (e + edges[i + 1]) / 2));
  return {
    role: series.role,
    label: series.label,
    edges,
    counts: summary.bins.counts,
    density,
    count: summary.count,
    total: plan.count,
    mean: summary.mean,
    std: summary.std,
    min: summary.min,
    max: summary.max,
    beyond2Sigma: summary.beyond2Sigma,
    theoryMean: plan.reference.mean,
    theoryStd: plan.resolved.std,
    ...(theory.kind === 'uniform' || theory.kind === 'truncated_normal' ? { low: theory.low, high: theory.high } : {}),
  };
}
