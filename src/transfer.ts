/**
 * `transfer(value, transferList?)`: marks an argument, a map item or a task's result to be moved
 * to the other side instead of copied, as `postMessage(value, transferList)` moves it. After the
 * move the sender's `ArrayBuffer`s are detached (length 0) and its `MessagePort`s unusable.
 *
 * The mark is recognised by a registered symbol, not by class: the worker entries are bundles with
 * their own copy of this file, and a task module imports the package's, yet a result marked by
 * either must be seen by the other.
 *
 * @module
 */

const BRAND = Symbol.for('concurrent-ts.transfer');

/** What `postMessage` can move: an `ArrayBuffer`, a `MessagePort`, and the other transferable objects of Node. */
export type TransferItem = ArrayBuffer | object;

/** A value to move rather than copy; made by {@link transfer}. */
export interface Transfer<T = unknown> {
  /** The value itself, as the receiving side will see it. */
  readonly value: T;
  /** What moves with it (detached on the sending side). */
  readonly transferList: readonly TransferItem[];
}

/** An argument list whose members may be marked with {@link transfer}. */
export type Movable<A extends readonly unknown[]> = { [K in keyof A]: A[K] | Transfer<A[K]> };

/** What the caller receives for a task's result `R`: the value inside a {@link transfer} mark. */
export type Moved<R> = R extends Transfer<infer V> ? V : R;

class TransferMark<T> implements Transfer<T> {
  declare readonly [BRAND]: true;
  constructor(readonly value: T, readonly transferList: readonly TransferItem[]) {}
}
Object.defineProperty(TransferMark.prototype, BRAND, { value: true });

/**
 * Marks `value` to be moved, not copied, to the worker (as an argument of `submit`, an item of
 * `map`, an argument list of `starmap`) or back to the caller (as what a task returns).
 *
 * Without `transferList`, what moves is found in `value`: every `ArrayBuffer` (a typed array's or
 * `DataView`'s too) and every `MessagePort` it holds, at any depth. A `SharedArrayBuffer` is shared,
 * never moved. On a thread pool the listed objects move without a copy and are detached on the
 * sending side; a process pool cannot move memory to another process: the value is copied over
 * the IPC channel and the sender's buffers stay as they were (see transfer.md in the docs).
 *
 * @param value - the argument, item or result.
 * @param transferList - what to move; found in `value` when omitted.
 * @returns the marked value, to pass where the value would go.
 * @throws {TypeError} if `transferList` is not an array.
 *
 * @example
 * ```ts
 * const pixels = new Uint8Array(64 << 20);
 * const future = executor.submit(tasks.blur, transfer(pixels)); // pixels.byteLength is now 0
 * // in tasks.ts: return transfer(out);                          // moved back, not copied
 * ```
 */
export function transfer<T>(value: T, transferList?: readonly TransferItem[]): Transfer<T> {
  if (transferList === undefined) return new TransferMark(value, findTransferables(value));
  if (!Array.isArray(transferList)) throw new TypeError(`transfer() takes an array of objects to move as its second argument, got ${typeof transferList}`);
  return new TransferMark(value, [...new Set(transferList)]);
}

/** Whether `value` is a mark made by {@link transfer} (by any copy of this module). */
export function isTransfer(value: unknown): value is Transfer {
  return typeof value === 'object' && value !== null && (value as { [BRAND]?: unknown })[BRAND] === true;
}

/** Every `ArrayBuffer` and `MessagePort` inside `value`, each once. */
function findTransferables(value: unknown): TransferItem[] {
  const found = new Set<TransferItem>();
  const seen = new Set<object>();
  const visit = (v: unknown): void => {
    if (typeof v !== 'object' || v === null || seen.has(v)) return;
    seen.add(v);
    if (v instanceof ArrayBuffer) {
      found.add(v);
    } else if (ArrayBuffer.isView(v)) {
      if (v.buffer instanceof ArrayBuffer) found.add(v.buffer);
    } else if (isPort(v)) {
      found.add(v);
    } else if (Array.isArray(v)) {
      for (const item of v) visit(item);
    } else if (v instanceof Map) {
      for (const [k, item] of v) {
        visit(k);
        visit(item);
      }
    } else if (v instanceof Set) {
      for (const item of v) visit(item);
    } else if (Object.getPrototypeOf(v) === Object.prototype || Object.getPrototypeOf(v) === null) {
      for (const key of Object.keys(v)) visit((v as Record<string, unknown>)[key]);
    }
  };
  visit(value);
  return [...found];
}

/** A `MessagePort` of `worker_threads` or of the web, without importing either. */
function isPort(value: object): boolean {
  const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
  return name === 'MessagePort' && typeof (value as { postMessage?: unknown }).postMessage === 'function';
}
