/**
 * The setup every InitLens code-lens provider shares: Python documents only,
 * nothing while `initlens.codeLens.enabled` is off, and a refresh when an
 * InitLens setting changes. A provider only says which lenses a document has.
 */
import * as vscode from 'vscode';
import { onDidChangeConfig, readConfig, type InitLensConfig } from '../config';
import { PYTHON } from '../selector';

/**
 * Registers `provide` as a Python code-lens provider; the returned Disposable
 * owns the emitter, the listeners and the registration. `refresh`: lenses are
 * asked again when it fires (an analysis changed without an edit of its document).
 */
export function registerLensProvider(provide: (document: vscode.TextDocument, config: InitLensConfig) => vscode.CodeLens[], refresh?: vscode.Event<unknown>): vscode.Disposable {
  const changed = new vscode.EventEmitter<void>();
  const disposables: vscode.Disposable[] = [changed];
  onDidChangeConfig(() => changed.fire(), disposables);
  refresh?.(() => changed.fire(), undefined, disposables);
  const provider: vscode.CodeLensProvider = {
    onDidChangeCodeLenses: changed.event,
    provideCodeLenses(document) {
      const config = readConfig(document);
      return config.codeLensEnabled ? provide(document, config) : [];
    },
  };
  disposables.push(vscode.languages.registerCodeLensProvider(PYTHON, provider));
  return vscode.Disposable.from(...disposables);
}
