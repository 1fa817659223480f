/**
 * Composition root: creates the workspace index and the shared document
 * analyses, and registers each feature. Nothing else belongs here.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { DocumentAnalyses } from './analysis/documentAnalyses';
import { WorkspaceIndex } from './analysis/workspaceIndex';
import { registerModelLens } from './codelens/modelLens';
import { registerSeedLens } from './codelens/seedLens';
import { registerApplyInit } from './commands/applyInit';
import { registerApplyLsuv } from './commands/applyLsuv';
import { registerShowHistogram } from './commands/showHistogram';
import { registerShowSignal } from './commands/showSignal';
import { registerInsertSeed } from './commands/insertSeed';
import { registerShowSeedReport } from './commands/showSeedReport';
import { registerSeedDiagnostics } from './diagnostics/seedDiagnostics';
import { registerCheckWorkspace } from './diagnostics/workspaceCheck';
import { ProjectConfigs } from './diagnostics/projectConfig';
import { CheckedNotebooks } from './diagnostics/checkedNotebooks';
import { registerModelHover } from './hover/modelHover';
import { registerSeedHover } from './hover/seedHover';

export function activate(context: vscode.ExtensionContext): void {
  try {
    const workspace = new WorkspaceIndex();
    // The advice's measured gains: the engine and TensorFlow.js in their own bundles, required on the first model measured (never here).
    const analyses = new DocumentAnalyses(workspace, () => (require(path.join(__dirname, 'gainMeasurer.js')) as typeof import('./node/gainMeasurer')).createMeasurer());
    const projects = new ProjectConfigs();
    const notebooks = new CheckedNotebooks();
    context.subscriptions.push(
      workspace,
      analyses,
      projects,
      notebooks,
      registerSeedLens(analyses),
      registerModelLens(analyses),
      registerSeedHover(analyses),
      registerModelHover(analyses),
      registerShowSeedReport(analyses),
      registerApplyInit(analyses),
      registerApplyLsuv(analyses),
      registerShowHistogram(context.extensionUri, analyses),
      registerShowSignal(context.extensionUri, analyses),
      registerInsertSeed(analyses),
      registerSeedDiagnostics(analyses, projects, context.extensionUri, notebooks),
      registerCheckWorkspace(projects, notebooks, context.extensionUri),
    );
  } catch (error) {
    // VS Code only logs activation failures; tell the user.
    void vscode.window.showErrorMessage(`InitLens failed to start: ${error instanceof Error ? error.message : String(error)}`);
    throw error;
  }
}

export function deactivate(): void {}
