/**
 * `Semaphore` and `BoundedSemaphore` across processes, with the threading module's API.
 *
 * @module
 */
import { ValueError } from '../errors.js';
import { unwrap } from './link.js';
import { Acquirable } from './lock.js';
import type { SemaphoreOps } from './broker/ops.js';
import { fromWire, registerHandle, type HandleWire } from './shared-object.js';

/**
 * A counter of units shared by processes, like Python's `multiprocessing.Semaphore`: `acquire`
 * takes one (waiting while there is none), `release` gives units back.
 *
 * @example
 * ```ts
 * const slots = new Semaphore(2);
 * await slots.withLock(() => work()); // at most two processes at a time
 * ```
 */
export class Semaphore extends Acquirable<SemaphoreOps> {
  /**
   * @param value - initial units. Default 1.
   * @throws {ValueError} `semaphore initial value must be >= 0`.
   */
  constructor(value = 1) {
    if (typeof value !== 'number' || !(value >= 0)) throw new ValueError('semaphore initial value must be >= 0');
    if (!Number.isInteger(value)) throw new ValueError(`semaphore initial value must be an integer, got ${value}`);
    super(new.target === BoundedSemaphore ? 'mp.BoundedSemaphore' : 'mp.Semaphore', { value, bounded: new.target === BoundedSemaphore });
  }

  /**
   * Gives `n` units back, waking as many waiters.
   *
   * @throws {ValueError} `n must be one or more`; for a BoundedSemaphore, `Semaphore released too
   * many times` when it would exceed its initial value.
   * @param n - how many units (default 1).
   */
  release(n = 1): void {
    if (!Number.isInteger(n) || n < 1) throw new ValueError('n must be one or more');
    // A plain semaphore cannot fail: no need to wait for the broker's answer.
    if (this.params.bounded !== true && !this.link.local) this.ops.send('release', [n]);
    else unwrap(this.ops.callSync('release', [n]));
  }

  /**
   * The units available right now (Python's `get_value()`).
   *
   * @returns the value at the moment of the call.
   */
  getValue(): number {
    return unwrap(this.ops.callSync('getValue', []));
  }

  protected describe(): string {
    return `${this.constructor.name} ${this.id}`;
  }

  /** Units have no owner: nothing to record. */
  protected override tookIt(): void {}

  protected override get nonBlockingTimeout(): string {
    return "can't specify timeout for non-blocking acquire";
  }

  /** @returns a short description of the object and its state, Python's repr where there is one. */
  override toString(): string {
    return `<${this.constructor.name}(value=${this.getValue()})>`;
  }
}

/** A {@link Semaphore} whose `release` refuses to go above the initial value. */
export class BoundedSemaphore extends Semaphore {}

registerHandle('mp.Semaphore', (wire: HandleWire) => fromWire(wire, () => new Semaphore()));
registerHandle('mp.BoundedSemaphore', (wire: HandleWire) => fromWire(wire, () => new BoundedSemaphore()));
