/**
 * Broker side of `Queue`, `JoinableQueue` and `SimpleQueue`: a channel (`channel-hub.ts`) plus
 * what only a queue has: `maxsize` with blocked putters, `qsize`, and the unfinished count of a
 * joinable queue.
 *
 * A bounded queue and a joinable queue count every item when it is put (CPython does it with
 * process-shared semaphores); here the broker is that counter, so their items always go through
 * the store. An unbounded queue read by a single process gets its items straight from the
 * producers (the lease).
 *
 * @module
 */
import type { Item } from '../channel/items.js';
import { WaitQueue, type Waiter } from './client.js';
import { ChannelHub } from './channel-hub.js';
import type { Handlers, QueueOps } from './ops.js';
import { timeoutArg, type Call, type StateContext, type StateFactory } from './state.js';

class QueueState extends ChannelHub {
  readonly #putters = new WaitQueue();
  readonly #joiners = new WaitQueue();
  readonly #maxsize: number;
  readonly #joinable: boolean;
  #unfinished = 0;

  constructor(context: StateContext, maxsize: number, joinable: boolean) {
    super(context, { leasable: maxsize <= 0 && !joinable, producers: context.id, redeliver: true, timeoutError: () => ['Empty', ''] });
    this.#maxsize = maxsize > 0 ? maxsize : 0;
    this.#joinable = joinable;
  }

  override readonly ops: Handlers<QueueOps> = {
    ...this.channelOps,
    put: (call, args) => this.#put(call, args),
    qsize: (call) => call.ok(this.size),
    taskDone: (call) => this.#taskDone(call),
    join: (call) => this.#join(call),
  };

  override free(): void {
    super.free();
    for (const w of [...this.#putters.drain(), ...this.#joiners.drain()]) {
      w.fail('RuntimeError', 'the queue was freed: every handle to it was closed or garbage-collected');
    }
  }

  protected override arrive(item: Item): void {
    if (this.#joinable) this.#unfinished++;
    super.arrive(item);
  }

  protected override taken(): void {
    for (let putter: Waiter | undefined = this.#putters.peek(); putter !== undefined && !this.#full(); putter = this.#putters.peek()) {
      this.#putters.shift();
      this.arrive(putter.data as Item);
      putter.resolve(null);
    }
  }

  #full(): boolean {
    return this.#maxsize > 0 && this.held >= this.#maxsize;
  }

  /** `['put', seq, tag, block, timeout]` with the item's bytes: a put that may wait for room. */
  #put(call: Call, [seq, tag, block, wireTimeout]: QueueOps['put']['args']): void {
    const packed = { tag, data: call.payload.length === 0 ? undefined : call.payload };
    const item: Item = call.client.local ? this.localItem(packed) : { origin: call.client.thread.key, seq, ...packed };
    if (!this.#full()) {
      this.arrive(item);
      call.ok();
      this.pump();
      return;
    }
    const timeout = timeoutArg(wireTimeout);
    if (!block || timeout === 0) {
      call.fail('Full', '');
      return;
    }
    const waiter = call.park(timeout);
    waiter.data = item;
    waiter.onTimeout = () => waiter.fail('Full', '');
    this.#putters.push(waiter);
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
export const queueState: StateFactory<QueueOps> = (params, context) => new QueueState(context, Number(params.maxsize ?? 0), params.joinable === true);
