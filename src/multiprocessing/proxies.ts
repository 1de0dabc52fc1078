/**
 * The proxies of managed containers: `DictProxy`, `ListProxy` and `NamespaceProxy`. Every method
 * is one request to the broker and returns a Promise; values are copied in and out with
 * `v8.serialize`, and handles inside them (a queue stored in a dict) arrive working.
 *
 * @module
 */
import { deserialize } from 'node:v8';
import { unwrap, type Reply } from './link.js';
import { fromWire, pack, registerHandle, reviveHandles, SharedObject, type HandleWire } from './shared-object.js';
import type { ArgsOf, DictOps, ListOps, NamespaceOps, OpName, ReplyOf } from './broker/ops.js';

/** A key of a managed dict: compared by value, as Python compares hashable keys. */
export type DictKey = string | number | boolean | null;

/** A key as Python's `repr` shows it in a `KeyError`: `'a'`, `3`, `True`, `None`. */
function pythonRepr(key: DictKey): string {
  if (typeof key === 'string') return `'${key.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  if (key === null) return 'None';
  if (typeof key === 'boolean') return key ? 'True' : 'False';
  return String(key);
}

function checkKey(key: unknown): DictKey {
  if (key === null || typeof key === 'string' || typeof key === 'boolean' || (typeof key === 'number' && Number.isFinite(key))) return key;
  throw new TypeError(`unhashable type: a managed dict key must be a string, a finite number, a boolean or null, got ${typeof key}`);
}

/** Base of the container proxies: encoding and decoding of values. */
abstract class ContainerProxy<M extends DictOps | ListOps | NamespaceOps> extends SharedObject<M> {
  protected async request<O extends OpName<M>>(op: O, args: ArgsOf<M, O>, value?: unknown, hasValue = false): Promise<Reply<ReplyOf<M, O>>> {
    const payload = hasValue ? pack(value, 'value').payload : undefined;
    const reply = await this.ops.call(op, args, payload);
    unwrap(reply);
    return reply;
  }

  /** The value a reply carries, with any handles inside it rebuilt. */
  protected value<T>(reply: Reply): T {
    return reviveHandles(deserialize(reply.payload)) as T;
  }
}

/**
 * A dict shared by processes through a manager (Python's `DictProxy`); every method is a request
 * to the broker and returns a Promise.
 *
 * @typeParam V - the type of the values.
 */
export class DictProxy<V = unknown> extends ContainerProxy<DictOps> {
  /** @internal Use `manager.dict()`. */
  constructor(init?: Iterable<readonly [DictKey, V]> | Record<string, V>) {
    const entries = init === undefined ? [] : Symbol.iterator in Object(init) ? [...init as Iterable<readonly [DictKey, V]>]
      : Object.entries(init as Record<string, V>);
    for (const [k] of entries) checkKey(k);
    pack(entries, 'init');
    super('mp.dict', { init: entries });
  }

  /**
   * The value of `key`, or `fallback` (default `undefined`) when it is missing.
   *
   * @param key - the key.
   * @param fallback - what to return when it is missing.
   * @returns the value, or `fallback`.
   */
  async get(key: DictKey, fallback?: V): Promise<V | undefined> {
    const reply = await this.request('get', [checkKey(key)]);
    return reply.value === true ? this.value<V>(reply) : fallback;
  }

  /**
   * Sets `key` to a copy of `value`.
   *
   * @param key - the key.
   * @param value - the value; it is copied.
   */
  async set(key: DictKey, value: V): Promise<void> {
    await this.request('set', [checkKey(key)], value, true);
  }

  /**
   * Whether `key` is present (Python's `key in d`).
   *
   * @param key - the key.
   * @returns `true` if present.
   */
  async has(key: DictKey): Promise<boolean> {
    return (await this.request('has', [checkKey(key)])).value === true;
  }

  /**
   * Removes `key`; `true` if it was present (Python's `del d[key]`).
   *
   * @param key - the key.
   * @returns `true` if it was present.
   */
  async delete(key: DictKey): Promise<boolean> {
    return (await this.request('delete', [checkKey(key)])).value === true;
  }

  /**
   * How many keys (Python's `len(d)`).
   *
   * @returns the number of keys.
   */
  async size(): Promise<number> {
    return (await this.request('size', [])).value as number;
  }

  /**
   * The keys, in insertion order.
   *
   * @returns the keys.
   */
  async keys(): Promise<DictKey[]> {
    return this.value(await this.request('keys', []));
  }

  /**
   * The values, in insertion order.
   *
   * @returns the values.
   */
  async values(): Promise<V[]> {
    return this.value(await this.request('values', []));
  }

  /**
   * The `[key, value]` pairs (Python's `items()`).
   *
   * @returns the pairs.
   */
  async items(): Promise<Array<[DictKey, V]>> {
    return this.value(await this.request('entries', []));
  }

  /**
   * Removes `key` and returns its value. A missing key is an error, as in Python, unless a
   * fallback is given (even `undefined`): then that is returned.
   *
   * @param key - the key.
   * @param fallback - what to return when it is missing.
   * @returns the removed value, or `fallback`.
   * @throws {RangeError} `'key'` (Python's `KeyError`) when the key is missing and no fallback was given.
   */
  pop(key: DictKey): Promise<V>;
  pop<D>(key: DictKey, fallback: D): Promise<V | D>;
  async pop(key: DictKey, ...fallback: [] | [unknown]): Promise<unknown> {
    const reply = await this.request('pop', [checkKey(key)]);
    if (reply.value === true) return this.value<V>(reply);
    if (fallback.length > 0) return fallback[0];
    throw new RangeError(`${pythonRepr(key)} (Python's KeyError: pop() of a missing key; pop(key, fallback) returns the fallback instead)`);
  }

  /**
   * Removes and returns the last inserted pair.
   *
   * @throws {RangeError} when the dict is empty (Python's KeyError).
   * @returns the removed pair.
   */
  async popitem(): Promise<[DictKey, V]> {
    return this.value(await this.request('popitem', []));
  }

  /**
   * The value of `key`, after setting it to `fallback` if it was missing.
   *
   * @param key - the key.
   * @param fallback - the value to set when missing.
   * @returns the value of `key`.
   */
  async setdefault(key: DictKey, fallback: V): Promise<V> {
    return this.value(await this.request('setdefault', [checkKey(key)], fallback, true));
  }

  /**
   * Sets several keys at once.
   *
   * @param entries - pairs, or an object.
   */
  async update(entries: Iterable<readonly [DictKey, V]> | Record<string, V>): Promise<void> {
    const list = Symbol.iterator in Object(entries) ? [...entries as Iterable<readonly [DictKey, V]>] : Object.entries(entries as Record<string, V>);
    for (const [k] of list) checkKey(k);
    await this.request('update', [], list, true);
  }

  /** Removes every key. */
  async clear(): Promise<void> {
    await this.request('clear', []);
  }

  /**
   * A local copy, as a Map (Python's `d.copy()` / `dict(d)`).
   *
   * @returns a Map with every pair.
   */
  async copy(): Promise<Map<DictKey, V>> {
    return new Map(await this.items());
  }

  /** `for await (const key of d)`: the keys at the time of the call. */
  async *[Symbol.asyncIterator](): AsyncIterator<DictKey> {
    yield* await this.keys();
  }

  /** @returns a short description of the object and its state, Python's repr where there is one. */
  override toString(): string {
    return `<DictProxy ${this.id}>`;
  }
}

/**
 * A list shared by processes through a manager (Python's `ListProxy`); every method is a request
 * to the broker and returns a Promise. Indexes follow Python (negative counts from the end).
 *
 * @typeParam T - the type of the items.
 */
export class ListProxy<T = unknown> extends ContainerProxy<ListOps> {
  /** @internal Use `manager.list()`. */
  constructor(init?: Iterable<T>) {
    const items = init === undefined ? [] : [...init];
    pack(items, 'init');
    super('mp.list', { init: items });
  }

  /**
   * Item `index`.
   *
   * @throws {RangeError} `list index out of range` (Python's IndexError).
   * @param index - the position.
   * @returns the item.
   */
  async get(index: number): Promise<T> {
    return this.value(await this.request('get', [index]));
  }

  /**
   * Sets item `index`. @throws {RangeError} `list assignment index out of range`.
   * @param index - the position.
   * @param value - the item; it is copied.
   */
  async set(index: number, value: T): Promise<void> {
    await this.request('set', [index], value, true);
  }

  /**
   * Adds `value` at the end.
   *
   * @param value - the item.
   */
  async append(value: T): Promise<void> {
    await this.request('append', [], value, true);
  }

  /**
   * Adds every value at the end.
   *
   * @param values - the items.
   */
  async extend(values: Iterable<T>): Promise<void> {
    await this.request('extend', [], [...values], true);
  }

  /**
   * Inserts `value` before `index`.
   *
   * @param index - the position to insert before.
   * @param value - the item.
   */
  async insert(index: number, value: T): Promise<void> {
    await this.request('insert', [index], value, true);
  }

  /**
   * Removes and returns item `index` (default the last). @throws {RangeError} `pop from empty list`.
   * @param index - the position (default the last).
   * @returns the removed item.
   */
  async pop(index?: number): Promise<T> {
    return this.value(await this.request('pop', [index ?? null]));
  }

  /**
   * Removes the first item equal to `value`. @throws {ValueError} `list.remove(x): x not in list`.
   * @param value - the item to remove.
   */
  async remove(value: T): Promise<void> {
    await this.request('remove', [], value, true);
  }

  /**
   * The index of the first item equal to `value`. @throws {ValueError} `<value> is not in list`.
   * @param value - the item.
   * @param start - first position to look at.
   * @param end - position after the last to look at.
   * @returns its position.
   */
  async index(value: T, start?: number, end?: number): Promise<number> {
    return (await this.request('index', [start ?? null, end ?? null], value, true)).value as number;
  }

  /**
   * How many items equal `value`.
   *
   * @param value - the item.
   * @returns how many equal it.
   */
  async count(value: T): Promise<number> {
    return (await this.request('count', [], value, true)).value as number;
  }

  /**
   * Whether an item equals `value` (Python's `value in l`).
   *
   * @param value - the item.
   * @returns `true` if one equals it.
   */
  async includes(value: T): Promise<boolean> {
    return (await this.request('includes', [], value, true)).value === true;
  }

  /**
   * How many items (Python's `len(l)`).
   *
   * @returns the number of items.
   */
  async size(): Promise<number> {
    return (await this.request('size', [])).value as number;
  }

  /**
   * Items `start`…`end` (Python's slice rules).
   *
   * @param start - first position (default 0).
   * @param end - position after the last (default the length).
   * @returns the items.
   */
  async slice(start?: number, end?: number): Promise<T[]> {
    return this.value(await this.request('slice', [start ?? null, end ?? null]));
  }

  /**
   * Replaces items `start`…`end` with `values` (Python's `l[start:end] = values`).
   *
   * @param start - first position (default 0).
   * @param end - position after the last (default the length).
   * @param values - the new items.
   */
  async setSlice(start: number | undefined, end: number | undefined, values: Iterable<T>): Promise<void> {
    await this.request('setSlice', [start ?? null, end ?? null], [...values], true);
  }

  /** Removes every item. */
  async clear(): Promise<void> {
    await this.request('clear', []);
  }

  /** Reverses the list in place. */
  async reverse(): Promise<void> {
    await this.request('reverse', []);
  }

  /**
   * Sorts the list in place (numbers and strings by `<`), descending with `reverse`.
   *
   * @param options - `{ reverse }`.
   */
  async sort(options: { reverse?: boolean } = {}): Promise<void> {
    await this.request('sort', [options.reverse === true]);
  }

  /**
   * A local copy (Python's `l[:]` / `list(l)`).
   *
   * @returns every item.
   */
  toArray(): Promise<T[]> {
    return this.slice();
  }

  /** `for await (const item of l)`: the items at the time of the call. */
  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    yield* await this.toArray();
  }

  /** @returns a short description of the object and its state, Python's repr where there is one. */
  override toString(): string {
    return `<ListProxy ${this.id}>`;
  }
}

/** A bag of named values shared by processes through a manager (Python's `Namespace`). */
export class NamespaceProxy extends ContainerProxy<NamespaceOps> {
  /** @internal Use `manager.Namespace()`. */
  constructor(init: Record<string, unknown> = {}) {
    const entries = Object.entries(init);
    pack(entries, 'init');
    super('mp.Namespace', { init: entries });
  }

  /**
   * The value of attribute `name`. @throws {TypeError} `'Namespace' object has no attribute 'name'`.
   * @param name - the attribute.
   * @returns its value.
   */
  async get<T = unknown>(name: string): Promise<T> {
    const reply = await this.request('get', [name]);
    if (reply.value !== true) throw new TypeError(`'Namespace' object has no attribute '${name}'`);
    return this.value<T>(reply);
  }

  /**
   * Sets attribute `name`.
   *
   * @param name - the attribute.
   * @param value - its value; it is copied.
   */
  async set(name: string, value: unknown): Promise<void> {
    await this.request('set', [name], value, true);
  }

  /**
   * Deletes attribute `name`. @throws {TypeError} when it does not exist.
   * @param name - the attribute.
   */
  async delete(name: string): Promise<void> {
    await this.request('delete', [name]);
  }

  /**
   * Every attribute, as a plain object.
   *
   * @returns the attributes.
   */
  async toObject(): Promise<Record<string, unknown>> {
    return Object.fromEntries(this.value<Array<[string, unknown]>>(await this.request('entries', [])));
  }

  /**
   * Python's `str(ns)`: `Namespace(name='Bob')`.
   *
   * @returns the text.
   */
  async repr(): Promise<string> {
    const attrs = await this.toObject();
    const text = Object.entries(attrs).map(([k, v]) => `${k}=${typeof v === 'string' ? `'${v}'` : String(v)}`).join(', ');
    return `Namespace(${text})`;
  }

  /** @returns a short description of the object and its state, Python's repr where there is one. */
  override toString(): string {
    return `<NamespaceProxy ${this.id}>`;
  }
}

registerHandle('mp.dict', (wire: HandleWire) => fromWire(wire, () => new DictProxy()));
registerHandle('mp.list', (wire: HandleWire) => fromWire(wire, () => new ListProxy()));
registerHandle('mp.Namespace', (wire: HandleWire) => fromWire(wire, () => new NamespaceProxy()));
