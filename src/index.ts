/**
 * `concurrent-ts`: everything, re-exported, plus `taskModule` and `isMain`.
 *
 * @module concurrent-ts
 */
export * as futures from './futures/index.js';
export * as multiprocessing from './multiprocessing/index.js';
export {
  Future, Executor, ThreadPoolExecutor, ProcessPoolExecutor, MapIterator, wait, asCompleted, FIRST_COMPLETED, FIRST_EXCEPTION, ALL_COMPLETED,
  setErrorReporter,
  type CompletedFuture, type FutureState, type WaitOptions, type CancelOptions, type ShutdownOptions, type TaskScheduler, type MapOptions,
  type MapOutcome, type TaskOptions, type ReturnWhen, type WaitForOptions, type DoneAndNotDoneFutures,
  type AsCompletedOptions, type ThreadPoolExecutorOptions, type ProcessPoolExecutorOptions, type PoolOptions, type PoolStats, type WorkerStats,
} from './futures/index.js';
export { taskModule, taskRef, isTaskRef, type TaskRef, type TaskModule, type Callable } from './task-ref/task-module.js';
export { isMain } from './worker/context.js';
export {
  RuntimeError, ValueError, OSError, EOFError, TimeoutError, CancelledError, InvalidStateError, BrokenExecutor,
  BrokenThreadPool, BrokenProcessPool, BrokenBarrierError, DeadlockError, Empty, Full, ProcessError, BufferTooShort,
  AuthenticationError, RemoteError, AssertionError, SerializationError, TaskNotAllowedError, ModuleNotFoundError, type DeadlockEdge,
} from './errors.js';
