/**
 * `Manager()` and `SyncManager`: Python's managers, whose server process is the broker already
 * running in this program. A manager makes shared `dict`s, `list`s and `Namespace`s (proxies
 * whose methods return Promises, see `proxies.ts`) and the synchronization objects of this
 * module, and destroys them all at `shutdown()`, as stopping Python's manager process does.
 *
 * @module
 */
import { ProcessError } from '../errors.js';
import { Barrier, type BarrierOptions } from './barrier.js';
import { Condition } from './condition.js';
import { Event } from './event.js';
import { defaultLink, unwrap } from './link.js';
import { Lock, RLock } from './lock.js';
import { Pool, type PoolOptions } from './pool.js';
import { JoinableQueue, Queue } from './queue.js';
import { BoundedSemaphore, Semaphore } from './semaphore.js';
import { DictProxy, ListProxy, NamespaceProxy, type DictKey } from './proxies.js';
import type { SharedObject } from './shared-object.js';
import { SharedArray, Value, type ElementOf, type SharedOptions } from './shared-value.js';
import type { TypeCode, ValueOf } from './typecodes.js';

type ManagerState = 'initial' | 'started' | 'shutdown';

/**
 * A manager of shared objects, like Python's `multiprocessing.managers.SyncManager`. Its server
 * is this program's broker: `start()` makes sure it runs; `shutdown()` destroys every object the
 * manager made (their handles then fail in every process, as proxies do once Python's manager
 * process is gone).
 *
 * @example
 * ```ts
 * await using manager = await Manager();
 * const d = manager.dict<number>();
 * await pool.apply(tasks.fill, [d]);
 * console.log(await d.items());
 * ```
 */
export class SyncManager implements AsyncDisposable {
  #state: ManagerState = 'initial';
  readonly #made: SharedObject[] = [];

  /**
   * Starts the manager.
   *
   * @throws {ProcessError} `Already started server`; `Manager has shut down`.
   */
  async start(): Promise<void> {
    if (this.#state === 'started') throw new ProcessError('Already started server');
    if (this.#state === 'shutdown') throw new ProcessError('Manager has shut down');
    const link = defaultLink();
    unwrap(await link.ping());
    this.#state = 'started';
  }

  /** Destroys every object the manager made. Calling it twice is fine. */
  async shutdown(): Promise<void> {
    if (this.#state === 'shutdown') return;
    this.#state = 'shutdown';
    const made = this.#made.splice(0);
    for (const object of made) object._destroy('its manager was shut down');
    if (made.length > 0) unwrap(await defaultLink().ping());
  }

  /** `await using manager = await Manager()` shuts it down at the end of the block. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.shutdown();
  }

  /**
   * A shared dict.
   *
   * @param init - initial entries, or an object.
   * @returns the proxy.
   */
  dict<V = unknown>(init?: Iterable<readonly [DictKey, V]> | Record<string, V>): DictProxy<V> {
    return this.#keep(() => new DictProxy<V>(init));
  }

  /**
   * A shared list.
   *
   * @param init - initial items.
   * @returns the proxy.
   */
  list<T = unknown>(init?: Iterable<T>): ListProxy<T> {
    return this.#keep(() => new ListProxy<T>(init));
  }

  /**
   * A shared namespace.
   *
   * @param init - initial attributes.
   * @returns the proxy.
   */
  Namespace(init?: Record<string, unknown>): NamespaceProxy {
    return this.#keep(() => new NamespaceProxy(init));
  }

  /**
   * A shared {@link Queue}.
   * @param maxsize - the most items (0: no limit).
   * @returns the queue.
   */
  Queue<T = unknown>(maxsize = 0): Queue<T> {
    return this.#keep(() => new Queue<T>(maxsize));
  }

  /**
   * A shared {@link JoinableQueue}.
   * @param maxsize - the most items (0: no limit).
   * @returns the queue.
   */
  JoinableQueue<T = unknown>(maxsize = 0): JoinableQueue<T> {
    return this.#keep(() => new JoinableQueue<T>(maxsize));
  }

  /**
   * A shared {@link Lock}.
   * @returns the lock.
   */
  Lock(): Lock {
    return this.#keep(() => new Lock());
  }

  /**
   * A shared {@link RLock}.
   * @returns the lock.
   */
  RLock(): RLock {
    return this.#keep(() => new RLock());
  }

  /**
   * A shared {@link Semaphore}.
   * @param value - initial units.
   * @returns the semaphore.
   */
  Semaphore(value = 1): Semaphore {
    return this.#keep(() => new Semaphore(value));
  }

  /**
   * A shared {@link BoundedSemaphore}.
   * @param value - initial (and largest) units.
   * @returns the semaphore.
   */
  BoundedSemaphore(value = 1): BoundedSemaphore {
    return this.#keep(() => new BoundedSemaphore(value));
  }

  /**
   * A shared {@link Condition}.
   * @param lock - its Lock or RLock (default a new RLock).
   * @returns the condition.
   */
  Condition(lock?: Lock | RLock): Condition {
    return this.#keep(() => new Condition(lock));
  }

  /**
   * A shared {@link Event}.
   * @returns the event.
   */
  Event(): Event {
    return this.#keep(() => new Event());
  }

  /**
   * A shared {@link Barrier}.
   * @param parties - how many parties a round needs.
   * @param options - `action` and `timeout`.
   * @returns the barrier.
   */
  Barrier(parties: number, options?: BarrierOptions): Barrier {
    return this.#keep(() => new Barrier(parties, options));
  }

  /**
   * A shared {@link Value}.
   * @param typecode - the ctypes type code.
   * @param value - the initial value.
   * @param options - `{ lock }`.
   * @returns the value.
   */
  Value<C extends TypeCode>(typecode: C, value?: ValueOf<C>, options?: SharedOptions): Value<C> {
    return this.#keep(() => new Value(typecode, value, options));
  }

  /**
   * A shared {@link SharedArray | Array}.
   * @param typecode - the ctypes type code.
   * @param init - the length or the initial values.
   * @param options - `{ lock }`.
   * @returns the array.
   */
  Array<C extends TypeCode>(typecode: C, init: number | Iterable<ElementOf<C>> | string, options?: SharedOptions): SharedArray<C> {
    return this.#keep(() => new SharedArray(typecode, init, options));
  }

  /**
   * A {@link Pool} (not shared: a pool cannot be passed to other processes, as in Python).
   * @param processes - how many worker processes.
   * @param options - `initializer`, `initargs`, `maxtasksperchild`.
   * @returns the pool.
   */
  Pool(processes?: number, options?: PoolOptions): Pool {
    this.#check();
    return new Pool(processes, options);
  }

  #check(): void {
    if (this.#state !== 'started') {
      throw new ProcessError(this.#state === 'initial' ? 'the manager is not started: await manager.start()' : 'Manager has shut down');
    }
  }

  #keep<T extends SharedObject>(make: () => T): T {
    this.#check();
    const object = make();
    this.#made.push(object);
    return object;
  }
}

/**
 * Starts a manager, like Python's `multiprocessing.Manager()`.
 *
 * @returns the started {@link SyncManager}.
 */
export async function Manager(): Promise<SyncManager> {
  const manager = new SyncManager();
  await manager.start();
  return manager;
}
