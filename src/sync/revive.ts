/**
 * Importing this module registers the reviver of every shareable primitive of the library, then
 * hands out {@link reviveShareables}. The worker runtime imports it once, the first time a task's
 * arguments contain a shareable, and passes the arguments through `reviveShareables`.
 *
 * @module
 */

import '../threading/lock.js';
import '../threading/rlock.js';
import '../threading/condition.js';
import '../threading/semaphore.js';
import '../threading/event.js';
import '../threading/barrier.js';
import './shared-value.js';
import '../multiprocessing/revive.js';

export { hasShareables, isShareable, reviveShareables } from './shareable.js';
