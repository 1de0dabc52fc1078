/**
 * `concurrent-ts/multiprocessing`: Python's `multiprocessing` on Node's child processes.
 * `Process` and `Pool` run code in other processes; `Queue`, `Pipe`, the locks, `Value`/`Array`
 * and the managed containers are shared with them through a broker in this program (see
 * `docs/multiprocessing.md`). Waits return Promises; `…Sync` forms block the calling thread.
 *
 * @module concurrent-ts/multiprocessing
 */
export { Process, currentProcess, parentProcess, activeChildren, cpuCount, type ProcessOptions } from './process.js';
export { Pool, IMapIterator, type PoolOptions, type MapAsyncOptions } from './pool.js';
export { AsyncResult, type ResultCallbacks } from './async-result.js';
export { Queue, JoinableQueue, SimpleQueue } from './queue.js';
export { Pipe, Connection } from './connection.js';
export { Lock, RLock, type LockOptions, type AcquireOptions, type AcquireSyncOptions } from './lock.js';
export { Semaphore, BoundedSemaphore } from './semaphore.js';
export { Event } from './event.js';
export { Condition } from './condition.js';
export { Barrier, type BarrierOptions } from './barrier.js';
export { Value, SharedArray as Array, type LockOption, type SharedOptions, type ElementOf } from './shared-value.js';
export { Manager, SyncManager } from './manager.js';
export { DictProxy, ListProxy, NamespaceProxy, type DictKey } from './proxies.js';
export type { TypeCode, ValueOf } from './typecodes.js';
export type { WaitOptions, BlockOptions } from './wait-options.js';
export { HeldLock } from '../sync/acquire.js';
export { setDeadlockDetection, deadlockDetection, setDeadlockTimeout, deadlockTimeout } from '../sync/registry.js';
export {
  Empty, Full, ProcessError, BufferTooShort, AuthenticationError, TimeoutError, EOFError, OSError, ValueError,
  RuntimeError, AssertionError, BrokenBarrierError, DeadlockError, type DeadlockEdge,
} from '../errors.js';
