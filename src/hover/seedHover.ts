/**
 * Hovers on random/seed APIs (`torch.manual_seed`, `np.random.seed`,
 * `os.environ["PYTHONHASHSEED"] = ...`): what the call really seeds, the trap
 * when there is one, and a link to the file's seed report.
 */
import * as vscode from 'vscode';
import type { DocumentAnalyses } from '../analysis/documentAnalyses';
import { Commands } from '../commands/ids';
import { seedHoverMarkdown } from '../core/hovers';
import { referenceAt, type ApiReference } from '../core/seeding/analyze';
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
      return new vscode.Hover(seedHover(reference, document.uri), range);
    },
  });
}

/** The hover for one reference: command links only for the seed report InitLens links to. */
export function seedHover(reference: ApiReference, uri: vscode.Uri): vscode.MarkdownString {
  const md = new vscode.MarkdownString(seedHoverMarkdown(reference, uri.toString(), Commands.showSeedReport), true);
  md.isTrusted = { enabledCommands: [Commands.showSeedReport] };
  return md;
}
