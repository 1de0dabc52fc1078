/**
 * One channel (a queue, or the receiving side of a pipe end) as one thread that does not run the
 * broker uses it: as a producer (it puts or sends), as a reader (it gets or receives), or both.
 *
 * **Producer.** Items are numbered (per thread, per channel) and batched per turn of the event
 * loop. They go to the broker over the link, or, while the channel is leased to a single reader,
 * straight to that reader's inbox under its credit; what exceeds the credit waits here a little,
 * then goes to the broker, which keeps it for the same reader. Copies of what went straight to the
 * reader are kept until it acks them: if it closes or dies first, they go to the broker again (to
 * the front of the queue), and a thread that ends hands its copies to the broker.
 *
 * **Reader.** Items arrive pushed by the broker and, when leased, from producers directly. The
 * reader puts each producer's items back in order (they may come by both paths), hands them to
 * waiting gets, keeps the rest, and acks what it took. Its credit is what its gets wait for plus
 * about 4 ms of its own work (measured between gets), so a busy consumer holds back nothing
 * another could take, and a fast one always has the next items at hand.
 *
 * @module
 */
import { RingQueue } from '../../core/ring-queue.js';
import { encodeFrame } from '../broker/frames.js';
import { dataLength, encodeItems, FLAG, frameName, type Item, type ItemsBatch, type Packed } from './items.js';
import { addChannel, batching, inboxPath, itemQueued, markDirty, markLazy, peer, removeChannel, SELF, waitsChanged, type ChannelLink, type InboxConnection, type Peer } from './transport.js';

/** A consumer is expected to hold about this much of its own work ahead. */
const AHEAD_MS = 4;
const MAX_WINDOW = 1 << 16;
/** A pipe's reader wants everything sent ahead (acks only free the sender's copies). */
const PIPE_WINDOW = 1 << 30;
/** A pipe's reader acks every this many messages. */
const PIPE_ACK_EVERY = 256;
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
    while (this.extras.delete(this.prefix)) this.prefix++;
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

interface Wait {
  readonly poll: boolean;
  readonly resolve: (value: Item | boolean | undefined) => void;
  timer: NodeJS.Timeout | undefined;
  done: boolean;
}

/** What a wait resolves with, mapped by its caller (so no further promise is needed). */
export type WaitMap<R> = (value: Item | boolean | undefined) => R;

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

/** A queue or pipe channel of this thread. */
export class RemoteChannel {
  readonly id: string;
  readonly link: ChannelLink;
  /** This thread's frame name on this channel. */
  readonly #name: Buffer;
  /** Pipes read by one thread need no credit: their producers send at once. */
  readonly #pipe: boolean;
  /** A bounded queue: the broker frees room for putters as items are taken, so every take is acked. */
  readonly #eachTaken: boolean;
  #refs = 0;

  // ── producer ──
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

  // ── reader ──
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
  /** Producers whose connection to this thread's inbox was seen. */
  readonly #senders = new Set<string>();

  constructor(link: ChannelLink, id: string, pipe: boolean, eachTaken = false) {
    this.link = link;
    this.id = id;
    this.#name = frameName(id, SELF);
    this.#pipe = pipe;
    this.#eachTaken = eachTaken;
    addChannel(this);
  }

  /** One more handle of this channel in this thread. */
  retain(): this {
    this.#refs++;
    return this;
  }

  /** One handle fewer; the last one ends this thread's use of the channel. */
  release(): void {
    if (--this.#refs > 0) return;
    this.handOver();
    this.#stopReading();
    this.flush(false);
    this.link.writeQueued();
    removeChannel(this);
  }

  // ─── producer ───────────────────────────────────────────────────────────────────────────────

  /** The sequence number of the last item this thread put. */
  get seq(): number {
    return this.#seq;
  }

  /** Puts an item (it never waits). */
  put(packed: Packed): void {
    const item: Item = { origin: SELF, seq: ++this.#seq, tag: packed.tag, data: packed.data };
    if (!this.#known) {
      if (this.#unrouted.length === 0 && !batching()) {
        // A lone item (a result, then a long computation) goes at once, through the broker.
        this.#toHub(item, 0);
        itemQueued(this);
        return;
      }
      // A burst waits for the broker to say where it goes (straight to a lone reader, usually).
      this.#unrouted.push(item);
      if (this.#routeTimer === undefined) {
        this.#routeTimer = setTimeout(this.#routeUnknown, ROUTE_WAIT_MS);
        this.#routeTimer.unref();
      }
      markDirty(this);
      return;
    }
    this.#route1(item);
    itemQueued(this);
  }

  /** Sends one item the way the route says. */
  #route1(item: Item): void {
    if (this.#direct) {
      this.#lastToReader = item.seq;
      this.#directCount++;
      const stream = this.#stream as Stream;
      if (this.#outbox.size === 0 && this.#canSend(stream)) this.#queueDirect(stream, item);
      else this.#hold(item);
    } else {
      this.#toHub(item, 0);
    }
  }

  /** The broker did not say where items go in time (or the thread cannot wait): they go to it. */
  readonly #routeUnknown = (): void => {
    if (!this.#known) this.#learned();
    markDirty(this);
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

  #hold(item: Item): void {
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
    markDirty(this);
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
    const last = this.#runs[this.#runs.length - 1];
    const tail = last?.items[last.items.length - 1];
    if (last !== undefined && last.flags === flags && tail !== undefined && tail.seq + 1 === item.seq) last.items.push(item);
    else this.#runs.push({ flags, items: [item] });
  }

  /**
   * The broker says where this channel's items go: to reader `key` at `inbox`, to the broker for
   * good (`null`), or (`hub`) to the broker for now.
   */
  #route(key: string | null, inbox: string | null, hub = false): void {
    if (hub) {
      if (!this.#known) this.#learned();
      markDirty(this);
      return;
    }
    if (key === null) {
      this.#routeEnded = true;
      if (!this.#known) this.#learned();
      if (this.#direct) {
        this.#direct = false;
        this.#flushStream();
        this.#flushRuns();
        this.link.queueOp('unswitch', this.id, [(this.#stream as Stream).reader, this.#lastToReader]);
        this.#outboxToHub();
      }
      this.#routeEnded = true;
      markDirty(this);
      return;
    }
    if (this.#routeEnded || this.#direct || key === SELF || inbox === null) {
      if (!this.#known) this.#learned();
      return;
    }
    this.#flushRuns();
    this.link.queueOp('switch', this.id, [key, this.#unrouted[0]?.seq ?? this.#seq + 1]);
    const p = peer(key, inbox);
    p.users.add(this);
    this.#stream = {
      peer: p, reader: key, sent: 0, acked: 0, allow: FIRST_CREDIT, bytes: 0, copies: new RingQueue<Item>(16),
      queued: [], queuedFirstN: 0, final: false, lastAck: performance.now(),
    };
    this.#direct = true;
    if (!this.#known) this.#learned();
    markDirty(this);
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
    markDirty(this);
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
    markDirty(this);
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
    markDirty(this);
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
      this.link.queueItems(encodeItems(this.#name, run.flags, run.items, first.seq, 0));
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

  // ─── reader ─────────────────────────────────────────────────────────────────────────────────

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
      let onAbort: (() => void) | undefined;
      const wait: Wait = {
        poll,
        resolve: (value) => {
          wait.done = true;
          this.#live--;
          waitsChanged(this.link, -1);
          if (wait.timer !== undefined) clearTimeout(wait.timer);
          if (onAbort !== undefined) signal?.removeEventListener('abort', onAbort);
          if (!poll && value !== undefined) this.#returned();
          resolve(map === undefined ? value as R : map(value));
        },
        timer: undefined,
        done: false,
      };
      if (timeout !== null) wait.timer = setTimeout(() => wait.resolve(undefined), timeout);
      if (signal !== undefined) {
        onAbort = () => {
          if (wait.done) return;
          wait.done = true;
          this.#live--;
          waitsChanged(this.link, -1);
          if (wait.timer !== undefined) clearTimeout(wait.timer);
          reject(signal.reason);
        };
        signal.addEventListener('abort', onAbort, { once: true });
      }
      this.#waits.push(wait);
      this.#live++;
      waitsChanged(this.link, 1);
      // The broker pushes to a hungry queue reader first: it must know this one waits.
      if (!this.#pipe && this.#sentPending === 0) markDirty(this);
    });
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
    if (this.#sampleIn-- > 0) return;
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
    this.link.queueOp('read', this.id, [inboxPath(), 0, this.#window]);
    markDirty(this);
  }

  #computeWindow(): number {
    // A pipe has one reader: nobody else could take what is sent ahead.
    if (this.#pipe) return PIPE_WINDOW;
    const w = AHEAD_MS / Math.max(this.#work, 1e-4);
    if (w < 1) return 0;
    // Powers of two, so small changes of the measure do not each send an ack.
    return Math.min(MAX_WINDOW, 2 ** Math.floor(Math.log2(w)));
  }

  #stopReading(): void {
    if (!this.#reading || this.#stopped) return;
    this.#stopped = true;
    this.link.queueOp('unread', this.id, this.#ackArgs());
    for (const [conn, taken] of this.#from) {
      if (!conn.closed) conn.writer.write([encodeFrame(['ack', this.id, taken.prefix, 0, true])]);
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
    if (from !== undefined && from.sender !== undefined) this.#senders.add(from.sender);
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
      markDirty(this);
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
    const taken = entry.taken;
    taken.take(entry.n);
    const origin = entry.origin;
    if (entry.item.seq > origin.taken) {
      origin.taken = entry.item.seq;
      this.#takenDirty = true;
    }
    if (entry.from !== undefined) this.#directTaken++;
    // Acks are lazy: due ones are written at the end of the turn, the others with the next write.
    if (this.#ackNeeded(taken)) markDirty(this);
    else if (!this.#pipe) markLazy(this);
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
  onEvent(event: string, args: readonly unknown[]): void {
    switch (event) {
      case 'route': return this.#route(args[0] as string | null, (args[1] ?? null) as string | null);
      case 'hub': return this.#route(null, null, true);
      case 'switched': return this.#switched(String(args[0]), Number(args[1]));
      case 'unswitched': return this.#unswitched(String(args[0]), Number(args[1]));
      case 'gone': return this.#gone(String(args[0]), args[1] === true);
      case 'fence': return this.#fence(String(args[0]), Number(args[1]));
      case 'end': return this.#onEof(Array.isArray(args[0]) ? args[0] : []);
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

  #ackArgs(): unknown[] {
    const pending = this.waiting;
    const taken: unknown[] = [];
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

  // ─── writing ────────────────────────────────────────────────────────────────────────────────

  /** Writes what this channel queued: acks, then items, then reports. */
  /**
   * Writes what this channel queued: acks, then items, then reports. With `causal`, the thread
   * writes something else in this flush (an item, a request): every take not acked yet is acked
   * first, so that nobody learns of what the thread did after taking an item before the item's
   * sender learns it was taken (a consumer killed after that is not given the item again).
   */
  flush(force: boolean, causal = force): void {
    // A pipe's messages are not given again when their reader dies (they go with it, as with an OS
    // pipe): its takes need no ack before anything else.
    if (this.#pipe) causal = force;
    if (this.#reading && !this.#stopped) {
      this.#window = this.#computeWindow();
      const pending = this.waiting;
      if (causal ? this.#hub.count > this.#hub.acked || this.#takenDirty : this.#ackDue(pending)) {
        this.link.queueOp('ack', this.id, this.#ackArgs());
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
        conn.writer.write([encodeFrame(['ack', this.id, taken.prefix, allow, false])]);
      }
    }
    // The thread does something visible (or blocks): what it put before goes now, so that it is
    // on its way before anyone can react to what the thread does next. Items waiting for the
    // route go through the broker; those waiting for the reader's credit go straight when the
    // thread blocks (it could not send them later), through the broker otherwise (kept for the
    // same reader, and merged back in order there).
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

  /** Something taken is not acked yet (acks are lazy while the thread only takes; a pipe's stay lazy). */
  get unacked(): boolean {
    if (this.#pipe) return false;
    if (this.#hub.count > this.#hub.acked || this.#takenDirty) return true;
    for (const taken of this.#from.values()) if (taken.count > taken.acked) return true;
    return false;
  }

  /** Items (or frames) are waiting to be written. */
  get outgoing(): boolean {
    return this.#runs.length > 0 || (this.#stream?.queued.length ?? 0) > 0;
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

  /** Tells the broker how many items went straight to the reader, and the last one written. */
  #report(): void {
    const stream = this.#stream;
    if (stream === undefined) return;
    const seq = stream.peer.writer.pending === 0 ? this.#lastSentSeq : this.#reportedSeq;
    if (this.#directCount === this.#reportedCount && seq === this.#reportedSeq) return;
    this.#reportedCount = this.#directCount;
    this.#reportedSeq = seq;
    this.link.queueOp('sent', this.id, [this.#directCount, seq]);
  }
}
