/**
 * Where `concurrent-ts map` runs its tasks: a local thread or process pool, or the workers of a
 * Redis queue; the check of `MODULE#EXPORT` on one worker before the run; and the host between
 * the map and the executor that counts tasks (for the summary) and notes which input lines each
 * task covered (for the trace).
 *
 * @module
 */
import type { Executor } from '../core/executor.js';
import type { MapHost, TaskKind, TaskOptions } from '../core/map-iterator.js';
import { ProcessPoolExecutor, ThreadPoolExecutor, type Future } from '../futures/index.js';
import type { PoolExecutor } from '../pool/pool-executor.js';
import { TaskFuture } from '../pool/task-future.js';
import { taskRef } from '../task-ref/task-module.js';
import { CliError, describeThrown, EXIT } from './cli-error.js';
import type { HeldInputs } from './held-inputs.js';
import type { MapCommandOptions } from './map-command.js';
import type { describeExport } from './probe.js';
import type { TaskLines } from './run-report.js';

const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
const PROBE_URL = new URL(`./probe${ext}`, import.meta.url);

/** What runs the tasks: a local pool, or a distributed executor. */
export interface Target {
  readonly executor: Executor;
  readonly pool: PoolExecutor | undefined;
  readonly where: string;
}

/**
 * The executor for the run: a thread pool (threads named `worker_<n>`), a process pool, or with
 * `--redis` a distributed executor. A pool records task spans when `--trace` is given.
 *
 * @throws {CliError} (exit code 2) when the distributed executor cannot be loaded or refuses its options.
 */
export async function createTarget(options: MapCommandOptions): Promise<Target> {
  if (options.redis !== undefined) return createDistributed(options.redis, options.queue ?? 'concurrent-ts');
  const common = { maxWorkers: options.workers, trace: options.trace !== undefined };
  if (options.processes === true) {
    const pool = new ProcessPoolExecutor(common);
    return { executor: pool, pool, where: `${pool.maxWorkers} ${pool.maxWorkers === 1 ? 'process' : 'processes'}` };
  }
  const pool = new ThreadPoolExecutor({ ...common, threadNamePrefix: 'worker' });
  return { executor: pool, pool, where: `${pool.maxWorkers} ${pool.maxWorkers === 1 ? 'thread' : 'threads'}` };
}

/** The distributed executor's module, loaded only for `--redis`. */
interface DistributedModule {
  DistributedExecutor: new (options: { connection: unknown; queue: string }) => Executor;
}

async function createDistributed(url: string, queue: string): Promise<Target> {
  const specifier = '../distributed/index.js';
  let mod: DistributedModule;
  try {
    mod = (await import(specifier)) as DistributedModule;
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
 * @returns the probe's task id, so that the trace can label it.
 * @throws {CliError} (exit code 2) naming the module and what is wrong with it.
 */
export async function probe(pool: PoolExecutor, spec: { url: string; name: string; shown: string }): Promise<number | undefined> {
  const future = pool.submit(taskRef<typeof describeExport>(PROBE_URL, 'describeExport'), spec.url, spec.name);
  let problem: string | null;
  try {
    problem = await future;
  } catch (error) {
    throw new CliError(`cannot start the workers: ${describeThrown(error)}`, EXIT.failed);
  }
  if (problem !== null) throw new CliError(`${spec.shown}#${spec.name}: ${problem}`, EXIT.usage);
  return future instanceof TaskFuture ? future.id : undefined;
}

/**
 * Passes tasks on to the executor, counting them; with `--trace`, also notes which input lines
 * each task covered, keyed by the pool's task id (known once the task has run).
 */
export class RecordingHost implements MapHost {
  /** Tasks scheduled so far. */
  tasks = 0;
  /** With `--trace`: the input lines of each finished task, by task id. */
  readonly lines = new Map<number, TaskLines>();
  readonly #executor: Executor;
  readonly #held: HeldInputs | undefined;
  #scheduled = 0;

  constructor(executor: Executor, held: HeldInputs | undefined) {
    this.#executor = executor;
    this.#held = held;
  }

  _schedule(fn: unknown, args: unknown[], kind: TaskKind, options: TaskOptions | undefined, admitted?: boolean): Future<unknown> {
    const future = (this.#executor as MapHost)._schedule(fn, args, kind, options, admitted);
    const base = this.#scheduled;
    this.#scheduled += args.length;
    this.tasks++;
    const held = this.#held;
    if (held !== undefined && future instanceof TaskFuture) {
      const entry: TaskLines = {
        firstLine: held.lineOf(base),
        lastLine: held.lineOf(base + args.length - 1),
        items: args.length,
      };
      // The task id is given at dispatch; read it once the task is over.
      future._listen(() => this.lines.set(future.id, entry));
    }
    return future;
  }

  _admitMap(): (() => void) | undefined {
    return (this.#executor as MapHost)._admitMap?.();
  }

  _parallelism(): number {
    return this.#executor._parallelism();
  }
}

/** The worker number at the end of a pool worker's name (`worker_3` → 3). */
export function workerIndex(name: string): number {
  const match = /_(\d+)$/.exec(name);
  return match === null ? 0 : Number(match[1]);
}
