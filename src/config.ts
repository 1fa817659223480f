/**
 * The extension's settings, read in one place. Every key is declared (with its
 * default and description) in `package.json` → `contributes.configuration`.
 */
import * as vscode from 'vscode';

export interface InitLensConfig {
  /** `initlens.codeLens.enabled` */
  readonly codeLensEnabled: boolean;
  /** `initlens.hover.enabled` */
  readonly hoverEnabled: boolean;
}

export function readConfig(scope?: vscode.ConfigurationScope): InitLensConfig {
  const c = vscode.workspace.getConfiguration('initlens', scope);
  return {
    codeLensEnabled: c.get<boolean>('codeLens.enabled', true),
    hoverEnabled: c.get<boolean>('hover.enabled', true),
  };
}

/** Calls `listener` whenever an `initlens.*` setting changes. */
export function onDidChangeConfig(listener: () => void, disposables: vscode.Disposable[]): void {
  vscode.workspace.onDidChangeConfiguration(
    (e) => {
      if (e.affectsConfiguration('initlens')) listener();
    },
    undefined,
    disposables,
  );
}
