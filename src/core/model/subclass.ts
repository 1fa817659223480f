/**
 * Classes that derive from a library layer (`class TransformerModel(nn.Transformer)`):
 * the layer's own tensors are built by `super().__init__(...)`, so the class
 * itself is that layer, reported at the `super().__init__` call with the
 * arguments it passes.
 */
import type { SyntaxNode } from '../python/parse';
import { descendants } from '../python/syntax';
import { lookupLayer, type LayerSpec } from './catalog';
import { bindCall, type Context } from './context';
import type { Scope } from './evaluate';
import { draftLayer, type LayerDraft } from './layer';

/** The catalog layer a class derives from directly (`nn.Transformer`), if any. */
export function libraryBase(cls: SyntaxNode, ctx: Context): LayerSpec | undefined {
  const list = cls.getChild('ArgList');
  if (!list) return undefined;
  const bases: SyntaxNode[] = [];
  for (let c = list.firstChild; c; c = c.nextSibling) if (c.name !== '(' && c.name !== ')' && c.name !== ',') bases.push(c);
  for (const base of bases) {
    const spec = lookupLayer(ctx.qualified(base) ?? '');
    if (spec?.framework === 'torch') return spec;
  }
  return undefined;
}

/**
 * The layer built by `super().__init__(...)` / `super(Cls, self).__init__(...)`
 * in `__init__`, named `""` as in `named_modules()` (the model itself).
 */
export function superInitLayer(spec: LayerSpec, initBody: SyntaxNode, ctx: Context, scope: Scope): LayerDraft | undefined {
  for (const call of descendants(initBody, 'CallExpression')) {
    const callee = call.firstChild;
    if (callee?.name !== 'MemberExpression' || ctx.slice(callee.lastChild as SyntaxNode) !== '__init__') continue;
    const object = callee.firstChild;
    if (object?.name !== 'CallExpression' || ctx.slice(object.firstChild as SyntaxNode) !== 'super') continue;
    const bound = bindCall(call, ctx, scope);
    return bound ? draftLayer(spec, bound, '', ctx, scope) : undefined;
  }
  return undefined;
}
