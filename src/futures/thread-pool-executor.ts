/**
 * `ThreadPoolExecutor`: Python's thread pool on Node's worker threads. There is no GIL here,
 * so threads are the right default for CPU-bound work as well as for blocking calls.
 *
 * @module
 */
import { PoolExecutor, type PoolOptions } from '../pool/pool-executor.js';
import { WorkerThreadTransport, type WorkerThreadOptions } from '../transports/worker-thread-transport.js';

/** Options of {@link ThreadPoolExecutor}. */
export interface ThreadPoolExecutorOptions extends PoolOptions, Omit<WorkerThreadOptions, 'registry'> {
  /** Worker thread names are `<prefix>_<n>`; the default prefix is `ThreadPoolExecutor-<k>`. */
  threadNamePrefix?: string | undefined;
}

let executors = 0;

/**
 * An executor that runs calls on a pool of worker threads.
 *
 * @example
 * ```ts
 * await using executor = new ThreadPoolExecutor({ maxWorkers: 4 });
 * const future = executor.submit(isPrime, 112272535095293);
 * console.log(await future); // true
 * ```
 */
export class ThreadPoolExecutor extends PoolExecutor {
  /**
   * Creates the pool. Workers start on demand, up to `maxWorkers`, and idle ones never keep the
   * program alive.
   *
   * @param options - `maxWorkers` (default: `os.availableParallelism()`), `threadNamePrefix`,
   *   `initializer`/`initargs`, `maxTasksPerChild`, `onWorkerExit`, `taskTimeout`, and the worker
   *   threads' `resourceLimits` and `execArgv`.
   * @throws {ValueError} `maxWorkers` of 0 or less; a bad `maxTasksPerChild` or timeout.
   * @throws {TypeError} `initializer` that is not a function or task reference.
   */
  constructor(options: ThreadPoolExecutorOptions = {}) {
    const prefix = options.threadNamePrefix ?? `ThreadPoolExecutor-${executors++}`;
    super(new WorkerThreadTransport({ resourceLimits: options.resourceLimits, execArgv: options.execArgv }), options, prefix);
  }
}
