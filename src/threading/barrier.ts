/**
 * `Barrier`: Python's reusable barrier on shared memory.
 *
 * ```
 * state[0]          internal mutex around the bookkeeping below (never held around user code)
 * state[B_SIGNAL]    bumped on every change waiters care about; they sleep on it
 * state[B_GEN]       the current round
 * state[B_COUNT]     parties arrived in this round (their indices are 0..count-1)
 * state[B_PHASE]     FILLING · ACTION_PENDING (complete, the action must run elsewhere) · ACTION_RUNNING
 * state[B_BROKEN]    1 after abort(), a wait timeout or a failing action, until reset()
 * state[B_OUTCOMES]  bit (round & 31) set when that round ended broken, so a slow waiter of an
 *                    old round still learns how its round ended
 * state[B_OWNERS]    parties of this round that can run the action (they are in its thread)
 * ```
 *
 * The action is a function and cannot cross threads: it runs in the thread that created the
 * Barrier. When the last party to arrive is another thread, it hands the action over to a party
 * of the creating thread waiting in the same round; when there is none, the round cannot run its
 * action and the barrier breaks. `docs/decisions/threading-barrier-action.md` has the details.
 *
 * @module
 */

import { inspect } from 'node:util';
import { BrokenBarrierError, ValueError } from '../errors.js';
import { ownerToken, threadIdentity } from '../sync/current-thread.js';
import { checkTimeout, remaining, toDeadline, waitArgument } from '../sync/deadline.js';
import { wake } from '../sync/futex.js';
import { lockInternal, unlock } from '../sync/mutex.js';
import { R_ID, nextId, registryView } from '../sync/registry.js';
import { registerShareable } from '../sync/shareable.js';
import { driveAsync, driveSync, type Steps } from '../sync/steps.js';

const TAG = 'threading.Barrier';
const B_SIGNAL = 1;
const B_GEN = 2;
const B_COUNT = 3;
const B_PHASE = 4;
const B_BROKEN = 5;
const B_OUTCOMES = 6;
const B_OWNERS = 7;
const FILLING = 0;
const ACTION_PENDING = 1;
const ACTION_RUNNING = 2;

const kAction = Symbol('barrier action');

// Actions of the barriers created in this thread, so that a copy revived in this same thread
// can run it too. Removed when the original Barrier is collected.
const actions = new Map<string, () => unknown>();
const forgetAction = new FinalizationRegistry<string>((key) => actions.delete(key));

/** Options of `new Barrier()`. */
export interface BarrierOptions {
  /**
   * Called once per round, after the last party arrives and before anyone is released. It runs
   * in the thread that created the barrier (see the class description). Its return value is
   * ignored. If it throws, that party gets the error and the others `BrokenBarrierError`.
   */
  action?: () => unknown;
  /** Default timeout in milliseconds for `wait()` calls that give none; `undefined` or `null`: no limit. */
  timeout?: number | null;
}

/** Options of an async barrier wait. A bare number means `{ timeout }`. */
export interface BarrierWaitOptions {
  /** Milliseconds; breaks the barrier when it passes. Default (also for `null`): the barrier's `timeout`. */
  timeout?: number | null;
  /** Abort the wait: the barrier breaks (as on timeout) and the promise rejects with the reason. */
  signal?: AbortSignal;
}

/**
 * A rendezvous for a fixed number of parties, reusable round after round. Passed to a worker it
 * arrives working, over the same memory (its `action` stays in the creating thread).
 *
 * @example
 * ```ts
 * const barrier = new Barrier(3);
 * const index = await barrier.wait(); // 0, 1 or 2: unique within the round
 * ```
 */
export class Barrier {
  /** @internal Wire tag of the shareable contract. */
  readonly __ct: string = TAG;
  private readonly _parties: number;
  private readonly _timeout: number | undefined;
  private readonly _state: Int32Array;
  private readonly _key: string;
  private readonly _hasAction: boolean;
  private readonly _creator: number;
  private readonly _creatorName: string;
  declare private readonly [kAction]: (() => unknown) | undefined;

  /**
   * Creates a barrier for `parties` threads or tasks.
   *
   * @param parties - how many `wait()` calls complete a round.
   * @param options - `action` and default `timeout`.
   * @throws ValueError `parties must be > 0` when `parties < 1`; ValueError for a negative timeout.
   */
  constructor(parties: number, options: BarrierOptions = {}) {
    if (!(parties >= 1)) throw new ValueError('parties must be > 0');
    if (!Number.isInteger(parties) || parties > 0x7fffffff) {
      throw new ValueError(`parties must be an integer below 2^31, got ${parties}`);
    }
    const timeout = checkTimeout(options.timeout);
    const registry = registryView();
    this._parties = parties;
    this._timeout = timeout;
    this._state = new Int32Array(new SharedArrayBuffer(8 * 4));
    this._key = `${registry[R_ID]}:${nextId(registry)}`;
    this._hasAction = options.action !== undefined;
    const me = threadIdentity();
    this._creator = me.ident + 1;
    this._creatorName = me.name;
    Object.defineProperty(this, kAction, { value: options.action });
    if (options.action !== undefined) {
      actions.set(this._key, options.action);
      forgetAction.register(this, this._key);
    }
  }

  /** The number of parties a round needs. */
  get parties(): number {
    return this._parties;
  }

  /** How many parties wait in the current round (0 while broken). */
  get nWaiting(): number {
    const s = this._state;
    if (Atomics.load(s, B_BROKEN) === 1 || Atomics.load(s, B_PHASE) !== FILLING) return 0;
    return Atomics.load(s, B_COUNT);
  }

  /** Whether the barrier is broken (after `abort()`, a wait timeout or a failing action, until `reset()`). */
  get broken(): boolean {
    return Atomics.load(this._state, B_BROKEN) === 1;
  }

  /**
   * Waits, without blocking the thread, until `parties` parties have called `wait`.
   *
   * Cancel safety: a timeout or an abort breaks the barrier for everyone, as a timeout does in
   * Python (the round cannot complete without this party): this call rejects with
   * `BrokenBarrierError` (or the signal's reason) and the other waiters with `BrokenBarrierError`.
   *
   * @param options - a timeout in milliseconds, or `{ timeout, signal }`.
   * @returns this party's index in the round, from 0 to `parties - 1`, unique within the round.
   * @throws BrokenBarrierError when the barrier is or becomes broken, is reset, or the timeout passes.
   * @throws whatever the action throws, in the thread that ran it.
   */
  wait(options?: number | BarrierWaitOptions | null): Promise<number> {
    try {
      const { timeout, options: rest } = waitArgument(options);
      const signal = rest?.signal;
      signal?.throwIfAborted();
      return driveAsync(this.steps(timeout), signal);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Blocking form of {@link Barrier.wait}, for worker threads.
   *
   * Cancel safety: a timeout breaks the barrier for everyone, as in Python.
   *
   * @param timeout - milliseconds. Default: the barrier's `timeout`.
   * @returns this party's index in the round.
   * @throws BrokenBarrierError when the barrier is or becomes broken, is reset, or the timeout passes.
   */
  waitSync(timeout?: number | null): number {
    return driveSync(this.steps(checkTimeout(timeout)));
  }

  /**
   * Puts the barrier back to its initial state. Parties waiting in the current round get
   * `BrokenBarrierError`; a broken barrier becomes usable again.
   */
  reset(): void {
    const s = this._state;
    lockInternal(s);
    if (Atomics.load(s, B_COUNT) > 0 || Atomics.load(s, B_PHASE) !== FILLING) this.endRound(true);
    Atomics.store(s, B_BROKEN, 0);
    this.signal();
    unlock(s);
  }

  /** Breaks the barrier: current and future waiters get `BrokenBarrierError` until `reset()`. */
  abort(): void {
    const s = this._state;
    lockInternal(s);
    this.breakBarrier();
    unlock(s);
  }

  /** @returns `Barrier <waiters=n/parties>` or `Barrier <broken>`. */
  toString(): string {
    return this.broken ? 'Barrier <broken>' : `Barrier <waiters=${this.nWaiting}/${this._parties}>`;
  }

  /** @internal */
  [inspect.custom](): string {
    return this.toString();
  }

  /** @internal Rebuilds a Barrier from its structured-cloned wire state. */
  static revive(wire: Barrier): Barrier {
    const barrier = Object.assign(Object.create(Barrier.prototype) as Barrier, wire);
    const action = barrier._creator === ownerToken() ? actions.get(barrier._key) : undefined;
    Object.defineProperty(barrier, kAction, { value: action });
    return barrier;
  }

  // The whole algorithm, for both forms. Every exit path releases the internal mutex first.
  private *steps(timeout: number | undefined): Steps<number> {
    const s = this._state;
    const parties = this._parties;
    const deadline = toDeadline(timeout ?? this._timeout);
    const action = this[kAction];
    lockInternal(s);
    // A complete round still running its action: join the next round once it is released
    // (Python's _enter waits for the same without a timeout).
    while (Atomics.load(s, B_PHASE) !== FILLING && Atomics.load(s, B_BROKEN) === 0) {
      const seen = Atomics.load(s, B_SIGNAL);
      unlock(s);
      yield { slots: s, index: B_SIGNAL, expected: seen, deadline: Infinity };
      lockInternal(s);
    }
    if (Atomics.load(s, B_BROKEN) === 1) {
      unlock(s);
      throw new BrokenBarrierError();
    }
    const gen = Atomics.load(s, B_GEN);
    const index = Atomics.add(s, B_COUNT, 1);
    if (action !== undefined) Atomics.add(s, B_OWNERS, 1);

    if (index + 1 === parties) {
      if (!this._hasAction) {
        this.endRound(false);
        unlock(s);
        return index;
      }
      if (action !== undefined) {
        Atomics.store(s, B_PHASE, ACTION_RUNNING);
        unlock(s);
        return this.runAction(action, gen, index);
      }
      if (Atomics.load(s, B_OWNERS) === 0) {
        this.breakBarrier();
        unlock(s);
        throw new BrokenBarrierError(
          `the barrier action cannot run: it lives in ${this._creatorName}, the thread that created the ` +
            'Barrier, and no party of that thread waits in this round',
        );
      }
      // Hand the action to a party of the creating thread waiting in this round.
      Atomics.store(s, B_PHASE, ACTION_PENDING);
      this.signal();
    }

    let until = deadline;
    let expired = false;
    for (;;) {
      if (Atomics.load(s, B_GEN) !== gen) {
        const broken = (Atomics.load(s, B_OUTCOMES) & (1 << (gen & 31))) !== 0;
        unlock(s);
        if (broken) throw new BrokenBarrierError();
        return index;
      }
      if (action !== undefined && Atomics.load(s, B_PHASE) === ACTION_PENDING) {
        Atomics.store(s, B_PHASE, ACTION_RUNNING);
        unlock(s);
        return this.runAction(action, gen, index);
      }
      if (expired) {
        if (Atomics.load(s, B_PHASE) === FILLING) {
          this.breakBarrier();
          unlock(s);
          throw new BrokenBarrierError();
        }
        // The round is complete and its action is running: like Python, wait for it to end.
        until = Infinity;
      }
      const seen = Atomics.load(s, B_SIGNAL);
      unlock(s);
      let result;
      try {
        result = yield { slots: s, index: B_SIGNAL, expected: seen, deadline: until };
      } catch (error) {
        // Aborted: this party leaves, so its round can never complete.
        this.breakRound(gen);
        throw error;
      }
      lockInternal(s);
      expired = result === 'timed-out' && remaining(until) <= 0;
    }
  }

  /** Breaks the barrier if round `gen` is still the current one. */
  private breakRound(gen: number): void {
    const s = this._state;
    lockInternal(s);
    if (Atomics.load(s, B_GEN) === gen) this.breakBarrier();
    unlock(s);
  }

  private runAction(action: () => unknown, gen: number, index: number): number {
    const s = this._state;
    try {
      action();
    } catch (error) {
      this.breakRound(gen);
      throw error;
    }
    lockInternal(s);
    if (Atomics.load(s, B_GEN) !== gen) {
      // reset() or abort() ended the round while the action ran.
      unlock(s);
      throw new BrokenBarrierError();
    }
    this.endRound(false);
    unlock(s);
    return index;
  }

  // Mutex held. Ends the current round, releasing its waiters as passed or broken.
  private endRound(broken: boolean): void {
    const s = this._state;
    const gen = Atomics.load(s, B_GEN);
    const bit = 1 << (gen & 31);
    const outcomes = Atomics.load(s, B_OUTCOMES);
    Atomics.store(s, B_OUTCOMES, broken ? outcomes | bit : outcomes & ~bit);
    Atomics.store(s, B_GEN, (gen + 1) | 0);
    Atomics.store(s, B_COUNT, 0);
    Atomics.store(s, B_OWNERS, 0);
    Atomics.store(s, B_PHASE, FILLING);
    this.signal();
  }

  // Mutex held.
  private breakBarrier(): void {
    const s = this._state;
    Atomics.store(s, B_BROKEN, 1);
    if (Atomics.load(s, B_COUNT) > 0 || Atomics.load(s, B_PHASE) !== FILLING) this.endRound(true);
    else this.signal();
  }

  private signal(): void {
    Atomics.add(this._state, B_SIGNAL, 1);
    wake(this._state, B_SIGNAL);
  }
}

registerShareable(TAG, (wire: Barrier) => Barrier.revive(wire));
