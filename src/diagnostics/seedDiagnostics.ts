/**
 * The Problems-panel side of src/core/diagnostics/rules.ts: one
 * `DiagnosticCollection` fed from the shared document analyses (updated on
 * open and on their debounced change event, cleared on close, refreshed when
 * settings change),
 * and a code-action provider whose quick fixes are the rules' own text plans,
 * recomputed for the document's current version so they never go stale.
 */
import * as vscode from 'vscode';
import type { DocumentAnalyses } from '../analysis/documentAnalyses';
import { checkDocument, type Finding } from '../core/diagnostics/rules';
import { RULE_CODES, ruleAnchor } from '../core/diagnostics/codes';
import { unsuppressed } from '../core/diagnostics/suppress';
import { onDidChangeConfig, readConfig } from '../config';
import { workspaceEdit } from '../editing';
import { PYTHON } from '../selector';

/** `Diagnostic.source` of every InitLens diagnostic. */
export const SOURCE = 'InitLens';

function findings(analyses: DocumentAnalyses, document: vscode.TextDocument): Finding[] {
  const config = readConfig(document);
  if (config.diagnostics.size === 0) return [];
  const a = analyses.get(document);
  // `# initlens: ignore[IL101]` and `# initlens: ignore-file`, read as `initlens check` reads them.
  return unsuppressed(
    checkDocument(
      { text: a.text, tree: a.tree, seeding: a.seeding, models: a.models },
      { seed: config.seedDefault, deterministic: config.seedDeterministic, warnOnly: config.seedWarnOnly },
      config.diagnostics,
    ),
    a.tree,
    a.text,
  );
}

/**
 * `Diagnostic.code`: the rule's stable code (`IL101`, as `initlens check`
 * prints it), linking to its section of the README shipped in the extension.
 */
function toDiagnostic(document: vscode.TextDocument, finding: Finding, readme: vscode.Uri): vscode.Diagnostic {
  const range = new vscode.Range(document.positionAt(finding.from), document.positionAt(finding.to));
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

export function registerSeedDiagnostics(analyses: DocumentAnalyses, extensionUri: vscode.Uri): vscode.Disposable {
  const readme = vscode.Uri.joinPath(extensionUri, 'README.md');
  const collection = vscode.languages.createDiagnosticCollection('initlens');
  const disposables: vscode.Disposable[] = [collection];

  const refresh = (document: vscode.TextDocument) => {
    if (document.languageId !== 'python') return;
    collection.set(document.uri, findings(analyses, document).map((f) => toDiagnostic(document, f, readme)));
  };
  vscode.workspace.onDidOpenTextDocument(refresh, undefined, disposables);
  analyses.onDidChange(refresh, undefined, disposables);
  vscode.workspace.onDidCloseTextDocument((document) => collection.delete(document.uri), undefined, disposables);
  onDidChangeConfig(() => vscode.workspace.textDocuments.forEach(refresh), disposables);
  vscode.workspace.textDocuments.forEach(refresh);

  const actions: vscode.CodeActionProvider = {
    provideCodeActions(document, _range, context) {
      const ours = context.diagnostics.filter((d) => d.source === SOURCE);
      if (ours.length === 0) return [];
      const current = findings(analyses, document);
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
