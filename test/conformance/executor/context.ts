/**
 * What every part of the executor suite shares: the factory under test, what the suite learnt
 * about its workers (threads or processes), and the fixture tasks as typed references.
 *
 * @module
 */
import type { Executor, PoolOptions, ShutdownOptions } from '../../../src/futures/index.js';
import { BrokenProcessPool, BrokenThreadPool, type BrokenExecutor } from '../../../src/errors.js';
import { taskModule } from '../../../src/index.js';
import { bump, createBoard, read, waitFor, type Board } from '../../helpers/signals.js';

/** An executor the suite can run: the common interface plus `shutdown`. */
export type SuiteExecutor = Executor & { shutdown(options?: ShutdownOptions): Promise<void> };

/** Makes a fresh executor; `options` are the pool options a test needs (`maxWorkers`, `initializer`…). */
export type ExecutorFactory = (options?: PoolOptions) => SuiteExecutor;

/** The fixture tasks, sent to workers by module reference (the idiom of DESIGN.md). */
export const tasks = taskModule<typeof import('../../fixtures/futures/tasks.js')>(new URL('../../fixtures/futures/tasks.js', import.meta.url));

/** What kind of workers the executor runs, found by asking one. */
export interface WorkerKind {
  /** `'thread'` when tasks run in this process, `'process'` otherwise. */
  readonly noun: 'thread' | 'process';
  /** The pool's `Broken…` class. */
  readonly Broken: new (message: string) => BrokenExecutor;
  /** A board the workers can see: shared memory for threads, files for processes. */
  board(): Board;
}

/** Runs one task on a one-worker executor to learn where tasks run. */
export async function probeWorkers(factory: ExecutorFactory): Promise<WorkerKind> {
  const executor = factory({ maxWorkers: 1 });
  let ident: string;
  try {
    ident = await executor.submit(tasks.workerIdent);
  } finally {
    await executor.shutdown();
  }
  const inProcess = ident.startsWith(`${process.pid}:`);
  return {
    noun: inProcess ? 'thread' : 'process',
    Broken: inProcess ? BrokenThreadPool : BrokenProcessPool,
    board: () => createBoard(inProcess ? 'shared' : 'files'),
  };
}

/** What each part of the suite receives. */
export interface SuiteContext {
  /** The name the suite runs under; also the class exported by `src/index.ts` (for child scripts). */
  readonly name: string;
  readonly factory: ExecutorFactory;
  /** Set before the first test runs. */
  readonly kind: () => WorkerKind;
}

/**
 * Starts `workers` workers and has each one load the fixture module (each runs a task that waits
 * until all have started), so that a timing test does not count worker start-up. Uses board
 * counters 14 and 15.
 */
export async function warmUp(executor: SuiteExecutor, board: Board, workers: number): Promise<void> {
  const started = read(board, 15) + workers;
  const open = read(board, 14) + 1;
  const futures = Array.from({ length: workers }, () => executor.submit(tasks.gated, board, { started: 15, gate: 14, open }));
  await waitFor(board, 15, started);
  bump(board, 14);
  await Promise.all(futures.map((f) => f.result()));
}
