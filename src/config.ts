/**
 * The extension's settings, read in one place. Every key is declared (with its
 * default and description) in `package.json` → `contributes.configuration`.
 */
import * as vscode from 'vscode';
import { RULES, type RuleId } from './core/diagnostics/rules';
import { isSeedEverything } from './core/seeds';

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
  /** `initlens.seed.default`: the seed the input box proposes. */
  readonly seedDefault: number;
  /** `initlens.seed.deterministic`: the `deterministic=` the seed call passes. */
  readonly seedDeterministic: boolean;
  /** `initlens.seed.warnOnly`: `torch.use_deterministic_algorithms(True, warn_only=...)`. */
  readonly seedWarnOnly: boolean;
  /** The diagnostic rules switched on (`initlens.diagnostics.<rule>`). */
  readonly diagnostics: ReadonlySet<RuleId>;
}

export function readConfig(scope?: vscode.ConfigurationScope): InitLensConfig {
  const c = vscode.workspace.getConfiguration('initlens', scope);
  return {
    codeLensEnabled: c.get<boolean>('codeLens.enabled', true),
    layerLenses: c.get<boolean>('codeLens.layers', true),
    initVariant: c.get<string>('init.variant', 'normal') === 'uniform' ? 'uniform' : 'normal',
    maxFileSize: Math.max(0, c.get<number>('analysis.maxFileSize', 2_000_000)),
    hoverEnabled: c.get<boolean>('hover.enabled', true),
    seedDefault: validSeed(c.get<number>('seed.default', 42)) ?? 42,
    seedDeterministic: c.get<boolean>('seed.deterministic', true),
    seedWarnOnly: c.get<boolean>('seed.warnOnly', false),
    diagnostics: new Set(RULES.filter((rule) => c.get<boolean>(`diagnostics.${rule}`, true))),
  };
}

/** `value` when it is a seed every framework accepts (an integer in 0..2^32−1). */
export function validSeed(value: unknown): number | undefined {
  return isSeedEverything(value) ? value : undefined;
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
