/**
 * `concurrent-ts/futures`: Python's `concurrent.futures`.
 *
 * @module concurrent-ts/futures
 */
export { Future, type CompletedFuture, type FutureState, type WaitOptions, type CancelOptions } from '../core/future.js';
export { Executor, type ShutdownOptions, type TaskScheduler } from '../core/executor.js';
export { MapIterator, type MapOptions, type MapOutcome } from '../core/map-iterator.js';
export type { TaskKind, TaskOptions } from '../core/backend.js';
export type {
  TaskEvent, TaskListener, TaskInfo, TaskRun, TaskSubmitted, TaskStarted, TaskRequeued, TaskSettled,
} from '../core/task-events.js';
export { wait, FIRST_COMPLETED, FIRST_EXCEPTION, ALL_COMPLETED, type ReturnWhen, type WaitForOptions, type DoneAndNotDoneFutures } from '../core/wait.js';
export { asCompleted, type AsCompletedOptions } from '../core/as-completed.js';
export { setErrorReporter, type ErrorReporter } from '../core/logger.js';
export { ThreadPoolExecutor, type ThreadPoolExecutorOptions } from './thread-pool-executor.js';
export { ProcessPoolExecutor, type ProcessPoolExecutorOptions } from './process-pool-executor.js';
export type { PoolOptions, PoolStats, WorkerStats } from '../pool/pool-executor.js';
export type { PoolMetrics, MetricsOptions, TimeSummary, WorkerMetrics } from '../pool/pool-metrics.js';
export {
  CancelledError, TimeoutError, InvalidStateError, BrokenExecutor, BrokenThreadPool, BrokenProcessPool,
  RuntimeError, ValueError, SerializationError,
} from '../errors.js';
