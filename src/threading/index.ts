/**
 * `concurrent-ts/threading`: Python's `threading` on Node's worker threads. The primitives live
 * in shared memory and really synchronize across threads; waits have Promise forms (the main
 * thread never blocks its event loop) and `…Sync` forms for use inside workers.
 *
 * @module concurrent-ts/threading
 */
export {
  Thread, setExcepthook, currentThread, mainThread, activeCount, getIdent,
  type ThreadOptions, type ThreadInfo, type ExceptHookArgs,
} from './thread.js';
export {
  Lock, RLock, Condition, Semaphore, BoundedSemaphore, Event, Barrier, Timer, HeldLock,
  setDeadlockDetection, deadlockDetection, setDeadlockTimeout, deadlockTimeout,
  type LockOptions, type ConditionWaitOptions, type EventWaitOptions, type BarrierOptions, type BarrierWaitOptions,
  type AcquireOptions, type AcquireSyncOptions, type Acquire, type Holds,
} from './primitives.js';
export {
  Value as SharedValue, Array as SharedArray, RawValue, RawArray,
  type SynchronizedValue, type SynchronizedArray, type RawSharedValue, type Typecode, type SharedOptions,
} from './shared-value.js';
export { BrokenBarrierError, DeadlockError, RuntimeError, ValueError, TimeoutError, type DeadlockEdge } from '../errors.js';
