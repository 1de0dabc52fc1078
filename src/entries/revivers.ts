/**
 * The reviver registry: importing this module registers how to rebuild every primitive and handle
 * of the library that can travel to a worker (the threading primitives on shared memory, the
 * multiprocessing handles), then hands out the functions that rebuild them inside a task's
 * arguments. The worker entries load it the first time arguments hold one, and give the runtime
 * the function.
 *
 * @module
 */
import '../threading/lock.js';
import '../threading/rlock.js';
import '../threading/condition.js';
import '../threading/semaphore.js';
import '../threading/event.js';
import '../threading/barrier.js';
import '../threading/shared-value.js';
import '../multiprocessing/queue.js';
import '../multiprocessing/connection.js';
import '../multiprocessing/lock.js';
import '../multiprocessing/semaphore.js';
import '../multiprocessing/event.js';
import '../multiprocessing/condition.js';
import '../multiprocessing/barrier.js';
import '../multiprocessing/shared-value.js';
import '../multiprocessing/proxies.js';

/** Rebuilds every primitive and handle inside the arguments of a pool task (see `sync/shareable.ts`). */
export { reviveShareables } from '../sync/shareable.js';
/** Rebuilds every multiprocessing handle inside the arguments of a `Process` (see `multiprocessing/shared-object.ts`). */
export { reviveHandles } from '../multiprocessing/shared-object.js';
