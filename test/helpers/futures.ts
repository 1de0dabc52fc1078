/**
 * Pre-set futures, like CPython's `test_concurrent_futures/util.py` (`create_future` and the
 * `PENDING_FUTURE` … `SUCCESSFUL_FUTURE` constants). Futures are mutable, so each fixture is a
 * factory: every test gets fresh ones.
 *
 * @module
 */
import { Future } from '../../src/futures/index.js';
import { OSError } from '../../src/errors.js';

/** The states a fixture can start in: the four public ones, with FINISHED split by outcome. */
export type FixtureState = 'PENDING' | 'RUNNING' | 'CANCELLED' | 'FINISHED' | 'FAILED';

/** Every fixture state, for table-driven tests. */
export const FIXTURE_STATES: readonly FixtureState[] = ['PENDING', 'RUNNING', 'CANCELLED', 'FINISHED', 'FAILED'];

/** What a FINISHED fixture returned and what a FAILED one raised (unless given). */
export const FIXTURE_RESULT = 42;

/**
 * A future already in `state`, reached through the public API only.
 * `FINISHED` holds `result` (default 42); `FAILED` is FINISHED with `exception` (default a new `OSError`).
 */
export function createFuture<T = unknown>(state: FixtureState, outcome: { result?: T; exception?: unknown } = {}): Future<T> {
  const future = new Future<T>();
  switch (state) {
    case 'PENDING':
      break;
    case 'RUNNING':
      future.setRunningOrNotifyCancel();
      break;
    case 'CANCELLED':
      future.cancel();
      break;
    case 'FINISHED':
      future.setRunningOrNotifyCancel();
      future.setResult(('result' in outcome ? outcome.result : FIXTURE_RESULT) as T);
      break;
    case 'FAILED':
      future.setRunningOrNotifyCancel();
      future.setException('exception' in outcome ? outcome.exception : new OSError('fixture failure'));
      break;
  }
  return future;
}

export const pendingFuture = (): Future<number> => createFuture<number>('PENDING');
export const runningFuture = (): Future<number> => createFuture<number>('RUNNING');
export const cancelledFuture = (): Future<number> => createFuture<number>('CANCELLED');
export const exceptionFuture = (): Future<number> => createFuture<number>('FAILED');
export const successfulFuture = (): Future<number> => createFuture<number>('FINISHED');

/** Resolves on the next turn of the event loop, after pending I/O callbacks and microtasks. */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** How a promise ended, without letting a rejection go unhandled. */
export async function settle<T>(promise: PromiseLike<T>): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
  try {
    return { ok: true, value: await promise };
  } catch (error) {
    return { ok: false, error };
  }
}
