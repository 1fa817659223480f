/**
 * Data flow inside a model's forward method (Keras `call()`): from a layer's
 * call, through the statements that consume its output, to what decides the
 * layer's activation. The framework supplies what a called expression does
 * ({@link FlowTarget}); the walk over assignments, residual additions,
 * normalizers and neutral calls is the same for every framework (PyTorch's
 * `Forward` in forward.ts still walks with its own copy of these rules).
 */
import type { SyntaxNode } from '../python/parse';
import { descendants, same } from '../python/syntax';
import type { Activation } from './activations';
import type { Context } from './context';
import type { LayerDraft } from './layer';
import type { ActivationUse } from './types';

/** What calling an expression does to its input. */
export type FlowTarget =
  | { readonly kind: 'layers'; readonly layers: readonly LayerDraft[] }
  | { readonly kind: 'activation'; readonly activation: Activation; readonly at: SyntaxNode }
  | { readonly kind: 'normalizer'; readonly type: string }
  | { readonly kind: 'neutral' }
  | { readonly kind: 'other' };

/** The framework's half of the walk. */
export interface FlowRules {
  /** What calling `call`'s callee does. */
  target(call: SyntaxNode): FlowTarget;
}

/** How far one layer's output is followed, in syntax steps. */
const MAX_STEPS = 32;

/**
 * Follows a layer's output (the call `start`) to what consumes it: an
 * activation (`via: 'forward'`), another weight layer (identity), or the
 * method's return (identity, `via: 'output'`). A normalizer on the way is
 * passed through and reported; neutral calls, arithmetic (`out + identity`),
 * re-assignments and `+=` pass the value on. Anything else: unknown.
 */
export function consumer(start: SyntaxNode, body: SyntaxNode, ctx: Context, rules: FlowRules): { use?: ActivationUse; normalizer?: string } {
  let node = start;
  let normalizer: string | undefined;
  const found = (use: ActivationUse) => ({ use, ...(normalizer ? { normalizer } : {}) });
  for (let step = 0; step < MAX_STEPS; step++) {
    const parent = node.parent;
    if (!parent) break;
    if (parent.name === 'ArgList' && parent.parent?.name === 'CallExpression') {
      const call = parent.parent;
      const target = rules.target(call);
      switch (target.kind) {
        case 'activation':
          return found({ activation: target.activation, via: 'forward', at: { from: target.at.from, to: target.at.to } });
        case 'normalizer':
          normalizer ??= target.type;
          node = call;
          continue;
        case 'neutral':
          node = call;
          continue;
        case 'layers':
          return found({ activation: { kind: 'identity' }, via: 'forward' });
        case 'other':
          return {};
      }
    }
    if (parent.name === 'BinaryExpression' || parent.name === 'ParenthesizedExpression') {
      node = parent;
      continue;
    }
    if (parent.name === 'AssignStatement' && !same(node, parent.firstChild)) {
      const target = parent.firstChild;
      if (!target || target.name !== 'VariableName') return {};
      const next = nextUse(ctx.slice(target), parent.to, body, ctx);
      if (!next) return {};
      node = next;
      continue;
    }
    // `out += identity`: a residual connection passes the value on.
    if (parent.name === 'UpdateStatement' && same(node, parent.firstChild) && node.name === 'VariableName') {
      const next = nextUse(ctx.slice(node), parent.to, body, ctx);
      if (!next) return {};
      node = next;
      continue;
    }
    if (parent.name === 'ReturnStatement') return found({ activation: { kind: 'identity' }, via: 'output' });
    return {};
  }
  return {};
}

/** The first read of `name` after `offset` in the function body. */
function nextUse(name: string, offset: number, body: SyntaxNode, ctx: Context): SyntaxNode | undefined {
  for (const v of descendants(body, 'VariableName')) {
    if (v.from < offset || ctx.slice(v) !== name) continue;
    const parent = v.parent;
    // `x = ...` re-binds without reading.
    if (parent?.name === 'AssignStatement' && same(parent.firstChild, v)) continue;
    return v;
  }
  return undefined;
}
