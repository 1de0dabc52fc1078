/**
 * `Value` and `Array` across processes: Python's synchronized shared ctypes objects. Node
 * processes share no memory, so the value lives in the broker and every read or write is one
 * request (atomic on its own). A read-modify-write such as `v.value += 1` is not atomic, exactly
 * as in Python: do it under the object's lock (`withLock`, `getLock()`).
 *
 * Both forms exist: Promises (`await v.get()`, `await a.get(i)`) and blocking ones (`v.value`,
 * `a.getSync(i)`), the latter through the sync helper of `sync-helper.ts`.
 *
 * @module
 */
import { deserialize, serialize } from 'node:v8';
import { Guarded, lend, type Acquire, type Holds } from '../sync/acquirable.js';
import { unwrap, type Reply } from './link.js';
import { Lock, RLock } from './lock.js';
import { fromWire, rebuilding, registerHandle, reviveHandles, SharedObject, type HandleWire } from './shared-object.js';
import type { ArrayOps, KindOf, ValueOps } from './broker/ops.js';
import { checkTypeCode, storage, store, type TypeCode, type ValueOf } from './typecodes.js';

/** The `lock` option: `true`/omitted for a new RLock, `false` for none, or the Lock/RLock to use. */
export type LockOption = boolean | Lock | RLock;

/** Options of {@link Value} and {@link SharedArray}. */
export interface SharedOptions {
  /** `true` (default): a new RLock; `false`: no lock (a raw object); or a Lock/RLock to use. */
  lock?: LockOption | undefined;
}

/** The JavaScript type of an Array element: as {@link ValueOf}, but `'c'` elements are byte numbers. */
export type ElementOf<C extends TypeCode> = C extends 'c' ? number : ValueOf<C>;

function makeLock(option: unknown): Lock | RLock | null {
  if (option === undefined || option === true) return new RLock();
  if (option === false) return null;
  if (option instanceof Lock || option instanceof RLock) return option;
  throw new TypeError(`lock must be true, false, or a multiprocessing Lock or RLock, got ${typeof option}`);
}

/** Checks a value against its type code before it is sent (so a bad one throws here). */
function check(code: TypeCode, value: unknown): void {
  store(code, storage(code, 1), 0, value);
}

/** What Value and Array share: the optional lock, through which they are acquired. */
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging -- its acquire forms and holds are lent after it
export abstract class Synchronized<M extends ValueOps | ArrayOps> extends SharedObject<M> {
  /** The lock (part of the wire state), or `null` for `lock: false`. */
  readonly lock: Lock | RLock | null;

  protected constructor(tag: KindOf<M>, params: Record<string, unknown>, lockOption: unknown) {
    const wire = rebuilding();
    const lock = wire === undefined ? makeLock(lockOption) : reviveHandles(wire.lock ?? null) as Lock | RLock | null;
    super(tag, params);
    this.lock = lock;
  }

  /**
   * The lock that guards compound updates.
   *
   * @throws {TypeError} for an object created with `lock: false` (Python's raw objects have no `get_lock`).
   * @returns the Lock or RLock.
   */
  getLock(): Lock | RLock {
    if (this.lock === null) throw new TypeError(`this ${this.constructor.name} was created with lock: false and has no lock`);
    return this.lock;
  }

  /**
   * The object itself: its single reads and writes are already atomic (Python's `get_obj()`).
   *
   * @returns this object.
   */
  getObj(): this {
    return this;
  }

  /** @internal Every acquire form, and the holds, are the lock's. */
  _guard(): Lock | RLock {
    return this.getLock();
  }

  /** Decodes a reply whose payload is a serialized value. @internal */
  protected decode(reply: Reply): unknown {
    unwrap(reply);
    return deserialize(reply.payload);
  }
}

// Acquired through its lock: each form is the lock's (the same code as the threading Value's).
// eslint-disable-next-line @typescript-eslint/no-unused-vars -- declares what lend() gives the class (M: the class's own parameter)
export interface Synchronized<M extends ValueOps | ArrayOps> extends Acquire, Holds {}
lend(Synchronized, Guarded);

/**
 * One value of a C type shared by processes, like Python's `multiprocessing.Value`.
 *
 * @typeParam C - the type code (`'i'`, `'d'`, `'c'`…).
 * @example
 * ```ts
 * const counter = new Value('i', 0);
 * await counter.withLock(async () => counter.set(await counter.get() + 1));
 * ```
 */
export class Value<C extends TypeCode = TypeCode> extends Synchronized<ValueOps> {
  /**
   * @param typecode - Python's ctypes type code.
   * @param value - the initial value (default zero).
   * @throws {ValueError} for an unknown type code.
   * @throws {TypeError} for a value of the wrong type, or a bad `lock` option.
   * @param options - `{ lock }`: `true` (default, a new RLock), `false`, or a Lock/RLock.
   */
  constructor(typecode: C = 'i' as C, value?: ValueOf<C>, options: SharedOptions = {}) {
    const code = checkTypeCode(typecode);
    if (value !== undefined) check(code, value);
    super('mp.Value', { typecode: code, init: value ?? null }, options.lock);
  }

  /** The type code. */
  get typecode(): C {
    return this.params.typecode as C;
  }

  /** The current value (a blocking read; `await get()` is the Promise form). */
  get value(): ValueOf<C> {
    return this.getSync();
  }

  /** Sets the value (sent at once; later reads from this thread see it). */
  set value(value: ValueOf<C>) {
    check(this.typecode, value);
    this.ops.send('set', [], serialize(value));
  }

  /**
   * Reads the value.
   *
   * @returns the value.
   */
  async get(): Promise<ValueOf<C>> {
    return this.decode(await this.ops.call('get', [])) as ValueOf<C>;
  }

  /**
   * Writes the value.
   *
   * @throws {TypeError} for a value of the wrong type.
   * @param value - the new value.
   */
  async set(value: ValueOf<C>): Promise<void> {
    check(this.typecode, value);
    unwrap(await this.ops.call('set', [], serialize(value)));
  }

  /**
   * Reads the value, blocking.
   *
   * @returns the value.
   */
  getSync(): ValueOf<C> {
    return this.decode(this.ops.callSync('get', [])) as ValueOf<C>;
  }

  /**
   * Writes the value, blocking until the broker has it.
   *
   * @param value - the new value.
   */
  setSync(value: ValueOf<C>): void {
    check(this.typecode, value);
    unwrap(this.ops.callSync('set', [], serialize(value)));
  }

  /** @returns a short description of the object and its state, Python's repr where there is one. */
  override toString(): string {
    return `<Synchronized wrapper for ${this.typecode}(${String(this.getSync())})>`;
  }
}

/**
 * A fixed-length array of a C type shared by processes, like Python's `multiprocessing.Array`.
 * Exported as `Array`.
 *
 * @typeParam C - the type code.
 * @example
 * ```ts
 * const arr = new Array('i', [1, 2, 3]);
 * await arr.set(0, 10);
 * console.log(await arr.toArray()); // [10, 2, 3]
 * ```
 */
export class SharedArray<C extends TypeCode = TypeCode> extends Synchronized<ArrayOps> {
  /**
   * @param typecode - Python's ctypes type code.
   * @param init - the length (zero-filled), the initial values, or a string for `'c'`/`'u'`.
   * @throws {ValueError} for an unknown type code.
   * @throws {TypeError} for values of the wrong type, or a bad `lock` option.
   * @param options - `{ lock }`, as for {@link Value}.
   */
  constructor(typecode: C = 'i' as C, init: number | Iterable<ElementOf<C>> | string = 0, options: SharedOptions = {}) {
    const code = checkTypeCode(typecode);
    let values: unknown[] | undefined;
    if (typeof init === 'number') {
      if (!Number.isInteger(init) || init < 0) throw new TypeError(`an Array length must be a non-negative integer, got ${init}`);
    } else {
      values = typeof init === 'string' ? [...init] : [...init];
      for (const v of values) check(code, v);
    }
    super('mp.Array', { typecode: code, init: values ?? init, length: values?.length ?? init }, options.lock);
  }

  /** The type code. */
  get typecode(): C {
    return this.params.typecode as C;
  }

  /** The number of elements (fixed). */
  get length(): number {
    return Number(this.params.length);
  }

  /**
   * Reads element `index` (negative counts from the end).
   *
   * @throws {RangeError} `invalid index`.
   * @param index - the position.
   * @returns the element.
   */
  async get(index: number): Promise<ElementOf<C>> {
    return this.decode(await this.ops.call('get', [index])) as ElementOf<C>;
  }

  /**
   * Writes element `index`.
   *
   * @throws {RangeError} `invalid index`; `TypeError` for a value of the wrong type.
   * @param index - the position.
   * @param value - the new element.
   */
  async set(index: number, value: ElementOf<C>): Promise<void> {
    check(this.typecode, value);
    unwrap(await this.ops.call('set', [index], serialize(value)));
  }

  /**
   * Reads elements `start` (default 0) to `end` (default the length), with Python's slice rules.
   *
   * @param start - first position (default 0).
   * @param end - position after the last (default the length).
   * @returns the elements.
   */
  async slice(start?: number, end?: number): Promise<Array<ElementOf<C>>> {
    return this.decode(await this.ops.call('slice', [start ?? null, end ?? null])) as Array<ElementOf<C>>;
  }

  /**
   * Writes `values` over elements `start`… (Python's `a[start:start+len(values)] = values`).
   *
   * @throws {ValueError} `Can only assign sequence of same size` when they do not fit.
   * @param start - first position.
   * @param values - the new elements.
   */
  async setSlice(start: number, values: ReadonlyArray<ElementOf<C>>): Promise<void> {
    for (const v of values) check(this.typecode, v);
    unwrap(await this.ops.call('setSlice', [start, start + values.length], serialize([...values])));
  }

  /**
   * Every element, as a plain array (Python's `a[:]`).
   *
   * @returns every element.
   */
  toArray(): Promise<Array<ElementOf<C>>> {
    return this.slice();
  }

  /**
   * Blocking form of `get()`.
   * @param index - the position.
   * @returns the element.
   */
  getSync(index: number): ElementOf<C> {
    return this.decode(this.ops.callSync('get', [index])) as ElementOf<C>;
  }

  /**
   * Blocking form of `set()`.
   * @param index - the position.
   * @param value - the new element.
   */
  setSync(index: number, value: ElementOf<C>): void {
    check(this.typecode, value);
    unwrap(this.ops.callSync('set', [index], serialize(value)));
  }

  /**
   * Blocking form of `slice()`.
   * @param start - first position (default 0).
   * @param end - position after the last (default the length).
   * @returns the elements.
   */
  sliceSync(start?: number, end?: number): Array<ElementOf<C>> {
    return this.decode(this.ops.callSync('slice', [start ?? null, end ?? null])) as Array<ElementOf<C>>;
  }

  /**
   * Blocking form of `setSlice()`.
   * @param start - first position.
   * @param values - the new elements.
   */
  setSliceSync(start: number, values: ReadonlyArray<ElementOf<C>>): void {
    for (const v of values) check(this.typecode, v);
    unwrap(this.ops.callSync('setSlice', [start, start + values.length], serialize([...values])));
  }

  /**
   * Blocking form of `toArray()`.
   * @returns every element.
   */
  toArraySync(): Array<ElementOf<C>> {
    return this.sliceSync();
  }

  /** `for await (const x of arr)` reads every element, one request in all. */
  async *[Symbol.asyncIterator](): AsyncIterator<ElementOf<C>> {
    yield* await this.toArray();
  }

  /** @returns a short description of the object and its state, Python's repr where there is one. */
  override toString(): string {
    return `<SynchronizedArray wrapper for ${this.typecode}[${this.length}]>`;
  }
}

registerHandle('mp.Value', (wire: HandleWire) => fromWire(wire, () => new Value()));
registerHandle('mp.Array', (wire: HandleWire) => fromWire(wire, () => new SharedArray()));
