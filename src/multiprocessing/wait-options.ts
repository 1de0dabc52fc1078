/**
 * The options every waiting method takes: a number (a timeout in ms) or
 * `{ block | blocking, timeout, signal }`, checked once here.
 *
 * @module
 */
import { checkTimeout, waitArgument } from '../sync/deadline.js';

/** How long a call may wait. */
export interface WaitOptions {
  /** Milliseconds; `undefined`, `null` or `Infinity` waits as long as it takes, `0` only looks. */
  timeout?: number | null | undefined;
  /** Ends the wait with the signal's reason; the broker forgets the request. */
  signal?: AbortSignal | undefined;
}

/** Options of a queue's `put` and `get` (Python's `block` and `timeout`). */
export interface BlockOptions extends WaitOptions {
  /** `false`: do not wait at all (`timeout` is then ignored, as in Python). Default `true`. */
  block?: boolean | undefined;
}

/** Options of a lock's or semaphore's `acquire` (Python's `blocking` and `timeout`). */
export interface AcquireOptions extends WaitOptions {
  /** `false`: do not wait at all. Default `true`. */
  blocking?: boolean | undefined;
}

/** A wait, normalized: `timeout` is `null` for "no limit" and `0` for "do not wait". */
export interface Wait {
  readonly timeout: number | null;
  readonly signal: AbortSignal | undefined;
}

/**
 * Normalizes `options`.
 *
 * @throws {ValueError} for a negative or NaN timeout.
 * @throws {TypeError} for a timeout that is not a number, `undefined` or `null` (also with
 * `block: false`, which ignores any number).
 */
export function toWait(options: number | (BlockOptions & AcquireOptions) | null | undefined): Wait {
  if (options === undefined) return NO_LIMIT;
  if (typeof options === 'object' && options !== null && (options.block ?? options.blocking) === false) {
    // Python ignores the timeout of a call that does not block; one of the wrong type is still a mistake.
    if (typeof options.timeout !== 'number') checkTimeout(options.timeout);
    return { timeout: 0, signal: options.signal };
  }
  const { timeout, options: rest } = waitArgument(options);
  return { timeout: timeout ?? null, signal: rest?.signal };
}

/** No timeout, no signal: the usual case, one shared object. */
const NO_LIMIT: Wait = Object.freeze({ timeout: null, signal: undefined });

/** Rejects at once when the signal is already aborted. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted === true) throw signal.reason;
}
