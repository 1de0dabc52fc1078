/**
 * The broker's view of one connected thread (a "client"), of a blocked request (a `Waiter`), and
 * of a lock owner. A client is one thread of one process: the broker's own thread talks to it
 * through direct calls, every other thread through its own socket connection.
 *
 * @module
 */
import { startTimer, type Timer } from '../../sync/deadline.js';
import type { Holdable } from './deadlock.js';
import { CANCELLED, ERR, OK, type BrokerEvent } from './ops.js';

/** How replies reach a client: a socket for remote threads, a function call for the broker's own thread. */
export interface ReplySink {
  reply(req: number, status: number, value: unknown, payload: Buffer | undefined): void;
  /** An unsolicited event `[id, event, …args]` about object `id` (a pipe end whose peer closed, a route…). */
  event(values: BrokerEvent): void;
  /** An ITEMS frame (queue items or pipe messages for this client to read), as buffers to write in order. */
  items(chunks: readonly Buffer[]): void;
}

/**
 * One thread of one process, known by its key `pid:threadId`. It may speak through two
 * connections: its own, and its sync helper's (for the `…Sync` forms).
 *
 * The thread is *stuck* when it has nothing left to do but wait for the broker: its event loop is
 * empty (it said so), or it is blocked in a `…Sync` call, or it has ended. Only stuck threads take
 * part in deadlock detection, so an async flow that waits while another flow of the same thread
 * holds the lock is never reported by mistake.
 */
export class ThreadState {
  /** The thread's event loop is empty (it said so); cleared by any reply to it. */
  quiescent = false;
  /** Waits of the thread's sync helper: the thread itself is blocked while one is pending. */
  blocked = 0;
  /** The thread (or its process) has ended: what it holds is never released by it. */
  ended = false;
  /** The thread's own (asynchronous) connection. */
  client: BrokerClient | undefined;
  /** Every request of this thread waiting at the broker, from either connection. */
  readonly pending = new Set<Waiter>();

  constructor(readonly key: string, public name: string) {}

  get stuck(): boolean {
    return this.ended || this.quiescent || this.blocked > 0;
  }
}

/**
 * Who holds or waits for a lock: a thread, or one async task of a thread. `withLock` runs its
 * critical section in a task scope (as the threading module does), so two async tasks of one
 * thread exclude each other while each can re-enter its own hold; task 0 is the thread itself.
 */
export class Owner {
  /** Lock waits without a timeout, in arrival order. */
  readonly waits = new Set<Waiter>();

  constructor(readonly thread: ThreadState, readonly task: number) {}

  get name(): string {
    return this.thread.name;
  }

  get stuck(): boolean {
    return this.thread.stuck;
  }

  /** `true` if a hold taken by `this` may be re-entered or released by `other`. */
  covers(other: Owner): boolean {
    return this === other || (this.thread === other.thread && this.task === 0);
  }
}

/** One connected thread (or a thread's sync helper). */
export class BrokerClient {
  /** References this client holds, by object id (released when it disconnects). */
  readonly refs = new Map<string, number>();
  /** Transit tokens this client minted and nobody has claimed yet. */
  readonly minted = new Set<string>();
  /** Requests waiting for something, by request id. */
  readonly waits = new Map<number, Waiter>();
  closed = false;
  /** Frames received so far (a sync helper's request waits until its thread's earlier frames are in). */
  received = 0;
  readonly sink: ReplySink;
  readonly thread: ThreadState;
  /** `true` for the broker's own thread. */
  readonly local: boolean;
  /** `true` for a sync helper: its thread is blocked while its request is pending. */
  readonly sync: boolean;

  constructor(sink: ReplySink, thread: ThreadState, local: boolean, sync: boolean) {
    this.sink = sink;
    this.thread = thread;
    this.local = local;
    this.sync = sync;
  }

  /** Sends a reply; any reply wakes the thread up, so it is no longer quiescent. */
  reply(req: number, status: number, value: unknown, payload?: Buffer): void {
    if (this.closed || req === 0) return;
    if (!this.sync) this.thread.quiescent = false;
    this.sink.reply(req, status, value, payload);
  }

  /** Pushes an event `[id, event, …args]`. */
  event(values: BrokerEvent): void {
    if (this.closed) return;
    this.sink.event(values);
  }

  /** Sends items for the thread to read; they wake it up too. */
  items(chunks: readonly Buffer[]): void {
    if (this.closed) return;
    this.thread.quiescent = false;
    this.sink.items(chunks);
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
    owner.thread.pending.add(this);
    if (client.sync) owner.thread.blocked++;
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

  /**
   * What a cancel request does; defaults to {@link Waiter.cancelled}. A Condition waiter first
   * takes its lock back, a Barrier waiter breaks the barrier.
   */
  onCancel: () => void = () => this.cancelled();

  /** The client gave up (an AbortSignal). */
  cancel(): void {
    if (!this.done) this.onCancel();
  }

  /** Takes the waiter out and replies that it was cancelled. */
  cancelled(): void {
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
    this.owner.thread.pending.delete(this);
    if (this.client.sync) this.owner.thread.blocked--;
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
