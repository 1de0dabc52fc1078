/**
 * Broker side of the data objects: `Value` and `Array` (typed storage, C conversions), and the
 * managed containers `dict`, `list` and `Namespace`. Their values travel as `v8.serialize`
 * payloads and are kept deserialized here, because the broker has to compare them (`index`,
 * `remove`, `count`) and slice them.
 *
 * Keys of a dict are primitives (string, number, boolean, null): they are compared by value,
 * as Python compares hashable keys. Equality of list items is deep equality.
 *
 * @module
 */
import { deserialize, serialize } from 'node:v8';
import { isDeepStrictEqual } from 'node:util';
import { checkTypeCode, load, storage, store, type TypeCode } from '../typecodes.js';
import type { Call, SharedState, StateFactory } from './state.js';

const encode = (value: unknown): Buffer => serialize(value);
const decode = (call: Call): unknown => (call.payload.length === 0 ? undefined : deserialize(call.payload));

/** Python's index rules: negative counts from the end; out of range is an error. */
function position(index: unknown, length: number): number | undefined {
  if (typeof index !== 'number' || !Number.isInteger(index)) return undefined;
  const at = index < 0 ? length + index : index;
  return at >= 0 && at < length ? at : undefined;
}

/** Python's slice bounds, clamped. */
function bounds(start: unknown, end: unknown, length: number): [number, number] {
  const clamp = (v: unknown, fallback: number): number => {
    if (typeof v !== 'number') return fallback;
    const at = v < 0 ? length + v : v;
    return Math.min(Math.max(at, 0), length);
  };
  const a = clamp(start, 0);
  return [a, Math.max(a, clamp(end, length))];
}

class ArrayState implements SharedState {
  readonly #code: TypeCode;
  readonly #data: ReturnType<typeof storage>;

  constructor(code: TypeCode, init: unknown) {
    this.#code = code;
    const values = Array.isArray(init) ? init : typeof init === 'string' ? [...init] : undefined;
    this.#data = storage(code, values?.length ?? Number(init));
    values?.forEach((v, i) => store(code, this.#data, i, v));
  }

  /** An element as JavaScript sees it: `'c'` elements are byte numbers in an Array (as in threading's). */
  #load(i: number): unknown {
    return this.#code === 'c' ? this.#data[i] : load(this.#code, this.#data, i);
  }

  #values(from: number, to: number): unknown[] {
    const out: unknown[] = [];
    for (let i = from; i < to; i++) out.push(this.#load(i));
    return out;
  }

  op(call: Call, op: string, args: readonly unknown[]): void {
    const length = this.#data.length;
    switch (op) {
      case 'get': {
        const at = position(args[0], length);
        if (at === undefined) return call.fail('RangeError', 'invalid index');
        return call.ok(null, encode(this.#load(at)));
      }
      case 'set': {
        const at = position(args[0], length);
        if (at === undefined) return call.fail('RangeError', 'invalid index');
        store(this.#code, this.#data, at, decode(call));
        return call.ok();
      }
      case 'slice': {
        const [a, b] = bounds(args[0], args[1], length);
        return call.ok(null, encode(this.#values(a, b)));
      }
      case 'setSlice': {
        const [a, b] = bounds(args[0], args[1], length);
        const values = decode(call);
        if (!Array.isArray(values) || values.length !== b - a) return call.fail('ValueError', 'Can only assign sequence of same size');
        values.forEach((v, i) => store(this.#code, this.#data, a + i, v));
        return call.ok();
      }
      default: return call.fail('RuntimeError', `Array has no operation ${op}`);
    }
  }
}

class ValueState implements SharedState {
  readonly #code: TypeCode;
  readonly #data: ReturnType<typeof storage>;

  constructor(code: TypeCode, init: unknown) {
    this.#code = code;
    this.#data = storage(code, 1);
    if (init !== undefined && init !== null) store(code, this.#data, 0, init);
  }

  op(call: Call, op: string): void {
    switch (op) {
      case 'get': return call.ok(null, encode(load(this.#code, this.#data, 0)));
      case 'set':
        store(this.#code, this.#data, 0, decode(call));
        return call.ok();
      default: return call.fail('RuntimeError', `Value has no operation ${op}`);
    }
  }
}

type Key = string | number | boolean | null;

class DictState implements SharedState {
  readonly #map: Map<Key, unknown>;

  constructor(init: unknown) {
    this.#map = new Map(Array.isArray(init) ? (init as Array<[Key, unknown]>) : []);
  }

  op(call: Call, op: string, args: readonly unknown[]): void {
    const map = this.#map;
    const key = args[0] as Key;
    switch (op) {
      case 'get': return map.has(key) ? call.ok(true, encode(map.get(key))) : call.ok(false);
      case 'set':
        map.set(key, decode(call));
        return call.ok();
      case 'delete': return call.ok(map.delete(key));
      case 'has': return call.ok(map.has(key));
      case 'size': return call.ok(map.size);
      case 'keys': return call.ok(null, encode([...map.keys()]));
      case 'values': return call.ok(null, encode([...map.values()]));
      case 'entries': return call.ok(null, encode([...map.entries()]));
      case 'pop': {
        if (!map.has(key)) return call.ok(false);
        const value = map.get(key);
        map.delete(key);
        return call.ok(true, encode(value));
      }
      case 'popitem': {
        const last = [...map.entries()].pop();
        if (last === undefined) return call.fail('RangeError', "'popitem(): dictionary is empty'");
        map.delete(last[0]);
        return call.ok(null, encode(last));
      }
      case 'setdefault':
        if (!map.has(key)) map.set(key, decode(call));
        return call.ok(null, encode(map.get(key)));
      case 'update':
        for (const [k, v] of decode(call) as Array<[Key, unknown]>) map.set(k, v);
        return call.ok();
      case 'clear':
        map.clear();
        return call.ok();
      default: return call.fail('RuntimeError', `dict has no operation ${op}`);
    }
  }
}

class ListState implements SharedState {
  #items: unknown[];

  constructor(init: unknown) {
    this.#items = Array.isArray(init) ? [...init] : [];
  }

  #find(value: unknown, from = 0, to = this.#items.length): number {
    for (let i = from; i < to; i++) if (isDeepStrictEqual(this.#items[i], value)) return i;
    return -1;
  }

  op(call: Call, op: string, args: readonly unknown[]): void {
    const items = this.#items;
    switch (op) {
      case 'get': {
        const at = position(args[0], items.length);
        if (at === undefined) return call.fail('RangeError', 'list index out of range');
        return call.ok(null, encode(items[at]));
      }
      case 'set': {
        const at = position(args[0], items.length);
        if (at === undefined) return call.fail('RangeError', 'list assignment index out of range');
        items[at] = decode(call);
        return call.ok();
      }
      case 'append':
        items.push(decode(call));
        return call.ok();
      case 'extend':
        items.push(...(decode(call) as unknown[]));
        return call.ok();
      case 'insert': {
        const [at] = bounds(args[0], undefined, items.length);
        items.splice(at, 0, decode(call));
        return call.ok();
      }
      case 'pop': {
        if (items.length === 0) return call.fail('RangeError', 'pop from empty list');
        const at = position(args[0] ?? -1, items.length);
        if (at === undefined) return call.fail('RangeError', 'pop index out of range');
        return call.ok(null, encode(items.splice(at, 1)[0]));
      }
      case 'remove': {
        const at = this.#find(decode(call));
        if (at < 0) return call.fail('ValueError', 'list.remove(x): x not in list');
        items.splice(at, 1);
        return call.ok();
      }
      case 'index': {
        const value = decode(call);
        const [a, b] = bounds(args[0], args[1], items.length);
        const at = this.#find(value, a, b);
        if (at < 0) return call.fail('ValueError', `${String(value)} is not in list`);
        return call.ok(at);
      }
      case 'count': {
        const value = decode(call);
        return call.ok(items.filter((item) => isDeepStrictEqual(item, value)).length);
      }
      case 'includes': return call.ok(this.#find(decode(call)) >= 0);
      case 'size': return call.ok(items.length);
      case 'slice': {
        const [a, b] = bounds(args[0], args[1], items.length);
        return call.ok(null, encode(items.slice(a, b)));
      }
      case 'setSlice': {
        const [a, b] = bounds(args[0], args[1], items.length);
        items.splice(a, b - a, ...(decode(call) as unknown[]));
        return call.ok();
      }
      case 'clear':
        this.#items = [];
        return call.ok();
      case 'reverse':
        items.reverse();
        return call.ok();
      case 'sort': {
        const compare = (x: unknown, y: unknown): number => ((x as number) < (y as number) ? -1 : (x as number) > (y as number) ? 1 : 0);
        items.sort(args[0] === true ? (x, y) => compare(y, x) : compare);
        return call.ok();
      }
      default: return call.fail('RuntimeError', `list has no operation ${op}`);
    }
  }
}

class NamespaceState implements SharedState {
  readonly #attrs = new Map<string, unknown>();

  constructor(init: unknown) {
    if (Array.isArray(init)) for (const [k, v] of init as Array<[string, unknown]>) this.#attrs.set(k, v);
  }

  op(call: Call, op: string, args: readonly unknown[]): void {
    const name = String(args[0]);
    switch (op) {
      case 'get': return this.#attrs.has(name) ? call.ok(true, encode(this.#attrs.get(name))) : call.ok(false);
      case 'set':
        this.#attrs.set(name, decode(call));
        return call.ok();
      case 'delete':
        if (!this.#attrs.delete(name)) return call.fail('TypeError', `'Namespace' object has no attribute '${name}'`);
        return call.ok();
      case 'entries': return call.ok(null, encode([...this.#attrs.entries()]));
      default: return call.fail('RuntimeError', `Namespace has no operation ${op}`);
    }
  }
}

/** `mp.Value`: `{ typecode, init }`. */
export const valueState: StateFactory = (params) => new ValueState(checkTypeCode(params.typecode), params.init);
/** `mp.Array`: `{ typecode, init }` (a list of values, a string for `'c'`/`'u'`, or a length). */
export const arrayState: StateFactory = (params) => new ArrayState(checkTypeCode(params.typecode), params.init);
/** `mp.dict`: `{ init }` as a list of entries. */
export const dictState: StateFactory = (params) => new DictState(params.init);
/** `mp.list`: `{ init }`. */
export const listState: StateFactory = (params) => new ListState(params.init);
/** `mp.Namespace`: `{ init }` as a list of entries. */
export const namespaceState: StateFactory = (params) => new NamespaceState(params.init);
