/**
 * One channel (a queue, or the receiving side of a pipe end) as one thread that does not run the
 * broker uses it: as a producer (it puts or sends: `producer.ts`), as a reader (it gets or
 * receives: `reader.ts`), or both. The thread's transport (`transport.ts`) flushes it at the end
 * of a turn: acks first, then items, then reports.
 *
 * @module
 */
import { frameName, type Item, type ItemsBatch, type Packed } from './items.js';
import type { BrokerEvent } from '../broker/ops.js';
import { ChannelProducer } from './producer.js';
import { ChannelReader, type WaitMap } from './reader.js';
import { addChannel, removeChannel, SELF, type ChannelLink, type InboxConnection, type Peer } from './transport.js';

export type { WaitMap };

/** A queue or pipe channel of this thread. */
export class RemoteChannel {
  readonly id: string;
  readonly link: ChannelLink;
  readonly #producer: ChannelProducer;
  readonly #reader: ChannelReader;
  #refs = 0;
  /** Queued for this thread's next flush (kept by `transport.ts`). @internal */
  dirty = false;

  /**
   * @param pipe - a pipe end (one reader: no credit for producers, lazy acks).
   * @param eachTaken - a bounded queue: every take is acked (putters wait for the room).
   */
  constructor(link: ChannelLink, id: string, pipe: boolean, eachTaken = false) {
    this.link = link;
    this.id = id;
    this.#producer = new ChannelProducer(this, link, id, frameName(id, SELF), pipe);
    this.#reader = new ChannelReader(this, link, id, pipe, eachTaken);
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
    this.#producer.handOver();
    this.#reader.stop();
    this.flush(false);
    this.link.writeQueued();
    removeChannel(this);
  }

  // ── producing ──

  /** The sequence number of the last item this thread put. */
  get seq(): number {
    return this.#producer.seq;
  }

  /** Puts an item (it never waits). */
  put(packed: Packed): void {
    this.#producer.put(packed);
  }

  /** The next sequence number, for a put that goes as a request (a bounded queue). */
  nextSeq(): number {
    return this.#producer.nextSeq();
  }

  /** The reader acked items sent to it straight (see `ChannelProducer.onDirectAck`). */
  onDirectAck(prefix: number, allow: number, final: boolean): void {
    this.#producer.onDirectAck(prefix, allow, final);
  }

  /** The connection to a reader is gone. */
  onPeerLost(p: Peer): void {
    this.#producer.onPeerLost(p);
  }

  /** This thread is ending: what depends on it goes to the broker. */
  handOver(): void {
    this.#producer.handOver();
  }

  /** The thread has nothing else to do: `true` if it should stay to send what waits for credit. */
  quiesce(): boolean {
    return this.#producer.quiesce();
  }

  /** The connection this channel waits on at quiescence. */
  get stream(): Peer | undefined {
    return this.#producer.stream;
  }

  // ── reading ──

  /** Gets, recvs and polls waiting. */
  get waiting(): number {
    return this.#reader.waiting;
  }

  /** The next item, if one is here (it is taken). */
  take(): Item | undefined {
    return this.#reader.take();
  }

  /** `true` if an item is here. */
  get ready(): boolean {
    return this.#reader.ready;
  }

  /** `true` once a pipe's other end is closed and every message is read. */
  get atEof(): boolean {
    return this.#reader.atEof;
  }

  /** Starts reading. */
  open(): void {
    this.#reader.open();
  }

  /** Waits for an item (see `ChannelReader.wait`). */
  wait<R = Item | boolean | undefined>(poll: boolean, timeout: number | null, signal?: AbortSignal, map?: WaitMap<R>): Promise<R> {
    return this.#reader.wait(poll, timeout, signal, map);
  }

  /** Items pushed by the broker (`from` undefined) or sent by a producer to this thread's inbox. */
  onItems(batch: ItemsBatch, from: InboxConnection | undefined): void {
    this.#reader.onItems(batch, from);
  }

  /** A producer's connection to this thread's inbox closed. */
  onSenderClosed(key: string): void {
    this.#reader.onSenderClosed(key);
  }

  /** An event from the broker about this channel. */
  onEvent(event: BrokerEvent): void {
    if (event[1] === 'route') this.#producer.route(event[2], event[3] ?? null);
    else if (event[1] === 'hub') this.#producer.route(null, null, true);
    else this.#reader.onEvent(event);
  }

  // ── writing ──

  /** Takes not acked yet. */
  get unacked(): boolean {
    return this.#reader.unacked;
  }

  /** Items waiting to be written. */
  get outgoing(): boolean {
    return this.#producer.outgoing;
  }

  /** Writes what this channel queued: acks, then items, then reports (see the two sides' `flush`). */
  flush(force: boolean, causal = force): void {
    this.#reader.flush(force, causal);
    this.#producer.flush(force, causal);
  }
}
