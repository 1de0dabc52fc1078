/**
 * Task events: how a program observes an executor's tasks (`executor.onTask(listener)`), for its
 * own tracing, metrics or progress display. The CLI's summary and `--trace` are built on the same
 * hook.
 *
 * ```
 *  submit / map chunk ─▶ submitted ─▶ started (sent to worker W: the future is RUNNING)
 *                                        │   ▲
 *                                        ▼   │ requeued (W gave it back unstarted, or ended
 *                                            │  before it started it: it goes to another worker)
 *                                     settled { outcome, run: { worker, start, end } }
 * ```
 *
 * Every event of one task carries the same {@link TaskInfo} object. Times are epoch milliseconds
 * with sub-millisecond precision (`performance.timeOrigin + performance.now()`). Design and the
 * metrics and spans it is meant to carry: docs/decisions/task-events.md.
 *
 * @module
 */
import type { TaskKind } from './backend.js';
import type { Future } from './future.js';
import { reportError } from './logger.js';

/** One task, as every event about it describes it. */
export interface TaskInfo {
  /** Numbered from 1 on each executor, in the order the tasks were submitted. */
  readonly id: number;
  /** `'call'` for `submit`; `'chunk'` or `'starchunk'` for a group of items of `map` or `starmap`. */
  readonly kind: TaskKind;
  /** The function's name. */
  readonly fn: string;
  /** How many items it covers: 1 for a call, the chunk's size for a map chunk. */
  readonly items: number;
  /** The task's future: what `submit` returned, or the future of a map chunk. */
  readonly future: Future<unknown>;
  /** When it was submitted (epoch ms). */
  readonly submittedAt: number;
}

/** When and where a task ran, as its worker measured it. */
export interface TaskRun {
  /** The worker's name (`ThreadPoolExecutor-0_1`, or the pool's `threadNamePrefix` and index). */
  readonly worker: string;
  /** When the worker started the task (epoch ms). */
  readonly start: number;
  /** When it finished it: returned, threw, or its returned promise settled (epoch ms). */
  readonly end: number;
}

/** The task was accepted: it waits in the executor's queue. */
export interface TaskSubmitted {
  /** What happened. */
  readonly type: 'submitted';
  /** The task. */
  readonly task: TaskInfo;
  /** Epoch ms: the same as `task.submittedAt`. */
  readonly at: number;
}

/**
 * The task left the queue for a worker, and its future is RUNNING (on the pools a thread worker
 * may hold it a few milliseconds behind the tasks before it; `settled` tells when it really ran).
 */
export interface TaskStarted {
  /** What happened. */
  readonly type: 'started';
  /** The task. */
  readonly task: TaskInfo;
  /** When (epoch ms). */
  readonly at: number;
  /** The worker it was sent to; `undefined` where the executor does not know (a Redis queue). */
  readonly worker: string | undefined;
}

/** The task had not started and went back to the front of the queue: its worker gave it back, or ended. */
export interface TaskRequeued {
  /** What happened. */
  readonly type: 'requeued';
  /** The task. */
  readonly task: TaskInfo;
  /** When (epoch ms). */
  readonly at: number;
}

/** The task's future settled. */
export interface TaskSettled {
  /** What happened. */
  readonly type: 'settled';
  /** The task. */
  readonly task: TaskInfo;
  /** When (epoch ms). */
  readonly at: number;
  /** `'returned'` (a chunk returns even when some of its items threw), `'raised'`, or `'cancelled'`. */
  readonly outcome: 'returned' | 'raised' | 'cancelled';
  /** What it raised, for `'raised'`. */
  readonly error?: unknown;
  /** When and where it ran, when the executor knows (the pools: every task that ran to its end). */
  readonly run: TaskRun | undefined;
}

/** One event of one task. */
export type TaskEvent = TaskSubmitted | TaskStarted | TaskRequeued | TaskSettled;

/** Receives task events; it runs inside the executor's bookkeeping, so it should be quick. */
export type TaskListener = (event: TaskEvent) => void;

interface Live {
  readonly task: TaskInfo;
  run: TaskRun | undefined;
}

/** The current time in epoch milliseconds, with sub-millisecond precision. */
export function epochNow(): number {
  return performance.timeOrigin + performance.now();
}

/**
 * @internal One executor's listeners and the tasks they are following. The executor reports
 * what only it knows (a task was sent to a worker, came back, ran from … to …); submission and
 * settling are followed here.
 */
export class TaskEvents {
  #listeners: readonly TaskListener[] = [];
  readonly #live = new Map<Future<unknown>, Live>();
  #next = 1;

  /** Someone listens: the executor reports what it knows, and its workers time each task. */
  get active(): boolean {
    return this.#listeners.length > 0;
  }

  /** Adds a listener; returns the function that removes it. */
  subscribe(listener: TaskListener): () => void {
    if (typeof listener !== 'function') throw new TypeError('onTask() needs a function');
    this.#listeners = [...this.#listeners, listener];
    return () => {
      this.#listeners = this.#listeners.filter((l) => l !== listener);
    };
  }

  /** A task was accepted; its settling is followed from here. */
  submitted(future: Future<unknown>, fn: string, kind: TaskKind, items: number): void {
    const at = epochNow();
    const live: Live = { task: { id: this.#next++, kind, fn, items, future, submittedAt: at }, run: undefined };
    this.#live.set(future, live);
    this.#emit({ type: 'submitted', task: live.task, at });
    future._listen(() => this.#settled(live));
  }

  /** The task was sent to `worker`. */
  started(future: Future<unknown>, worker: string | undefined): void {
    const live = this.#live.get(future);
    if (live !== undefined) this.#emit({ type: 'started', task: live.task, at: epochNow(), worker });
  }

  /** The task, not started, is back in the queue. */
  requeued(future: Future<unknown>): void {
    const live = this.#live.get(future);
    if (live !== undefined) this.#emit({ type: 'requeued', task: live.task, at: epochNow() });
  }

  /** The task ran on `worker` from `start` to `end` (epoch ms); reported before it settles. */
  ran(future: Future<unknown>, worker: string, start: number, end: number): void {
    const live = this.#live.get(future);
    if (live !== undefined) live.run = { worker, start, end };
  }

  #settled(live: Live): void {
    const future = live.task.future;
    this.#live.delete(future);
    const at = epochNow();
    if (future.cancelled()) {
      this.#emit({ type: 'settled', task: live.task, at, outcome: 'cancelled', run: live.run });
      return;
    }
    const outcome = future._outcome();
    this.#emit(outcome.ok
      ? { type: 'settled', task: live.task, at, outcome: 'returned', run: live.run }
      : { type: 'settled', task: live.task, at, outcome: 'raised', error: outcome.error, run: live.run });
  }

  #emit(event: TaskEvent): void {
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch (error) {
        reportError(`exception in a task event listener (${event.type} of task ${event.task.id})`, error);
      }
    }
  }
}
