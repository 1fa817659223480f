/**
 * Readers for values that cross the webview boundary. A reader either returns
 * a fresh copy made only of the fields it knows (so nothing it did not check
 * is ever kept, echoed or acted on) or fails with a one-line reason. Reading
 * never throws out of {@link read}: whatever arrives (BigInt, Symbol, cycles,
 * getters, Proxies, prototype tricks, huge arrays or strings) is either
 * accepted as plain data or refused.
 *
 * Only own data properties of plain objects and arrays are read, and only the
 * fields a schema names, so the work is bounded by the schema (and its array
 * limits), not by the input.
 */

import type { Range } from '../core/sampling/ranges';

/** A failed check inside a reader; {@link read} turns it into the problem text. */
class Invalid extends Error {}

/** Reads `value` at `path` (for messages), or throws {@link Invalid}. */
export type Reader<T> = (value: unknown, path: string) => T;

const fail = (path: string, what: string): never => {
  throw new Invalid(`${path || 'the value'} must be ${what}`);
};

const count = (x: number) => x.toLocaleString('en-US', { maximumFractionDigits: 20 });

/** A short, safe description of a value for messages (never converts the value itself). */
export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return value === null ? 'null' : `a ${typeof value}`;
}

/** Runs a reader; any failure (a check, or a Proxy trap that throws) becomes a problem string. */
export function read<T>(reader: Reader<T>, value: unknown): { readonly value: T } | { readonly problem: string } {
  try {
    return { value: reader(value, '') };
  } catch (error) {
    return { problem: error instanceof Invalid ? error.message : 'it could not be read as plain data' };
  }
}

/** A string of `min` to `max` characters, optionally matching `pattern`. */
export function text(max: number, min = 0, pattern?: RegExp, what?: string): Reader<string> {
  return (v, path) => {
    if (typeof v !== 'string' || v.length < min || v.length > max || (pattern && !pattern.test(v))) {
      return fail(path, what ?? (min > 0 ? `text of ${min} to ${count(max)} characters` : `text of at most ${count(max)} characters`));
    }
    return v;
  };
}

/** One of a fixed list of strings. */
export function oneOf<T extends string>(options: readonly T[], what?: string): Reader<T> {
  return (v, path) => (typeof v === 'string' && (options as readonly string[]).includes(v) ? (v as T) : fail(path, what ?? `one of ${options.join(', ')}`));
}


/** A human form of a range, e.g. "a number from −10 to 10", "an integer from 1 to 10000". */
export function rangeText(r: Range): string {
  const kind = r.integer ? 'an integer' : 'a number';
  return r.above ? `${kind} above ${count(r.min)} and at most ${count(r.max)}` : `${kind} from ${count(r.min)} to ${count(r.max)}`;
}

/** A finite number in a range. */
export function number(range: Range): Reader<number> {
  return (v, path) => {
    if (typeof v !== 'number' || !Number.isFinite(v) || (range.integer && !Number.isInteger(v)) || v > range.max || (range.above ? v <= range.min : v < range.min)) return fail(path, rangeText(range));
    return v;
  };
}

/** Any number, including ±Infinity and NaN: only for statistics the page shows as "—" when not finite. */
export const anyNumber: Reader<number> = (v, path) => (typeof v === 'number' ? v : fail(path, 'a number'));

/** `null`, or a value read with `reader`. */
export function nullable<T>(reader: Reader<T>): Reader<T | null> {
  return (v, path) => (v === null ? null : reader(v, path));
}

export const boolean: Reader<boolean> = (v, path) => (typeof v === 'boolean' ? v : fail(path, 'true or false'));

/** An exact string. */
export function literal<T extends string>(value: T): Reader<T> {
  return (v, path) => (v === value ? value : fail(path, JSON.stringify(value)));
}

/** The value of an own data property (a getter is refused, never called). */
function own(container: object, key: string, path: string): unknown {
  const d = Object.getOwnPropertyDescriptor(container, key);
  if (d && !('value' in d)) return fail(path, 'plain data (not an accessor)');
  return d?.value;
}

/** An array of at most `max` items, each read with `item`. */
export function arrayOf<T>(item: Reader<T>, max: number): Reader<T[]> {
  return (v, path) => {
    if (!Array.isArray(v) || Object.getPrototypeOf(v) !== Array.prototype) return fail(path, `a list of at most ${max} items`);
    const length = v.length;
    if (length > max) return fail(path, `a list of at most ${max} items`);
    // Own keys are the indices and `length`; anything more is an unknown field (structured clone keeps it).
    if (Reflect.ownKeys(v).length !== length + 1) return fail(path, 'a plain list (no holes, no extra fields)');
    const out: T[] = new Array<T>(length);
    for (let i = 0; i < length; i++) {
      const at = `${path}[${i}]`;
      if (!Object.prototype.hasOwnProperty.call(v, i)) return fail(path, 'a plain list (no holes, no extra fields)');
      out[i] = item(own(v, String(i), at), at);
    }
    return out;
  };
}

/** A field of a record; `optional` fields may be absent or undefined. */
interface Field<T> {
  readonly reader: Reader<T>;
  readonly optional: boolean;
}

/** Marks a record field as optional. */
export function optional<T>(reader: Reader<T>): Field<T | undefined> {
  return { reader, optional: true };
}

type Fields = Record<string, Reader<unknown> | Field<unknown>>;
type Value<F> = F extends Field<infer T> ? T : F extends Reader<infer T> ? T : never;
type Optional<S extends Fields> = { [K in keyof S]: S[K] extends Field<unknown> ? K : never }[keyof S];
/** The object a record schema reads: optional fields may be missing. */
export type RecordOf<S extends Fields> = { -readonly [K in Exclude<keyof S, Optional<S>>]: Value<S[K]> } & { -readonly [K in Optional<S>]?: Value<S[K]> };

/**
 * A plain object with exactly the named fields: an unknown field (including
 * `__proto__` or `constructor` as own keys, and any symbol key) is refused.
 */
export function record<S extends Fields>(schema: S): Reader<RecordOf<S>> {
  const names = Object.keys(schema);
  return (v, path) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return fail(path, 'an object');
    const proto = Object.getPrototypeOf(v);
    if (proto !== Object.prototype && proto !== null) return fail(path, 'a plain object');
    // Stops at the first unknown key, so a huge object costs no more than its key list.
    for (const key of Reflect.ownKeys(v)) {
      if (typeof key !== 'string' || !Object.prototype.hasOwnProperty.call(schema, key)) {
        throw new Invalid(`${path ? `${path} has` : 'it has'} an unknown field ${typeof key === 'string' ? JSON.stringify(key.slice(0, 40)) : 'a symbol'}`);
      }
    }
    const out: Record<string, unknown> = {};
    for (const name of names) {
      const spec = schema[name];
      const field: Field<unknown> = typeof spec === 'function' ? { reader: spec, optional: false } : spec;
      const at = path ? `${path}.${name}` : name;
      const present = Object.prototype.hasOwnProperty.call(v, name);
      const value = present ? own(v, name, at) : undefined;
      if (value === undefined && field.optional) continue;
      if (!present) throw new Invalid(`${path ? `${path} lacks` : 'it lacks'} the field ${name}`);
      out[name] = field.reader(value, at);
    }
    return out as RecordOf<S>;
  };
}

/** A record chosen by its `type` field: each member is read by its own schema. */
export function tagged<T>(members: { readonly [type: string]: Reader<T> }, what: string): Reader<T> {
  return taggedBy('type', members, what);
}

/** A record chosen by its `field` (e.g. a graph op's `kind`): each member is read by its own schema. */
export function taggedBy<T>(field: string, members: { readonly [tag: string]: Reader<T> }, what: string): Reader<T> {
  return (v, path) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return fail(path, 'an object');
    const tag = own(v, field, path ? `${path}.${field}` : field);
    if (typeof tag !== 'string' || !Object.prototype.hasOwnProperty.call(members, tag)) throw new Invalid(`unknown ${what} ${field} ${describe(tag)}`);
    return members[tag](v, path);
  };
}

/**
 * A Float32Array of at most `max` values (structured clone carries typed
 * arrays as such), copied: only its elements are kept.
 */
export function float32Array(max: number): Reader<Float32Array> {
  return (v, path) => {
    if (!(v instanceof Float32Array) || v.length > max) return fail(path, `a Float32Array of at most ${count(max)} values`);
    return new Float32Array(v);
  };
}

/** A reader whose value must also pass `ok`; otherwise "<path> must be <what>". */
export function check<T>(reader: Reader<T>, ok: (value: T) => boolean, what: string): Reader<T> {
  return (v, path) => {
    const value = reader(v, path);
    return ok(value) ? value : fail(path, what);
  };
}

/** A reader with a further check across its fields (`check` returns the problem, or undefined). */
export function refine<T>(reader: Reader<T>, check: (value: T) => string | undefined): Reader<T> {
  return (v, path) => {
    const value = reader(v, path);
    const problem = check(value);
    if (problem !== undefined) throw new Invalid(problem);
    return value;
  };
}
