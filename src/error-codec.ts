/**
 * How errors cross between threads, processes and machines: as plain data that keeps what
 * structured clone loses (the class of a subclass, its own fields, `cause`, an
 * `AggregateError`'s `errors`), and rebuilt on the other side as instances of the same classes
 * where they are known. The same codec serves what a task throws and errors carried inside
 * arguments and results (CPython's pickle keeps an exception's class and fields; so does this).
 *
 * Both directions are hostile-input safe: encoding never throws, whatever was thrown (a value
 * whose getters throw, a Proxy, a circular object), and decoding never trusts the record.
 *
 * @module
 */
import { ERROR_CLASSES } from './errors.js';

/** An `Error` as plain data: class name, message, worker-side stack, extra own properties, cause, errors. */
export interface WireError {
  readonly name: string;
  /** For a subclass (`class MyError extends RangeError`), the nearest ancestor class known to both sides. */
  readonly base?: string;
  readonly message: string;
  readonly stack: string | undefined;
  readonly props: Record<string, unknown> | null;
  readonly cause: WireThrown | null;
  /** An `AggregateError`'s `errors`. */
  readonly errors?: readonly WireThrown[];
}

/** Anything a task can throw: an error record, or a non-Error value as it was thrown. */
export type WireThrown = { readonly error: WireError } | { readonly value: unknown };

const SKIPPED_PROPS = new Set(['name', 'message', 'stack', 'cause', 'errors', '__proto__', 'constructor', 'prototype']);
/** Causes (and nested errors) deeper than this are cut when encoding; decoding cuts at twice this. */
const MAX_DEPTH = 4;
const MAX_DECODE_DEPTH = 8;
/**
 * The key that marks an encoded error inside an argument or a result. A string nobody writes by
 * accident: a NUL and a name.
 */
const ERROR_KEY = '\u0000concurrent-ts:error';

/** Reads `key` of `value`, or `undefined` if reading throws (a getter, a Proxy trap). */
function read(value: object, key: string): unknown {
  try {
    return (value as Record<string, unknown>)[key];
  } catch {
    return undefined;
  }
}

/** Plain data that structured clone carries whole (cycles included): no functions, symbols or class instances. */
function isCloneablePlain(value: unknown, seen: Set<object> = new Set(), depth = 0): boolean {
  if (value === null || value === undefined) return true;
  switch (typeof value) {
    case 'function': case 'symbol': return false;
    case 'object': {
      if (seen.has(value)) return true;
      if (depth > 64) return false;
      seen.add(value);
      if (Array.isArray(value)) return value.every((v) => isCloneablePlain(v, seen, depth + 1));
      if (ArrayBuffer.isView(value) || value instanceof Date || value instanceof RegExp) return true;
      if (Object.getPrototypeOf(value) !== Object.prototype && Object.getPrototypeOf(value) !== null) return false;
      return Object.keys(value).every((key) => isCloneablePlain(read(value, key), seen, depth + 1));
    }
    default: return true;
  }
}

/** Turns anything thrown into plain data that survives structured clone. Never throws. */
export function encodeThrown(thrown: unknown, depth = 0): WireThrown {
  try {
    if (thrown instanceof Error || looksLikeError(thrown)) return { error: encodeError(thrown as Error, depth) };
    if (isCloneablePlain(thrown)) return { value: thrown };
    return { value: `${typeof thrown === 'function' ? 'function' : typeof thrown} thrown: ${safeString(thrown)}` };
  } catch (problem) {
    // Something in it fought back (a Proxy, a getter with side effects): say what it was, as text.
    return { value: `${typeof thrown} thrown that could not be read (${safeString(problem)})` };
  }
}

function encodeError(error: Error, depth: number): WireError {
  let props: Record<string, unknown> | null = null;
  for (const key of Object.keys(error)) {
    if (SKIPPED_PROPS.has(key)) continue;
    const v = read(error, key);
    if (containsError(v)) {
      (props ??= {})[key] = depth < MAX_DEPTH ? encodeValue(v) : undefined;
      continue;
    }
    if (!isCloneablePlain(v)) continue;
    (props ??= {})[key] = v;
  }
  const rawCause = 'cause' in error ? read(error, 'cause') : undefined;
  const cause = rawCause !== undefined && depth < MAX_DEPTH ? encodeThrown(rawCause, depth + 1) : null;
  const rawErrors = error instanceof AggregateError || Array.isArray(read(error, 'errors')) ? read(error, 'errors') : undefined;
  const errors = Array.isArray(rawErrors) && depth < MAX_DEPTH ? rawErrors.slice(0, 1000).map((e) => encodeThrown(e, depth + 1)) : undefined;
  const name = errorName(error);
  const base = name === safeString(read(error, 'name')) ? undefined : knownBase(error);
  const rawStack = read(error, 'stack');
  let stack = typeof rawStack === 'string' ? rawStack : undefined;
  // V8 wrote the inherited name at the head of the stack (`Error: m` for a MyError); name the class.
  const inherited = safeString(read(error, 'name'));
  if (name !== inherited && stack !== undefined && (stack === inherited || stack.startsWith(`${inherited}:`) || stack.startsWith(`${inherited}\n`))) {
    stack = name + stack.slice(inherited.length);
  }
  let message: unknown;
  try {
    message = (error as { message?: unknown }).message;
  } catch (problem) {
    message = `(its message could not be read: ${problem instanceof Error ? safeString(read(problem, 'message')) : safeString(problem)})`;
  }
  return {
    name,
    ...(base === undefined ? {} : { base }),
    message: typeof message === 'string' ? message : safeString(message),
    stack,
    props,
    cause,
    ...(errors === undefined ? {} : { errors }),
  };
}

/**
 * Rebuilds what a worker threw: an instance of the class with the same name when the library
 * knows it (built-in errors and the library's own), else an `Error` carrying that name.
 * Extra properties are copied as own data properties, so `__proto__` in a payload stays data.
 *
 * The record comes from another thread, process or machine, so nothing in it is trusted: a field
 * of the wrong type is ignored or turned into a string, a cause chain is cut after a few levels,
 * and a record of the wrong shape becomes a `TypeError` saying so. It never throws.
 */
export function decodeThrown(wire: WireThrown): unknown {
  return decodeRecord(wire, 0);
}

function decodeRecord(wire: unknown, depth: number): unknown {
  if (typeof wire === 'object' && wire !== null && 'value' in wire) return wire.value;
  const w = (typeof wire === 'object' && wire !== null ? (wire as { error?: unknown }).error : undefined) as Partial<Record<keyof WireError, unknown>> | undefined;
  if (typeof w !== 'object' || w === null) return new TypeError('malformed error record from a worker');
  return decodeError(w, depth);
}

function decodeError(w: Partial<Record<keyof WireError, unknown>>, depth: number): Error {
  const name = typeof w.name === 'string' ? w.name : 'Error';
  const message = typeof w.message === 'string' ? w.message : safeString(w.message);
  const Cls = ERROR_CLASSES.get(name) ?? (typeof w.base === 'string' ? ERROR_CLASSES.get(w.base) : undefined) ?? Error;
  const error = Object.create(Cls.prototype as object) as Error & Record<string, unknown>;
  define(error, 'message', message);
  if (Cls.name !== name) define(error, 'name', name);
  define(error, 'stack', typeof w.stack === 'string' ? w.stack : `${name}: ${message}`);
  if (depth < MAX_DECODE_DEPTH && isWireThrown(w.cause)) define(error, 'cause', decodeRecord(w.cause, depth + 1));
  if (depth < MAX_DECODE_DEPTH && Array.isArray(w.errors)) define(error, 'errors', w.errors.map((e) => decodeRecord(e, depth + 1)));
  const props = w.props;
  if (typeof props === 'object' && props !== null && !Array.isArray(props)) {
    for (const key of Object.keys(props)) {
      if (!SKIPPED_PROPS.has(key)) define(error, key, decodeValue((props as Record<string, unknown>)[key], depth + 1), true);
    }
  }
  return error;
}

/**
 * `true` when `value` holds an `Error` somewhere inside (arrays, plain objects, Maps, Sets): then
 * {@link encodeValue} must carry it, or structured clone would drop its class and fields.
 */
export function containsError(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  return findError(value, new Set(), 0);
}

function findError(value: object, seen: Set<object>, depth: number): boolean {
  if (value instanceof Error) return true;
  if (depth > 64 || seen.has(value) || ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return false;
  seen.add(value);
  const check = (v: unknown): boolean => typeof v === 'object' && v !== null && findError(v, seen, depth + 1);
  try {
    if (Array.isArray(value)) return value.some(check);
    if (value instanceof Map) {
      for (const [k, v] of value) if (check(k) || check(v)) return true;
      return false;
    }
    if (value instanceof Set) {
      for (const v of value) if (check(v)) return true;
      return false;
    }
    const proto: unknown = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) return false;
    for (const key of Object.keys(value)) if (check(read(value, key))) return true;
  } catch {
    // An object that fights being read is left to structured clone, which will say what it thinks.
  }
  return false;
}

/**
 * A copy of `value` in which every `Error` is replaced by its record, so that it survives
 * structured clone with its class and fields; {@link decodeValue} undoes it. Call it only when
 * {@link containsError} says so: it copies what it walks.
 */
export function encodeValue(value: unknown): unknown {
  return encodeInside(value, new Map(), 0);
}

function encodeInside(value: unknown, done: Map<object, unknown>, depth: number): unknown {
  if (typeof value !== 'object' || value === null) return value;
  const known = done.get(value);
  if (known !== undefined) return known;
  if (value instanceof Error) {
    const record = { [ERROR_KEY]: encodeError(value, 0) };
    done.set(value, record);
    return record;
  }
  if (depth > 64 || ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return value;
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    done.set(value, out);
    for (const item of value) out.push(encodeInside(item, done, depth + 1));
    return out;
  }
  if (value instanceof Map) {
    const out = new Map<unknown, unknown>();
    done.set(value, out);
    for (const [k, v] of value) out.set(encodeInside(k, done, depth + 1), encodeInside(v, done, depth + 1));
    return out;
  }
  if (value instanceof Set) {
    const out = new Set<unknown>();
    done.set(value, out);
    for (const v of value) out.add(encodeInside(v, done, depth + 1));
    return out;
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return value;
  const out: Record<string, unknown> = proto === null ? Object.create(null) as Record<string, unknown> : {};
  done.set(value, out);
  for (const key of Object.keys(value)) {
    Object.defineProperty(out, key, { value: encodeInside(read(value, key), done, depth + 1), enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/**
 * Rebuilds the errors that {@link encodeValue} replaced, in place (the value is a fresh copy
 * that arrived by structured clone). Untrusted input: anything that is not a well-formed record
 * stays as it is.
 */
export function decodeValue(value: unknown, depth = 0): unknown {
  return decodeInside(value, new Set(), depth);
}

function decodeInside(value: unknown, seen: Set<object>, depth: number): unknown {
  if (typeof value !== 'object' || value === null || depth > 64 || seen.has(value) || ArrayBuffer.isView(value)) return value;
  seen.add(value);
  if (Object.prototype.hasOwnProperty.call(value, ERROR_KEY)) {
    const record = (value as Record<string, unknown>)[ERROR_KEY];
    return typeof record === 'object' && record !== null ? decodeError(record, depth) : value;
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = decodeInside(value[i], seen, depth + 1);
  } else if (value instanceof Map) {
    for (const [k, v] of [...value]) {
      const key = decodeInside(k, seen, depth + 1);
      if (key !== k) value.delete(k);
      value.set(key, decodeInside(v, seen, depth + 1));
    }
  } else if (value instanceof Set) {
    for (const v of [...value]) {
      const item = decodeInside(v, seen, depth + 1);
      if (item !== v) {
        value.delete(v);
        value.add(item);
      }
    }
  } else {
    const proto: unknown = Object.getPrototypeOf(value);
    if (proto === Object.prototype || proto === null) {
      for (const key of Object.keys(value)) {
        Object.defineProperty(value, key, { value: decodeInside((value as Record<string, unknown>)[key], seen, depth + 1), enumerable: true, writable: true, configurable: true });
      }
    }
  }
  return value;
}

/**
 * The class name of an error. `class MyError extends Error {}` does not set `name`, so its
 * instances inherit `'Error'`; the class's own name is what the receiving side must see.
 */
function errorName(error: Error): string {
  const name = read(error, 'name');
  if (typeof name !== 'string') return 'Error';
  const ctor = read(error, 'constructor');
  if (Object.prototype.hasOwnProperty.call(error, 'name') || typeof ctor !== 'function' || ctor.name === '') return name;
  // Which prototype gives `name`? If it is the class's own, the class chose it; otherwise it is inherited.
  let proto: unknown = Object.getPrototypeOf(error);
  while (proto !== null && typeof proto === 'object' && !Object.prototype.hasOwnProperty.call(proto, 'name')) {
    proto = Object.getPrototypeOf(proto);
  }
  const owner = proto === null || typeof proto !== 'object' ? undefined : read(proto, 'constructor');
  return owner === ctor ? name : ctor.name;
}

/** The nearest ancestor class of `error` that the receiving side can rebuild. */
function knownBase(error: Error): string | undefined {
  for (let proto: unknown = Object.getPrototypeOf(error); proto !== null && typeof proto === 'object'; proto = Object.getPrototypeOf(proto)) {
    const ctor = read(proto, 'constructor') as { name?: unknown } | undefined;
    if (typeof ctor?.name === 'string' && ERROR_CLASSES.has(ctor.name)) return ctor.name;
  }
  return undefined;
}

function define(target: object, key: string, value: unknown, enumerable = false): void {
  Object.defineProperty(target, key, { value, writable: true, configurable: true, enumerable });
}

function looksLikeError(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  return typeof read(value, 'message') === 'string' && typeof read(value, 'stack') === 'string' && typeof read(value, 'name') === 'string';
}

function safeString(value: unknown): string {
  try {
    return String(value);
  } catch {
    try {
      return Object.prototype.toString.call(value);
    } catch {
      return 'a value that cannot be shown';
    }
  }
}

/** `true` for a well-formed {@link WireThrown}. */
export function isWireThrown(value: unknown): value is WireThrown {
  if (typeof value !== 'object' || value === null) return false;
  if ('value' in value) return true;
  const e = (value as { error?: Record<string, unknown> }).error;
  return typeof e === 'object' && e !== null && typeof e.name === 'string' && typeof e.message === 'string';
}
