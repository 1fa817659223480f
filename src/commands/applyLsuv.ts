/**
 * `initlens.applyLsuv(uri?, model?)` ("Apply LSUV" over a PyTorch model):
 * writes `lsuv_init_(model, batch)` and its call after the model is built
 * (core/edits/lsuv.ts) as one undoable edit; applying again changes nothing.
 * Without arguments it acts on the PyTorch model under the cursor. Resolves
 * to the plan's summary, or undefined when nothing was applied.
 */
import * as vscode from 'vscode';
import type { DocumentAnalyses } from '../analysis/documentAnalyses';
import { commandTarget, openTarget } from '../arguments';
import { collectImports } from '../core/python/imports';
import { syntaxErrors } from '../core/python/parse';
import { applyPlan, modelAtCursor } from '../editing';
import { Commands } from './ids';
import { panelModule } from './showSignal';

export function registerApplyLsuv(analyses: DocumentAnalyses): vscode.Disposable {
  return vscode.commands.registerCommand(Commands.applyLsuv, async (...args: unknown[]) => {
    const target = commandTarget(Commands.applyLsuv, args, 2, 'open');
    if (!target) return undefined;
    const document = target.uri !== undefined ? await openTarget(target.uri) : vscode.window.activeTextEditor?.document;
    if (!document || document.languageId !== 'python') {
      void vscode.window.showErrorMessage('InitLens: open a Python file with a PyTorch model first.');
      return undefined;
    }
    const analysis = analyses.get(document);
    const models = analysis.models.models.filter((m) => m.framework === 'torch');
    const cursor = target.uri === undefined ? vscode.window.activeTextEditor?.selection.active : undefined;
    const model = typeof target.model === 'string' ? models.find((m) => m.name === target.model) : cursor ? modelAtCursor(models, document, cursor).model : undefined;
    if (!model) {
      void vscode.window.showErrorMessage(typeof target.model === 'string' ? `InitLens: no PyTorch model named ${target.model} in this file any more.` : 'InitLens: put the cursor inside a PyTorch model.');
      return undefined;
    }
    // The edit must leave the file valid Python: a file that is not now is left alone.
    const broken = syntaxErrors(analysis.tree, analysis.text)[0];
    if (broken) {
      void vscode.window.showErrorMessage(`InitLens left the file unchanged: line ${broken.line + 1} has a syntax error. Fix it, then apply LSUV again.`);
      return undefined;
    }
    const plan = (await panelModule()).lsuvPlan(model, analysis.tree, analysis.text, collectImports(analysis.tree, analysis.text));
    if ('refused' in plan) {
      void vscode.window.showErrorMessage(`InitLens: ${plan.refused}`);
      return undefined;
    }
    return applyPlan(document, analysis.version, plan);
  });
}
