/**
 * `Value`, `Array`, `RawValue`, `RawArray`: multiprocessing's shared ctypes objects, on a
 * SharedArrayBuffer. Between worker threads they are the same memory, not copies.
 *
 * Typecodes are those of Python's `array` module, with these storage types:
 *
 * | code | C type | storage | JS value |
 * | --- | --- | --- | --- |
 * | `b` `B` | signed/unsigned char | Int8Array / Uint8Array | number |
 * | `h` `H` | short | Int16Array / Uint16Array | number |
 * | `i` `I` | int | Int32Array / Uint32Array | number |
 * | `l` `L` | long (64-bit on Linux and macOS) | BigInt64Array / BigUint64Array | bigint |
 * | `q` `Q` | long long | BigInt64Array / BigUint64Array | bigint |
 * | `f` `d` | float / double | Float32Array / Float64Array | number |
 * | `c` | char | Uint8Array | one-character string for a Value; byte numbers in an Array |
 *
 * Every single read or write of an element is one atomic operation (floats go through an
 * integer view of the same bytes), so a reader never sees a torn value and no lock is taken for
 * it. What needs the lock is a read-modify-write such as `v.value += 1` (not atomic, exactly as
 * in Python): do it inside `v.withLock(...)` / `v.withLockSync(...)` or hold `v.getLock()`.
 * Operations on several elements (`slice`, `setSlice`, `toArray`) take the lock themselves, with
 * its blocking form, as Python's synchronized wrappers do.
 *
 * @module
 */

import { inspect } from 'node:util';
import { Guarded } from '../sync/acquirable.js';
import { toStored } from '../sync/ctype-value.js';
import { registerShareable } from '../sync/shareable.js';
import { Lock } from './lock.js';
import { RLock } from './rlock.js';

/** A typecode of Python's `array` module. */
export type Typecode = 'b' | 'B' | 'h' | 'H' | 'i' | 'I' | 'l' | 'L' | 'q' | 'Q' | 'f' | 'd' | 'c';

/** The JS type of one element for a typecode. */
type ValueType<T extends Typecode> = T extends 'l' | 'L' | 'q' | 'Q' ? bigint : T extends 'c' ? string : number;

/** The TypedArray that stores a typecode's elements. */
type ArrayView<T extends Typecode> = {
  b: Int8Array; B: Uint8Array; h: Int16Array; H: Uint16Array; i: Int32Array; I: Uint32Array;
  l: BigInt64Array; L: BigUint64Array; q: BigInt64Array; Q: BigUint64Array;
  f: Float32Array; d: Float64Array; c: Uint8Array;
}[T];

/** The JS type of one element of an Array: like {@link ValueType}, but `'c'` elements are byte numbers. */
type ElementType<T extends Typecode> = T extends 'c' ? number : ValueType<T>;

/** The `lock` option: `true`/omitted for a new RLock, `false` for none, or the lock to use. */
export type LockOption = boolean | Lock | RLock;

/** Options of {@link Value} and {@link SharedArray}. */
export interface SharedOptions<L extends LockOption = LockOption> {
  /** `true` (default): a new RLock; `false`: no lock (a raw object); or a Lock/RLock to use. */
  lock?: L;
}

type AnyView =
  | Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array
  | BigInt64Array | BigUint64Array | Float32Array | Float64Array;

const VIEWS = {
  b: Int8Array, B: Uint8Array, h: Int16Array, H: Uint16Array, i: Int32Array, I: Uint32Array,
  l: BigInt64Array, L: BigUint64Array, q: BigInt64Array, Q: BigUint64Array,
  f: Float32Array, d: Float64Array, c: Uint8Array,
} as const;

function viewClass(typecode: Typecode): new (buffer: SharedArrayBuffer, offset?: number, length?: number) => AnyView {
  const ctor = (VIEWS as Record<string, unknown>)[typecode];
  if (ctor === undefined) {
    throw new TypeError(
      `bad typecode (must be b, B, h, H, i, I, l, L, q, Q, f, d or c), got ${JSON.stringify(typecode)}`,
    );
  }
  return ctor as new (buffer: SharedArrayBuffer, offset?: number, length?: number) => AnyView;
}

function allocate(typecode: Typecode, length: number): AnyView {
  const View = viewClass(typecode);
  const bytes = (View as unknown as { BYTES_PER_ELEMENT: number }).BYTES_PER_ELEMENT * length;
  // At least 8 bytes, 8-aligned: the integer views that make float access atomic need it.
  return new View(new SharedArrayBuffer(Math.max(8, Math.ceil(bytes / 8) * 8)), 0, length);
}

// Thread-local scratch space to move float bits in and out of integer atomics.
const f32 = new Float32Array(1);
const f32bits = new Int32Array(f32.buffer);
const f64 = new Float64Array(1);
const f64bits = new BigInt64Array(f64.buffer);
const bitViews = new WeakMap<AnyView, Int32Array | BigInt64Array>();

function bitsOf(view: Float32Array | Float64Array): Int32Array | BigInt64Array {
  let bits = bitViews.get(view);
  if (bits === undefined) {
    const buffer = view.buffer as SharedArrayBuffer;
    bits = view instanceof Float32Array
      ? new Int32Array(buffer, view.byteOffset, view.length)
      : new BigInt64Array(buffer, view.byteOffset, view.length);
    bitViews.set(view, bits);
  }
  return bits;
}

function load(view: AnyView, index: number): number | bigint {
  if (view instanceof Float64Array) {
    f64bits[0] = Atomics.load(bitsOf(view) as BigInt64Array, index);
    return f64[0]!;
  }
  if (view instanceof Float32Array) {
    f32bits[0] = Atomics.load(bitsOf(view) as Int32Array, index);
    return f32[0]!;
  }
  return Atomics.load(view as Int32Array, index);
}

function store(view: AnyView, index: number, value: number | bigint): void {
  if (view instanceof Float64Array) {
    f64[0] = Number(value);
    Atomics.store(bitsOf(view) as BigInt64Array, index, f64bits[0]!);
  } else if (view instanceof Float32Array) {
    f32[0] = Number(value);
    Atomics.store(bitsOf(view) as Int32Array, index, f32bits[0]!);
  } else if (view instanceof BigInt64Array || view instanceof BigUint64Array) {
    Atomics.store(view as BigInt64Array, index, typeof value === 'bigint' ? value : BigInt(value));
  } else {
    Atomics.store(view as Int32Array, index, Number(value));
  }
}

function toChar(value: number | bigint): string {
  return String.fromCharCode(Number(value));
}

function checkIndex(index: number, length: number): number {
  if (!Number.isInteger(index)) throw new TypeError(`array index must be an integer, got ${index}`);
  const i = index < 0 ? index + length : index;
  if (i < 0 || i >= length) throw new RangeError('array index out of range');
  return i;
}

/** The value of a single-element view: one atomic read (a `'c'` byte as a one-character string). */
function readScalar<T extends Typecode>(typecode: T, data: AnyView): ValueType<T> {
  const raw = load(data, 0);
  return (typecode === 'c' ? toChar(raw) : raw) as ValueType<T>;
}

function resolveLock(lock: LockOption | undefined): Lock | RLock | undefined {
  if (lock === undefined || lock === true) return new RLock();
  if (lock === false) return undefined;
  if (lock instanceof Lock || lock instanceof RLock) return lock;
  throw new TypeError(`'${String(lock)}' has no method 'acquire'`);
}

/**
 * A single shared value without a lock (`RawValue`, or `Value(…, { lock: false })`).
 * Reads and writes of `.value` are each atomic.
 */
export class RawSharedValue<T extends Typecode = Typecode> {
  /** @internal Wire tag of the shareable contract. */
  readonly __ct: string = 'sync.RawValue';
  /** @internal */
  protected readonly _typecode: T;
  /** @internal */
  protected readonly _data: AnyView;

  /** @internal Use {@link RawValue}. */
  constructor(typecode: T, data: AnyView) {
    this._typecode = typecode;
    this._data = data;
  }

  /** The typecode it was created with. */
  get typecode(): T {
    return this._typecode;
  }

  /** The current value (one atomic read or write). */
  get value(): ValueType<T> {
    return readScalar(this._typecode, this._data);
  }

  /** Writes the value atomically, wrapped or rounded to the C type as Python's ctypes would. */
  set value(value: ValueType<T>) {
    store(this._data, 0, toStored(this._typecode, value));
  }

  /** @returns e.g. `RawValue('i', 3)`. */
  toString(): string {
    return `RawValue('${this._typecode}', ${show(this.value)})`;
  }

  /** @internal */
  [inspect.custom](): string {
    return this.toString();
  }
}

/** What Synchronized objects share: their memory, and the lock through which they are acquired (Python's `with v:`). */
abstract class Synchronized<T extends Typecode> extends Guarded {
  /** @internal */
  protected readonly _typecode: T;
  /** @internal */
  protected readonly _data: AnyView;
  /** @internal */
  protected readonly _lock: Lock | RLock;

  /** @internal */
  constructor(typecode: T, data: AnyView, lock: Lock | RLock) {
    super();
    this._typecode = typecode;
    this._data = data;
    this._lock = lock;
  }

  /** The typecode it was created with. */
  get typecode(): T {
    return this._typecode;
  }

  /**
   * The lock that guards this object (Python's `get_lock()`).
   *
   * @returns an RLock unless another lock was given.
   */
  getLock(): Lock | RLock {
    return this._lock;
  }

  /** @internal */
  _guard(): Lock | RLock {
    return this._lock;
  }
}

/** A shared value with a lock: what {@link Value} returns by default. */
export class SynchronizedValue<T extends Typecode = Typecode> extends Synchronized<T> {
  /** @internal Wire tag of the shareable contract. */
  readonly __ct: string = 'sync.Value';

  /** @internal Use {@link Value}. */
  constructor(typecode: T, data: AnyView, lock: Lock | RLock) {
    super(typecode, data, lock);
  }

  /** The current value. Each read and each write is atomic; `+=` is not (hold the lock). */
  get value(): ValueType<T> {
    return readScalar(this._typecode, this._data);
  }

  /** Writes the value atomically, wrapped or rounded to the C type; `value += 1` is a read and a write (hold the lock). */
  set value(value: ValueType<T>) {
    store(this._data, 0, toStored(this._typecode, value));
  }

  /**
   * The unsynchronized object underneath (Python's `get_obj()`), over the same memory.
   *
   * @returns a RawSharedValue.
   */
  getObj(): RawSharedValue<T> {
    return new RawSharedValue(this._typecode, this._data);
  }

  /** @returns e.g. `Value('i', 3)`. */
  override toString(): string {
    return `Value('${this._typecode}', ${show(this.value)})`;
  }

  /** @internal */
  [inspect.custom](): string {
    return this.toString();
  }
}

/**
 * A shared array with a lock: what {@link SharedArray} returns by default. Elements are reached with
 * `get(i)`/`set(i, v)` (negative indices count from the end), or through the TypedArray of
 * `getObj()`, which supports `arr.getObj()[i]` directly.
 */
export class SynchronizedArray<T extends Typecode = Typecode> extends Synchronized<T> {
  /** @internal Wire tag of the shareable contract. */
  readonly __ct: string = 'sync.Array';

  /** @internal Use {@link SharedArray}. */
  constructor(typecode: T, data: AnyView, lock: Lock | RLock) {
    super(typecode, data, lock);
  }

  /** The number of elements. */
  get length(): number {
    return this._data.length;
  }

  /**
   * Reads one element (atomic).
   *
   * @param index - from 0, or negative from the end.
   * @returns the element.
   * @throws RangeError when the index is out of range.
   */
  get(index: number): ElementType<T> {
    return load(this._data, checkIndex(index, this._data.length)) as ElementType<T>;
  }

  /**
   * Writes one element (atomic).
   *
   * @param index - from 0, or negative from the end.
   * @param value - the new element.
   * @throws RangeError when the index is out of range.
   */
  set(index: number, value: ElementType<T>): void {
    store(this._data, checkIndex(index, this._data.length), toStored(this._typecode, value));
  }

  /**
   * Copies `arr[start:end]` into a new JS array, holding the lock (blocking acquire).
   *
   * @param start - first index (negative counts from the end). Default 0.
   * @param end - index after the last (negative counts from the end). Default the length.
   * @returns the elements.
   */
  slice(start?: number, end?: number): ElementType<T>[] {
    return this._lock.withLockSync(() => {
      const [from, to] = bounds(this._data.length, start, end);
      const out: ElementType<T>[] = [];
      for (let i = from; i < to; i++) out.push(load(this._data, i) as ElementType<T>);
      return out;
    });
  }

  /**
   * Writes `values` from index `start` on (Python's slice assignment of the same length), holding
   * the lock (blocking acquire).
   *
   * @param start - first index to write (negative counts from the end).
   * @param values - the new elements.
   * @throws RangeError when they do not fit.
   */
  setSlice(start: number, values: Iterable<ElementType<T>>): void {
    const items = [...values].map((value) => toStored(this._typecode, value));
    this._lock.withLockSync(() => {
      const [from] = bounds(this._data.length, start, undefined);
      if (from + items.length > this._data.length) throw new RangeError('slice assignment past the end of the array');
      items.forEach((value, i) => store(this._data, from + i, value));
    });
  }

  /**
   * Copies every element, holding the lock (blocking acquire).
   *
   * @returns a new JS array.
   */
  toArray(): ElementType<T>[] {
    return this.slice();
  }

  /** Iterates over the elements, reading each one atomically (not a snapshot: hold the lock for that). */
  *[Symbol.iterator](): IterableIterator<ElementType<T>> {
    for (let i = 0; i < this._data.length; i++) yield load(this._data, i) as ElementType<T>;
  }

  /**
   * The TypedArray underneath (Python's `get_obj()`), over the same memory.
   *
   * @returns e.g. an Int32Array for `'i'`.
   */
  getObj(): ArrayView<T> {
    return this._data as ArrayView<T>;
  }

  /** @returns e.g. `Array('i', [1, 2, 3])`. */
  override toString(): string {
    return `Array('${this._typecode}', [${[...this].map(show).join(', ')}])`;
  }

  /** @internal */
  [inspect.custom](): string {
    return this.toString();
  }
}

function bounds(length: number, start: number | undefined, end: number | undefined): [number, number] {
  const clamp = (value: number | undefined, fallback: number): number => {
    if (value === undefined) return fallback;
    const v = Math.trunc(value);
    return Math.min(length, Math.max(0, v < 0 ? v + length : v));
  };
  const from = clamp(start, 0);
  return [from, Math.max(from, clamp(end, length))];
}

function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'bigint') return `${value}n`;
  return String(value);
}

/**
 * A shared value with no lock (multiprocessing's `RawValue`).
 *
 * @param typecode - see the module table.
 * @param initial - the starting value. Default 0 (`'\0'` for `'c'`).
 * @returns the value object.
 * @throws TypeError for an unknown typecode or a bad `'c'` value.
 */
export function RawValue<T extends Typecode>(typecode: T, initial?: ValueType<T>): RawSharedValue<T> {
  const data = allocate(typecode, 1);
  if (initial !== undefined) store(data, 0, toStored(typecode, initial));
  return new RawSharedValue(typecode, data);
}

/**
 * A shared value guarded by a lock (multiprocessing's `Value`).
 *
 * @param typecode - see the module table.
 * @param initial - the starting value. Default 0 (`'\0'` for `'c'`).
 * @param options - `lock`: `true` (default, a new RLock), `false` (returns a raw value), or a Lock/RLock.
 * @returns a SynchronizedValue, or a RawSharedValue with `lock: false`.
 * @throws TypeError for an unknown typecode, a bad `'c'` value, or a `lock` that is not a lock.
 */
export function Value<T extends Typecode>(typecode: T, initial: ValueType<T> | undefined, options: SharedOptions<false>): RawSharedValue<T>;
export function Value<T extends Typecode>(typecode: T, initial?: ValueType<T>, options?: SharedOptions<true | Lock | RLock>): SynchronizedValue<T>;
export function Value<T extends Typecode>(
  typecode: T,
  initial?: ValueType<T>,
  options: SharedOptions = {},
): SynchronizedValue<T> | RawSharedValue<T> {
  const lock = resolveLock(options.lock);
  const raw = RawValue(typecode, initial);
  if (lock === undefined) return raw;
  return new SynchronizedValue(typecode, (raw as unknown as { _data: AnyView })._data, lock);
}

/**
 * A shared array with no lock (multiprocessing's `RawArray`): the TypedArray itself, over a
 * SharedArrayBuffer, so `arr[i]` works and it crosses threads as it is.
 *
 * @param typecode - see the module table.
 * @param sizeOrSequence - a length (zero-filled), or the initial elements (a string for `'c'`).
 * @returns e.g. an Int32Array for `'i'`.
 * @throws TypeError for an unknown typecode.
 */
export function RawArray<T extends Typecode>(
  typecode: T,
  sizeOrSequence: number | Iterable<ElementType<T>> | (T extends 'c' ? string : never),
): ArrayView<T> {
  if (typeof sizeOrSequence === 'number') {
    if (!Number.isInteger(sizeOrSequence) || sizeOrSequence < 0) {
      throw new RangeError(`array size must be a non-negative integer, got ${sizeOrSequence}`);
    }
    return allocate(typecode, sizeOrSequence) as ArrayView<T>;
  }
  const items: (number | bigint)[] = [...(sizeOrSequence as Iterable<unknown>)].map((value) => toStored(typecode, value));
  const data = allocate(typecode, items.length);
  items.forEach((value, i) => store(data, i, value));
  return data as ArrayView<T>;
}

/**
 * A shared array guarded by a lock (multiprocessing's `Array`).
 *
 * @param typecode - see the module table.
 * @param sizeOrSequence - a length (zero-filled), or the initial elements (a string for `'c'`).
 * @param options - `lock`: `true` (default, a new RLock), `false` (returns the raw TypedArray), or a Lock/RLock.
 * @returns a SynchronizedArray, or the TypedArray with `lock: false`.
 * @throws TypeError for an unknown typecode or a `lock` that is not a lock.
 */
function SharedArray<T extends Typecode>(
  typecode: T,
  sizeOrSequence: number | Iterable<ElementType<T>> | (T extends 'c' ? string : never),
  options: SharedOptions<false>,
): ArrayView<T>;
function SharedArray<T extends Typecode>(
  typecode: T,
  sizeOrSequence: number | Iterable<ElementType<T>> | (T extends 'c' ? string : never),
  options?: SharedOptions<true | Lock | RLock>,
): SynchronizedArray<T>;
function SharedArray<T extends Typecode>(
  typecode: T,
  sizeOrSequence: number | Iterable<ElementType<T>> | (T extends 'c' ? string : never),
  options: SharedOptions = {},
): SynchronizedArray<T> | ArrayView<T> {
  const lock = resolveLock(options.lock);
  const data = RawArray(typecode, sizeOrSequence);
  if (lock === undefined) return data;
  return new SynchronizedArray(typecode, data, lock);
}

export { SharedArray as Array };

registerShareable('sync.RawValue', (wire: RawSharedValue) =>
  Object.assign(Object.create(RawSharedValue.prototype) as RawSharedValue, wire));
registerShareable('sync.Value', (wire: SynchronizedValue) =>
  Object.assign(Object.create(SynchronizedValue.prototype) as SynchronizedValue, wire));
registerShareable('sync.Array', (wire: SynchronizedArray) =>
  Object.assign(Object.create(SynchronizedArray.prototype) as SynchronizedArray, wire));
