/**
 * `Timer`: Python's `threading.Timer`, run on the event loop of the thread that starts it.
 *
 * Python starts a new thread that sleeps for the interval and then calls the function. Here the
 * function would have to be shipped to a new worker thread, which a closure cannot be; and a
 * timer needs no CPU of its own. So the function runs on the event loop of the thread that
 * called `start()`. `docs/decisions/threading-timer.md` records the choice.
 *
 * @module
 */

import { inspect } from 'node:util';
import { RuntimeError } from '../errors.js';
import { checkTimeout, startTimer, waitArgument, type Timer as LongTimer } from '../sync/deadline.js';
import { Event } from './event.js';

let timers = 0;

/**
 * Calls a function once, after `interval` milliseconds, unless cancelled first.
 *
 * Intervals longer than 2^31-1 ms are honoured (Node's `setTimeout` would fire them at once).
 * A pending timer keeps the event loop alive, as a pending Python Timer keeps the program alive.
 *
 * @example
 * ```ts
 * const timer = new Timer(30_000, () => console.log('still working…'));
 * timer.start();
 * await longJob();
 * timer.cancel();
 * ```
 */
export class Timer<A extends unknown[] = unknown[]> {
  /** Milliseconds between `start()` and the call. */
  readonly interval: number;
  /** The function to call. */
  readonly function: (...args: A) => unknown;
  /** The arguments it is called with (a fresh array for each Timer). */
  readonly args: A;
  /** Set once the timer is done: after the function returned, or when cancelled. */
  readonly finished: Event = new Event();
  /** The timer's name, `Timer-<n>` by default. */
  name: string;
  #started = false;
  #alive = false;
  #running = false;
  #pending: LongTimer | undefined;
  #ended: Promise<void>;
  #end!: () => void;

  /**
   * Creates a timer; nothing happens until `start()`.
   *
   * @param interval - milliseconds to wait before calling `fn`.
   * @param fn - called once with `args`; if it returns a Promise, the timer stays alive until it settles.
   * @param args - arguments for `fn`. Default: a new empty array.
   * @throws ValueError for a negative or NaN interval.
   * @throws TypeError for an interval that is not a number (`null` and `Infinity`: never fires).
   */
  constructor(interval: number | null, fn: (...args: A) => unknown, args?: A) {
    this.interval = checkTimeout(interval, 'interval') ?? Infinity;
    this.function = fn;
    this.args = (args === undefined ? [] : [...args]) as A;
    this.name = `Timer-${++timers}`;
    this.#ended = new Promise<void>((resolve) => {
      this.#end = resolve;
    });
  }

  /**
   * Starts the countdown.
   *
   * @throws RuntimeError `threads can only be started once` on a second call.
   */
  start(): void {
    if (this.#started) throw new RuntimeError('threads can only be started once');
    this.#started = true;
    this.#alive = true;
    if (this.finished.isSet()) {
      // Cancelled before start: like Python's thread, it starts, sees `finished` and ends.
      queueMicrotask(() => this.#finish());
      return;
    }
    this.#pending = startTimer(() => void this.#run(), this.interval);
  }

  /**
   * Stops the timer if its function has not started yet. Cancelling twice, before `start()`, or
   * after the function started does no harm (a running function is not interrupted).
   */
  cancel(): void {
    this.finished.set();
    if (this.#pending !== undefined && !this.#running) {
      this.#pending.clear();
      this.#pending = undefined;
      this.#finish();
    }
  }

  /**
   * Waits until the timer has ended (called its function, or was cancelled), or the timeout
   * passes. Like Python's `join`, it returns nothing either way: check `isAlive()` afterwards.
   *
   * Cancel safety: a timeout only stops this wait; the timer is not affected.
   *
   * @param timeout - milliseconds, or `{ timeout }`; `undefined`, `null` or `Infinity` waits until it ends.
   * @throws RuntimeError `cannot join thread before it is started` before `start()`.
   * @throws ValueError for a negative or NaN timeout.
   * @throws TypeError for a timeout that is not a number, `undefined` or `null`.
   */
  async join(timeout?: number | { timeout?: number | null | undefined } | null): Promise<void> {
    const ms = waitArgument(timeout).timeout;
    if (!this.#started) throw new RuntimeError('cannot join thread before it is started');
    if (!this.#alive || ms === undefined) return this.#ended;
    let stop: LongTimer | undefined;
    const timedOut = new Promise<void>((resolve) => {
      stop = startTimer(resolve, ms);
    });
    try {
      await Promise.race([this.#ended, timedOut]);
    } finally {
      stop?.clear();
    }
  }

  /**
   * Whether the timer has started and not yet ended.
   *
   * @returns `true` between `start()` and the end of the call (or the cancel).
   */
  isAlive(): boolean {
    return this.#alive;
  }

  /** @returns e.g. `Timer <Timer-1, started>`. */
  toString(): string {
    const state = !this.#started ? 'initial' : this.#alive ? 'started' : 'stopped';
    return `Timer <${this.name}, ${state}>`;
  }

  /** @internal */
  [inspect.custom](): string {
    return this.toString();
  }

  async #run(): Promise<void> {
    this.#pending = undefined;
    if (this.finished.isSet()) {
      this.#finish();
      return;
    }
    this.#running = true;
    try {
      await this.function(...this.args);
    } catch (error) {
      // Python's threading.excepthook prints the error and the program goes on.
      console.error(`Exception in thread ${this.name}:`, error);
    } finally {
      this.finished.set();
      this.#finish();
    }
  }

  #finish(): void {
    this.#alive = false;
    this.#end();
  }
}
