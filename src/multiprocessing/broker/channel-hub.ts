/**
 * The broker side of a channel: a `Queue` (and its joinable and simple kinds) or the receiving side
 * of a pipe end. Items do not have to pass through here: this is where a channel keeps what needs
 * one place.
 *
 * - **The store**: items that reached the broker (from the broker's own thread, from producers
 *   while no single consumer reads the channel, and items given back), served to the broker's own
 *   thread directly and pushed to the other readers under their credit.
 * - **Readers**: every thread (other than the broker's) that reads the channel registers; it says
 *   how many of its gets wait (`pending`) and how many more items it wants ahead (`window`, about
 *   4 ms of its own work). Items go to the oldest hungry reader first, then ahead to readers with
 *   room, so a busy consumer never hoards the work another one could do. A reader acks what it
 *   took; what it had not taken goes back to the front of the store if it closes or dies.
 * - **The lease**: while a channel that needs no exact count (an unbounded queue, a pipe end) has
 *   had one reader in another thread and nobody else, producers send it their items directly over
 *   a socket of their own (`channel/`), and the broker only sees reports. A second reader ends the
 *   lease for good; the channel then works through the store.
 *
 * ```
 *  producer ──(lease: direct socket)──────────────────────────────▶ reader
 *     │                                                              ▲
 *     └──(link)──▶ store ──(push, under the reader's credit)────────┘
 * ```
 *
 * While leased, a producer marks the switch (`switch`: its items from `seq` on go to the reader),
 * and the items of its that the store still held are dedicated to the reader, ahead of the mark,
 * so the reader can merge the two paths by sequence number. `unswitch` marks the end.
 *
 * @module
 */
import { startTimer, type Timer } from '../../sync/deadline.js';
import { unlinkSync } from 'node:fs';
import { RingQueue } from '../../core/ring-queue.js';
import { encodeItems, FLAG, frameName, type Item, type ItemsBatch, type Packed } from '../channel/items.js';
import { isMarker, Reader } from './hub-reader.js';
import type { BrokerClient } from './client.js';
import type { AckArgs, BrokerEvent, ChannelOps, Handlers } from './ops.js';
import type { Call, SharedState, StateContext } from './state.js';

/** What a wait of the broker's own thread gives: the item, whether one is there (a poll), or an error. */
export type LocalResult = Item | boolean | readonly [string, string];

/** A get or a poll of the broker's own thread. */
interface LocalWait {
  readonly poll: boolean;
  readonly stamp: number;
  done: boolean;
  /** Ends the wait (once): clears its timer and lets the process end if nothing else waits. */
  finish: (result: LocalResult) => void;
}

/**
 * A get or poll of the broker's own thread. A class rather than closures: one object per wait,
 * which a round trip makes once per message.
 */
class HubWait<R> implements LocalWait {
  done = false;
  timer: Timer | undefined = undefined;
  onAbort: (() => void) | undefined = undefined;

  constructor(
    readonly hub: ChannelHub,
    readonly poll: boolean,
    readonly stamp: number,
    readonly settle: (value: R) => void,
    readonly map: (result: LocalResult) => R,
    readonly signal: AbortSignal | undefined,
  ) {}

  finish(result: LocalResult): void {
    if (this.done) return;
    this.#end();
    this.settle(this.map(result));
  }

  abort(reject: (reason: unknown) => void): void {
    if (this.done) return;
    this.#end();
    reject(this.signal?.reason);
  }

  #end(): void {
    this.done = true;
    this.timer?.clear();
    if (this.onAbort !== undefined) this.signal?.removeEventListener('abort', this.onAbort);
    this.hub.waitEnded(this.poll);
  }
}

/** What differs between a queue and a pipe end. */
interface ChannelPolicy {
  /** `true` if producers may send straight to a lone reader (no exact count needed at put). */
  readonly leasable: boolean;
  /** The object whose holders produce into this channel (a queue: itself; a pipe end: its peer). */
  readonly producers: string;
  /**
   * What a reader that dies had received and not acked goes back to the store (a queue: it may
   * not have been taken), or is lost with it (a pipe: as with an OS pipe, its reader acks lazily).
   */
  readonly redeliver: boolean;
  /** What a blocked get that times out throws. */
  readonly timeoutError: (timeout: number) => [string, string];
}

/** The broker side of a queue or of a pipe end's receiving side. */
export class ChannelHub implements SharedState {
  protected readonly context: StateContext;
  readonly #policy: ChannelPolicy;
  readonly #store = new RingQueue<Item>(16);
  readonly #readers = new Map<BrokerClient, Reader>();
  readonly #waits = new RingQueue<LocalWait>(4);
  /** Local polls waiting (they see an item arrive without taking it). */
  #polls = 0;
  #localRead = false;
  /** Threads that ever read this channel (the lease is for a channel only one ever read). */
  readonly #everRead = new Set<string>();
  #lease: Reader | undefined;
  #leaseUsed = false;
  /** The reader that held the lease, while it still reads: custody copies are kept for it. */
  #holder: Reader | undefined;
  /** What the lease holder took, per origin (the last sequence number): to drop duplicates after it is gone. */
  readonly #taken = new Map<string, number>();
  /** Copies of items sent straight to the lease holder by producers that have ended. */
  #custody: Item[] = [];
  /** Items sent (or about to be sent) straight to the lease holder, per producer, as reported. */
  readonly #directSent = new Map<string, number>();
  /** The last sequence number each producer reported as written straight to a reader. */
  readonly #written = new Map<string, number>();
  #directTaken = 0;
  /** The broker's own thread's sequence number on this channel. */
  #localSeq = 0;
  #stamp = 0;
  #pumping = false;
  #again = false;
  #freed = false;

  constructor(context: StateContext, policy: ChannelPolicy) {
    this.context = context;
    this.#policy = policy;
  }

  /** The broker's own thread puts an item (no reply needed). @internal */
  localPut(packed: Packed): void {
    const item = this.localItem(packed);
    const r = this.#loneReaderWithRoom(item.origin);
    if (r !== undefined) {
      // The usual case of a pipe (and of a queue with one consumer): straight to its reader, as
      // `#give` then `#send` would (nothing waits in its outbox, it has no fences), in one frame.
      const n = r.pushed++;
      r.outstanding.push({ n, item });
      if (!r.hungry) r.stamp = 0;
      r.client.items(encodeItems(this.#nameOf(item.origin), 0, [item], item.seq, n));
      this.afterPump();
      return;
    }
    this.arrive(item);
    this.pump();
  }

  /**
   * The only reader, when an item of `origin` may go to it at once, with nothing to serve first:
   * the store is empty, no local get or poll waits, nothing is dedicated or fenced, and its
   * credit has room.
   */
  #loneReaderWithRoom(origin: string): Reader | undefined {
    if (this.#readers.size !== 1 || this.#store.size !== 0 || this.#waits.size !== 0 || this.#pumping) return undefined;
    const r = this.#readers.values().next().value as Reader;
    if (r.dedicated.size !== 0 || r.fences.size !== 0 || r.origins.has(origin) || r.out.length !== 0) return undefined;
    return r.unconsumed < r.pending + r.window ? r : undefined;
  }

  /** An item of the broker's own thread, numbered. */
  protected localItem(packed: Packed): Item {
    return { origin: this.context.local.thread.key, seq: ++this.#localSeq, tag: packed.tag, data: packed.data };
  }

  /** The broker's own thread takes the front item at once, if it may (nobody hungry before it). @internal */
  localTake(): Item | undefined {
    this.#noteLocalReader();
    if (this.#store.size === 0 || this.#firstWait() !== undefined) return undefined;
    for (const r of this.#readers.values()) if (r.stamp !== 0 && r.hungry) return undefined;
    const item = this.#store.shift() as Item;
    this.taken(1);
    return item;
  }

  get kind(): string {
    return this.constructor.name;
  }

  /** What every channel serves; a subclass's {@link ChannelHub.ops} adds its own (a queue's put, qsize…). */
  protected readonly channelOps: Handlers<ChannelOps> = {
    getNow: (call) => this.#getNow(call, false),
    pollNow: (call) => this.#getNow(call, true),
    read: (call, args) => this.#read(call.client, args),
    ack: (call, args) => this.#ack(call.client, args),
    unread: (call, args) => this.#unread(call.client, args),
    switch: (call, [reader, seq]) => this.#switch(call.client, reader, seq),
    unswitch: (call, [reader, seq]) => this.#unswitch(call.client, reader, seq),
    sent: (call, [count, seq]) => this.#sent(call.client, count, seq),
  };

  readonly ops: Handlers<ChannelOps> = this.channelOps;

  items(client: BrokerClient, batch: ItemsBatch): void {
    if (this.#freed) return;
    if (batch.flags & FLAG.CUSTODY) {
      this.#keepCustody(batch.items);
    } else if (batch.flags & FLAG.RESEND) {
      this.#giveBack(batch.items.filter((item) => !this.#alreadyTaken(item)));
    } else if (batch.items.length === 1 && this.#readers.size === 0 && this.#store.size === 0 && this.#polls === 0 && !this.#pumping) {
      // The usual case of a pipe end the broker's own thread reads: one message, for its get.
      const item = batch.items[0] as Item;
      const wait = this.#firstWait();
      if (wait === undefined) {
        this.#store.push(item);
      } else {
        wait.finish(item);
        this.taken(1);
      }
      if (this.#store.size > 0) this.pump();
      else this.afterPump();
      return;
    } else {
      for (const item of batch.items) this.arrive(item);
    }
    this.pump();
    void client;
  }

  attached(client: BrokerClient): void {
    this.producerAttached(client);
  }

  /**
   * A thread now holds a handle of the producing object: it learns where its items go (a producer
   * holds its first items until it knows, so that a burst right after start goes the right way). @internal
   */
  producerAttached(client: BrokerClient): void {
    if (client.local) return;
    const lease = this.#lease;
    if (lease !== undefined && client !== lease.client) client.event([this.context.id, 'route', lease.key, lease.inbox]);
    else client.event(this.#leaseUsed ? [this.context.id, 'route', null] : [this.context.id, 'hub']);
  }

  disconnected(client: BrokerClient): void {
    const reader = this.#readers.get(client);
    if (reader !== undefined) {
      this.#dropReader(reader, this.#policy.redeliver);
      // Its thread has ended; if it was killed, its inbox socket is still in the temp dir.
      if (reader.inbox !== null) removeSocket(reader.inbox);
    }
    const origin = client.thread.key;
    for (const r of this.#readers.values()) {
      r.origins.delete(origin);
      if (!r.fences.delete(origin)) continue;
      // The producer is gone: the reader takes what it wrote before its end (until its connection
      // closes) before anything pushed after this, and stops waiting for items it never sent.
      r.dedicate({ event: [this.context.id, 'gone', origin, (this.#directSent.get(origin) ?? 0) > 0] });
    }
    this.pump();
  }

  free(): void {
    this.#freed = true;
    for (const wait of this.#waits.drain()) {
      wait.finish(['RuntimeError', 'the queue was freed: every handle to it was closed or garbage-collected']);
    }
  }

  /** Items the channel holds (store, pushed and not taken, dedicated, and sent straight to the lease holder). */
  protected get size(): number {
    let n = this.#store.size;
    for (const r of this.#readers.values()) n += r.unconsumed + r.held;
    let direct = 0;
    for (const count of this.#directSent.values()) direct += count;
    return n + Math.max(0, direct - this.#directTaken);
  }

  /** Items the channel holds that count against a bounded queue's `maxsize` (store, pushed, dedicated). */
  protected get held(): number {
    let n = this.#store.size;
    for (const r of this.#readers.values()) n += r.unconsumed + r.held;
    return n;
  }

  /** `true` while nothing is in the store. */
  protected get storeEmpty(): boolean {
    return this.#store.size === 0;
  }

  /** A new item reaches the store (or a dedicated queue). */
  protected arrive(item: Item): void {
    for (const r of this.#readers.values()) {
      if (r.origins.has(item.origin)) {
        r.dedicate(item);
        return;
      }
    }
    this.#store.push(item);
  }

  /** `n` items were taken (by anyone): room for blocked putters. */
  protected taken(_n: number): void {}

  /** Called at the end of every pump. */
  protected afterPump(): void {}

  /** Serves what can be served: dedicated items, local waits, hungry readers, then readers with room. */
  protected pump(): void {
    if (this.#pumping) {
      this.#again = true;
      return;
    }
    this.#pumping = true;
    try {
      do {
        this.#again = false;
        this.#pumpOnce();
      } while (this.#again);
    } finally {
      this.#pumping = false;
    }
    this.afterPump();
  }

  #pumpOnce(): void {
    for (const r of this.#readers.values()) this.#drainDedicated(r);
    if (this.#store.size > 0) this.#resolvePolls(true);
    while (this.#store.size > 0) {
      const target = this.#pick();
      if (target === undefined) break;
      const item = this.#store.shift() as Item;
      if (target instanceof Reader) {
        this.#give(target, item);
      } else {
        target.finish(item);
        this.taken(1);
      }
    }
    for (const r of this.#readers.values()) this.#send(r);
  }

  /** Sends a reader its dedicated entries: marks at once, items under its credit. */
  #drainDedicated(r: Reader, force = false): void {
    for (let e = r.dedicated.peek(); e !== undefined; e = r.dedicated.peek()) {
      if (isMarker(e)) {
        r.out.push(e.event);
      } else if (force || r.unconsumed < r.pending + r.window) {
        this.#give(r, e);
        r.held--;
        force = false;
      } else {
        return;
      }
      r.dedicated.shift();
    }
  }

  #give(r: Reader, item: Item): void {
    this.#fence(r, item.origin);
    const n = r.pushed++;
    r.outstanding.push({ n, item });
    r.out.push({ n, item });
    if (!r.hungry) r.stamp = 0;
  }

  /**
   * Before an item of another origin goes to `r`: a fence for each producer that sends to `r`
   * directly and wrote more since the last one. The reader hands over nothing pushed after a fence
   * before it has that producer's items up to the fence: what a producer wrote before anything the
   * program did after (an Event it set, its exit) comes first, as through CPython's single pipe.
   */
  #fence(r: Reader, origin: string): void {
    if (r.fences.size === 0) return;
    for (const [o, sent] of r.fences) {
      if (o === origin) continue;
      const written = this.#written.get(o) ?? 0;
      if (written > sent) {
        r.fences.set(o, written);
        r.out.push([this.context.id, 'fence', o, written]);
      }
    }
  }

  /** Who gets the next store item: the oldest hungry waiter, else the reader with room and the fewest items. */
  #pick(): Reader | LocalWait | undefined {
    let best: Reader | LocalWait | undefined = this.#firstWait();
    let stamp = best?.stamp ?? Infinity;
    for (const r of this.#readers.values()) {
      if (r.stamp !== 0 && r.hungry && r.stamp < stamp) {
        best = r;
        stamp = r.stamp;
      }
    }
    if (best !== undefined) return best;
    let room: Reader | undefined;
    for (const r of this.#readers.values()) {
      if (r.unconsumed < r.pending + r.window && (room === undefined || r.unconsumed < room.unconsumed)) room = r;
    }
    return room;
  }

  /** The oldest local get still waiting (finished ones and polls are skipped). */
  #firstWait(): LocalWait | undefined {
    if (this.#waits.size === 0) return undefined;
    for (let w = this.#waits.peek(); w !== undefined; w = this.#waits.peek()) {
      if (!w.done && !w.poll) return w;
      if (w.done) {
        this.#waits.shift();
        continue;
      }
      // A live poll at the front: look behind it without disturbing the order.
      for (let i = 1; i < this.#waits.size; i++) {
        const next = this.#at(i);
        if (!next.done && !next.poll) return next;
      }
      return undefined;
    }
    return undefined;
  }

  #at(i: number): LocalWait {
    // RingQueue has no random access: rotate (the queue of local waits is short).
    let found: LocalWait | undefined;
    const size = this.#waits.size;
    for (let k = 0; k < size; k++) {
      const w = this.#waits.shift() as LocalWait;
      if (k === i) found = w;
      this.#waits.push(w);
    }
    return found as LocalWait;
  }

  #resolvePolls(value: boolean): void {
    if (this.#polls === 0) return;
    const size = this.#waits.size;
    for (let k = 0; k < size; k++) {
      const w = this.#waits.shift() as LocalWait;
      if (w.done) continue;
      if (w.poll) {
        w.finish(value);
        continue;
      }
      this.#waits.push(w);
    }
  }

  /** Fails the local gets still waiting (a pipe's end of file). */
  protected failWaits(errorName: string, message: string): void {
    for (const w of this.#waits.drain()) {
      if (w.done) continue;
      w.finish(w.poll ? true : [errorName, message]);
    }
  }

  /** Frame names of this channel per origin (the broker forwards items under their producer's name). */
  readonly #names = new Map<string, Buffer>();

  #nameOf(origin: string): Buffer {
    let name = this.#names.get(origin);
    if (name === undefined) this.#names.set(origin, (name = frameName(this.context.id, origin)));
    return name;
  }

  /** Writes a reader's pending items (one frame per run of one origin) and events, in order. */
  #send(r: Reader): void {
    const out = r.out;
    if (out.length === 0) return;
    r.out = [];
    let i = 0;
    while (i < out.length) {
      const first = out[i] as { n: number; item: Item } | BrokerEvent;
      if (Array.isArray(first)) {
        r.client.event(first);
        i++;
        continue;
      }
      const { n, item } = first;
      const run: Packed[] = [item];
      let j = i + 1;
      for (; j < out.length; j++) {
        const next = out[j] as { n: number; item: Item } | BrokerEvent;
        if (Array.isArray(next)) break;
        const e = next;
        if (e.item.origin !== item.origin || e.item.seq !== item.seq + run.length || e.n !== n + run.length) break;
        run.push(e.item);
      }
      r.client.items(encodeItems(this.#nameOf(item.origin), 0, run, item.seq, n));
      i = j;
    }
  }

  /**
   * A get (or poll) of the broker's own thread: served now, or waiting until an item comes (or
   * `timeout` ms pass, or `signal` aborts: then it took nothing).
   */
  localWait<R>(poll: boolean, block: boolean, timeout: number | null, signal: AbortSignal | undefined,
    map: (result: LocalResult) => R): LocalResult | Promise<R> {
    this.#noteLocalReader();
    if (!poll) {
      const item = this.localTake();
      if (item !== undefined) {
        this.pump();
        return item;
      }
    } else if (this.#store.size > 0) {
      return true;
    }
    const early = this.earlyAnswer(poll);
    if (early !== undefined) return early[0] === 'ok' ? early[1] as boolean : early as [string, string];
    if (!block || timeout === 0) return poll ? false : this.#policy.timeoutError(0);
    return new Promise<R>((resolve, reject) => {
      const wait = new HubWait<R>(this, poll, ++this.#stamp, resolve, map, signal);
      if (timeout !== null) wait.timer = startTimer(() => wait.finish(poll ? false : this.#policy.timeoutError(timeout)), timeout);
      if (signal !== undefined) {
        wait.onAbort = () => wait.abort(reject);
        signal.addEventListener('abort', wait.onAbort, { once: true });
      }
      this.context.keepAlive(1);
      this.#waits.push(wait);
      if (poll) this.#polls++;
      if (this.#store.size > 0) this.pump();
    });
  }

  /** A wait of the broker's own thread ended. @internal */
  waitEnded(poll: boolean): void {
    if (poll) this.#polls--;
    this.context.keepAlive(-1);
  }

  /** A get or poll that can be answered without an item (a pipe at end of file): `['ok', value]` or `[error, message]`. */
  protected earlyAnswer(_poll: boolean): [string, unknown] | undefined {
    return undefined;
  }

  /** A reader's get without waiting: push it one item (if there is one), then answer whether there was. */
  #getNow(call: Call<boolean>, poll: boolean): void {
    const r = this.#readers.get(call.client);
    if (r === undefined) {
      call.fail('RuntimeError', 'getNow from a thread that does not read this channel');
      return;
    }
    if (r.held > 0) {
      this.#drainDedicated(r, true);
    } else if (this.#store.size > 0) {
      this.#give(r, this.#store.shift() as Item);
    } else {
      const early = this.earlyAnswer(poll);
      this.#send(r);
      call.ok(early !== undefined);
      return;
    }
    this.#send(r);
    call.ok(true);
  }

  #noteLocalReader(): void {
    if (this.#localRead) return;
    this.#localRead = true;
    this.#everRead.add(this.context.local.thread.key);
    if (this.#lease !== undefined) this.#revoke();
  }

  /** `['read', inbox, pending, window]`: a thread starts reading. */
  #read(client: BrokerClient, [inbox, pending, window]: ChannelOps['read']['args']): void {
    if (this.#readers.has(client)) return;
    const r = new Reader(client, typeof inbox === 'string' ? inbox : null);
    r.pending = pending || 0;
    r.window = window || 0;
    if (r.hungry) r.stamp = ++this.#stamp;
    this.#readers.set(client, r);
    this.#everRead.add(r.key);
    if (this.#lease !== undefined) this.#revoke();
    else if (this.#policy.leasable && !this.#leaseUsed && this.#everRead.size === 1 && r.inbox !== null) this.#grant(r);
    this.pump();
  }

  #grant(r: Reader): void {
    this.#lease = r;
    this.#holder = r;
    this.#leaseUsed = true;
    for (const client of this.context.holders(this.#policy.producers)) {
      if (client !== r.client && !client.local) client.event([this.context.id, 'route', r.key, r.inbox]);
    }
  }

  /** A second reader: the lease ends for good. Producers go back to the store; the holder keeps what it has. */
  #revoke(): void {
    const r = this.#lease;
    if (r === undefined) return;
    this.#lease = undefined;
    for (const client of this.context.holders(this.#policy.producers)) {
      if (client !== r.client && !client.local) client.event([this.context.id, 'route', null]);
    }
  }

  /**
   * `['ack', received, prefix, extras, pending, window, taken, directTaken]`: what a reader took
   * (every pushed item numbered below `prefix`, and those in `extras`), how many gets wait there,
   * how many items it wants ahead; the lease holder adds the last sequence number it took per
   * origin (`[origin, seq, …]`) and how many items that came straight from producers it took.
   */
  #ack(client: BrokerClient, args: AckArgs): void {
    const r = this.#readers.get(client);
    if (r === undefined) return;
    this.#applyAck(r, args);
    this.pump();
  }

  #applyAck(r: Reader, [, prefix, extras, pending, window, taken, directTaken]: AckArgs): void {
    const before = this.held;
    if (prefix > r.prefix) {
      r.prefix = prefix;
      for (const n of r.extras) if (n < prefix) r.extras.delete(n);
    }
    for (const n of extras) if (n >= r.prefix) r.extras.add(n);
    for (let head = r.outstanding.peek(); head !== undefined && (head.n < r.prefix || r.extras.has(head.n)); head = r.outstanding.peek()) {
      r.extras.delete(head.n);
      r.outstanding.shift();
    }
    const wasHungry = r.hungry;
    // Items pushed and not received yet count as not taken, so they already meet some of these gets.
    r.pending = pending || 0;
    r.window = window || 0;
    if (r.hungry && !wasHungry) r.stamp = ++this.#stamp;
    if (!r.hungry) r.stamp = 0;
    for (let i = 0; i + 1 < taken.length; i += 2) {
      const origin = String(taken[i]);
      const seq = Number(taken[i + 1]);
      if (seq > (this.#taken.get(origin) ?? 0)) this.#taken.set(origin, seq);
    }
    if (taken.length > 0 && this.#custody.length > 0) this.#custody = this.#custody.filter((item) => !this.#alreadyTaken(item));
    this.#directTaken = Math.max(this.#directTaken, directTaken);
    const freed = before - this.held;
    if (freed > 0) this.taken(freed);
  }

  /** `['unread', …ack]`: a reader stops reading; what it had not taken goes back to the store. */
  #unread(client: BrokerClient, args: AckArgs): void {
    const r = this.#readers.get(client);
    if (r === undefined) return;
    this.#applyAck(r, args);
    this.#dropReader(r);
    this.pump();
  }

  #dropReader(r: Reader, giveBack = true): void {
    this.#readers.delete(r.client);
    const back: Item[] = [];
    for (const { n, item } of r.outstanding.drain()) if (giveBack && n >= r.prefix && !r.extras.has(n)) back.push(item);
    for (const e of r.dedicated.drain()) if (!isMarker(e)) back.push(e);
    r.held = 0;
    if (this.#lease === r) {
      this.#lease = undefined;
      for (const client of this.context.holders(this.#policy.producers)) {
        if (client !== r.client && !client.local) client.event([this.context.id, 'route', null]);
      }
    }
    if (this.#holder === r) {
      this.#holder = undefined;
      back.push(...this.#custody.filter((item) => !this.#alreadyTaken(item)));
      this.#custody = [];
    }
    this.#giveBack(back);
  }

  /** Items back at the front of the store, each producer's in order. */
  #giveBack(items: Item[]): void {
    if (items.length === 0) return;
    const sorted = [...items].sort((a, b) => (a.origin === b.origin ? a.seq - b.seq : a.origin < b.origin ? -1 : 1));
    for (let i = sorted.length - 1; i >= 0; i--) this.#store.unshift(sorted[i] as Item);
  }

  /** `true` for an item the lease holder reported as taken (a copy sent again after it was gone). */
  #alreadyTaken(item: Item): boolean {
    return item.seq <= (this.#taken.get(item.origin) ?? 0);
  }

  #keepCustody(items: readonly Item[]): void {
    const keep = items.filter((item) => !this.#alreadyTaken(item));
    if (this.#holder !== undefined) {
      this.#custody.push(...keep);
    } else {
      this.#giveBack(keep);
    }
  }

  /**
   * `['switch', readerKey, seq]`: the producer sends its items from `seq` on to that reader. Its
   * items still in the store are dedicated to the reader, ahead of the mark.
   */
  #switch(client: BrokerClient, readerKey: string, seq: number): void {
    const r = this.#readerByKey(readerKey);
    if (r === undefined) return;
    const origin = client.thread.key;
    const size = this.#store.size;
    for (let i = 0; i < size; i++) {
      const item = this.#store.shift() as Item;
      if (item.origin === origin) r.dedicate(item);
      else this.#store.push(item);
    }
    r.origins.add(origin);
    if (!r.fences.has(origin)) r.fences.set(origin, 0);
    r.dedicate({ event: [this.context.id, 'switched', origin, seq] });
    this.pump();
  }

  /** `['unswitch', readerKey, seq]`: the producer's items after `seq` come through the store again. */
  #unswitch(client: BrokerClient, readerKey: string, seq: number): void {
    const r = this.#readerByKey(readerKey);
    if (r === undefined) return;
    const origin = client.thread.key;
    r.origins.delete(origin);
    r.dedicate({ event: [this.context.id, 'unswitched', origin, seq] });
    this.pump();
  }

  /** `['sent', count, seq]`: a producer's report of the items it routed straight to the reader. */
  #sent(client: BrokerClient, count: number, seq: number): void {
    this.#directSent.set(client.thread.key, count);
    if (seq > (this.#written.get(client.thread.key) ?? 0)) this.#written.set(client.thread.key, seq);
    this.reportedSeq(client.thread.key, seq);
  }

  /** The last sequence number a producer reported as written. */
  protected reportedSeq(_origin: string, _seq: number): void {}

  #readerByKey(key: string): Reader | undefined {
    for (const r of this.#readers.values()) if (r.key === key) return r;
    return undefined;
  }

  /** Sends every reader an event once its items are all sent (a pipe's end of file). */
  protected sendWhenDrained(event: (r: { key: string }) => BrokerEvent): void {
    if (this.#store.size > 0) return;
    for (const r of this.#readers.values()) {
      if (r.eofSent || r.dedicated.size > 0) continue;
      r.eofSent = true;
      r.client.event(event(r));
    }
  }
}

function removeSocket(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // Already removed by its thread at exit.
  }
}
