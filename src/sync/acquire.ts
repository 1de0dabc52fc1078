/**
 * What every acquirable primitive shares: the acquire options, their Python checks, and the
 * held-lock disposable that stands in for `with lock:`.
 *
 * @module
 */

import { TimeoutError, ValueError } from '../errors.js';
import { toDeadline, waitArgument } from './deadline.js';

/** Options of a blocking-form acquire (`acquireSync`). A bare number means `{ timeout }`. */
export interface AcquireSyncOptions {
  /** `false`: take it only if it is free right now, never wait. Default `true`. */
  blocking?: boolean;
  /** Give up after this many milliseconds (`undefined`, `null` or `Infinity`: never). */
  timeout?: number | null;
}

/** Options of an async acquire (`acquire`, `hold`). A bare number means `{ timeout }`. */
export interface AcquireOptions extends AcquireSyncOptions {
  /** Abort the wait: the promise rejects with the signal's reason and nothing is held. */
  signal?: AbortSignal;
}

/** @internal Parsed acquire options. */
export interface AcquirePlan {
  readonly blocking: boolean;
  readonly deadline: number;
  readonly signal: AbortSignal | undefined;
}

// The plan of a plain `acquire()`: shared, so the uncontended path allocates nothing.
const BLOCKING: AcquirePlan = Object.freeze({ blocking: true, deadline: Infinity, signal: undefined });

/**
 * @internal Checks acquire options like Python's `acquire(blocking, timeout)`.
 * @param nonBlockingTimeout - the ValueError message when both `blocking: false` and a timeout are given.
 * @throws ValueError on a timeout with `blocking: false`, or a negative/NaN timeout.
 * @throws TypeError for a timeout that is not a number, `undefined` or `null`.
 */
export function planAcquire(options: number | AcquireOptions | null | undefined, nonBlockingTimeout: string): AcquirePlan {
  if (options === undefined || options === null) return BLOCKING;
  const { timeout, options: rest } = waitArgument(options);
  if (rest === undefined) return { blocking: true, deadline: toDeadline(timeout), signal: undefined };
  const blocking = rest.blocking ?? true;
  if (!blocking && timeout !== undefined) throw new ValueError(nonBlockingTimeout);
  return { blocking, deadline: blocking ? toDeadline(timeout) : -Infinity, signal: rest.signal };
}

/**
 * A held lock (or semaphore unit) that releases itself when its scope ends: the `with lock:` of
 * Python as `using held = lock.holdSync()` or `await using held = await lock.hold()`.
 * Releasing twice is harmless: only the first `release()` (or disposal) counts.
 */
export class HeldLock implements Disposable, AsyncDisposable {
  #release: (() => void) | undefined;

  /** @internal */
  constructor(release: () => void) {
    this.#release = release;
  }

  /** Whether this hold has not been released yet. */
  get held(): boolean {
    return this.#release !== undefined;
  }

  /**
   * Releases now instead of at the end of the scope.
   *
   * @throws whatever the primitive's `release()` throws (for example when someone else released it).
   */
  release(): void {
    const release = this.#release;
    this.#release = undefined;
    release?.();
  }

  /** Releases at the end of a `using` scope. */
  [Symbol.dispose](): void {
    this.release();
  }

  /** Releases at the end of an `await using` scope. */
  [Symbol.asyncDispose](): Promise<void> {
    this.release();
    return Promise.resolve();
  }
}

/** @internal The error `hold()` throws when its timeout ran out. */
export function holdTimeout(what: string): TimeoutError {
  return new TimeoutError(`timed out waiting to acquire ${what}`);
}
