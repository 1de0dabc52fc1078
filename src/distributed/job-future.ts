/**
 * The distributed executor's unit of work: a `Future` that also carries its BullMQ job.
 *
 * ```
 *  LOCAL ──addBulk──▶ ADDING ──ok──▶ QUEUED ──completed / failed / cancelled──▶ DONE
 *    ▲  │               │                │
 *    │  │               └─ no connection ┴── lost in a Redis restart: LOCAL again (onLost: 'resubmit')
 *    │  └──packed with others──▶ PACKED ──the pack settles──▶ DONE
 *    └──── the pack is given up (another member cancelled) ───┘
 * ```
 *
 * The stage is where the job is; the future's own state (PENDING, RUNNING, …) is what the caller
 * sees. A job may be RUNNING on a worker and go back to `wait` (its worker died or handed it
 * back); the future stays RUNNING, as futures only move forward.
 *
 * @module
 */
import { Future, type CancelOptions } from '../core/future.js';
import type { JobData } from './wire.js';

/** Where a job is: only in this process, being added, in Redis, or inside a pack (see `pack-future.ts`). */
type JobStage = 'LOCAL' | 'ADDING' | 'QUEUED' | 'PACKED' | 'DONE';

/** Implemented by the executor: what cancelling a job means in Redis. */
export interface JobOwner {
  /** A PENDING future was cancelled: drop or remove its job. */
  cancelled(future: JobFuture): void;
  /** A RUNNING future is force-cancelled: ask the worker running it to stop. */
  forceCancel(future: JobFuture): boolean;
  /** The future has just settled, however it settled (after its done-callbacks ran). */
  settled(future: JobFuture): void;
}

/** Per-job BullMQ options that differ from the executor's defaults. */
export interface JobOverrides {
  /** 1 (most urgent) to 2,097,152. */
  priority?: number;
  /** Runs, including the first. */
  attempts?: number;
  /** BullMQ's backoff between attempts (delay in ms). */
  backoff?: { type: 'fixed' | 'exponential'; delay: number; jitter?: number };
}

/** A future with its job: id, name, data, and where it is. */
export class JobFuture<T = unknown> extends Future<T> {
  /** Where the job is; see the module diagram. */
  stage: JobStage = 'LOCAL';
  /** `performance.now()` when it last joined the local queue; bounds its wait for a connection. */
  waitingSince = performance.now();
  /** `performance.now()` of the last sign of life from Redis (added, an event); drives reconciliation. */
  lastSeen = 0;
  /** Times the job vanished from Redis and was added again. */
  losses = 0;
  /** Cancelled while being added: remove it once the add is through. */
  removeAfterAdd = false;
  onAbort: (() => void) | undefined = undefined;
  /** The pack whose job carries this call (stage PACKED). */
  pack: JobFuture | undefined = undefined;

  /** `true` for map chunks (the result is a chunk outcome). */
  readonly isChunk: boolean;
  /** The job's data; dropped once the future settles, so a settled future does not pin its arguments. */
  data: JobData | undefined;

  constructor(
    readonly owner: JobOwner,
    readonly id: string,
    readonly name: string,
    data: JobData,
    readonly overrides: JobOverrides | undefined,
    readonly signal: AbortSignal | undefined,
  ) {
    super();
    this.data = data;
    this.isChunk = data.k !== 0;
  }

  // The owner hears of settling from these overrides rather than from a completion listener:
  // a listener costs every job an array and a closure, and a burst of tiny jobs feels it.
  override setResult(value: T): void {
    super.setResult(value);
    this.owner.settled(this as JobFuture);
  }

  override setException(error: unknown): void {
    super.setException(error);
    this.owner.settled(this as JobFuture);
  }

  override cancel(options?: CancelOptions): boolean {
    const wasDone = this.done();
    // The owner looks at the stage before the future settles: settling forgets the job.
    if (this.state === 'PENDING') this.owner.cancelled(this as JobFuture);
    const cancelled = super.cancel(options);
    if (cancelled && !wasDone) this.owner.settled(this as JobFuture);
    return cancelled;
  }

  protected override _forceCancel(): boolean {
    return this.owner.forceCancel(this as JobFuture);
  }
}
