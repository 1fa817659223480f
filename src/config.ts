/**
 * The extension's settings, read in one place. Every key is declared (with its
 * default and description) in `package.json` → `contributes.configuration`;
 * the fallbacks here are those declared defaults (`core/settings.ts`), never
 * a second copy of them.
 */
import * as vscode from 'vscode';
import { ADVICE_RULES, type AdviceOptions, type AdviceRule } from './core/advice/rules';
import { RULES, type RuleId } from './core/diagnostics/rules';
import { BACKEND_SETTINGS, type BackendSetting } from './core/sampling/backendSetting';
import { isSeedEverything } from './core/seeds';
import { settingDefault, type SettingKey } from './core/settings';

export interface InitLensConfig {
  /** `initlens.codeLens.enabled` */
  readonly codeLensEnabled: boolean;
  /** `initlens.codeLens.layers`: one lens per weight layer (off: only model lenses). */
  readonly layerLenses: boolean;
  /** `initlens.init.variant`: recommend the normal or the uniform variant of a scheme. */
  readonly initVariant: 'normal' | 'uniform';
  /** `initlens.analysis.maxFileSize`: larger documents are not analyzed (characters). */
  readonly maxFileSize: number;
  /** `initlens.analysis.workspaceFiles`: constructions of a document's classes in other workspace files are read. */
  readonly workspaceFiles: boolean;
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
  /** `initlens.compute.backend`: where histograms are sampled. */
  readonly computeBackend: BackendSetting;
  /** `initlens.advice.level` and `initlens.advice.disable`: what the lens, hover and diagnostics show of the verdicts. */
  readonly advice: AdviceOptions;
  /** `initlens.advice.measure`: the signal engine measures the gains of the models it can run, in the background. */
  readonly adviceMeasure: boolean;
}

export function readConfig(scope?: vscode.ConfigurationScope): InitLensConfig {
  const c = vscode.workspace.getConfiguration('initlens', scope);
  const get = <K extends SettingKey>(key: K) => c.get(key, settingDefault(key));
  const backend = get('compute.backend');
  return {
    codeLensEnabled: get('codeLens.enabled'),
    layerLenses: get('codeLens.layers'),
    initVariant: get('init.variant') === 'uniform' ? 'uniform' : 'normal',
    maxFileSize: Math.max(0, get('analysis.maxFileSize')),
    workspaceFiles: get('analysis.workspaceFiles'),
    hoverEnabled: get('hover.enabled'),
    seedDefault: validSeed(get('seed.default')) ?? settingDefault('seed.default'),
    seedDeterministic: get('seed.deterministic'),
    seedWarnOnly: get('seed.warnOnly'),
    diagnostics: new Set(RULES.filter((rule) => get(`diagnostics.${rule}`))),
    computeBackend: (BACKEND_SETTINGS as readonly string[]).includes(backend) ? (backend as BackendSetting) : 'auto',
    advice: {
      level: get('advice.level') === 'suggestions' ? 'suggestions' : 'problems',
      disabled: new Set((get('advice.disable') as readonly unknown[]).filter((r): r is AdviceRule => (ADVICE_RULES as readonly unknown[]).includes(r))),
      ...(get('advice.widthScaling') ? { widthScaling: true } : {}),
    },
    adviceMeasure: get('advice.measure'),
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
