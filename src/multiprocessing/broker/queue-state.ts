/**
 * Broker side of `Queue`, `JoinableQueue` and `SimpleQueue`: a FIFO of opaque items (the bytes
 * the producer serialized), blocked getters, blocked putters (bounded queues), and the unfinished
 * count of a joinable queue.
 *
 * A getter that arrives while items wait takes the oldest; an item that arrives while getters
 * wait goes straight to the oldest getter. Items from one producer keep their order because one
 * producer's requests travel on one connection, in order.
 *
 * @module
 */
import { RingQueue } from '../../core/ring-queue.js';
import { WaitQueue, type Waiter } from './client.js';
import { timeoutArg, type Call, type SharedState, type StateFactory } from './state.js';

/** An item as the broker keeps it: the serialized bytes and whether they hold shared handles. */
interface Item {
  readonly payload: Buffer;
  readonly shared: number;
}

class QueueState implements SharedState {
  readonly #items = new RingQueue<Item>(16);
  readonly #getters = new WaitQueue();
  readonly #putters = new WaitQueue();
  readonly #joiners = new WaitQueue();
  readonly #maxsize: number;
  readonly #joinable: boolean;
  #unfinished = 0;

  constructor(maxsize: number, joinable: boolean) {
    this.#maxsize = maxsize > 0 ? maxsize : 0;
    this.#joinable = joinable;
  }

  op(call: Call, op: string, args: readonly unknown[]): void {
    switch (op) {
      case 'put': return this.#put(call, { payload: call.payload, shared: Number(args[0]) }, args[1] !== false, timeoutArg(args[2]));
      case 'get': return this.#get(call, args[0] !== false, timeoutArg(args[1]));
      case 'qsize': return call.ok(this.#items.size);
      case 'taskDone': return this.#taskDone(call);
      case 'join': return this.#join(call);
      default: return call.fail('RuntimeError', `Queue has no operation ${op}`);
    }
  }

  free(): void {
    for (const w of [...this.#getters.drain(), ...this.#putters.drain(), ...this.#joiners.drain()]) {
      w.fail('RuntimeError', 'the queue was freed: every handle to it was closed or garbage-collected');
    }
  }

  #full(): boolean {
    return this.#maxsize > 0 && this.#items.size >= this.#maxsize;
  }

  #put(call: Call, item: Item, block: boolean, timeout: number | null): void {
    if (!this.#full()) {
      this.#accept(item);
      call.ok();
      return;
    }
    if (!block || timeout === 0) {
      call.fail('Full', '');
      return;
    }
    const waiter = call.park(timeout);
    waiter.data = item;
    waiter.onTimeout = () => waiter.fail('Full', '');
    this.#putters.push(waiter);
  }

  /** Adds an item that has room: to a waiting getter if there is one, else to the FIFO. */
  #accept(item: Item): void {
    if (this.#joinable) this.#unfinished++;
    const getter = this.#items.size === 0 ? this.#getters.shift() : undefined;
    if (getter !== undefined) getter.resolve(item.shared, item.payload);
    else this.#items.push(item);
  }

  #get(call: Call, block: boolean, timeout: number | null): void {
    const item = this.#items.shift();
    if (item !== undefined) {
      call.ok(item.shared, item.payload);
      this.#admitPutters();
      return;
    }
    if (!block || timeout === 0) {
      call.fail('Empty', '');
      return;
    }
    const waiter = call.park(timeout);
    waiter.onTimeout = () => waiter.fail('Empty', '');
    this.#getters.push(waiter);
  }

  #admitPutters(): void {
    for (let putter: Waiter | undefined = this.#putters.peek(); putter !== undefined && !this.#full(); putter = this.#putters.peek()) {
      this.#putters.shift();
      this.#accept(putter.data as Item);
      putter.resolve(null);
    }
  }

  #taskDone(call: Call): void {
    if (this.#unfinished <= 0) {
      call.fail('ValueError', 'task_done() called too many times');
      return;
    }
    call.ok();
    if (--this.#unfinished === 0) for (const w of this.#joiners.drain()) w.resolve(null);
  }

  #join(call: Call): void {
    if (this.#unfinished === 0) {
      call.ok();
      return;
    }
    this.#joiners.push(call.park(null));
  }
}

/** `mp.Queue` (and the joinable and simple kinds): `{ maxsize, joinable }`. */
export const queueState: StateFactory = (params) => new QueueState(Number(params.maxsize ?? 0), params.joinable === true);
