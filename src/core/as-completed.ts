/**
 * `asCompleted()`: the futures in the order they finish, like Python's
 * `concurrent.futures.as_completed`.
 *
 * Written as a plain async iterator, not an async generator: a generator awaits what it yields,
 * and a Future is thenable, so it would yield results instead of futures.
 *
 * @module
 */
import { TimeoutError } from '../errors.js';
import { startTimer, waitArgument, type Timer } from '../sync/deadline.js';
import type { CompletedFuture, Future } from './future.js';
import { orderedNext } from './ordered-next.js';
import type { ResultOf } from './wait.js';

/** Options of {@link asCompleted}. */
export interface AsCompletedOptions {
  /** One deadline in ms, counted from the call, for the whole iteration. `undefined` or `null`: no limit. */
  timeout?: number | null | undefined;
}

/**
 * Yields each distinct future once: first those already done, then the others as they finish
 * (failed and cancelled ones included; the iterator yields futures, not results).
 *
 * Cancel safety: leaving the loop early (`break`) unsubscribes from the remaining futures.
 *
 * @param fs - the futures, from any executors; duplicates are yielded once.
 * @param options - `timeout`: one deadline in ms for the whole iteration (a bare number is the
 * timeout, as Python's `as_completed(fs, 5)`).
 * @returns an async iterator of the futures as they finish; read each with `await f.result()`.
 * @throws {ValueError} (at once) for a negative or NaN timeout.
 * @throws {TypeError} (at once) for a timeout that is not a number, `undefined` or `null`.
 * @throws {TimeoutError} from the iterator, `"N (of M) futures unfinished"`, when the deadline
 * passes first.
 */
export function asCompleted<F extends Future<unknown>>(fs: Iterable<F>, options?: number | AsCompletedOptions | null): AsyncIterableIterator<CompletedFuture<ResultOf<F>>> {
  type T = ResultOf<F>;
  const ms = waitArgument(options).timeout;
  const deadline = ms === undefined ? undefined : performance.now() + ms;
  const pending = new Set<Future<T>>(fs as Iterable<Future<T>>);
  const total = pending.size;
  const finished: Array<Future<T>> = [];
  for (const f of pending) if (f.done()) finished.push(f);
  for (const f of finished) pending.delete(f);

  let wake: (() => void) | undefined;
  let closed = false;
  const unlisteners: Array<() => void> = [];
  const close = (): void => {
    closed = true;
    for (const off of unlisteners.splice(0)) off();
    pending.clear();
    // A next() may be waiting (return() called while it was pending): it must end, not hang.
    wake?.();
  };
  for (const f of pending) {
    unlisteners.push(f._listen(() => {
      pending.delete(f);
      finished.push(f);
      wake?.();
    }));
  }

  const step = (): IteratorResult<Future<T>> | undefined => {
    const next = finished.shift();
    if (next !== undefined) return { done: false, value: next };
    if (closed || pending.size === 0) {
      close();
      return { done: true, value: undefined };
    }
    if (deadline !== undefined && deadline - performance.now() <= 0) {
      const error = new TimeoutError(`${pending.size} (of ${total}) futures unfinished`);
      close();
      throw error;
    }
    return undefined;
  };
  const sleep = (): Promise<void> => new Promise<void>((resolve) => {
    let timer: Timer | undefined;
    wake = () => {
      wake = undefined;
      timer?.clear();
      resolve();
    };
    if (deadline !== undefined) timer = startTimer(wake, deadline - performance.now());
  });
  // Calls in flight at once take turns, as an async generator's do.
  const next = orderedNext(step, sleep);

  const iterator: AsyncIterableIterator<Future<T>> = {
    [Symbol.asyncIterator]: () => iterator,
    next,
    return(): Promise<IteratorResult<Future<T>>> {
      close();
      finished.length = 0;
      return Promise.resolve({ done: true, value: undefined });
    },
  };
  return iterator;
}
