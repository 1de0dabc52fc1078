/**
 * The contract between an executor and the code that schedules work on it: `submit`, `map`
 * (`MapIterator`), `multiprocessing.Pool`, the distributed worker's pool runner. Every executor
 * implements {@link Backend} in full; a wrapper that forwards only part of it does not compile.
 *
 * ```
 *  submit ───────────────────────────────▶ backend._schedule(fn, args, 'call', options)
 *  map()  ── _checkOpen()                   (throws at the call after shutdown, as Python's map)
 *         ── _admitMap() ─▶ admission ──────▶ admission.schedule(fn, items, 'chunk', options) …
 *         │  (no buffersize: Python submits every call inside map(), so this map's later chunks
 *         │   are accepted after shutdown, which waits for admission.close())
 *         ── _parallelism(), _chunkTargetMs(), _timed(options): how big and how many chunks
 * ```
 *
 * Observing tasks is not part of this contract: it is the public `Executor.onTask` hook
 * (`task-events.ts`), so that a tool observes an executor the way a user would.
 *
 * @module
 */
import type { Future } from './future.js';

/** The work kinds an executor schedules: a call, or a chunk of a map (`fn(item)` or `fn(...item)` per item). */
export type TaskKind = 'call' | 'chunk' | 'starchunk';

/** Per-task options: a timeout counted from the task's start, and a signal that cancels it. */
export interface TaskOptions {
  /** Milliseconds a task may run once started; then it fails with `TimeoutError` and its worker is replaced. `null`: no limit (not even the executor's `taskTimeout`). */
  timeout?: number | null | undefined;
  /** Aborting cancels the task: a queued one is dropped, a running one is stopped (its worker is replaced). */
  signal?: AbortSignal | undefined;
  /**
   * 1 (most urgent) to 2,097,152, as BullMQ's: tasks waiting for a worker start in order of
   * priority, in submission order within one; a task without a priority goes before every task
   * with one. Strict: a stream of urgent tasks keeps the others waiting (see priority.md in the docs).
   */
  priority?: number | undefined;
}

/** What a chunk task returns: one value per item, errors by item index. */
export interface ChunkOutcome {
  /** One value per item (a typed array when they are all numbers or booleans; see `bools`). */
  readonly values: ArrayLike<unknown>;
  /** `values` holds 0/1 for `false`/`true`. */
  readonly bools?: boolean | undefined;
  readonly errors: ReadonlyMap<number, unknown> | null;
  /** Milliseconds the chunk took in the worker. */
  readonly ms: number;
}

/** Schedules one task and returns its future; throws what `submit` throws (shut down, broken, bad arguments). */
type Schedule = (fn: unknown, args: unknown[], kind: TaskKind, options: TaskOptions | undefined) => Future<unknown>;

/**
 * A map admitted by its executor: its chunks go through {@link MapAdmission.schedule}, which an
 * executor shut down after the admission still accepts (unless it was shut down with
 * `cancelFutures`), and `shutdown()` waits for {@link MapAdmission.close}.
 */
export interface MapAdmission {
  readonly schedule: Schedule;
  /** The map submits nothing more. Calling it again does nothing. */
  close(): void;
}

/** What an executor provides to the code that schedules on it. Every member is required. */
export interface Backend {
  /** Schedules one task: what `submit` does, and what a map with `buffersize` does for each chunk. */
  _schedule(fn: unknown, args: unknown[], kind: TaskKind, options: TaskOptions | undefined): Future<unknown>;
  /** Throws what `_schedule` would throw now (shut down, broken), so that `map()` fails at the call. */
  _checkOpen(): void;
  /** Admits a map as if every call had been submitted now (see {@link MapAdmission}). */
  _admitMap(): MapAdmission;
  /**
   * Milliseconds of work a map chunk should hold: a few on a local pool, more where a task costs a
   * network round trip. `deadline`: the map has a `timeout`, and a chunk's results wait for its
   * last item, so what finished before the deadline matters more than the cost per chunk.
   */
  _chunkTargetMs(deadline: boolean): number;
  /** `true` when tasks scheduled with `options` have a per-task timeout: `map` then sends one item per task. */
  _timed(options: TaskOptions | undefined): boolean;
  /** How many calls can run at once; sizes `map`'s look-ahead. */
  _parallelism(): number;
  /**
   * Takes in the results workers have already sent, now, without waiting for a turn of the event
   * loop, where the transport can read them so (a thread's reply port). A `map` consumer that reads
   * ready results runs in microtasks only, and results that arrive meanwhile would otherwise wait
   * (and their workers with them) until it runs dry.
   *
   * @returns `false` when results only come in through the event loop (a process's pipe).
   */
  _poll?(): boolean;
}
