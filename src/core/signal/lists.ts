/**
 * The elements of an `nn.Sequential` built from Python lists, as constructor
 * calls in order, for the signal engine to apply one by one (graph.ts names
 * them `<name>.0`, `<name>.1`, … as PyTorch does):
 *
 * - `nn.Sequential(*block(a, b), *block(b, c), nn.Linear(c, d))` with a function
 *   of the file, or one defined in an enclosing function, that returns a list
 *   (PyTorch-GAN's `def block(in_feat, out_feat, normalize=True): layers = [...]; … return layers`);
 * - `self.features = self._make_layers(cfg[vgg_name])` whose method builds a list
 *   in a loop over a configuration (`layers += [...]`) and returns `nn.Sequential(*layers)`;
 * - `nn.Sequential(*layers)` after `layers = [...]` in the same function.
 *
 * Simulated: list literals, `+=`, `+` and `*` of lists, `append`, `extend`,
 * `for x in <known list>:`, `if`/`elif`/`else` whose condition is known (`==`,
 * `!=`, `is`, `in`, `not`, `and`, `or` of constants and parameters), plain
 * assignments, and calls of such functions with positional, keyword and default
 * arguments. Anything else that touches a list throws {@link ListUnsupported}.
 */
import type { Context } from '../model/context';
import { evaluate, rangeLength, rangeValues, type Scope, type Value } from '../model/evaluate';
import { exceeds, limitMessage } from '../limits';
import { parameters } from '../model/members';
import type { SyntaxNode } from '../python/parse';
import { callArgs, sequenceElements, statements, unwrap } from '../python/syntax';

export class ListUnsupported extends Error {
  constructor(
    readonly node: SyntaxNode,
    readonly why: string,
  ) {
    super(why);
  }
}

type Item = { readonly module: SyntaxNode } | { readonly value: Value };
type Val = Item | { readonly list: Val[] } | { readonly fn: SyntaxNode; readonly self?: true } | { readonly unknown: true };

const UNKNOWN: Val = { unknown: true };
/** Calls deep, and statements run, before giving up (a loop over a long configuration is a few hundred). */
const MAX_DEPTH = 8;
const MAX_STEPS = 20000;

export interface ListHost {
  readonly ctx: Context;
  /** Module-level constants, and what the caller knows beyond them (the instance's constructor values). */
  readonly scope: Scope;
  /** The class's methods by name, for `self.<method>(...)`. */
  readonly methods: ReadonlyMap<string, SyntaxNode>;
  /** Whether `call` constructs a module (a torch.nn class, a module class of the file). */
  isModule(call: SyntaxNode): boolean;
}

/** The elements of `nn.Sequential(<args>)` (`call`), starred arguments included, as constructor calls. */
export function sequentialElements(host: ListHost, call: SyntaxNode): SyntaxNode[] {
  const run = new Run(host);
  const env = run.enclosingEnv(call);
  return run.sequentialIn(call, env);
}

/** The elements of the `nn.Sequential(*list)` that `self.<method>(...)` (`call`) returns, its arguments known in `host.scope`. */
export function methodElements(host: ListHost, call: SyntaxNode, method: SyntaxNode): SyntaxNode[] {
  const run = new Run(host);
  const v = run.call(method, call, new Map(), true);
  if (!('module' in v)) throw new ListUnsupported(call, `${host.ctx.slice(call.firstChild!)}() does not return nn.Sequential(*list) (not simulated)`);
  const ret = v.module;
  if (host.ctx.qualified(ret.firstChild) !== 'torch.nn.Sequential') throw new ListUnsupported(ret, 'not an nn.Sequential');
  return run.sequentialIn(ret, run.lastEnv ?? new Map());
}

/** The arguments of an ArgList, in order, with whether each is written `*x` (lezer gives `*` as a token before it). */
function elementsOf(list: SyntaxNode): { node: SyntaxNode; starred: boolean }[] {
  const out: { node: SyntaxNode; starred: boolean }[] = [];
  let star = false;
  for (let c = list.firstChild; c; c = c.nextSibling) {
    if (c.name === '(' || c.name === ')' || c.name === ',') continue;
    if (c.name === 'AssignOp') throw new ListUnsupported(c, 'nn.Sequential with keyword arguments is not simulated');
    if (c.name === '*' || c.name === '**') {
      if (c.name === '**') throw new ListUnsupported(c, '** in nn.Sequential(...) is not simulated');
      star = true;
      continue;
    }
    out.push({ node: c, starred: star });
    star = false;
  }
  return out;
}

class Run {
  private steps = 0;
  private depth = 0;
  /** The locals of the last function returned from (the list a returned `nn.Sequential(*layers)` reads). */
  lastEnv?: Map<string, Val>;

  constructor(private readonly host: ListHost) {}

  private get text(): string {
    return this.host.ctx.text;
  }

  private slice(n: SyntaxNode): string {
    return this.host.ctx.slice(n);
  }

  /** The locals in effect at `node`: the enclosing function's statements before it run, its parameters unknown unless known to the host. */
  enclosingEnv(node: SyntaxNode): Map<string, Val> {
    const env = new Map<string, Val>();
    let fn: SyntaxNode | null = node.parent;
    while (fn && fn.name !== 'FunctionDefinition') fn = fn.parent;
    if (!fn) return env;
    const body = fn.getChild('Body');
    for (const name of parameters(fn, this.host.ctx, this.host.scope).names) env.set(name, this.host.scope.has(name) ? { value: this.host.scope.get(name)! } : UNKNOWN);
    for (const [name, v] of parameters(fn, this.host.ctx, this.host.scope).defaults) if (!this.host.scope.has(name) && env.get(name) === UNKNOWN) env.set(name, { value: v });
    for (const stmt of body ? statements(body) : []) {
      if (stmt.to > node.from) break;
      this.statement(stmt, env, true);
    }
    return env;
  }

  /** The constructor calls of a value spread into a Sequential. */
  modules(v: Val, at: SyntaxNode): SyntaxNode[] {
    if (!('list' in v)) throw new ListUnsupported(at, `${this.slice(at)}: not a list InitLens can follow`);
    return v.list.map((e) => {
      if ('module' in e) return e.module;
      throw new ListUnsupported(at, `${this.slice(at)}: an element that is not a module construction`);
    });
  }

  sequentialIn(call: SyntaxNode, env: Map<string, Val>): SyntaxNode[] {
    const list = call.getChild('ArgList');
    if (!list) throw new ListUnsupported(call, 'nn.Sequential without arguments');
    const out: SyntaxNode[] = [];
    for (const { node, starred } of elementsOf(list)) {
      const v = this.expr(node, env);
      out.push(...this.modules(starred ? v : { list: [v] }, node));
    }
    return out;
  }

  private tick(at: SyntaxNode): void {
    if (++this.steps > MAX_STEPS) throw new ListUnsupported(at, `more than ${MAX_STEPS} steps building a list (not simulated)`);
  }

  /** Known plain values of `env` over the host's scope, for {@link evaluate}. */
  private scopeOf(env: Map<string, Val>): Scope {
    const s = new Map(this.host.scope);
    for (const [k, v] of env) {
      if ('value' in v) s.set(k, v.value);
      else s.delete(k);
    }
    return s;
  }

  /** Calls `fn` (a function or method definition) with the arguments of `call`. */
  call(fn: SyntaxNode, call: SyntaxNode, env: Map<string, Val>, method: boolean): Val {
    if (++this.depth > MAX_DEPTH) throw new ListUnsupported(call, 'calls nested too deep (not simulated)');
    const params = parameters(fn, this.host.ctx, this.host.scope);
    const names = method ? params.names.slice(1) : params.names;
    const locals = new Map<string, Val>();
    for (const [k, v] of params.defaults) locals.set(k, { value: v });
    const list = call.getChild('ArgList');
    const args = list ? callArgs(list, this.text) : { positional: [], keywords: new Map<string, SyntaxNode>(), hasStarred: false };
    if (args.hasStarred) throw new ListUnsupported(call, '*args in a call building a list (not simulated)');
    args.positional.forEach((a, i) => {
      if (i >= names.length) throw new ListUnsupported(a, 'more arguments than parameters');
      locals.set(names[i], this.expr(a, env));
    });
    for (const [k, a] of args.keywords) locals.set(k, this.expr(a, env));
    for (const n of names) if (!locals.has(n)) locals.set(n, this.host.scope.has(n) ? { value: this.host.scope.get(n)! } : UNKNOWN);
    const body = fn.getChild('Body');
    let result: Val = { value: null };
    for (const stmt of body ? statements(body) : []) {
      const r = this.statement(stmt, locals, false);
      if (r) {
        result = r;
        break;
      }
    }
    this.lastEnv = locals;
    this.depth--;
    return result;
  }

  /** Runs one statement; a value when it returns. `lenient`: statements it cannot follow are passed over unless they touch a list. */
  statement(stmt: SyntaxNode, env: Map<string, Val>, lenient: boolean): Val | undefined {
    this.tick(stmt);
    const fail = (why: string): undefined => {
      if (lenient && !this.touchesList(stmt, env)) return undefined;
      throw new ListUnsupported(stmt, why);
    };
    switch (stmt.name) {
      case 'FunctionDefinition': {
        const name = stmt.getChild('VariableName');
        if (name) env.set(this.slice(name), { fn: stmt });
        return undefined;
      }
      case 'PassStatement':
        return undefined;
      case 'ReturnStatement': {
        const value = stmt.lastChild && stmt.lastChild.name !== 'return' ? stmt.lastChild : undefined;
        return value ? this.expr(value, env) : { value: null };
      }
      case 'AssignStatement': {
        const target = stmt.firstChild;
        const op = target?.nextSibling;
        const value = stmt.lastChild;
        if (target?.name !== 'VariableName' || op?.name !== 'AssignOp' || !value || op.nextSibling?.from !== value.from) return fail('an assignment InitLens cannot follow while building a list');
        env.set(this.slice(target), this.expr(value, env, lenient));
        return undefined;
      }
      case 'UpdateStatement': {
        const target = stmt.firstChild;
        const op = target?.nextSibling;
        const value = stmt.lastChild;
        if (target?.name !== 'VariableName' || !op || !value) return fail('an update InitLens cannot follow while building a list');
        const name = this.slice(target);
        const before = env.get(name) ?? UNKNOWN;
        const sign = this.slice(op).slice(0, -1);
        env.set(name, this.binary(sign, before, this.expr(value, env, lenient), stmt, lenient));
        return undefined;
      }
      case 'ExpressionStatement': {
        const call = stmt.firstChild;
        const callee = call?.name === 'CallExpression' ? call.firstChild : undefined;
        const object = callee?.name === 'MemberExpression' ? callee.firstChild : undefined;
        const prop = callee?.name === 'MemberExpression' ? callee.getChild('PropertyName') : undefined;
        if (object?.name === 'VariableName' && prop && (this.slice(prop) === 'append' || this.slice(prop) === 'extend')) {
          const target = env.get(this.slice(object));
          if (target && 'list' in target) {
            const args = callArgs(call!.getChild('ArgList')!, this.text);
            if (args.positional.length !== 1 || args.keywords.size > 0) throw new ListUnsupported(stmt, `${this.slice(prop)} with other than one argument`);
            const v = this.expr(args.positional[0], env);
            if (this.slice(prop) === 'append') target.list.push(v);
            else if ('list' in v) target.list.push(...v.list);
            else throw new ListUnsupported(stmt, 'extend with what is not a known list');
            return undefined;
          }
        }
        if (stmt.firstChild?.name === 'String') return undefined;
        return fail('a statement InitLens cannot follow while building a list');
      }
      case 'ForStatement': {
        const target = stmt.getChild('VariableName');
        const inKw = stmt.getChild('in');
        const iterable = inKw?.nextSibling;
        const body = stmt.getChild('Body');
        if (!target || !iterable || !body || target.from > (inKw?.from ?? 0)) return fail('a for loop InitLens cannot follow');
        const over = this.expr(iterable, env, lenient);
        const items: Val[] | undefined = 'list' in over ? over.list : 'value' in over && Array.isArray(over.value) ? over.value.map((value) => ({ value })) : undefined;
        if (!items) return fail(`for ${this.slice(target)} in ${this.slice(iterable)}: not a known list`);
        if (stmt.getChild('else')) return fail('for … else is not simulated');
        for (const item of items) {
          env.set(this.slice(target), item);
          for (const s of statements(body)) {
            if (s.name === 'BreakStatement' || s.name === 'ContinueStatement') throw new ListUnsupported(s, 'break/continue is not simulated');
            const r = this.statement(s, env, lenient);
            if (r) return r;
          }
        }
        return undefined;
      }
      case 'IfStatement': {
        // if <cond> Body (elif <cond> Body)* (else Body)?
        let c = stmt.firstChild;
        while (c) {
          if (c.name === 'if' || c.name === 'elif') {
            const cond = c.nextSibling;
            const body = cond?.nextSibling;
            if (!cond || body?.name !== 'Body') return fail('an if InitLens cannot read');
            const truth = this.truth(cond, env);
            if (truth === undefined) return fail(`${this.slice(cond)}: a condition not known while building a list`);
            if (truth) return this.block(body, env, lenient);
            c = body.nextSibling;
          } else if (c.name === 'else') {
            const body = c.nextSibling;
            return body ? this.block(body, env, lenient) : undefined;
          } else c = c.nextSibling;
        }
        return undefined;
      }
      default:
        return fail(`${stmt.name} is not simulated while building a list`);
    }
  }

  private block(body: SyntaxNode, env: Map<string, Val>, lenient: boolean): Val | undefined {
    for (const s of statements(body)) {
      const r = this.statement(s, env, lenient);
      if (r) return r;
    }
    return undefined;
  }

  /** Whether `node` mentions a list-valued local. */
  private touchesList(node: SyntaxNode, env: Map<string, Val>): boolean {
    const cursor = node.cursor();
    do {
      if (cursor.name === 'VariableName') {
        const v = env.get(this.text.slice(cursor.from, cursor.to));
        if (v && 'list' in v) return true;
      }
    } while (cursor.next() && cursor.from < node.to);
    return false;
  }

  /** Truthiness of a condition; undefined when not known. */
  private truth(node: SyntaxNode, env: Map<string, Val>): boolean | undefined {
    const n = unwrap(node);
    if (n.name === 'UnaryExpression' && n.firstChild?.name === 'not') {
      const t = this.truth(n.lastChild!, env);
      return t === undefined ? undefined : !t;
    }
    if (n.name === 'BinaryExpression') {
      const left = n.firstChild!;
      const op = left.nextSibling!;
      const right = n.lastChild!;
      const word = this.slice(op).replace(/\s+/g, ' ');
      if (word === 'and' || word === 'or') {
        const a = this.truth(left, env);
        if (a === undefined) return undefined;
        if (word === 'and' ? !a : a) return a;
        return this.truth(right, env);
      }
      if (op.name === 'CompareOp' || ['is', 'is not', 'in', 'not in'].includes(word)) {
        const a = this.plain(left, env);
        const b = this.plain(right, env);
        if (a === undefined || b === undefined) return undefined;
        switch (word) {
          case '==':
          case 'is':
            return equal(a, b);
          case '!=':
          case 'is not':
            return !equal(a, b);
          case 'in':
          case 'not in': {
            if (!Array.isArray(b)) return undefined;
            const found = b.some((e) => equal(a, e));
            return word === 'in' ? found : !found;
          }
          case '<':
          case '<=':
          case '>':
          case '>=':
            if (typeof a !== 'number' || typeof b !== 'number') return undefined;
            return word === '<' ? a < b : word === '<=' ? a <= b : word === '>' ? a > b : a >= b;
          default:
            return undefined;
        }
      }
    }
    const v = this.plain(n, env);
    if (v === undefined) return undefined;
    return Array.isArray(v) ? v.length > 0 : v !== null && v !== false && v !== 0 && v !== '';
  }

  private plain(node: SyntaxNode, env: Map<string, Val>): Value | undefined {
    const v = this.expr(node, env, true);
    return 'value' in v ? v.value : undefined;
  }

  expr(node: SyntaxNode, env: Map<string, Val>, lenient = false): Val {
    const n = unwrap(node);
    switch (n.name) {
      case 'VariableName': {
        const name = this.slice(n);
        const local = env.get(name);
        if (local) return local;
        break;
      }
      case 'ArrayExpression':
      case 'TupleExpression': {
        const elements = sequenceElements(n);
        if (!elements) break;
        const list: Val[] = [];
        for (const e of elements) {
          if (this.slice(e).startsWith('*')) throw new ListUnsupported(e, 'a starred element in a list (not simulated)');
          list.push(this.expr(e, env, lenient));
        }
        if (list.every((e) => 'value' in e)) return { value: list.map((e) => (e as { value: Value }).value) };
        return { list };
      }
      case 'BinaryExpression': {
        const left = n.firstChild!;
        const op = left.nextSibling!;
        const sign = this.slice(op);
        if (sign === '+' || sign === '*') {
          const a = this.expr(left, env, lenient);
          const b = this.expr(n.lastChild!, env, lenient);
          if ('list' in a || 'list' in b) return this.binary(sign, a, b, n, lenient);
        }
        break;
      }
      case 'CallExpression': {
        const callee = n.firstChild;
        if (callee?.name === 'VariableName') {
          const local = env.get(this.slice(callee));
          if (local && 'fn' in local) return this.call(local.fn, n, env, false);
          if (!local) {
            const top = this.topFunction(this.slice(callee));
            if (top) return this.call(top, n, env, false);
          }
          // `for _ in range(n)` with n known, bounded as the module tree bounds its loops.
          if (this.slice(callee) === 'range') {
            const args = callArgs(n.getChild('ArgList')!, this.text);
            const nums = args.keywords.size === 0 ? args.positional.map((a) => this.expr(a, env, lenient)) : [];
            const values = nums.every((v): v is { value: Value } => 'value' in v) ? nums.map((v) => v.value) : [];
            const count = rangeLength(values);
            if (count !== undefined) {
              if (exceeds('loopIterations', count)) throw new ListUnsupported(n, limitMessage('loopIterations', count));
              return { value: rangeValues(values as number[]) };
            }
          }
          if (this.slice(callee) === 'list') {
            const args = callArgs(n.getChild('ArgList')!, this.text);
            if (args.positional.length === 1) {
              const v = this.expr(args.positional[0], env, lenient);
              if ('list' in v) return { list: [...v.list] };
            }
          }
        }
        if (callee?.name === 'MemberExpression' && callee.firstChild && this.slice(callee.firstChild) === 'self') {
          const prop = callee.getChild('PropertyName');
          const method = prop ? this.host.methods.get(this.slice(prop)) : undefined;
          if (method && !this.host.isModule(n)) return this.call(method, n, env, true);
        }
        if (this.host.isModule(n)) return { module: n };
        break;
      }
      default:
        break;
    }
    const v = evaluate(n, this.text, this.scopeOf(env));
    if (v !== undefined) return { value: v };
    return UNKNOWN;
  }

  private topFunction(name: string): SyntaxNode | undefined {
    let top: SyntaxNode | null = null;
    for (const fn of this.host.methods.values()) {
      top = fn;
      while (top.parent) top = top.parent;
      break;
    }
    if (!top) return undefined;
    for (const s of statements(top)) {
      if (s.name === 'FunctionDefinition' && s.getChild('VariableName') && this.slice(s.getChild('VariableName')!) === name) return s;
    }
    return undefined;
  }

  private binary(sign: string, a: Val, b: Val, at: SyntaxNode, lenient: boolean): Val {
    const asList = (v: Val): Val[] | undefined => ('list' in v ? v.list : 'value' in v && Array.isArray(v.value) ? v.value.map((value) => ({ value })) : undefined);
    if (sign === '+') {
      const x = asList(a);
      const y = asList(b);
      if (x && y && ('list' in a || 'list' in b)) return { list: [...x, ...y] };
      if ('value' in a && 'value' in b && typeof a.value === 'number' && typeof b.value === 'number') return { value: a.value + b.value };
    }
    if (sign === '*') {
      const [list, count] = 'list' in a ? [a.list, b] : 'list' in b ? [b.list, a] : [undefined, undefined];
      if (list && count && 'value' in count && typeof count.value === 'number' && Number.isInteger(count.value)) {
        if (list.some((e) => 'module' in e)) throw new ListUnsupported(at, 'a list of modules repeated with * holds the same modules (not simulated)');
        return { list: Array.from({ length: Math.max(0, count.value) }, () => list).flat() };
      }
    }
    if ('value' in a && 'value' in b && typeof a.value === 'number' && typeof b.value === 'number') {
      const r = sign === '-' ? a.value - b.value : sign === '*' ? a.value * b.value : undefined;
      if (r !== undefined) return { value: r };
    }
    if (!lenient || 'list' in a || 'list' in b) throw new ListUnsupported(at, `${sign}= on what is not a known list`);
    return UNKNOWN;
  }
}

function equal(a: Value, b: Value): boolean {
  if (Array.isArray(a) || Array.isArray(b)) return JSON.stringify(a) === JSON.stringify(b);
  return a === b;
}
