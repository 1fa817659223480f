/**
 * The Markdown of InitLens's hovers, built from explicit inputs so it is tested
 * in plain Node. Text that comes from the document (layer and model names,
 * unresolved sizes, labels of calls as written, qualified names) goes through
 * `markdown.ts`; links are only the ones written here: the documentation pages
 * and the InitLens command named by the caller.
 */
import type { Verdict } from './advice/judge';
import { hoverLine, lensOf } from './advice/present';
import type { AdviceLevel } from './advice/rules';
import { explainActivation, explainResolved } from './init/explain';
import { activationLabel } from './model/activations';
import { initCode, short } from './model/describe';
import { mainParam } from './model/layer';
import type { Dim } from './model/evaluate';
import type { Layer, Model, ModelContext, Param } from './model/types';
import { codeBlock, codeSpan, commandLink, escapeMarkdown, tableCell, webLink } from './markdown';
import type { ApiReference } from './seeding/analyze';
import { RNG_LABELS } from './seeding/knowledge';
import { isTrap } from './seeding/report';

const TORCH_INIT_DOCS = 'https://pytorch.org/docs/stable/nn.init.html';
const KERAS_INIT_DOCS = 'https://keras.io/api/layers/initializers/';

const docsUrl = (layer: Layer) => (layer.framework === 'torch' ? TORCH_INIT_DOCS : KERAS_INIT_DOCS);
const header = (markdown: string) => `**InitLens** · ${markdown}\n\n`;

/** A size as shown: a number as is, an unresolved size as the (escaped) expression it stands for. */
function dim(d: Dim | undefined, thousands = false): string {
  if (d === undefined) return '?';
  if (typeof d === 'number') return thousands ? d.toLocaleString('en-US') : String(d);
  return escapeMarkdown(d.symbol);
}

/** The layer's verdict (src/core/advice) and the strictness it is shown at. */
export interface HoverAdvice {
  readonly verdict: Verdict | undefined;
  readonly level: AdviceLevel;
}

/** The verdict as a paragraph: ⚠ exactly for warnings, the numbers, the source linked. */
export function verdictMarkdown(advice: HoverAdvice | undefined): string {
  const v = advice?.verdict;
  if (!v || !advice) return '';
  const { icon, text } = hoverLine(v, advice.level);
  return `${icon ? `${icon} ` : ''}${escapeMarkdown(text)} Source: ${webLink(v.source.title, v.source.url)}.\n\n`;
}

/** Hover on a layer constructor; `apply` is the command id behind its Apply link, called with `[uri, model, layer]`. */
export function layerHoverMarkdown(model: Model, layer: Layer, uri: string, apply: string, advice?: HoverAdvice): string {
  let md = header(`${codeSpan(layer.type)} ${escapeMarkdown(layer.name)} in ${escapeMarkdown(model.name)}`);
  if (layer.problems) {
    // Sizes the library rejects (or beyond InitLens's limits): the problem instead of any number, and no Apply.
    const rejected = layer.problems.some((p) => !p.limit);
    md += `${rejected ? '$(error)' : '$(warning)'} ${escapeMarkdown(`${layer.problems.map((p) => p.message).join('; ')}.`)}\n\n`;
    md += `${rejected ? `${layer.framework === 'torch' ? 'PyTorch' : 'Keras'} would reject these arguments` : 'This is beyond what InitLens computes with'}, so InitLens shows no sizes or numbers for this layer.\n\n`;
    return md + webLink(`${layer.framework === 'torch' ? 'torch.nn.init' : 'Keras initializers'} docs`, docsUrl(layer));
  }
  md += `| fan_in | fan_out | parameters |\n| --- | --- | --- |\n| ${tableCell(dim(layer.fanIn))} | ${tableCell(dim(layer.fanOut))} | ${tableCell(dim(layer.paramCount, true))} |\n\n`;
  md += contextMarkdown(model, layer);
  if (layer.unregistered) md += `$(warning) Kept in a plain Python list, which PyTorch does not register: ${escapeMarkdown(model.name)}'s \`modules()\`, \`apply()\` and \`parameters()\` do not reach it (an \`nn.ModuleList\` would).\n\n`;
  if (layer.rebuilt) md += `$(warning) ${codeSpan(layer.rebuilt)} rebuilds the module holding it, so PyTorch names this layer differently from there on; InitLens writes no init code for it.\n\n`;
  const param = mainParam(layer);
  if (layer.activation) {
    const via = { forward: 'in forward()', sequential: 'next in the Sequential', argument: 'activation argument', builtin: 'built into the layer', output: 'output layer' }[layer.activation.via];
    // Found where the flow left this class: into the module it feeds, or back where its builder uses the output.
    const through = layer.activation.through ? `, through ${codeSpan(layer.activation.through)}` : '';
    md += `Followed by **${activationLabel(layer.activation.activation)}**${layer.normalizer ? ` (after ${escapeMarkdown(layer.normalizer)})` : ''} (${via}${through}).\n\n`;
  } else {
    md += 'The activation after this layer could not be determined.\n\n';
  }
  if (param) md += paramMarkdown(model, layer, param, advice);
  if (advice?.verdict && lensOf(layer, advice.verdict, advice.level)?.apply) md += `${commandLink('Apply', apply, [uri, model.name, layer.name])} · `;
  md += webLink(`${layer.framework === 'torch' ? 'torch.nn.init' : 'Keras initializers'} docs`, docsUrl(layer));
  return md;
}

/** A context of the module tree in words: `in Block (×12)`, `ViT(dim=1024, …)`, `the GPTConfig defaults`. */
function contextLabel(c: ModelContext): string {
  const times = c.count > 1 ? ` (×${c.count})` : '';
  if (c.builtBy) return `in ${codeSpan(c.builtBy)}${times}`;
  if (c.label === 'defaults') return `its defaults${times}`;
  if (/ defaults$/.test(c.label)) return `the ${escapeMarkdown(c.label)}${times}`;
  return `${codeSpan(c.label)}${times}`;
}

/**
 * Where the numbers come from (the module tree): the one context the class is
 * built in, or every context when they differ (the table above then shows
 * what they share).
 */
function contextMarkdown(model: Model, layer: Layer): string {
  if (layer.contexts && layer.contexts.length > 1) {
    let md = `${escapeMarkdown(model.name)} is built in ${layer.contexts.length} different ways; in each:\n\n| where | fan_in | fan_out | init | std |\n| --- | --- | --- | --- | --- |\n`;
    for (const c of layer.contexts) md += `| ${tableCell(contextLabel(c))} | ${tableCell(dim(c.fanIn))} | ${tableCell(dim(c.fanOut))} | ${c.init ? tableCell(codeSpan(c.init)) : '?'} | ${c.std !== undefined ? short(c.std) : '?'} |\n`;
    return `${md}\n`;
  }
  const [only] = model.contexts ?? [];
  if (!only || model.contexts?.length !== 1) return '';
  return `${only.builtBy ? 'Sizes as built' : 'Sizes from'} ${contextLabel(only)}.\n\n`;
}

function paramMarkdown(model: Model, layer: Layer, param: Param, advice: HoverAdvice | undefined): string {
  const source =
    param.current.source === 'default'
      ? `${layer.framework === 'torch' ? 'PyTorch' : 'Keras'} default`
      : param.current.by
        ? `Set by ${codeSpan(param.current.by)}'s init, which runs after ${escapeMarkdown(model.name)} is built (init code here would be overwritten; change it there)`
        : 'Set in code';
  let md = `${source}: ${codeSpan(param.current.label)}${param.resolved ? ` — ${explainResolved(param.resolved)}` : ''}.\n\n`;
  md += verdictMarkdown(advice);
  const fix = advice?.verdict?.fix;
  if (fix && lensOf(layer, advice.verdict, advice.level)?.apply) md += codeBlock(initCode(model, layer, param, fix.scheme), 'python');
  return md;
}

/** Hover on an explicit `nn.init.*` call or Keras initializer. */
export function initHoverMarkdown(model: Model, layer: Layer, param: Param, advice?: HoverAdvice): string {
  let md = header(escapeMarkdown(`${param.current.label} on ${layer.name}.${param.name}`));
  if (param.resolved) md += `${explainResolved(param.resolved)}.\n\n`;
  else if (param.current.scheme === null) md += "InitLens could not resolve this call's arguments.\n\n";
  // The layer's verdict is about its main weight: shown on that tensor's init call.
  if (param === mainParam(layer)) {
    md += verdictMarkdown(advice);
    const fix = advice?.verdict?.fix;
    if (fix && lensOf(layer, advice.verdict, advice.level)?.apply) md += codeBlock(initCode(model, layer, param, fix.scheme), 'python');
  }
  return md + webLink('docs', docsUrl(layer));
}

/** Hover on the activation that follows a layer (empty when there is none). */
export function activationHoverMarkdown(layer: Layer, advice?: HoverAdvice): string {
  const activation = layer.activation?.activation;
  if (!activation) return '';
  // In a transformer the textbook table (Kaiming for GELU) is not the advice: the verdict alone speaks.
  const table = advice?.verdict?.rule === 'transformer' ? '' : `${explainActivation(activation, layer.framework)}\n\n`;
  return `${header(`${activationLabel(activation)} after ${escapeMarkdown(layer.name)}`)}${table}${verdictMarkdown(advice)}${webLink('docs', docsUrl(layer))}`;
}

/** Hover on a random/seed API; `report` is the command id behind its seed-report link, called with `[uri]`. */
export function seedHoverMarkdown(reference: ApiReference, uri: string, report: string): string {
  const { api } = reference;
  let md = header(codeSpan(reference.qualifiedName));
  md += `${api.summary}\n\n`;
  if (api.seeds.length > 0) md += `Seeds: ${api.seeds.map((rng) => RNG_LABELS[rng]).join(', ')}.\n\n`;
  if (api.caveat) md += `${isTrap(reference) ? '$(warning) ' : ''}${api.caveat}\n\n`;
  return `${md}${commandLink('Seed report for this file', report, [uri])} · ${webLink('Documentation', api.docs)}`;
}
