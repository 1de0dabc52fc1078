/**
 * Broker side of `Lock` and `RLock`: who holds the lock (a thread of some process), how many
 * times (RLock), and who waits, in arrival order. A lock wait without a timeout is an edge of the
 * wait-for graph that deadlock detection follows: at once when its thread is stuck, otherwise once
 * it has lasted the deadlock timeout the client sent with it (see `deadlock.ts`). The client sends
 * `null` instead when detection is off for that lock or in its process: the wait is then no edge.
 *
 * As in Python, a `Lock` may be released by a thread that does not hold it (it is a semaphore of
 * one); an `RLock` only by its owner.
 *
 * @module
 */
import { WaitQueue, type Owner, type Waiter } from './client.js';
import { ageAfter, endedHolderFailure, type Holdable } from './deadlock.js';
import type { Handlers, LockOps } from './ops.js';
import { timeoutArg, type Call, type SharedState, type StateFactory } from './state.js';

/** A request's deadlock timeout: ms, `Infinity`, or `null` when detection is off for it. */
export type EdgeAfter = number | null;

/** The deadlock timeout a client sent (`-1` stands for Infinity on the wire); 1000 ms when it sent none. */
export function edgeAfterArg(value: unknown): EdgeAfter {
  if (value === null) return null;
  if (typeof value !== 'number' || Number.isNaN(value)) return 1000;
  return value < 0 ? Infinity : value;
}

/** What a Condition needs from its lock. */
interface ConditionLock {
  owns(owner: Owner): boolean;
  /** Releases every level `owner` holds; returns how many to restore later. */
  releaseAll(owner: Owner): number;
  /**
   * Gives the lock to `waiter` with `count` levels (now, or once it is free), then resolves it
   * with `result` ({@link CANCELLED_RESULT}: replies "cancelled" instead). `edgeAfter` is the
   * waiter's deadlock timeout.
   */
  reacquire(waiter: Waiter, count: number, result: unknown, edgeAfter: EdgeAfter): void;
}

/** A reacquire whose wait was cancelled: it still takes the lock back, then reports the cancel. */
export const CANCELLED_RESULT = Symbol('cancelled');

interface Grant {
  readonly count: number;
  readonly result: unknown;
}

export class LockState implements SharedState, Holdable, ConditionLock {
  readonly name: string;
  readonly #reentrant: boolean;
  readonly #waiters = new WaitQueue();
  #holder: Owner | null = null;
  #count = 0;

  constructor(name: string, reentrant: boolean) {
    this.name = name;
    this.#reentrant = reentrant;
  }

  holder(): Owner | null {
    return this.#holder;
  }

  get kind(): string {
    return this.#reentrant ? 'RLock' : 'Lock';
  }

  readonly ops: Handlers<LockOps> = {
    acquire: (call, [block, timeout, edgeAfter]) => this.#acquire(call, block, timeoutArg(timeout), edgeAfterArg(edgeAfter)),
    release: (call) => this.#release(call),
    locked: (call) => call.ok(this.#holder !== null),
    owned: (call) => call.ok(this.#holder?.covers(call.owner) === true),
  };

  free(): void {
    for (const w of this.#waiters.drain()) w.fail('RuntimeError', `${this.name} was freed while a thread waited for it`);
  }

  owns(owner: Owner): boolean {
    return this.#holder?.covers(owner) === true;
  }

  releaseAll(owner: Owner): number {
    if (!this.owns(owner)) return 0;
    const count = this.#count;
    this.#holder = null;
    this.#count = 0;
    this.#handOver();
    return count;
  }

  reacquire(waiter: Waiter, count: number, result: unknown, edgeAfter: EdgeAfter): void {
    const grant: { count: number; result: unknown } = { count, result };
    waiter.data = grant;
    // The lock must be held again on return, even when the wait is abandoned.
    waiter.onCancel = () => {
      grant.result = CANCELLED_RESULT;
    };
    this.#waiters.push(waiter);
    this.#watch(waiter, edgeAfter);
    this.#handOver();
  }

  #acquire(call: Call<boolean>, block: boolean, timeout: number | null, edgeAfter: EdgeAfter): void {
    const owner = call.owner;
    if (this.#holder === null) {
      this.#holder = owner;
      this.#count = 1;
      call.ok(true);
      return;
    }
    if (this.#reentrant && this.#holder.covers(owner)) {
      this.#count++;
      call.ok(true);
      return;
    }
    if (!block || timeout === 0) {
      call.ok(false);
      return;
    }
    // The next acquirer of a lock whose holder has ended is told at once (a robust mutex's owner died).
    const ended = timeout === null && edgeAfter !== null ? endedHolderFailure(owner, this) : undefined;
    if (ended !== undefined) {
      call.fail('DeadlockError', ended.message, ended.edges);
      return;
    }
    const waiter = call.park(timeout);
    waiter.data = { count: 1, result: true } satisfies Grant;
    this.#waiters.push(waiter);
    if (timeout === null) this.#watch(waiter, edgeAfter);
  }

  /** A lock wait without a timeout: an edge of the wait-for graph, unless detection is off for it. */
  #watch(waiter: Waiter, edgeAfter: EdgeAfter): void {
    if (edgeAfter === null) return;
    waiter.waitsFor(this);
    ageAfter(waiter, edgeAfter);
  }

  #release(call: Call): void {
    if (this.#holder === null) {
      call.fail('RuntimeError', this.#reentrant ? 'cannot release un-acquired lock' : 'release unlocked lock');
      return;
    }
    if (this.#reentrant && !this.#holder.covers(call.owner)) {
      call.fail('RuntimeError', 'cannot release un-acquired lock');
      return;
    }
    if (--this.#count > 0) {
      call.ok();
      return;
    }
    this.#holder = null;
    call.ok();
    this.#handOver();
  }

  /** A free lock goes to the oldest waiter. */
  #handOver(): void {
    if (this.#holder !== null) return;
    const next = this.#waiters.shift();
    if (next === undefined) return;
    const grant = next.data as Grant;
    this.#holder = next.owner;
    this.#count = grant.count;
    if (grant.result === CANCELLED_RESULT) next.cancelled();
    else next.resolve(grant.result);
  }
}

/** `mp.Lock`: `{ name }`. */
export const lockState: StateFactory<LockOps> = (params) => new LockState(typeof params.name === 'string' ? params.name : 'Lock', false);
/** `mp.RLock`: `{ name }`. */
export const rlockState: StateFactory<LockOps> = (params) => new LockState(typeof params.name === 'string' ? params.name : 'RLock', true);
