/**
 * What a module's top level gives the models defined in it: constants
 * (`HIDDEN = 256`, `D = 4 * 64`), dict literals entry by entry (`cfg['VGG11']`),
 * argparse defaults (`opt.latent_dim` after `opt = parser.parse_args()`), and
 * config classes (`@dataclass class GPTConfig: n_embd: int = 768`) whose
 * defaults a model's `config` parameter reads.
 */
import { exceeds } from '../limits';
import type { SyntaxNode } from '../python/parse';
import { callArgs, same, statements, stringValue, unwrap } from '../python/syntax';
import { extend, type Context } from './context';
import { parameters, withoutNames } from './members';
import { baseName, deleteEntries, entriesBelow, entryKey, evaluate, indexObjects, keysKey, objectWrites, tensorShape, valueSize, withoutEntries, type Entries, type ObjectCalls, type Scope, type Value } from './evaluate';

/** A class of the file that only holds settings: its attribute defaults. */
export interface ConfigClass {
  readonly name: string;
  readonly fields: ReadonlyMap<string, Value>;
}

/** Top-level statements, and those of `if __name__ == "__main__":` blocks, in order. */
function* moduleStatements(top: readonly SyntaxNode[], text: string): Generator<SyntaxNode> {
  for (const stmt of top) {
    yield stmt;
    if (stmt.name === 'IfStatement' && /^if\s+__name__\s*==/.test(text.slice(stmt.from, stmt.from + 40))) {
      const body = stmt.getChild('Body');
      if (body) yield* statements(body);
    }
  }
}

/**
 * Module-level names, evaluated in order; bounded as a whole (the scope is part of the analysis cache key).
 * Objects are held as their entries (evaluate.ts, objectWrites): `config.vocab_size = 50257` after
 * `config = GPT.get_default_config()`, whose entries `calls` knows.
 */
export function moduleScope(top: readonly SyntaxNode[], text: string, calls?: ObjectCalls, initial: Scope = new Map()): Scope {
  const scope = new Map<string, Value>();
  // Built in place, with an index of its object entries, so that a statement costs what it touches, not the scope's size.
  const objects = new Map<string, Set<string>>();
  indexObjects(scope, objects);
  const put = (name: string, v: Value) => {
    scope.set(name, v);
    if (/[.[]/.test(name)) {
      const base = baseName(name);
      let keys = objects.get(base);
      if (!keys) objects.set(base, (keys = new Set()));
      keys.add(name);
    }
  };
  for (const [k, v] of initial) put(k, v);
  let elements = 0;
  const set = (name: string, v: Value) => {
    if (exceeds('scopeElements', elements + valueSize(v))) return;
    elements += valueSize(v);
    put(name, v);
  };
  /** argparse parsers of the module: variable → (dest → default). */
  const parsers = new Map<string, Map<string, Value>>();
  for (const stmt of moduleStatements(top, text)) {
    // A block that may or may not run (if, for, while, try, with): what it assigns is unknown after it.
    if (BLOCKS.has(stmt.name)) {
      const names = assignedIn(stmt, text);
      deleteEntries(scope, names);
      for (const n of names) scope.delete(n);
      continue;
    }
    const writes = objectWrites(stmt, text, scope, calls);
    if (writes) {
      deleteEntries(scope, writes.forget);
      for (const k of writes.remove) scope.delete(k);
      for (const [k, v] of writes.set) set(k, v);
    }
    if (stmt.name === 'ExpressionStatement') {
      const arg = addArgument(stmt, text, scope, parsers);
      if (arg) arg.parser.set(arg.dest, arg.value);
      continue;
    }
    if (stmt.name !== 'AssignStatement') continue;
    const target = stmt.firstChild;
    const value = stmt.lastChild;
    if (!target || !value || target.name !== 'VariableName' || same(target, value)) continue;
    const name = text.slice(target.from, target.to);
    const node = unwrap(value);
    if (node.name === 'CallExpression' && /(^|\.)ArgumentParser$/.test(calleeText(node, text))) {
      parsers.set(name, new Map());
      continue;
    }
    // opt = parser.parse_args() / args, unknown = parser.parse_known_args()
    const parsed = /^(\w+)\.parse_(known_)?args$/.exec(node.name === 'CallExpression' ? calleeText(node, text) : '');
    if (parsed && parsers.has(parsed[1]) && (!parsed[2] || target.nextSibling?.name === ',')) {
      for (const [dest, v] of parsers.get(parsed[1]) ?? []) set(`${name}.${dest}`, v);
      continue;
    }
    if (node.name === 'DictionaryExpression') {
      for (const [key, v] of dictEntries(node, text, scope)) set(entryKey(name, key), v);
      continue;
    }
    const v = evaluate(value, text, scope);
    scope.delete(`${name}.shape`);
    if (v !== undefined) set(name, v);
    else scope.delete(name);
    const shape = v === undefined ? tensorShape(node, text, scope) : undefined;
    if (shape && !reshaped(name, text)) set(`${name}.shape`, shape);
  }
  return scope;
}

/** Whether the module changes a tensor's shape in place or assigns the name again anywhere (a function's `global`, a loop): its shape is not certain then. */
function reshaped(name: string, text: string): boolean {
  const assigned = text.match(new RegExp(`(?<![\\w.])${name}\\s*(=(?!=)|[-+*/]=)`, 'g'))?.length ?? 0;
  return assigned > 1 || new RegExp(`(?<![\\w.])${name}\\s*\\.\\s*(\\w+_\\s*\\(|data\\s*=)`).test(text);
}

const BLOCKS = new Set(['IfStatement', 'ForStatement', 'WhileStatement', 'TryStatement', 'WithStatement']);

/** Names (and dotted names) a block assigns anywhere inside it, its functions and classes aside. */
function assignedIn(block: SyntaxNode, text: string): string[] {
  const out = new Set<string>();
  /** `x`, `a, (b, c)`, `cfg.width`; `d[k]` changes `d`. */
  const target = (t: SyntaxNode) => {
    if (t.name === 'VariableName') out.add(text.slice(t.from, t.to));
    else if (t.name === 'MemberExpression') {
      const base = t.getChild('[') ? t.firstChild : t;
      const dotted = base ? text.slice(base.from, base.to).replace(/\s+/g, '') : '';
      if (/^[\w.]+$/.test(dotted)) out.add(dotted);
    } else for (let e = t.firstChild; e; e = e.nextSibling) target(e);
  };
  const visit = (node: SyntaxNode) => {
    for (let c = node.firstChild; c; c = c.nextSibling) {
      if (c.name === 'FunctionDefinition' || c.name === 'ClassDefinition' || c.name === 'DecoratedStatement') continue;
      if (c.name === 'AssignStatement' || c.name === 'UpdateStatement' || c.name === 'ForStatement') {
        for (let t = c.firstChild; t && t.name !== 'AssignOp' && t.name !== 'UpdateOp' && t.name !== 'in'; t = t.nextSibling) target(t);
      }
      // A call inside the block may change an object (`cfg.update(...)`): its entries are unknown too.
      if (c.name === 'CallExpression') {
        const callee = c.firstChild;
        const owner = callee?.name === 'MemberExpression' ? callee.firstChild : null;
        const name = owner ? text.slice(owner.from, owner.to).replace(/\s+/g, '') : '';
        if (/^[\w.]+$/.test(name)) out.add(name);
      }
      visit(c);
    }
  };
  visit(block);
  return [...out];
}

function calleeText(call: SyntaxNode, text: string): string {
  const callee = call.firstChild;
  return callee ? text.slice(callee.from, callee.to).replace(/\s+/g, '') : '';
}

/** `{'VGG11': [64, 'M', ...], ...}`: the string-keyed entries whose values evaluate. */
function dictEntries(node: SyntaxNode, text: string, scope: Scope): [string, Value][] {
  const out: [string, Value][] = [];
  let key: string | undefined;
  let expectKey = true;
  for (let c = node.firstChild; c; c = c.nextSibling) {
    if (c.name === '{' || c.name === '}' || c.name === ':') continue;
    if (c.name === ',') {
      expectKey = true;
      key = undefined;
      continue;
    }
    if (expectKey) {
      key = c.name === 'String' ? stringValue(c, text) : undefined;
      expectKey = false;
    } else if (key !== undefined) {
      const v = evaluate(c, text, scope);
      if (v !== undefined) out.push([key, v]);
    }
  }
  return out;
}

/** `parser.add_argument('--latent_dim', type=int, default=100)`: the parser, the destination and the default. */
function addArgument(stmt: SyntaxNode, text: string, scope: Scope, parsers: ReadonlyMap<string, Map<string, Value>>): { parser: Map<string, Value>; dest: string; value: Value } | undefined {
  const call = stmt.firstChild;
  if (call?.name !== 'CallExpression') return undefined;
  const m = /^(\w+)\.add_argument$/.exec(calleeText(call, text));
  const parser = m ? parsers.get(m[1]) : undefined;
  const list = call.getChild('ArgList');
  if (!parser || !list) return undefined;
  const args = callArgs(list, text);
  const flags = args.positional.map((n) => stringValue(n, text)).filter((f): f is string => f !== undefined);
  const destNode = args.keywords.get('dest');
  const long = flags.find((f) => f.startsWith('--')) ?? flags.find((f) => !f.startsWith('-')) ?? flags[0];
  const dest = destNode ? stringValue(destNode, text) : long?.replace(/^-+/, '').replace(/-/g, '_');
  if (!dest) return undefined;
  const action = args.keywords.get('action');
  const actionName = action ? stringValue(action, text) : undefined;
  const defaultNode = args.keywords.get('default');
  let value: Value | undefined;
  const required = args.keywords.get('required');
  // A required argument comes from the command line: its default never applies.
  if (required && text.slice(required.from, required.to) === 'True') return undefined;
  if (defaultNode) value = evaluate(defaultNode, text, scope);
  else if (actionName === 'store_true') value = false;
  else if (actionName === 'store_false') value = true;
  else value = null; // argparse's default
  if (value === undefined) return undefined;
  // `type=int` converts a string default, as argparse does.
  const type = args.keywords.get('type');
  const typeName = type ? text.slice(type.from, type.to) : '';
  if (typeof value === 'string' && (typeName === 'int' || typeName === 'float')) {
    const n = Number(value);
    if (!Number.isFinite(n) || (typeName === 'int' && !Number.isInteger(n))) return undefined;
    value = n;
  }
  return { parser, dest, value };
}

/**
 * Settings classes of the file: `@dataclass` classes and NamedTuples (annotated
 * fields with defaults), and plain classes of class-level constants, none of
 * them deriving from a module class. A field without a default leaves the class
 * out (its instances need a value the file does not give).
 */
export function configClasses(top: readonly SyntaxNode[], text: string, scope: Scope, moduleClasses: ReadonlySet<string>): ConfigClass[] {
  const out: ConfigClass[] = [];
  for (const stmt of top) {
    const cls = stmt.name === 'DecoratedStatement' ? stmt.getChild('ClassDefinition') : stmt.name === 'ClassDefinition' ? stmt : null;
    const nameNode = cls?.getChild('VariableName');
    if (!cls || !nameNode) continue;
    const name = text.slice(nameNode.from, nameNode.to);
    if (moduleClasses.has(name)) continue;
    const body = cls.getChild('Body');
    if (!body) continue;
    const fields = new Map<string, Value>();
    let complete = true;
    let methods = false;
    for (const s of statements(body)) {
      if (s.name === 'FunctionDefinition' || s.name === 'DecoratedStatement') {
        methods = true;
        continue;
      }
      if (s.name !== 'AssignStatement') continue;
      const target = s.firstChild;
      if (target?.name !== 'VariableName') continue;
      const value = s.getChild('AssignOp')?.nextSibling;
      const v = value ? evaluate(value, text, scope) : undefined;
      if (v === undefined) complete = false;
      else fields.set(text.slice(target.from, target.to), v);
    }
    // A class with methods and no fields is not a settings class.
    if (complete && fields.size > 0 && !(methods && fields.size === 0)) out.push({ name, fields });
  }
  return out;
}

/**
 * Functions that build and return an object without arguments, by name, with
 * the object's entries: minGPT's `get_default_config` (a static method:
 * `C = CN()`, `C.n_layer = None`, ..., `return C`), a module-level
 * `def default_config()`. Its body is read as module-level code is, from an
 * empty scope; a parameter without a default leaves the function out.
 */
export function objectFactories(fns: readonly SyntaxNode[], text: string, methods = false): Map<string, Entries> {
  const out = new Map<string, Entries>();
  for (const stmt of fns) {
    const fn = stmt.name === 'DecoratedStatement' ? stmt.getChild('FunctionDefinition') : stmt;
    const nameNode = fn?.name === 'FunctionDefinition' ? fn.getChild('VariableName') : null;
    const body = fn?.getChild('Body');
    if (!fn || !nameNode || !body) continue;
    const decorators = stmt.name === 'DecoratedStatement' ? text.slice(stmt.from, fn.from) : '';
    // A method callable on the class itself: static (no parameters) or a classmethod (only `cls`).
    const required = requiredParams(fn, text);
    const callable = !methods ? required.length === 0 : /@staticmethod\b/.test(decorators) ? required.length === 0 : /@classmethod\b/.test(decorators) && required.length === 1;
    const body_ = statements(body);
    const last = body_[body_.length - 1];
    const returned = last?.name === 'ReturnStatement' ? last.lastChild : null;
    if (!callable || returned?.name !== 'VariableName') continue;
    const entries = entriesBelow(text.slice(returned.from, returned.to), moduleScope(body_, text));
    if (entries.length > 0) out.set(text.slice(nameNode.from, nameNode.to), entries);
  }
  return out;
}

/** Parameters without a default (`*args` and `**kwargs` are not required). */
function requiredParams(fn: SyntaxNode, text: string): string[] {
  const list = fn.getChild('ParamList');
  const out: string[] = [];
  let star = false;
  for (let c = list?.firstChild; c; c = c.nextSibling) {
    if (c.name === '*' || c.name === '**') star = true;
    else if (c.name === ',') star = false;
    else if (c.name === 'VariableName' && !star && c.prevSibling?.name !== 'AssignOp') {
      const next = c.nextSibling?.name === 'TypeDef' ? c.nextSibling.nextSibling : c.nextSibling;
      if (next?.name !== 'AssignOp') out.push(text.slice(c.from, c.to));
    }
  }
  return out;
}

/**
 * A function's scope: the module's, its parameters (with their defaults; one
 * without a default hides a module name) and the names its body assigns, read
 * in order as module-level code is (constants, argparse defaults, objects; a
 * name it assigns that InitLens cannot evaluate, or assigns in a block that
 * may not run, hides the module's too). Its constructions are evaluated here,
 * in the file itself and in the files importing it.
 */
export function functionScope(fn: SyntaxNode, ctx: Context, calls?: ObjectCalls): Scope {
  const params = parameters(fn, ctx, ctx.moduleScope);
  const body = fn.getChild('Body');
  const outer = withoutNames(withoutEntries(ctx.moduleScope, params.names), params.names);
  // Called with nothing beyond its parameters' defaults (a root, as a class nobody builds): `*args` and `**kwargs` are empty.
  const spreads: [string, Value][] = [];
  let star: string | undefined;
  for (let c = fn.getChild('ParamList')?.firstChild; c; c = c.nextSibling) {
    if (c.name === '*' || c.name === '**') star = c.name;
    else if (c.name === 'VariableName' && star) spreads.push(star === '*' ? [ctx.slice(c), []] : [keysKey(ctx.slice(c)), []]);
    else star = undefined;
  }
  const start = extend(outer, [...params.defaults, ...spreads]);
  return body ? moduleScope(statements(body), ctx.text, calls, start) : start;
}
