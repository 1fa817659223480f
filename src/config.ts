/**
 * The extension's settings, read in one place. Every key is declared (with its
 * default and description) in `package.json` → `contributes.configuration`.
 */
import * as vscode from 'vscode';

export interface InitLensConfig {
  /** `initlens.codeLens.enabled` */
  readonly codeLensEnabled: boolean;
  /** `initlens.codeLens.layers`: one lens per weight layer (off: only model lenses). */
  readonly layerLenses: boolean;
  /** `initlens.init.variant`: recommend the normal or the uniform variant of a scheme. */
  readonly initVariant: 'normal' | 'uniform';
  /** `initlens.analysis.maxFileSize`: larger documents are not analyzed (characters). */
  readonly maxFileSize: number;
  /** `initlens.hover.enabled` */
  readonly hoverEnabled: boolean;
}

export function readConfig(scope?: vscode.ConfigurationScope): InitLensConfig {
  const c = vscode.workspace.getConfiguration('initlens', scope);
  return {
    codeLensEnabled: c.get<boolean>('codeLens.enabled', true),
    layerLenses: c.get<boolean>('codeLens.layers', true),
    initVariant: c.get<string>('init.variant', 'normal') === 'uniform' ? 'uniform' : 'normal',
    maxFileSize: Math.max(0, c.get<number>('analysis.maxFileSize', 2_000_000)),
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
