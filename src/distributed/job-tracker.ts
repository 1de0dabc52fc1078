/**
 * Which of an executor's jobs are in Redis, and how each one's future settles: from BullMQ's
 * events when they arrive, and from the job itself when they do not.
 *
 * BullMQ's event stream is best effort: a reader that falls behind the stream's trimming loses
 * events, a reader started at `$` misses what happened before its first read, and a Redis restart
 * without persistence loses the jobs themselves. So every job that has been quiet for
 * `reconcileInterval` ms (and every job, right after a reconnect) is read back with one pipelined
 * HMGET: finished jobs settle from their hash, vanished ones are reported as lost.
 *
 * @module
 */
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { RuntimeError } from '../errors.js';
import type { JobFuture } from './job-future.js';
import type { JobEventSink } from './event-reader.js';
import { settleCompletedText, settleFailed } from './results.js';

/** What the tracker needs from its executor. */
interface TrackerHost {
  /** The job vanished from Redis without a result. */
  lost(future: JobFuture): void;
  /** Registers work that shutdown must wait for. */
  track(promise: Promise<unknown>): void;
  /** `true` while Redis is reachable. */
  connected(): boolean;
  /** The job became active on a worker (for `onTask`'s `started` events). */
  started(future: JobFuture): void;
}

/** The jobs of one executor that are in Redis (or being added), by id. */
export class JobTracker implements JobEventSink {
  readonly jobs = new Map<string, JobFuture>();
  readonly #host: TrackerHost;
  readonly #client: Redis;
  readonly #queue: Queue;
  readonly #interval: number;
  #timer: NodeJS.Timeout | undefined;
  #reconciling = false;

  constructor(host: TrackerHost, client: Redis, queue: Queue, reconcileInterval: number) {
    this.#host = host;
    this.#client = client;
    this.#queue = queue;
    this.#interval = reconcileInterval;
  }

  // The event reader's sink (JobEventSink): settles futures from the queue's events.

  tracks(jobId: string): boolean {
    return this.jobs.has(jobId);
  }

  active(jobId: string): void {
    const future = this.jobs.get(jobId);
    if (future === undefined) return;
    future.lastSeen = performance.now();
    if (future.state !== 'PENDING') return;
    if (future.setRunningOrNotifyCancel()) this.#host.started(future);
  }

  completed(jobId: string, returnvalue: string): void {
    const future = this.jobs.get(jobId);
    if (future !== undefined) settleCompletedText(future, returnvalue);
  }

  failed(jobId: string, reason: string): void {
    const future = this.jobs.get(jobId);
    if (future !== undefined) settleFailed(future, reason);
  }

  removed(jobId: string): void {
    const future = this.jobs.get(jobId);
    if (future === undefined) return;
    // Someone else removed it (a dashboard, queue.clean): the job will not run.
    this.jobs.delete(jobId);
    future.stage = 'DONE';
    if (!future.cancel()) future.setException(new RuntimeError(`the job ${jobId} (${future.name}) was removed from the queue while it ran`));
  }

  alive(jobId: string): void {
    const future = this.jobs.get(jobId);
    if (future !== undefined) future.lastSeen = performance.now();
  }

  /** Starts the periodic check, if it is not running; it stops by itself when no job is left. */
  start(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setInterval(this.#tick, Math.max(10, this.#interval / 2));
    this.#timer.unref();
  }

  /** Checks every job at once (after a reconnect: events may be missing, jobs may be gone). */
  checkAllSoon(): void {
    for (const future of this.jobs.values()) future.lastSeen = -Infinity;
    setImmediate(this.#tick);
  }

  /** Stops the periodic check. */
  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  readonly #tick = (): void => {
    if (this.jobs.size === 0) {
      this.stop();
      return;
    }
    if (this.#reconciling || !this.#host.connected()) return;
    const now = performance.now();
    const quiet: JobFuture[] = [];
    for (const future of this.jobs.values()) {
      if (future.stage === 'QUEUED' && now - future.lastSeen >= this.#interval) quiet.push(future);
    }
    if (quiet.length > 0) this.#host.track(this.#reconcile(quiet));
  };

  /** Reads quiet jobs back from Redis: settles those that finished, reports those that vanished. */
  async #reconcile(quiet: JobFuture[]): Promise<void> {
    this.#reconciling = true;
    try {
      const pipeline = this.#client.pipeline();
      for (const future of quiet) pipeline.hmget(this.#queue.toKey(future.id), 'timestamp', 'finishedOn', 'returnvalue', 'failedReason');
      const replies = (await pipeline.exec()) ?? [];
      const now = performance.now();
      for (let i = 0; i < quiet.length; i++) {
        const future = quiet[i] as JobFuture;
        const [error, fields] = replies[i] ?? [null, null];
        if (error !== null || !Array.isArray(fields) || this.jobs.get(future.id) !== future) continue;
        future.lastSeen = now;
        const [timestamp, finishedOn, returnvalue, failedReason] = fields as [string | null, string | null, string | null, string | null];
        if (timestamp === null) {
          this.jobs.delete(future.id);
          this.#host.lost(future);
        } else if (finishedOn !== null && returnvalue !== null) {
          // A retried job may hold an earlier attempt's failedReason: a return value wins.
          settleCompletedText(future, returnvalue);
        } else if (finishedOn !== null && failedReason !== null) {
          settleFailed(future, failedReason);
        }
      }
    } catch {
      // Redis is away; the reconnect triggers a full check.
    } finally {
      this.#reconciling = false;
    }
  }
}
