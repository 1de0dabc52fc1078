/**
 * The reading side of a channel in a thread that does not run the broker (`endpoint.ts`).
 *
 * Items arrive pushed by the broker and, when leased, from producers directly. The reader puts each
 * producer's items back in order (they may come by both paths), hands them to waiting gets, keeps
 * the rest, and acks what it took. Its credit is what its gets wait for plus about 4 ms of its own
 * work (measured between gets), so a busy consumer holds back nothing another could take, and a
 * fast one always has the next items at hand.
 *
 * @module
 */
import { startTimer, type Timer } from '../../sync/deadline.js';
import { RingQueue } from '../../core/ring-queue.js';
import { encodeFrame } from '../broker/frames.js';
import type { AckArgs, BrokerEvent } from '../broker/ops.js';
import type { Item, ItemsBatch } from './items.js';
import { inboxPath, markDirty, markLazy, waitsChanged, type ChannelLink, type DirectAck, type InboxConnection } from './transport.js';
import type { RemoteChannel } from './endpoint.js';

/** A consumer is expected to hold about this much of its own work ahead. */
const AHEAD_MS = 4;
const MAX_WINDOW = 1 << 16;
/** A pipe's reader wants everything sent ahead (acks only free the sender's copies). */
const PIPE_WINDOW = 1 << 30;
/** A pipe's reader acks every this many messages. */
const PIPE_ACK_EVERY = 256;
/** Consumption of one stream of items (from the broker, or from one producer): what was taken. */
class Taken {
  received = 0;
  prefix = 0;
  readonly extras = new Set<number>();
  dirty = false;
  /** How many were taken when the last ack went, and the credit it gave. */
  acked = 0;
  allowed = 0;

  get count(): number {
    return this.prefix + this.extras.size;
  }

  take(n: number): void {
    this.dirty = true;
    if (n !== this.prefix) {
      this.extras.add(n);
      return;
    }
    this.prefix++;
    if (this.extras.size > 0) while (this.extras.delete(this.prefix)) this.prefix++;
  }
}

interface Entry {
  readonly item: Item;
  /** `undefined` for the broker's stream. */
  readonly from: InboxConnection | undefined;
  /** The stream's consumption record (the broker's, or the producer's). */
  readonly taken: Taken;
  readonly origin: Origin;
  readonly n: number;
}

/** What the reader knows about one producer's items. */
interface Origin {
  /** `pre`: not switched (items from the broker go as they come, direct ones wait); `merge`: put back in order; `post`: as they come. */
  phase: 'pre' | 'merge' | 'post';
  /** Next sequence number to hand over (merge). */
  next: number;
  /** The last sequence number routed to this reader (set by `unswitched`). */
  last: number;
  /** Highest sequence number handed over. */
  delivered: number;
  /** Highest sequence number taken (reported to the broker while this thread holds the lease). */
  taken: number;
  readonly key: string;
  readonly held: Map<number, Entry>;
}

/**
 * A get, recv or poll waiting for an item. A class rather than closures: one object per wait,
 * which a round trip makes once per message.
 */
class Wait<R = unknown> {
  timer: Timer | undefined = undefined;
  done = false;
  onAbort: (() => void) | undefined = undefined;

  constructor(
    readonly reader: ChannelReader,
    readonly poll: boolean,
    readonly settle: (value: R) => void,
    readonly map: WaitMap<R> | undefined,
    readonly signal: AbortSignal | undefined,
  ) {}

  /** Ends the wait with `value` (an item, `true` for a poll, `undefined` when it timed out or was dropped). */
  resolve(value: Item | boolean | undefined): void {
    this.#end();
    this.reader.returned(this.poll, value);
    this.settle(this.map === undefined ? value as R : this.map(value));
  }

  /** Ends the wait without a value (its signal aborted). */
  #end(): void {
    this.done = true;
    this.reader.waitEnded();
    this.timer?.clear();
    if (this.onAbort !== undefined) this.signal?.removeEventListener('abort', this.onAbort);
  }

  abort(reject: (reason: unknown) => void): void {
    if (this.done) return;
    this.#end();
    reject(this.signal?.reason);
  }
}

/** What a wait resolves with, mapped by its caller (so no further promise is needed). */
export type WaitMap<R> = (value: Item | boolean | undefined) => R;

/** What a channel's thread takes from it. */
export class ChannelReader {
  readonly #owner: RemoteChannel;
  readonly #link: ChannelLink;
  readonly #id: string;
  readonly #pipe: boolean;
  /** A bounded queue: the broker frees room for putters as items are taken, so every take is acked. */
  readonly #eachTaken: boolean;
  #reading = false;
  #stopped = false;
  readonly #buffer = new RingQueue<Entry>(16);
  readonly #origins = new Map<string, Origin>();
  readonly #waits = new RingQueue<Wait>(4);
  /** Waits not finished yet. */
  #live = 0;
  readonly #hub = new Taken();
  readonly #from = new Map<InboxConnection, Taken>();
  /** Senders whose connection to this thread closed. */
  readonly #closedSenders = new Set<string>();
  #work = 1;
  /** When the last sampled get returned (0: the next get is not sampled). */
  #lastReturn = 0;
  /** Gets until the next sample of the work between two gets. */
  #sampleIn = 0;
  #window = 0;
  #sentPending = -1;
  #sentWindow = -1;
  #takenDirty = false;
  /** The origin of the last item received (items mostly come from one producer). */
  #lastOrigin: Origin | undefined;
  #directTaken = 0;
  #eof: Map<string, number> | undefined;
  /**
   * Fences from the broker not met yet: per producer, the last sequence number it wrote straight
   * here before what the broker pushed after the fence (`Infinity`: everything until its
   * connection closes). Broker items that come after an unmet fence wait in `#fenced`.
   */
  readonly #fences = new Map<string, number>();
  #fenced: Array<{ readonly entry: Entry; readonly origin: Origin }> = [];

  constructor(owner: RemoteChannel, link: ChannelLink, id: string, pipe: boolean, eachTaken: boolean) {
    this.#owner = owner;
    this.#link = link;
    this.#id = id;
    this.#pipe = pipe;
    this.#eachTaken = eachTaken;
  }

  /** Gets, recvs and polls waiting. */
  get waiting(): number {
    return this.#live;
  }

  /** The next item, if one is here (it is taken). */
  take(): Item | undefined {
    this.#startReading();
    this.#measure();
    const entry = this.#buffer.shift();
    if (entry === undefined) return undefined;
    this.#consume(entry);
    this.#returned();
    return entry.item;
  }

  /** `true` if an item is here (nothing is taken). */
  get ready(): boolean {
    return this.#buffer.size > 0;
  }

  /** `true` once a pipe's other end is closed and every message is read. */
  get atEof(): boolean {
    return this.#eofReady();
  }

  /**
   * Waits for an item (`poll`: for an item to be here, taking nothing). Resolves with the item
   * (or `true`), or `undefined` when `timeout` ms passed; rejects with `signal`'s reason.
   */
  wait<R = Item | boolean | undefined>(poll: boolean, timeout: number | null, signal?: AbortSignal, map?: WaitMap<R>): Promise<R> {
    this.#startReading();
    this.#measure();
    return new Promise<R>((resolve, reject) => {
      const wait = new Wait<R>(this, poll, resolve, map, signal);
      if (timeout !== null) wait.timer = startTimer(() => wait.resolve(undefined), timeout);
      if (signal !== undefined) {
        wait.onAbort = () => wait.abort(reject);
        signal.addEventListener('abort', wait.onAbort, { once: true });
      }
      this.#waits.push(wait as Wait);
      this.#live++;
      waitsChanged(this.#link, 1);
      // The broker pushes to a hungry queue reader first: it must know this one waits.
      if (!this.#pipe && this.#sentPending === 0) markDirty(this.#owner);
    });
  }

  /** A wait ended. @internal */
  waitEnded(): void {
    this.#live--;
    waitsChanged(this.#link, -1);
  }

  /** A wait ended with `value`: a get that got an item counts for the measure of the work. @internal */
  returned(poll: boolean, value: Item | boolean | undefined): void {
    if (!poll && value !== undefined) this.#returned();
  }

  /** The time the program spent between two gets: how much work one item is. */
  #measure(): void {
    if (this.#lastReturn === 0) return;
    const work = performance.now() - this.#lastReturn;
    this.#work = this.#work * 0.7 + work * 0.3;
    this.#lastReturn = 0;
  }

  /** A get returned an item: every few gets, the time until the next one is measured (the clock costs). */
  #returned(): void {
    // A pipe's window does not depend on the work (its one reader gets everything ahead).
    if (this.#pipe || this.#sampleIn-- > 0) return;
    this.#sampleIn = this.#work > 0.05 ? 0 : 7;
    this.#lastReturn = performance.now();
  }

  /** Starts reading (the broker then pushes items here). */
  open(): void {
    this.#startReading();
  }

  #startReading(): void {
    if (this.#reading || this.#stopped) return;
    this.#reading = true;
    this.#window = this.#computeWindow();
    this.#sentWindow = this.#window;
    this.#sentPending = 0;
    this.#link.queueOp('read', this.#id, [inboxPath(), 0, this.#window]);
    markDirty(this.#owner);
  }

  #computeWindow(): number {
    // A pipe has one reader: nobody else could take what is sent ahead.
    if (this.#pipe) return PIPE_WINDOW;
    const w = AHEAD_MS / Math.max(this.#work, 1e-4);
    if (w < 1) return 0;
    // Powers of two, so small changes of the measure do not each send an ack.
    return Math.min(MAX_WINDOW, 2 ** Math.floor(Math.log2(w)));
  }

  /** This thread stops reading: the broker and the producers take back what it had not taken. */
  stop(): void {
    if (!this.#reading || this.#stopped) return;
    this.#stopped = true;
    this.#link.queueOp('unread', this.#id, this.#ackArgs());
    for (const [conn, taken] of this.#from) {
      if (!conn.closed) conn.writer.write([encodeFrame(['ack', this.#id, taken.prefix, 0, true] satisfies DirectAck)]);
    }
    this.#buffer.drain();
    for (const w of this.#waits.drain()) if (!w.done) w.resolve(undefined);
  }

  /** Items pushed by the broker (`from` undefined) or sent by a producer to this thread's inbox. */
  onItems(batch: ItemsBatch, from: InboxConnection | undefined): void {
    if (!this.#reading || this.#stopped) return;
    let taken = this.#hub;
    if (from !== undefined) {
      let t = this.#from.get(from);
      if (t === undefined) this.#from.set(from, (t = new Taken()));
      taken = t;
    }
    const { items, firstN } = batch;
    const origin = this.#origin(batch.origin);
    if (from === undefined && items.length === 1 && this.#fences.size === 0 && origin.phase !== 'merge') {
      // One message from the broker for the get that waits first (a round trip): what `#place`
      // and `#deliver` would do, without an entry.
      const w = this.#waits.peek();
      if (w !== undefined && !w.done && !w.poll) {
        const item = items[0] as Item;
        const taken = this.#hub;
        if (firstN + 1 > taken.received) taken.received = firstN + 1;
        if (item.seq > origin.delivered) origin.delivered = item.seq;
        this.#waits.shift();
        this.#took(taken, origin, item.seq, firstN, false);
        w.resolve(item);
        this.#checkEof();
        return;
      }
    }
    for (let i = 0; i < items.length; i++) {
      const item = items[i] as Item;
      const entry: Entry = { item, from, taken, origin, n: firstN + i };
      if (entry.n + 1 > taken.received) taken.received = entry.n + 1;
      if (from === undefined && this.#fences.size > 0 && !this.#fences.has(origin.key)) {
        // Pushed after a fence another producer has not met yet.
        this.#fenced.push({ entry, origin });
        continue;
      }
      if (from !== undefined && origin.phase === 'pre') {
        origin.held.set(item.seq, entry);
        continue;
      }
      this.#place(origin, entry);
    }
    this.#checkEof();
  }

  #origin(key: string): Origin {
    const last = this.#lastOrigin;
    if (last !== undefined && last.key === key) return last;
    let origin = this.#origins.get(key);
    if (origin === undefined) {
      origin = { phase: 'pre', next: 0, last: Infinity, delivered: 0, taken: 0, key, held: new Map() };
      this.#origins.set(key, origin);
    }
    this.#lastOrigin = origin;
    return origin;
  }

  #place(origin: Origin, entry: Entry): void {
    if (origin.phase !== 'merge') {
      this.#deliver(origin, entry);
      return;
    }
    const seq = entry.item.seq;
    if (seq > origin.next) {
      origin.held.set(seq, entry);
      return;
    }
    if (seq < origin.next) {
      // Already handed over (a copy sent again): taken, as far as its sender is concerned.
      entry.taken.take(entry.n);
      markDirty(this.#owner);
      return;
    }
    this.#deliver(origin, entry);
    origin.next++;
    this.#drainHeld(origin);
  }

  #drainHeld(origin: Origin): void {
    for (let e = origin.held.get(origin.next); e !== undefined; e = origin.held.get(origin.next)) {
      origin.held.delete(origin.next);
      this.#deliver(origin, e);
      origin.next++;
    }
    if (origin.next > origin.last) this.#release(origin);
  }

  /** The origin's items come as they come from now on; what it held goes in order. */
  #release(origin: Origin): void {
    origin.phase = 'post';
    const held = [...origin.held.values()].sort((a, b) => a.item.seq - b.item.seq);
    origin.held.clear();
    for (const e of held) this.#deliver(origin, e);
  }

  #deliver(origin: Origin, entry: Entry): void {
    if (entry.item.seq > origin.delivered) {
      origin.delivered = entry.item.seq;
      if (this.#fences.size > 0 && (this.#fences.get(origin.key) ?? Infinity) <= entry.item.seq) this.#meet(origin.key);
    }
    for (let w = this.#waits.peek(); w !== undefined; w = this.#waits.peek()) {
      this.#waits.shift();
      if (w.done) continue;
      if (w.poll) {
        w.resolve(true);
        continue;
      }
      this.#consume(entry);
      w.resolve(entry.item);
      return;
    }
    this.#buffer.push(entry);
  }

  #consume(entry: Entry): void {
    this.#took(entry.taken, entry.origin, entry.item.seq, entry.n, entry.from !== undefined);
  }

  /** Item `seq` of `origin`, number `n` of the stream `taken`, was taken. */
  #took(taken: Taken, origin: Origin, seq: number, n: number, direct: boolean): void {
    taken.take(n);
    if (seq > origin.taken) {
      origin.taken = seq;
      this.#takenDirty = true;
    }
    if (direct) this.#directTaken++;
    // Acks are lazy: due ones are written at the end of the turn, the others with the next write.
    if (this.#ackNeeded(taken)) markDirty(this.#owner);
    else if (!this.#pipe) markLazy(this.#owner);
  }

  /** Whether taking from `taken` makes an ack due (the sender waits for it: credit, or room in a bounded queue). */
  #ackNeeded(taken: Taken): boolean {
    const done = taken.count - taken.acked;
    if (this.#pipe) return done >= PIPE_ACK_EVERY;
    if (this.#eachTaken) return true;
    if (taken === this.#hub) return done >= Math.max(1, (this.#sentPending + this.#sentWindow) >> 1);
    return done >= Math.max(1, taken.allowed >> 1);
  }

  /** An event from the broker about this channel. */
  onEvent(event: BrokerEvent): void {
    switch (event[1]) {
      case 'switched': return this.#switched(event[2], event[3]);
      case 'unswitched': return this.#unswitched(event[2], event[3]);
      case 'gone': return this.#gone(event[2], event[3]);
      case 'fence': return this.#fence(event[2], event[3]);
      case 'end': return this.#onEof(event[2]);
      default: return undefined;
    }
  }

  #switched(key: string, seq: number): void {
    const origin = this.#origin(key);
    if (origin.phase !== 'pre') return;
    origin.phase = 'merge';
    origin.next = seq;
    for (const s of [...origin.held.keys()]) {
      if (s >= seq) continue;
      // Cannot happen (direct items come after the switch); keep it anyway rather than lose it.
      const e = origin.held.get(s) as Entry;
      origin.held.delete(s);
      this.#deliver(origin, e);
    }
    this.#drainHeld(origin);
    this.#checkEof();
  }

  #unswitched(key: string, seq: number): void {
    const origin = this.#origin(key);
    origin.last = seq;
    if (origin.phase === 'merge' && origin.next > seq) this.#release(origin);
    else if (origin.phase === 'pre') this.#release(origin);
    this.#checkEof();
  }

  /**
   * A producer ended. What it wrote here before it ended comes before anything pushed after this
   * (when it sent here directly, until its connection closes); items it never sent are not waited for.
   */
  #gone(key: string, sentHere: boolean): void {
    if (sentHere && !this.#closedSenders.has(key)) this.#fences.set(key, Infinity);
    else this.#meet(key);
    const origin = this.#origins.get(key);
    if (origin !== undefined && origin.phase !== 'post') this.#release(origin);
    this.#checkEof();
  }

  /** Nothing pushed after this goes before producer `key`'s items up to `seq`. */
  #fence(key: string, seq: number): void {
    const origin = this.#origins.get(key);
    if (this.#closedSenders.has(key) || (origin !== undefined && origin.delivered >= seq)) return;
    this.#fences.set(key, Math.max(seq, this.#fences.get(key) ?? 0));
  }

  /** Producer `key`'s fence is met: what waited behind the fences goes, once none is left. */
  #meet(key: string): void {
    if (!this.#fences.delete(key) || this.#fences.size > 0) return;
    const waiting = this.#fenced;
    this.#fenced = [];
    for (const { entry, origin } of waiting) {
      if (this.#fences.size > 0) {
        this.#fenced.push({ entry, origin });
        continue;
      }
      this.#place(origin, entry);
    }
  }

  /** A producer's connection to this thread's inbox closed (it ended): everything it sent is here. */
  onSenderClosed(key: string): void {
    this.#closedSenders.add(key);
    this.#meet(key);
    this.#checkEof();
  }

  #onEof(finals: readonly unknown[]): void {
    const map = new Map<string, number>();
    for (let i = 0; i + 1 < finals.length; i += 2) map.set(String(finals[i]), Number(finals[i + 1]));
    this.#eof = map;
    this.#checkEof();
  }

  /** A pipe whose other end is gone, once every message here is read and none is on its way. */
  #eofReady(): boolean {
    const finals = this.#eof;
    if (finals === undefined || this.#buffer.size > 0 || this.#fenced.length > 0) return false;
    for (const [key, seq] of finals) {
      const origin = this.#origins.get(key);
      if (origin === undefined || origin.phase === 'pre' || this.#closedSenders.has(key)) continue;
      if (origin.delivered < seq) return false;
    }
    return true;
  }

  #checkEof(): void {
    if (this.#waits.size === 0 || !this.#eofReady()) return;
    for (const w of this.#waits.drain()) if (!w.done) w.resolve(w.poll ? true : undefined);
  }

  #ackArgs(): AckArgs {
    const pending = this.waiting;
    const taken: AckArgs[5] = [];
    if (this.#takenDirty) {
      for (const origin of this.#origins.values()) if (origin.taken > 0) taken.push(origin.key, origin.taken);
      this.#takenDirty = false;
    }
    this.#hub.dirty = false;
    this.#hub.acked = this.#hub.count;
    this.#sentPending = pending;
    this.#sentWindow = this.#window;
    return [this.#hub.received, this.#hub.prefix, [...this.#hub.extras], pending, this.#window, taken, this.#directTaken];
  }


  /**
   * Writes the acks due. With `causal` (the thread writes something else in this flush) every take
   * not acked yet is acked first, so that nobody learns of what the thread did after taking an item
   * before the item's sender learns it was taken: a consumer killed after that is not given the
   * item again. A pipe's messages are not given again when their reader dies (they go with it, as
   * with an OS pipe), so its takes need no ack before anything else.
   */
  flush(force: boolean, causal: boolean): void {
    if (!this.#reading || this.#stopped) return;
    if (this.#pipe) causal = force;
    this.#window = this.#computeWindow();
    const pending = this.waiting;
    if (causal ? this.#hub.count > this.#hub.acked || this.#takenDirty : this.#ackDue(pending)) {
      this.#link.queueOp('ack', this.#id, this.#ackArgs());
    }
    const allow = this.#pipe ? null : pending + Math.max(1, this.#window);
    for (const [conn, taken] of this.#from) {
      if (!taken.dirty || conn.closed) continue;
      // A pipe's sender only needs acks to drop its copies; a queue's needs them for credit.
      const due = causal || (this.#pipe ? taken.count - taken.acked >= PIPE_ACK_EVERY
        : taken.count - taken.acked >= Math.max(1, taken.allowed >> 1) || (allow as number) > taken.allowed * 2 || (pending > 0 && taken.allowed <= taken.count - taken.acked));
      if (!due) continue;
      taken.dirty = false;
      taken.acked = taken.count;
      taken.allowed = allow ?? 0;
      conn.writer.write([encodeFrame(['ack', this.#id, taken.prefix, allow, false] satisfies DirectAck)]);
    }
  }

  /** Something taken is not acked yet (acks are lazy while the thread only takes; a pipe's stay lazy). */
  get unacked(): boolean {
    if (this.#pipe) return false;
    if (this.#hub.count > this.#hub.acked || this.#takenDirty) return true;
    for (const taken of this.#from.values()) if (taken.count > taken.acked) return true;
    return false;
  }

  /**
   * Whether the broker must hear from this reader now: it starts waiting (the broker pushes to the
   * hungry first), it has taken half of what its credit allowed (or every item, for a bounded
   * queue, whose putters wait for room), or its wanted window doubled or halved. A pipe's reader
   * only acks now and then: everything is sent to it ahead anyway.
   */
  #ackDue(pending: number): boolean {
    const hub = this.#hub;
    if (!hub.dirty && !this.#takenDirty && pending === this.#sentPending && this.#window === this.#sentWindow) return false;
    if (this.#pipe) return hub.count - hub.acked >= PIPE_ACK_EVERY || (pending > 0 && this.#sentPending === 0 && hub.count > hub.acked);
    if (this.#eachTaken && hub.dirty) return true;
    if (pending > 0 && this.#sentPending === 0) return true;
    if (this.#window > this.#sentWindow * 2 || this.#window < this.#sentWindow >> 1) return true;
    return hub.count - hub.acked >= Math.max(1, (this.#sentPending + this.#sentWindow) >> 1);
  }

}
