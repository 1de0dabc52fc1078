/**
 * `concurrent-ts/distributed`: the `Executor` interface across machines, on BullMQ and Redis.
 * The only entry point that loads `bullmq` and `ioredis`.
 *
 * @module concurrent-ts/distributed
 */
export { DistributedExecutor } from './distributed-executor.js';
export type { DistributedExecutorOptions, DistributedTaskOptions, Retention, Backoff } from './executor-options.js';
export { runWorker, type RunWorkerOptions, type WorkerHandle } from './worker-main.js';
export type { RedisConnection } from './connection.js';
export { TaskNotAllowedError } from '../errors.js';
