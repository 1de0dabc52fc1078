/**
 * `AsyncResult`: what `Pool.applyAsync` and `Pool.mapAsync` return, like Python's
 * `multiprocessing.pool.AsyncResult`, over a `Future`.
 *
 * @module
 */
import { inspect } from 'node:util';
import { ValueError } from '../errors.js';
import { reportError } from '../core/logger.js';
import type { Future, WaitOptions } from '../core/future.js';

/** The callbacks of `applyAsync`/`mapAsync`: exactly one of them runs, in this process. */
export interface ResultCallbacks<T> {
  /** Called with the result when the call succeeds. */
  callback?: ((result: T) => void) | undefined;
  /** Called with the error when the call fails. */
  errorCallback?: ((error: unknown) => void) | undefined;
}

/**
 * The result of a call made with `Pool.applyAsync` or `Pool.mapAsync`.
 *
 * @typeParam T - the result type.
 */
export class AsyncResult<T> {
  readonly #future: Future<T>;

  /** @internal */
  constructor(future: Future<T>, callbacks: ResultCallbacks<T> = {}) {
    this.#future = future;
    const { callback, errorCallback } = callbacks;
    if (callback === undefined && errorCallback === undefined) return;
    future.addDoneCallback((f) => {
      const outcome = f._outcome();
      try {
        if (outcome.ok) callback?.(outcome.value);
        else errorCallback?.(outcome.error);
      } catch (error) {
        reportError(`exception in a callback of ${this.toString()}`, error);
      }
    });
  }

  /**
   * The result, once the call has finished.
   *
   * Cancel safety: a timeout ends only this wait; the call goes on.
   *
   * @param timeout - milliseconds, or `{ timeout, signal }`.
   * @throws whatever the call threw (with the worker's stack).
   * @throws {TimeoutError} when the timeout passes first (Python's `multiprocessing.TimeoutError`).
   * @throws {CancelledError} when the pool was terminated before the call finished.
   * @returns the call's result.
   */
  get(timeout?: number | WaitOptions | null): Promise<T> {
    return this.#future.result(timeout);
  }

  /**
   * Waits until the call has finished, or the timeout passes. Resolves either way.
   *
   * Cancel safety: a timeout ends only this wait.
   *
   * @param timeout - milliseconds, or `{ timeout, signal }`.
   * @throws {TypeError} (as a rejection) for a timeout that is not a number, `undefined` or `null`.
   */
  async wait(timeout?: number | WaitOptions | null): Promise<void> {
    // Outside the try: a bad timeout is the caller's mistake, not the end of a wait.
    const waiting = this.#future.exception(timeout);
    try {
      await waiting;
    } catch {
      // Timed out or cancelled: wait() only waits.
    }
  }

  /**
   * Whether the call has finished.
   *
   * @returns `true` once the call has finished, well or not.
   */
  ready(): boolean {
    return this.#future.done();
  }

  /**
   * Whether the call finished without an error.
   *
   * @throws {ValueError} `<AsyncResult …> not ready` before it has finished.
   * @returns `true` if the call finished without an error.
   */
  successful(): boolean {
    if (!this.#future.done()) throw new ValueError(`${this.toString()} not ready`);
    return this.#future._outcome().ok;
  }

  /** @returns a short description of the object and its state, Python's repr where there is one. */
  toString(): string {
    return `<AsyncResult ${this.#future.done() ? (this.#future._outcome().ok ? 'ready' : 'failed') : 'pending'}>`;
  }

  /** What `util.inspect` and `console.log` show: the same text as {@link AsyncResult.toString}. */
  [inspect.custom](): string {
    return this.toString();
  }
}
