/**
 * How an executor ties a task's Future to the AbortSignal given with it: aborting cancels the
 * task whether it waits or runs (a running one is stopped, `cancel({ force: true })`).
 *
 * One signal is often shared by many tasks (`withOptions({ signal })` for a whole batch). A
 * listener per task would make Node print `MaxListenersExceededWarning` past 10 tasks and make
 * each abort walk thousands of listeners; so a signal gets one listener, which cancels the set of
 * its futures that have not settled. A future leaves the set when it settles, and the listener is
 * removed when the set is empty, so a long-lived signal keeps nothing alive.
 *
 * @module
 */
import type { Future } from './future.js';

interface Watch {
  readonly futures: Set<Future<unknown>>;
  readonly onAbort: () => void;
}

const watches = new WeakMap<AbortSignal, Watch>();

/**
 * Cancels `future` now if `signal` has already aborted, or when it aborts later (futures sharing
 * a signal are cancelled in the order they were tied to it).
 *
 * @returns a function that unties the future early (it is untied anyway when it settles);
 * `undefined` when the signal had already aborted (the future is then cancelled and must not be
 * scheduled). The signal never holds this function as a listener: removing it from the signal
 * does nothing.
 */
export function cancelOnAbort(future: Future<unknown>, signal: AbortSignal): (() => void) | undefined {
  if (signal.aborted) {
    future.cancel();
    return undefined;
  }
  let watch = watches.get(signal);
  if (watch === undefined) {
    const futures = new Set<Future<unknown>>();
    const onAbort = (): void => {
      watches.delete(signal);
      // A copy: each cancel settles a future, which takes it out of the set.
      for (const f of [...futures]) {
        if (!f.cancel()) f.cancel({ force: true });
      }
      futures.clear();
    };
    watch = { futures, onAbort };
    watches.set(signal, watch);
    signal.addEventListener('abort', onAbort, { once: true });
  }
  const tied = watch;
  const { futures, onAbort } = tied;
  futures.add(future);
  const untie = (): void => {
    if (!futures.delete(future) || futures.size > 0) return;
    if (watches.get(signal) === tied) watches.delete(signal);
    signal.removeEventListener('abort', onAbort);
  };
  const unlisten = future._listen(untie);
  return () => {
    unlisten();
    untie();
  };
}
