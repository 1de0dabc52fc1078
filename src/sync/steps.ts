/**
 * One algorithm, two forms. A waiting algorithm with several waits in it is written once as a
 * generator that yields each futex wait it needs; {@link driveSync} performs the waits with
 * `Atomics.wait`, {@link driveAsync} with `Atomics.waitAsync`. The Promise and the `…Sync` form
 * of a primitive therefore cannot drift apart.
 *
 * @module
 */

import { waitAsync, waitSync, type WaitResult } from './futex.js';

/** A wait the algorithm asks for: as `waitSync(slots, index, expected, deadline)`. */
interface WaitStep {
  readonly slots: Int32Array;
  readonly index: number;
  readonly expected: number;
  readonly deadline: number;
}

/** A waiting algorithm: yields waits, receives their results, returns its value. */
export type Steps<T> = Generator<WaitStep, T, WaitResult>;

/**
 * Runs an algorithm, blocking the thread at each wait.
 *
 * @param steps - the algorithm.
 * @returns its value.
 * @throws whatever it throws.
 */
export function driveSync<T>(steps: Steps<T>): T {
  let step = steps.next();
  while (step.done !== true) {
    const { slots, index, expected, deadline } = step.value;
    step = steps.next(waitSync(slots, index, expected, deadline));
  }
  return step.value;
}

/**
 * Runs an algorithm, waiting asynchronously at each wait. An abort is thrown into the
 * algorithm at the wait where it happened, so the algorithm can clean up before it ends.
 *
 * @param steps - the algorithm.
 * @param signal - optional AbortSignal.
 * @returns its value.
 * @throws whatever it throws, including the signal's reason if it does not catch it.
 */
export async function driveAsync<T>(steps: Steps<T>, signal?: AbortSignal): Promise<T> {
  let step = steps.next();
  while (step.done !== true) {
    const { slots, index, expected, deadline } = step.value;
    let result: WaitResult;
    try {
      result = await waitAsync(slots, index, expected, deadline, signal);
    } catch (error) {
      step = steps.throw(error);
      continue;
    }
    step = steps.next(result);
  }
  return step.value;
}
