/**
 * `concurrent-ts worker`: serves the tasks of a `DistributedExecutor` (or of `concurrent-ts map
 * --redis`) from a Redis queue. Only functions of the modules named with `--allow` may run.
 *
 * @module
 */
import { setContext } from '../worker/context.js';
import { CliError, describeThrown, EXIT } from './cli-error.js';

/** The options of `concurrent-ts worker`, as parsed from the command line. */
export interface WorkerCommandOptions {
  redis: string;
  queue: string;
  allow: string[];
  concurrency?: number | undefined;
  workers?: number | undefined;
  processes?: boolean | undefined;
  inline?: boolean | undefined;
}

/**
 * Starts a distributed worker and resolves with the exit code once it has shut down. The worker
 * stops on SIGINT or SIGTERM itself: running jobs get a grace period, then go back to the queue.
 *
 * @throws {CliError} (exit code 2) for a bad option or `--allow` entry, or when the distributed
 * executor cannot be loaded; (exit code 1) when the worker cannot start or fails.
 */
export async function runWorkerCommand(options: WorkerCommandOptions): Promise<number> {
  if (options.allow.length === 0) {
    throw new CliError('a worker runs only functions of the modules you allow: add --allow ./tasks.js (repeat it for more modules)');
  }
  // Loaded here: the distributed executor (and bullmq) load only for this command.
  let mod: typeof import('../distributed/worker-main.js');
  try {
    mod = await import('../distributed/worker-main.js');
  } catch (error) {
    throw new CliError(`the worker needs the distributed executor and its peer dependencies (npm install bullmq ioredis): ${describeThrown(error)}`);
  }
  if (options.inline === true) {
    // Inline, the allowed modules load and the tasks run in this process, which serves the queue
    // and nothing else: mark it a worker, so that `isMain()` is false there, as in a pool's threads,
    // and a task module that is also a program (`if (isMain()) …`) does not start that program.
    setContext({ kind: 'process', name: 'DistributedWorker', ident: process.pid });
  }
  let running: ReturnType<typeof mod.runWorker>;
  try {
    running = mod.runWorker({
      redis: options.redis,
      queue: options.queue,
      allow: options.allow,
      concurrency: options.concurrency,
      maxWorkers: options.workers,
      processes: options.processes === true,
      inline: options.inline === true,
    });
  } catch (error) {
    throw new CliError(describeThrown(error).replace(/^ValueError: /, ''), EXIT.usage);
  }
  try {
    await running.closed;
  } catch (error) {
    throw new CliError(`the worker stopped: ${describeThrown(error)}`, EXIT.failed);
  }
  return EXIT.ok;
}
