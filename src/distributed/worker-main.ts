/**
 * `runWorker`: the entry point of `concurrent-ts worker`, and of any program that wants to be a
 * distributed worker.
 *
 * @module
 */
import { DistributedWorker, type RunWorkerOptions } from './distributed-worker.js';

export type { RunWorkerOptions } from './distributed-worker.js';

/**
 * A running worker. It is itself a promise that resolves once the worker has shut down (after
 * SIGTERM/SIGINT or {@link WorkerHandle.stop}) and rejects if it could not start, so
 * `await runWorker(options)` runs a worker for the life of the process.
 */
export interface WorkerHandle extends Promise<void> {
  /** Resolves once the worker takes jobs; rejects like the handle if it cannot start. */
  readonly ready: Promise<void>;
  /** The same promise as the handle: settled when the worker has shut down. */
  readonly closed: Promise<void>;
  /**
   * Stops taking jobs; running jobs get `grace` ms to finish, then go back to the queue for other
   * workers. Resolves when the worker has shut down. Calling it again hands the jobs back at once.
   */
  stop(): Promise<void>;
}

/**
 * Runs a distributed worker: takes jobs from the BullMQ queue `queue` on `redis` and runs them on
 * a local pool of threads (or processes with `processes: true`, or on this thread with
 * `inline: true`), one job per free slot up to `concurrency`. Only functions exported by the modules in `allow` can run; a job naming anything
 * else fails with `TaskNotAllowedError` and runs nothing. Logs one line per start, stop, failure
 * and lost connection.
 *
 * @example
 * ```ts
 * // The CLI's `concurrent-ts worker --redis URL --queue NAME --allow ./tasks.js --concurrency 8`:
 * await runWorker({ redis: url, queue: name, allow: ['./tasks.js'], concurrency: 8, processes: false });
 * ```
 *
 * @param options - `redis` and `queue` to serve, `allow` (the modules whose exported functions
 *   may run), and the local pool: `maxWorkers`, `processes`, `concurrency`, or `inline`.
 * @throws {ValueError} (synchronously) for a bad option, or an `allow` entry that is not a local file.
 * @returns a {@link WorkerHandle}; it rejects with `ValueError` when an allowed module cannot be
 * loaded, or `OSError` when Redis cannot be reached within `connectTimeout`.
 */
export function runWorker(options: RunWorkerOptions): WorkerHandle {
  const worker = new DistributedWorker(options);
  let started!: () => void;
  const ready = new Promise<void>((resolve) => {
    started = resolve;
  });
  const closed = worker.run(started);
  const readyOrFailed = Promise.race([ready, closed]);
  readyOrFailed.catch(() => {});
  return Object.assign(closed, {
    ready: readyOrFailed,
    closed,
    stop: () => worker.stop(),
  });
}
