/**
 * `Lock`: Python's `threading.Lock` on shared memory, so it really excludes worker threads
 * from each other, with deadlock detection on blocking waits.
 *
 * @module
 */

import { RuntimeError } from '../errors.js';
import { M_HOLDER, unlock } from '../sync/mutex.js';
import { registerShareable } from '../sync/shareable.js';
import { MutexLock, type LockOptions } from './mutex-lock.js';

export type { LockOptions };

const TAG = 'threading.Lock';

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
export class Lock extends MutexLock {
  /**
   * Creates an unlocked lock.
   *
   * @param options - `name`, `detectDeadlock` and `deadlockTimeout`.
   * @throws TypeError or ValueError for a `deadlockTimeout` that is not a number of ms, 0 or more.
   */
  constructor(options: LockOptions = {}) {
    super(TAG, 'Lock', options);
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

  /** @returns `<Lock locked>` or `<Lock unlocked>`. */
  override toString(): string {
    return `<Lock ${this.locked() ? 'locked' : 'unlocked'}>`;
  }

  /** @internal Rebuilds a Lock from its structured-cloned wire state. */
  static revive(wire: Lock): Lock {
    return MutexLock._revive(Lock.prototype, wire);
  }

  /** @internal Nobody owns a Lock: acquiring it again waits (or is a deadlock). */
  protected _reenter(): boolean {
    return false;
  }

  /** @internal The last acquirer, for deadlock reports. */
  protected _own(me: number): void {
    Atomics.store(this._state, M_HOLDER, me);
  }
}

registerShareable(TAG, (wire: Lock) => Lock.revive(wire));
