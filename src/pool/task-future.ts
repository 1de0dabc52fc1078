/**
 * The pool's unit of work: a `Future` that also carries what the pool needs to run it, so that a
 * task costs one allocation besides its arguments.
 *
 * @module
 */
import { Future } from '../core/future.js';
import type { Timer } from '../core/deadline.js';
import type { WorkerSlot } from './worker-slot.js';

/** Implemented by the pool: stops the worker running `task`. */
export interface ForceCanceller {
  forceCancel(task: TaskFuture<unknown>): boolean;
}

/** A future with its call: function id, flags, arguments, and where it runs. */
export class TaskFuture<T> extends Future<T> {
  /** Wire id while dispatched. */
  id = 0;
  /** Position in its worker's stream of tasks; tells which tasks a dead worker had started. */
  seq = 0;
  slot: WorkerSlot | undefined = undefined;
  /** Set when the task ran on a worker that died and it goes round again. */
  requeued = false;
  /** The task may have killed a worker: it runs alone until proven innocent. */
  suspect = false;
  timer: Timer | undefined = undefined;
  onAbort: (() => void) | undefined = undefined;
  args: unknown[] | undefined;

  constructor(
    readonly owner: ForceCanceller,
    readonly fnId: number,
    readonly fnName: string,
    readonly flags: number,
    args: unknown[],
    readonly timeout: number | undefined,
    readonly signal: AbortSignal | undefined,
  ) {
    super();
    this.args = args;
  }

  /** Runs alone on a worker: it has a timeout or a signal, or it is a suspect. */
  get exclusive(): boolean {
    return this.timeout !== undefined || this.signal !== undefined || this.suspect;
  }

  protected override _forceCancel(): boolean {
    return this.owner.forceCancel(this as TaskFuture<unknown>);
  }
}
