/**
 * `Future<T>`: the result of work that may not have finished yet, with Python's states and rules.
 *
 * ```
 *  PENDING ──setRunningOrNotifyCancel()──▶ RUNNING ──setResult()/setException()──▶ FINISHED
 *     │                                       │
 *     └──────cancel()──────▶ CANCELLED ◀──────┘ cancel({ force: true }) (an extension: the worker is stopped)
 * ```
 *
 * States only move forward. Every transition is one guarded method; a forbidden one throws
 * `InvalidStateError` naming the state. Done-callbacks run once, in the order they were added, on
 * the thread that owns the future; one that throws is reported and the others still run.
 *
 * @module
 */
import { inspect } from 'node:util';
import { CancelledError, InvalidStateError, RuntimeError, TimeoutError } from '../errors.js';
import { startTimer, waitArgument, type Timer } from '../sync/deadline.js';
import { reportError } from './logger.js';

/** The four states of a future. */
export type FutureState = 'PENDING' | 'RUNNING' | 'CANCELLED' | 'FINISHED';

/** How long to wait, in milliseconds, and an optional signal that ends the wait early. */
export interface WaitOptions {
  /** Milliseconds; `undefined`, `null` or `Infinity` waits as long as it takes, `0` only looks. */
  timeout?: number | null | undefined;
  /** Ends the wait with the signal's reason (nothing happens to the future itself). */
  signal?: AbortSignal | undefined;
}

/** Options of {@link Future.cancel}. */
export interface CancelOptions {
  /**
   * Also cancel a task that is already running, by stopping the worker that runs it (the worker
   * is replaced). Without it, `cancel()` follows Python and fails once the task has started.
   */
  force?: boolean;
}

/**
 * A future as {@link asCompleted} yields it: a `Future` typed without `then`/`catch`.
 * TypeScript types the variable of `for await (const f of …)` as the awaited value of what is
 * yielded, and a Future is thenable, so a plain `Future` there would be typed as its result; at run
 * time the loop does get the future itself. Read it with `await f.result()`.
 */
export type CompletedFuture<T> = Omit<Future<T>, 'then' | 'catch'>;

/** A listener used by `wait`, `asCompleted` and the executors; runs before done-callbacks. */
type Listener = (future: Future<unknown>) => void;


/**
 * The eventual result of a call, like Python's `concurrent.futures.Future`.
 *
 * A future is thenable: `await future` equals `await future.result()`.
 *
 * @typeParam T - the type of the result.
 */
export class Future<T = unknown> implements PromiseLike<T> {
  #state: FutureState = 'PENDING';
  /** The result, or the exception when `#failed`. */
  #value: unknown;
  /** Kept apart from `#error` so that `throw undefined`, `throw 0` or `throw ''` still fail the future. */
  #failed = false;
  // `any`, not `T`, in these two fields: a function-typed field taking `T` would make `Future`
  // invariant, and a `Future<number>` would not be a `Future<unknown>` (`wait([numbers, strings])`).
  #callbacks: Array<(future: Future<any>) => void> | undefined;
  #listeners: Listener[] | undefined;
  /** Made on the first `await`/`then`/`result()`; every later one shares it. */
  #promise: Promise<T> | undefined;
  /** The shared promise's settle functions, two fields rather than a pair: one allocation less per awaited future. */
  #resolve: ((value: any) => void) | undefined;
  #reject: ((error: unknown) => void) | undefined;

  /**
   * The current state. States only move forward: `PENDING` → `RUNNING` → `FINISHED`, or
   * `PENDING` → `CANCELLED`, or `RUNNING` → `CANCELLED` with `cancel({ force: true })`.
   */
  get state(): FutureState {
    return this.#state;
  }

  /** `true` if the future was cancelled. */
  cancelled(): boolean {
    return this.#state === 'CANCELLED';
  }

  /** `true` while the call is running (it can no longer be cancelled without `force`). */
  running(): boolean {
    return this.#state === 'RUNNING';
  }

  /** `true` once the future is finished (with a result or an exception) or cancelled. */
  done(): boolean {
    return this.#state === 'FINISHED' || this.#state === 'CANCELLED';
  }

  /**
   * Attempts to cancel the call. A pending call is cancelled, and so is one already handed to a
   * thread worker that has not started it yet (the worker will skip it); a running one only with
   * `force` (its worker is stopped and replaced: an extension of Python's rules).
   *
   * @param options - `force: true` also stops a call that is already running.
   * @returns `true` if the future is now cancelled (also when it already was); `false` if the call
   * is running or finished (unless `force` stopped it).
   */
  cancel(options?: CancelOptions): boolean {
    switch (this.#state) {
      case 'CANCELLED':
        return true;
      case 'FINISHED':
        return false;
      case 'RUNNING':
        if (options?.force === true ? !this._forceCancel() : !this._cancelUnstarted()) return false;
        break;
      case 'PENDING':
        break;
    }
    this.#state = 'CANCELLED';
    this.#settled();
    return true;
  }

  /**
   * The result of the call. Rejects with the call's own exception (the same object every time),
   * with `CancelledError` if it was cancelled, or with `TimeoutError` when `timeout` ms pass first.
   *
   * Cancel safety: a timeout or abort ends only this wait; the future and its task are untouched.
   *
   * @param options - a timeout in ms, or `{ timeout, signal }`.
   * @returns a promise of the call's return value.
   * @throws {ValueError} (synchronously) for a negative or NaN timeout.
   * @throws {TypeError} (synchronously) for a timeout that is not a number, `undefined` or `null`.
   */
  result(options?: number | WaitOptions | null): Promise<T> {
    if (options === undefined) return this.#shared();
    const { timeout: ms, options: rest } = waitArgument(options);
    const signal = rest?.signal;
    if (this.done() || (ms === undefined && signal === undefined)) return this.#shared();
    return this.#waitThen(ms, signal, () => this.#outcome());
  }

  /**
   * The exception the call raised, or `undefined` if it returned normally.
   * Rejects with `CancelledError` if cancelled, `TimeoutError` if `timeout` ms pass first.
   *
   * Cancel safety: as for {@link Future.result}.
   *
   * @param options - a timeout in ms, or `{ timeout, signal }`.
   * @returns a promise of what the call threw (any value), or of `undefined` if it returned.
   * @throws {ValueError} (synchronously) for a negative or NaN timeout.
   * @throws {TypeError} (synchronously) for a timeout that is not a number, `undefined` or `null`.
   */
  exception(options?: number | WaitOptions | null): Promise<unknown> {
    const { timeout: ms, options: rest } = waitArgument(options);
    const signal = rest?.signal;
    const read = (): Promise<unknown> =>
      this.#state === 'CANCELLED' ? Promise.reject(new CancelledError('the future was cancelled'))
        : Promise.resolve(this.#failed ? this.#value : undefined);
    if (this.done()) return read();
    return this.#waitThen(ms, signal, read);
  }

  /**
   * Runs `fn(future)` once the future is finished or cancelled, or at once (before this call
   * returns) if it already is. A callback that throws is reported (see `setErrorReporter`), never
   * propagated. Callbacks run in the order they were added, on the thread that owns the future.
   *
   * @param fn - called with this future.
   * @throws {TypeError} if `fn` is not a function.
   */
  addDoneCallback(fn: (future: Future<T>) => void): void {
    if (typeof fn !== 'function') throw new TypeError('addDoneCallback() needs a function');
    if (this.done()) {
      this.#invoke(fn);
      return;
    }
    (this.#callbacks ??= []).push(fn);
  }

  /**
   * Thenable: `await future` waits for the result, as `await future.result()` does.
   *
   * @param onfulfilled - called with the result.
   * @param onrejected - called with the call's exception, or a `CancelledError`.
   * @returns a promise, as `Promise.prototype.then` returns.
   */
  then<R1 = T, R2 = never>(
    onfulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    onrejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    return this.#shared().then(onfulfilled, onrejected);
  }

  /**
   * Like a promise's `catch`.
   *
   * @param onrejected - called with the call's exception, or a `CancelledError`.
   * @returns a promise of the result, or of what `onrejected` returns.
   */
  catch<R = never>(onrejected?: ((reason: unknown) => R | PromiseLike<R>) | null): Promise<T | R> {
    return this.#shared().then(undefined, onrejected);
  }

  /**
   * PENDING → RUNNING, for executors: returns `false` if the future was cancelled, in which case
   * the work must not run.
   *
   * @returns `true` if the future is now RUNNING, `false` if it was cancelled.
   * @throws {RuntimeError} in any other state.
   */
  setRunningOrNotifyCancel(): boolean {
    if (this.#state === 'PENDING') {
      this.#state = 'RUNNING';
      return true;
    }
    if (this.#state === 'CANCELLED') return false;
    throw new RuntimeError(`Future in unexpected state: ${this.#describe()}`);
  }

  /**
   * Sets the result, for executors and tests.
   *
   * @param value - the result.
   * @throws {InvalidStateError} if the future is already finished or cancelled.
   */
  setResult(value: T): void {
    this.#ensureOpen();
    this.#value = value;
    this.#state = 'FINISHED';
    this.#settled();
  }

  /**
   * Sets the exception (any thrown value, including `undefined`), for executors and tests.
   *
   * @param error - what the call threw.
   * @throws {InvalidStateError} if the future is already finished or cancelled.
   */
  setException(error: unknown): void {
    this.#ensureOpen();
    this.#value = error;
    this.#failed = true;
    this.#state = 'FINISHED';
    this.#settled();
  }

  /**
   * Subscribes to completion ahead of done-callbacks; returns the unsubscribe function.
   * @internal
   */
  _listen(listener: Listener): () => void {
    if (this.done()) {
      listener(this as Future<unknown>);
      return noop;
    }
    const list = (this.#listeners ??= []);
    list.push(listener);
    return () => {
      // Once settled, the list is being (or has been) walked: removing from it then would make
      // the walk skip the next listener (a listener that unsubscribes itself as it runs).
      if (this.#listeners !== list) return;
      const at = list.indexOf(listener);
      if (at >= 0) list.splice(at, 1);
    };
  }

  /**
   * The outcome of a done future, read synchronously (`CancelledError` for a cancelled one).
   * @internal
   */
  _outcome(): { ok: true; value: T } | { ok: false; error: unknown } {
    if (this.#state === 'CANCELLED') return { ok: false, error: new CancelledError('the future was cancelled') };
    if (this.#state !== 'FINISHED') throw new InvalidStateError(`${this.#state}: ${this.toString()}`);
    return this.#failed ? { ok: false, error: this.#value } : { ok: true, value: this.#value as T };
  }

  /** `true` if the future finished by raising. @internal */
  _failed(): boolean {
    return this.#failed;
  }

  /**
   * Stops a running call; executors override it. Returns `true` if the call was stopped.
   * @internal
   */
  protected _forceCancel(): boolean {
    return false;
  }

  /**
   * Takes back a call that was handed to a worker but has not started there; executors override
   * it. Returns `true` if the call will never start.
   * @internal
   */
  protected _cancelUnstarted(): boolean {
    return false;
  }

  /** Python's repr: `<Future state=finished returned number>`. */
  toString(): string {
    return `<Future ${this.#describe()}>`;
  }

  /** What `util.inspect` and `console.log` show: the same text as {@link Future.toString}. */
  [inspect.custom](): string {
    return this.toString();
  }

  #describe(): string {
    switch (this.#state) {
      case 'PENDING': return 'state=pending';
      case 'RUNNING': return 'state=running';
      case 'CANCELLED': return 'state=cancelled';
      case 'FINISHED':
        return this.#failed ? `state=finished raised ${typeName(this.#value)}` : `state=finished returned ${typeName(this.#value)}`;
    }
  }

  #ensureOpen(): void {
    if (this.#state === 'FINISHED' || this.#state === 'CANCELLED') {
      throw new InvalidStateError(`${this.#state}: ${this.toString()}`);
    }
  }

  /** One native promise per future, settled with it: `await future` costs one promise, not a chain. */
  #shared(): Promise<T> {
    if (this.#promise !== undefined) return this.#promise;
    if (this.done()) return (this.#promise = this.#outcome());
    return (this.#promise = new Promise<T>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    }));
  }

  #outcome(): Promise<T> {
    if (this.#state === 'CANCELLED') return Promise.reject(new CancelledError('the future was cancelled'));
    return this.#failed ? Promise.reject(this.#value) : Promise.resolve(this.#value as T);
  }

  #waitThen<R>(ms: number | undefined, signal: AbortSignal | undefined, read: () => Promise<R>): Promise<R> {
    if (ms === 0) return Promise.reject(new TimeoutError('the future did not finish within 0 ms'));
    if (signal?.aborted === true) return Promise.reject(signal.reason);
    return new Promise<R>((resolve, reject) => {
      let timer: Timer | undefined;
      const onAbort = (): void => {
        finish();
        reject(signal?.reason);
      };
      const finish = (): void => {
        unlisten();
        timer?.clear();
        signal?.removeEventListener('abort', onAbort);
      };
      const unlisten = this._listen(() => {
        finish();
        resolve(read());
      });
      if (ms !== undefined) {
        timer = startTimer(() => {
          finish();
          reject(new TimeoutError(`the future did not finish within ${ms} ms`));
        }, ms);
      }
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  #settled(): void {
    const resolve = this.#resolve;
    const reject = this.#reject;
    if (resolve !== undefined && reject !== undefined) {
      this.#resolve = undefined;
      this.#reject = undefined;
      if (this.#state === 'CANCELLED') reject(new CancelledError('the future was cancelled'));
      else if (this.#failed) reject(this.#value);
      else resolve(this.#value);
    }
    const listeners = this.#listeners;
    const callbacks = this.#callbacks;
    this.#listeners = undefined;
    this.#callbacks = undefined;
    if (listeners !== undefined) {
      for (const listener of listeners) {
        try {
          listener(this as Future<unknown>);
        } catch (error) {
          reportError(`exception in a completion listener of ${this.toString()}`, error);
        }
      }
    }
    if (callbacks !== undefined) for (const fn of callbacks) this.#invoke(fn);
  }

  #invoke(fn: (future: Future<T>) => void): void {
    try {
      fn(this);
    } catch (error) {
      reportError(`exception calling callback for ${this.toString()}`, error);
    }
  }
}

function noop(): void {}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'object' || typeof value === 'function') {
    return (value as { constructor?: { name?: string } }).constructor?.name ?? 'Object';
  }
  return typeof value;
}
