/**
 * Where `concurrent-ts map` runs its tasks: a local thread or process pool, or the workers of a
 * Redis queue; and the check of `MODULE#EXPORT` on one worker before the run.
 *
 * @module
 */
import type { Executor } from '../core/executor.js';
import { ProcessPoolExecutor, ThreadPoolExecutor } from '../futures/index.js';
import type { PoolExecutor } from '../pool/pool-executor.js';
import { siblingUrl } from '../sibling-url.js';
import { taskRef } from '../task-ref/task-module.js';
import { CliError, describeThrown, EXIT } from './cli-error.js';
import type { MapCommandOptions } from './map-command.js';
import type { describeExport } from './probe.js';

const PROBE_URL = siblingUrl('./probe', import.meta.url);

/** What runs the tasks: a local pool, or a distributed executor. */
interface Target {
  readonly executor: Executor;
  readonly pool: PoolExecutor | undefined;
  readonly where: string;
}

/**
 * The executor for the run: a thread pool (threads named `worker_<n>`), a process pool, or with
 * `--redis` a distributed executor.
 *
 * @throws {CliError} (exit code 2) when the distributed executor cannot be loaded or refuses its options.
 */
export async function createTarget(options: MapCommandOptions): Promise<Target> {
  if (options.redis !== undefined) return createDistributed(options.redis, options.queue ?? 'concurrent-ts');
  const common = { maxWorkers: options.workers };
  if (options.processes === true) {
    const pool = new ProcessPoolExecutor(common);
    return { executor: pool, pool, where: `${pool.maxWorkers} ${pool.maxWorkers === 1 ? 'process' : 'processes'}` };
  }
  const pool = new ThreadPoolExecutor({ ...common, threadNamePrefix: 'worker' });
  return { executor: pool, pool, where: `${pool.maxWorkers} ${pool.maxWorkers === 1 ? 'thread' : 'threads'}` };
}

/** With `--redis`: the distributed executor, whose module (and its peer dependencies) is loaded only then. */
async function createDistributed(url: string, queue: string): Promise<Target> {
  let mod: typeof import('../distributed/index.js');
  try {
    mod = await import('../distributed/index.js');
  } catch (error) {
    throw new CliError(`--redis needs the distributed executor and its peer dependencies (npm install bullmq ioredis): ${describeThrown(error)}`, EXIT.usage);
  }
  let executor: Executor;
  try {
    executor = new mod.DistributedExecutor({ connection: url, queue });
  } catch (error) {
    throw new CliError(`--redis: ${describeThrown(error).replace(/^ValueError: /, '')}`, EXIT.usage);
  }
  return { executor, pool: undefined, where: `Redis queue "${queue}"` };
}

/**
 * Checks on one worker that the export is a function, before any input is read.
 *
 * @throws {CliError} (exit code 2) naming the module and what is wrong with it.
 */
export async function probe(pool: PoolExecutor, spec: { url: string; name: string; shown: string }): Promise<void> {
  let problem: string | null;
  try {
    problem = await pool.submit(taskRef<typeof describeExport>(PROBE_URL, 'describeExport'), spec.url, spec.name);
  } catch (error) {
    throw new CliError(`cannot start the workers: ${describeThrown(error)}`, EXIT.failed);
  }
  if (problem !== null) throw new CliError(`${spec.shown}#${spec.name}: ${problem}`, EXIT.usage);
}
