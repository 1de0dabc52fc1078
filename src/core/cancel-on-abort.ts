/**
 * How an executor ties a task's Future to the AbortSignal given with it: aborting cancels the
 * task whether it waits or runs (a running one is stopped, `cancel({ force: true })`).
 *
 * @module
 */
import type { Future } from './future.js';

/**
 * Cancels `future` now if `signal` has already aborted, or when it aborts later.
 *
 * @returns the listener, for the executor to remove once the future settles; `undefined` when the
 * signal had already aborted (the future is then cancelled and must not be scheduled).
 */
export function cancelOnAbort(future: Future<unknown>, signal: AbortSignal): (() => void) | undefined {
  if (signal.aborted) {
    future.cancel();
    return undefined;
  }
  const onAbort = (): void => {
    if (!future.cancel()) future.cancel({ force: true });
  };
  signal.addEventListener('abort', onAbort, { once: true });
  return onAbort;
}
