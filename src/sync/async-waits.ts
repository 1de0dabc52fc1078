/**
 * The async waits of this thread for each lock, watched for deadlocks as the PostgreSQL server
 * watches its lock waits: an await of a lock without a timeout becomes an edge of the wait-for
 * graph once it has lasted the lock's deadlock timeout (`deadlockTimeout`, default one second).
 * Before that, another async task of the thread may well release what the thread holds, and most
 * contention ends long before.
 *
 * The graph is one of threads, so the awaits of one thread for one lock are one edge: a watch per
 * lock holds its waiters, in arrival order, and one timer. While the watch has waiters its timer
 * runs every {@link POLL_MS} (sooner when the oldest waiter's grace ends first) and:
 *
 * - fails them all when the lock's holder is a thread that has ended (it will never release);
 * - once the oldest has waited the deadlock timeout, publishes the edge (`beginWait`) and walks
 *   the graph; when this thread's edge closes a cycle, every waiter of the watch fails with the
 *   same `DeadlockError` (any of them may hold what the others of the cycle wait for).
 *
 * A failing waiter is flagged, then every waiter of the lock's futex word is woken: the flagged
 * ones throw, the others check the lock and sleep again, so no wake-up meant for one is lost.
 *
 * @module
 */

import { DeadlockError } from '../errors.js';
import { wake } from './futex.js';
import { R_ID } from './registry.js';
import {
  POLL_MS, beginWait, checkCycle, checkEndedHolder, detecting, endWait, graceFor, refreshWait,
  type DetectableLock, type WaitTicket,
} from './wait-for-graph.js';

/** One await of a lock, from the moment it has to wait until it gets the lock or gives up. */
class AsyncWait {
  readonly since = performance.now();
  #failure: DeadlockError | undefined;

  /** @internal */
  constructor(readonly watch: Watch) {}

  /** Throws the deadlock found while it waited, if any, with the waiter's own stack. */
  throwIfFailed(): void {
    const failure = this.#failure;
    if (failure !== undefined) throw new DeadlockError(failure.message, failure.cycle);
  }

  /** @internal */
  fail(error: DeadlockError): void {
    this.#failure = error;
  }
}

interface Watch {
  readonly key: string;
  readonly lock: DetectableLock;
  /** The futex word the waiters sleep on. */
  readonly word: number;
  /** In arrival order: the first is the oldest. */
  readonly waiters: Set<AsyncWait>;
  timer: NodeJS.Timeout | undefined;
  ticket: WaitTicket | undefined;
  /** The oldest waiter when the edge was published: a new oldest starts a new edge. */
  edgeOf: AsyncWait | undefined;
}

const watches = new Map<string, Watch>();

/**
 * Starts watching one await of `lock`, whose waiters sleep on `lock.state[word]`.
 *
 * @param lock - the lock.
 * @param word - index of its futex word.
 * @returns the wait; pass it to {@link endAsyncWait} when the await ends, however it ends.
 */
export function beginAsyncWait(lock: DetectableLock, word: number): AsyncWait {
  const key = `${lock.registry[R_ID]}:${lock.id}`;
  let watch = watches.get(key);
  if (watch === undefined) {
    watch = { key, lock, word, waiters: new Set(), timer: undefined, ticket: undefined, edgeOf: undefined };
    watches.set(key, watch);
  }
  const wait = new AsyncWait(watch);
  watch.waiters.add(wait);
  if (watch.timer === undefined) schedule(watch, nextCheck(watch));
  return wait;
}

/**
 * Stops watching an await (it got the lock, timed out, was aborted or failed).
 *
 * @param wait - from {@link beginAsyncWait}.
 */
export function endAsyncWait(wait: AsyncWait): void {
  const watch = wait.watch;
  if (!watch.waiters.delete(wait)) return;
  if (watch.waiters.size > 0) return;
  clearTimeout(watch.timer);
  watch.timer = undefined;
  unpublish(watch);
  if (watches.get(watch.key) === watch) watches.delete(watch.key);
}

function schedule(watch: Watch, delay: number): void {
  watch.timer = setTimeout(check, delay, watch);
  // The pending futex waits keep the thread alive; this timer must not do it on its own.
  watch.timer.unref();
}

/** Milliseconds until the watch's next look: a poll, or sooner when its oldest waiter's grace ends. */
function nextCheck(watch: Watch): number {
  const oldest = first(watch);
  if (oldest === undefined) return POLL_MS;
  const graceLeft = oldest.since + graceFor(watch.lock) - performance.now();
  return watch.ticket === undefined ? Math.max(0, Math.min(POLL_MS, graceLeft)) : POLL_MS;
}

function check(watch: Watch): void {
  watch.timer = undefined;
  const oldest = first(watch);
  if (oldest === undefined) return;
  try {
    if (!detecting(watch.lock)) {
      unpublish(watch);
    } else {
      checkEndedHolder(watch.lock);
      if (performance.now() - oldest.since >= graceFor(watch.lock)) {
        if (watch.edgeOf !== oldest) unpublish(watch);
        if (watch.ticket === undefined) {
          watch.ticket = beginWait(watch.lock);
          watch.edgeOf = oldest;
        } else {
          refreshWait(watch.ticket);
        }
        if (watch.ticket !== undefined) checkCycle(watch.ticket);
      } else {
        // The deadlock timeout grew, or the oldest waiter left: not an edge (yet).
        unpublish(watch);
      }
    }
  } catch (error) {
    failAll(watch, error as DeadlockError);
    return;
  }
  schedule(watch, nextCheck(watch));
}

function failAll(watch: Watch, error: DeadlockError): void {
  for (const wait of watch.waiters) wait.fail(error);
  watch.waiters.clear();
  unpublish(watch);
  if (watches.get(watch.key) === watch) watches.delete(watch.key);
  // Every sleeper of the word wakes: the failed ones throw, the others look again and sleep.
  wake(watch.lock.state, watch.word);
}

function unpublish(watch: Watch): void {
  if (watch.ticket !== undefined) endWait(watch.ticket);
  watch.ticket = undefined;
  watch.edgeOf = undefined;
}

function first(watch: Watch): AsyncWait | undefined {
  for (const wait of watch.waiters) return wait;
  return undefined;
}
