/**
 * Hovers on random/seed APIs (`torch.manual_seed`, `np.random.seed`,
 * `os.environ["PYTHONHASHSEED"] = ...`): what the call really seeds, the trap
 * when there is one, and a link to the file's seed report.
 */
import * as vscode from 'vscode';
import type { DocumentAnalyses } from '../analysis/documentAnalyses';
import { Commands } from '../commands/ids';
import { referenceAt, type ApiReference } from '../core/seeding/analyze';
import { RNG_LABELS } from '../core/seeding/knowledge';
import { isTrap } from '../core/seeding/report';
import { readConfig } from '../config';
import { PYTHON } from '../selector';

export function registerSeedHover(analyses: DocumentAnalyses): vscode.Disposable {
  return vscode.languages.registerHoverProvider(PYTHON, {
    provideHover(document, position) {
      if (!readConfig(document).hoverEnabled) return undefined;
      const analysis = analyses.get(document);
      const reference = referenceAt(analysis.seeding, document.offsetAt(position));
      if (!reference) return undefined;
      const range = new vscode.Range(document.positionAt(reference.from), document.positionAt(reference.to));
      return new vscode.Hover(seedHoverMarkdown(reference, document.uri), range);
    },
  });
}

/** The hover text for one reference. */
export function seedHoverMarkdown(reference: ApiReference, uri: vscode.Uri): vscode.MarkdownString {
  const { api } = reference;
  const md = new vscode.MarkdownString(undefined, true);
  md.isTrusted = { enabledCommands: [Commands.showSeedReport] };
  md.appendMarkdown(`**InitLens** · \`${reference.qualifiedName}\`\n\n`);
  md.appendMarkdown(`${api.summary}\n\n`);
  if (api.seeds.length > 0) {
    md.appendMarkdown(`Seeds: ${api.seeds.map((rng) => RNG_LABELS[rng]).join(', ')}.\n\n`);
  }
  if (api.caveat) md.appendMarkdown(`${isTrap(reference) ? '$(warning) ' : ''}${api.caveat}\n\n`);
  const report = vscode.Uri.parse(
    `command:${Commands.showSeedReport}?${encodeURIComponent(JSON.stringify([uri.toString()]))}`,
  );
  md.appendMarkdown(`[Seed report for this file](${report}) · [Documentation](${api.docs})`);
  return md;
}
