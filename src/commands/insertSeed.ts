/**
 * `initlens.insertSeed(seed?, options?)`: writes (or updates in place) one
 * `seed_everything(seed, deterministic=...)` for the frameworks the document
 * imports, as one undoable edit. Without a seed argument it asks with an input
 * box (default `initlens.seed.default`). In a notebook the code goes into the
 * cell with the imports, or a new first cell (a `NotebookEdit` in the same
 * `WorkspaceEdit`). Resolves to the plan's summary, or undefined when nothing
 * was applied (cancelled, refused).
 */
import * as vscode from 'vscode';
import type { DocumentAnalyses } from '../analysis/documentAnalyses';
import { planSeed, EditRefused, type SeedOptions } from '../core/seeding/plan';
import { MAX_SEED_EVERYTHING, parseSeedEverything } from '../core/seeds';
import { planNotebookSeed } from '../core/seeding/notebook';
import { readConfig, validSeed } from '../config';
import { workspaceEdit } from '../editing';
import { Commands } from './ids';

/** Options a caller (tests, other extensions, keybindings) may pass. */
export interface InsertSeedOptions {
  readonly deterministic?: boolean;
  readonly warnOnly?: boolean;
  /** A document to seed instead of the active editor's (string or Uri). */
  readonly uri?: string | vscode.Uri;
}

/** Why an input box value is not a seed, or undefined when it is one. */
export function seedInputError(value: string): string | undefined {
  return parseSeedEverything(value) !== undefined ? undefined : `An integer from 0 to ${MAX_SEED_EVERYTHING}.`;
}

export function registerInsertSeed(analyses: DocumentAnalyses): vscode.Disposable {
  return vscode.commands.registerCommand(Commands.insertSeed, async (seedArg?: unknown, optionsArg?: unknown) => {
    const options = (typeof optionsArg === 'object' && optionsArg !== null ? optionsArg : {}) as InsertSeedOptions;
    const target = await targetOf(options.uri);
    if (!target) {
      void vscode.window.showErrorMessage('InitLens: open a Python file or a notebook to insert a reproducible seed into.');
      return undefined;
    }
    const config = readConfig(target.kind === 'text' ? target.document : target.notebook.uri);
    let seed: number | undefined;
    if (seedArg !== undefined && seedArg !== null) {
      seed = validSeed(seedArg);
      if (seed === undefined) {
        void vscode.window.showErrorMessage(`InitLens: the seed must be an integer from 0 to ${MAX_SEED_EVERYTHING}.`);
        return undefined;
      }
    } else {
      const typed = await vscode.window.showInputBox({
        title: 'InitLens: Insert reproducible seed',
        prompt: `The seed for random, NumPy, PyTorch, TensorFlow, ... (0 to ${MAX_SEED_EVERYTHING})`,
        value: String(config.seedDefault),
        validateInput: seedInputError,
      });
      if (typed === undefined) return undefined;
      seed = parseSeedEverything(typed)!;
    }
    const seedOptions: SeedOptions = {
      seed,
      deterministic: typeof options.deterministic === 'boolean' ? options.deterministic : config.seedDeterministic,
      warnOnly: typeof options.warnOnly === 'boolean' ? options.warnOnly : config.seedWarnOnly,
    };
    try {
      return target.kind === 'text' ? await seedDocument(analyses, target.document, seedOptions) : await seedNotebook(target.notebook, seedOptions);
    } catch (error) {
      if (error instanceof EditRefused) {
        void vscode.window.showErrorMessage(`InitLens: ${error.message}`);
        return undefined;
      }
      throw error;
    }
  });
}

type Target = { kind: 'text'; document: vscode.TextDocument } | { kind: 'notebook'; notebook: vscode.NotebookDocument };

async function targetOf(uri: InsertSeedOptions['uri']): Promise<Target | undefined> {
  if (uri !== undefined) {
    const parsed = typeof uri === 'string' ? vscode.Uri.parse(uri, true) : uri;
    if (parsed.path.endsWith('.ipynb') && parsed.scheme !== 'vscode-notebook-cell') {
      return { kind: 'notebook', notebook: await vscode.workspace.openNotebookDocument(parsed) };
    }
    const document = await vscode.workspace.openTextDocument(parsed);
    return document.languageId === 'python' ? { kind: 'text', document } : undefined;
  }
  const editor = vscode.window.activeTextEditor;
  const notebook = vscode.window.activeNotebookEditor?.notebook;
  // A notebook's cell editor is the active text editor: seed the notebook, not the one cell.
  if (notebook && (!editor || notebook.getCells().some((c) => c.document === editor.document))) return { kind: 'notebook', notebook };
  return editor?.document.languageId === 'python' ? { kind: 'text', document: editor.document } : undefined;
}

async function seedDocument(analyses: DocumentAnalyses, document: vscode.TextDocument, options: SeedOptions): Promise<string | undefined> {
  const analysis = analyses.get(document);
  const plan = planSeed({ text: analysis.text, tree: analysis.tree, seeding: analysis.seeding, modelNames: analysis.models.models.map((m) => m.name) }, options);
  if (plan.edits.length === 0) {
    void vscode.window.showInformationMessage(`InitLens: ${plan.summary}`);
    return plan.summary;
  }
  return apply(workspaceEdit(document, plan.edits), () => document.version === analysis.version, plan.summary);
}

async function seedNotebook(notebook: vscode.NotebookDocument, options: SeedOptions): Promise<string | undefined> {
  const cells = notebook.getCells();
  const versions = cells.map((c) => c.document.version);
  const plan = planNotebookSeed(
    cells.map((c) => ({ kind: c.kind === vscode.NotebookCellKind.Code ? 'code' : 'markup', text: c.document.getText() })),
    options,
  );
  const edit = new vscode.WorkspaceEdit();
  let summary: string;
  if (plan.kind === 'edit') {
    const document = cells[plan.cell].document;
    if (plan.plan.edits.length === 0) {
      void vscode.window.showInformationMessage(`InitLens: ${plan.plan.summary}`);
      return plan.plan.summary;
    }
    workspaceEdit(document, plan.plan.edits, edit);
    summary = plan.plan.summary;
  } else {
    const language = cells.find((c) => c.kind === vscode.NotebookCellKind.Code)?.document.languageId ?? 'python';
    edit.set(notebook.uri, [vscode.NotebookEdit.insertCells(plan.index, [new vscode.NotebookCellData(vscode.NotebookCellKind.Code, plan.text, language)])]);
    summary = plan.summary;
  }
  return apply(edit, () => cells.every((c, i) => c.document.version === versions[i]) && notebook.cellCount === cells.length, summary);
}

/** Applies `edit` unless the document moved on since the plan was made (then nothing is edited). */
async function apply(edit: vscode.WorkspaceEdit, unchanged: () => boolean, summary: string): Promise<string | undefined> {
  if (!unchanged() || !(await vscode.workspace.applyEdit(edit))) {
    void vscode.window.showErrorMessage('InitLens: the document changed while inserting the seed; nothing was edited. Try again.');
    return undefined;
  }
  vscode.window.setStatusBarMessage(`InitLens: ${summary}`, 5000);
  return summary;
}
