/**
 * `Queue`, `JoinableQueue` and `SimpleQueue`: Python's process-safe FIFO queues. Every process
 * that has the queue (it was passed as an argument, or put on another queue) puts and gets
 * through its own channel endpoint: items travel from the producer to the consumer over a socket
 * of their own when one process consumes, and through the broker otherwise (`channel/`,
 * `broker/channel-hub.ts`).
 *
 * Items are copied when they are put, as Python pickles them: changing an object after `put` does
 * not change what the consumer gets. Library handles inside an item (a `Connection`, another
 * `Queue`) arrive working.
 *
 * @module
 */
import { AssertionError, TimeoutError, ValueError } from '../errors.js';
import { startTimer } from '../sync/deadline.js';
import { unwrap } from './link.js';
import { isReply, openPort, type ChannelPort } from './channel/port.js';
import { packValue, unpackValue } from './channel/items.js';
import { fromWire, registerHandle, reviveHandles, SharedObject, type HandleWire } from './shared-object.js';
import type { KindOf, QueueOps } from './broker/ops.js';
import { throwIfAborted, toWait, type BlockOptions, type WaitOptions } from './wait-options.js';

const QUEUE_ERRORS = { timeout: (): [string, string] => ['Empty', ''] };

/**
 * A FIFO queue shared by processes, like Python's `multiprocessing.Queue`.
 *
 * @typeParam T - the type of the items.
 * @example
 * ```ts
 * const q = new Queue<number[]>();
 * new Process({ target: tasks.f, args: [q, 3] }).start();
 * console.log(await q.get()); // [6, 9]
 * ```
 */
export class Queue<T = unknown> extends SharedObject<QueueOps> {
  readonly #maxsize: number;
  readonly #port: ChannelPort;
  #closed = false;

  /**
   * @param maxsize - the most items the queue holds; `0` or less means no limit.
   * @throws {TypeError} if `maxsize` is not a number.
   */
  constructor(maxsize = 0) {
    if (typeof maxsize !== 'number' || Number.isNaN(maxsize)) throw new TypeError(`maxsize must be a number, got ${typeof maxsize}`);
    super(new.target.TAG, { maxsize, joinable: new.target.TAG === 'mp.JoinableQueue' });
    this.#maxsize = Number(this.params.maxsize);
    const port = openPort(this.link, this.id, QUEUE_ERRORS, false, this.#maxsize > 0);
    this.#port = port;
    this.onRelease(() => port.release());
  }

  /** The tag of this kind of queue. @internal */
  static readonly TAG: KindOf<QueueOps> = 'mp.Queue';

  /** The most items the queue holds (`0`: no limit). */
  get maxsize(): number {
    return this.#maxsize;
  }

  /**
   * Puts `item` at the end of the queue. On a queue without `maxsize` this never waits (the item
   * is on its way when the promise resolves, as Python's feeder thread sends it in the background);
   * on a full bounded queue it waits for room, at most `timeout` ms.
   *
   * Cancel safety: when `signal` aborts, either the item was not put (the promise rejects with the
   * reason) or it was, and the promise resolves: it is never put twice or lost.
   *
   * @param item - the item; it is copied.
   *
   *
   * @param options - a timeout in ms, or `{ block, timeout, signal }`.
   * @throws {Full} when the queue is full and `block` is false or the timeout passed.
   * @throws {ValueError} when this process closed the queue (`Queue … is closed`).
   * @throws {SerializationError} when `item` holds a function, a symbol or a class instance.
   */
  async put(item: T, options?: number | BlockOptions): Promise<void> {
    this.#checkOpen();
    const { timeout, signal } = toWait(options);
    throwIfAborted(signal);
    const packed = packValue(item, 'item');
    if (this.#maxsize <= 0) {
      this.#port.put(packed);
      return;
    }
    unwrap(await this.#port.putWait(packed, timeout !== 0, timeout, signal), signal);
  }

  /**
   * `put(item, { block: false })`.
   *
   * @throws {Full} when the queue is full.
   * @param item - the item; it is copied.
   */
  putNowait(item: T): Promise<void> {
    return this.put(item, { block: false });
  }

  /**
   * Removes and returns the item at the front of the queue, waiting for one if it is empty.
   *
   * Cancel safety: when `signal` aborts, either no item was taken (the promise rejects with the
   * reason) or one was, and the promise resolves with it: an item is never lost.
   *
   * @param options - a timeout in ms, or `{ block, timeout, signal }`.
   * @returns the item, with any library handles inside it rebuilt and working.
   * @throws {Empty} when the queue is empty and `block` is false or the timeout passed.
   * @throws {ValueError} when this process closed the queue.
   */
  async get(options?: number | BlockOptions): Promise<T> {
    this.#checkOpen();
    const { timeout, signal } = toWait(options);
    throwIfAborted(signal);
    let got = this.#port.get(timeout !== 0, timeout, signal);
    if (got instanceof Promise) got = await got;
    if (isReply(got)) unwrap(got, signal);
    return unpackValue(got as never, reviveHandles) as T;
  }

  /**
   * `get({ block: false })`.
   *
   * @throws {Empty} when the queue is empty.
   * @returns the item at the front.
   */
  getNowait(): Promise<T> {
    return this.get({ block: false });
  }

  /**
   * How many items the queue holds now: exact for what went through the broker; items on their
   * way straight to a consumer are counted as their producer reported them (Python's `qsize` is
   * approximate too). It may change at once.
   *
   * @throws {ValueError} when this process closed the queue.
   * @returns the number of items.
   */
  async qsize(): Promise<number> {
    this.#checkOpen();
    return unwrap(await this.ops.call('qsize', []));
  }

  /**
   * `true` if the queue holds no item now.
   *
   * @returns `true` when no item is there.
   */
  async empty(): Promise<boolean> {
    return (await this.qsize()) === 0;
  }

  /**
   * `true` if a bounded queue holds `maxsize` items now.
   *
   * @returns `true` when a bounded queue holds `maxsize` items.
   */
  async full(): Promise<boolean> {
    return this.#maxsize > 0 && (await this.qsize()) >= this.#maxsize;
  }

  /**
   * This process will not use the queue again: later calls here throw `ValueError`, and this
   * handle's reference is given back (items already put stay in the queue). Calling it twice is fine.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.detach();
  }

  /**
   * Waits until every item this process put is on its way (written to its socket), as Python's
   * `join_thread` waits for the feeder thread.
   *
   * Cancel safety: an aborted wait leaves the items on their way.
   *
   * @param options - `{ signal }` to stop waiting.
   *
   *
   * @throws {AssertionError} `Queue … not closed` unless the queue was closed first, as in Python.
   */
  async joinThread(options?: WaitOptions): Promise<void> {
    if (!this.#closed) throw new AssertionError(`Queue ${this.toString()} not closed`);
    unwrap(await this.link.ping(options?.signal), options?.signal);
  }

  /** Python's `cancel_join_thread`: nothing to cancel here (puts are never held back in this process). */
  cancelJoinThread(): void {}

  /** `true` once this process closed the queue. */
  get closed(): boolean {
    return this.#closed;
  }

  #checkOpen(): void {
    if (this.#closed) throw new ValueError(`Queue ${this.toString()} is closed`);
  }

  /** @returns a short description of the object and its state, Python's repr where there is one. */
  override toString(): string {
    return `<${this.constructor.name} maxsize=${this.#maxsize}${this.#closed ? ' closed' : ''}>`;
  }
}

/**
 * A `Queue` that also counts unfinished items: each `put` adds one, each `taskDone` removes one,
 * and `join` waits until the count is back to zero, like Python's `JoinableQueue`.
 */
export class JoinableQueue<T = unknown> extends Queue<T> {
  /** @internal */
  static override readonly TAG: KindOf<QueueOps> = 'mp.JoinableQueue';

  /**
   * Marks one item taken with `get` as processed.
   *
   * @throws {ValueError} `task_done() called too many times` when no item is unfinished.
   */
  async taskDone(): Promise<void> {
    unwrap(await this.ops.call('taskDone', []));
  }

  /**
   * Waits until every item ever put has been marked done with `taskDone`.
   *
   * Cancel safety: an aborted `join` ends only this wait.
   *
   * @param options - `{ signal }` to stop waiting.
   */
  async join(options?: WaitOptions): Promise<void> {
    const { timeout, signal } = toWait(options);
    throwIfAborted(signal);
    if (timeout === null) {
      unwrap(await this.ops.call('join', [], undefined, signal), signal);
      return;
    }
    // Python's join() has no timeout; ours ends the wait (not the queue's work) with TimeoutError.
    const expiry = new AbortController();
    const timer = startTimer(() => expiry.abort(new TimeoutError(`JoinableQueue.join() did not see every item done within ${timeout} ms`)), timeout);
    const both = signal === undefined ? expiry.signal : AbortSignal.any([signal, expiry.signal]);
    try {
      unwrap(await this.ops.call('join', [], undefined, both), both);
    } finally {
      timer.clear();
    }
  }
}

/** A simpler queue without `maxsize` or timeouts, like Python's `SimpleQueue`: `put`, `get`, `empty`, `close`. */
export class SimpleQueue<T = unknown> extends Queue<T> {
  /** @internal */
  static override readonly TAG: KindOf<QueueOps> = 'mp.SimpleQueue';

  /** Creates an empty queue without a size limit. */
  constructor() {
    super(0);
  }
}

registerHandle('mp.Queue', (wire: HandleWire) => fromWire(wire, () => new Queue()));
registerHandle('mp.JoinableQueue', (wire: HandleWire) => fromWire(wire, () => new JoinableQueue()));
registerHandle('mp.SimpleQueue', (wire: HandleWire) => fromWire(wire, () => new SimpleQueue()));
