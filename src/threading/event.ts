/**
 * `Event`: Python's event flag on shared memory.
 *
 * ```
 * state[E_FLAG]  1 set · 0 clear
 * state[E_GEN]   bumped by every set() that changed the flag; waiters sleep on it
 * ```
 *
 * A waiter remembers the generation it saw before checking the flag, and returns `true` as soon
 * as the generation moved on, whatever the flag says by then: a `set()` immediately followed by
 * `clear()` still releases everyone who was waiting (a level check alone would miss it).
 *
 * @module
 */

import { inspect } from 'node:util';
import { toDeadline, waitArgument } from '../sync/deadline.js';
import { wake } from '../sync/futex.js';
import { registerShareable } from '../sync/shareable.js';
import { driveAsync, driveSync, type Steps } from '../sync/steps.js';

const TAG = 'threading.Event';
const E_FLAG = 0;
const E_GEN = 1;

/** Options of an async event wait. A bare number means `{ timeout }`. */
export interface EventWaitOptions {
  /** Give up after this many milliseconds (`undefined`/`Infinity`: never). */
  timeout?: number | null;
  /** Abort the wait: the promise rejects with the signal's reason. */
  signal?: AbortSignal;
}

/**
 * A flag that threads can wait for: `set()` wakes every waiter, `clear()` resets it.
 * Passed to a worker it arrives working, over the same memory.
 *
 * @example
 * ```ts
 * const ready = new Event();
 * pool.submit(tasks.worker, ready);
 * ready.set();
 * ```
 */
export class Event {
  /** @internal Wire tag of the shareable contract. */
  readonly __ct: string = TAG;
  private readonly _state: Int32Array;

  /** Creates a cleared event. */
  constructor() {
    this._state = new Int32Array(new SharedArrayBuffer(8));
  }

  /**
   * Whether the flag is set.
   *
   * @returns the flag at the moment of the call.
   */
  isSet(): boolean {
    return Atomics.load(this._state, E_FLAG) === 1;
  }

  /** Sets the flag and wakes every waiter. Setting a set event does nothing. */
  set(): void {
    if (Atomics.compareExchange(this._state, E_FLAG, 0, 1) !== 0) return;
    Atomics.add(this._state, E_GEN, 1);
    wake(this._state, E_GEN);
  }

  /** Clears the flag. Clearing a cleared event does nothing. */
  clear(): void {
    Atomics.store(this._state, E_FLAG, 0);
  }

  /**
   * Waits, without blocking the thread, until the flag is set or the timeout passes.
   *
   * Cancel safety: a timeout resolves `false` and an abort rejects with the signal's reason;
   * nothing is left behind either way.
   *
   * @param options - a timeout in milliseconds, or `{ timeout, signal }`.
   * @returns `true` when the flag was set (even if cleared again since), `false` on timeout.
   * @throws ValueError (as a rejection) for a negative or NaN timeout.
   */
  async wait(options?: number | EventWaitOptions): Promise<boolean> {
    const { timeout, options: rest } = waitArgument(options);
    const signal = rest?.signal;
    const deadline = toDeadline(timeout);
    signal?.throwIfAborted();
    return driveAsync(this.waitSteps(deadline), signal);
  }

  /**
   * Blocking form of {@link Event.wait}, for worker threads.
   *
   * Cancel safety: a timeout returns `false`; nothing is left behind.
   *
   * @param timeout - milliseconds; `undefined`/`Infinity` waits until set.
   * @returns `true` when the flag was set, `false` on timeout.
   * @throws ValueError for a negative or NaN timeout.
   */
  waitSync(timeout?: number | null): boolean {
    return driveSync(this.waitSteps(toDeadline(timeout)));
  }

  /** The wait, in both forms: until a `set()` moves the generation on, or the deadline. */
  private *waitSteps(deadline: number): Steps<boolean> {
    const generation = Atomics.load(this._state, E_GEN);
    if (this.isSet()) return true;
    for (;;) {
      const result = yield { slots: this._state, index: E_GEN, expected: generation, deadline };
      if (Atomics.load(this._state, E_GEN) !== generation) return true;
      if (result === 'timed-out') return this.isSet();
    }
  }

  /** @returns `Event <set>` or `Event <unset>`. */
  toString(): string {
    return `Event <${this.isSet() ? 'set' : 'unset'}>`;
  }

  /** @internal */
  [inspect.custom](): string {
    return this.toString();
  }
}

registerShareable(TAG, (wire: Event) => Object.assign(Object.create(Event.prototype) as Event, wire));
