/**
 * Lenses over models and their weight layers: above a model its size and an
 * action that writes the recommended initialization; above a layer what it
 * gets and its analytic gain, `ReLU · xavier_normal_ · std 0.063 · gain ×0.71
 * (×0.00098 over 20)`, marked as the layer's verdict says (⚠ exactly for
 * warnings), and "Apply" where the verdict has a cure.
 * The analysis is cached per document version (see DocumentAnalyses); VS Code
 * itself debounces lens requests while the user types.
 */
import * as vscode from 'vscode';
import { adviceOptions, type DocumentAnalyses } from '../analysis/documentAnalyses';
import { Commands } from '../commands/ids';
import { adviseAnalysis } from '../core/advice/judge';
import { lensOf } from '../core/advice/present';
import { libraryModelState } from '../core/advice/pretrained';
import { ADVICE_RULE_INFO, type AdviceLevel } from '../core/advice/rules';
import { count, layerSummary } from '../core/model/describe';
import { previewProblem } from '../core/preview/requests';
import { measuredSummary, signalSummary, type SignalSummary } from '../core/signal/summary';
import type { Layer, Model } from '../core/model/types';
import type { Verdict } from '../core/advice/judge';
import type { InitLensConfig } from '../config';
import { registerLensProvider } from './provider';

/** The lenses of one document. */
function modelLenses(analyses: DocumentAnalyses, document: vscode.TextDocument, config: InitLensConfig): vscode.CodeLens[] {
  const analysis = analyses.get(document);
  const { models } = analysis.models;
  // The same verdicts as the hover and the diagnostics (src/core/advice).
  const advice = adviseAnalysis(analysis.models, analysis.text, adviceOptions(analysis, config.advice));
  const uri = document.uri.toString();
  const lenses: vscode.CodeLens[] = [];
  for (const model of models) {
    const range = document.lineAt(model.line).range;
    lenses.push(new vscode.CodeLens(range, { title: modelTitle(model), command: '' }));
    if (model.layers.some((l) => previewProblem(l, advice.verdict(l)) === undefined)) {
      lenses.push(new vscode.CodeLens(range, { title: 'Preview histograms', tooltip: `Weight histograms of ${model.name}'s layers`, command: Commands.showHistogram, arguments: [uri, model.name] }));
    }
    if (model.framework === 'torch' && model.layers.length > 0) {
      // Measured where the advice measured the model (the same run its verdicts rest on), else analytic.
      const measurement = analysis.measured?.models.get(model.name);
      const summary = (measurement && measuredSummary(model, measurement)) || summaryOf(model);
      lenses.push(
        new vscode.CodeLens(range, {
          title: summary ? `${summary.title} · Show signal` : 'Show signal',
          tooltip: `${summary ? `${summary.tooltip}\n\n` : ''}Forward and gradient std per layer of ${model.name} under each initialization scheme`,
          command: Commands.showSignal,
          arguments: [uri, model.name],
        }),
      );
      lenses.push(new vscode.CodeLens(range, { title: 'Apply LSUV', tooltip: `Write lsuv_init_(model, batch) (Mishkin & Matas 2016) and its call after ${model.name} is built, to run on real data (one undoable edit)`, command: Commands.applyLsuv, arguments: [uri, model.name] }));
    }
    const open = model.layers.filter((l) => lensOf(l, advice.verdict(l), config.advice.level)?.apply);
    if (open.length > 0) {
      lenses.push(
        new vscode.CodeLens(range, {
          title: applyAllTitle(model),
          tooltip: `Write the recommended initialization for ${open.map((l) => l.name).join(', ')} (one undoable edit)`,
          command: Commands.applyInit,
          arguments: [uri, model.name],
        }),
      );
    }
    if (!config.layerLenses) continue;
    for (const layer of model.layers) {
      const lens = layerLens(layer, advice.verdict(layer), config.advice.level);
      if (!lens) continue;
      const layerRange = document.lineAt(layer.line).range;
      lenses.push(new vscode.CodeLens(layerRange, { title: lens.title, tooltip: lens.tooltip, command: '' }));
      if (lens.apply) {
        lenses.push(new vscode.CodeLens(layerRange, { title: 'Apply', tooltip: `Initialize ${layer.name} as recommended`, command: Commands.applyInit, arguments: [uri, model.name, layer.name] }));
      }
      if (previewProblem(layer, advice.verdict(layer)) === undefined) {
        lenses.push(new vscode.CodeLens(layerRange, { title: 'Preview', tooltip: `Histogram of ${layer.name}'s weights: in effect vs recommended vs default`, command: Commands.showHistogram, arguments: [uri, model.name, layer.name] }));
      }
    }
  }
  // Library models and weight loads (transfer learning): their state over the call.
  for (const use of analysis.models.libraryModels ?? []) {
    lenses.push(new vscode.CodeLens(document.lineAt(use.line).range, { title: `$(package) ${libraryModelState(use)}`, tooltip: ADVICE_RULE_INFO.pretrained.summary, command: '' }));
  }
  return lenses;
}

/** Summaries by model: models are cached per document version (DocumentAnalyses), so this is computed once per version. */
const summaries = new WeakMap<Model, SignalSummary | null>();

function summaryOf(model: Model): SignalSummary | undefined {
  let s = summaries.get(model);
  if (s === undefined) {
    s = signalSummary(model) ?? null;
    summaries.set(model, s);
  }
  return s ?? undefined;
}

function modelTitle(model: Model): string {
  const weights = model.layers.filter((l) => l.role !== 'normalizer').length;
  return `InitLens · ${model.name}: ${weights} weight ${weights === 1 ? 'layer' : 'layers'} · ${count(model.paramCount)} parameters`;
}

function applyAllTitle(model: Model): string {
  if (model.framework === 'keras') return 'Set recommended kernel_initializer';
  const method = model.torch?.initMethod?.name;
  return model.kind === 'torch-sequential' ? 'Add init code' : method ? `Update ${method}()` : 'Add _init_weights()';
}

/** The lens text of one layer (the verdict's, src/core/advice/present.ts), or undefined when there is nothing to say. */
export function layerLens(layer: Layer, verdict: Verdict | undefined, level: AdviceLevel): { title: string; tooltip: string; apply: boolean } | undefined {
  if (layer.problems) {
    const rejected = layer.problems.some((p) => !p.limit);
    const why = rejected ? `${layer.framework === 'torch' ? 'PyTorch' : 'Keras'} would reject these arguments of ${layer.type}` : `${layer.type} is beyond InitLens's limits`;
    return { title: `$(${rejected ? 'error' : 'warning'}) ${layerSummary(layer)}`, tooltip: `${why}, so InitLens shows no numbers for it.`, apply: false };
  }
  return lensOf(layer, verdict, level);
}

export function registerModelLens(analyses: DocumentAnalyses): vscode.Disposable {
  return registerLensProvider((document, config) => modelLenses(analyses, document, config), analyses.onDidChange);
}
