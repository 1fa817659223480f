/**
 * The Problems-panel side of src/core/diagnostics/rules.ts: one
 * `DiagnosticCollection` fed from the shared document analyses (updated on
 * open and on their debounced change event, cleared on close, refreshed when
 * settings change),
 * and a code-action provider whose quick fixes are the rules' own text plans,
 * recomputed for the document's current version so they never go stale.
 */
import * as vscode from 'vscode';
import { adviceOptions, type DocumentAnalyses } from '../analysis/documentAnalyses';
import * as path from 'node:path';
import { checkDocument, RULES, type Finding, type RuleId } from '../core/diagnostics/rules';
import { configuredRules, editorRules } from '../core/diagnostics/config';
import type { ProjectConfig, ProjectConfigs } from './projectConfig';
import type { CheckedNotebooks } from './checkedNotebooks';
import { RULE_CODES, ruleAnchor } from '../core/diagnostics/codes';
import { unsuppressed } from '../core/diagnostics/suppress';
import { onDidChangeConfig, readConfig } from '../config';
import { workspaceEdit } from '../editing';
import { PYTHON } from '../selector';

/** `Diagnostic.source` of every InitLens diagnostic. */
export const SOURCE = 'InitLens';

/** The rules whose `initlens.diagnostics.*` setting is set explicitly (user, workspace or folder): they win over pyproject.toml. */
function explicitRules(scope: vscode.Uri): Set<RuleId> {
  const c = vscode.workspace.getConfiguration('initlens', scope);
  const set = (key: string) => {
    const i = c.inspect(key);
    return i !== undefined && (i.globalValue !== undefined || i.workspaceValue !== undefined || i.workspaceFolderValue !== undefined);
  };
  return new Set(RULES.filter((rule) => set(`diagnostics.${rule}`)));
}

/**
 * The rules and seed for a file: explicit settings first, then `[tool.initlens]`
 * (`project`), then the settings' defaults.
 */
export function chosenRules(uri: vscode.Uri, project: ProjectConfig | undefined): { rules: Set<RuleId>; seed: number } {
  const config = readConfig(uri);
  const rel = project ? path.posix.relative(project.base.path, uri.path) : undefined;
  const rules = editorRules(config.diagnostics, explicitRules(uri), project ? configuredRules(project.config, rel) : undefined);
  const seedSet = vscode.workspace.getConfiguration('initlens', uri).inspect('seed.default');
  const explicitSeed = seedSet !== undefined && (seedSet.globalValue !== undefined || seedSet.workspaceValue !== undefined || seedSet.workspaceFolderValue !== undefined);
  return { rules, seed: explicitSeed ? config.seedDefault : (project?.config.seed ?? config.seedDefault) };
}

function findings(analyses: DocumentAnalyses, projects: ProjectConfigs, document: vscode.TextDocument): Finding[] {
  const config = readConfig(document);
  const project = projects.get(document.uri);
  // Until the project's configuration is read, show nothing rather than problems it may switch off.
  if (project === 'pending') return [];
  const chosen = chosenRules(document.uri, project);
  if (chosen.rules.size === 0) return [];
  const a = analyses.get(document);
  // `# initlens: ignore[IL101]` and `# initlens: ignore-file`, read as `initlens check` reads them.
  return unsuppressed(
    checkDocument(
      { text: a.text, tree: a.tree, seeding: a.seeding, models: a.models },
      { seed: chosen.seed, deterministic: config.seedDeterministic, warnOnly: config.seedWarnOnly, advice: adviceOptions(a, config.advice) },
      chosen.rules,
    ),
    a.tree,
    a.text,
  );
}

/**
 * `Diagnostic.code`: the rule's stable code (`IL101`, as `initlens check`
 * prints it), linking to its section of the README shipped in the extension.
 */
export function toDiagnostic(document: Pick<vscode.TextDocument, 'positionAt'>, finding: Finding, readme: vscode.Uri): vscode.Diagnostic {
  return ruleDiagnostic(new vscode.Range(document.positionAt(finding.from), document.positionAt(finding.to)), finding, readme);
}

/** A rule's diagnostic at `range`: the live ones above, and the workspace check's (src/diagnostics/workspaceCheck.ts). */
export function ruleDiagnostic(range: vscode.Range, finding: Pick<Finding, 'rule' | 'severity' | 'message'>, readme: vscode.Uri): vscode.Diagnostic {
  const severity = { error: vscode.DiagnosticSeverity.Error, warning: vscode.DiagnosticSeverity.Warning, information: vscode.DiagnosticSeverity.Information }[finding.severity];
  const diagnostic = new vscode.Diagnostic(range, finding.message, severity);
  diagnostic.source = SOURCE;
  diagnostic.code = { value: RULE_CODES[finding.rule].code, target: readme.with({ fragment: ruleAnchor(finding.rule) }) };
  return diagnostic;
}

function ruleOf(diagnostic: vscode.Diagnostic): string | undefined {
  const code = diagnostic.code;
  return typeof code === 'object' && code !== null ? String(code.value) : undefined;
}

export function registerSeedDiagnostics(analyses: DocumentAnalyses, projects: ProjectConfigs, extensionUri: vscode.Uri, notebooks: CheckedNotebooks): vscode.Disposable {
  const readme = vscode.Uri.joinPath(extensionUri, 'README.md');
  const collection = vscode.languages.createDiagnosticCollection('initlens');
  const disposables: vscode.Disposable[] = [collection];

  const refresh = (document: vscode.TextDocument) => {
    if (document.languageId !== 'python') return;
    // The cells of a notebook the workspace check read as one program have its diagnostics, not one per cell.
    if (notebooks.hasCell(document)) return collection.delete(document.uri);
    collection.set(document.uri, findings(analyses, projects, document).map((f) => toDiagnostic(document, f, readme)));
  };
  vscode.workspace.onDidOpenTextDocument(refresh, undefined, disposables);
  analyses.onDidChange(refresh, undefined, disposables);
  vscode.workspace.onDidCloseTextDocument((document) => collection.delete(document.uri), undefined, disposables);
  onDidChangeConfig(() => vscode.workspace.textDocuments.forEach(refresh), disposables);
  projects.onDidChange(() => vscode.workspace.textDocuments.forEach(refresh), undefined, disposables);
  notebooks.onDidChange(() => vscode.workspace.textDocuments.forEach(refresh), undefined, disposables);
  vscode.workspace.textDocuments.forEach(refresh);

  const actions: vscode.CodeActionProvider = {
    async provideCodeActions(document, _range, context) {
      const ours = context.diagnostics.filter((d) => d.source === SOURCE);
      // A checked notebook's problems are the whole notebook's (as `initlens check --fix` reads it), not this cell's alone.
      if (ours.length === 0 || notebooks.hasCell(document)) return [];
      // The project's configuration is read again after pyproject.toml changes: a fix asked for meanwhile
      // waits for it (its seed is the fix's seed) instead of finding nothing.
      // A pyproject.toml event may reset it once more meanwhile (its watcher reports a write late): a few tries.
      for (let tries = 0; tries < 3 && projects.get(document.uri) === 'pending'; tries++) await projects.resolve(document.uri);
      const current = findings(analyses, projects, document);
      const result: vscode.CodeAction[] = [];
      for (const diagnostic of ours) {
        const finding = current.find((f) => RULE_CODES[f.rule].code === ruleOf(diagnostic) && document.offsetAt(diagnostic.range.start) === f.from && document.offsetAt(diagnostic.range.end) === f.to);
        if (!finding?.fix) continue;
        const action = new vscode.CodeAction(`InitLens: ${finding.fix.title}`, vscode.CodeActionKind.QuickFix);
        action.edit = workspaceEdit(document, finding.fix.edits);
        action.diagnostics = [diagnostic];
        action.isPreferred = true;
        result.push(action);
      }
      return result;
    },
  };
  disposables.push(vscode.languages.registerCodeActionsProvider(PYTHON, actions, { providedCodeActionKinds: [vscode.CodeActionKind.QuickFix] }));

  return new vscode.Disposable(() => disposables.forEach((d) => d.dispose()));
}
