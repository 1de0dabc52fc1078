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
}

/** Set when the task ran on a worker that died and it goes round again. */
export const REQUEUED = 1;
/** The task may have killed a worker: it runs alone until proven innocent. */
const SUSPECT = 2;

/** A future with its call: function id, flags, arguments, and where it runs. */
export class TaskFuture<T> extends Future<T> {
  /** Wire id while dispatched. */
  id = 0;
  /** Position in its worker's stream of tasks; tells which tasks a dead worker had started. */
  seq = 0;
  slot: WorkerSlot | undefined = undefined;
  /** `REQUEUED | SUSPECT` bits. */
  marks = 0;

  constructor(
    readonly owner: ForceCanceller,
    readonly fnId: number,
    readonly flags: number,
    public args: unknown[] | undefined,
    readonly extra: TaskExtra | undefined,
  ) {
    super();
  }

  /** Runs alone on a worker: it has a timeout or a signal, or it is a suspect. */
  get exclusive(): boolean {
    return this.extra !== undefined || (this.marks & SUSPECT) !== 0;
  }

  protected override _forceCancel(): boolean {
    return this.owner.forceCancel(this as TaskFuture<unknown>);
  }

  protected override _cancelUnstarted(): boolean {
    return this.owner.cancelUnstarted(this as TaskFuture<unknown>);
  }
}
