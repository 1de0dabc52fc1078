/**
 * Values across machines: BullMQ stores job data and results as JSON, so arguments and results are
 * turned into JSON-safe data here and back. Local pools use structured clone; this codec carries
 * the same useful types so that a task behaves the same on a thread and on another machine:
 *
 * | value | travels as |
 * | --- | --- |
 * | numbers, strings, booleans, `null`, plain objects, arrays | themselves (no copy when nothing needs tagging) |
 * | `undefined`, `NaN`, `±Infinity`, `-0`, `bigint` | `{ "$ct": "u" \| "n" \| "b", … }` |
 * | `Date`, `RegExp`, `Map`, `Set` | `{ "$ct": "d" \| "r" \| "m" \| "s", … }` |
 * | `ArrayBuffer`, typed arrays, `DataView`, `Buffer` | base64 (a `Buffer` arrives as a `Uint8Array`, as with structured clone) |
 * | `Error` | the error record of `src/protocol.ts` |
 * | a plain object that has its own `$ct` key | wrapped, so it cannot be mistaken for a tag |
 *
 * Functions, symbols, class instances, `SharedArrayBuffer` and the library's shared primitives
 * cannot cross machines and are refused with a {@link SerializationError} naming their path.
 *
 * Decoding never evaluates anything and never assigns through a prototype: it rebuilds only the
 * types above, from their own data, and a `__proto__` key stays an ordinary own property.
 *
 * @module
 */
import { SerializationError } from '../errors.js';
import { decodeThrown, encodeThrown, isWireThrown } from '../error-codec.js';

const TAG = '$ct';
const MAX_DEPTH = 512;

const VIEWS: ReadonlyMap<string, new (buffer: ArrayBuffer) => ArrayBufferView> = new Map<string, new (buffer: ArrayBuffer) => ArrayBufferView>([
  ['Int8Array', Int8Array], ['Uint8Array', Uint8Array], ['Uint8ClampedArray', Uint8ClampedArray],
  ['Int16Array', Int16Array], ['Uint16Array', Uint16Array], ['Int32Array', Int32Array], ['Uint32Array', Uint32Array],
  ['Float32Array', Float32Array], ['Float64Array', Float64Array], ['BigInt64Array', BigInt64Array],
  ['BigUint64Array', BigUint64Array], ['DataView', DataView],
]);

/** `true` for a value JSON carries unchanged. */
function isPlainScalar(value: unknown): boolean {
  switch (typeof value) {
    case 'string': case 'boolean': return true;
    case 'number': return Number.isFinite(value) && !Object.is(value, -0);
    case 'object': return value === null;
    default: return false;
  }
}

/**
 * The JSON-safe form of `value`. Returns `value` itself when nothing inside needs tagging, so a
 * list of numbers costs one pass and no copy.
 *
 * @param path - where `value` sits, for error messages (`args[0].when`).
 * @throws {SerializationError} for what cannot cross machines.
 */
export function encodeValue(value: unknown, path: string): unknown {
  if (isPlainScalar(value)) return value;
  return encode(value, path, []);
}

/** Encodes every element of an argument list or of a chunk's items. */
export function encodeList(values: readonly unknown[], path: string): unknown[] {
  let out: unknown[] | undefined;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (isPlainScalar(v)) {
      if (out !== undefined) out[i] = v;
      continue;
    }
    const e = encode(v, `${path}[${i}]`, []);
    if (e !== v && out === undefined) out = values.slice(0, i);
    if (out !== undefined) out[i] = e;
  }
  return out ?? (values as unknown[]);
}

function encode(value: unknown, path: string, stack: object[]): unknown {
  switch (typeof value) {
    case 'string': case 'boolean': return value;
    case 'undefined': return { [TAG]: 'u' };
    case 'number':
      if (Number.isFinite(value) && !Object.is(value, -0)) return value;
      return { [TAG]: 'n', v: Object.is(value, -0) ? '-0' : String(value) };
    case 'bigint': return { [TAG]: 'b', v: value.toString() };
    case 'function':
      throw new SerializationError(
        `${path} is a function (${value.name || 'anonymous'}); functions cannot be sent to another machine. ` +
        'Send data, and let the task import what it needs.', path);
    case 'symbol': throw new SerializationError(`${path} is a symbol; symbols cannot be sent to another machine`, path);
    case 'object': break;
  }
  if (value === null) return null;
  const object = value;
  if (stack.includes(object)) {
    throw new SerializationError(`${path} refers back to one of its containers; a circular structure cannot be sent to another machine`, path);
  }
  if (stack.length >= MAX_DEPTH) throw new SerializationError(`${path} is nested more than ${MAX_DEPTH} levels deep`, path);
  stack.push(object);
  try {
    return encodeObject(object, path, stack);
  } finally {
    stack.pop();
  }
}

function encodeObject(value: object, path: string, stack: object[]): unknown {
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const v: unknown = value[i];
      const e = isPlainScalar(v) ? v : encode(v, `${path}[${i}]`, stack);
      if (e !== v && out === undefined) out = value.slice(0, i);
      if (out !== undefined) out[i] = e;
    }
    return out ?? value;
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto === Object.prototype || proto === null) {
    const source = value as Record<string, unknown>;
    let out: Record<string, unknown> | undefined;
    const keys = Object.keys(source);
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i] as string;
      const v = source[key];
      const e = isPlainScalar(v) ? v : encode(v, `${path}.${key}`, stack);
      if (e !== v && out === undefined) {
        out = {};
        for (let j = 0; j < i; j++) define(out, keys[j] as string, source[keys[j] as string]);
      }
      if (out !== undefined) define(out, key, e);
    }
    const plain = out ?? source;
    return Object.prototype.hasOwnProperty.call(source, TAG) ? { [TAG]: 'o', v: out ?? { ...source } } : plain;
  }
  if (value instanceof Date) return { [TAG]: 'd', v: value.getTime() };
  if (value instanceof RegExp) return { [TAG]: 'r', v: value.source, f: value.flags };
  if (value instanceof Map) {
    const entries: unknown[] = [];
    let i = 0;
    for (const [k, v] of value) {
      entries.push([encode(k, `${path}.<key ${i}>`, stack), encode(v, `${path}.<value ${i}>`, stack)]);
      i++;
    }
    return { [TAG]: 'm', v: entries };
  }
  if (value instanceof Set) {
    const items: unknown[] = [];
    let i = 0;
    for (const v of value) items.push(encode(v, `${path}.<item ${i++}>`, stack));
    return { [TAG]: 's', v: items };
  }
  if (typeof SharedArrayBuffer === 'function' && value instanceof SharedArrayBuffer) {
    throw new SerializationError(`${path} is a SharedArrayBuffer; shared memory cannot be sent to another machine`, path);
  }
  if (value instanceof ArrayBuffer) return { [TAG]: 'a', v: Buffer.from(value).toString('base64') };
  if (ArrayBuffer.isView(value)) {
    if (typeof SharedArrayBuffer === 'function' && value.buffer instanceof SharedArrayBuffer) {
      throw new SerializationError(`${path} is a view of a SharedArrayBuffer; shared memory cannot be sent to another machine`, path);
    }
    const type = value instanceof DataView ? 'DataView' : viewType(value);
    return { [TAG]: 'v', t: type, v: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64') };
  }
  if (value instanceof Error) return { [TAG]: 'e', v: encode(encodeThrown(value), `${path}<error>`, stack) };
  if (value instanceof Boolean || value instanceof Number || value instanceof String) return encode(value.valueOf(), path, stack);
  const ctor = (proto as { constructor?: { name?: string } }).constructor?.name ?? 'an unknown class';
  if (Object.prototype.hasOwnProperty.call(value, '__ct')) {
    throw new SerializationError(`${path} is a shared ${ctor} primitive; locks, queues and shared values work only on one machine`, path);
  }
  throw new SerializationError(
    `${path} is an instance of class ${ctor}; it cannot be sent to another machine. ` +
    'Send plain data (objects, arrays, numbers, strings, Map, Set, Date…) and rebuild it in the task.', path);
}

function viewType(view: ArrayBufferView): string {
  for (const [name, ctor] of VIEWS) {
    if (name !== 'DataView' && view instanceof ctor) return name;
  }
  return 'Uint8Array';
}

function define(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
  else target[key] = value;
}

/**
 * Rebuilds what {@link encodeValue} produced. `value` is data freshly parsed from JSON and is
 * updated in place where a tag is replaced.
 *
 * @throws {TypeError} for a malformed tag (the data did not come from this codec).
 */
export function decodeValue(value: unknown): unknown {
  return typeof value === 'object' && value !== null ? decode(value, 0) : value;
}

function decode(value: object, depth: number): unknown {
  if (depth > MAX_DEPTH) throw new TypeError('malformed data: nested too deeply');
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const v: unknown = value[i];
      if (typeof v === 'object' && v !== null) {
        const d = decode(v, depth + 1);
        if (d !== v) value[i] = d;
      }
    }
    return value;
  }
  const record = value as Record<string, unknown>;
  if (Object.prototype.hasOwnProperty.call(record, TAG)) return decodeTagged(record, depth);
  for (const key of Object.keys(record)) {
    const v = record[key];
    if (typeof v === 'object' && v !== null) {
      const d = decode(v, depth + 1);
      if (d !== v) define(record, key, d);
    }
  }
  return record;
}

function decodeTagged(record: Record<string, unknown>, depth: number): unknown {
  const v = record.v;
  const child = (x: unknown): unknown => (typeof x === 'object' && x !== null ? decode(x, depth + 1) : x);
  switch (record[TAG]) {
    case 'u': return undefined;
    case 'n': {
      const n = v === '-0' ? -0 : v === 'NaN' ? NaN : v === 'Infinity' ? Infinity : v === '-Infinity' ? -Infinity : undefined;
      if (n === undefined) break;
      return n;
    }
    case 'b':
      if (typeof v !== 'string' || !/^-?\d{1,100000}$/.test(v)) break;
      return BigInt(v);
    case 'd':
      if (typeof v !== 'number') break;
      return new Date(v);
    case 'r':
      if (typeof v !== 'string' || typeof record.f !== 'string') break;
      return new RegExp(v, record.f);
    case 'm': {
      if (!Array.isArray(v)) break;
      const map = new Map<unknown, unknown>();
      for (const entry of v as unknown[]) {
        if (!Array.isArray(entry) || entry.length !== 2) throw new TypeError('malformed data: a Map entry is not a pair');
        map.set(child(entry[0]), child(entry[1]));
      }
      return map;
    }
    case 's': {
      if (!Array.isArray(v)) break;
      const set = new Set<unknown>();
      for (const item of v as unknown[]) set.add(child(item));
      return set;
    }
    case 'a': {
      if (typeof v !== 'string') break;
      const bytes = Buffer.from(v, 'base64');
      return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
    }
    case 'v': {
      const ctor = typeof record.t === 'string' ? VIEWS.get(record.t) : undefined;
      if (typeof v !== 'string' || ctor === undefined) break;
      const bytes = Buffer.from(v, 'base64');
      const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
      const size = (ctor as unknown as { BYTES_PER_ELEMENT?: number }).BYTES_PER_ELEMENT ?? 1;
      if (buffer.byteLength % size !== 0) break;
      return new ctor(buffer);
    }
    case 'e': {
      const wire = child(v);
      if (!isWireThrown(wire)) break;
      return decodeThrown(wire);
    }
    case 'o':
      if (typeof v !== 'object' || v === null || Array.isArray(v)) break;
      for (const key of Object.keys(v)) {
        const item = (v as Record<string, unknown>)[key];
        if (typeof item === 'object' && item !== null) define(v as Record<string, unknown>, key, decode(item, depth + 1));
      }
      return v;
    default: break;
  }
  throw new TypeError(`malformed data: unknown or invalid "${TAG}" tag ${JSON.stringify(record[TAG])}`);
}
