/**
 * Every timeout of the library is checked here, one way, and every timer that waits for one is
 * started here. This is the bottom layer: `sync/` and everything above it read timeouts through
 * this module, and it imports nothing but the error classes.
 *
 * The convention, for every wait of the public API (`result`, `wait`, `asCompleted`, `map`,
 * `acquire`, `wait` of a condition, an event or a barrier, `join`, `get`, `put`…):
 *
 * - a timeout is a number of milliseconds; `0` means "look once, do not wait";
 * - `undefined`, `null` or `Infinity` means no limit (`null` is Python's `None`);
 * - a negative number or `NaN` throws `ValueError`;
 * - anything else (a string, an object, a bigint, `true`) throws `TypeError` naming the
 *   parameter, at the call, before anything waits.
 *
 * Read back, a timeout is `number | undefined` (`undefined`: no limit); a deadline is an absolute
 * time on the `performance.now()` clock, `Infinity` for none.
 *
 * Node's `setTimeout` fires after 1 ms when asked for more than 2^31-1 ms (with only a warning),
 * so nothing here hands it such a number: {@link startTimer} chains timers, and blocking waits
 * cut a long wait into slices of at most {@link MAX_SLICE_MS} ({@link nextSlice}). A long
 * timeout never ends early.
 *
 * @module
 */
import { describe } from '../describe.js';
import { ValueError } from '../errors.js';

/** The longest single timer or `Atomics.wait` slice handed to the runtime: 2^31-1 ms. */
export const MAX_SLICE_MS = 2 ** 31 - 1;

/**
 * Checks a timeout.
 *
 * @param timeout - milliseconds; `undefined`, `null` or `Infinity` for no limit.
 * @param name - the parameter's name, for the error message.
 * @returns the timeout in ms, or `undefined` for no limit.
 * @throws {TypeError} when `timeout` is neither a number nor `undefined`/`null`.
 * @throws {ValueError} when it is negative or `NaN`.
 */
export function checkTimeout(timeout: unknown, name = 'timeout'): number | undefined {
  if (timeout === undefined || timeout === null || timeout === Infinity) return undefined;
  if (typeof timeout !== 'number') {
    throw new TypeError(`${name} must be a number of milliseconds (or undefined or null for no limit), got ${describe(timeout)}`);
  }
  if (Number.isNaN(timeout) || timeout < 0) {
    throw new ValueError(`${name} must be a non-negative number of milliseconds, got ${timeout}`);
  }
  return timeout;
}

/** A wait's argument, split: its checked timeout and its options object. */
interface WaitArgument<O> {
  /** Milliseconds, or `undefined` for no limit. */
  readonly timeout: number | undefined;
  /** The options object, when the argument was one. */
  readonly options: O | undefined;
}

/**
 * Reads the argument most waits take: a timeout in ms, `undefined`/`null`, or an options object
 * with a `timeout` field (and others the caller reads from `options`).
 *
 * @param arg - what the caller passed.
 * @param name - the parameter's name, for the error message.
 * @returns the checked timeout and the options object.
 * @throws {TypeError} when `arg` is none of these, or its `timeout` is not a number.
 * @throws {ValueError} for a negative or `NaN` timeout.
 */
export function waitArgument<O extends object>(arg: number | O | null | undefined, name = 'timeout'): WaitArgument<O> {
  if (arg === undefined || arg === null || typeof arg === 'number') return { timeout: checkTimeout(arg, name), options: undefined };
  // Only a plain object is an options object: an array or a boxed number (`[5]`, `new Number(5)`)
  // would otherwise be read as "no timeout" and wait for ever.
  const proto: unknown = typeof arg === 'object' ? Object.getPrototypeOf(arg) : undefined;
  if (typeof arg !== 'object' || (proto !== Object.prototype && proto !== null)) {
    throw new TypeError(`${name} must be a number of milliseconds or an options object such as { timeout }, got ${describe(arg)}`);
  }
  return { timeout: checkTimeout((arg as { timeout?: unknown }).timeout, name), options: arg };
}

/**
 * Turns a timeout into a deadline on the `performance.now()` clock.
 *
 * @param timeout - milliseconds; `undefined`, `null` or `Infinity` for no limit.
 * @param name - the parameter's name, for the error message.
 * @returns the absolute deadline, or `Infinity`.
 * @throws as {@link checkTimeout}.
 */
export function toDeadline(timeout: unknown, name = 'timeout'): number {
  const ms = checkTimeout(timeout, name);
  return ms === undefined ? Infinity : performance.now() + ms;
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

/** A pending {@link startTimer}. */
export interface Timer {
  /** Stops the timer; calling it again, or after it fired, does nothing. */
  clear(): void;
  /** Lets the program exit while this timer is pending (like `setTimeout(…).unref()`). */
  unref(): Timer;
}

/**
 * `setTimeout` without the 2^31-1 ms trap: `fn` runs once, never before `ms` have passed on the
 * `performance.now()` clock, and never synchronously.
 *
 * Timers may fire a fraction of a millisecond early by that clock; the timer then re-arms for
 * what is left, which also chains delays longer than one timer can hold. While pending, the timer
 * keeps the program alive until {@link Timer.unref} is called.
 *
 * @param fn - called once when the time is up.
 * @param ms - milliseconds (a checked timeout); `Infinity` never fires; below 0 counts as 0.
 * @returns the timer.
 */
export function startTimer(fn: () => void, ms: number): Timer {
  let handle: NodeJS.Timeout | undefined;
  let referenced = true;
  const due = performance.now() + Math.max(ms, 0);
  const set = (callback: () => void, delay: number): void => {
    handle = setTimeout(callback, Math.min(Math.max(Math.ceil(delay), 0), MAX_SLICE_MS));
    if (!referenced) handle.unref();
  };
  const arm = (): void => {
    const left = due - performance.now();
    if (left > 0) {
      set(arm, left);
      return;
    }
    handle = undefined;
    fn();
  };
  if (due === Infinity) {
    // Never fires, but holds the program like a pending timer would.
    handle = setInterval(() => {}, MAX_SLICE_MS);
  } else {
    set(arm, due - performance.now());
  }
  const timer: Timer = {
    clear() {
      if (handle !== undefined) clearTimeout(handle);
      handle = undefined;
    },
    unref() {
      referenced = false;
      handle?.unref();
      return timer;
    },
  };
  return timer;
}
