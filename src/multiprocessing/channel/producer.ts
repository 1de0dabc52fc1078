/**
 * The producing side of a channel in a thread that does not run the broker (`endpoint.ts`).
 *
 * Items are numbered (per thread, per channel) and batched per turn of the event loop. They go to
 * the broker over the link, or, while the channel is leased to a single reader, straight to that
 * reader's inbox under its credit; what exceeds the credit waits here a little, then goes to the
 * broker, which keeps it for the same reader. Copies of what went straight to the reader are kept
 * until it acks them: if it closes or dies first, they go to the broker again (to the front of the
 * queue), and a thread that ends hands its copies to the broker.
 *
 * @module
 */
import { RingQueue } from '../../core/ring-queue.js';
import { dataLength, encodeItems, FLAG, type Item, type Packed } from './items.js';
import { batching, itemQueued, markDirty, peer, SELF, writesAlone, type ChannelLink, type Peer } from './transport.js';
import type { RemoteChannel } from './endpoint.js';

/** Items a producer sends straight to a reader that has not said yet how many it wants. */
const FIRST_CREDIT = 1;
/** Bytes sent straight to a reader and not taken yet, beyond which a producer waits for its acks. */
const BYTE_CREDIT = 16 * 1024 * 1024;
/** Items that waited this long for a reader's credit go to the broker instead. */
const OVERFLOW_MS = 20;
/** A producer holds its first items until the broker says where they go, at most this long. */
const ROUTE_WAIT_MS = 200;
/**
 * An ending thread with more than this waiting for a reader's credit stays until the reader has
 * taken it (as a Python producer waits at exit until its feeder thread has written everything into
 * the pipe), as long as the reader keeps taking; less goes to the broker, and the thread ends.
 */
const HOLD_BYTES = 64 * 1024;
/** An ending thread stops waiting for a reader that acked nothing for this long. */
const STALL_MS = 100;

/** The stream to the reader of a leased channel. */
interface Stream {
  readonly peer: Peer;
  readonly reader: string;
  sent: number;
  acked: number;
  allow: number;
  bytes: number;
  /** Items sent and not acked, oldest first (`n` of the first is `acked`). */
  readonly copies: RingQueue<Item>;
  /** Items numbered and not written yet. */
  queued: Item[];
  queuedFirstN: number;
  /** The reader gave up (closed, or is gone): nothing more goes to it. */
  final: boolean;
  /** When the reader last acked. */
  lastAck: number;
}

/** A run of items for the broker: consecutive sequence numbers, one flag set. */
interface Run {
  readonly flags: number;
  readonly items: Item[];
}

/** What a channel's thread puts into it. */
export class ChannelProducer {
  readonly #owner: RemoteChannel;
  readonly #link: ChannelLink;
  readonly #id: string;
  /** This thread's frame name on this channel. */
  readonly #name: Buffer;
  /** Pipes read by one thread need no credit: their producers send at once. */
  readonly #pipe: boolean;
  #seq = 0;
  /** The broker said where items go (until then they wait in `#unrouted`). */
  #known = false;
  #unrouted: Item[] = [];
  #routeTimer: NodeJS.Timeout | undefined;
  #direct = false;
  /** The lease is over: the broker for good. */
  #routeEnded = false;
  #stream: Stream | undefined;
  readonly #outbox = new RingQueue<Item>(8);
  #outboxBytes = 0;
  #outboxSince = 0;
  #overflowTimer: NodeJS.Timeout | undefined;
  #runs: Run[] = [];
  /** Last sequence number that went to the reader (straight, or to the broker while switched). */
  #lastToReader = 0;
  #directCount = 0;
  #reportedCount = 0;
  #reportedSeq = 0;
  #lastSentSeq = 0;

  constructor(owner: RemoteChannel, link: ChannelLink, id: string, name: Buffer, pipe: boolean) {
    this.#owner = owner;
    this.#link = link;
    this.#id = id;
    this.#name = name;
    this.#pipe = pipe;
  }

  /** The sequence number of the last item this thread put. */
  get seq(): number {
    return this.#seq;
  }

  /** Puts an item (it never waits). */
  put(packed: Packed): void {
    if (this.#known && !this.#direct && this.#runs.length === 0 && writesAlone()) {
      // Through the broker, alone in its turn: encoded and written now, with none of the
      // batching's bookkeeping (no run, no flush of the channels).
      this.#link.writeItems(encodeItems(this.#name, 0, [packed], ++this.#seq, 0));
      return;
    }
    const item: Item = { origin: SELF, seq: ++this.#seq, tag: packed.tag, data: packed.data };
    if (!this.#known) {
      if (this.#unrouted.length === 0 && !batching()) {
        // A lone item (a result, then a long computation) goes at once, through the broker.
        this.#toHub(item, 0);
        itemQueued(this.#owner);
        return;
      }
      // A burst waits for the broker to say where it goes (straight to a lone reader, usually).
      this.#unrouted.push(item);
      if (this.#routeTimer === undefined) {
        this.#routeTimer = setTimeout(this.#routeUnknown, ROUTE_WAIT_MS);
        this.#routeTimer.unref();
      }
      markDirty(this.#owner);
      return;
    }
    this.#route1(item);
    itemQueued(this.#owner);
  }

  /** Sends one item the way the route says. */
  #route1(item: Item): void {
    if (this.#direct) {
      this.#lastToReader = item.seq;
      this.#directCount++;
      const stream = this.#stream as Stream;
      if (this.#outbox.size === 0 && this.#canSend(stream)) this.#queueDirect(stream, item);
      else this.#toOutbox(item);
    } else {
      this.#toHub(item, 0);
    }
  }

  /** The broker did not say where items go in time (or the thread cannot wait): they go to it. */
  readonly #routeUnknown = (): void => {
    if (!this.#known) this.#learned();
    markDirty(this.#owner);
  };

  /** The route is known: items held until now go. */
  #learned(): void {
    this.#known = true;
    if (this.#routeTimer !== undefined) clearTimeout(this.#routeTimer);
    this.#routeTimer = undefined;
    const held = this.#unrouted;
    this.#unrouted = [];
    for (const item of held) this.#route1(item);
  }

  /** The next sequence number, for a put that goes as a request (a bounded queue). */
  nextSeq(): number {
    return ++this.#seq;
  }

  #canSend(stream: Stream): boolean {
    if (stream.final || stream.peer.closed) return false;
    if (this.#pipe) return true;
    const out = stream.sent - stream.acked;
    return out === 0 || (out < stream.allow && stream.bytes < BYTE_CREDIT);
  }

  #queueDirect(stream: Stream, item: Item): void {
    if (stream.queued.length === 0) stream.queuedFirstN = stream.sent;
    stream.queued.push(item);
    stream.copies.push(item);
    stream.sent++;
    stream.bytes += dataLength(item);
  }

  /** Keeps an item in the outbox until the reader grants credit for it. */
  #toOutbox(item: Item): void {
    if (this.#outbox.size === 0) this.#outboxSince = performance.now();
    this.#outbox.push(item);
    this.#outboxBytes += dataLength(item);
    this.#overflowTimer ??= setTimeout(this.#overflow, OVERFLOW_MS);
    this.#overflowTimer.unref();
  }

  /** Items that waited too long for the reader's credit go to the broker, which keeps them for the same reader. */
  readonly #overflow = (): void => {
    this.#overflowTimer = undefined;
    if (this.#outbox.size === 0) return;
    const wait = OVERFLOW_MS - (performance.now() - this.#outboxSince);
    if (wait > 1) {
      this.#overflowTimer = setTimeout(this.#overflow, wait);
      this.#overflowTimer.unref();
      return;
    }
    this.#outboxToHub();
    markDirty(this.#owner);
  };

  #outboxToHub(): void {
    for (let item = this.#outbox.shift(); item !== undefined; item = this.#outbox.shift()) this.#toHub(item, 0);
    this.#outboxBytes = 0;
  }

  #unhold(): Item | undefined {
    const item = this.#outbox.shift();
    if (item !== undefined) this.#outboxBytes -= dataLength(item);
    return item;
  }

  #toHub(item: Item, flags: number): void {
    // Index only a non-empty array: `runs[-1]` is a named-property lookup (a runtime call, every message).
    const runs = this.#runs;
    if (runs.length > 0) {
      const last = runs[runs.length - 1] as Run;
      const tail = last.items[last.items.length - 1] as Item;
      if (last.flags === flags && tail.seq + 1 === item.seq) {
        last.items.push(item);
        return;
      }
    }
    runs.push({ flags, items: [item] });
  }

  /**
   * The broker says where this channel's items go: to reader `key` at `inbox`, to the broker for
   * good (`null`), or (`hub`) to the broker for now.
   */
  route(key: string | null, inbox: string | null, hub = false): void {
    if (hub) {
      if (!this.#known) this.#learned();
      markDirty(this.#owner);
      return;
    }
    if (key === null) {
      this.#routeEnded = true;
      if (!this.#known) this.#learned();
      if (this.#direct) {
        this.#direct = false;
        this.#flushStream();
        this.#flushRuns();
        this.#link.queueOp('unswitch', this.#id, [(this.#stream as Stream).reader, this.#lastToReader]);
        this.#outboxToHub();
      }
      this.#routeEnded = true;
      markDirty(this.#owner);
      return;
    }
    if (this.#routeEnded || this.#direct || key === SELF || inbox === null) {
      if (!this.#known) this.#learned();
      return;
    }
    this.#flushRuns();
    this.#link.queueOp('switch', this.#id, [key, this.#unrouted[0]?.seq ?? this.#seq + 1]);
    const p = peer(key, inbox);
    p.users.add(this.#owner);
    this.#stream = {
      peer: p, reader: key, sent: 0, acked: 0, allow: FIRST_CREDIT, bytes: 0, copies: new RingQueue<Item>(16),
      queued: [], queuedFirstN: 0, final: false, lastAck: performance.now(),
    };
    this.#direct = true;
    if (!this.#known) this.#learned();
    markDirty(this.#owner);
  }

  /** The reader acked items of the stream: every one numbered below `prefix` is taken; `allow` is its credit. */
  onDirectAck(prefix: number, allow: number, final: boolean): void {
    const stream = this.#stream;
    if (stream === undefined) return;
    this.#acked(stream, prefix);
    stream.allow = allow;
    stream.lastAck = performance.now();
    if (final) {
      // The reader closed: what it had not taken goes to the broker, to the front of the queue.
      this.#giveUp(stream);
    } else {
      while (this.#outbox.size > 0 && this.#canSend(stream)) this.#queueDirect(stream, this.#unhold() as Item);
    }
    markDirty(this.#owner);
  }

  #acked(stream: Stream, prefix: number): void {
    while (stream.acked < prefix && stream.copies.size > 0) {
      stream.bytes -= dataLength(stream.copies.shift() as Item);
      stream.acked++;
    }
  }

  /** The connection to the reader is gone (it ended): what it had not acked goes to the broker again. */
  onPeerLost(p: Peer): void {
    const stream = this.#stream;
    if (stream === undefined || stream.peer !== p) return;
    this.#giveUp(stream);
    markDirty(this.#owner);
  }

  #giveUp(stream: Stream): void {
    if (stream.final) return;
    stream.final = true;
    stream.queued = [];
    const copies = stream.copies.drain();
    stream.bytes = 0;
    stream.acked = stream.sent;
    this.#directCount -= copies.length;
    for (const item of copies) this.#toHub(item, FLAG.RESEND);
    this.#direct = false;
    this.#routeEnded = true;
    this.#outboxToHub();
  }

  /**
   * This thread is ending or stops using the channel: copies of what went straight to the reader
   * go to the broker (kept there in case the reader dies), and what waits for credit goes there
   * too, so that nothing depends on this thread any more.
   */
  handOver(): void {
    if (!this.#known) this.#learned();
    const stream = this.#stream;
    if (stream !== undefined && !stream.final && stream.copies.size > 0) {
      this.#flushStream();
      const copies = stream.copies.drain();
      stream.bytes = 0;
      stream.acked = stream.sent;
      for (const item of copies) this.#toHub(item, FLAG.CUSTODY);
    }
    if (this.#outbox.size > 0) this.#outboxToHub();
    markDirty(this.#owner);
  }

  /**
   * The thread has nothing else to do. `true`: it should stay a little, because more than a pipe's
   * worth waits for the reader's credit and the reader keeps taking; otherwise everything is handed
   * over (`handOver`) and the thread may end.
   */
  quiesce(): boolean {
    const stream = this.#stream;
    if (stream !== undefined && this.#direct && !stream.final && !stream.peer.closed && this.#outboxBytes > HOLD_BYTES &&
      performance.now() - stream.lastAck < STALL_MS) return true;
    this.handOver();
    return false;
  }

  /** The connection this channel waits on at quiescence (to keep the thread alive). */
  get stream(): Peer | undefined {
    return this.#stream?.peer;
  }

  #flushRuns(): void {
    const runs = this.#runs;
    if (runs.length === 0) return;
    this.#runs = [];
    for (const run of runs) {
      const first = run.items[0] as Item;
      this.#link.queueItems(encodeItems(this.#name, run.flags, run.items, first.seq, 0));
    }
  }

  #flushStream(): void {
    const stream = this.#stream;
    if (stream === undefined || stream.queued.length === 0) return;
    const queued = stream.queued;
    stream.queued = [];
    let n = stream.queuedFirstN;
    let i = 0;
    while (i < queued.length) {
      let j = i + 1;
      while (j < queued.length && (queued[j] as Item).seq === (queued[j - 1] as Item).seq + 1) j++;
      stream.peer.writer.write(encodeItems(this.#name, 0, queued, (queued[i] as Item).seq, n, i, j - i));
      n += j - i;
      i = j;
    }
    this.#lastSentSeq = (queued[queued.length - 1] as Item).seq;
  }


  /** Items (or frames) are waiting to be written. */
  get outgoing(): boolean {
    return this.#runs.length > 0 || (this.#stream?.queued.length ?? 0) > 0;
  }

  /**
   * Writes the items queued, then the report. With `causal` the thread does something visible (or,
   * with `force`, blocks): what it put before goes now, so that it is on its way before anyone can
   * react to what the thread does next. Items waiting for the route go through the broker; those
   * waiting for the reader's credit go straight when the thread blocks (it could not send them
   * later), through the broker otherwise (kept for the same reader, and merged back in order there).
   */
  flush(force: boolean, causal: boolean): void {
    if ((force || causal) && !this.#known) this.#learned();
    const stream = this.#stream;
    if (force && stream !== undefined) {
      while (this.#outbox.size > 0 && !stream.final) this.#queueDirect(stream, this.#unhold() as Item);
    } else if (causal && this.#outbox.size > 0) {
      this.#outboxToHub();
    }
    this.#flushRuns();
    this.#flushStream();
    this.#report();
  }

  /** Tells the broker how many items went straight to the reader, and the last one written. */
  #report(): void {
    const stream = this.#stream;
    if (stream === undefined) return;
    const seq = stream.peer.writer.pending === 0 ? this.#lastSentSeq : this.#reportedSeq;
    if (this.#directCount === this.#reportedCount && seq === this.#reportedSeq) return;
    this.#reportedCount = this.#directCount;
    this.#reportedSeq = seq;
    this.#link.queueOp('sent', this.#id, [this.#directCount, seq]);
  }
}
