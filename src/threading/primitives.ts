/**
 * The synchronization primitives of `concurrent-ts/threading`, on shared memory: what
 * `threading/index.ts` re-exports next to `Thread`.
 *
 * @module
 */

export { Lock, type LockOptions } from './lock.js';
export { RLock } from './rlock.js';
export { Condition, type ConditionWaitOptions } from './condition.js';
export { Semaphore, BoundedSemaphore } from './semaphore.js';
export { Event, type EventWaitOptions } from './event.js';
export { Barrier, type BarrierOptions, type BarrierWaitOptions } from './barrier.js';
export { Timer } from './timer.js';
export { HeldLock, type AcquireOptions, type AcquireSyncOptions } from '../sync/acquire.js';
export type { Acquire, Holds } from '../sync/acquirable.js';
export { setDeadlockDetection, deadlockDetection, setDeadlockTimeout, deadlockTimeout } from '../sync/registry.js';
