/**
 * Resolves constructor arguments to numbers where the source allows: literals,
 * module-level constants, `__init__` parameters with defaults, and simple
 * arithmetic (`hidden * 2`, `4 * d_model`, `H // 2`, `2 ** 8`). Anything else is
 * kept as its source text, so lenses show `fan_in = in_dim` rather than a guess.
 */
import { exceeds, LIMITS } from '../limits';
import { dottedName, type SyntaxNode } from '../python/parse';
import { callArgs, descendants, stringValue, unwrap, sequenceElements } from '../python/syntax';

/** A value the evaluator understands. */
export type Value = number | string | boolean | null | readonly Value[];

/** Names visible to an expression, innermost scope first. */
export type Scope = ReadonlyMap<string, Value>;

/** A number, or the source text of what could not be resolved. */
export type Dim = number | { readonly symbol: string };

/** Elements and nesting of each tuple or list value, known when it is built (values share their parts, so a size is never recounted). */
const shapes = new WeakMap<readonly Value[], { readonly size: number; readonly depth: number }>();

/** Elements of a value counted through its nested tuples and lists (a scalar is 1). */
export function valueSize(value: Value): number {
  return Array.isArray(value) ? shapeOf(value).size : 1;
}

function shapeOf(values: readonly Value[]): { readonly size: number; readonly depth: number } {
  let known = shapes.get(values);
  if (!known) {
    let size = 0;
    let depth = 0;
    for (const v of values) {
      const inner = Array.isArray(v) ? shapeOf(v) : { size: 1, depth: 0 };
      size += inner.size;
      depth = Math.max(depth, inner.depth);
    }
    known = { size, depth: depth + 1 };
    shapes.set(values, known);
  }
  return known;
}

/** Evaluates `node`; undefined when it is not a supported constant expression. */
export function evaluate(node: SyntaxNode | undefined, text: string, scope: Scope, depth = 0): Value | undefined {
  if (!node || exceeds('expressionDepth', depth)) return undefined;
  const n = unwrap(node);
  switch (n.name) {
    case 'Number': {
      const raw = text.slice(n.from, n.to).replace(/_/g, '');
      if (/[jJ]$/.test(raw)) return undefined;
      // Number() reads Python's 0x/0o/0b prefixes and exponents alike.
      const value = Number(raw);
      return Number.isFinite(value) ? value : undefined;
    }
    case 'Boolean':
      return text.slice(n.from, n.to) === 'True';
    case 'None':
      return null;
    case 'String': {
      const raw = text.slice(n.from, n.to);
      const m = /^(['"])((?:\\.|(?!\1).)*)\1$/s.exec(raw);
      return m ? m[2] : undefined;
    }
    case 'VariableName':
      return scope.get(text.slice(n.from, n.to));
    case 'MemberExpression': {
      if (n.getChild('[')) return subscript(n, text, scope, depth);
      // `self.hidden` set earlier in __init__ is in scope under its dotted name; an attribute of an
      // instance's submodule (`encoder.to_patch_embedding[2].weight.shape`) under its access path.
      const name = dottedName(n, text);
      if (name) return scope.get(name.join('.'));
      const path = accessPath(n, text, scope, depth + 1);
      return path !== undefined ? scope.get(path) : undefined;
    }
    case 'UnaryExpression': {
      const op = n.firstChild;
      const value = evaluate(op?.nextSibling ?? undefined, text, scope, depth + 1);
      if (typeof value !== 'number' || !op) return undefined;
      const sign = text.slice(op.from, op.to);
      return sign === '-' ? -value : sign === '+' ? value : undefined;
    }
    case 'BinaryExpression': {
      const left = n.firstChild;
      const op = left?.nextSibling;
      const right = op?.nextSibling;
      if (!left || !op || !right) return undefined;
      const a = evaluate(left, text, scope, depth + 1);
      const b = evaluate(right, text, scope, depth + 1);
      if (typeof a !== 'number' || typeof b !== 'number') return undefined;
      return arithmetic(text.slice(op.from, op.to), a, b);
    }
    case 'CallExpression':
      return builtinCall(n, text, scope, depth) ?? dictGet(n, text, scope, depth);
    case 'TupleExpression':
    case 'ArrayExpression': {
      const elements = sequenceElements(n);
      if (!elements) return undefined;
      const values: Value[] = [];
      for (const e of elements) {
        const v = evaluate(e, text, scope, depth + 1);
        if (v === undefined) return undefined;
        values.push(v);
      }
      // `c2 = (c1, c1)` doubles per line: a constant too large or too deep to follow is unknown.
      const { size, depth: nesting } = shapeOf(values);
      return exceeds('constantElements', size) || exceeds('constantDepth', nesting) ? undefined : values;
    }
    default:
      return undefined;
  }
}

/** The scope key of a dict entry: `cfg["VGG11"]` (dict literals of string keys are in scope entry by entry). */
export function entryKey(dict: string, key: string): string {
  return `${dict}[${JSON.stringify(key)}]`;
}

/**
 * Objects are held in a scope as entries below their name: `config.n_embd`
 * (an attribute), `cfg["VGG11"]` (a dict entry) and `kwargs[*]` (the keys of
 * a dict, in order, when all of them are known: only then can `**kwargs` be
 * spread, or `kwargs.get('k', d)` fall back to `d`). Entries relative to the
 * object are its suffixes: `.n_embd`, `["VGG11"]`, `[*]`.
 */
export type Entries = readonly (readonly [string, Value])[];

/** The scope key of a dict's key list: `kwargs[*]`. */
export function keysKey(dict: string): string {
  return `${dict}[*]`;
}

const KEYS = '[*]';

/** The keys with entries of a scope built in place (module scope), by the name they start with: lookups without a scan. */
const objectIndexes = new WeakMap<Scope, ReadonlyMap<string, ReadonlySet<string>>>();

/** Registers `index` (first name → its scope keys with a `.` or `[`) as the one of `scope`, which its owner keeps up to date. */
export function indexObjects(scope: Scope, index: ReadonlyMap<string, ReadonlySet<string>>): void {
  objectIndexes.set(scope, index);
}

/** The first name of a scope key: `config` of `config.n_embd`, `cfg` of `cfg["VGG11"]`. */
export function baseName(key: string): string {
  const i = key.search(/[.[]/);
  return i < 0 ? key : key.slice(0, i);
}

const isBelow = (k: string, prefix: string) => k.length > prefix.length && k.startsWith(prefix) && (k[prefix.length] === '.' || k[prefix.length] === '[');

/** The keys of `scope` below `prefix`. */
function keysBelow(prefix: string, scope: Scope): string[] {
  const index = objectIndexes.get(scope);
  const candidates = index ? (index.get(baseName(prefix)) ?? []) : scope.keys();
  const out: string[] = [];
  for (const k of candidates) if (isBelow(k, prefix) && scope.has(k)) out.push(k);
  return out;
}

/** The entries below `prefix` in scope, as suffixes (`.n_embd`, `["k"]`, `[*]`). */
export function entriesBelow(prefix: string, scope: Scope): [string, Value][] {
  return keysBelow(prefix, scope).map((k) => [k.slice(prefix.length), scope.get(k) as Value]);
}

/** Removes the entries below each prefix from a scope built in place. */
export function deleteEntries(scope: Map<string, Value>, prefixes: readonly string[]): void {
  for (const p of prefixes) for (const k of keysBelow(p, scope)) scope.delete(k);
}

/** A scope without `prefix`'s entries (the object was rebound or changed in ways InitLens does not follow). */
export function withoutEntries(scope: Scope, prefixes: readonly string[]): Scope {
  if (prefixes.length === 0) return scope;
  const copy = new Map(scope);
  deleteEntries(copy, prefixes);
  return copy;
}

/**
 * Objects that calls return, beyond dict literals and `dict(...)` (`GPT.get_default_config()`, a static
 * method building a config; `ViT(dim=1024, ...)`, an instance of a module class, instances.ts), the call's
 * arguments read in `scope`.
 */
export type ObjectCalls = (call: SyntaxNode, scope?: Scope) => Entries | undefined;

/** The keys of a dict in entries, when all are known. */
export function dictKeys(entries: Entries): readonly string[] | undefined {
  const keys = entries.find(([k]) => k === KEYS)?.[1];
  return Array.isArray(keys) && keys.every((k) => typeof k === 'string') ? (keys as readonly string[]) : undefined;
}

/** One entry of a dict's entries, with its own entries when it is a dict or object itself. */
function entryOf(entries: Entries, key: string): { value?: Value; entries: [string, Value][] } {
  return byKey(entries).get(key) ?? { entries: [] };
}

const KEY_SUFFIX = /^\[("(?:[^"\\]|\\.)*")\]/;

/** A dict's entries grouped by key, in one pass: each key's value and the entries below it (`["k"].x` → k: `.x`). */
export function byKey(entries: Entries): Map<string, { value?: Value; entries: [string, Value][] }> {
  const out = new Map<string, { value?: Value; entries: [string, Value][] }>();
  for (const [k, v] of entries) {
    const m = KEY_SUFFIX.exec(k);
    if (!m) continue;
    const key = JSON.parse(m[1]) as string;
    let slot = out.get(key);
    if (!slot) out.set(key, (slot = { entries: [] }));
    if (m[0].length === k.length) slot.value = v;
    else slot.entries.push([k.slice(m[0].length), v]);
  }
  return out;
}

/**
 * The entries of an expression that stands for an object: a dict literal of
 * string keys, `dict(k=v, **other)`, a name whose entries are in scope, an
 * entry of a dict (`{'gpt2': dict(n_layer=12), ...}[config.model_type]`), or
 * what `calls` knows a call returns. Values InitLens cannot evaluate are left
 * out (their keys stay in the key list); undefined when it is no known object.
 */
export function objectValue(node: SyntaxNode | undefined, text: string, scope: Scope, calls?: ObjectCalls, depth = 0): [string, Value][] | undefined {
  if (!node || exceeds('expressionDepth', depth)) return undefined;
  const n = unwrap(node);
  const out: [string, Value][] = [];
  const keys: string[] = [];
  const seen = new Set<string>();
  const put = (key: string, value: SyntaxNode | undefined) => {
    const prefix = entryKey('', key);
    // A key written twice (`{'a': 1, **d, 'a': 2}`): the last one wins.
    if (seen.has(key)) {
      for (let i = out.length - 1; i >= 0; i--) if (out[i][0].startsWith(prefix) && (out[i][0].length === prefix.length || '.['.includes(out[i][0][prefix.length]))) out.splice(i, 1);
    } else {
      seen.add(key);
      keys.push(key);
    }
    const v = evaluate(value, text, scope, depth + 1);
    if (v !== undefined) out.push([prefix, v]);
    else for (const [k, inner] of objectValue(value, text, scope, calls, depth + 1) ?? []) out.push([prefix + k, inner]);
  };
  /** `**other` inside a dict or `dict(...)`: its entries, when its keys are known. */
  const spread = (other: SyntaxNode): boolean => {
    const entries = objectValue(other, text, scope, calls, depth + 1);
    const known = entries && dictKeys(entries);
    if (!entries || !known) return false;
    const grouped = byKey(entries);
    for (const key of known) {
      if (!seen.has(key)) {
        seen.add(key);
        keys.push(key);
      }
      const { value, entries: inner } = grouped.get(key) ?? { entries: [] };
      const prefix = entryKey('', key);
      if (value !== undefined) out.push([prefix, value]);
      for (const [k, v] of inner) out.push([prefix + k, v]);
    }
    return true;
  };
  switch (n.name) {
    case 'DictionaryExpression': {
      let key: string | undefined;
      let expectKey = true;
      let starred = false;
      for (let c = n.firstChild; c; c = c.nextSibling) {
        if (c.name === '{' || c.name === '}' || c.name === ':' || c.name === 'Comment') continue;
        if (c.name === '**') {
          starred = true;
          continue;
        }
        if (c.name === ',') {
          expectKey = true;
          continue;
        }
        if (starred) {
          if (!spread(c)) return undefined;
          starred = false;
          expectKey = false;
        } else if (expectKey) {
          key = c.name === 'String' ? stringValue(c, text) : undefined;
          // A key InitLens cannot read: the dict's keys are unknown.
          if (key === undefined) return undefined;
          expectKey = false;
        } else if (key !== undefined) {
          put(key, c);
          key = undefined;
        }
      }
      out.push([KEYS, keys]);
      return out;
    }
    case 'CallExpression': {
      const callee = n.firstChild;
      const list = n.getChild('ArgList');
      if (callee?.name === 'VariableName' && text.slice(callee.from, callee.to) === 'dict' && !scope.has('dict') && list) {
        const args = callArgs(list, text);
        if (args.positional.length > 1) return undefined;
        if (args.positional[0] && !spread(args.positional[0])) return undefined;
        for (const s of args.spreads) if (s.kind === '*' || !spread(s.node)) return undefined;
        for (const [k, v] of args.keywords) put(k, v);
        out.push([KEYS, keys]);
        return out;
      }
      // types.SimpleNamespace(hidden=64, ...): its keywords are its attributes.
      const calleeText = callee ? text.slice(callee.from, callee.to).replace(/\s+/g, '') : '';
      if (list && (calleeText === 'SimpleNamespace' || calleeText === 'types.SimpleNamespace') && !scope.has(calleeText)) {
        const args = callArgs(list, text);
        if (args.positional.length > 0 || args.hasStarred) return undefined;
        for (const [k, v] of args.keywords) {
          const value = evaluate(v, text, scope, depth + 1);
          if (value !== undefined) out.push([`.${k}`, value]);
          else for (const [suffix, inner] of objectValue(v, text, scope, calls, depth + 1) ?? []) out.push([`.${k}${suffix}`, inner]);
        }
        return out;
      }
      const found = calls?.(n, scope);
      return found ? found.map(([k, v]) => [k, v] as [string, Value]) : undefined;
    }
    case 'VariableName':
    case 'MemberExpression': {
      if (n.name === 'MemberExpression' && n.getChild('[')) {
        const object = n.firstChild;
        const index = n.getChild('[')?.nextSibling;
        const key = index && index.nextSibling?.name === ']' ? evaluate(index, text, scope, depth + 1) : undefined;
        const entries = typeof key === 'string' ? objectValue(object ?? undefined, text, scope, calls, depth + 1) : undefined;
        if (!entries || typeof key !== 'string') return undefined;
        const inner = entryOf(entries, key).entries;
        return inner.length > 0 ? inner : undefined;
      }
      const name = dottedName(n, text);
      const entries = name ? entriesBelow(name.join('.'), scope) : [];
      return entries.length > 0 ? entries : undefined;
    }
    default:
      return undefined;
  }
}

/** `d.get('k', default)` (and `d.pop('k', default)`, read) of a dict whose keys are known. */
function dictGet(n: SyntaxNode, text: string, scope: Scope, depth: number): Value | undefined {
  const callee = n.firstChild;
  const list = n.getChild('ArgList');
  const method = callee?.name === 'MemberExpression' ? callee.lastChild : null;
  const methodName = method?.name === 'PropertyName' ? text.slice(method.from, method.to) : '';
  // `x.item()` of a number (an element of `torch.linspace(...)` read as a number).
  if (callee && list && methodName === 'item' && callArgs(list, text).positional.length === 0 && !list.getChild('VariableName')) {
    const v = callee.firstChild ? evaluate(callee.firstChild, text, scope, depth + 1) : undefined;
    return typeof v === 'number' ? v : undefined;
  }
  if (!callee || !list || (methodName !== 'get' && methodName !== 'pop')) return undefined;
  const object = callee.firstChild ? dottedName(callee.firstChild, text) : undefined;
  const keys = object ? scope.get(keysKey(object.join('.'))) : undefined;
  const args = callArgs(list, text);
  if (!object || !Array.isArray(keys) || args.hasStarred || args.keywords.size > 0 || args.positional.length < 1 || args.positional.length > 2) return undefined;
  const key = evaluate(args.positional[0], text, scope, depth + 1);
  if (typeof key !== 'string') return undefined;
  if (keys.includes(key)) return scope.get(entryKey(object.join('.'), key));
  // `get` without a default gives None; `pop` without one raises.
  return args.positional[1] ? evaluate(args.positional[1], text, scope, depth + 1) : methodName === 'get' ? null : undefined;
}

/** What a statement writes into objects: entries to set, and object prefixes whose entries are forgotten first. */
export interface ObjectWrites {
  /** Objects whose entries go (the keys below them). */
  readonly forget: readonly string[];
  /** Keys that go themselves (`config.n_layer` before it is set anew). */
  readonly remove: readonly string[];
  readonly set: readonly (readonly [string, Value])[];
}

/** Dict methods that change a dict in ways InitLens does not follow: its keys become unknown. */
const DICT_MUTATIONS = new Set(['popitem', 'clear', 'setdefault']);
/** A call of a method {@link objectWrites} follows (`pop`, {@link DICT_MUTATIONS}, `update`, `merge_from_dict`), as text. */
const MUTATING_CALL = /\.\s*(?:pop|popitem|clear|setdefault|update|merge_from_dict)\s*\(/;

/**
 * What a statement does to the objects in scope:
 *
 * - `x = <object>` rebinds `x`: its old entries go, the object's come
 *   (a dict literal, `dict(...)`, another object, what `calls` knows);
 * - `x.attr = v` and `x['k'] = v` set one entry (a dict's key list grows);
 * - `x.update(d)` on a dict sets its entries; on an object of attributes,
 *   and `x.merge_from_dict(d)`, `x.__dict__.update(d)`, `vars(x).update(d)`,
 *   they set attributes (minGPT's `CfgNode.merge_from_dict` is
 *   `self.__dict__.update(d)`; yacs' CfgNode is a dict whose keys are also its
 *   attributes). With `d` unknown, all of `x` is forgotten;
 * - `x.pop('k')` removes a key; other dict mutations (`clear`, `setdefault`,
 *   `popitem`, a `pop` of an unknown key) forget the key list.
 *
 * `self.<attr> = ...` is left to the interpreter, which keeps the module's attributes.
 * Undefined when the statement writes no object.
 */
export function objectWrites(stmt: SyntaxNode, text: string, scope: Scope, calls?: ObjectCalls): ObjectWrites | undefined {
  // Blocks are the interpreter's: their statements come one by one.
  if (stmt.name !== 'AssignStatement' && stmt.name !== 'ExpressionStatement') return undefined;
  // Most statements call no mutating method (a keystroke's re-analysis walks every statement of `__init__`).
  const mutates = MUTATING_CALL.test(text.slice(stmt.from, stmt.to));
  if (!mutates && stmt.name === 'ExpressionStatement') return undefined;
  const forget: string[] = [];
  const remove: string[] = [];
  const set: [string, Value][] = [];
  const slice = (c: SyntaxNode) => text.slice(c.from, c.to).replace(/\s+/g, '');
  for (const call of mutates ? descendants(stmt, 'CallExpression') : []) {
    const callee = call.firstChild;
    const method = callee?.name === 'MemberExpression' ? callee.lastChild : null;
    const name = method?.name === 'PropertyName' ? text.slice(method.from, method.to) : '';
    const owner = callee?.firstChild;
    if (!owner || !(name === 'pop' || DICT_MUTATIONS.has(name) || name === 'update' || name === 'merge_from_dict')) continue;
    // vars(x).update(d) / x.__dict__.update(d): x's attributes.
    const varsList = owner.name === 'CallExpression' && slice(owner.firstChild as SyntaxNode) === 'vars' ? owner.getChild('ArgList') : null;
    const varsOf = varsList ? callArgs(varsList, text).positional[0] : undefined;
    const ownerName = varsList ? (varsOf ? dottedName(varsOf, text) : undefined) : dottedName(owner, text);
    if (!ownerName) continue;
    const attrs = varsList !== null || ownerName[ownerName.length - 1] === '__dict__';
    const object = (attrs && !varsList ? ownerName.slice(0, -1) : ownerName).join('.');
    if (object === 'self' || object === '') continue;
    const keys = scope.get(keysKey(object));
    const list = call.getChild('ArgList');
    const args = list ? callArgs(list, text) : undefined;
    if (name === 'pop' && Array.isArray(keys)) {
      const key = args?.positional[0] ? evaluate(args.positional[0], text, scope) : undefined;
      if (typeof key === 'string') {
        forget.push(entryKey(object, key));
        remove.push(entryKey(object, key));
        set.push([keysKey(object), keys.filter((k) => k !== key)]);
      } else forget.push(object);
      continue;
    }
    if (DICT_MUTATIONS.has(name) || name === 'pop') {
      if (Array.isArray(keys)) forget.push(object);
      continue;
    }
    // update / merge_from_dict
    const source = args && args.positional.length === 1 && args.keywords.size === 0 && !args.hasStarred ? objectValue(args.positional[0], text, scope, calls) : undefined;
    const sourceKeys = source && dictKeys(source);
    if (!source || !sourceKeys) {
      forget.push(object);
      continue;
    }
    const asDict = !attrs && name === 'update' && Array.isArray(keys);
    const grouped = byKey(source);
    for (const key of sourceKeys) {
      const { value, entries } = grouped.get(key) ?? { entries: [] };
      const at = asDict ? entryKey(object, key) : `${object}.${key}`;
      forget.push(at);
      remove.push(at);
      if (value !== undefined) set.push([at, value]);
      for (const [k, v] of entries) set.push([at + k, v]);
    }
    if (asDict) {
      const had = new Set(keys as readonly Value[]);
      set.push([keysKey(object), [...(keys as readonly Value[]), ...sourceKeys.filter((k) => !had.has(k))]]);
    }
  }
  if (stmt.name === 'AssignStatement') {
    const targets: SyntaxNode[] = [];
    for (let c = stmt.firstChild; c && c.name !== 'AssignOp'; c = c.nextSibling) if (c.name !== ',') targets.push(c);
    const value = stmt.lastChild;
    const op = stmt.getChild('AssignOp');
    const single = targets.length === 1 && value !== null && op?.nextSibling?.from === value.from;
    for (const target of targets) {
      const text_ = slice(target);
      if (text_ === 'self' || text_.startsWith('self.') || text_.startsWith('self[')) continue;
      const sub = target.name === 'MemberExpression' && target.getChild('[') ? subscriptTarget(target, text, scope) : undefined;
      if (sub) {
        const { object, key } = sub;
        forget.push(entryKey(object, key));
        remove.push(entryKey(object, key));
        const keys = scope.get(keysKey(object));
        if (Array.isArray(keys) && !keys.includes(key)) set.push([keysKey(object), [...keys, key]]);
        const v = single ? evaluate(value, text, scope) : undefined;
        if (v !== undefined) set.push([entryKey(object, key), v]);
        continue;
      }
      const name = dottedName(target, text);
      if (!name) {
        // `x[i] = ...` with `i` unknown: which entry changed is unknown.
        const base = target.name === 'MemberExpression' && target.firstChild ? dottedName(target.firstChild, text) : undefined;
        if (base) forget.push(base.join('.'));
        continue;
      }
      const at = name.join('.');
      forget.push(at);
      if (name.length > 1) remove.push(at);
      if (!single) continue;
      const v = name.length > 1 ? evaluate(value, text, scope) : undefined;
      if (v !== undefined) set.push([at, v]);
      else for (const [k, inner] of objectValue(value, text, scope, calls) ?? []) set.push([at + k, inner]);
    }
  }
  return forget.length > 0 || set.length > 0 ? { forget, remove, set } : undefined;
}

/** `d['k']` as an assignment target, with the key known. */
function subscriptTarget(target: SyntaxNode, text: string, scope: Scope): { object: string; key: string } | undefined {
  const object = target.firstChild ? dottedName(target.firstChild, text) : undefined;
  const index = target.getChild('[')?.nextSibling;
  const key = index && index.nextSibling?.name === ']' ? evaluate(index, text, scope) : undefined;
  return object && typeof key === 'string' ? { object: object.join('.'), key } : undefined;
}

/** A scope after {@link objectWrites}: forgotten entries removed, then the new ones set. */
export function applyWrites(scope: Scope, writes: ObjectWrites | undefined): Scope {
  if (!writes) return scope;
  const copy = new Map(withoutEntries(scope, writes.forget));
  for (const k of writes.remove) copy.delete(k);
  for (const [k, v] of writes.set) copy.set(k, v);
  return copy;
}

/** `dims[0]`, `dims[-1]` of a known list or tuple; `cfg['VGG11']` of a dict literal in scope. */
function subscript(n: SyntaxNode, text: string, scope: Scope, depth: number): Value | undefined {
  const object = n.firstChild;
  const open = n.getChild('[');
  const index = open?.nextSibling;
  if (!object || !index || index.nextSibling?.name !== ']') return undefined;
  const key = evaluate(index, text, scope, depth + 1);
  if (typeof key === 'string') {
    const name = dottedName(object, text);
    return name ? scope.get(entryKey(name.join('.'), key)) : undefined;
  }
  const value = evaluate(object, text, scope, depth + 1);
  if (!Array.isArray(value) && typeof key === 'number' && Number.isInteger(key)) {
    // `encoder.to_patch_embedding[2]`: a module of an instance's Sequential or ModuleList, held by its index.
    const path = accessPath(object, text, scope, depth + 1);
    return path !== undefined ? scope.get(`${path}[${key}]`) : undefined;
  }
  if (!Array.isArray(value) || typeof key !== 'number' || !Number.isInteger(key)) return undefined;
  const list = value as readonly Value[];
  return list[key < 0 ? list.length + key : key];
}

/** torch factories whose positional arguments are the shape: `torch.randn(4, 1)`, `torch.zeros((2, 3))`. */
const FACTORIES = /^torch\.(randn|rand|zeros|ones|empty)$/;
/** In-place methods of a tensor that keep its shape (the draws a parameter's tensor is made with). */
const IN_PLACE = /^(normal_|uniform_|fill_|zero_)$/;
/** Keywords of those factories that leave the shape as the positional arguments give it. */
const FACTORY_KEYWORDS = new Set(['dtype', 'device', 'requires_grad', 'layout', 'pin_memory']);

/**
 * The shape of a tensor an expression builds, where the syntax tells it: a
 * factory call of known sizes, a name whose shape is in scope, or one of those
 * combined with a number (`torch.randn(POLY_DEGREE, 1) * 5`: a scalar
 * broadcasts to the same shape).
 */
export function tensorShape(node: SyntaxNode, text: string, scope: Scope, depth = 0): number[] | undefined {
  const n = unwrap(node);
  if (depth > 4) return undefined;
  if (n.name === 'VariableName') {
    const shape = scope.get(`${text.slice(n.from, n.to)}.shape`);
    return Array.isArray(shape) ? (shape as number[]) : undefined;
  }
  if (n.name === 'BinaryExpression') {
    const left = n.firstChild;
    const op = left?.nextSibling;
    const right = op?.nextSibling;
    if (!left || !right || op?.name !== 'ArithOp' || !/^(\+|-|\*|\/|\/\/)$/.test(text.slice(op.from, op.to))) return undefined;
    if (typeof evaluate(right, text, scope) === 'number') return tensorShape(left, text, scope, depth + 1);
    if (typeof evaluate(left, text, scope) === 'number') return tensorShape(right, text, scope, depth + 1);
    return undefined;
  }
  const callee = n.name === 'CallExpression' ? n.firstChild : null;
  // `torch.empty(dim).uniform_(0.5, 1.5)`: an in-place draw keeps its tensor's shape.
  const method = callee?.name === 'MemberExpression' ? callee.lastChild : null;
  if (callee?.firstChild && method?.name === 'PropertyName' && IN_PLACE.test(text.slice(method.from, method.to))) return tensorShape(callee.firstChild, text, scope, depth + 1);
  const list = callee && FACTORIES.test(text.slice(callee.from, callee.to).replace(/\s+/g, '')) ? n.getChild('ArgList') : null;
  if (!list) return undefined;
  const args = callArgs(list, text);
  if (args.hasStarred || [...args.keywords.keys()].some((k) => !FACTORY_KEYWORDS.has(k))) return undefined;
  const sizes = args.positional.length === 1 ? evaluate(args.positional[0], text, scope) : args.positional.map((a) => evaluate(a, text, scope));
  const dims = typeof sizes === 'number' ? [sizes] : sizes;
  if (!Array.isArray(dims) || dims.length === 0 || !dims.every((d) => typeof d === 'number' && Number.isInteger(d) && d >= 0)) return undefined;
  return dims as number[];
}

/**
 * The scope key of an attribute chain with constant subscripts: `encoder.pos_embedding`,
 * `encoder.to_patch_embedding[2].weight`, `cfg["k"].width` (instances.ts holds an instance's
 * attributes under such keys). Undefined when a part is no name, no attribute or no constant
 * integer or string index.
 */
export function accessPath(node: SyntaxNode, text: string, scope: Scope, depth = 0): string | undefined {
  if (exceeds('expressionDepth', depth)) return undefined;
  const n = unwrap(node);
  if (n.name === 'VariableName') return text.slice(n.from, n.to);
  if (n.name !== 'MemberExpression') return undefined;
  const object = n.firstChild;
  const head = object ? accessPath(object, text, scope, depth + 1) : undefined;
  if (head === undefined) return undefined;
  const open = n.getChild('[');
  if (!open) {
    const property = n.lastChild;
    return property?.name === 'PropertyName' ? `${head}.${text.slice(property.from, property.to)}` : undefined;
  }
  const index = open.nextSibling;
  if (!index || index.nextSibling?.name !== ']') return undefined;
  const key = evaluate(index, text, scope, depth + 1);
  if (typeof key === 'string') return entryKey(head, key);
  return typeof key === 'number' && Number.isInteger(key) && key >= 0 ? `${head}[${key}]` : undefined;
}

/**
 * Builtins and math functions of constant arguments, as models write sizes:
 * `int(planes * (base_width / 64.))` (torchvision), `int(np.prod(img_shape))`
 * (PyTorch-GAN), `0.02 / math.sqrt(2 * n_layer)` (nanoGPT), `len(dims)`,
 * `max(1, c // 16)`. A name the file binds itself (`int = ...`) is not the builtin.
 */
function builtinCall(n: SyntaxNode, text: string, scope: Scope, depth: number): Value | undefined {
  const callee = n.firstChild;
  const list = n.getChild('ArgList');
  if (!callee || !list) return undefined;
  const name = callee.name === 'VariableName' || callee.name === 'MemberExpression' ? text.slice(callee.from, callee.to).replace(/\s+/g, '') : '';
  // `W.size(0)` of a tensor whose shape is in scope as `W.shape` (moduleScope.ts, an instance's tensors in instances.ts).
  const method = callee.name === 'MemberExpression' ? callee.lastChild : null;
  const tensor = method?.name === 'PropertyName' && text.slice(method.from, method.to) === 'size' && callee.firstChild ? accessPath(callee.firstChild, text, scope, depth + 1) : undefined;
  const shape = tensor !== undefined ? scope.get(`${tensor}.shape`) : undefined;
  if (Array.isArray(shape)) {
    const inner = callArgs(list, text);
    if (inner.keywords.size > 0 || inner.hasStarred || inner.positional.length > 1) return undefined;
    if (inner.positional.length === 0) return shape;
    const i = evaluate(inner.positional[0], text, scope, depth + 1);
    return typeof i === 'number' && Number.isInteger(i) ? shape[i < 0 ? shape.length + i : i] : undefined;
  }
  const fn = BUILTINS[name];
  if (!fn || scope.has(name.split('.')[0])) return undefined;
  const inner = callArgs(list, text);
  if (inner.keywords.size > 0 || inner.hasStarred || inner.positional.length === 0) return undefined;
  const args: Value[] = [];
  for (const a of inner.positional) {
    const v = evaluate(a, text, scope, depth + 1);
    if (v === undefined) return undefined;
    args.push(v);
  }
  const r = fn(args);
  return typeof r === 'number' && !Number.isFinite(r) ? undefined : r;
}

const numbers = (args: readonly Value[]): number[] | undefined => {
  const flat = args.length === 1 && Array.isArray(args[0]) ? (args[0] as readonly Value[]) : args;
  return flat.every((v) => typeof v === 'number' || typeof v === 'boolean') ? flat.map(Number) : undefined;
};
const unary = (f: (x: number) => number) => (args: readonly Value[]) => (args.length === 1 && (typeof args[0] === 'number' || typeof args[0] === 'boolean') ? f(Number(args[0])) : undefined);
const productOf = (args: readonly Value[]) => (args.length === 1 ? numbers(args)?.reduce((a, b) => a * b, 1) : undefined);
const sqrt = unary((x) => (x >= 0 ? Math.sqrt(x) : NaN));

const BUILTINS: Readonly<Record<string, (args: readonly Value[]) => Value | undefined>> = {
  // The builtin truncates toward 0.
  int: unary(Math.trunc),
  float: unary((x) => x),
  abs: unary(Math.abs),
  len: (args) => (args.length === 1 && (Array.isArray(args[0]) || typeof args[0] === 'string') ? (args[0] as readonly Value[] | string).length : undefined),
  max: (args) => {
    const xs = numbers(args);
    return xs && xs.length > 0 ? Math.max(...xs) : undefined;
  },
  min: (args) => {
    const xs = numbers(args);
    return xs && xs.length > 0 ? Math.min(...xs) : undefined;
  },
  sum: (args) => (args.length === 1 ? numbers(args)?.reduce((a, b) => a + b, 0) : undefined),
  'math.sqrt': sqrt,
  'np.sqrt': sqrt,
  'numpy.sqrt': sqrt,
  'math.ceil': unary(Math.ceil),
  'math.floor': unary(Math.floor),
  'math.prod': productOf,
  'np.prod': productOf,
  'numpy.prod': productOf,
};

/**
 * Python's `range(stop)`, `range(start, stop)` or `range(start, stop, step)` on
 * integers: its length, or undefined when the arguments are not a range's
 * (a step of 0, a non-integer, more than three).
 */
export function rangeLength(args: readonly Value[]): number | undefined {
  if (args.length < 1 || args.length > 3 || !args.every((v): v is number => typeof v === 'number' && Number.isInteger(v))) return undefined;
  const [start, stop, step] = args.length === 1 ? [0, args[0], 1] : [args[0], args[1], args[2] ?? 1];
  if (step === 0) return undefined;
  return Math.max(0, Math.ceil((stop - start) / step));
}

/** The values of a range whose {@link rangeLength} is known (the caller bounds it first). */
export function rangeValues(args: readonly number[]): number[] {
  const [start, step] = args.length === 1 ? [0, 1] : [args[0], args[2] ?? 1];
  return Array.from({ length: rangeLength(args) ?? 0 }, (_, i) => start + i * step);
}

/** A Python arithmetic operator on two numbers (`op` as written: `+`, `//`, `**`, ...); undefined where Python raises or the result is not finite. */
export function arithmetic(op: string, a: number, b: number): number | undefined {
  switch (op) {
    case '+':
      return a + b;
    case '-':
      return a - b;
    case '*':
      return a * b;
    case '/':
      return b === 0 ? undefined : a / b;
    case '//':
      return b === 0 ? undefined : Math.floor(a / b);
    case '%':
      return b === 0 ? undefined : a - b * Math.floor(a / b);
    case '**': {
      const r = a ** b;
      return Number.isFinite(r) ? r : undefined;
    }
    default:
      return undefined;
  }
}

/**
 * Whether Python gives `node` a float type, from its syntax: a float literal
 * (`2.0`, `1e3`), true division, or arithmetic with a float operand; for a
 * tuple or list, whether any element is a float. Names are not followed
 * (their values are kept as plain numbers).
 */
export function isFloatSyntax(node: SyntaxNode | undefined, text: string, depth = 0): boolean {
  if (!node || depth > LIMITS.expressionDepth.value) return false;
  const n = unwrap(node);
  if (n.name === 'Number') return !/^0[xob]/i.test(text.slice(n.from, n.to)) && /[.eE]/.test(text.slice(n.from, n.to));
  if (n.name === 'UnaryExpression') return isFloatSyntax(n.lastChild ?? undefined, text, depth + 1);
  if (n.name === 'TupleExpression' || n.name === 'ArrayExpression') return (sequenceElements(n) ?? []).some((e) => isFloatSyntax(e, text, depth + 1));
  if (n.name !== 'BinaryExpression') return false;
  const left = n.firstChild;
  const op = left?.nextSibling;
  if (!left || !op) return false;
  if (text.slice(op.from, op.to) === '/') return true;
  return isFloatSyntax(left, text, depth + 1) || isFloatSyntax(op.nextSibling ?? undefined, text, depth + 1);
}

/** A non-negative integer dimension, or the expression's text when unresolved. */
export function dim(node: SyntaxNode | undefined, text: string, scope: Scope, fallback?: number): Dim | undefined {
  if (!node) return fallback;
  const value = evaluate(node, text, scope);
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return value;
  return { symbol: text.slice(node.from, node.to).replace(/\s+/g, ' ') };
}

export function isKnown(d: Dim | undefined): d is number {
  return typeof d === 'number';
}

/** Renders a dimension for humans (`784`, `hidden`). */
export function showDim(d: Dim | undefined): string {
  if (d === undefined) return '?';
  return typeof d === 'number' ? String(d) : d.symbol;
}

/** Product of dimensions (a symbolic product when any is unknown). */
export function product(dims: readonly (Dim | undefined)[]): Dim {
  if (dims.every(isKnown)) return dims.reduce((a, b) => a * b, 1);
  if (dims.some((d) => d === undefined || (typeof d === 'object' && d.symbol === '?'))) return { symbol: '?' };
  return { symbol: dims.map((d) => (typeof d === 'object' && /[^\w.]/.test(d.symbol) ? `(${d.symbol})` : showDim(d))).join('·') };
}
