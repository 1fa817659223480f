/**
 * "Apply LSUV" (issue 13): a text plan that writes `lsuv_init_(model, batch)`,
 * LSUV in plain PyTorch (Mishkin & Matas 2016, Algorithm 1, as the signal
 * engine computes it: core/signal/lsuv.ts), after the file's imports, and
 * its call right after the statement that builds the model, where the file
 * has one. The user runs it on real data: the call passes a random batch of
 * the model's input shape and says so.
 *
 * Idempotent: a module-level `def lsuv_init_` is never written twice, nor a
 * call `lsuv_init_(<the model's variable>` that the file already has. The
 * function uses the file's names for `torch` and `torch.nn`; an
 * `import torch` the file lacks is added once, before its first import.
 */
import { LSUV_MAX_ITERATIONS, LSUV_TOLERANCE } from '../signal/lsuv';
import { anchors, defName, moduleLevelImports } from '../seeding/placement';
import { layoutOf, Names } from '../seeding/template';
import { dottedName, type SyntaxNode, type TextEdit, type Tree } from '../python/parse';
import { descendants } from '../python/syntax';
import type { ImportBinding } from '../python/imports';
import type { Model } from '../model/types';
import { EditRefused, torchNnName, type EditPlan } from './applyInit';
import { blockEnd, indentOf, lineEnd } from './lines';

/** The generated function's name (PyTorch's trailing underscore: it changes the model in place). */
export const LSUV_FUNCTION = 'lsuv_init_';

export interface LsuvInput {
  readonly text: string;
  readonly tree: Tree;
  readonly imports: readonly ImportBinding[];
  readonly model: Model;
  /** The model's input shape (the signal graph's), for the random batch of the call; without it no call is written. */
  readonly inputShape?: readonly number[];
}

/** The function's lines, unindented at the top level; `unit` is one indentation step. */
export function lsuvFunction(torch: string, nn: string, unit: string): string[] {
  const i = (depth: number, line: string) => unit.repeat(depth) + line;
  return [
    `def ${LSUV_FUNCTION}(model, batch, tol=${LSUV_TOLERANCE}, max_iter=${LSUV_MAX_ITERATIONS}):`,
    i(1, '"""LSUV init (Mishkin & Matas 2016, "All you need is a good init"), written by InitLens.'),
    '',
    i(1, 'Orthogonal weights and zero biases, then each Linear/Conv layer, in the order the'),
    i(1, 'forward pass reaches it, divided by the std of its output on `batch` until that'),
    i(1, 'variance is within `tol` of 1 (at most `max_iter` times). Runs in training mode'),
    i(1, '(BatchNorm on batch statistics) with Dropout modules off, and restores the buffers'),
    i(1, '(BatchNorm running statistics) and the modes it changed. F.dropout calls in'),
    i(1, 'forward stay active: give them training=self.training to have them off too.'),
    i(1, 'Pass real inputs: lsuv_init_(model, next(iter(train_loader))[0]).'),
    i(1, '"""'),
    i(1, `layers = [m for m in model.modules() if isinstance(m, (${nn}.Linear, ${nn}.Conv1d, ${nn}.Conv2d, ${nn}.Conv3d))]`),
    i(1, 'modes = {m: m.training for m in model.modules()}'),
    i(1, 'buffers = {name: b.clone() for name, b in model.named_buffers()}'),
    i(1, 'batch = batch.to(next(model.parameters()).device)'),
    i(1, 'model.train()'),
    i(1, 'for m in model.modules():'),
    i(2, `if isinstance(m, ${nn}.modules.dropout._DropoutNd):`),
    i(3, 'm.eval()'),
    i(1, 'order = []'),
    i(1, 'hooks = [m.register_forward_hook(lambda mod, inp, out: order.append(mod) if mod not in order else None) for m in layers]'),
    i(1, `with ${torch}.no_grad():`),
    i(2, 'for m in layers:'),
    i(3, `${nn}.init.orthogonal_(m.weight)`),
    i(3, 'if m.bias is not None:'),
    i(4, `${nn}.init.zeros_(m.bias)`),
    i(2, 'model(batch)'),
    i(2, 'for h in hooks:'),
    i(3, 'h.remove()'),
    i(2, 'for m in order:'),
    i(3, 'seen = {}'),
    // A clone: an in-place activation after the layer would change the output the hook kept.
    i(3, 'hook = m.register_forward_hook(lambda mod, inp, out: seen.update(out=out.detach().clone()))'),
    i(3, 'iterations = 0'),
    i(3, 'while True:'),
    i(4, 'model(batch)'),
    i(4, "var = seen['out'].double().var().item()"),
    i(4, "if abs(var - 1) < tol or iterations == max_iter or not 0 < var < float('inf'):"),
    i(5, 'break'),
    i(4, 'm.weight.div_(var ** 0.5)'),
    i(4, 'iterations += 1'),
    i(3, 'hook.remove()'),
    i(2, 'for name, b in model.named_buffers():'),
    i(3, 'b.copy_(buffers[name])'),
    i(1, 'for m, training in modes.items():'),
    i(2, 'm.train(training)'),
    i(1, 'return model'),
  ];
}

/** The statement that builds `model` and the name it is bound to: `net = Net(...)` (also `.to(device)` chained), or a free-standing Sequential. */
export function modelConstruction(tree: Tree, text: string, model: Model): { statement: SyntaxNode; target: string } | undefined {
  for (const stmt of descendants(tree.topNode, 'AssignStatement')) {
    const value = stmt.lastChild;
    const first = stmt.firstChild;
    if (!value || !first || stmt.getChildren('AssignOp').length !== 1) continue;
    const target = text.slice(first.from, first.to);
    if (!/^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$/.test(target)) continue;
    if (model.kind === 'torch-sequential') {
      if (value.from === model.span.from && value.to === model.span.to) return target.startsWith('self.') ? undefined : { statement: stmt, target };
      continue;
    }
    if (builds(value, text, model.name)) return { statement: stmt, target };
  }
  return undefined;
}

/** `Name(...)`, `module.Name(...)`, or such a call with `.to(...)`/`.cuda()`/`.float()`-like methods chained. */
function builds(node: SyntaxNode, text: string, name: string): boolean {
  if (node.name !== 'CallExpression' || !node.firstChild) return false;
  const callee = node.firstChild;
  const dotted = dottedName(callee, text);
  if (dotted && dotted[dotted.length - 1] === name) return true;
  if (callee.name === 'MemberExpression' && callee.firstChild) return builds(callee.firstChild, text, name);
  return false;
}

/** Plans the function and its call (see the module comment); refused for models that are not PyTorch's. */
export function planLsuv(input: LsuvInput): EditPlan {
  const { text, tree, model } = input;
  if (model.framework !== 'torch') throw new EditRefused(`${model.name} is not a PyTorch model: LSUV is written for PyTorch.`);
  const { eol, indent } = layoutOf(text);
  const imports = moduleLevelImports(tree, input.imports);
  const names = new Names(imports);
  const torch = names.of('torch');
  const nn = torchNnName(imports) ?? `${torch}.nn`;
  const edits: TextEdit[] = [];
  const parts: string[] = [];
  let def: SyntaxNode | undefined;
  for (let stmt = tree.topNode.firstChild; stmt; stmt = stmt.nextSibling) if (defName(stmt, text) === LSUV_FUNCTION) def = stmt;
  const where = anchors(tree, text, undefined);
  if (!def) {
    if (names.missing.length > 0) edits.push({ offset: where.importAt, length: 0, text: names.missing.map((l) => l + eol).join('') });
    const fn = lsuvFunction(torch, nn, indent).join(eol);
    if (where.after === undefined) edits.push({ offset: where.importAt, length: 0, text: `${fn}${eol}${eol}${eol}` });
    else edits.push({ offset: where.after, length: 0, text: `${eol}${eol}${eol}${fn}` });
    parts.push(`wrote ${LSUV_FUNCTION}()`);
  }
  const built = modelConstruction(tree, text, model);
  if (built && input.inputShape) {
    const outside = (from: number) => !def || from < def.from || from > def.to;
    const called = [...text.matchAll(new RegExp(`\\b${LSUV_FUNCTION}\\(\\s*${built.target.replace(/\./g, '\\.')}\\b`, 'g'))].some((m) => outside(m.index ?? 0));
    if (!called) {
      const end = blockEnd(text, built.statement);
      const call = `${LSUV_FUNCTION}(${built.target}, ${torch}.randn(${input.inputShape.join(', ')}))  # LSUV on a random batch: pass real inputs, e.g. next(iter(train_loader))[0]`;
      edits.push({ offset: lineEnd(text, end), length: 0, text: `${eol}${indentOf(text, built.statement.from)}${call}` });
      parts.push(`called it after ${built.target} is built (line ${lineOf(text, built.statement.from)})`);
    }
  } else if (!def) {
    parts.push(built ? `no call: the input shape of ${model.name} is not known; call ${LSUV_FUNCTION}(${built.target}, batch) with a batch of real inputs` : `no call: ${model.name} is not built in this file; call ${LSUV_FUNCTION}(model, batch) after building it, with a batch of real inputs`);
  }
  if (edits.length === 0) return { edits, summary: `${model.name} already has ${LSUV_FUNCTION}() and its call.` };
  return { edits, summary: `LSUV for ${model.name}: ${parts.join('; ')}.` };
}

function lineOf(text: string, offset: number): number {
  let n = 1;
  for (let i = 0; i < offset; i++) if (text.charCodeAt(i) === 10) n++;
  return n;
}
