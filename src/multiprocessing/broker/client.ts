/**
 * The broker's view of one connected thread (a "client"), of a blocked request (a `Waiter`), and
 * of a lock owner. A client is one thread of one process: the broker's own thread talks to it
 * through direct calls, every other thread through its own socket connection.
 *
 * @module
 */
import { startTimer, type Timer } from '../../core/deadline.js';
import type { Holdable } from './deadlock.js';

/** Reply status: the value is the result. */
export const OK = 0;
/** Reply status: the value is `[errorClassName, message, extra?]`. */
export const ERR = 1;
/** Reply status: the request was cancelled by the client (an AbortSignal) before it completed. */
export const CANCELLED = 2;

/** How replies reach a client: a socket for remote threads, a function call for the broker's own thread. */
export interface ReplySink {
  reply(req: number, status: number, value: unknown, payload: Buffer | undefined): void;
  /** An unsolicited event about object `id` (a pipe end whose peer closed, …). */
  push(id: string, event: string): void;
}

/**
 * Who holds or waits for a lock: one thread of one process. `stuck` means the thread has nothing
 * left to do but wait for the broker: its event loop is empty (it said so), or it is blocked in a
 * `…Sync` call. Only stuck owners take part in deadlock detection, so an async flow that waits
 * while another flow of the same thread holds the lock is never reported by mistake.
 */
export class Owner {
  stuck = false;
  /** Lock waits without a timeout, in arrival order. */
  readonly waits = new Set<Waiter>();

  constructor(readonly key: string, public name: string, readonly client: BrokerClient) {}
}

/** One connected thread. */
export class BrokerClient {
  /** References this client holds, by object id (released when it disconnects). */
  readonly refs = new Map<string, number>();
  /** Transit tokens this client minted and nobody has claimed yet. */
  readonly minted = new Set<string>();
  /** Requests waiting for something, by request id. */
  readonly waits = new Map<number, Waiter>();
  /** Owners this client speaks for: its own thread, plus the threads its sync helper serves. */
  readonly owners = new Map<string, Owner>();
  closed = false;
  /** `true` for the broker's own thread. */
  readonly local: boolean;
  readonly sink: ReplySink;
  readonly self: Owner;

  constructor(sink: ReplySink, key: string, name: string, local: boolean) {
    this.sink = sink;
    this.local = local;
    this.self = new Owner(key, name, this);
    this.owners.set(key, this.self);
  }

  /** Sends a reply; any reply wakes the thread up, so its owners are no longer stuck. */
  reply(req: number, status: number, value: unknown, payload?: Buffer): void {
    if (this.closed || req === 0) return;
    this.self.stuck = false;
    this.sink.reply(req, status, value, payload);
  }
}

/**
 * A request parked until something happens (an item arrives, a lock is released…), its timeout
 * passes, or its client cancels it. Exactly one of `resolve`, `fail`, `expire`, `cancel` wins.
 */
export class Waiter {
  done = false;
  #timer: Timer | undefined;
  /** Removes the waiter from whatever list holds it (set by the object that parks it). */
  detach: () => void = noop;
  /** Called once when the timeout passes; defaults to resolving with `false`. */
  onTimeout: () => void = () => this.resolve(false);
  /** Extra data the parking object needs (the item of a blocked put, a saved RLock count…). */
  data: unknown;
  /** For a lock wait without a timeout: the lock (deadlock detection follows it). */
  lock: Holdable | undefined;

  constructor(readonly client: BrokerClient, readonly req: number, readonly owner: Owner) {
    client.waits.set(req, this);
  }

  /** Starts the timeout (`null`: none). Remote waiters do not keep the broker's process alive. */
  arm(timeout: number | null): void {
    if (timeout === null) return;
    this.#timer = startTimer(() => {
      if (!this.done) this.onTimeout();
    }, timeout);
    if (!this.client.local) this.#timer.unref();
  }

  /** Stops the timeout without finishing the waiter (a notified Condition waiter). */
  disarm(): void {
    this.#timer?.clear();
    this.#timer = undefined;
  }

  /** Marks this as a wait for `lock` with no timeout: an edge of the wait-for graph. */
  waitsFor(lock: Holdable): void {
    this.lock = lock;
    this.owner.waits.add(this);
  }

  resolve(value: unknown, payload?: Buffer): void {
    if (!this.#finish()) return;
    this.client.reply(this.req, OK, value, payload);
  }

  /** Fails with an error of the named class; `extra` travels too (a deadlock's cycle). */
  fail(errorName: string, message: string, extra?: unknown): void {
    if (!this.#finish()) return;
    this.client.reply(this.req, ERR, extra === undefined ? [errorName, message] : [errorName, message, extra]);
  }

  /** The client gave up (AbortSignal): take the waiter out and say so. */
  cancel(): void {
    if (!this.#finish()) return;
    this.client.reply(this.req, CANCELLED, null);
  }

  /** The client is gone: take the waiter out silently. */
  drop(): void {
    this.#finish();
  }

  #finish(): boolean {
    if (this.done) return false;
    this.done = true;
    this.#timer?.clear();
    this.client.waits.delete(this.req);
    this.owner.waits.delete(this);
    this.detach();
    return true;
  }
}

function noop(): void {}

/** A FIFO of waiters that skips the ones already finished (timed out or cancelled). */
export class WaitQueue {
  #items: Waiter[] = [];
  #head = 0;

  push(waiter: Waiter): void {
    this.#items.push(waiter);
  }

  /** The first live waiter, without removing it. */
  peek(): Waiter | undefined {
    while (this.#head < this.#items.length) {
      const w = this.#items[this.#head] as Waiter;
      if (!w.done) return w;
      this.#head++;
    }
    this.#compact();
    return undefined;
  }

  /** Removes and returns the first live waiter. */
  shift(): Waiter | undefined {
    const w = this.peek();
    if (w !== undefined) this.#head++;
    if (this.#head > 64 && this.#head * 2 > this.#items.length) this.#compact();
    return w;
  }

  /** Live waiters, in order. */
  get size(): number {
    let n = 0;
    for (let i = this.#head; i < this.#items.length; i++) if (!(this.#items[i] as Waiter).done) n++;
    return n;
  }

  /** Removes and returns every live waiter. */
  drain(): Waiter[] {
    const out = this.#items.slice(this.#head).filter((w) => !w.done);
    this.#items = [];
    this.#head = 0;
    return out;
  }

  #compact(): void {
    this.#items = this.#items.slice(this.#head);
    this.#head = 0;
  }
}
