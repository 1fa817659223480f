/**
 * `nn.TransformerEncoder(encoder_layer, num_layers, norm=None)`: the layer
 * object it is given, read where it is built. The catalog entry
 * (`TransformerEncoder` in catalog.ts) takes that layer's arguments as its
 * own; exact mode draws them where the encoder layer is constructed
 * ({@link drawsAt}), since `_get_clones` deep-copies it and draws nothing.
 */
import type { SyntaxNode } from '../python/parse';
import { unwrap } from '../python/syntax';
import { lookupLayer } from './catalog';
import { bindCall, type BoundCall, type Context } from './context';
import type { Dim, Scope, Value } from './evaluate';
import { draftLayer } from './layer';

/** A module object as the analysis holds it: the call that builds it and the scope it is built in. */
export interface HeldModule {
  readonly node: SyntaxNode;
  readonly scope: Scope;
  /** Built by this frame's own statements (not inside a function it calls): its offset is where it draws. */
  readonly here: boolean;
  /** Already registered as a module of the model under another name (`self.layer = layer`). */
  readonly registered?: boolean;
}

/** What the analysis offers for reading the arguments (members.ts's TorchClass). */
export interface StackReader {
  readonly ctx: Context;
  /** The module an argument holds: a call written inline, or a local name bound to one. */
  held(node: SyntaxNode): HeldModule | undefined;
  /** The qualified name a callee stands for (through `from torch.nn import ...` and class references). */
  callee(call: BoundCall, scope: Scope): string;
  /** The encoder layers given to a stack so far in this class, by their construction, with the stack's name. */
  readonly used: Map<SyntaxNode, string>;
}

/** Longest argument text quoted in a message. */
const MAX_QUOTED = 40;

/**
 * The extra arguments of a TransformerEncoder's {@link draftLayer}: the
 * encoder layer's arguments under their own names (`d_model`, `nhead`, ...),
 * `encoder_layer` = `'TransformerEncoderLayer'` once read (else its text,
 * which the catalog's relations turn into a problem), the norm's as
 * `norm.<arg>`, and for exact mode `encoder_layer.before` (how many characters
 * before the stack's call its construction is) and `encoder_layer.exact` (why its draws cannot be placed).
 */
export function encoderStackArgs(call: BoundCall, name: string, reader: StackReader): Record<string, Value | Dim> {
  const { ctx } = reader;
  const quote = (n: SyntaxNode) => {
    const text = ctx.slice(n).replace(/\s+/g, ' ');
    return text.length > MAX_QUOTED ? `${text.slice(0, MAX_QUOTED - 1)}…` : text;
  };
  const out: Record<string, Value | Dim> = {};
  const layerNode = call.node_('encoder_layer', 0);
  const read = (node: SyntaxNode, type: string): { held: HeldModule; args: ReadonlyMap<string, Value | Dim | undefined> } | undefined => {
    const held = reader.held(node);
    const bound = held && unwrap(held.node).name === 'CallExpression' ? bindCall(unwrap(held.node), ctx, held.scope) : undefined;
    if (!held || !bound) return undefined;
    const spec = lookupLayer(reader.callee(bound, held.scope));
    if (spec?.type !== type || spec.framework !== 'torch') return undefined;
    return { held, args: draftLayer(spec, bound, '', ctx, held.scope).args };
  };
  const layer = layerNode ? read(layerNode, 'TransformerEncoderLayer') : undefined;
  if (!layer) {
    out.encoder_layer = layerNode ? quote(layerNode) : 'missing';
    return out;
  }
  for (const [key, value] of layer.args) if (value !== undefined) out[key] = value;
  out.encoder_layer = 'TransformerEncoderLayer';
  const inline = unwrap(layerNode as SyntaxNode).name === 'CallExpression';
  if (!inline) {
    // How far before the stack's own call: both move together with their statement (cached models shift in place).
    if (layer.held.here) out['encoder_layer.before'] = call.node.from - layer.held.node.from;
    else out['encoder_layer.exact'] = 'its encoder layer is built inside a function, whose place in the stream exact mode does not track here';
  }
  const earlier = reader.used.get(layer.held.node);
  if (earlier !== undefined) out['encoder_layer.exact'] = `its encoder layer (line ${ctx.line(layer.held.node.from) + 1}) is given to ${earlier} too: exact mode draws one encoder layer per stack`;
  else if (layer.held.registered) out['encoder_layer.exact'] = `its encoder layer (line ${ctx.line(layer.held.node.from) + 1}) is a module of the model too, and exact mode would draw it twice`;
  reader.used.set(layer.held.node, name);
  const normNode = call.node_('norm', 2);
  if (!normNode || unwrap(normNode).name === 'None') out.norm = null;
  else {
    const norm = read(normNode, 'LayerNorm');
    if (!norm) out.norm = quote(normNode);
    else {
      out.norm = 'LayerNorm';
      for (const key of ['normalized_shape', 'eps', 'elementwise_affine']) {
        const value = norm.args.get(key);
        if (value !== undefined) out[`norm.${key}`] = value;
      }
    }
  }
  return out;
}

/** Where a layer's constructor draws from the stream: a TransformerEncoder's encoder layer where it is built, any other layer at its own call. */
export function drawsAt(layer: { readonly span: { readonly from: number }; readonly args: ReadonlyMap<string, unknown> }): number {
  const before = layer.args.get('encoder_layer.before');
  return typeof before === 'number' ? layer.span.from - before : layer.span.from;
}

/** What a verdict adds about an nn.TransformerEncoder of two or more layers: its copies start alike (empty for any other layer). */
export function copiesNote(layer: { readonly type: string; readonly args: ReadonlyMap<string, unknown> }): string {
  const n = layer.args.get('num_layers');
  if (layer.type !== 'TransformerEncoder' || typeof n !== 'number' || n < 2) return '';
  return `; its ${n} layers are deep copies of one encoder layer, so they start with the same weights`;
}
