/**
 * The default input of a model whose forward first reshapes its input to a
 * written shape (pytorch/examples mnist_rnn: `input = input.reshape(-1, 28, 28)`
 * before `self.rnn`, an LSTM of input_size 28): that shape, the batch in place
 * of the `-1`, rather than the first layer's guess (8×16×28, which the reshape rejects).
 * Only the first statements of forward are read, up to the first that is not an
 * assignment of the input to itself reshaped, view'd or flattened; the target must be
 * all integer literals or module constants, with `-1` first.
 */
import type { Context } from '../model/context';
import { evaluate } from '../model/evaluate';
import type { SyntaxNode } from '../python/parse';
import { callArgs, sequenceElements, statements, unwrap } from '../python/syntax';

/** The reshape target with `batch` for its leading -1 and the code that reads so, or undefined. */
export function reshapedInput(cls: SyntaxNode, ctx: Context, batch: number): { shape: number[]; code: string } | undefined {
  const body = cls.getChild('Body');
  const forward = body ? statements(body).find((s) => s.name === 'FunctionDefinition' && s.getChild('VariableName') && ctx.slice(s.getChild('VariableName')!) === 'forward') : undefined;
  const params = forward?.getChild('ParamList');
  const names = params ? [...childrenNamed(params, 'VariableName')].map((n) => ctx.slice(n)) : [];
  const fbody = forward?.getChild('Body');
  if (names.length !== 2 || !fbody) return undefined;
  const input = names[1];
  for (const stmt of statements(fbody)) {
    if (stmt.name === 'ExpressionStatement' && stmt.firstChild?.name === 'String') continue;
    const value = stmt.name === 'AssignStatement' ? stmt.lastChild : undefined;
    const call = value ? unwrap(value) : undefined;
    const callee = call?.name === 'CallExpression' ? call.firstChild : undefined;
    const object = callee?.name === 'MemberExpression' ? callee.firstChild : undefined;
    const method = callee?.name === 'MemberExpression' ? callee.getChild('PropertyName') : undefined;
    if (!call || !object || !method || ctx.slice(object) !== input || !['reshape', 'view'].includes(ctx.slice(method))) return undefined;
    const list = call.getChild('ArgList');
    const args = list ? callArgs(list, ctx.text) : undefined;
    if (!args || args.hasStarred || args.keywords.size > 0) return undefined;
    const dims = args.positional.length === 1 && sequenceElements(unwrap(args.positional[0])) ? sequenceElements(unwrap(args.positional[0]))! : args.positional;
    const values = dims.map((d) => evaluate(d, ctx.text, ctx.moduleScope));
    if (values.length < 2 || values[0] !== -1 || !values.slice(1).every((v) => typeof v === 'number' && Number.isInteger(v) && v > 0)) return undefined;
    return { shape: [batch, ...(values.slice(1) as number[])], code: ctx.slice(call) };
  }
  return undefined;
}

function* childrenNamed(node: SyntaxNode, name: string): Generator<SyntaxNode> {
  for (let c = node.firstChild; c; c = c.nextSibling) if (c.name === name) yield c;
}
