/**
 * The default runner of a distributed worker: a local pool of threads (or child processes), so
 * that one worker process uses every core and user code never delays BullMQ's lock renewals on
 * the main thread. A stopped task's thread is replaced, which really stops the task.
 *
 * @module
 */
import type { TaskKind } from '../core/backend.js';
import { ProcessPoolExecutor, ThreadPoolExecutor } from '../futures/index.js';
import type { PoolExecutor } from '../pool/pool-executor.js';
import { siblingUrl } from '../sibling-url.js';
import { taskRef, type TaskRef } from '../task-ref/task-module.js';
import type { RunningTask, TaskRunner } from './task-runner.js';

const PROBE = taskRef<(url: string) => Promise<string[]>>(siblingUrl('./probe', import.meta.url), 'exportedFunctions');

/** Jobs on a `ThreadPoolExecutor` or `ProcessPoolExecutor` of `size` workers. */
export class PoolRunner implements TaskRunner {
  readonly description: string;
  readonly #pool: PoolExecutor;

  constructor(size: number, processes: boolean) {
    this.#pool = processes
      ? new ProcessPoolExecutor({ maxWorkers: size })
      : new ThreadPoolExecutor({ maxWorkers: size, threadNamePrefix: 'DistributedWorker' });
    this.description = `${size} ${processes ? 'processes' : 'threads'}`;
  }

  /** Imports the module in the pool, not here: there `isMain()` is false, as for the tasks. */
  exportsOf(url: string): Promise<string[]> {
    return Promise.resolve(this.#pool.submit(PROBE, url));
  }

  run(ref: TaskRef, args: unknown[], kind: TaskKind, timeout: number | undefined): RunningTask {
    const future = this.#pool._schedule(ref, args, kind, timeout === undefined ? undefined : { timeout });
    return {
      result: future,
      stop: () => {
        if (!future.cancel()) future.cancel({ force: true });
      },
    };
  }

  close(force: boolean): Promise<void> {
    return this.#pool.shutdown({ wait: !force, cancelFutures: true });
  }
}
