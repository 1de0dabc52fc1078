/**
 * `Condition` across processes, with the threading module's API. The broker releases the lock
 * and parks the waiter in one step, so a `notify` cannot slip in between.
 *
 * @module
 */
import { RuntimeError } from '../errors.js';
import { Guarded, lend, type Acquire, type Holds } from '../sync/acquirable.js';
import { checkTimeout, toDeadline } from '../sync/deadline.js';
import { unwrap } from './link.js';
import { edgeAfter, holdsHere, Lock, RLock } from './lock.js';
import { fromWire, rebuilding, registerHandle, reviveHandles, SharedObject, type HandleWire } from './shared-object.js';
import type { ConditionOps } from './broker/ops.js';
import { throwIfAborted, toWait, type WaitOptions } from './wait-options.js';

/**
 * A condition variable shared by processes, like Python's `multiprocessing.Condition`: waiters
 * release the lock while they wait and hold it again when they return.
 *
 * @example
 * ```ts
 * const cond = new Condition();
 * await cond.withLock(async () => {
 *   while (!(await ready.get())) await cond.wait();
 * });
 * ```
 */
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging -- its acquire forms and holds are lent after it
export class Condition extends SharedObject<ConditionOps> {
  /** The lock the condition uses (part of its wire state). */
  readonly lock: Lock | RLock;

  /**
   * @param lock - a multiprocessing `Lock` or `RLock`; default a new `RLock`.
   * @throws {TypeError} for anything else.
   */
  constructor(lock?: Lock | RLock) {
    const wire = rebuilding();
    const own = wire === undefined ? (lock ?? new RLock()) : reviveHandles(wire.lock) as Lock | RLock;
    if (!(own instanceof Lock) && !(own instanceof RLock)) {
      throw new TypeError('Condition() needs a multiprocessing Lock or RLock (a threading lock cannot be shared with processes)');
    }
    super('mp.Condition', { lockId: own.id, lockKind: own.__ct, lockName: own.name });
    this.lock = own;
  }

  /** @internal Every acquire form, and the holds, are the lock's. */
  _guard(): Lock | RLock {
    return this.lock;
  }

  /**
   * Releases the lock, waits until notified or until the timeout, then takes the lock back.
   *
   * Cancel safety: when `signal` aborts, the wait ends, the lock is taken back, and then the
   * promise rejects with the reason: on return the lock is always held again.
   *
   * @param options - a timeout in ms, or `{ timeout, signal }`.
   * @returns `true` when notified, `false` when the timeout passed.
   * @throws {RuntimeError} `cannot wait on un-acquired lock`.
   */
  async wait(options?: number | WaitOptions): Promise<boolean> {
    this.#checkOwned('wait');
    const { timeout, signal } = toWait(options);
    throwIfAborted(signal);
    return unwrap(await this.ops.call('wait', [timeout, edgeAfter(this.lock.params)], undefined, signal), signal) === true;
  }

  /**
   * Blocking form of {@link Condition.wait}.
   *
   * Cancel safety: on timeout the lock is held again and `false` is returned.
   *
   * @returns `true` when notified, `false` when the timeout passed.
   * @throws {RuntimeError} `cannot wait on un-acquired lock`; in the broker's thread, always (it would block).
   * @param timeout - milliseconds; none waits until notified.
   */
  waitSync(timeout?: number | null): boolean {
    const ms = checkTimeout(timeout) ?? null;
    this.#checkOwned('wait');
    return unwrap(this.ops.callSync('wait', [ms, edgeAfter(this.lock.params)])) === true;
  }

  /**
   * Waits until `predicate()` is truthy: checks it first, then after every wake-up, until the
   * timeout (one deadline for the whole call).
   *
   * Cancel safety: as {@link Condition.wait}.
   *
   * @param predicate - evaluated with the lock held, in this process; may be async.
   * @returns the predicate's last value.
   * @throws {RuntimeError} `cannot wait on un-acquired lock`.
   * @param options - a timeout in ms for the whole call, or `{ timeout, signal }`.
   */
  async waitFor<T>(predicate: () => T | Promise<T>, options?: number | WaitOptions): Promise<T> {
    const { timeout, signal } = toWait(options);
    const deadline = timeout === null ? Infinity : performance.now() + timeout;
    let result = await predicate();
    while (!result) {
      const left = deadline - performance.now();
      if (left <= 0) break;
      await this.wait(left === Infinity ? { signal } : { timeout: left, signal });
      result = await predicate();
    }
    return result;
  }

  /**
   * Blocking form of {@link Condition.waitFor}.
   *
   * Cancel safety: as {@link Condition.waitSync}.
   *
   * @returns the predicate's last value.
   * @throws {RuntimeError} `cannot wait on un-acquired lock`.
   * @param predicate - evaluated with the lock held.
   * @param timeout - milliseconds for the whole call; none for no limit.
   */
  waitForSync<T>(predicate: () => T, timeout?: number | null): T {
    const deadline = toDeadline(timeout);
    let result = predicate();
    while (!result) {
      const left = deadline - performance.now();
      if (left <= 0) break;
      this.waitSync(left === Infinity ? undefined : left);
      result = predicate();
    }
    return result;
  }

  /**
   * Wakes up to `n` waiters (in any process), oldest first; they return once they get the lock back.
   *
   * @throws {RuntimeError} `cannot notify on un-acquired lock`.
   * @param n - how many waiters to wake (default 1).
   */
  notify(n = 1): void {
    this.#checkOwned('notify');
    this.ops.send('notify', [n]);
  }

  /**
   * Wakes every waiter.
   *
   * @throws {RuntimeError} `cannot notify on un-acquired lock`.
   */
  notifyAll(): void {
    this.#checkOwned('notify');
    this.ops.send('notifyAll', []);
  }

  /** @returns a short description of the object and its state, Python's repr where there is one. */
  override toString(): string {
    return `<Condition(${this.lock.toString()})>`;
  }

  #checkOwned(what: string): void {
    if (holdsHere(this.lock.id) === 0) throw new RuntimeError(`cannot ${what} on un-acquired lock`);
  }
}

// Acquired through its lock: each form is the lock's (the same code as the threading Condition's).
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging -- declares what lend() gives the class
export interface Condition extends Acquire, Holds {}
lend(Condition, Guarded);

registerHandle('mp.Condition', (wire: HandleWire) => fromWire(wire, () => new Condition()));
