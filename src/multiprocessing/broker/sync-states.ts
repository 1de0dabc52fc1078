/**
 * Broker side of `Semaphore`/`BoundedSemaphore`, `Event` and `Condition`: small state machines
 * over wait queues, with the threading module's rules and messages.
 *
 * @module
 */
import { WaitQueue, type Waiter } from './client.js';
import { CANCELLED_RESULT, LockState, edgeAfterArg, type EdgeAfter } from './lock-state.js';
import type { ConditionOps, EventOps, Handlers, SemaphoreOps } from './ops.js';
import { timeoutArg, type Call, type SharedState, type StateContext, type StateFactory } from './state.js';

class SemaphoreState implements SharedState {
  readonly #waiters = new WaitQueue();
  readonly #bound: number | null;
  #value: number;

  constructor(value: number, bounded: boolean) {
    this.#value = value;
    this.#bound = bounded ? value : null;
  }

  readonly kind = 'Semaphore';

  readonly ops: Handlers<SemaphoreOps> = {
    acquire: (call, [block, wireTimeout]) => {
      if (this.#value > 0) {
        this.#value--;
        call.ok(true);
        return;
      }
      const timeout = timeoutArg(wireTimeout);
      if (!block || timeout === 0) {
        call.ok(false);
        return;
      }
      this.#waiters.push(call.park(timeout));
    },
    release: (call, [n]) => {
      if (this.#bound !== null && this.#value + n > this.#bound) {
        call.fail('ValueError', 'Semaphore released too many times');
        return;
      }
      this.#value += n;
      call.ok();
      for (let w = this.#waiters.peek(); w !== undefined && this.#value > 0; w = this.#waiters.peek()) {
        this.#waiters.shift();
        this.#value--;
        w.resolve(true);
      }
    },
    getValue: (call) => call.ok(this.#value),
  };

  free(): void {
    for (const w of this.#waiters.drain()) w.fail('RuntimeError', 'the semaphore was freed while a thread waited for it');
  }
}

class EventState implements SharedState {
  readonly #waiters = new WaitQueue();
  #flag = false;

  readonly kind = 'Event';

  readonly ops: Handlers<EventOps> = {
    set: (call) => {
      this.#flag = true;
      call.ok();
      for (const w of this.#waiters.drain()) w.resolve(true);
    },
    clear: (call) => {
      this.#flag = false;
      call.ok();
    },
    isSet: (call) => call.ok(this.#flag),
    wait: (call, [wireTimeout]) => {
      const timeout = timeoutArg(wireTimeout);
      if (this.#flag || timeout === 0) {
        call.ok(this.#flag);
        return;
      }
      this.#waiters.push(call.park(timeout));
    },
  };

  free(): void {
    for (const w of this.#waiters.drain()) w.fail('RuntimeError', 'the event was freed while a thread waited for it');
  }
}

/**
 * A Condition over a Lock or RLock kept elsewhere in the broker. `wait` releases the lock and
 * parks in one step, so no notify can slip in between (the lost-wakeup window of a naive
 * "release, then wait"). A notified or timed-out waiter then queues for the lock like any other
 * acquirer and is answered once it holds the lock again.
 */
/** A Condition waiter's saved RLock levels and its deadlock timeout for taking the lock back. */
interface Parked {
  readonly count: number;
  readonly edgeAfter: EdgeAfter;
}

const LOCK_GONE = 'the lock of this condition no longer exists';

class ConditionState implements SharedState {
  /** Waiters not yet notified, in arrival order (a Set keeps insertion order). */
  readonly #waiters = new Set<Waiter>();
  readonly #context: StateContext;
  readonly #lockId: string;
  readonly #lockKind: string;
  readonly #lockName: string;

  constructor(context: StateContext, lockId: string, lockKind: string, lockName: string) {
    this.#context = context;
    this.#lockId = lockId;
    this.#lockKind = lockKind;
    this.#lockName = lockName;
  }

  readonly kind = 'Condition';

  readonly ops: Handlers<ConditionOps> = {
    wait: (call, [wireTimeout, wireEdgeAfter]) => {
      const lock = this.#lock();
      if (lock === undefined) return call.fail('RuntimeError', LOCK_GONE);
      if (!lock.owns(call.owner)) {
        call.fail('RuntimeError', 'cannot wait on un-acquired lock');
        return;
      }
      const timeout = timeoutArg(wireTimeout);
      const edgeAfter = edgeAfterArg(wireEdgeAfter);
      const count = lock.releaseAll(call.owner);
      const waiter = call.park(timeout);
      waiter.data = { count, edgeAfter } satisfies Parked;
      waiter.onTimeout = () => {
        this.#waiters.delete(waiter);
        lock.reacquire(waiter, count, false, edgeAfter);
      };
      waiter.onCancel = () => {
        waiter.disarm();
        this.#waiters.delete(waiter);
        lock.reacquire(waiter, count, CANCELLED_RESULT, edgeAfter);
      };
      this.#waiters.add(waiter);
    },
    notify: (call, [n]) => this.#notify(call, n),
    notifyAll: (call) => this.#notify(call, Infinity),
  };

  /** The condition's lock (created from its parameters if this is its first use); `undefined` once freed. */
  #lock(): LockState | undefined {
    const lock = this.#context.ensure(this.#lockId, this.#lockKind, { name: this.#lockName });
    return lock instanceof LockState ? lock : undefined;
  }

  #notify(call: Call, n: number): void {
    const lock = this.#lock();
    if (lock === undefined) return call.fail('RuntimeError', LOCK_GONE);
    if (!lock.owns(call.owner)) {
      call.fail('RuntimeError', 'cannot notify on un-acquired lock');
      return;
    }
    call.ok();
    for (const w of this.#waiters) {
      if (n <= 0) break;
      this.#waiters.delete(w);
      if (w.done) continue;
      n--;
      w.disarm();
      const parked = w.data as Parked;
      lock.reacquire(w, parked.count, true, parked.edgeAfter);
    }
  }

  free(): void {
    for (const w of this.#waiters) w.fail('RuntimeError', 'the condition was freed while a thread waited for it');
    this.#waiters.clear();
  }
}

/** `mp.Semaphore`: `{ value, bounded }`. */
export const semaphoreState: StateFactory<SemaphoreOps> = (params) => new SemaphoreState(Number(params.value ?? 1), params.bounded === true);
/** `mp.Event`. */
export const eventState: StateFactory<EventOps> = () => new EventState();
/** `mp.Condition`: `{ lockId, lockKind, lockName }`. */
export const conditionState: StateFactory<ConditionOps> = (params, context) =>
  new ConditionState(context, String(params.lockId), String(params.lockKind), typeof params.lockName === 'string' ? params.lockName : 'Lock');
