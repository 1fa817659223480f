/**
 * `initlens.applyInit(uri?, model?, layer?)`: writes the recommended
 * initialization for one layer, or every layer of a model, as one undoable
 * edit. Without arguments it acts on the model under the cursor (the layer on
 * the cursor's line when there is one). The plan is computed from the current
 * analysis at the moment of the call, so lens arguments never go stale.
 * Resolves to the plan's summary, or undefined when nothing was applied.
 */
import * as vscode from 'vscode';
import { adviceOptions, type DocumentAnalyses } from '../analysis/documentAnalyses';
import { EditRefused, planApply } from '../core/edits/applyInit';
import { adviseAnalysis } from '../core/advice/judge';
import { readConfig } from '../config';
import { lensOf } from '../core/advice/present';
import { collectImports } from '../core/python/imports';
import { syntaxErrors } from '../core/python/parse';
import { commandTarget, openTarget } from '../arguments';
import { applyPlan, modelAtCursor } from '../editing';
import { Commands } from './ids';

export function registerApplyInit(analyses: DocumentAnalyses): vscode.Disposable {
  return vscode.commands.registerCommand(Commands.applyInit, async (...args: unknown[]) => {
    const target = commandTarget(Commands.applyInit, args, 3, 'open');
    if (!target) return undefined;
    const { uri, model: modelName, layer: layerName } = target;
    const document = uri !== undefined ? await openTarget(uri) : vscode.window.activeTextEditor?.document;
    if (!document || document.languageId !== 'python') {
      void vscode.window.showErrorMessage('InitLens: open a Python file with a model first.');
      return undefined;
    }
    const analysis = analyses.get(document);
    const cursor = uri !== undefined ? undefined : vscode.window.activeTextEditor?.selection.active;
    const atCursor = cursor ? modelAtCursor(analysis.models.models, document, cursor) : {};
    const model = typeof modelName === 'string' ? analysis.models.models.find((m) => m.name === modelName) : atCursor.model;
    if (!model) {
      void vscode.window.showErrorMessage(typeof modelName === 'string' ? `InitLens: no model named ${modelName} in this file any more.` : 'InitLens: put the cursor inside a PyTorch or Keras model.');
      return undefined;
    }
    const layer = typeof layerName === 'string' ? model.layers.find((l) => l.name === layerName) : model === atCursor.model ? atCursor.layer : undefined;
    if (typeof layerName === 'string' && !layer) {
      void vscode.window.showErrorMessage(`InitLens: ${model.name} has no layer ${layerName} any more.`);
      return undefined;
    }
    const broken = syntaxErrors(analysis.tree, analysis.text).find((e) => e.offset >= model.span.from && e.offset <= model.span.to);
    if (broken) {
      void vscode.window.showErrorMessage(`InitLens left ${model.name} unchanged: line ${broken.line + 1} has a syntax error. Fix it, then apply again.`);
      return undefined;
    }
    // A whole model: the layers whose verdict has a cure (the ones the lenses offer Apply on), nothing else.
    const { advice: options } = readConfig(document);
    const advice = adviseAnalysis(analysis.models, analysis.text, adviceOptions(analysis, options));
    const chosen = layer ? [layer] : model.layers.filter((l) => lensOf(l, advice.verdict(l), options.level)?.apply);
    if (chosen.length === 0) {
      const summary = `nothing in ${model.name} needs a change: no verdict has a cure to apply.`;
      void vscode.window.showInformationMessage(`InitLens: ${summary}`);
      return summary;
    }
    let plan;
    try {
      plan = planApply(model, analysis.text, collectImports(analysis.tree, analysis.text), chosen);
    } catch (error) {
      if (error instanceof EditRefused) {
        void vscode.window.showErrorMessage(`InitLens: ${error.message}`);
        return undefined;
      }
      throw error;
    }
    return applyPlan(document, analysis.version, plan);
  });
}
