/**
 * What `Lock` and `RLock` share: a futex mutex in shared memory (`sync/mutex.ts`), a name and an
 * id in the process-wide registry, deadlock detection, and a wire state that structured clone
 * carries to another thread (where `revive` rebuilds the lock over the same memory). The two
 * differ only in who owns a hold: nobody (a Lock) or the acquiring thread and task (an RLock).
 *
 * @module
 */

import { inspect } from 'node:util';
import { planAcquire, type AcquireOptions, type AcquireSyncOptions } from '../sync/acquire.js';
import { Acquirable } from '../sync/acquirable.js';
import { ownerToken } from '../sync/current-thread.js';
import { M_HOLDER, MUTEX_INTS, lockAsync, lockSync, tryLock } from '../sync/mutex.js';
import { adoptRegistryIfUnset, checkDeadlockTimeout, nextId, registryView } from '../sync/registry.js';
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

const NON_BLOCKING_TIMEOUT = "can't specify a timeout for a non-blocking call";
const kCore = Symbol('mutex core');

/** The shared part of `Lock` and `RLock`. */
export abstract class MutexLock extends Acquirable {
  /** @internal Wire tag of the shareable contract. */
  readonly __ct: string;
  /** The lock's name, as shown in deadlock reports. */
  readonly name: string;
  /** The `deadlockTimeout` option: `undefined` when the process-wide value applies. */
  readonly deadlockTimeout: number | undefined;
  /** @internal */
  protected readonly _id: number;
  /** @internal The mutex slots (`M_STATE`, `M_HOLDER`, `M_COUNT`, `M_TASK`). */
  protected readonly _state: Int32Array;
  /** @internal */
  protected readonly _registry: Int32Array;
  /** @internal */
  protected readonly _detect: boolean;
  declare private readonly [kCore]: DetectableLock;

  /**
   * @param tag - the wire tag.
   * @param kind - the default name's prefix, `Lock` or `RLock`.
   * @param options - `name`, `detectDeadlock` and `deadlockTimeout`.
   * @throws TypeError or ValueError for a `deadlockTimeout` that is not a number of ms, 0 or more.
   */
  protected constructor(tag: string, kind: 'Lock' | 'RLock', options: LockOptions) {
    super();
    this.__ct = tag;
    this.deadlockTimeout = options.deadlockTimeout === undefined ? undefined : checkDeadlockTimeout(options.deadlockTimeout);
    const registry = registryView();
    this._id = nextId(registry);
    this.name = options.name ?? `${kind}-${this._id}`;
    this._state = new Int32Array(new SharedArrayBuffer(MUTEX_INTS * 4));
    this._registry = registry;
    this._detect = options.detectDeadlock ?? true;
    MutexLock.attach(this);
  }

  /**
   * Acquires the lock (for an RLock its owner takes one more level), waiting without blocking
   * the thread.
   *
   * Cancel safety: when the timeout passes the promise resolves `false`, and when the signal
   * aborts it rejects with the signal's reason; in both cases nothing is held and no trace of the
   * wait is left.
   *
   * @param options - `{ blocking, timeout, signal }`, or a timeout in milliseconds.
   * @returns `true` once acquired; `false` when `blocking: false` found it taken or the timeout passed.
   * @throws ValueError (as a rejection) for a timeout with `blocking: false`, or a negative timeout.
   */
  async acquire(options?: number | AcquireOptions): Promise<boolean> {
    const plan = planAcquire(options, NON_BLOCKING_TIMEOUT);
    plan.signal?.throwIfAborted();
    const me = ownerToken();
    if (this._reenter(me)) return true;
    if (tryLock(this._state) || (plan.blocking && (await lockAsync(this[kCore], plan.deadline, plan.signal)))) {
      this._own(me);
      return true;
    }
    return false;
  }

  /**
   * Acquires the lock (or one more level of an RLock its caller owns), blocking the calling
   * thread (meant for worker threads: on the main thread it stops the event loop while it waits).
   *
   * Cancel safety: a timeout returns `false` with nothing held.
   *
   * @param options - `{ blocking, timeout }`, or a timeout in milliseconds.
   * @returns `true` once acquired; `false` when `blocking: false` found it taken or the timeout passed.
   * @throws ValueError for a timeout with `blocking: false`, or a negative timeout.
   * @throws DeadlockError when waiting without a timeout could never end (detection on).
   */
  acquireSync(options?: number | AcquireSyncOptions): boolean {
    const plan = planAcquire(options, NON_BLOCKING_TIMEOUT);
    const me = ownerToken();
    if (this._reenter(me)) return true;
    if (tryLock(this._state) || (plan.blocking && lockSync(this[kCore], plan.deadline))) {
      this._own(me);
      return true;
    }
    return false;
  }

  /**
   * Whether any thread holds the lock right now (for an RLock, Python 3.14's `RLock.locked()`).
   *
   * @returns the state at the moment of the call.
   */
  locked(): boolean {
    return Atomics.load(this._state, 0) !== 0;
  }

  /** @internal */
  _holdName(): string {
    return this.name;
  }

  /** Python's repr: `<Lock locked>`, `<RLock unlocked>`… */
  abstract override toString(): string;

  /** @internal */
  [inspect.custom](): string {
    return this.toString();
  }

  /** @internal The caller (owner token `me`) already owns the lock: one more level (RLock); `false` for a Lock. */
  protected abstract _reenter(me: number): boolean;

  /** @internal The mutex was just taken by `me`: record the holder. */
  protected abstract _own(me: number): void;

  /** @internal Rebuilds a lock from its structured-cloned wire state, with `prototype`. */
  protected static _revive<T extends MutexLock>(prototype: T, wire: T): T {
    const lock = Object.assign(Object.create(prototype) as T, wire);
    adoptRegistryIfUnset(lock._registry);
    MutexLock.attach(lock);
    return lock;
  }

  // Not a #private method: a revived lock is made by Object.create, not by the constructor.
  private static attach(lock: MutexLock): void {
    const core: DetectableLock = {
      name: lock.name,
      id: lock._id,
      state: lock._state,
      holderIndex: M_HOLDER,
      registry: lock._registry,
      detect: lock._detect,
      // Owned by its holder, so re-acquired by it (an RLock) or not (a Lock).
      reentrant: lock._scoped(),
      deadlockTimeout: lock.deadlockTimeout,
    };
    Object.defineProperty(lock, kCore, { value: core });
    rememberLock(core);
  }
}
