/**
 * The base of every primitive that is acquired and released: it owns Python's `with lock:`, in
 * both forms, written once on top of the primitive's own `acquire`, `acquireSync` and `release`.
 *
 * | Python | Promise form | blocking form (worker threads) |
 * | --- | --- | --- |
 * | `with lock:` | `await using held = await lock.hold()` | `using held = lock.holdSync()` |
 * | `with lock: f()` | `await lock.withLock(f)` | `lock.withLockSync(f)` |
 *
 * - {@link Acquirable}: a primitive with its own acquire and release (`Lock`, `RLock`, `Semaphore`).
 * - {@link Guarded}: one acquired through the lock that guards it (a `Condition`, a synchronized
 *   `Value`): every form is its lock's, so a hold and its timeout message are the lock's own.
 *
 * The multiprocessing handles have another base class (`SharedObject`, their wire state); they
 * take the same methods from here with {@link lend}, and declare them by merging {@link Holds}
 * into their class.
 *
 * @module
 */
import { HeldLock, holdTimeout, type AcquireOptions, type AcquireSyncOptions } from './acquire.js';
import { inTaskScope } from './current-thread.js';

/** A primitive's own acquire and release. */
export interface Acquire {
  /** Acquires, waiting without blocking the thread; `false` when `blocking: false` found it taken or the timeout passed. */
  acquire(options?: number | AcquireOptions): Promise<boolean>;
  /** Acquires, blocking the calling thread (for worker threads); `false` as for `acquire`. */
  acquireSync(options?: number | AcquireSyncOptions): boolean;
  /** Releases what one acquire took. */
  release(): void;
}

/** Python's `with lock:` in both forms, built on {@link Acquire}. */
export interface Holds {
  /**
   * Acquires and returns a hold that releases at the end of an `await using` scope.
   *
   * Cancel safety: as `acquire`; on timeout or abort nothing is held.
   *
   * @param options - as `acquire`.
   * @returns the hold; disposing it (or its `release()`) releases.
   * @throws TimeoutError when the timeout passed (or `blocking: false` found it taken).
   */
  hold(options?: number | AcquireOptions): Promise<HeldLock>;
  /**
   * Acquires, blocking, and returns a hold that releases at the end of a `using` scope.
   *
   * Cancel safety: on timeout nothing is held.
   *
   * @param options - as `acquireSync`.
   * @returns the hold.
   * @throws TimeoutError when the timeout passed; DeadlockError as `acquireSync`.
   */
  holdSync(options?: number | AcquireSyncOptions): HeldLock;
  /**
   * Runs `fn` while holding and releases afterwards, also when `fn` throws. For a primitive owned
   * by its holder (an `RLock`, the multiprocessing locks) `fn` runs in an async task scope (the
   * caller's, or a new one), so other async tasks of this thread wait for it.
   *
   * Cancel safety: as `hold`; `fn` does not run when nothing was acquired.
   *
   * @param fn - the critical section.
   * @param options - as `acquire`.
   * @returns what `fn` returns.
   * @throws what `fn` throws; TimeoutError when not acquired in time.
   */
  withLock<T>(fn: () => T | Promise<T>, options?: number | AcquireOptions): Promise<T>;
  /**
   * Runs `fn` while holding (blocking acquire) and releases afterwards.
   *
   * Cancel safety: as `holdSync`.
   *
   * @param fn - the critical section.
   * @param options - as `acquireSync`.
   * @returns what `fn` returns.
   * @throws what `fn` throws; TimeoutError or DeadlockError as `holdSync`.
   */
  withLockSync<T>(fn: () => T, options?: number | AcquireSyncOptions): T;
}

/** What a primitive tells the conveniences about itself. @internal */
interface HoldHooks {
  /** What a hold's timeout names: `timed out waiting to acquire <name>`. */
  _holdName(): string;
  /** `withLock` runs its function in an async task scope: holds are owned per task. */
  _scoped(): boolean;
}

/** A primitive with its own acquire and release; the holds are built on them. */
export abstract class Acquirable implements Acquire, Holds, HoldHooks {
  abstract acquire(options?: number | AcquireOptions): Promise<boolean>;
  abstract acquireSync(options?: number | AcquireSyncOptions): boolean;
  abstract release(): void;

  /** @internal */
  abstract _holdName(): string;

  /** @internal */
  _scoped(): boolean {
    return false;
  }

  /** {@inheritDoc Holds.hold} */
  async hold(options?: number | AcquireOptions): Promise<HeldLock> {
    if (!(await this.acquire(options))) throw holdTimeout(this._holdName());
    return new HeldLock(() => this.release());
  }

  /** {@inheritDoc Holds.holdSync} */
  holdSync(options?: number | AcquireSyncOptions): HeldLock {
    if (!this.acquireSync(options)) throw holdTimeout(this._holdName());
    return new HeldLock(() => this.release());
  }

  /** {@inheritDoc Holds.withLock} */
  withLock<T>(fn: () => T | Promise<T>, options?: number | AcquireOptions): Promise<T> {
    const run = async (): Promise<T> => {
      const held = await this.hold(options);
      try {
        return await fn();
      } finally {
        held.release();
      }
    };
    return this._scoped() ? inTaskScope(run) : run();
  }

  /** {@inheritDoc Holds.withLockSync} */
  withLockSync<T>(fn: () => T, options?: number | AcquireSyncOptions): T {
    const held = this.holdSync(options);
    try {
      return fn();
    } finally {
      held.release();
    }
  }
}

/** A primitive acquired through the lock that guards it: each form is the lock's. */
export abstract class Guarded implements Acquire, Holds {
  /** The lock. @internal */
  abstract _guard(): Acquire & Holds;

  /** {@inheritDoc Acquire.acquire} */
  acquire(options?: number | AcquireOptions): Promise<boolean> {
    return this._guard().acquire(options);
  }

  /** {@inheritDoc Acquire.acquireSync} */
  acquireSync(options?: number | AcquireSyncOptions): boolean {
    return this._guard().acquireSync(options);
  }

  /** {@inheritDoc Acquire.release} */
  release(): void {
    this._guard().release();
  }

  /** {@inheritDoc Holds.hold} */
  hold(options?: number | AcquireOptions): Promise<HeldLock> {
    return this._guard().hold(options);
  }

  /** {@inheritDoc Holds.holdSync} */
  holdSync(options?: number | AcquireSyncOptions): HeldLock {
    return this._guard().holdSync(options);
  }

  /** {@inheritDoc Holds.withLock} */
  withLock<T>(fn: () => T | Promise<T>, options?: number | AcquireOptions): Promise<T> {
    return this._guard().withLock(fn, options);
  }

  /** {@inheritDoc Holds.withLockSync} */
  withLockSync<T>(fn: () => T, options?: number | AcquireSyncOptions): T {
    return this._guard().withLockSync(fn, options);
  }
}

/**
 * Gives the classes of another hierarchy the methods of `base` that they do not define
 * themselves: the multiprocessing handles, whose base is `SharedObject`, get their holds from
 * {@link Acquirable} (they provide `acquire`, `acquireSync`, `release` and the hooks) or every form
 * from {@link Guarded} (they provide `_guard`). The class declares the methods by merging
 * {@link Holds} (and {@link Acquire}) into its type.
 *
 * @param target - the class.
 * @param base - `Acquirable` or `Guarded`.
 */
export function lend(target: { prototype: object }, base: typeof Acquirable | typeof Guarded): void {
  for (let proto: object | null = base.prototype; proto !== null && proto !== Object.prototype; proto = Object.getPrototypeOf(proto) as object | null) {
    for (const [key, descriptor] of Object.entries(Object.getOwnPropertyDescriptors(proto))) {
      if (key !== 'constructor' && !(key in target.prototype)) Object.defineProperty(target.prototype, key, descriptor);
    }
  }
}
