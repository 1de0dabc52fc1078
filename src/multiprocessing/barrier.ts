/**
 * `Barrier` across processes, with the threading module's API. The action (if any) runs in the
 * process of the party that arrives last, so it must be able to reach other processes: a
 * self-contained function, a `taskModule()` reference, or a built-in.
 *
 * @module
 */
import { BrokenBarrierError, ValueError } from '../errors.js';
import { checkTimeout, waitArgument } from '../sync/deadline.js';
import type { WireFn } from '../protocol.js';
import type { Callable } from '../task-ref/task-module.js';
import { toWireFn } from '../task-ref/to-wire-fn.js';
import { TaskLoader, type TaskFn } from '../worker/task-loader.js';
import { unwrap, type Reply } from './link.js';
import { fromWire, registerHandle, SharedObject, type HandleWire } from './shared-object.js';
import type { BarrierOps } from './broker/ops.js';
import { throwIfAborted, type WaitOptions } from './wait-options.js';

/** Options of `new Barrier()`. */
export interface BarrierOptions {
  /** Runs once per round, in the process of the last party to arrive, before anyone is released. */
  action?: Callable<[], unknown> | undefined;
  /** Default timeout in ms of `wait()` calls that give none. */
  timeout?: number | null | undefined;
}

/** Actions of barriers created in this process, by barrier id: they run as given, without loading. */
const localActions = new Map<string, Callable<[], unknown>>();
const loader = new TaskLoader();
/** Actions loaded in this process, by barrier id → loader id. */
const loaded = new Map<string, number>();

/**
 * A rendezvous for a fixed number of parties in any processes, reusable round after round, like
 * Python's `multiprocessing.Barrier`.
 *
 * @example
 * ```ts
 * const barrier = new Barrier(3);
 * const index = await barrier.wait(); // 0, 1 or 2: unique within the round
 * ```
 */
export class Barrier extends SharedObject<BarrierOps> {
  /**
   * @param parties - how many `wait()` calls complete a round.
   * @throws {ValueError} `parties must be > 0`; a negative timeout.
   * @throws {TypeError} when the action cannot reach other processes (a closure).
   * @param options - `action` and the default `timeout` in ms.
   */
  constructor(parties = 1, options: BarrierOptions = {}) {
    if (!(parties >= 1)) throw new ValueError('parties must be > 0');
    if (!Number.isInteger(parties)) throw new ValueError(`parties must be an integer, got ${parties}`);
    const timeout = checkTimeout(options.timeout) ?? null;
    const action: WireFn | null = options.action === undefined ? null : toWireFn(options.action, 'Barrier action');
    super('mp.Barrier', { parties, timeout, action: action !== null, wire: action });
    if (options.action !== undefined) localActions.set(this.id, options.action);
  }

  /** The number of parties a round needs. */
  get parties(): number {
    return Number(this.params.parties);
  }

  /** How many parties wait in the current round (0 while broken). */
  get nWaiting(): number {
    return unwrap(this.ops.callSync('nWaiting', []));
  }

  /** Whether the barrier is broken (after `abort()`, a wait timeout or a failing action, until `reset()`). */
  get broken(): boolean {
    return unwrap(this.ops.callSync('broken', [])) === true;
  }

  /**
   * Waits until `parties` parties have called `wait`.
   *
   * Cancel safety: an abort breaks the barrier for everyone (the round cannot complete without
   * this party), as a timeout does.
   *
   * @param options - a timeout in ms (default: the barrier's), or `{ timeout, signal }`.
   * @returns this party's index in the round, 0…parties−1.
   * @throws {BrokenBarrierError} when the barrier is or becomes broken, is reset, or the timeout passes.
   * @throws whatever the action throws, in the process that ran it (the others get `BrokenBarrierError`).
   */
  async wait(options?: number | WaitOptions | null): Promise<number> {
    // No timeout (or `null`): the barrier's own, as Python's `wait(timeout=None)`.
    const { timeout, options: rest } = waitArgument(options);
    const signal = rest?.signal;
    throwIfAborted(signal);
    const explicit = timeout ?? null;
    const reply = await this.ops.call('wait', [explicit], undefined, signal);
    const [index, runAction] = unwrap(reply, signal);
    if (!runAction) return index;
    try {
      await (await this.#action())();
    } catch (error) {
      unwrap(await this.ops.call('actionDone', [false]));
      throw error;
    }
    this.#afterAction(await this.ops.call('actionDone', [true]));
    return index;
  }

  /**
   * Blocking form of {@link Barrier.wait}.
   *
   * Cancel safety: a timeout breaks the barrier for everyone, as in Python.
   *
   * @returns this party's index in the round.
   * @throws {BrokenBarrierError} as {@link Barrier.wait}; {@link RuntimeError} in the broker's thread (it would block).
   * @param timeout - milliseconds; default the barrier's timeout.
   */
  waitSync(timeout?: number | null): number {
    const explicit = checkTimeout(timeout) ?? null;
    const [index, runAction] = unwrap(this.ops.callSync('wait', [explicit]));
    if (!runAction) return index;
    let result: unknown;
    try {
      const fn = this.#action();
      if (fn instanceof Promise) {
        fn.catch(() => {});
        throw new TypeError('a Barrier action given as a module reference runs only in wait(), not in waitSync(), until its module is loaded');
      }
      result = fn();
    } catch (error) {
      unwrap(this.ops.callSync('actionDone', [false]));
      throw error;
    }
    if (result instanceof Promise) result.catch(() => {});
    this.#afterAction(this.ops.callSync('actionDone', [true]));
    return index;
  }

  /** Puts the barrier back to its initial state; parties waiting now get `BrokenBarrierError`. */
  reset(): void {
    unwrap(this.ops.callSync('reset', []));
  }

  /** Breaks the barrier: current and future waiters get `BrokenBarrierError` until `reset()`. */
  abort(): void {
    unwrap(this.ops.callSync('abort', []));
  }

  /** @returns a short description of the object and its state, Python's repr where there is one. */
  override toString(): string {
    return this.broken ? '<Barrier broken>' : `<Barrier waiters=${this.nWaiting}/${this.parties}>`;
  }

  /** The action as a function; a promise of it while a module reference loads. */
  #action(): TaskFn | Promise<TaskFn> {
    const local = localActions.get(this.id);
    if (typeof local === 'function') return local;
    const wire = this.params.wire as WireFn;
    let key = loaded.get(this.id);
    if (key === undefined) {
      key = loaded.size + 1;
      loaded.set(this.id, key);
      const loading = loader.define(key, wire);
      if (loading !== undefined) return loading.then(() => loader.get(key as number) as TaskFn);
    }
    return loader.get(key) ?? loader.load(wire);
  }

  #afterAction(reply: Reply): void {
    if (reply.status !== 0) throw new BrokenBarrierError('');
  }
}

registerHandle('mp.Barrier', (wire: HandleWire) => fromWire(wire, () => new Barrier()));
