/**
 * `concurrent-ts worker`: serves the tasks of a `DistributedExecutor` (or of `concurrent-ts map
 * --redis`) from a Redis queue. Only functions of the modules named with `--allow` may run.
 *
 * @module
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CliError, describeThrown, EXIT } from './cli-error.js';
import type { CommandIO } from './map-command.js';

/** The options of `concurrent-ts worker`, as parsed from the command line. */
export interface WorkerCommandOptions {
  redis: string;
  queue: string;
  allow: string[];
  concurrency?: number | undefined;
  processes?: boolean | undefined;
}

/** What `runWorker` from the distributed executor's worker entry accepts. */
interface RunWorkerOptions {
  redis: string;
  queue: string;
  /** `file:` URLs of the modules whose exports may run. */
  allow: string[];
  concurrency: number | undefined;
  processes: boolean;
}

/** A running worker, when `runWorker` returns a handle rather than a promise. */
interface WorkerHandle {
  readonly closed: Promise<unknown>;
  close?: () => unknown;
}

interface WorkerMainModule {
  runWorker(options: RunWorkerOptions): Promise<unknown> | WorkerHandle;
}

/**
 * Starts a distributed worker and resolves with the exit code when it stops (Ctrl-C or SIGTERM
 * close it; a handle's `close()` is called so that running jobs can finish).
 *
 * @throws {CliError} (exit code 2) for an `--allow` module that does not exist, or when the
 * distributed executor cannot be loaded.
 */
export async function runWorkerCommand(options: WorkerCommandOptions, io: Pick<CommandIO, 'stderr' | 'cwd'>): Promise<number> {
  if (options.allow.length === 0) {
    throw new CliError('a worker runs only functions of the modules you allow: add --allow ./tasks.js (repeat for more modules)');
  }
  const allow = options.allow.map((path) => {
    const absolute = resolve(io.cwd, path);
    if (!existsSync(absolute)) throw new CliError(`--allow ${path}: no such file (looked for ${absolute})`);
    return pathToFileURL(absolute).href;
  });
  const specifier = '../distributed/worker-main.js';
  let mod: WorkerMainModule;
  try {
    mod = (await import(specifier)) as WorkerMainModule;
  } catch (error) {
    throw new CliError(`the worker needs the distributed executor and its peer dependencies (npm install bullmq ioredis): ${describeThrown(error)}`);
  }
  const running = mod.runWorker({
    redis: options.redis,
    queue: options.queue,
    allow,
    concurrency: options.concurrency,
    processes: options.processes === true,
  });
  const handle = isHandle(running) ? running : undefined;
  const closed = handle === undefined ? (running as Promise<unknown>) : handle.closed;
  io.stderr.write(`concurrent-ts: worker on queue "${options.queue}" at ${redactUrl(options.redis)}, ` +
    `${options.concurrency ?? 'default'} at a time on ${options.processes === true ? 'processes' : 'threads'}; Ctrl-C to stop\n`);
  const stop = (): void => {
    if (handle?.close !== undefined) void Promise.resolve(handle.close()).catch(() => {});
    else process.exit(EXIT.interrupted);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    await closed;
  } catch (error) {
    throw new CliError(`the worker stopped: ${describeThrown(error)}`, EXIT.failed);
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
  return EXIT.ok;
}

function isHandle(value: unknown): value is WorkerHandle {
  return typeof value === 'object' && value !== null && !(value instanceof Promise) && 'closed' in value;
}

/** The URL without its password, for messages. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.href;
  } catch {
    return url;
  }
}
