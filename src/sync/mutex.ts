/**
 * The futex mutex under `Lock` and `RLock`: three states in one Int32 slot, after Drepper's
 * "Futexes Are Tricky" (mutex 3).
 *
 * ```
 * state[M_STATE]   0 unlocked · 1 locked, nobody waits · 2 locked, someone may wait
 * state[M_HOLDER]  owner token (ident + 1) of the last acquirer, 0 when unlocked
 * state[M_COUNT]   recursion count (RLock only)
 * state[M_TASK]    async task scope of the owner, 0 for the thread itself (RLock only)
 * ```
 *
 * Uncontended, acquire is one compare-exchange plus the holder store and release is the holder
 * store plus one compare-exchange. A waiter swaps in 2 before sleeping, so a release that finds
 * 2 knows it must wake someone; a thread that wakes and fails to get the lock has stored 2 again,
 * so no wake-up is ever lost, even when a barging thread takes the lock first or a waiter gives up
 * on its deadline. The lock is not FIFO (neither is Python's): a releasing thread may take it back.
 *
 * @module
 */

import { beginAsyncWait, endAsyncWait } from './async-waits.js';
import { remaining } from './deadline.js';
import { waitAsync, waitSync, wake } from './futex.js';
import {
  POLL_MS, beginWait, checkCycle, checkEndedHolder, checkSelfDeadlock, detecting, endWait, refreshWait,
  type DetectableLock, type WaitTicket,
} from './wait-for-graph.js';

/** Slot of the futex word. */
export const M_STATE = 0;
/** Slot of the holder's owner token. */
export const M_HOLDER = 1;
/** Slot of the recursion count (RLock). */
export const M_COUNT = 2;
/** Slot of the owner's async task scope (RLock). */
export const M_TASK = 3;
/** Int32 slots a mutex needs. */
export const MUTEX_INTS = 4;

const SPINS = 64;

/**
 * Takes the mutex if it is free.
 *
 * @param state - the mutex slots.
 * @returns whether the caller now holds it.
 */
export function tryLock(state: Int32Array): boolean {
  return Atomics.compareExchange(state, M_STATE, 0, 1) === 0;
}

/**
 * Releases the mutex and wakes one waiter if any may be sleeping.
 *
 * @param state - the mutex slots.
 * @returns `false` when it was not locked (nothing changed).
 */
export function unlock(state: Int32Array): boolean {
  for (;;) {
    const current = Atomics.load(state, M_STATE);
    if (current === 0) return false;
    if (Atomics.compareExchange(state, M_STATE, current, 0) === current) {
      if (current === 2) wake(state, M_STATE, 1);
      return true;
    }
  }
}

/**
 * Blocks until the mutex is taken or the deadline passes. Without a deadline, and with detection
 * on, it publishes the wait and re-checks the wait-for graph, and whether the holder's thread has
 * ended, every {@link POLL_MS}.
 *
 * @param lock - the mutex and what detection needs to know of it.
 * @param deadline - absolute deadline, or `Infinity`.
 * @returns whether the caller now holds the mutex.
 * @throws DeadlockError when the wait can never end.
 */
export function lockSync(lock: DetectableLock, deadline: number): boolean {
  const state = lock.state;
  if (tryLock(state)) return true;
  // A short spin first: the holder is often about to release on another core.
  for (let i = 0; i < SPINS && remaining(deadline) > 0; i++) {
    if (Atomics.load(state, M_STATE) === 0 && tryLock(state)) return true;
  }
  let ticket: WaitTicket | undefined;
  let published = false;
  try {
    for (;;) {
      if (Atomics.exchange(state, M_STATE, 2) === 0) return true;
      let until = deadline;
      if (deadline === Infinity && detecting(lock)) {
        if (!published) {
          published = true;
          checkSelfDeadlock(lock);
          ticket = beginWait(lock);
        } else if (ticket !== undefined) {
          refreshWait(ticket);
        }
        checkEndedHolder(lock);
        if (ticket !== undefined) checkCycle(ticket);
        until = performance.now() + POLL_MS;
      }
      const result = waitSync(state, M_STATE, 2, until);
      if (result === 'timed-out' && remaining(deadline) <= 0) {
        // One last try: the lock may have been released exactly at the deadline.
        return Atomics.exchange(state, M_STATE, 2) === 0;
      }
    }
  } finally {
    if (ticket !== undefined) endWait(ticket);
  }
}

/**
 * Waits, without blocking the thread, until the mutex is taken, the deadline passes or the signal
 * aborts. Without a deadline, and with detection on, the wait is watched (`async-waits.ts`): it
 * fails at once, or later, when the holder's thread has ended, and it is an edge of the wait-for
 * graph once it has lasted the lock's deadlock timeout.
 *
 * Cancel safety: on timeout it resolves `false` and on abort it rejects; either way nothing is
 * held and the contended mark left in the state only costs the next release one extra wake call.
 *
 * @param lock - the mutex.
 * @param deadline - absolute deadline, or `Infinity`.
 * @param signal - optional AbortSignal.
 * @returns whether the caller now holds the mutex.
 * @throws the signal's reason when it aborts; DeadlockError when the wait can never end.
 */
export async function lockAsync(lock: DetectableLock, deadline: number, signal?: AbortSignal): Promise<boolean> {
  const state = lock.state;
  // Watched even while the process-wide switch is off: turning it on reaches waits in progress.
  if (deadline === Infinity && lock.detect) return lockAsyncWatched(lock, signal);
  for (;;) {
    if (Atomics.exchange(state, M_STATE, 2) === 0) return true;
    const result = await waitAsync(state, M_STATE, 2, deadline, signal);
    if (result === 'timed-out' && remaining(deadline) <= 0) {
      return Atomics.exchange(state, M_STATE, 2) === 0;
    }
  }
}

async function lockAsyncWatched(lock: DetectableLock, signal: AbortSignal | undefined): Promise<boolean> {
  const state = lock.state;
  if (Atomics.exchange(state, M_STATE, 2) === 0) return true;
  // The next acquirer of a lock whose holder has ended learns it at once.
  if (detecting(lock)) checkEndedHolder(lock);
  const wait = beginAsyncWait(lock, M_STATE);
  try {
    for (;;) {
      await waitAsync(state, M_STATE, 2, Infinity, signal);
      wait.throwIfFailed();
      if (Atomics.exchange(state, M_STATE, 2) === 0) return true;
    }
  } finally {
    endAsyncWait(wait);
  }
}

/**
 * Takes an internal mutex, blocking: for the few-instruction critical sections of a primitive's
 * own bookkeeping (a Barrier's counters), never around user code, so even the main thread only
 * ever blocks here for as long as another thread needs to update a handful of slots.
 *
 * @param state - slots whose index 0 is the mutex word.
 */
export function lockInternal(state: Int32Array): void {
  if (tryLock(state)) return;
  for (let i = 0; i < SPINS; i++) {
    if (Atomics.load(state, M_STATE) === 0 && tryLock(state)) return;
  }
  while (Atomics.exchange(state, M_STATE, 2) !== 0) Atomics.wait(state, M_STATE, 2);
}
