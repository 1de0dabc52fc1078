/**
 * `wait()`: block until some or all of a set of futures are done, like Python's
 * `concurrent.futures.wait`.
 *
 * @module
 */
import { ValueError } from '../errors.js';
import { startTimer, waitArgument } from '../sync/deadline.js';
import type { Future } from './future.js';

/** Return as soon as any future finishes or is cancelled. */
export const FIRST_COMPLETED = 'FIRST_COMPLETED';
/** Return as soon as any future finishes by raising; otherwise like `ALL_COMPLETED`. */
export const FIRST_EXCEPTION = 'FIRST_EXCEPTION';
/** Return when every future is finished or cancelled (the default). */
export const ALL_COMPLETED = 'ALL_COMPLETED';

/** One of the three return conditions of {@link wait}. */
export type ReturnWhen = typeof FIRST_COMPLETED | typeof FIRST_EXCEPTION | typeof ALL_COMPLETED;

/** Options of {@link wait}. */
export interface WaitForOptions {
  /** Milliseconds; when they pass, `wait` returns what is done so far (it does not throw). `undefined` or `null`: no limit. */
  timeout?: number | null | undefined;
  /** When to return; `ALL_COMPLETED` by default. */
  returnWhen?: ReturnWhen | undefined;
}

/** What {@link wait} returns: two disjoint sets covering every distinct input future. */
export interface DoneAndNotDoneFutures<T> {
  /** The futures that finished or were cancelled by the time `wait` returned. */
  done: Set<Future<T>>;
  /** The others. */
  notDone: Set<Future<T>>;
}

/**
 * The result type of a future type. Taking the futures' own type (not `Future<T>`) lets one call
 * mix futures of different result types: `wait([numbers, strings])`.
 */
export type ResultOf<F> = F extends Future<infer T> ? T : never;

const RETURN_WHEN = new Set<string>([FIRST_COMPLETED, FIRST_EXCEPTION, ALL_COMPLETED]);

/**
 * Waits for the futures (from any executors, duplicates allowed) to meet `returnWhen`, or for
 * `timeout` ms to pass.
 *
 * A cancelled future counts as done at once (Python waits until an executor has seen the
 * cancellation; here there is a single CANCELLED state).
 *
 * Cancel safety: a timeout only ends the wait; no future is touched.
 *
 * @param fs - the futures to wait for.
 * @param options - `timeout` in ms (when it passes, `wait` returns what is done so far) and
 *   `returnWhen` (`FIRST_COMPLETED`, `FIRST_EXCEPTION` or `ALL_COMPLETED`, the default); a bare
 *   number is the timeout, as Python's `wait(fs, 5)`.
 * @returns `{ done, notDone }`: two sets that together hold every distinct future of `fs`.
 * @throws {ValueError} (as a rejection) for an unknown `returnWhen` or a negative/NaN timeout.
 * @throws {TypeError} (as a rejection) for a timeout that is not a number, `undefined` or `null`.
 *
 * @example
 * ```ts
 * const { done, notDone } = await wait(futures, { timeout: 2000, returnWhen: FIRST_COMPLETED });
 * ```
 */
export async function wait<F extends Future<unknown>>(fs: Iterable<F>, options?: number | WaitForOptions | null): Promise<DoneAndNotDoneFutures<ResultOf<F>>> {
  type T = ResultOf<F>;
  const { timeout: ms, options: rest } = waitArgument(options);
  const returnWhen = rest?.returnWhen ?? ALL_COMPLETED;
  if (!RETURN_WHEN.has(returnWhen)) throw new ValueError(`Invalid return condition: '${String(returnWhen)}'`);
  const done = new Set<Future<T>>();
  const notDone = new Set<Future<T>>();
  for (const f of fs) (f.done() ? done : notDone).add(f as Future<T>);

  const satisfied = (): boolean => {
    if (notDone.size === 0) return true;
    if (returnWhen === FIRST_COMPLETED) return done.size > 0;
    if (returnWhen === FIRST_EXCEPTION) {
      for (const f of done) if (!f.cancelled() && f._failed()) return true;
    }
    return false;
  };
  if (satisfied() || ms === 0) return { done, notDone };

  await new Promise<void>((resolve) => {
    const unlisteners: Array<() => void> = [];
    const finish = (): void => {
      timer?.clear();
      for (const off of unlisteners) off();
      resolve();
    };
    const timer = ms === undefined ? undefined : startTimer(finish, ms);
    for (const f of [...notDone]) {
      unlisteners.push(f._listen(() => {
        notDone.delete(f);
        done.add(f);
        if (satisfied()) finish();
      }));
    }
  });
  return { done, notDone };
}
