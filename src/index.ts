/**
 * `concurrent-ts`: Python's `concurrent.futures` (the executors, `Future`, `wait`,
 * `asCompleted`), `taskModule` and `isMain`, and every error class. Threads, processes and their
 * primitives are in `concurrent-ts/threading` and `concurrent-ts/multiprocessing`, and the
 * distributed executor in `concurrent-ts/distributed`: importing this entry loads none of them,
 * so a program that only needs a pool starts as fast as it can.
 *
 * @module concurrent-ts
 */
export * as futures from './futures/index.js';
export {
  Future, Executor, ThreadPoolExecutor, ProcessPoolExecutor, MapIterator, wait, asCompleted, FIRST_COMPLETED, FIRST_EXCEPTION, ALL_COMPLETED,
  setErrorReporter,
  type CompletedFuture, type FutureState, type WaitOptions, type CancelOptions, type ShutdownOptions, type TaskScheduler, type MapOptions,
  type MapOutcome, type TaskOptions, type TaskKind, type TaskEvent, type TaskListener, type TaskInfo, type TaskRun, type TaskSubmitted,
  type TaskStarted, type TaskRequeued, type TaskSettled, type ReturnWhen, type WaitForOptions, type DoneAndNotDoneFutures,
  type AsCompletedOptions, type ThreadPoolExecutorOptions, type ProcessPoolExecutorOptions, type PoolOptions, type PoolStats, type WorkerStats,
  type PoolMetrics, type MetricsOptions, type TimeSummary, type WorkerMetrics,
} from './futures/index.js';
export { taskModule, taskRef, isTaskRef, type TaskRef, type TaskModule, type Callable } from './task-ref/task-module.js';
export { isMain } from './worker/context.js';
export { transfer, isTransfer, type Transfer, type TransferItem, type Movable, type Moved } from './transfer.js';
export {
  RuntimeError, ValueError, OSError, EOFError, TimeoutError, CancelledError, InvalidStateError, BrokenExecutor,
  BrokenThreadPool, BrokenProcessPool, BrokenBarrierError, DeadlockError, Empty, Full, ProcessError, BufferTooShort,
  AuthenticationError, RemoteError, AssertionError, SerializationError, TaskNotAllowedError, ModuleNotFoundError, type DeadlockEdge,
} from './errors.js';
