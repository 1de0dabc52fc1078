/**
 * `RLock`: Python's reentrant lock on shared memory. The owning thread may acquire it again and
 * must release it as many times.
 *
 * @module
 */

import { RuntimeError } from '../errors.js';
import { currentTask, ownerToken } from '../sync/current-thread.js';
import { M_COUNT, M_HOLDER, M_TASK, unlock } from '../sync/mutex.js';
import { registerShareable } from '../sync/shareable.js';
import { MutexLock, type LockOptions } from './mutex-lock.js';

const TAG = 'threading.RLock';
const NOT_OWNED = 'cannot release un-acquired lock';

/**
 * A reentrant lock, owned by the thread that acquired it (the main thread is ident 0, a worker
 * thread its `threadId`). Only the owner may release it.
 *
 * Async tasks on one thread: `withLock(fn)` runs `fn` in a task scope, and a hold taken inside a
 * scope belongs to that scope, so two tasks of one thread that use `withLock` exclude each other
 * while each may re-enter its own hold (also through `acquire`/`hold` called inside `fn`). A hold
 * taken outside any scope (a bare `acquire()`/`hold()` at top level) belongs to the whole thread,
 * as in Python: every task of that thread may re-enter or release it. A blocking acquire
 * (`acquireSync`) of an RLock held by another task of the same thread throws `DeadlockError`,
 * since the blocked thread could never let that task finish.
 *
 * @example
 * ```ts
 * const rlock = new RLock();
 * rlock.withLockSync(() => rlock.withLockSync(() => 'nested is fine'));
 * ```
 */
export class RLock extends MutexLock {
  /**
   * Creates an unlocked reentrant lock.
   *
   * @param options - `name`, `detectDeadlock` and `deadlockTimeout`.
   * @throws TypeError or ValueError for a `deadlockTimeout` that is not a number of ms, 0 or more.
   */
  constructor(options: LockOptions = {}) {
    super(TAG, 'RLock', options);
  }

  /**
   * Releases one level; the lock is free once every level is released.
   *
   * @throws RuntimeError `cannot release un-acquired lock` when the calling thread (or, for a
   * hold taken in a `withLock` scope, the calling task) does not own it.
   */
  release(): void {
    if (!this.isOwned()) throw new RuntimeError(NOT_OWNED);
    const count = Atomics.sub(this._state, M_COUNT, 1) - 1;
    if (count === 0) {
      Atomics.store(this._state, M_TASK, 0);
      Atomics.store(this._state, M_HOLDER, 0);
      unlock(this._state);
    }
  }

  /** @returns `<RLock unlocked>` or `<RLock locked owner=<ident> count=<n>>`. */
  override toString(): string {
    const owner = Atomics.load(this._state, M_HOLDER);
    if (owner === 0) return '<RLock unlocked>';
    return `<RLock locked owner=${owner - 1} count=${Atomics.load(this._state, M_COUNT)}>`;
  }

  /** @internal Whether the calling thread (and task scope, if the hold has one) owns the lock (`_is_owned`). */
  isOwned(): boolean {
    if (Atomics.load(this._state, M_HOLDER) !== ownerToken()) return false;
    const task = Atomics.load(this._state, M_TASK);
    return task === 0 || task === currentTask();
  }

  /** @internal Releases every level at once; returns what {@link RLock.restore} needs (`_release_save`). */
  releaseAll(): { count: number; task: number } {
    if (!this.isOwned()) throw new RuntimeError(NOT_OWNED);
    const saved = { count: Atomics.exchange(this._state, M_COUNT, 0), task: Atomics.load(this._state, M_TASK) };
    Atomics.store(this._state, M_TASK, 0);
    Atomics.store(this._state, M_HOLDER, 0);
    unlock(this._state);
    return saved;
  }

  /** @internal Puts back the recursion level and task scope after a re-acquire (`_acquire_restore`). */
  restore(saved: { count: number; task: number }): void {
    Atomics.store(this._state, M_COUNT, saved.count);
    Atomics.store(this._state, M_TASK, saved.task);
  }

  /** @internal Rebuilds an RLock from its structured-cloned wire state. */
  static revive(wire: RLock): RLock {
    return MutexLock._revive(RLock.prototype, wire);
  }

  /** @internal An RLock is owned per thread, and per task inside a `withLock` scope. */
  override _scoped(): boolean {
    return true;
  }

  /** @internal */
  protected _reenter(me: number): boolean {
    if (Atomics.load(this._state, M_HOLDER) !== me) return false;
    const owner = Atomics.load(this._state, M_TASK);
    if (owner !== 0 && owner !== currentTask()) return false;
    Atomics.add(this._state, M_COUNT, 1);
    return true;
  }

  /** @internal */
  protected _own(me: number): void {
    Atomics.store(this._state, M_TASK, currentTask());
    Atomics.store(this._state, M_COUNT, 1);
    Atomics.store(this._state, M_HOLDER, me);
  }
}

registerShareable(TAG, (wire: RLock) => RLock.revive(wire));
