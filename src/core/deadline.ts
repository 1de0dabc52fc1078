/**
 * Timeouts in milliseconds, checked once and turned into timers that never fire early.
 *
 * Node's `setTimeout` fires after 1 ms when given more than 2^31-1 ms (with only a warning),
 * so a long timeout here is chained through several timers instead.
 *
 * @module
 */
import { ValueError } from '../errors.js';

/** The largest delay one `setTimeout` honours. */
const MAX_TIMER = 2 ** 31 - 1;

/**
 * Validates a timeout in milliseconds. `undefined`, `null` and `Infinity` mean "no limit"
 * and come back as `undefined`.
 *
 * @throws {ValueError} for a negative number or NaN.
 * @throws {TypeError} for anything that is not a number.
 */
export function checkTimeout(timeout: unknown, what = 'timeout'): number | undefined {
  if (timeout === undefined || timeout === null || timeout === Infinity) return undefined;
  if (typeof timeout !== 'number') {
    throw new TypeError(`${what} must be a number of milliseconds, got ${describe(timeout)}`);
  }
  if (Number.isNaN(timeout) || timeout < 0) {
    throw new ValueError(`${what} must be a non-negative number of milliseconds, got ${timeout}`);
  }
  return timeout;
}

/** A cancellable timer that honours delays above 2^31-1 ms. */
export interface Timer {
  clear(): void;
  /** Lets the process exit while this timer is pending. */
  unref(): Timer;
}

/** Runs `fn` once after `ms` milliseconds. */
export function startTimer(fn: () => void, ms: number): Timer {
  let handle: NodeJS.Timeout | undefined;
  let referenced = true;
  const due = performance.now() + ms;
  const arm = (delay: number): void => {
    handle = setTimeout(() => {
      const left = due - performance.now();
      if (left > 0.5) arm(left);
      else fn();
    }, Math.min(Math.max(delay, 0), MAX_TIMER));
    if (!referenced) handle.unref();
  };
  arm(ms);
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

/** A short readable description of a value for error messages. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string': return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value) + ' (string)';
    case 'function': return `function ${value.name || '(anonymous)'}`;
    case 'object': return `${(value).constructor.name || 'Object'} object`;
    case 'bigint': return `${value}n (bigint)`;
    case 'symbol': return `${String(value)} (symbol)`;
    case 'number': case 'boolean': return `${value} (${typeof value})`;
    case 'undefined': return 'undefined';
  }
  return typeof value;
}
