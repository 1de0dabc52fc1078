/**
 * `RLock`: Python's reentrant lock on shared memory. The owning thread may acquire it again and
 * must release it as many times.
 *
 * @module
 */

import { inspect } from 'node:util';
import { RuntimeError } from '../errors.js';
import { HeldLock, holdTimeout, planAcquire, type AcquireOptions, type AcquireSyncOptions } from '../sync/acquire.js';
import { currentTask, inTaskScope, ownerToken } from '../sync/current-thread.js';
import { M_COUNT, M_HOLDER, M_TASK, MUTEX_INTS, lockAsync, lockSync, tryLock, unlock } from '../sync/mutex.js';
import { adoptRegistryIfUnset, checkDeadlockTimeout, nextId, registryView } from '../sync/registry.js';
import { registerShareable } from '../sync/shareable.js';
import { rememberLock, type DetectableLock } from '../sync/wait-for-graph.js';
import type { LockOptions } from './lock.js';

const TAG = 'threading.RLock';
const NON_BLOCKING_TIMEOUT = "can't specify a timeout for a non-blocking call";
const NOT_OWNED = 'cannot release un-acquired lock';
const kCore = Symbol('rlock core');

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
export class RLock {
  /** @internal Wire tag of the shareable contract. */
  readonly __ct: string = TAG;
  /** The lock's name, as shown in deadlock reports. */
  readonly name: string;
  /** The `deadlockTimeout` option: `undefined` when the process-wide value applies. */
  readonly deadlockTimeout: number | undefined;
  private readonly _id: number;
  private readonly _state: Int32Array;
  private readonly _registry: Int32Array;
  private readonly _detect: boolean;
  declare private readonly [kCore]: DetectableLock;

  /**
   * Creates an unlocked reentrant lock.
   *
   * @param options - `name`, `detectDeadlock` and `deadlockTimeout`.
   * @throws TypeError or ValueError for a `deadlockTimeout` that is not a number of ms, 0 or more.
   */
  constructor(options: LockOptions = {}) {
    this.deadlockTimeout = options.deadlockTimeout === undefined ? undefined : checkDeadlockTimeout(options.deadlockTimeout);
    const registry = registryView();
    this._id = nextId(registry);
    this.name = options.name ?? `RLock-${this._id}`;
    this._state = new Int32Array(new SharedArrayBuffer(MUTEX_INTS * 4));
    this._registry = registry;
    this._detect = options.detectDeadlock ?? true;
    RLock.attach(this);
  }

  /**
   * Acquires the lock, or one more level of it when the calling thread already owns it, waiting
   * without blocking the thread.
   *
   * Cancel safety: when the timeout passes the promise resolves `false`, and when the signal
   * aborts it rejects with the signal's reason; in both cases nothing is held.
   *
   * @param options - `{ blocking, timeout, signal }`, or a timeout in milliseconds.
   * @returns `true` once acquired; `false` when `blocking: false` found it owned by another
   * thread or the timeout passed.
   * @throws ValueError (as a rejection) for a timeout with `blocking: false`, or a negative timeout.
   */
  async acquire(options?: number | AcquireOptions): Promise<boolean> {
    const plan = planAcquire(options, NON_BLOCKING_TIMEOUT);
    plan.signal?.throwIfAborted();
    const me = ownerToken();
    const task = currentTask();
    if (this.reenter(me, task)) return true;
    if (tryLock(this._state) || (plan.blocking && (await lockAsync(this[kCore], plan.deadline, plan.signal)))) {
      this.own(me, task);
      return true;
    }
    return false;
  }

  /**
   * Acquires the lock (or one more level of it), blocking the calling thread.
   *
   * Cancel safety: a timeout returns `false` with nothing held.
   *
   * @param options - `{ blocking, timeout }`, or a timeout in milliseconds.
   * @returns `true` once acquired; `false` when `blocking: false` found it owned by another
   * thread or the timeout passed.
   * @throws ValueError for a timeout with `blocking: false`, or a negative timeout.
   * @throws DeadlockError when waiting without a timeout would close a cycle of blocked threads.
   */
  acquireSync(options?: number | AcquireSyncOptions): boolean {
    const plan = planAcquire(options, NON_BLOCKING_TIMEOUT);
    const me = ownerToken();
    const task = currentTask();
    if (this.reenter(me, task)) return true;
    if (tryLock(this._state) || (plan.blocking && lockSync(this[kCore], plan.deadline))) {
      this.own(me, task);
      return true;
    }
    return false;
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

  /**
   * Whether any thread holds the lock right now (Python 3.14's `RLock.locked()`).
   *
   * @returns the state at the moment of the call.
   */
  locked(): boolean {
    return Atomics.load(this._state, 0) !== 0;
  }

  /**
   * Acquires the lock and returns a hold that releases one level at the end of an `await using` scope.
   *
   * Cancel safety: as {@link RLock.acquire}.
   *
   * @param options - as {@link RLock.acquire}.
   * @returns the hold.
   * @throws TimeoutError when the timeout passed.
   */
  async hold(options?: number | AcquireOptions): Promise<HeldLock> {
    if (!(await this.acquire(options))) throw holdTimeout(this.name);
    return new HeldLock(() => this.release());
  }

  /**
   * Acquires the lock, blocking, and returns a hold that releases one level at the end of a `using` scope.
   *
   * Cancel safety: as {@link RLock.acquireSync}.
   *
   * @param options - as {@link RLock.acquireSync}.
   * @returns the hold.
   * @throws TimeoutError when the timeout passed; DeadlockError as {@link RLock.acquireSync}.
   */
  holdSync(options?: number | AcquireSyncOptions): HeldLock {
    if (!this.acquireSync(options)) throw holdTimeout(this.name);
    return new HeldLock(() => this.release());
  }

  /**
   * Runs `fn` while holding the lock and releases it afterwards, also when `fn` throws. `fn` runs
   * in a task scope (the caller's, or a new one), so other async tasks of this thread wait.
   *
   * Cancel safety: as {@link RLock.hold}; `fn` does not run when the lock was not acquired.
   *
   * @param fn - the critical section.
   * @param options - as {@link RLock.acquire}.
   * @returns what `fn` returns.
   * @throws what `fn` throws; TimeoutError when the lock was not acquired in time.
   */
  withLock<T>(fn: () => T | Promise<T>, options?: number | AcquireOptions): Promise<T> {
    return inTaskScope(async () => {
      const held = await this.hold(options);
      try {
        return await fn();
      } finally {
        held.release();
      }
    });
  }

  /**
   * Runs `fn` while holding the lock (blocking acquire) and releases it afterwards.
   *
   * Cancel safety: as {@link RLock.holdSync}.
   *
   * @param fn - the critical section.
   * @param options - as {@link RLock.acquireSync}.
   * @returns what `fn` returns.
   * @throws what `fn` throws; TimeoutError or DeadlockError as {@link RLock.holdSync}.
   */
  withLockSync<T>(fn: () => T, options?: number | AcquireSyncOptions): T {
    const held = this.holdSync(options);
    try {
      return fn();
    } finally {
      held.release();
    }
  }

  /** @returns `<RLock unlocked>` or `<RLock locked owner=<ident> count=<n>>`. */
  toString(): string {
    const owner = Atomics.load(this._state, M_HOLDER);
    if (owner === 0) return '<RLock unlocked>';
    return `<RLock locked owner=${owner - 1} count=${Atomics.load(this._state, M_COUNT)}>`;
  }

  /** @internal */
  [inspect.custom](): string {
    return this.toString();
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
    const lock = Object.assign(Object.create(RLock.prototype) as RLock, wire);
    adoptRegistryIfUnset(lock._registry);
    RLock.attach(lock);
    return lock;
  }

  private reenter(me: number, task: number): boolean {
    if (Atomics.load(this._state, M_HOLDER) !== me) return false;
    const owner = Atomics.load(this._state, M_TASK);
    if (owner !== 0 && owner !== task) return false;
    Atomics.add(this._state, M_COUNT, 1);
    return true;
  }

  private own(me: number, task: number): void {
    Atomics.store(this._state, M_TASK, task);
    Atomics.store(this._state, M_COUNT, 1);
    Atomics.store(this._state, M_HOLDER, me);
  }

  private static attach(lock: RLock): void {
    const core: DetectableLock = {
      name: lock.name,
      id: lock._id,
      state: lock._state,
      holderIndex: M_HOLDER,
      registry: lock._registry,
      detect: lock._detect,
      reentrant: true,
      deadlockTimeout: lock.deadlockTimeout,
    };
    Object.defineProperty(lock, kCore, { value: core });
    rememberLock(core);
  }
}

registerShareable(TAG, (wire: RLock) => RLock.revive(wire));
