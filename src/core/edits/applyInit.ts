/**
 * Text plans that apply recommended initializations, computed from the
 * analysis and the document text only (the editor applies them as one
 * undoable edit):
 * - PyTorch classes: lines in an existing `_init_weights`-style method, or a new
 *   `_init_weights(self)` method called at the end of `__init__`. A line that
 *   already initializes the same tensor is replaced, so applying twice changes
 *   nothing.
 * - Free-standing `nn.Sequential` models: lines right after the model statement.
 * - Keras layers: the `kernel_initializer=` argument, added or replaced.
 */
import { torchInitCall } from '../init/schemes';
import type { ImportBinding } from '../python/imports';
import type { TextEdit } from '../python/parse';
import { applyTextEdits } from './apply';
import { appendArgumentsAt, codeEnd, compoundHeader, firstArgument } from './code';
import { blockEnd, eolOf, indentOf, lineEnd, lineStart, nextLineStart } from './lines';
import { initCode, kerasInitializerExpression, paramExpression } from '../model/describe';
import { mainParam, unlistedDepth } from '../model/layer';
import { limitText } from '../limits';
import type { Layer, Model, Param } from '../model/types';

export interface EditPlan {
  readonly edits: readonly TextEdit[];
  /** What the plan does, for the status bar / CLI. */
  readonly summary: string;
}

/** Why no plan could be made (shown to the user; nothing is edited). */
export class EditRefused extends Error {}

/** Parameters a plan initializes for one layer: the main weight (and recurrent weights), and biases to zero. */
function targets(layer: Layer): Param[] {
  const main = mainParam(layer);
  return layer.params.filter((p) => p.recommendation && (p === main || p.kind === 'recurrent' || p.kind === 'bias' || (p.kind === 'weight' && layer.spec.role !== 'composite')));
}

/** The file's name for `torch.nn` (`nn`, `torch.nn`), or undefined when neither is imported. */
export function torchNnName(imports: readonly ImportBinding[]): string | undefined {
  let nn: string | undefined;
  let torch: string | undefined;
  for (const b of imports) {
    if (b.target === 'torch.nn') nn = b.local;
    if (b.target === 'torch') torch = b.local;
  }
  return nn ?? (torch ? `${torch}.nn` : undefined);
}

/** One indentation unit of the file: the methods' indentation relative to the class line. */
function indentUnit(text: string, model: Model, init: { from: number }): string {
  const base = indentOf(text, model.span.from);
  const method = indentOf(text, init.from);
  return method.startsWith(base) && method.length > base.length ? method.slice(base.length) : '    ';
}

/** Plans the init code for `layers` of `model` (all weight layers with a recommendation when omitted). */
export function planApply(model: Model, text: string, imports: readonly ImportBinding[], layers?: readonly Layer[]): EditPlan {
  const deep = (layers ?? []).find((l) => unlistedDepth(l) !== undefined);
  if (deep) throw new EditRefused(`${deep.type} ${deep.name} stacks ${unlistedDepth(deep)!.toLocaleString('en-US')} layers; InitLens lists their tensors only up to ${limitText('rnnLayersListed')}, so it writes no init code for it.`);
  // A whole-model apply skips layers that already do what is recommended, and stacks too deep to list.
  const moved = (layers ?? []).find((l) => l.rebuilt);
  if (moved) throw new EditRefused(`${moved.type} ${moved.name}: \`${moved.rebuilt}\` rebuilds the module holding it, so InitLens does not know its name there and writes no init code for it.`);
  const chosen = layers ?? model.layers.filter((l) => mainParam(l)?.recommendation && mainParam(l)?.agrees !== true && unlistedDepth(l) === undefined && !l.rebuilt);
  if (!layers && model.layers.some((l) => mainParam(l)?.recommendation) && chosen.length === 0) return { edits: [], summary: `${model.name} already initializes every layer as recommended.` };
  if (chosen.filter((l) => mainParam(l)?.recommendation).length === 0) throw new EditRefused(`InitLens has no recommendation to apply in ${model.name}: the activation after its layers is unknown.`);
  if (model.framework === 'keras') return planKeras(chosen, text);
  const nn = torchNnName(imports);
  if (!nn) throw new EditRefused('This file does not import torch.nn (or torch), so InitLens cannot write nn.init calls.');
  const all = chosen.flatMap((layer) => targets(layer).map((p) => ({ target: paramExpression(model, layer, p.name), code: torchInitCall(p.recommendation!.scheme, paramExpression(model, layer, p.name), nn) })));
  // Two layers assigned to one attribute: the later assignment is the module that exists, so its line wins.
  const last = new Map(all.map((l, i) => [l.target, i]));
  const lines = all.filter((l, i) => last.get(l.target) === i);
  if (model.kind === 'torch-sequential') {
    // `return nn.Sequential(...)` (a builder function, usuyama/pytorch-unet's double_conv): no line after it runs, and no name holds it.
    if (/^\s*return\b/.test(text.slice(lineStart(text, model.span.from), model.span.from)) || /^return\b/.test(text.slice(model.span.from))) throw new EditRefused(`${model.name} is the nn.Sequential a function returns: InitLens writes no init code after a return (assign it to a name, initialize it there, then return it).`);
    return planAfterStatement(model, text, lines);
  }
  return planMethod(model, text, lines);
}

interface Line {
  readonly target: string;
  readonly code: string;
}

/**
 * Replaces lines that already initialize a target; returns the edits and the
 * lines still to add. One pass over the region indexes the first line that
 * initializes each tensor (`<anything>init.<fn>(<target>, ...` or `...(<target>)`),
 * so a model with thousands of layers plans in linear time.
 */
function replaceExisting(text: string, from: number, to: number, lines: readonly Line[]): { edits: TextEdit[]; rest: Line[] } {
  const found = new Map<string, { start: number; end: number }>();
  for (let start = from; start < to; start = nextLineStart(text, start)) {
    const end = Math.min(lineEnd(text, start), to);
    const line = text.slice(start, end);
    const indent = /^[ \t]*/.exec(line)![0].length;
    // Every `init.<fn>(` the line reaches without whitespace from its indentation.
    const call = /init\.\w+\(/g;
    for (let m = call.exec(line); m; m = call.exec(line)) {
      if (/\s/.test(line.slice(indent, m.index))) break;
      const target = firstArgument(text, start + m.index + m[0].length, end);
      // The line is replaced up to its last code: a trailing comment stays.
      if (target && !found.has(target)) found.set(target, { start: start + indent, end: codeEnd(text, start + indent, end) });
    }
    if (end >= to) break;
  }
  const edits: TextEdit[] = [];
  const rest: Line[] = [];
  for (const line of lines) {
    const at = found.get(line.target);
    if (!at) {
      rest.push(line);
      continue;
    }
    if (text.slice(at.start, at.end) !== line.code) edits.push({ offset: at.start, length: at.end - at.start, text: line.code });
  }
  return { edits, rest };
}

/** Names for a new init method, in order; each is one the analysis recognizes as an existing init method (torch.ts INIT_METHOD_NAMES). */
const NEW_METHOD_NAMES = ['_init_weights', 'init_weights', '_initialize_weights', 'initialize_weights'];

function planMethod(model: Model, text: string, lines: readonly Line[]): EditPlan {
  const eol = eolOf(text);
  const init = model.torch?.init;
  if (!init) throw new EditRefused(`${model.name} has no __init__ method to initialize its layers in.`);
  const existing = model.torch?.initMethod;
  const unit = indentUnit(text, model, init);
  if (existing) {
    const header = compoundHeader(text, existing.span.from, existing.span.to);
    // Called as `self.init_weights()`, the method's one parameter is the module, whatever its name (`def init_weights(m)`).
    const own = /^(?:async\s+)?def\s+\w+\s*\(\s*([A-Za-z_]\w*)/.exec(text.slice(existing.span.from, header?.colon ?? existing.span.to))?.[1] ?? 'self';
    const named = own === 'self' ? lines : lines.map((l) => {
      const target = `${own}${l.target.slice('self'.length)}`;
      return { target, code: l.code.replace(l.target, target) };
    });
    // A one-line method (`def _init_weights(self): ...`) is searched from its body on.
    const found = replaceExisting(text, header?.inline ? header.bodyStart : existing.span.from, existing.span.to, named);
    const { rest } = found;
    let edits = found.edits;
    const end = blockEnd(text, existing.span);
    const bodyIndent = `${indentOf(text, existing.span.from)}${unit}`;
    const added = rest.map((l) => `${eol}${bodyIndent}${l.code}`).join('');
    if (rest.length > 0 && header?.inline) {
      // The one-line body moves to its own line (with its own replacements), the new lines follow it.
      const inside = edits.filter((e) => e.offset >= header.bodyStart && e.offset + e.length <= end);
      const inline = applyTextEdits(text.slice(header.bodyStart, end), inside.map((e) => ({ ...e, offset: e.offset - header.bodyStart })));
      edits = [...edits.filter((e) => !inside.includes(e)), { offset: header.colon + 1, length: end - header.colon - 1, text: `${eol}${bodyIndent}${inline}${added}` }];
    } else if (rest.length > 0) edits.push({ offset: end, length: 0, text: added });
    if (!existing.called) edits.push(callAtEndOfInit(text, init, existing.name, eol));
    return { edits, summary: edits.length === 0 ? `${model.name}.${existing.name} already applies these initializations.` : `Updated ${model.name}.${existing.name}().` };
  }
  const methodIndent = indentOf(text, init.from);
  const bodyIndent = `${methodIndent}${unit}`;
  // A class may already define `_init_weights(self, module)` for `self.apply(...)`: a second def would shadow one of them.
  const defined = new Set(Array.from(text.slice(model.span.from, model.span.to).matchAll(/\bdef\s+(\w+)\s*\(/g), (m) => m[1]));
  const name = NEW_METHOD_NAMES.find((n) => !defined.has(n));
  if (!name) throw new EditRefused(`${model.name} already defines ${NEW_METHOD_NAMES.join(', ')}; InitLens has no method name left to add.`);
  const method = [
    '',
    `${methodIndent}def ${name}(self):`,
    `${bodyIndent}"""Initialization matched to each layer's activation (added by InitLens)."""`,
    ...lines.map((l) => `${bodyIndent}${l.code}`),
  ].join(eol);
  // One insertion: the call ends __init__, the new method follows it.
  const call = callAtEndOfInit(text, init, name, eol);
  return {
    edits: [{ ...call, text: `${call.text}${eol}${method}` }],
    summary: `Added ${model.name}.${name}(), called at the end of __init__.`,
  };
}

/** `self.<name>()` as the last statement of `__init__`: a line of its own, or `; self.<name>()` after a one-line body. */
function callAtEndOfInit(text: string, init: { from: number; to: number }, name: string, eol: string): TextEdit {
  const end = blockEnd(text, init);
  const header = compoundHeader(text, init.from, init.to);
  if (!header) throw new EditRefused('InitLens could not find where __init__ ends; nothing was changed.');
  if (header.inline) return { offset: codeEnd(text, header.bodyStart, end), length: 0, text: `; self.${name}()` };
  return { offset: end, length: 0, text: `${eol}${indentOf(text, header.bodyStart)}self.${name}()` };
}

function planAfterStatement(model: Model, text: string, lines: readonly Line[]): EditPlan {
  const eol = eolOf(text);
  const statementEnd = lineEnd(text, model.span.to);
  // Lines InitLens wrote before sit right below the model: replace those, add the rest.
  let blockTo = statementEnd;
  for (let next = nextLineStart(text, statementEnd); next < text.length; ) {
    const end = lineEnd(text, next);
    if (!/^\s*\S*init\.\w+\(/.test(text.slice(next, end))) break;
    blockTo = end;
    next = nextLineStart(text, end);
  }
  const { edits, rest } = replaceExisting(text, statementEnd, blockTo, lines);
  const indent = indentOf(text, model.span.from);
  if (rest.length > 0) edits.push({ offset: blockTo, length: 0, text: rest.map((l) => `${eol}${indent}${l.code}`).join('') });
  return { edits, summary: edits.length === 0 ? `${model.name} already has these initializations.` : `Initialized ${model.name}'s layers after its definition.` };
}

function planKeras(layers: readonly Layer[], text: string): EditPlan {
  const edits: TextEdit[] = [];
  for (const layer of layers) {
    const param = mainParam(layer);
    if (!param?.recommendation || param.name !== 'kernel') continue;
    const expression = kerasInitializerExpression(param.recommendation.scheme);
    if (layer.kernelInitializer) {
      const { from, to } = layer.kernelInitializer;
      if (text.slice(from, to) !== expression) edits.push({ offset: from, length: to - from, text: expression });
      continue;
    }
    // After the constructor's last argument (and any trailing comma), before comments.
    const close = layer.span.to - 1;
    if (text[close] !== ')') throw new EditRefused(`The call that builds ${layer.name} is not closed; finish it first.`);
    edits.push(appendArgumentsAt(text, layer.span.from, close, `kernel_initializer=${expression}`));
  }
  const names = layers.map((l) => l.name).join(', ');
  return { edits, summary: edits.length === 0 ? `${names}: kernel_initializer already set as recommended.` : `Set kernel_initializer on ${names}.` };
}

/** The code a hover or lens shows for one layer (first line of what Apply writes). */
export function applyPreview(model: Model, layer: Layer): string | undefined {
  const p = mainParam(layer);
  return p?.recommendation ? initCode(model, layer, p, p.recommendation.scheme) : undefined;
}

