/**
 * `Condition`: Python's condition variable on shared memory, with FIFO wake-ups.
 *
 * Each waiter takes a ticket while holding the lock and sleeps on its own cell of a ring in
 * shared memory; `notify(n)` hands the next `n` live tickets a wake-up, oldest first. All ticket
 * bookkeeping happens under the condition's lock, so it needs no further atomics protocol:
 *
 * ```
 * state[C_NEXT]     next ticket to hand out
 * state[C_SERVED]   every ticket below it was notified or withdrawn
 * state[C_CELLS+i]  ticket t lives in cell t & (capacity-1): FREE · WAITING · NOTIFIED · CANCELLED
 * ```
 *
 * A waiter whose timeout passes withdraws its ticket (CANCELLED) after taking the lock back, so
 * a later `notify` skips it instead of spending a wake-up on it; if a notify reached it first it
 * counts as notified and returns `true`. No wake-up is lost either way.
 *
 * @module
 */

import { inspect } from 'node:util';
import { RuntimeError } from '../errors.js';
import { Guarded } from '../sync/acquirable.js';
import { toDeadline, waitArgument } from '../sync/deadline.js';
import { wake } from '../sync/futex.js';
import { registerShareable } from '../sync/shareable.js';
import { driveAsync, driveSync, type Steps } from '../sync/steps.js';
import { Lock } from './lock.js';
import { RLock } from './rlock.js';

const TAG = 'threading.Condition';
const C_NEXT = 0;
const C_SERVED = 1;
const C_CELLS = 4;
const FREE = 0;
const WAITING = 1;
const NOTIFIED = 2;
const CANCELLED = 3;
/** How many threads or tasks can wait on one Condition at the same time. */
const CAPACITY = 1024;

/** Options of an async condition wait. A bare number means `{ timeout }`. */
export interface ConditionWaitOptions {
  /** Give up after this many milliseconds (`undefined`/`Infinity`: never). */
  timeout?: number;
  /** Abort the wait: the lock is taken back, then the promise rejects with the signal's reason. */
  signal?: AbortSignal | undefined;
}

/**
 * A condition variable: threads wait on it until another thread, holding the same lock,
 * notifies them. By default the lock is a new `RLock`, as in Python. Passed to a worker it
 * arrives working, together with its lock.
 *
 * @example
 * ```ts
 * const cond = new Condition();
 * await cond.withLock(async () => {
 *   await cond.waitFor(() => items.value > 0);
 * });
 * ```
 */
export class Condition extends Guarded {
  /** @internal Wire tag of the shareable contract. */
  readonly __ct: string = TAG;
  private readonly _lock: Lock | RLock;
  private readonly _state: Int32Array;

  /**
   * Creates a condition variable over `lock`.
   *
   * @param lock - the lock to use; a new `RLock` when omitted.
   * @throws TypeError when `lock` is not a `Lock` or an `RLock` of this library.
   */
  constructor(lock?: Lock | RLock) {
    if (lock !== undefined && !(lock instanceof Lock) && !(lock instanceof RLock)) {
      throw new TypeError('Condition(lock) expects a Lock or an RLock of concurrent-ts');
    }
    super();
    this._lock = lock ?? new RLock();
    this._state = new Int32Array(new SharedArrayBuffer((C_CELLS + CAPACITY) * 4));
  }

  /** The underlying lock. */
  get lock(): Lock | RLock {
    return this._lock;
  }

  /** @internal Every acquire form, and the holds, are the lock's. */
  _guard(): Lock | RLock {
    return this._lock;
  }

  /**
   * Releases the lock (completely, even an RLock held several times), waits until notified or
   * until the timeout, then takes the lock back at the same recursion level before returning.
   *
   * Cancel safety: on timeout the ticket is withdrawn and `false` is returned; on abort the
   * ticket is withdrawn (or, if a notify already reached it, the notify is passed on to the
   * next waiter) and the promise rejects. In every case the lock is held again on return.
   *
   * @param options - a timeout in milliseconds, or `{ timeout, signal }`.
   * @returns `true` when notified, `false` when the timeout passed.
   * @throws RuntimeError `cannot wait on un-acquired lock` when the caller does not hold the lock.
   * @throws DeadlockError when taking the lock back closes a cycle of waiting threads (after the
   * lock's deadlock timeout) or its holder has ended; the lock is then not held, and a notify that
   * reached this waiter is lost with it.
   */
  async wait(options?: number | ConditionWaitOptions): Promise<boolean> {
    const { timeout, options: rest } = waitArgument(options);
    const { cell, saved, deadline } = this.enter(timeout);
    let aborted: { reason: unknown } | undefined;
    try {
      await driveAsync(this.sleep(cell, deadline), rest?.signal);
    } catch (error) {
      aborted = { reason: error };
    }
    try {
      await this._lock.acquire();
    } catch (error) {
      this.withdraw(cell);
      throw error;
    }
    return this.leave(cell, saved, aborted);
  }

  /**
   * Blocking form of {@link Condition.wait}, for worker threads.
   *
   * Cancel safety: on timeout the ticket is withdrawn and `false` is returned, with the lock held again.
   *
   * @param timeout - milliseconds; `undefined`/`Infinity` waits until notified.
   * @returns `true` when notified, `false` when the timeout passed.
   * @throws RuntimeError `cannot wait on un-acquired lock` when the caller does not hold the lock.
   * @throws DeadlockError when taking the lock back would close a cycle of blocked threads; the
   * lock is then not held, and a notify that reached this waiter is lost with it.
   */
  waitSync(timeout?: number): boolean {
    const { cell, saved, deadline } = this.enter(timeout);
    driveSync(this.sleep(cell, deadline));
    try {
      this._lock.acquireSync();
    } catch (error) {
      this.withdraw(cell);
      throw error;
    }
    return this.leave(cell, saved, undefined);
  }

  /**
   * Waits until `predicate()` is truthy: checks it first, then after every wake-up, until the
   * timeout (one deadline for the whole call).
   *
   * Cancel safety: as {@link Condition.wait}; the lock is held again on return.
   *
   * @param predicate - evaluated with the lock held, in the waiting thread; may be async.
   * @param options - a timeout in milliseconds, or `{ timeout, signal }`.
   * @returns the predicate's last value: truthy, or falsy when the timeout passed.
   * @throws RuntimeError `cannot wait on un-acquired lock` when the caller does not hold the lock.
   */
  async waitFor<T>(predicate: () => T | Promise<T>, options?: number | ConditionWaitOptions): Promise<T> {
    const { timeout, options: rest } = waitArgument(options);
    const signal = rest?.signal;
    const deadline = toDeadline(timeout);
    let result = await predicate();
    while (!result) {
      const left = deadline - performance.now();
      if (left <= 0) break;
      await this.wait({ timeout: left, signal });
      result = await predicate();
    }
    return result;
  }

  /**
   * Blocking form of {@link Condition.waitFor}, for worker threads.
   *
   * Cancel safety: as {@link Condition.waitSync}.
   *
   * @param predicate - evaluated with the lock held.
   * @param timeout - milliseconds for the whole call; `undefined`/`Infinity` for no limit.
   * @returns the predicate's last value.
   * @throws RuntimeError `cannot wait on un-acquired lock` when the caller does not hold the lock.
   */
  waitForSync<T>(predicate: () => T, timeout?: number): T {
    const deadline = toDeadline(timeout);
    let result = predicate();
    while (!result) {
      const left = deadline - performance.now();
      if (left <= 0) break;
      this.waitSync(left);
      result = predicate();
    }
    return result;
  }

  /**
   * Wakes up to `n` waiters, oldest first. They return from `wait` once they get the lock back,
   * so after the caller releases it. Notifying with nobody waiting does nothing.
   *
   * @param n - how many waiters to wake. Default 1.
   * @throws RuntimeError `cannot notify on un-acquired lock` when the caller does not hold the lock.
   */
  notify(n = 1): void {
    this.checkOwned('notify');
    const state = this._state;
    let next = state[C_SERVED]!;
    const end = state[C_NEXT]!;
    while (n > 0 && ((end - next) | 0) > 0) {
      const cell = C_CELLS + (next & (CAPACITY - 1));
      const status = Atomics.load(state, cell);
      // Compare-exchange: a waiter that failed to take the lock back withdraws without it.
      if (status === WAITING && Atomics.compareExchange(state, cell, WAITING, NOTIFIED) === WAITING) {
        wake(state, cell, 1);
        n--;
      } else {
        // CANCELLED: the waiter left on its deadline; its cell is free once passed.
        Atomics.store(state, cell, FREE);
      }
      next = (next + 1) | 0;
    }
    Atomics.store(state, C_SERVED, next);
  }

  /**
   * Wakes every waiter.
   *
   * @throws RuntimeError `cannot notify on un-acquired lock` when the caller does not hold the lock.
   */
  notifyAll(): void {
    this.notify(Infinity);
  }

  /** @returns e.g. `Condition <RLock unlocked, waiters=0>`. */
  override toString(): string {
    const state = this._state;
    let waiters = 0;
    for (let t = state[C_SERVED]!; ((state[C_NEXT]! - t) | 0) > 0; t = (t + 1) | 0) {
      if (Atomics.load(state, C_CELLS + (t & (CAPACITY - 1))) === WAITING) waiters++;
    }
    return `Condition <${this._lock.toString().slice(1, -1)}, waiters=${waiters}>`;
  }

  /** @internal */
  [inspect.custom](): string {
    return this.toString();
  }

  /** @internal Rebuilds a Condition from its structured-cloned wire state (its lock is already revived). */
  static revive(wire: Condition): Condition {
    return Object.assign(Object.create(Condition.prototype) as Condition, wire);
  }

  /** The start of a wait: the caller must hold the lock; it takes a ticket, then lets go of the lock entirely. */
  private enter(timeout: number | null | undefined): { cell: number; saved: { count: number; task: number } | undefined; deadline: number } {
    this.checkOwned('wait');
    const deadline = toDeadline(timeout);
    const cell = C_CELLS + (this.enqueue() & (CAPACITY - 1));
    return { cell, saved: this.releaseAll(), deadline };
  }

  /** Sleeps on the ticket's cell until a notify reaches it or the deadline passes. */
  private *sleep(cell: number, deadline: number): Steps<void> {
    while (Atomics.load(this._state, cell) === WAITING) {
      if ((yield { slots: this._state, index: cell, expected: WAITING, deadline }) === 'timed-out') return;
    }
  }

  private checkOwned(what: 'wait' | 'notify'): void {
    const lock = this._lock;
    const owned = lock instanceof RLock ? lock.isOwned() : lock.locked();
    if (!owned) throw new RuntimeError(`cannot ${what} on un-acquired lock`);
  }

  private enqueue(): number {
    const state = this._state;
    this.compact();
    const ticket = state[C_NEXT]!;
    const cell = C_CELLS + (ticket & (CAPACITY - 1));
    if (Atomics.load(state, cell) !== FREE) {
      throw new RuntimeError(`too many waiters on one Condition (at most ${CAPACITY})`);
    }
    Atomics.store(state, cell, WAITING);
    Atomics.store(state, C_NEXT, (ticket + 1) | 0);
    return ticket;
  }

  // Withdrawn tickets at the head of the queue need no notify to pass them: free them now, so a
  // run of timed-out waits with no notify in between does not fill the ring.
  private compact(): void {
    const state = this._state;
    let head = state[C_SERVED]!;
    const end = state[C_NEXT]!;
    while (((end - head) | 0) > 0) {
      const cell = C_CELLS + (head & (CAPACITY - 1));
      if (Atomics.load(state, cell) !== CANCELLED) break;
      Atomics.store(state, cell, FREE);
      head = (head + 1) | 0;
    }
    Atomics.store(state, C_SERVED, head);
  }

  private releaseAll(): { count: number; task: number } | undefined {
    const lock = this._lock;
    if (lock instanceof RLock) return lock.releaseAll();
    lock.release();
    return undefined;
  }

  /**
   * DeadlockError while taking the lock back: leave without it. Only the ticket's own cell may be
   * touched without the lock, and only by compare-exchange against notify().
   */
  private withdraw(cell: number): void {
    Atomics.compareExchange(this._state, cell, WAITING, CANCELLED);
    Atomics.compareExchange(this._state, cell, NOTIFIED, FREE);
  }

  // Called with the lock held again: settle the ticket, restore the recursion level.
  private leave(cell: number, saved: { count: number; task: number } | undefined, aborted: { reason: unknown } | undefined): boolean {
    const lock = this._lock;
    if (lock instanceof RLock && saved !== undefined) lock.restore(saved);
    const notified = Atomics.load(this._state, cell) === NOTIFIED;
    Atomics.store(this._state, cell, notified ? FREE : CANCELLED);
    this.compact();
    if (aborted !== undefined) {
      // A wake-up that reached an aborted waiter belongs to the next one.
      if (notified) this.notify(1);
      throw aborted.reason;
    }
    return notified;
  }
}

registerShareable(TAG, (wire: Condition) => Condition.revive(wire));
