/**
 * `Semaphore` and `BoundedSemaphore`: Python's counting semaphores on shared memory.
 *
 * ```
 * state[S_VALUE]     the counter; waiters sleep on it while it is 0
 * state[S_SLEEPERS]  how many may be asleep, so that release() skips the wake call when none is
 * ```
 *
 * A waiter counts itself in S_SLEEPERS before it sleeps on S_VALUE == 0, and release() adds to
 * S_VALUE before it reads S_SLEEPERS: either the releaser sees the sleeper and wakes it, or the
 * sleeper's wait finds S_VALUE changed and does not sleep. Nothing is lost in between.
 *
 * @module
 */

import { inspect } from 'node:util';
import { ValueError } from '../errors.js';
import { planAcquire, type AcquirePlan, type AcquireOptions, type AcquireSyncOptions } from '../sync/acquire.js';
import { Acquirable } from '../sync/acquirable.js';
import { remaining } from '../sync/deadline.js';
import { wake } from '../sync/futex.js';
import { registerShareable } from '../sync/shareable.js';
import { driveAsync, driveSync, type Steps } from '../sync/steps.js';

const S_VALUE = 0;
const S_SLEEPERS = 1;
const NON_BLOCKING_TIMEOUT = "can't specify timeout for non-blocking acquire";

/**
 * A counter of available units: `acquire` takes one (waiting while there are none), `release`
 * gives back `n`. A plain Semaphore may be released above its initial value. Passed to a worker
 * it arrives working, over the same memory.
 *
 * @example
 * ```ts
 * const slots = new Semaphore(2);
 * await slots.withLock(async () => { await download(url); }); // at most two at a time
 * ```
 */
export class Semaphore extends Acquirable {
  /** @internal Wire tag of the shareable contract. */
  readonly __ct: string = 'threading.Semaphore';
  /** @internal */
  protected readonly _state: Int32Array;

  /**
   * Creates a semaphore holding `value` units.
   *
   * @param value - initial units. Default 1.
   * @throws ValueError `semaphore initial value must be >= 0` for a negative value, or when it
   * is not an integer below 2^31.
   */
  constructor(value = 1) {
    if (typeof value !== 'number' || value < 0) throw new ValueError('semaphore initial value must be >= 0');
    if (!Number.isInteger(value) || value > 0x7fffffff) {
      throw new ValueError(`semaphore initial value must be an integer below 2^31, got ${value}`);
    }
    super();
    this._state = new Int32Array(new SharedArrayBuffer(8));
    this._state[S_VALUE] = value;
  }

  /**
   * Takes one unit, waiting without blocking the thread while there is none.
   *
   * Cancel safety: on timeout the promise resolves `false`, on abort it rejects with the signal's
   * reason; either way no unit is taken and no trace of the wait is left.
   *
   * @param options - `{ blocking, timeout, signal }`, or a timeout in milliseconds.
   * @returns `true` once a unit is taken; `false` when `blocking: false` found none or the timeout passed.
   * @throws ValueError (as a rejection) `can't specify timeout for non-blocking acquire`, or for a negative timeout.
   */
  async acquire(options?: number | AcquireOptions): Promise<boolean> {
    const plan = planAcquire(options, NON_BLOCKING_TIMEOUT);
    plan.signal?.throwIfAborted();
    return driveAsync(this.take(plan), plan.signal);
  }

  /**
   * Takes one unit, blocking the calling thread while there is none.
   *
   * Cancel safety: a timeout returns `false` with no unit taken.
   *
   * @param options - `{ blocking, timeout }`, or a timeout in milliseconds.
   * @returns `true` once a unit is taken; `false` when `blocking: false` found none or the timeout passed.
   * @throws ValueError `can't specify timeout for non-blocking acquire`, or for a negative timeout.
   */
  acquireSync(options?: number | AcquireSyncOptions): boolean {
    return driveSync(this.take(planAcquire(options, NON_BLOCKING_TIMEOUT)));
  }

  /**
   * Gives back `n` units and wakes up to `n` waiters.
   *
   * @param n - units to give back. Default 1.
   * @throws ValueError `n must be one or more` when `n < 1`.
   */
  release(n = 1): void {
    if (!(n >= 1)) throw new ValueError('n must be one or more');
    if (!Number.isInteger(n) || n > 0x7fffffff) throw new ValueError(`n must be an integer below 2^31, got ${n}`);
    this.add(n);
    // Read after the add: see the module comment for why no wake-up is lost.
    if (Atomics.load(this._state, S_SLEEPERS) > 0) wake(this._state, S_VALUE, n);
  }

  /**
   * The number of units available right now (multiprocessing's `get_value()`).
   *
   * @returns the counter at the moment of the call.
   */
  getValue(): number {
    return Atomics.load(this._state, S_VALUE);
  }

  /** @returns `Semaphore <value=N>`. */
  override toString(): string {
    return `Semaphore <value=${this.getValue()}>`;
  }

  /** @internal */
  [inspect.custom](): string {
    return this.toString();
  }

  /** @internal A hold's timeout says `timed out waiting to acquire semaphore`. */
  _holdName(): string {
    return 'semaphore';
  }

  /** @internal Adds `n` units; BoundedSemaphore checks its bound here. */
  protected add(n: number): void {
    Atomics.add(this._state, S_VALUE, n);
  }

  /**
   * Takes a unit, waiting while there is none: counted in S_SLEEPERS while asleep (also when the
   * wait is aborted), so that a release wakes it.
   */
  private *take(plan: AcquirePlan): Steps<boolean> {
    if (this.tryTake()) return true;
    if (!plan.blocking) return false;
    for (;;) {
      Atomics.add(this._state, S_SLEEPERS, 1);
      let result;
      try {
        result = yield { slots: this._state, index: S_VALUE, expected: 0, deadline: plan.deadline };
      } finally {
        Atomics.sub(this._state, S_SLEEPERS, 1);
      }
      if (this.tryTake()) return true;
      if (result === 'timed-out' && remaining(plan.deadline) <= 0) return false;
    }
  }

  private tryTake(): boolean {
    for (;;) {
      const value = Atomics.load(this._state, S_VALUE);
      if (value <= 0) return false;
      if (Atomics.compareExchange(this._state, S_VALUE, value, value - 1) === value) return true;
    }
  }
}

/**
 * A semaphore that refuses to be released above its initial value: a release without a
 * matching acquire is a bug it reports.
 */
export class BoundedSemaphore extends Semaphore {
  /** @internal Wire tag of the shareable contract. */
  override readonly __ct: string = 'threading.BoundedSemaphore';
  private readonly _initial: number;

  /**
   * Creates a bounded semaphore holding, and never exceeding, `value` units.
   *
   * @param value - initial and maximum units. Default 1.
   * @throws ValueError as {@link Semaphore}'s constructor.
   */
  constructor(value = 1) {
    super(value);
    this._initial = value;
  }

  /** @returns `BoundedSemaphore <value=N/initial>`. */
  override toString(): string {
    return `BoundedSemaphore <value=${this.getValue()}/${this._initial}>`;
  }

  /**
   * @internal
   * @throws ValueError `Semaphore released too many times` when the value would pass the initial value.
   */
  protected override add(n: number): void {
    for (;;) {
      const value = Atomics.load(this._state, S_VALUE);
      if (value + n > this._initial) throw new ValueError('Semaphore released too many times');
      if (Atomics.compareExchange(this._state, S_VALUE, value, value + n) === value) return;
    }
  }
}

registerShareable('threading.Semaphore', (wire: Semaphore) =>
  Object.assign(Object.create(Semaphore.prototype) as Semaphore, wire));
registerShareable('threading.BoundedSemaphore', (wire: BoundedSemaphore) =>
  Object.assign(Object.create(BoundedSemaphore.prototype) as BoundedSemaphore, wire));
