/**
 * Where a distributed worker runs its jobs' functions: on a local pool of threads or processes
 * (`pool-runner.ts`, the default), or on the worker's own main thread (`inline-runner.ts`,
 * `--inline`). The worker checks every job against its allow-list before a runner sees it, so a
 * runner only ever receives references to exported functions of allowed modules.
 *
 * @module
 */
import type { TaskKind } from '../core/backend.js';
import type { TaskRef } from '../task-ref/task-module.js';

/** One job's function, running. */
export interface RunningTask {
  /** The value (a call) or `ChunkOutcome` (a map chunk); rejects with the task's exception. */
  readonly result: PromiseLike<unknown>;
  /**
   * Asks the task to stop (a cancel request, or the end of a stop's grace period): `result`
   * rejects with `CancelledError`. Whether the function itself stops depends on the runner.
   */
  stop(): void;
}

/** Runs the functions of allowed modules. */
export interface TaskRunner {
  /** For the worker's start-up line: `2 threads`, `inline on the main thread`. */
  readonly description: string;
  /** Loads an allowed module and lists its exported functions; rejects if it cannot load. */
  exportsOf(url: string): Promise<string[]>;
  /** Starts `ref` on `args` (a call) or on each item (a chunk); `timeout` in ms counts from now. */
  run(ref: TaskRef, args: unknown[], kind: TaskKind, timeout: number | undefined): RunningTask;
  /** Stops the runner; with `force`, does not wait for running tasks. */
  close(force: boolean): Promise<void>;
}
