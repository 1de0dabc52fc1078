/**
 * `Pool`: Python's `multiprocessing.Pool`, a thin layer over `ProcessPoolExecutor` (the same
 * engine, futures and worker handling). What differs from the executor is Python's Pool API and
 * its rules: `map` waits for every call and then raises the first error that arrived; `imap`
 * goes on after an error; `close`/`join`/`terminate`; `await using` terminates.
 *
 * @module
 */
import { TimeoutError, ValueError } from '../errors.js';
import { checkTimeout, startTimer } from '../sync/deadline.js';
import { Future } from '../core/future.js';
import type { Backend, MapAdmission, TaskKind, TaskOptions } from '../core/backend.js';
import { MapIterator, type MapOutcome } from '../core/map-iterator.js';
import { ProcessPoolExecutor } from '../futures/process-pool-executor.js';
import type { Callable } from '../task-ref/task-module.js';
import { AsyncResult, type ResultCallbacks } from './async-result.js';
import { brokerPathForChildren } from './link.js';
import { cpuCount } from './process.js';

/** Options of {@link Pool}. */
export interface PoolOptions {
  /** Runs once in each worker process before its first task. */
  initializer?: Callable<any[], unknown> | undefined;
  /** Arguments of `initializer`. */
  initargs?: readonly unknown[] | undefined;
  /** A worker process is replaced after running this many tasks. */
  maxtasksperchild?: number | undefined;
}

/** Options of `mapAsync` and `starmapAsync`. */
export interface MapAsyncOptions<R> extends ResultCallbacks<R> {
  /** Items per message; chosen adaptively when omitted. */
  chunksize?: number | undefined;
}

type State = 'RUN' | 'CLOSE' | 'TERMINATE';

/**
 * A pool of worker processes, like Python's `multiprocessing.Pool`.
 *
 * @example
 * ```ts
 * await using p = new Pool(3);
 * console.log(await p.map(Math.abs, [-2, 8, -3, 0])); // [2, 8, 3, 0]
 * ```
 */
export class Pool implements Backend, AsyncDisposable {
  readonly #executor: ProcessPoolExecutor;
  readonly #processes: number;
  #state: State = 'RUN';

  /**
   * @param processes - how many worker processes; default {@link cpuCount}.
   * @throws {ValueError} `Number of processes must be at least 1`; `maxtasksperchild must be a
   * positive int or undefined`.
   * @throws {TypeError} `initializer must be a callable`.
   * @param options - `initializer`, `initargs`, `maxtasksperchild`.
   */
  constructor(processes?: number, options: PoolOptions = {}) {
    const n = processes ?? cpuCount();
    if (typeof n !== 'number' || !Number.isInteger(n)) throw new TypeError(`processes must be an integer, got ${typeof n}`);
    if (n < 1) throw new ValueError('Number of processes must be at least 1');
    const max = options.maxtasksperchild;
    if (max !== undefined && (typeof max !== 'number' || !Number.isInteger(max) || max <= 0)) {
      throw new ValueError('maxtasksperchild must be a positive int or undefined');
    }
    const init = options.initializer;
    if (init !== undefined && typeof init !== 'function' && (typeof init !== 'object' || init === null)) {
      throw new TypeError('initializer must be a callable');
    }
    // Workers must know the broker, so that objects they create are shared with this program.
    brokerPathForChildren();
    this.#processes = n;
    this.#executor = new ProcessPoolExecutor({ maxWorkers: n, initializer: init, initargs: options.initargs, maxTasksPerChild: max });
  }

  /** How many worker processes the pool runs at most. */
  get processes(): number {
    return this.#processes;
  }

  /**
   * Calls `fn(...args)` in a worker and waits for the result.
   *
   * @throws whatever `fn` threw, with the worker's stack; {@link ValueError} `Pool not running`.
   * @param fn - the function: self-contained, a `taskModule()` reference, or a built-in.
   * @param args - its arguments (default none).
   * @returns `fn`'s result.
   */
  apply<A extends unknown[], R>(fn: Callable<A, R>, args?: A): Promise<Awaited<R>> {
    try {
      return this.#submit(fn, args ?? ([] as unknown[])).result();
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Calls `fn(...args)` in a worker; returns at once.
   *
   * @throws {ValueError} `Pool not running`.
   * @param fn - the function.
   * @param args - its arguments (default none).
   * @param callbacks - `callback` and `errorCallback`, run in this process.
   * @returns the call's {@link AsyncResult}.
   */
  applyAsync<A extends unknown[], R>(fn: Callable<A, R>, args?: A, callbacks: ResultCallbacks<Awaited<R>> = {}): AsyncResult<Awaited<R>> {
    return new AsyncResult(this.#submit(fn, args ?? ([] as unknown[])), callbacks);
  }

  /**
   * Applies `fn` to every item in parallel and resolves with the results in input order. As in
   * Python, it waits for every call; if any failed, it then rejects with the first error that
   * arrived.
   *
   * @param chunksize - items per message (or `{ chunksize }`); adaptive when omitted.
   * @throws the first error of a call; whatever the input iterable throws; {@link ValueError} `Pool not running`.
   * @param fn - the function, called with each item.
   * @param iterable - the items (read in full first, as Python does).
   * @returns the results, in input order.
   */
  map<T, R>(fn: Callable<[T], R>, iterable: Iterable<T> | AsyncIterable<T>, chunksize?: number | { chunksize?: number }): Promise<Array<Awaited<R>>> {
    try {
      return this.#mapAll(fn, iterable, chunksize, false).result() as Promise<Array<Awaited<R>>>;
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Like {@link Pool.map}, returning an {@link AsyncResult} at once; `callback` gets the whole list.
   * @param fn - the function, called with each item.
   * @param iterable - the items.
   * @param options - `chunksize`, `callback`, `errorCallback`.
   * @returns an {@link AsyncResult} of the list.
   */
  mapAsync<T, R>(fn: Callable<[T], R>, iterable: Iterable<T> | AsyncIterable<T>, options: MapAsyncOptions<Array<Awaited<R>>> = {}): AsyncResult<Array<Awaited<R>>> {
    return new AsyncResult(this.#mapAll(fn, iterable, options.chunksize, false) as Future<Array<Awaited<R>>>, options);
  }

  /**
   * Like {@link Pool.map}, with each item an argument list: `fn(...item)`.
   * @param fn - the function.
   * @param iterable - argument lists.
   * @param chunksize - items per message (or `{ chunksize }`).
   * @returns the results, in input order.
   */
  starmap<A extends unknown[], R>(fn: Callable<A, R>, iterable: Iterable<A> | AsyncIterable<A>, chunksize?: number | { chunksize?: number }): Promise<Array<Awaited<R>>> {
    try {
      return this.#mapAll(fn, iterable, chunksize, true).result() as Promise<Array<Awaited<R>>>;
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Like {@link Pool.mapAsync}, with each item an argument list.
   * @param fn - the function.
   * @param iterable - argument lists.
   * @param options - `chunksize`, `callback`, `errorCallback`.
   * @returns an {@link AsyncResult} of the list.
   */
  starmapAsync<A extends unknown[], R>(fn: Callable<A, R>, iterable: Iterable<A> | AsyncIterable<A>, options: MapAsyncOptions<Array<Awaited<R>>> = {}): AsyncResult<Array<Awaited<R>>> {
    return new AsyncResult(this.#mapAll(fn, iterable, options.chunksize, true) as Future<Array<Awaited<R>>>, options);
  }

  /**
   * Applies `fn` to every item in parallel; yields the results lazily, in input order. A call
   * that failed throws at its position and iteration goes on with the next (Python's `imap`).
   *
   * @param chunksize - items per message, default 1.
   * @throws {ValueError} `Chunksize must be 1+, not 0`; `Pool not running`.
   * @param fn - the function, called with each item.
   * @param iterable - the items (sync or async).
   * @returns an async iterator over the results.
   */
  imap<T, R>(fn: Callable<[T], R>, iterable: Iterable<T> | AsyncIterable<T>, chunksize = 1): IMapIterator<Awaited<R>> {
    return this.#imap(fn, iterable, chunksize, false);
  }

  /**
   * Like {@link Pool.imap}, yielding results in completion order.
   * @param fn - the function.
   * @param iterable - the items.
   * @param chunksize - items per message, default 1.
   * @returns an async iterator over the results, in completion order.
   */
  imapUnordered<T, R>(fn: Callable<[T], R>, iterable: Iterable<T> | AsyncIterable<T>, chunksize = 1): IMapIterator<Awaited<R>> {
    return this.#imap(fn, iterable, chunksize, true);
  }

  /** No more work may be submitted; the workers exit once the work already submitted is done. */
  close(): void {
    if (this.#state !== 'RUN') return;
    this.#state = 'CLOSE';
    this.#executor.shutdown({ wait: false }).catch(() => {});
  }

  /**
   * Stops the workers now: queued work is cancelled, running work is stopped (its futures and
   * results fail with `CancelledError`).
   */
  terminate(): void {
    if (this.#state === 'TERMINATE') return;
    this.#state = 'TERMINATE';
    this.#executor.terminateWorkers().catch(() => {});
  }

  /**
   * Waits until every worker has exited (after `close()` or `terminate()`).
   *
   * Cancel safety: there is nothing to cancel; it resolves once the workers are gone.
   *
   * @throws {ValueError} `Pool is still running` before `close()` or `terminate()`.
   */
  async join(): Promise<void> {
    if (this.#state === 'RUN') throw new ValueError('Pool is still running');
    await this.#executor.shutdown({ wait: true });
  }

  /** `await using pool = new Pool()` terminates it at the end of the block, as Python's `with`. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.terminate();
    await this.join();
  }

  /** @returns a short description of the object and its state, Python's repr where there is one. */
  toString(): string {
    return `<Pool processes=${this.#processes} state=${this.#state}>`;
  }

  // The Backend contract, forwarded to the executor: the pool's maps are the executor's.

  /** @internal */
  _schedule(fn: unknown, args: unknown[], kind: TaskKind, options: TaskOptions | undefined): Future<unknown> {
    return this.#executor._schedule(fn, args, kind, options);
  }

  /** @internal */
  _checkOpen(): void {
    this.#executor._checkOpen();
  }

  /** @internal */
  _admitMap(): MapAdmission {
    return this.#executor._admitMap();
  }

  /** @internal */
  _chunkTargetMs(deadline: boolean): number {
    return this.#executor._chunkTargetMs(deadline);
  }

  /** @internal */
  _timed(options: TaskOptions | undefined): boolean {
    return this.#executor._timed(options);
  }

  /** @internal */
  _parallelism(): number {
    return this.#processes;
  }

  #checkRunning(): void {
    if (this.#state !== 'RUN') throw new ValueError('Pool not running');
  }

  #submit(fn: unknown, args: unknown[]): Future<any> {
    this.#checkRunning();
    if (!Array.isArray(args)) throw new TypeError('args must be an array of arguments');
    return this._schedule(fn, args, 'call', undefined);
  }

  #imap(fn: unknown, iterable: Iterable<unknown> | AsyncIterable<unknown>, chunksize: number, unordered: boolean): IMapIterator<any> {
    this.#checkRunning();
    if (!(chunksize >= 1)) throw new ValueError(`Chunksize must be 1+, not ${chunksize}`);
    return new IMapIterator(new MapIterator(this, fn, iterable, { chunksize }, { unordered, continueOnError: true }));
  }

  /** Runs every call, waits for all, and settles with the list or the first error to arrive. */
  #mapAll(fn: unknown, iterable: Iterable<unknown> | AsyncIterable<unknown>, chunks: number | { chunksize?: number } | undefined,
    star: boolean): Future<unknown[]> {
    this.#checkRunning();
    const chunksize = typeof chunks === 'number' ? chunks : chunks?.chunksize;
    if (chunksize !== undefined && !(chunksize >= 1)) throw new ValueError(`Chunksize must be 1+, not ${chunksize}`);
    const future = new Future<unknown[]>();
    future.setRunningOrNotifyCancel();
    void (async () => {
      try {
        // Python reads the whole input first: an error in it is raised before any call runs.
        const items: unknown[] = [];
        if (Symbol.asyncIterator in Object(iterable)) for await (const item of iterable as AsyncIterable<unknown>) items.push(item);
        else for (const item of iterable as Iterable<unknown>) items.push(item);
        const results = new Array<unknown>(items.length);
        let firstError: { error: unknown } | undefined;
        const outcomes = new MapIterator<MapOutcome<unknown>>(this, fn, items, { chunksize }, { star, unordered: true, outcomes: true });
        for await (const outcome of outcomes) {
          if (outcome.ok) results[outcome.index] = outcome.value;
          else firstError ??= { error: outcome.error };
        }
        if (firstError !== undefined) future.setException(firstError.error);
        else future.setResult(results);
      } catch (error) {
        future.setException(error);
      }
    })();
    return future;
  }
}

/**
 * The results of `imap`/`imapUnordered`: an async iterator whose `next` also takes a timeout,
 * as Python's `IMapIterator.next(timeout)`.
 */
export class IMapIterator<R> implements AsyncIterableIterator<R> {
  readonly #inner: MapIterator<R>;
  /** The step at the front, taken from the inner iterator and not delivered yet (its caller may have timed out). */
  #front: Promise<IteratorResult<R>> | undefined;
  /** Settles once every call made so far has its answer or gave up: calls take turns, in call order. */
  #turns: Promise<void> = Promise.resolve();

  /** @internal */
  constructor(inner: MapIterator<R>) {
    this.#inner = inner;
  }

  /** The iterator itself: `for await (const r of pool.imap(…))`. */
  [Symbol.asyncIterator](): this {
    return this;
  }

  /**
   * The next result. Calls in flight at once settle in call order, as an async generator's do.
   *
   * Cancel safety: a timeout loses nothing: the next call returns the same result.
   *
   * @param timeout - milliseconds to wait for it (counted from this call); then `TimeoutError`,
   * and the result is kept for the next call. `undefined` or `null`: no limit.
   * @throws the error of the call at this position (iteration may go on); {@link TimeoutError}.
   * @throws {TypeError} (at once) for a timeout that is not a number, `undefined` or `null`.
   * @returns the next step of the iteration.
   */
  next(timeout?: number | null): Promise<IteratorResult<R>> {
    const ms = checkTimeout(timeout);
    const turn = this.#turns;
    const answer = new Promise<IteratorResult<R>>((resolve, reject) => {
      let settled = false;
      const timer = ms === undefined ? undefined : startTimer(() => {
        if (settled) return;
        settled = true;
        reject(new TimeoutError(`no result within ${ms} ms`));
      }, ms);
      const deliver = (step: Promise<IteratorResult<R>>, settle: () => void): void => {
        if (settled) return;
        settled = true;
        timer?.clear();
        if (this.#front === step) this.#front = undefined;
        settle();
      };
      void turn.then(() => {
        if (settled) return;
        let step = this.#front;
        if (step === undefined) {
          step = this.#inner.next();
          step.catch(() => {});
          this.#front = step;
        }
        const taken = step;
        taken.then((r) => deliver(taken, () => resolve(r)), (error: unknown) => deliver(taken, () => reject(error)));
      });
    });
    // The next call waits for this one and for every earlier one (one that timed out early may
    // be ahead of a call still holding the front step).
    this.#turns = turn.then(() => answer).then(() => {}, () => {});
    return answer;
  }

  /**
   * Stops: calls not yet started are cancelled.
   *
   * @returns the end of the iteration.
   */
  return(): Promise<IteratorResult<R>> {
    return this.#inner.return();
  }

  /**
   * Collects every result; the first failed call rejects it.
   *
   * @returns every result, in the iterator's order.
   */
  async toArray(): Promise<R[]> {
    const out: R[] = [];
    for await (const value of this) out.push(value);
    return out;
  }
}
