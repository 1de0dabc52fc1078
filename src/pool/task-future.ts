/**
 * The pool's unit of work: a `Future` that also carries what the pool needs to run it, so that a
 * task costs one allocation besides its arguments. Fields that most tasks never use (timeout,
 * signal, timer) live in one optional object, keeping the common task small: a burst of 100,000
 * tasks is 100,000 of these alive at once.
 *
 * @module
 */
import { Future } from '../core/future.js';
import type { Timer } from '../sync/deadline.js';
import type { WorkerSlot } from './worker-slot.js';

/** Implemented by the pool: stops the worker running `task`, or takes back a task not started. */
export interface ForceCanceller {
  forceCancel(task: TaskFuture<unknown>): boolean;
  cancelUnstarted(task: TaskFuture<unknown>): boolean;
}

/** Per-task options and their machinery; absent for most tasks. */
export interface TaskExtra {
  readonly timeout: number | undefined;
  readonly signal: AbortSignal | undefined;
  timer: Timer | undefined;
  onAbort: (() => void) | undefined;
  /** 1 (most urgent) and up; `0` for a task without one, which goes first (BullMQ's order). */
  readonly priority: number;
  /** What the task's message moves to its worker instead of copying (`transfer()`), or `undefined`. */
  transfer: object[] | undefined;
  /** The task's tracing span and the context it carries to its worker, when tracing is on. */
  trace: TaskTrace | undefined;
  /** The worker it was sent to, for its span. */
  worker: string | undefined;
  /** Epoch milliseconds when it started and ended on its worker, when known. */
  startedAt: number;
  endedAt: number;
  /** The name of a worker it should not run on while another can take it (a retry of a failed call). */
  avoid: string | undefined;
}

/** A task's span (`pool/tracing.ts`), kept opaque here. */
export interface TaskTrace {
  /** The W3C `traceparent` the worker runs the task under. */
  readonly parent: string;
}

/** The `extra` of a task with none of its options set. */
export function newExtra(timeout: number | undefined, signal: AbortSignal | undefined, priority: number): TaskExtra {
  return { timeout, signal, timer: undefined, onAbort: undefined, priority, transfer: undefined, trace: undefined, worker: undefined, startedAt: 0, endedAt: 0, avoid: undefined };
}

/** Set when the task ran on a worker that died and it goes round again. */
export const REQUEUED = 1;
/** The task may have killed a worker: it runs alone until proven innocent. */
export const SUSPECT = 2;
/** It has a timeout or a signal: it runs alone on its worker. */
export const EXCLUSIVE = 4;
/** Its message moved values to its worker (`transfer()` on a thread pool): it can never run on another. */
export const MOVED = 8;

const ORIGIN = performance.now();
const TICKS_PER_MS = 100;

/** A future with its call: function id, flags, arguments, and where it runs. */
export class TaskFuture<T> extends Future<T> {
  /** Wire id while dispatched. */
  id = 0;
  /** Position in its worker's stream of tasks; tells which tasks a dead worker had started. */
  seq = 0;
  slot: WorkerSlot | undefined = undefined;
  /** `REQUEUED | SUSPECT | EXCLUSIVE | MOVED` bits. */
  marks = 0;
  /**
   * When it was submitted, in 10 µs ticks since this module loaded: an integer stays a small
   * integer inside the object for three hours, where a `performance.now()` double would cost
   * every task an allocation of its own.
   */
  readonly queuedTick = Math.round((performance.now() - ORIGIN) * TICKS_PER_MS);

  constructor(
    readonly owner: ForceCanceller,
    readonly fnId: number,
    readonly flags: number,
    public args: unknown[] | undefined,
    readonly extra: TaskExtra | undefined,
  ) {
    super();
    if (extra !== undefined && (extra.timeout !== undefined || extra.signal !== undefined)) this.marks = EXCLUSIVE;
  }

  /** When it was submitted, in `performance.now()` milliseconds (to 10 µs). */
  get queuedAt(): number {
    return ORIGIN + this.queuedTick / TICKS_PER_MS;
  }

  /** Runs alone on a worker: it has a timeout or a signal, or it is a suspect. */
  get exclusive(): boolean {
    return (this.marks & (SUSPECT | EXCLUSIVE)) !== 0;
  }

  protected override _forceCancel(): boolean {
    return this.owner.forceCancel(this as TaskFuture<unknown>);
  }

  protected override _cancelUnstarted(): boolean {
    return this.owner.cancelUnstarted(this as TaskFuture<unknown>);
  }
}
