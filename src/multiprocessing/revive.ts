/**
 * Rebuilds the library's handles inside the arguments a child receives. Importing this module
 * loads every kind of handle, so any of them can be rebuilt.
 *
 * @module
 */
import './queue.js';
import './connection.js';
import './lock.js';
import './semaphore.js';
import './event.js';
import './condition.js';
import './barrier.js';
import './shared-value.js';
import './proxies.js';
import { reviveHandles } from './shared-object.js';

/** Rebuilds every multiprocessing handle inside `value` (a `Process`'s or a pool task's arguments). */
export function reviveArguments(value: unknown): unknown {
  return reviveHandles(value);
}
