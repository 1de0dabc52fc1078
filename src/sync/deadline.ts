/**
 * Timeouts become deadlines here, once, and every wait in the library reads them back.
 *
 * A `timeout` is a number of milliseconds: `undefined` or `Infinity` means no limit, `0` means
 * "try once, do not block", and a negative number or `NaN` is a mistake (`ValueError`). A deadline
 * is an absolute time on the `performance.now()` clock, or `Infinity`.
 *
 * Node's `setTimeout` fires after 1 ms when asked for more than 2^31-1 ms (with a
 * TimeoutOverflowWarning). Nothing here ever hands such a number to a timer: long waits are cut
 * into slices of at most {@link MAX_SLICE_MS} and the caller loops until the deadline is really
 * reached, so a long timeout never ends early.
 *
 * @module
 */

import { ValueError } from '../errors.js';

/** The longest single timer or `Atomics.wait` slice handed to the runtime: 2^31-1 ms. */
export const MAX_SLICE_MS = 2 ** 31 - 1;

/**
 * Checks a timeout in milliseconds and returns it as a number (`Infinity` for "no limit").
 *
 * @param timeout - milliseconds, `undefined` or `Infinity` for no limit.
 * @param what - the name used in the error message.
 * @returns the timeout, `Infinity` when there is no limit.
 * @throws ValueError when the timeout is negative, `NaN` or not a number.
 */
export function checkTimeout(timeout: number | undefined, what = 'timeout'): number {
  if (timeout === undefined) return Infinity;
  if (typeof timeout !== 'number' || Number.isNaN(timeout) || timeout < 0) {
    throw new ValueError(
      `${what} must be a non-negative number of milliseconds (or Infinity for no limit), got ${describe(timeout)}`,
    );
  }
  return timeout;
}

/**
 * Turns a timeout in milliseconds into a deadline on the `performance.now()` clock.
 *
 * @param timeout - milliseconds, `undefined` or `Infinity` for no limit.
 * @param what - the name used in the error message.
 * @returns the absolute deadline, or `Infinity`.
 * @throws ValueError when the timeout is negative, `NaN` or not a number.
 */
export function toDeadline(timeout: number | undefined, what = 'timeout'): number {
  const ms = checkTimeout(timeout, what);
  return ms === Infinity ? Infinity : performance.now() + ms;
}

/**
 * Milliseconds left until a deadline: `0` once it has passed, `Infinity` for no deadline.
 *
 * @param deadline - an absolute deadline from {@link toDeadline}.
 * @returns the time left, never negative.
 */
export function remaining(deadline: number): number {
  if (deadline === Infinity) return Infinity;
  return Math.max(0, deadline - performance.now());
}

/**
 * The next slice to wait for: the time left, capped at {@link MAX_SLICE_MS}.
 *
 * @param deadline - an absolute deadline, or `Infinity`.
 * @returns a finite number of milliseconds, `0` when the deadline has passed.
 */
export function nextSlice(deadline: number): number {
  return Math.min(remaining(deadline), MAX_SLICE_MS);
}

/** A cancellable handle returned by {@link setLongTimeout}. */
export interface LongTimeout {
  /** Stops the timer; calling it again, or after it fired, does nothing. */
  cancel(): void;
}

/**
 * `setTimeout` without the 2^31-1 ms trap: `fn` runs once, no earlier than `ms` from now.
 *
 * The timer keeps the event loop alive while it is pending, like `setTimeout`.
 *
 * @param fn - called once when the time is up.
 * @param ms - milliseconds, finite or `Infinity` (which never fires).
 * @returns a handle whose `cancel()` stops it.
 * @throws ValueError when `ms` is negative or `NaN`.
 */
export function setLongTimeout(fn: () => void, ms: number): LongTimeout {
  const deadline = toDeadline(ms, 'interval');
  let handle: NodeJS.Timeout | undefined;
  let done = false;
  const arm = (): void => {
    if (done) return;
    const left = remaining(deadline);
    if (left <= 0) {
      done = true;
      fn();
      return;
    }
    // Timers may fire a fraction of a millisecond early; re-arming on what is left covers that too.
    handle = setTimeout(arm, Math.min(Math.ceil(left), MAX_SLICE_MS));
  };
  if (deadline === Infinity) {
    handle = setInterval(() => {}, MAX_SLICE_MS);
  } else {
    handle = setTimeout(arm, Math.min(Math.ceil(remaining(deadline)), MAX_SLICE_MS));
  }
  return {
    cancel() {
      done = true;
      if (handle !== undefined) clearTimeout(handle);
    },
  };
}

function describe(value: unknown): string {
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') return `'${value}' (string)`;
  return `${String(value)} (${typeof value})`;
}
