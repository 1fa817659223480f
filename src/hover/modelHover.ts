/**
 * Hovers on what the model analysis found: a layer constructor (fans,
 * parameters, the initialization in effect and the recommended one, with
 * numbers and the code), an `nn.init` call or Keras initializer (its formula
 * with this layer's numbers), and the activation after a layer (which scheme
 * suits it, with its gain).
 */
import * as vscode from 'vscode';
import { adviceOptions, type DocumentAnalyses } from '../analysis/documentAnalyses';
import { Commands } from '../commands/ids';
import { activationHoverMarkdown, initHoverMarkdown, layerHoverMarkdown } from '../core/hovers';
import { codeSpan, escapeMarkdown } from '../core/markdown';
import type { Layer, Span } from '../core/model/types';
import { adviseAnalysis } from '../core/advice/judge';
import { libraryModelHoverMarkdown } from '../core/advice/pretrained';
import { exactSection, type ExactSection } from '../core/torch/program';
import { readConfig } from '../config';
import { PYTHON } from '../selector';

const inside = (s: Span | undefined, offset: number) => !!s && s.from <= offset && offset <= s.to;

export function registerModelHover(analyses: DocumentAnalyses): vscode.Disposable {
  return vscode.languages.registerHoverProvider(PYTHON, {
    provideHover(document, position) {
      if (!readConfig(document).hoverEnabled) return undefined;
      const offset = document.offsetAt(position);
      const range = (s: Span) => new vscode.Range(document.positionAt(s.from), document.positionAt(s.to));
      const analysis = analyses.get(document);
      const { advice: options } = readConfig(document);
      // The same verdicts as the lenses and the diagnostics (src/core/advice).
      const verdicts = adviseAnalysis(analysis.models, analysis.text, adviceOptions(analysis, options));
      const advice = (layer: Layer) => ({ verdict: verdicts.verdict(layer), level: options.level });
      for (const model of analysis.models.models) {
        if (!inside(model.span, offset)) continue;
        for (const layer of model.layers) {
          const init = layer.params.find((p) => p.current.source === 'explicit' && inside(p.current.at, offset));
          if (init?.current.at) return new vscode.Hover(markdown(initHoverMarkdown(model, layer, init, advice(layer))), range(init.current.at));
          if (layer.activation?.at && inside(layer.activation.at, offset)) return new vscode.Hover(markdown(activationHoverMarkdown(layer, advice(layer))), range(layer.activation.at));
        }
        // Innermost first: a layer inside a Sequential inside another call.
        const layer = [...model.layers].reverse().find((l) => inside(l.span, offset));
        if (layer) {
          const md = markdown(layerHoverMarkdown(model, layer, document.uri.toString(), Commands.applyInit, advice(layer)), [Commands.applyInit]);
          appendExact(md, exactSection(model, layer, analysis));
          return new vscode.Hover(md, range(layer.span));
        }
      }
      // A library model's construction or a weight load (transfer learning), innermost call first.
      const use = [...(analysis.models.libraryModels ?? [])].reverse().find((u) => inside(u.span, offset));
      if (use) return new vscode.Hover(markdown(libraryModelHoverMarkdown(use)), range(use.span));
      return undefined;
    },
  });
}

const HOVER_VALUES = 6;

function appendExact(md: vscode.MarkdownString, section: ExactSection | undefined): void {
  if (!section) return;
  md.appendMarkdown(`\n\n**Values** — ${escapeMarkdown(section.status)}\n\n`);
  for (const p of section.params) {
    const head = Array.from(p.values.subarray(0, HOVER_VALUES), (v) => Number(v.toPrecision(6)).toString()).join(', ');
    const note = p.exact ? '' : ` — distribution only: ${escapeMarkdown(p.reason ?? '')}`;
    md.appendMarkdown(`- ${codeSpan(p.name)}${head ? `: ${head}${p.values.length > HOVER_VALUES ? ', …' : ''}` : ''}${note}\n`);
  }
}

/** A hover's Markdown: theme icons on, command links only for `commands` (the ones InitLens wrote into it). */
function markdown(value: string, commands: readonly string[] = []): vscode.MarkdownString {
  const md = new vscode.MarkdownString(value, true);
  md.isTrusted = commands.length > 0 ? { enabledCommands: [...commands] } : false;
  return md;
}
