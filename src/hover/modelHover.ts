/**
 * Hovers on what the model analysis found: a layer constructor (fans,
 * parameters, the initialization in effect and the recommended one, with
 * numbers and the code), an `nn.init` call or Keras initializer (its formula
 * with this layer's numbers), and the activation after a layer (which scheme
 * suits it, with its gain).
 */
import * as vscode from 'vscode';
import type { DocumentAnalyses } from '../analysis/documentAnalyses';
import { Commands } from '../commands/ids';
import { explainActivation, explainResolved } from '../core/init/explain';
import { activationLabel } from '../core/model/activations';
import { count, initCode } from '../core/model/describe';
import { mainParam } from '../core/model/layer';
import { showDim } from '../core/model/evaluate';
import type { Layer, Model, Param, Span } from '../core/model/types';
import { exactSection, type ExactSection } from '../core/torch/exact';
import { readConfig } from '../config';
import { PYTHON } from '../selector';

const TORCH_INIT_DOCS = 'https://pytorch.org/docs/stable/nn.init.html';
const KERAS_INIT_DOCS = 'https://keras.io/api/layers/initializers/';

const inside = (s: Span | undefined, offset: number) => !!s && s.from <= offset && offset <= s.to;

export function registerModelHover(analyses: DocumentAnalyses): vscode.Disposable {
  return vscode.languages.registerHoverProvider(PYTHON, {
    provideHover(document, position) {
      if (!readConfig(document).hoverEnabled) return undefined;
      const offset = document.offsetAt(position);
      const range = (s: Span) => new vscode.Range(document.positionAt(s.from), document.positionAt(s.to));
      for (const model of analyses.get(document).models.models) {
        if (!inside(model.span, offset)) continue;
        for (const layer of model.layers) {
          const init = layer.params.find((p) => p.current.source === 'explicit' && inside(p.current.at, offset));
          if (init?.current.at) return new vscode.Hover(initHover(model, layer, init), range(init.current.at));
          if (layer.activation?.at && inside(layer.activation.at, offset)) return new vscode.Hover(activationHover(layer), range(layer.activation.at));
        }
        // Innermost first: a layer inside a Sequential inside another call.
        const layer = [...model.layers].reverse().find((l) => inside(l.span, offset));
        if (layer) {
          const md = layerHover(model, layer, document.uri);
          // A layer PyTorch would not build has no values to show.
          if (!layer.problems) appendExact(md, exactSection(model, layer, document.getText(), analyses.get(document).seeding));
          return new vscode.Hover(md, range(layer.span));
        }
      }
      return undefined;
    },
  });
}

const HOVER_VALUES = 6;

function appendExact(md: vscode.MarkdownString, section: ExactSection | undefined): void {
  if (!section) return;
  md.appendMarkdown(`\n\n**Values** — ${section.status}\n\n`);
  for (const p of section.params) {
    const head = Array.from(p.values.subarray(0, HOVER_VALUES), (v) => Number(v.toPrecision(6)).toString()).join(', ');
    const note = p.exact ? '' : ` — distribution only: ${p.reason}`;
    md.appendMarkdown(`- \`${p.name}\`${head ? `: ${head}${p.values.length > HOVER_VALUES ? ', …' : ''}` : ''}${note}\n`);
  }
}

function header(md: vscode.MarkdownString, text: string): void {
  md.appendMarkdown(`**InitLens** · ${text}\n\n`);
}

/** Hover on a layer constructor. */
export function layerHover(model: Model, layer: Layer, uri: vscode.Uri): vscode.MarkdownString {
  const md = new vscode.MarkdownString(undefined, true);
  md.isTrusted = { enabledCommands: [Commands.applyInit] };
  header(md, `\`${layer.type}\` ${layer.name} in ${model.name}`);
  if (layer.problems) {
    const rejected = layer.problems.some((p) => !p.limit);
    md.appendMarkdown(rejected ? '$(error) ' : '$(warning) ');
    md.appendText(`${layer.problems.map((p) => p.message).join('; ')}.`);
    md.appendMarkdown(`\n\n${rejected ? `${layer.framework === 'torch' ? 'PyTorch' : 'Keras'} would reject these arguments` : 'This is beyond what InitLens computes with'}, so InitLens shows no sizes or numbers for this layer.\n\n`);
    md.appendMarkdown(`[docs](${layer.framework === 'torch' ? TORCH_INIT_DOCS : KERAS_INIT_DOCS})`);
    return md;
  }
  md.appendMarkdown(`| fan_in | fan_out | parameters |\n| --- | --- | --- |\n| ${showDim(layer.fanIn)} | ${showDim(layer.fanOut)} | ${count(layer.paramCount)} |\n\n`);
  const param = mainParam(layer);
  if (layer.activation) {
    const via = { forward: 'in forward()', sequential: 'next in the Sequential', argument: 'activation argument', builtin: 'built into the layer', output: 'output layer' }[layer.activation.via];
    md.appendMarkdown(`Followed by **${activationLabel(layer.activation.activation)}**${layer.normalizer ? ` (after ${layer.normalizer})` : ''} (${via}).\n\n`);
  } else {
    md.appendMarkdown('The activation after this layer could not be determined.\n\n');
  }
  if (param) appendParam(md, model, layer, param);
  if (param?.recommendation && !param.agrees) {
    const args = encodeURIComponent(JSON.stringify([uri.toString(), model.name, layer.name]));
    md.appendMarkdown(`[Apply](command:${Commands.applyInit}?${args}) · `);
  }
  md.appendMarkdown(`[${layer.framework === 'torch' ? 'torch.nn.init' : 'Keras initializers'} docs](${layer.framework === 'torch' ? TORCH_INIT_DOCS : KERAS_INIT_DOCS})`);
  return md;
}

function appendParam(md: vscode.MarkdownString, model: Model, layer: Layer, param: Param): void {
  const source = param.current.source === 'default' ? `${layer.framework === 'torch' ? 'PyTorch' : 'Keras'} default` : 'Set in code';
  md.appendMarkdown(`${source}: \`${param.current.label}\`${param.resolved ? ` — ${explainResolved(param.resolved)}` : ''}.\n\n`);
  const rec = param.recommendation;
  if (!rec) return;
  if (param.agrees) {
    md.appendMarkdown(`$(check) This suits the activation (recommended: \`${rec.name}\`).\n\n`);
    return;
  }
  md.appendMarkdown(`$(warning) Recommended: **${rec.name}**${param.recommended ? ` — ${explainResolved(param.recommended)}` : ''}. ${rec.reason}\n\n`);
  md.appendCodeblock(initCode(model, layer, param, rec.scheme), 'python');
}

/** Hover on an explicit `nn.init.*` call or Keras initializer. */
function initHover(model: Model, layer: Layer, param: Param): vscode.MarkdownString {
  const md = new vscode.MarkdownString(undefined, true);
  header(md, `${param.current.label} on ${layer.name}.${param.name}`);
  if (param.resolved) md.appendMarkdown(`${explainResolved(param.resolved)}.\n\n`);
  else if (param.current.scheme === null) md.appendMarkdown('InitLens could not resolve this call\'s arguments.\n\n');
  if (param.recommendation) {
    if (param.agrees) md.appendMarkdown(`$(check) Suits the ${layer.activation ? activationLabel(layer.activation.activation) : 'layer'}.\n\n`);
    else {
      md.appendMarkdown(`$(warning) For ${layer.activation ? activationLabel(layer.activation.activation) : 'this layer'} InitLens recommends **${param.recommendation.name}**${param.recommended ? ` (std ${Number(param.recommended.std.toPrecision(4))})` : ''}. ${param.recommendation.reason}\n\n`);
      md.appendCodeblock(initCode(model, layer, param, param.recommendation.scheme), 'python');
    }
  }
  md.appendMarkdown(`[docs](${layer.framework === 'torch' ? TORCH_INIT_DOCS : KERAS_INIT_DOCS})`);
  return md;
}

/** Hover on the activation that follows a layer. */
function activationHover(layer: Layer): vscode.MarkdownString {
  const md = new vscode.MarkdownString(undefined, true);
  const activation = layer.activation?.activation;
  if (!activation) return md;
  header(md, `${activationLabel(activation)} after ${layer.name}`);
  md.appendMarkdown(`${explainActivation(activation, layer.framework)}\n\n[docs](${layer.framework === 'torch' ? TORCH_INIT_DOCS : KERAS_INIT_DOCS})`);
  return md;
}
