/**
 * `Lock`: Python's `threading.Lock` on shared memory, so it really excludes worker threads
 * from each other, with deadlock detection on blocking waits.
 *
 * @module
 */

import { inspect } from 'node:util';
import { RuntimeError } from '../errors.js';
import { HeldLock, holdTimeout, planAcquire, type AcquireOptions, type AcquireSyncOptions } from '../sync/acquire.js';
import { ownerToken } from '../sync/current-thread.js';
import { M_HOLDER, MUTEX_INTS, lockAsync, lockSync, tryLock, unlock } from '../sync/mutex.js';
import { adoptRegistryIfUnset, checkDeadlockTimeout, nextId, registryView } from '../sync/registry.js';
import { registerShareable } from '../sync/shareable.js';
import { rememberLock, type DetectableLock } from '../sync/wait-for-graph.js';

/** Options of `new Lock()` and `new RLock()`. */
export interface LockOptions {
  /** Name shown in deadlock reports. Default: `Lock-<n>` / `RLock-<n>`, unique in the process. */
  name?: string;
  /**
   * `false` takes this lock out of deadlock detection: a blocking re-acquire by its last
   * acquirer then just blocks (until another thread releases it, as Python allows), and a lock
   * whose holder has ended just stays held. Default `true`.
   */
  detectDeadlock?: boolean;
  /**
   * How long an await of this lock (`acquire()`, `hold()`, `withLock()`, a Condition taking it
   * back) waits, in milliseconds, before it counts in the wait-for graph; `Infinity`: awaits of it
   * never do (blocking waits still count at once). Default: the process-wide value,
   * `setDeadlockTimeout()`, itself 1000 by default.
   */
  deadlockTimeout?: number;
}

const TAG = 'threading.Lock';
const NON_BLOCKING_TIMEOUT = "can't specify a timeout for a non-blocking call";
const kCore = Symbol('lock core');

/**
 * A primitive lock: locked or unlocked, owned by nobody. Any thread may release it, whoever
 * acquired it (as in Python). Passed to a worker it arrives working, over the same memory.
 *
 * `acquire()` returns a Promise (the thread's event loop keeps running); `acquireSync()` blocks
 * the thread and is meant for worker threads. A blocking acquire without a timeout that can never
 * succeed (its last acquirer is the caller, or it closes a cycle of blocked threads) throws
 * `DeadlockError` instead of hanging.
 *
 * @example
 * ```ts
 * const lock = new Lock({ name: 'output' });
 * await lock.withLock(async () => { console.log('only one at a time'); });
 * ```
 */
export class Lock {
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
   * Creates an unlocked lock.
   *
   * @param options - `name`, `detectDeadlock` and `deadlockTimeout`.
   * @throws TypeError or ValueError for a `deadlockTimeout` that is not a number of ms, 0 or more.
   */
  constructor(options: LockOptions = {}) {
    this.deadlockTimeout = options.deadlockTimeout === undefined ? undefined : checkDeadlockTimeout(options.deadlockTimeout);
    const registry = registryView();
    this._id = nextId(registry);
    this.name = options.name ?? `Lock-${this._id}`;
    this._state = new Int32Array(new SharedArrayBuffer(MUTEX_INTS * 4));
    this._registry = registry;
    this._detect = options.detectDeadlock ?? true;
    Lock.attach(this);
  }

  /**
   * Acquires the lock, waiting without blocking the thread.
   *
   * Cancel safety: when the timeout passes the promise resolves `false`, and when the signal
   * aborts it rejects with the signal's reason; in both cases the lock is not held and no
   * trace of the wait is left.
   *
   * @param options - `{ blocking, timeout, signal }`, or a timeout in milliseconds.
   * @returns `true` once acquired; `false` when `blocking: false` found it locked or the timeout passed.
   * @throws ValueError (as a rejection) for a timeout with `blocking: false`, or a negative timeout.
   */
  async acquire(options?: number | AcquireOptions): Promise<boolean> {
    const plan = planAcquire(options, NON_BLOCKING_TIMEOUT);
    plan.signal?.throwIfAborted();
    if (tryLock(this._state) || (plan.blocking && (await lockAsync(this[kCore], plan.deadline, plan.signal)))) {
      Atomics.store(this._state, M_HOLDER, ownerToken());
      return true;
    }
    return false;
  }

  /**
   * Acquires the lock, blocking the calling thread (meant for worker threads: on the main
   * thread it stops the event loop while it waits).
   *
   * Cancel safety: a timeout returns `false` with nothing held.
   *
   * @param options - `{ blocking, timeout }`, or a timeout in milliseconds.
   * @returns `true` once acquired; `false` when `blocking: false` found it locked or the timeout passed.
   * @throws ValueError for a timeout with `blocking: false`, or a negative timeout.
   * @throws DeadlockError when waiting without a timeout could never end (detection on).
   */
  acquireSync(options?: number | AcquireSyncOptions): boolean {
    const plan = planAcquire(options, NON_BLOCKING_TIMEOUT);
    if (tryLock(this._state) || (plan.blocking && lockSync(this[kCore], plan.deadline))) {
      Atomics.store(this._state, M_HOLDER, ownerToken());
      return true;
    }
    return false;
  }

  /**
   * Releases the lock. Any thread may release it, not only the one that acquired it.
   *
   * @throws RuntimeError `release unlocked lock` when it is not locked.
   */
  release(): void {
    const holder = Atomics.exchange(this._state, M_HOLDER, 0);
    if (!unlock(this._state)) {
      Atomics.store(this._state, M_HOLDER, holder);
      throw new RuntimeError('release unlocked lock');
    }
  }

  /**
   * Whether the lock is held by any thread right now.
   *
   * @returns the state at the moment of the call.
   */
  locked(): boolean {
    return Atomics.load(this._state, 0) !== 0;
  }

  /**
   * Acquires the lock and returns a hold that releases it at the end of an `await using` scope.
   *
   * Cancel safety: as {@link Lock.acquire}; on timeout or abort nothing is held.
   *
   * @param options - as {@link Lock.acquire}.
   * @returns the hold.
   * @throws TimeoutError when the timeout passed (or `blocking: false` found it locked).
   */
  async hold(options?: number | AcquireOptions): Promise<HeldLock> {
    if (!(await this.acquire(options))) throw holdTimeout(this.name);
    return new HeldLock(() => this.release());
  }

  /**
   * Acquires the lock, blocking, and returns a hold that releases it at the end of a `using` scope.
   *
   * Cancel safety: on timeout nothing is held.
   *
   * @param options - as {@link Lock.acquireSync}.
   * @returns the hold.
   * @throws TimeoutError when the timeout passed; DeadlockError as {@link Lock.acquireSync}.
   */
  holdSync(options?: number | AcquireSyncOptions): HeldLock {
    if (!this.acquireSync(options)) throw holdTimeout(this.name);
    return new HeldLock(() => this.release());
  }

  /**
   * Runs `fn` while holding the lock and releases it afterwards, also when `fn` throws.
   *
   * Cancel safety: as {@link Lock.hold}; `fn` does not run when the lock was not acquired.
   *
   * @param fn - the critical section.
   * @param options - as {@link Lock.acquire}.
   * @returns what `fn` returns.
   * @throws what `fn` throws; TimeoutError when the lock was not acquired in time.
   */
  async withLock<T>(fn: () => T | Promise<T>, options?: number | AcquireOptions): Promise<T> {
    const held = await this.hold(options);
    try {
      return await fn();
    } finally {
      held.release();
    }
  }

  /**
   * Runs `fn` while holding the lock (blocking acquire) and releases it afterwards.
   *
   * Cancel safety: as {@link Lock.holdSync}.
   *
   * @param fn - the critical section.
   * @param options - as {@link Lock.acquireSync}.
   * @returns what `fn` returns.
   * @throws what `fn` throws; TimeoutError or DeadlockError as {@link Lock.holdSync}.
   */
  withLockSync<T>(fn: () => T, options?: number | AcquireSyncOptions): T {
    const held = this.holdSync(options);
    try {
      return fn();
    } finally {
      held.release();
    }
  }

  /** @returns `<Lock locked>` or `<Lock unlocked>`. */
  toString(): string {
    return `<Lock ${this.locked() ? 'locked' : 'unlocked'}>`;
  }

  /** @internal */
  [inspect.custom](): string {
    return this.toString();
  }

  /** @internal Rebuilds a Lock from its structured-cloned wire state. */
  static revive(wire: Lock): Lock {
    const lock = Object.assign(Object.create(Lock.prototype) as Lock, wire);
    adoptRegistryIfUnset(lock._registry);
    Lock.attach(lock);
    return lock;
  }

  private static attach(lock: Lock): void {
    const core: DetectableLock = {
      name: lock.name,
      id: lock._id,
      state: lock._state,
      holderIndex: M_HOLDER,
      registry: lock._registry,
      detect: lock._detect,
      reentrant: false,
      deadlockTimeout: lock.deadlockTimeout,
    };
    Object.defineProperty(lock, kCore, { value: core });
    rememberLock(core);
  }
}

registerShareable(TAG, (wire: Lock) => Lock.revive(wire));
