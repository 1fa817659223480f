/**
 * What karpathy's GPTs (minGPT, nanoGPT) reach their modules through, read
 * from `__init__` for the signal engine's graph (graph.ts): entries of an
 * `nn.ModuleDict(dict(wte=..., h=nn.ModuleList(...)))` (`self.transformer.wte`),
 * a local alias of a member (`m = self.mlp`), a lambda member calling them
 * (`self.mlpf = lambda x: m.dropout(m.c_proj(m.act(m.c_fc(x))))`), and the
 * constant tensors registered as buffers (`self.register_buffer("bias",
 * torch.tril(torch.ones(n, n)).view(1, 1, n, n))`). Only what is certain
 * from the code: one direct assignment in `__init__`, entries written out.
 */
import type { Context } from '../model/context';
import type { SyntaxNode } from '../python/parse';
import { callArgs, statements, stringValue, unwrap } from '../python/syntax';

/** The constructor of `key` in `nn.ModuleDict(dict(key=ctor, ...))` or `nn.ModuleDict({'key': ctor, ...})`; undefined otherwise. */
export function moduleDictEntry(ctor: SyntaxNode, key: string, ctx: Context): SyntaxNode | undefined {
  const n = unwrap(ctor);
  if (n.name !== 'CallExpression' || ctx.qualified(n.firstChild) !== 'torch.nn.ModuleDict') return undefined;
  const list = n.getChild('ArgList');
  const args = list ? callArgs(list, ctx.text) : undefined;
  if (!args || args.hasStarred || args.positional.length !== 1 || args.keywords.size > 0) return undefined;
  const arg = unwrap(args.positional[0]);
  if (arg.name === 'CallExpression' && arg.firstChild && ctx.slice(arg.firstChild) === 'dict') {
    const inner = arg.getChild('ArgList');
    const kw = inner ? callArgs(inner, ctx.text) : undefined;
    if (!kw || kw.hasStarred || kw.positional.length > 0) return undefined;
    return kw.keywords.get(key);
  }
  if (arg.name === 'DictionaryExpression') {
    // {'key': value, ...}: keys and values alternate between the punctuation.
    const parts: SyntaxNode[] = [];
    for (let c = arg.firstChild; c; c = c.nextSibling) if (!['{', '}', ',', ':'].includes(c.name)) parts.push(c);
    for (let i = 0; i + 1 < parts.length; i += 2) if (stringValue(parts[i], ctx.text) === key) return parts[i + 1];
  }
  return undefined;
}

/** The direct statements of `__init__`'s body. */
function initStatements(init: SyntaxNode | undefined): readonly SyntaxNode[] {
  const body = init?.getChild('Body');
  return body ? statements(body) : [];
}

/** `name = self.<path>` written once, directly in `__init__` (and nowhere else in it): the member path it names. */
export function initAlias(init: SyntaxNode | undefined, name: string, ctx: Context): string | undefined {
  let found: string | undefined;
  let count = 0;
  for (const stmt of initStatements(init)) {
    if (stmt.name !== 'AssignStatement') continue;
    const target = stmt.firstChild;
    if (target?.name !== 'VariableName' || ctx.slice(target) !== name) continue;
    count++;
    const value = target.nextSibling?.nextSibling;
    const m = value && target.nextSibling?.name === 'AssignOp' && !value.nextSibling ? /^self((?:\.\w+)+)$/.exec(ctx.slice(value).replace(/\s+/g, '')) : null;
    found = m ? m[1].slice(1) : undefined;
  }
  return count === 1 ? found : undefined;
}

/** The lambda of `self.<name> = lambda x: ...` when that is its only assignment: its one parameter and its body. */
export function lambdaMember(assigned: readonly SyntaxNode[] | undefined): { readonly param: SyntaxNode; readonly body: SyntaxNode } | undefined {
  if (!assigned || assigned.length !== 1 || assigned[0].name !== 'LambdaExpression') return undefined;
  const lambda = assigned[0];
  const params = lambda.getChild('ParamList');
  const names: SyntaxNode[] = [];
  for (let c = params?.firstChild; c; c = c.nextSibling) {
    if (c.name === 'VariableName') names.push(c);
    else if (c.name !== ',') return undefined;
  }
  const body = lambda.lastChild;
  if (names.length !== 1 || !body || body.name === ':') return undefined;
  return { param: names[0], body };
}

/** The tensor expression of `self.register_buffer("<name>", tensor)`, a direct statement of `__init__` (once). */
export function bufferOf(init: SyntaxNode | undefined, name: string, ctx: Context): SyntaxNode | undefined {
  const found: SyntaxNode[] = [];
  for (const stmt of initStatements(init)) {
    const call = stmt.name === 'ExpressionStatement' ? stmt.firstChild : null;
    if (call?.name !== 'CallExpression' || ctx.slice(call.firstChild!).replace(/\s+/g, '') !== 'self.register_buffer') continue;
    const list = call.getChild('ArgList');
    const args = list ? callArgs(list, ctx.text) : undefined;
    if (!args || stringValue(args.positional[0] ?? args.keywords.get('name'), ctx.text) !== name) continue;
    const tensor = args.positional[1] ?? args.keywords.get('tensor');
    if (tensor) found.push(tensor);
  }
  return found.length === 1 ? found[0] : undefined;
}
