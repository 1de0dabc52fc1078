/**
 * `Event` across processes, with the threading module's API.
 *
 * @module
 */
import { checkTimeout } from '../sync/deadline.js';
import { unwrap } from './link.js';
import { fromWire, registerHandle, SharedObject, type HandleWire } from './shared-object.js';
import type { EventOps } from './broker/ops.js';
import { throwIfAborted, toWait, type WaitOptions } from './wait-options.js';

/**
 * A flag processes can wait for, like Python's `multiprocessing.Event`: `set()` wakes every
 * waiter, `clear()` resets it.
 *
 * @example
 * ```ts
 * const ready = new Event();
 * new Process({ target: tasks.worker, args: [ready] }).start();
 * await ready.wait();
 * ```
 */
export class Event extends SharedObject<EventOps> {
  /** Creates a cleared event. */
  constructor() {
    super('mp.Event', {});
  }

  /**
   * Whether the flag is set right now.
   *
   * @returns the flag at the moment of the call.
   */
  isSet(): boolean {
    return unwrap(this.ops.callSync('isSet', [])) === true;
  }

  /** Sets the flag and wakes every waiter, in every process. */
  set(): void {
    this.ops.send('set', []);
  }

  /** Resets the flag. */
  clear(): void {
    this.ops.send('clear', []);
  }

  /**
   * Waits until the flag is set.
   *
   * Cancel safety: an aborted wait leaves nothing behind.
   *
   * @param options - a timeout in ms, or `{ timeout, signal }`.
   * @returns `true` once set (at once if it already is); `false` when the timeout passed.
   */
  async wait(options?: number | WaitOptions): Promise<boolean> {
    const { timeout, signal } = toWait(options);
    throwIfAborted(signal);
    return unwrap(await this.ops.call('wait', [timeout], undefined, signal), signal) === true;
  }

  /**
   * Blocking form of {@link Event.wait}, for worker threads and child processes.
   *
   * Cancel safety: a timeout leaves nothing behind.
   *
   * @param timeout - milliseconds; `undefined` waits until set.
   * @returns `true` once set; `false` when the timeout passed.
   * @throws {RuntimeError} in the broker's thread when it would have to wait.
   */
  waitSync(timeout?: number | null): boolean {
    return unwrap(this.ops.callSync('wait', [checkTimeout(timeout) ?? null])) === true;
  }

  /** @returns a short description of the object and its state, Python's repr where there is one. */
  override toString(): string {
    return `<Event ${this.isSet() ? 'set' : 'unset'}>`;
  }
}

registerHandle('mp.Event', (wire: HandleWire) => fromWire(wire, () => new Event()));
