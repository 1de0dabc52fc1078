/**
 * `ProcessPoolExecutor`: Python's process pool on Node's child processes. The same engine and
 * `Future` as the thread pool; only the transport differs. Use processes for isolation (a crash,
 * a leak, native code, `process.exit`, global state); threads are the faster default for CPU work.
 *
 * @module
 */
import { PoolExecutor, type PoolOptions } from '../pool/pool-executor.js';
import { ChildProcessTransport, type ChildProcessOptions } from '../transports/child-process-transport.js';

/** Options of {@link ProcessPoolExecutor}. */
export interface ProcessPoolExecutorOptions extends PoolOptions, ChildProcessOptions {}

let executors = 0;

/**
 * An executor that runs calls on a pool of child processes.
 *
 * @example
 * ```ts
 * await using executor = new ProcessPoolExecutor({ maxWorkers: 1 });
 * const future = executor.submit(tasks.calcAndSleep, 128n, 256n);
 * console.log(await future);
 * ```
 */
export class ProcessPoolExecutor extends PoolExecutor {
  /**
   * Creates the pool. Child processes start on demand, up to `maxWorkers`, and idle ones never
   * keep the program alive.
   *
   * @param options - `maxWorkers` (default: `os.availableParallelism()`), `initializer`/`initargs`,
   *   `maxTasksPerChild`, `onWorkerExit`, `taskTimeout`, and the children's `execArgv` and `env`.
   * @throws {ValueError} `maxWorkers` of 0 or less; `maxTasksPerChild` below 1.
   * @throws {TypeError} a non-integer `maxTasksPerChild`; an initializer that is not a function.
   */
  constructor(options: ProcessPoolExecutorOptions = {}) {
    super(new ChildProcessTransport({ execArgv: options.execArgv, env: options.env }), options, `ProcessPoolExecutor-${executors++}`);
  }
}
