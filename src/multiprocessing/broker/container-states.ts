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
import type { ArrayOps, DictOps, Handlers, ListOps, NamespaceOps, ValueOps, WireKey } from './ops.js';
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

  readonly kind = 'Array';

  readonly ops: Handlers<ArrayOps> = {
    get: (call, [index]) => {
      const at = position(index, this.#data.length);
      if (at === undefined) return call.fail('RangeError', 'invalid index');
      return call.ok(null, encode(this.#load(at)));
    },
    set: (call, [index]) => {
      const at = position(index, this.#data.length);
      if (at === undefined) return call.fail('RangeError', 'invalid index');
      store(this.#code, this.#data, at, decode(call));
      return call.ok();
    },
    slice: (call, [start, end]) => {
      const [a, b] = bounds(start, end, this.#data.length);
      return call.ok(null, encode(this.#values(a, b)));
    },
    setSlice: (call, [start, end]) => {
      const [a, b] = bounds(start, end, this.#data.length);
      const values = decode(call);
      if (!Array.isArray(values) || values.length !== b - a) return call.fail('ValueError', 'Can only assign sequence of same size');
      values.forEach((v, i) => store(this.#code, this.#data, a + i, v));
      return call.ok();
    },
  };
}

class ValueState implements SharedState {
  readonly #code: TypeCode;
  readonly #data: ReturnType<typeof storage>;

  constructor(code: TypeCode, init: unknown) {
    this.#code = code;
    this.#data = storage(code, 1);
    if (init !== undefined && init !== null) store(code, this.#data, 0, init);
  }

  readonly kind = 'Value';

  readonly ops: Handlers<ValueOps> = {
    get: (call) => call.ok(null, encode(load(this.#code, this.#data, 0))),
    set: (call) => {
      store(this.#code, this.#data, 0, decode(call));
      call.ok();
    },
  };
}

/**
 * `get` and `set` of a keyed container (a dict, a Namespace): `get` replies whether the key is
 * there, with its value as the payload; `set` takes the value from the payload.
 */
function keyedAccess<K>(map: Map<K, unknown>): { get: (call: Call<boolean>, args: [key: K]) => void; set: (call: Call<null>, args: [key: K]) => void } {
  return {
    get: (call, [key]) => (map.has(key) ? call.ok(true, encode(map.get(key))) : call.ok(false)),
    set: (call, [key]) => {
      map.set(key, decode(call));
      call.ok();
    },
  };
}

class DictState implements SharedState {
  readonly #map = new Map<WireKey, unknown>();

  constructor(init: unknown) {
    if (Array.isArray(init)) for (const [k, v] of init as Array<[WireKey, unknown]>) this.#map.set(k, v);
  }

  readonly kind = 'dict';

  readonly ops: Handlers<DictOps> = {
    ...keyedAccess(this.#map),
    delete: (call, [key]) => call.ok(this.#map.delete(key)),
    has: (call, [key]) => call.ok(this.#map.has(key)),
    size: (call) => call.ok(this.#map.size),
    keys: (call) => call.ok(null, encode([...this.#map.keys()])),
    values: (call) => call.ok(null, encode([...this.#map.values()])),
    entries: (call) => call.ok(null, encode([...this.#map.entries()])),
    pop: (call, [key]) => {
      if (!this.#map.has(key)) return call.ok(false);
      const value = this.#map.get(key);
      this.#map.delete(key);
      return call.ok(true, encode(value));
    },
    popitem: (call) => {
      const last = [...this.#map.entries()].pop();
      if (last === undefined) return call.fail('RangeError', "'popitem(): dictionary is empty'");
      this.#map.delete(last[0]);
      return call.ok(null, encode(last));
    },
    setdefault: (call, [key]) => {
      if (!this.#map.has(key)) this.#map.set(key, decode(call));
      call.ok(null, encode(this.#map.get(key)));
    },
    update: (call) => {
      for (const [k, v] of decode(call) as Array<[WireKey, unknown]>) this.#map.set(k, v);
      call.ok();
    },
    clear: (call) => {
      this.#map.clear();
      call.ok();
    },
  };
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

  readonly kind = 'list';

  readonly ops: Handlers<ListOps> = {
    get: (call, [index]) => {
      const at = position(index, this.#items.length);
      if (at === undefined) return call.fail('RangeError', 'list index out of range');
      return call.ok(null, encode(this.#items[at]));
    },
    set: (call, [index]) => {
      const at = position(index, this.#items.length);
      if (at === undefined) return call.fail('RangeError', 'list assignment index out of range');
      this.#items[at] = decode(call);
      return call.ok();
    },
    append: (call) => {
      this.#items.push(decode(call));
      call.ok();
    },
    extend: (call) => {
      this.#items.push(...(decode(call) as unknown[]));
      call.ok();
    },
    insert: (call, [index]) => {
      const [at] = bounds(index, undefined, this.#items.length);
      this.#items.splice(at, 0, decode(call));
      call.ok();
    },
    pop: (call, [index]) => {
      const items = this.#items;
      if (items.length === 0) return call.fail('RangeError', 'pop from empty list');
      const at = position(index ?? -1, items.length);
      if (at === undefined) return call.fail('RangeError', 'pop index out of range');
      return call.ok(null, encode(items.splice(at, 1)[0]));
    },
    remove: (call) => {
      const at = this.#find(decode(call));
      if (at < 0) return call.fail('ValueError', 'list.remove(x): x not in list');
      this.#items.splice(at, 1);
      return call.ok();
    },
    index: (call, [start, end]) => {
      const value = decode(call);
      const [a, b] = bounds(start, end, this.#items.length);
      const at = this.#find(value, a, b);
      if (at < 0) return call.fail('ValueError', `${String(value)} is not in list`);
      return call.ok(at);
    },
    count: (call) => {
      const value = decode(call);
      call.ok(this.#items.filter((item) => isDeepStrictEqual(item, value)).length);
    },
    includes: (call) => call.ok(this.#find(decode(call)) >= 0),
    size: (call) => call.ok(this.#items.length),
    slice: (call, [start, end]) => {
      const [a, b] = bounds(start, end, this.#items.length);
      call.ok(null, encode(this.#items.slice(a, b)));
    },
    setSlice: (call, [start, end]) => {
      const [a, b] = bounds(start, end, this.#items.length);
      this.#items.splice(a, b - a, ...(decode(call) as unknown[]));
      call.ok();
    },
    clear: (call) => {
      this.#items = [];
      call.ok();
    },
    reverse: (call) => {
      this.#items.reverse();
      call.ok();
    },
    sort: (call, [reverse]) => {
      const compare = (x: unknown, y: unknown): number => ((x as number) < (y as number) ? -1 : (x as number) > (y as number) ? 1 : 0);
      this.#items.sort(reverse ? (x, y) => compare(y, x) : compare);
      call.ok();
    },
  };
}

class NamespaceState implements SharedState {
  readonly #attrs = new Map<string, unknown>();

  constructor(init: unknown) {
    if (Array.isArray(init)) for (const [k, v] of init as Array<[string, unknown]>) this.#attrs.set(k, v);
  }

  readonly kind = 'Namespace';

  readonly ops: Handlers<NamespaceOps> = {
    ...keyedAccess(this.#attrs),
    delete: (call, [name]) => {
      if (!this.#attrs.delete(name)) return call.fail('TypeError', `'Namespace' object has no attribute '${name}'`);
      return call.ok();
    },
    entries: (call) => call.ok(null, encode([...this.#attrs.entries()])),
  };
}

/** `mp.Value`: `{ typecode, init }`. */
export const valueState: StateFactory<ValueOps> = (params) => new ValueState(checkTypeCode(params.typecode), params.init);
/** `mp.Array`: `{ typecode, init }` (a list of values, a string for `'c'`/`'u'`, or a length). */
export const arrayState: StateFactory<ArrayOps> = (params) => new ArrayState(checkTypeCode(params.typecode), params.init);
/** `mp.dict`: `{ init }` as a list of entries. */
export const dictState: StateFactory<DictOps> = (params) => new DictState(params.init);
/** `mp.list`: `{ init }`. */
export const listState: StateFactory<ListOps> = (params) => new ListState(params.init);
/** `mp.Namespace`: `{ init }` as a list of entries. */
export const namespaceState: StateFactory<NamespaceOps> = (params) => new NamespaceState(params.init);
