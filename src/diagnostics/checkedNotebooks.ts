/**
 * The notebooks whose cells the workspace check diagnoses
 * (src/diagnostics/workspaceCheck.ts): checked as one program, the code cells
 * in order, as `initlens check` reads an `.ipynb`, so that a seed in the first
 * cell covers training in the last. Their cells are then left out of the live
 * per-document diagnostics (src/diagnostics/seedDiagnostics.ts), which would
 * read each cell on its own and show a second, different set of problems.
 */
import * as vscode from 'vscode';

export class CheckedNotebooks implements vscode.Disposable {
  /** Paths of the notebooks (a cell's URI has its notebook's path, with its own scheme). */
  private readonly paths = new Set<string>();
  private readonly changed = new vscode.EventEmitter<void>();
  /** Fires when a notebook is taken or given back: the live diagnostics refresh its cells. */
  readonly onDidChange = this.changed.event;

  /** Takes a notebook's cells from the live diagnostics. */
  add(notebook: vscode.Uri): void {
    if (this.paths.has(notebook.path)) return;
    this.paths.add(notebook.path);
    this.changed.fire();
  }

  /** Gives a notebook's cells back to the live diagnostics. */
  delete(notebook: vscode.Uri): void {
    if (this.paths.delete(notebook.path)) this.changed.fire();
  }

  has(notebook: vscode.Uri): boolean {
    return this.paths.has(notebook.path);
  }

  /** Whether `document` is a cell of a notebook the workspace check diagnoses. */
  hasCell(document: vscode.TextDocument): boolean {
    return document.uri.scheme === 'vscode-notebook-cell' && this.paths.has(document.uri.path);
  }

  dispose(): void {
    this.changed.dispose();
  }
}
