/**
 * Broker side of `Barrier`, following `threading.Barrier`: parties arrive and get indexes
 * 0…parties−1; the last one releases the round. With an action, the last one is told to run it
 * (the action is a function: it runs in that process, not here) and reports back; the round is
 * released only then, or the barrier breaks if the action threw. A timeout, `abort()` or
 * `reset()` breaks the waiters with `BrokenBarrierError`.
 *
 * ```
 *  filling ──last arrives, no action──▶ release all ──▶ filling
 *     │  └──last arrives, action──▶ action ──done ok──▶ release all ──▶ filling
 *     │                               └──────action threw──▶ broken
 *     └──timeout / abort──▶ broken ──reset──▶ filling
 * ```
 *
 * @module
 */
import type { Waiter } from './client.js';
import type { BarrierOps, Handlers } from './ops.js';
import { timeoutArg, type Call, type SharedState, type StateFactory } from './state.js';

type Phase = 'filling' | 'action' | 'broken';
type WaitReply = BarrierOps['wait']['reply'];

class BarrierState implements SharedState {
  readonly #parties: number;
  readonly #timeout: number | null;
  readonly #hasAction: boolean;
  #phase: Phase = 'filling';
  /** Parties waiting in the current round; each waiter's data is its index. */
  #round: Waiter[] = [];
  /** Parties that arrived while the action ran: they enter the next round. */
  #early: Array<{ call: Call<WaitReply>; timeout: number | null }> = [];

  constructor(parties: number, timeout: number | null, hasAction: boolean) {
    this.#parties = parties;
    this.#timeout = timeout;
    this.#hasAction = hasAction;
  }

  readonly kind = 'Barrier';

  readonly ops: Handlers<BarrierOps> = {
    wait: (call, [timeout]) => this.#wait(call, timeout === null ? this.#timeout : timeoutArg(timeout)),
    actionDone: (call, [ok]) => this.#actionDone(call, ok),
    abort: (call) => {
      this.#break();
      call.ok();
    },
    reset: (call) => {
      this.#failRound();
      if (this.#phase === 'broken') this.#phase = 'filling';
      call.ok();
    },
    nWaiting: (call) => call.ok(this.#phase === 'filling' ? this.#live().length : 0),
    broken: (call) => call.ok(this.#phase === 'broken'),
  };

  free(): void {
    this.#break();
  }

  #live(): Waiter[] {
    this.#round = this.#round.filter((w) => !w.done);
    return this.#round;
  }

  #wait(call: Call<WaitReply>, timeout: number | null): void {
    if (this.#phase === 'broken') {
      call.fail('BrokenBarrierError', '');
      return;
    }
    if (this.#phase === 'action') {
      this.#early.push({ call, timeout });
      return;
    }
    const round = this.#live();
    const index = round.length;
    if (index + 1 < this.#parties) {
      const waiter = call.park(timeout);
      waiter.data = index;
      waiter.onTimeout = () => {
        this.#break();
        waiter.fail('BrokenBarrierError', '');
      };
      // As in threading: abandoning a wait breaks the barrier for the others.
      waiter.onCancel = () => {
        waiter.cancelled();
        this.#break();
      };
      round.push(waiter);
      return;
    }
    if (this.#hasAction) {
      this.#phase = 'action';
      call.ok([index, true]);
      return;
    }
    call.ok([index, false]);
    this.#releaseRound();
  }

  #actionDone(call: Call, ok: boolean): void {
    if (this.#phase !== 'action') {
      call.fail('BrokenBarrierError', '');
      return;
    }
    if (!ok) {
      this.#break();
      call.ok();
      return;
    }
    this.#phase = 'filling';
    call.ok();
    this.#releaseRound();
  }

  #releaseRound(): void {
    const round = this.#live();
    this.#round = [];
    for (const w of round) w.resolve([w.data, false]);
    this.#admitEarly();
  }

  #admitEarly(): void {
    const early = this.#early;
    this.#early = [];
    for (const { call, timeout } of early) this.#wait(call, timeout);
  }

  #failRound(): void {
    const round = this.#live();
    this.#round = [];
    for (const w of round) w.fail('BrokenBarrierError', '');
  }

  #break(): void {
    this.#phase = 'broken';
    this.#failRound();
    const early = this.#early;
    this.#early = [];
    for (const { call } of early) call.fail('BrokenBarrierError', '');
  }
}

/** `mp.Barrier`: `{ parties, timeout, action }` (`action`: whether one was given). */
export const barrierState: StateFactory<BarrierOps> = (params) =>
  new BarrierState(Number(params.parties), timeoutArg(params.timeout), params.action === true);
