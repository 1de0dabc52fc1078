/**
 * `Executor`: the interface every back-end shares (`submit`, `map`, `starmap`, `shutdown`,
 * `onTask`, `await using`), like Python's abstract `concurrent.futures.Executor`. A back-end
 * implements the {@link Backend} contract (`backend.ts`) and `shutdown`; `map` is written once
 * here, on top of it.
 *
 * @module
 */
import { describe } from '../describe.js';
import { checkTimeout } from '../sync/deadline.js';
import { checkPriority } from './priority.js';
import type { Callable } from '../task-ref/task-module.js';
import type { Movable, Moved, Transfer } from '../transfer.js';
import type { Backend, MapAdmission, TaskKind, TaskOptions } from './backend.js';
import type { Future } from './future.js';
import { MapIterator, type MapMode, type MapOptions } from './map-iterator.js';
import { TaskEvents, type TaskListener } from './task-events.js';

/** Options of {@link Executor.shutdown}. */
export interface ShutdownOptions {
  /** Wait until every queued and running task has finished and the workers have exited (default `true`). */
  wait?: boolean;
  /** Cancel every task that has not started yet (default `false`). */
  cancelFutures?: boolean;
}

/** Submitting with per-task options; see {@link Executor.withOptions}. */
export interface TaskScheduler {
  /**
   * {@link Executor.submit}, with the per-task options given to `withOptions`.
   *
   * @param fn - the function to call in a worker.
   * @param args - its arguments.
   * @returns a future for the result.
   */
  submit<A extends unknown[], R>(fn: Callable<A, R>, ...args: Movable<A>): Future<Moved<Awaited<R>>>;
  /**
   * {@link Executor.map}, with the per-task options given to `withOptions`. Without an explicit
   * `chunksize`, a per-task timeout makes each item a task of its own (the timeout is per item).
   *
   * @param fn - the function to apply to each item.
   * @param iterable - the items (sync or async).
   * @param options - `timeout` (one deadline for the whole map), `chunksize`, `buffersize`.
   * @returns the results in input order.
   */
  map<T, R>(fn: Callable<[T], R>, iterable: Iterable<T | Transfer<T>> | AsyncIterable<T | Transfer<T>>, options?: MapOptions): MapIterator<Moved<Awaited<R>>>;
  /**
   * {@link Executor.starmap}, with the per-task options given to `withOptions`.
   *
   * @param fn - the function to call with each item's arguments.
   * @param iterable - argument lists (sync or async).
   * @param options - as for `map`.
   * @returns the results in input order.
   */
  starmap<A extends unknown[], R>(fn: Callable<A, R>, iterable: Iterable<Movable<A>> | AsyncIterable<Movable<A>>, options?: MapOptions): MapIterator<Moved<Awaited<R>>>;
}

/**
 * Runs calls asynchronously and returns {@link Future}s. Use a concrete executor:
 * `ThreadPoolExecutor`, `ProcessPoolExecutor` or `DistributedExecutor`.
 */
export abstract class Executor implements Backend, AsyncDisposable {
  /** The listeners of {@link Executor.onTask}; a back-end reports to it what only it knows. */
  protected readonly taskEvents = new TaskEvents();

  /**
   * Schedules `fn(...args)` and returns a future for its result.
   *
   * `fn` is a self-contained function (sent as source text), a reference from `taskModule()`, or
   * a built-in such as `Math.abs`. Arguments travel by structured clone; the library's own
   * primitives (locks, queues, shared values) arrive working.
   *
   * @param fn - the function to call in a worker.
   * @param args - its arguments.
   * @returns a future for the result: `await future` (or `await future.result(ms)`) reads it.
   * @throws {RuntimeError} `cannot schedule new futures after shutdown`.
   * @throws {BrokenExecutor} if the executor is broken.
   * @throws {SerializationError} if an argument cannot be sent (names it, e.g. `args[1].cb`).
   * @throws {TypeError} if `fn` cannot reach a worker (a closure's reason and fix are in the message).
   */
  submit<A extends unknown[], R>(fn: Callable<A, R>, ...args: Movable<A>): Future<Moved<Awaited<R>>> {
    return this._schedule(fn, args, 'call', undefined) as Future<Moved<Awaited<R>>>;
  }

  /**
   * Applies `fn` to every item, in parallel; the results come back in input order.
   *
   * As in Python, the calls start at once and run even if the results are never read; an
   * error is thrown when iteration reaches its position, and the calls not yet started are then
   * cancelled. `timeout` is one deadline counted from this call.
   *
   * @param fn - the function to apply to each item (as for {@link Executor.submit}).
   * @param iterable - the items, sync or async; an endless one works with `buffersize`.
   * @param options - `timeout` (ms, one deadline for the whole map), `chunksize` (items per task
   *   message; adaptive when omitted), `buffersize` (items pulled ahead of the consumer, at most).
   * @returns an async iterator over the results, in input order; `.toArray()` collects them.
   * @throws {RuntimeError} `cannot schedule new futures after shutdown` (at the call).
   * @throws {ValueError} for a `chunksize` or `buffersize` below 1, or a negative `timeout`.
   * @throws {TypeError} if `iterable` is not iterable.
   *
   * @example
   * ```ts
   * for await (const prime of executor.map(isPrime, nums)) console.log(prime);
   * ```
   */
  map<T, R>(fn: Callable<[T], R>, iterable: Iterable<T | Transfer<T>> | AsyncIterable<T | Transfer<T>>, options: MapOptions = {}): MapIterator<Moved<Awaited<R>>> {
    return new MapIterator(this, fn, iterable, options);
  }

  /**
   * Like {@link Executor.map}, with each item an argument list: `fn(...item)`. Python's
   * `map(fn, xs, ys)` over several iterables is `starmap(fn, zip(xs, ys))` here.
   *
   * @param fn - the function to call with each item's arguments.
   * @param iterable - argument lists, sync or async.
   * @param options - as for {@link Executor.map}.
   * @returns an async iterator over the results, in input order.
   */
  starmap<A extends unknown[], R>(fn: Callable<A, R>, iterable: Iterable<Movable<A>> | AsyncIterable<Movable<A>>, options: MapOptions = {}): MapIterator<Moved<Awaited<R>>> {
    return new MapIterator(this, fn, iterable, options, { star: true });
  }

  /**
   * The same `submit`/`map`/`starmap`, with a per-task timeout (counted from the task's start,
   * not from submission) and/or an AbortSignal. A task that runs past its timeout fails with
   * `TimeoutError`; its worker is stopped and replaced.
   *
   * @param options - `timeout` (ms a task may run once started), `signal` (aborting cancels
   *   the task, running or not) and/or `priority` (1, the most urgent, to 2,097,152: tasks waiting
   *   for a worker start in order of priority, FIFO within one, tasks without one first).
   * @returns an object with this executor's `submit`, `map` and `starmap`, applying `options` to
   *   every task they schedule.
   * @throws {TypeError} for options that are not an object, or a timeout that is not a number,
   *   `undefined` or `null` (`null`: no limit, not even the executor's `taskTimeout`).
   * @throws {ValueError} for a negative or NaN timeout, or a priority out of range.
   *
   * @example
   * ```ts
   * const future = executor.withOptions({ timeout: 1000 }).submit(tasks.slow, 5);
   * ```
   */
  withOptions(options: TaskOptions): TaskScheduler {
    // Checked here, at the call, as well as by each task it schedules.
    if (typeof options !== 'object' || options === null) {
      throw new TypeError(`withOptions() needs an options object such as { timeout, signal }, got ${describe(options)}`);
    }
    checkTimeout(options.timeout);
    checkPriority(options.priority);
    return {
      submit: (fn, ...args) => this._schedule(fn, args, 'call', options) as never,
      map: (fn, iterable, mapOptions = {}) => new MapIterator(this, fn, iterable, mapOptions, {}, options),
      starmap: (fn, iterable, mapOptions = {}) => new MapIterator(this, fn, iterable, mapOptions, { star: true }, options),
    };
  }

  /**
   * Signals the executor to free its resources once pending work is done. `submit` afterwards
   * throws. Calling it again is harmless.
   *
   * @param options - `wait` (default `true`): resolve once every queued and running task has
   *   finished and the workers have exited; `cancelFutures` (default `false`): cancel every task
   *   that has not started.
   * @returns a promise that resolves when the executor is shut down (at once with `wait: false`).
   */
  abstract shutdown(options?: ShutdownOptions): Promise<void>;

  /** `await using executor = new ThreadPoolExecutor()` waits for the work at the end of the block. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.shutdown({ wait: true });
  }

  /**
   * Calls `listener` for each event of each task submitted from now on, until the returned
   * function is called: `submitted`; `started` (sent to a worker, the future is RUNNING);
   * `requeued` (given back unstarted, it will start elsewhere); `settled`, with the outcome and,
   * on the pools, when and on which worker it ran. Map chunks are tasks of kind `'chunk'` or
   * `'starchunk'`, with their number of items. Enough to count queued, running and finished tasks,
   * to time waits and runs, or to open and end a tracing span per task (observing-tasks.md in the docs).
   *
   * A listener runs inside the executor's bookkeeping: keep it quick. One that throws is reported
   * (see `setErrorReporter`) and does not disturb the executor or the other listeners.
   *
   * @param listener - receives each task event (`TaskEvent`).
   * @returns a function that removes the listener.
   * @throws {TypeError} if `listener` is not a function.
   *
   * @example
   * ```ts
   * const stop = executor.onTask((e) => {
   *   if (e.type === 'settled' && e.run !== undefined) console.log(e.task.fn, e.run.worker, e.run.end - e.run.start);
   * });
   * ```
   */
  onTask(listener: TaskListener): () => void {
    return this.taskEvents.subscribe(listener);
  }

  /** @internal See {@link Backend._schedule}. */
  abstract _schedule(fn: unknown, args: unknown[], kind: TaskKind, options: TaskOptions | undefined): Future<unknown>;

  /** @internal See {@link Backend._checkOpen}. */
  abstract _checkOpen(): void;

  /** @internal See {@link Backend._admitMap}. */
  abstract _admitMap(): MapAdmission;

  /** @internal See {@link Backend._chunkTargetMs}. */
  abstract _chunkTargetMs(deadline: boolean): number;

  /** @internal See {@link Backend._timed}. */
  abstract _timed(options: TaskOptions | undefined): boolean;

  /** @internal See {@link Backend._parallelism}. */
  abstract _parallelism(): number;

  /** @internal `map` with the modes used by `Pool.imap`, `imapUnordered` and the CLI. */
  _mapWith<R>(fn: unknown, iterable: Iterable<unknown> | AsyncIterable<unknown>, options: MapOptions, mode: Partial<MapMode>,
    taskOptions?: TaskOptions): MapIterator<R> {
    return new MapIterator<R>(this, fn, iterable, options, mode, taskOptions);
  }
}
