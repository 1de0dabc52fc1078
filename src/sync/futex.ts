/**
 * The one low-level primitive: wait until an Int32 slot of shared memory stops holding an
 * expected value, or until a deadline; and wake the threads waiting on a slot.
 *
 * Every lock, semaphore, event, condition and barrier of the library is a small protocol of
 * atomic operations on a few slots plus these three calls. Like a Linux futex, a wait may end
 * without the awaited change (a "spurious" wake-up), so every caller re-checks its condition in
 * a loop; that is what makes the layer simple and the protocols above it robust.
 *
 * - {@link waitSync} blocks the calling thread (`Atomics.wait`): for worker threads, and for the
 *   main thread only when blocking its event loop is acceptable.
 * - {@link waitAsync} returns a Promise (`Atomics.waitAsync`): the thread's event loop keeps
 *   running. A pending async wait keeps the event loop alive, as a blocked Python thread keeps
 *   the program alive.
 * - {@link wake} wakes up to `count` waiters, oldest first, whichever form they used.
 *
 * @module
 */

import { nextSlice } from './deadline.js';

// `Atomics.waitAsync` is in Node 20 but only in TypeScript's ES2024 lib; describe what is used.
interface AtomicsWaitAsync {
  waitAsync(
    slots: Int32Array,
    index: number,
    expected: number,
    timeout: number,
  ): { async: false; value: 'not-equal' | 'timed-out' } | { async: true; value: Promise<'ok' | 'timed-out'> };
}
const atomics = Atomics as unknown as AtomicsWaitAsync;

const kBeforeBlock = Symbol.for('concurrent-ts.before-block');
/** A wait not over within this long (ms) is a real wait: {@link beforeBlock} is called then. */
const SHORT_WAIT_MS = 1;

/**
 * Called by every blocking wait of the library just before it blocks the thread. In a pool worker
 * it sends the results of the batch's earlier tasks (the wait may be for the program to react to
 * one of them) and gives back the tasks the worker holds and has not started (they would wait
 * behind this one); elsewhere it does nothing.
 */
export function beforeBlock(): void {
  (globalThis as { [kBeforeBlock]?: () => void })[kBeforeBlock]?.();
}

/** How a wait ended: woken (`'ok'`), the slot did not hold the expected value, or the deadline passed. */
export type WaitResult = 'ok' | 'not-equal' | 'timed-out';

/**
 * Blocks until `slots[index]` is woken while holding `expected`, or until the deadline.
 *
 * @param slots - an Int32Array over a SharedArrayBuffer.
 * @param index - the slot to wait on.
 * @param expected - wait only while the slot holds this value.
 * @param deadline - absolute `performance.now()` time, or `Infinity`.
 * @returns `'not-equal'` at once when the slot holds something else; `'ok'` when woken;
 * `'timed-out'` only once the deadline has really passed.
 */
export function waitSync(slots: Int32Array, index: number, expected: number, deadline: number): WaitResult {
  // A wait that does not end at once is a real wait: say so before sleeping on.
  const first = Atomics.wait(slots, index, expected, Math.min(SHORT_WAIT_MS, Math.max(0, nextSlice(deadline))));
  if (first !== 'timed-out') return first;
  if (nextSlice(deadline) > 0) beforeBlock();
  for (;;) {
    const slice = nextSlice(deadline);
    if (slice <= 0) return Atomics.load(slots, index) === expected ? 'timed-out' : 'not-equal';
    const result = Atomics.wait(slots, index, expected, slice);
    // A slice shorter than the deadline ran out: wait again for what is left.
    if (result !== 'timed-out' || nextSlice(deadline) <= 0) return result;
  }
}

/**
 * Waits without blocking the thread until `slots[index]` is woken while holding `expected`,
 * or until the deadline, or until `signal` aborts.
 *
 * Cancel safety: an abort rejects with `signal.reason` and wakes every waiter of the slot once,
 * so that the abandoned waiter does not swallow a wake-up meant for another; those waiters
 * re-check their condition and wait again. Nothing else is left behind.
 *
 * @param slots - an Int32Array over a SharedArrayBuffer.
 * @param index - the slot to wait on.
 * @param expected - wait only while the slot holds this value.
 * @param deadline - absolute `performance.now()` time, or `Infinity`.
 * @param signal - optional AbortSignal.
 * @returns as {@link waitSync}.
 * @throws the signal's reason when it aborts.
 */
export async function waitAsync(
  slots: Int32Array,
  index: number,
  expected: number,
  deadline: number,
  signal?: AbortSignal,
): Promise<WaitResult> {
  for (;;) {
    signal?.throwIfAborted();
    const slice = nextSlice(deadline);
    if (slice <= 0) return Atomics.load(slots, index) === expected ? 'timed-out' : 'not-equal';
    const pending = atomics.waitAsync(slots, index, expected, slice);
    if (!pending.async) return pending.value;
    const result = await settle(pending.value, slots, index, signal);
    if (result !== 'timed-out' || nextSlice(deadline) <= 0) return result;
  }
}

/**
 * Wakes up to `count` threads or tasks waiting on `slots[index]`, oldest first.
 *
 * @param slots - an Int32Array over a SharedArrayBuffer.
 * @param index - the slot.
 * @param count - how many to wake; `Infinity` for all.
 * @returns how many were woken.
 */
export function wake(slots: Int32Array, index: number, count = Infinity): number {
  return Atomics.notify(slots, index, count);
}

// V8 does not keep the event loop alive for a pending Atomics.waitAsync, not even one with a
// timeout: without this, a worker awaiting a lock would simply exit mid-wait.
let keepAliveCount = 0;
let keepAlive: NodeJS.Timeout | undefined;

function keepProcessAlive(): void {
  if (keepAliveCount++ === 0) keepAlive = setInterval(noop, 2 ** 30);
}

function letProcessExit(): void {
  if (--keepAliveCount === 0 && keepAlive !== undefined) {
    clearInterval(keepAlive);
    keepAlive = undefined;
  }
}

function noop(): void {}

async function settle(
  promise: Promise<'ok' | 'timed-out'>,
  slots: Int32Array,
  index: number,
  signal: AbortSignal | undefined,
): Promise<'ok' | 'timed-out'> {
  keepProcessAlive();
  try {
    if (signal === undefined) return await promise;
    return await new Promise<'ok' | 'timed-out'>((resolve, reject) => {
      const onAbort = (): void => {
        // The V8 waiter cannot be withdrawn. Wake them all so it does not sit in the queue and
        // absorb a later single wake-up meant for a live waiter; the others just re-check.
        Atomics.notify(slots, index);
        reject(signal.reason);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      promise.then((value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      }, reject);
    });
  } finally {
    letProcessExit();
  }
}
