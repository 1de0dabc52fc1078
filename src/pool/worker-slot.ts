/**
 * One live worker as the pool sees it: its channel, how much work it holds, and why it may end.
 *
 * @module
 */
import type { WorkerChannel } from './transport.js';
import type { TaskFuture } from './task-future.js';

export class WorkerSlot {
  channel!: WorkerChannel;
  /** Tasks sent and not answered. */
  inflight = 0;
  /** Tasks sent in total (for `maxTasksPerChild`). */
  dispatched = 0;
  completed = 0;
  /** Next task sequence number. */
  seq = 0;
  busyMs = 0;
  /** The initializer ran and the worker said so. */
  ready = false;
  referenced = false;
  /** No more tasks: it reached `maxTasksPerChild` or the pool is shutting down. */
  retiring = false;
  stopping = false;
  /** The task that runs alone on this worker, if any. */
  exclusive: TaskFuture<unknown> | undefined = undefined;
  /** The task the pool stopped this worker for (force cancel, timeout). */
  killedFor: TaskFuture<unknown> | undefined = undefined;
  /** The task that called `process.exit()`, as the worker reported. */
  exitingTask = -1;
  /** Ids of the functions this worker has been sent. */
  readonly fns = new Set<number>();

  constructor(readonly index: number, readonly name: string) {}

  hold(): void {
    if (!this.referenced) {
      this.referenced = true;
      this.channel.ref();
    }
  }

  release(): void {
    if (this.referenced) {
      this.referenced = false;
      this.channel.unref();
    }
  }
}
