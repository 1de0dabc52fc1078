/**
 * `Lock` and `RLock` across processes, with the threading module's API: `acquire` (a Promise),
 * `acquireSync`, `release`, `locked`, `hold`/`holdSync` for `using`, `withLock`/`withLockSync`.
 * The lock lives in the broker; an acquire without a timeout that can never succeed throws
 * `DeadlockError` naming the processes and locks, with the threading module's rules and options
 * (see `broker/deadlock.ts`): a blocking wait counts at once, an await once it has lasted the
 * lock's deadlock timeout.
 *
 * `release()` is synchronous, as in threading: when this thread holds the lock it is sent
 * without waiting for an answer (the broker applies it before anything this thread sends later);
 * otherwise the broker is asked and answers before `release()` returns.
 *
 * @module
 */
import { RuntimeError, ValueError } from '../errors.js';
import type { AcquireOptions, AcquireSyncOptions } from '../sync/acquire.js';
import { Acquirable as Holding, lend, type Holds } from '../sync/acquirable.js';
import { currentTask } from '../sync/current-thread.js';
import { checkDeadlockTimeout, deadlockDetection, deadlockTimeout } from '../sync/registry.js';
import { unwrap } from './link.js';
import { fromWire, registerHandle, SharedObject, type HandleWire } from './shared-object.js';
import type { AcquireOps, LockOps } from './broker/ops.js';
import { throwIfAborted, toWait } from './wait-options.js';

export type { AcquireOptions, AcquireSyncOptions };

/** Options of `new Lock()` and `new RLock()`, as the threading module's. */
export interface LockOptions {
  /** Name shown in deadlock reports. Default `Lock-<n>` / `RLock-<n>`. */
  name?: string | undefined;
  /**
   * `false` takes this lock out of deadlock detection: its waits are never reported, and a lock
   * whose holder has ended just stays held. Default `true`.
   */
  detectDeadlock?: boolean | undefined;
  /**
   * How long an await of this lock waits, in milliseconds, before it counts in the wait-for graph;
   * `Infinity`: awaits of it never do by age (blocking waits, and the waits of a process with
   * nothing else to do, still count at once). Default: the waiting process's `setDeadlockTimeout()`
   * value, itself 1000 by default.
   */
  deadlockTimeout?: number | undefined;
}

/** The creation parameters of a lock, from its options. @internal */
function lockParams(options: LockOptions, name: string): Record<string, unknown> {
  const params: Record<string, unknown> = { name };
  if (options.detectDeadlock === false) params.detect = false;
  if (options.deadlockTimeout !== undefined) params.deadlockTimeout = checkDeadlockTimeout(options.deadlockTimeout);
  return params;
}

/**
 * What a lock's waits tell the broker about deadlock detection: `null` when it is off for this
 * lock or in this process, else the deadlock timeout in ms (`-1` for Infinity: the wire is JSON).
 * @internal
 */
export function edgeAfter(params: Record<string, unknown>): number | null {
  if (params.detect === false || !deadlockDetection()) return null;
  const ms = typeof params.deadlockTimeout === 'number' ? params.deadlockTimeout : deadlockTimeout();
  return ms === Infinity ? -1 : ms;
}

const NON_BLOCKING_TIMEOUT = "can't specify a timeout for a non-blocking call";
let counter = 0;

/**
 * Acquisitions held here and not released, by `id#task`: task 0 is the thread itself, other tasks
 * are `withLock` scopes. The broker keeps the truth; this mirror lets `release()` check without a
 * round trip, with the broker's rule: a hold of task 0 may be used by any task of the thread.
 */
const heldHere = new Map<string, number>();

/** How many levels of lock `id` the caller (its task, or the thread) holds. @internal */
export function holdsHere(id: string): number {
  return (heldHere.get(`${id}#${currentTask()}`) ?? 0) + (currentTask() === 0 ? 0 : heldHere.get(`${id}#0`) ?? 0);
}

function took(id: string): void {
  const key = `${id}#${currentTask()}`;
  heldHere.set(key, (heldHere.get(key) ?? 0) + 1);
}

/** @returns `true` if the caller held it (one level is now given back locally). */
function gave(id: string): boolean {
  for (const key of [`${id}#${currentTask()}`, `${id}#0`]) {
    const n = heldHere.get(key) ?? 0;
    if (n <= 0) continue;
    if (n === 1) heldHere.delete(key);
    else heldHere.set(key, n - 1);
    return true;
  }
  return false;
}

/** Parses acquire options with threading's checks. @internal */
function acquireArgs(options: number | AcquireOptions | null | undefined, nonBlockingTimeout = NON_BLOCKING_TIMEOUT):
  { blocking: boolean; timeout: number | null; signal: AbortSignal | undefined } {
  if (typeof options === 'object' && options !== null && options.blocking === false && options.timeout !== undefined && options.timeout !== null) throw new ValueError(nonBlockingTimeout);
  const { timeout, signal } = toWait(options);
  return { blocking: !(typeof options === 'object' && options?.blocking === false), timeout, signal };
}

/**
 * What Lock, RLock and Semaphore share: acquire in both forms, and (from `sync/acquirable.ts`,
 * the same code as the threading primitives') the holds and `withLock`.
 */
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging -- its acquire forms and holds are lent after it
export abstract class Acquirable<M extends AcquireOps = AcquireOps> extends SharedObject<M> {
  /**
   * Acquires, waiting without blocking the thread.
   *
   * Cancel safety: when `signal` aborts, either nothing is held (the promise rejects with the
   * reason) or the broker had already granted it, and the promise resolves `true`.
   *
   * @param options - a timeout in ms, or `{ blocking, timeout, signal }`.
   * @returns `true` once acquired; `false` when `blocking: false` found it taken or the timeout passed.
   * @throws {ValueError} for a timeout with `blocking: false`, or a negative timeout.
   * @throws {DeadlockError} when this thread has nothing else to do and the wait could never end.
   */
  async acquire(options?: number | AcquireOptions): Promise<boolean> {
    const { blocking, timeout, signal } = acquireArgs(options, this.nonBlockingTimeout);
    throwIfAborted(signal);
    const reply = await this.ops.call('acquire', [blocking, timeout, this.edgeAfter()], undefined, signal);
    const ok = unwrap(reply, signal) === true;
    if (ok) this.tookIt();
    return ok;
  }

  /**
   * Acquires, blocking the calling thread (for worker threads and child processes; in the
   * program's main thread, which runs the broker, only a call that need not wait can succeed).
   *
   * Cancel safety: a timeout returns `false` with nothing held.
   *
   * @param options - a timeout in ms, or `{ blocking, timeout }`.
   * @returns `true` once acquired; `false` when `blocking: false` found it taken or the timeout passed.
   * @throws {DeadlockError} when waiting without a timeout could never end.
   * @throws {RuntimeError} in the broker's thread when it would have to wait.
   */
  acquireSync(options?: number | AcquireSyncOptions): boolean {
    const { blocking, timeout } = acquireArgs(options, this.nonBlockingTimeout);
    const ok = unwrap(this.ops.callSync('acquire', [blocking, timeout, this.edgeAfter()])) === true;
    if (ok) this.tookIt();
    return ok;
  }

  /** Releases one acquisition. */
  abstract release(): void;

  /** @internal What a hold's timeout names. */
  _holdName(): string {
    return this.describe();
  }

  /** @internal Holds are owned per thread, and per task in a `withLock` scope: two async tasks of one thread that both use withLock exclude each other, while each may re-enter its own hold. */
  _scoped(): boolean {
    return true;
  }

  /** Records an acquisition by this thread. @internal */
  protected tookIt(): void {
    took(this.id);
  }

  /** The name used in messages. @internal */
  protected abstract describe(): string;

  /** What a wait tells the broker about deadlock detection (see {@link edgeAfter}); a semaphore has no holder. @internal */
  protected edgeAfter(): number | null {
    return null;
  }

  /** The ValueError message for a timeout given with `blocking: false`. @internal */
  protected get nonBlockingTimeout(): string {
    return NON_BLOCKING_TIMEOUT;
  }
}

// The holds and withLock in both forms: the same code as the threading primitives'.
// eslint-disable-next-line @typescript-eslint/no-empty-object-type, @typescript-eslint/no-unused-vars -- declares what lend() gives the class (M: the class's own parameter)
export interface Acquirable<M extends AcquireOps = AcquireOps> extends Holds {}
lend(Acquirable, Holding);

/** What Lock and RLock share: a name, deadlock detection, `locked()`. */
abstract class BrokerLock extends Acquirable<LockOps> {
  /** The lock's name, as shown in deadlock reports. */
  get name(): string {
    return String(this.params.name);
  }

  /** The `deadlockTimeout` option: `undefined` when the waiting process's value applies. */
  get deadlockTimeout(): number | undefined {
    return typeof this.params.deadlockTimeout === 'number' ? this.params.deadlockTimeout : undefined;
  }

  /**
   * Whether some thread, of any process, holds the lock right now.
   *
   * @returns the state at the moment of the call.
   */
  locked(): boolean {
    return unwrap(this.ops.callSync('locked', [])) === true;
  }

  protected override edgeAfter(): number | null {
    return edgeAfter(this.params);
  }

  protected describe(): string {
    return this.name;
  }
}

/**
 * A lock shared by processes, like Python's `multiprocessing.Lock`: locked or unlocked, owned by
 * nobody in particular (any process may release it).
 *
 * @example
 * ```ts
 * const lock = new Lock();
 * await lock.withLock(() => console.log('one process at a time'));
 * ```
 */
export class Lock extends BrokerLock {
  /**
   * @param options - `name` for deadlock reports, `detectDeadlock`, `deadlockTimeout`.
   * @throws {TypeError} or {ValueError} for a `deadlockTimeout` that is not a number of ms, 0 or more.
   */
  constructor(options: LockOptions = {}) {
    super('mp.Lock', lockParams(options, options.name ?? `Lock-${++counter}`));
  }

  /**
   * Releases the lock; any process may release it.
   *
   * @throws {RuntimeError} `release unlocked lock` when it is not locked.
   */
  release(): void {
    if (!this.link.local && gave(this.id)) {
      this.ops.send('release', []);
      return;
    }
    const reply = this.ops.callSync('release', []);
    gave(this.id);
    unwrap(reply);
  }

  /** @returns a short description of the object and its state, Python's repr where there is one. */
  override toString(): string {
    return `<Lock(${this.name})>`;
  }
}

/**
 * A reentrant lock shared by processes, like Python's `multiprocessing.RLock`: the thread that
 * holds it may acquire it again, and must release it as many times.
 */
export class RLock extends BrokerLock {
  /**
   * @param options - `name` for deadlock reports, `detectDeadlock`, `deadlockTimeout`.
   * @throws {TypeError} or {ValueError} for a `deadlockTimeout` that is not a number of ms, 0 or more.
   */
  constructor(options: LockOptions = {}) {
    super('mp.RLock', lockParams(options, options.name ?? `RLock-${++counter}`));
  }

  /**
   * Releases one level; the lock is free once every level is released.
   *
   * @throws {RuntimeError} `cannot release un-acquired lock` when this thread does not hold it.
   */
  release(): void {
    if (!gave(this.id)) throw new RuntimeError('cannot release un-acquired lock');
    if (this.link.local) unwrap(this.ops.callSync('release', []));
    else this.ops.send('release', []);
  }

  /**
   * Whether this thread holds it.
   *
   * @returns `true` if the calling thread (or its `withLock` task) holds it.
   */
  isOwned(): boolean {
    return holdsHere(this.id) > 0;
  }

  /** @returns a short description of the object and its state, Python's repr where there is one. */
  override toString(): string {
    return `<RLock(${this.name}, held here ${holdsHere(this.id)})>`;
  }
}

registerHandle('mp.Lock', (wire: HandleWire) => fromWire(wire, () => new Lock()));
registerHandle('mp.RLock', (wire: HandleWire) => fromWire(wire, () => new RLock()));
