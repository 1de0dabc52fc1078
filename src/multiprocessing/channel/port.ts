/**
 * How a `Queue` or a `Connection` handle puts and gets, whichever thread it is in: the broker's
 * own thread calls the channel's state directly; any other thread goes through its channel
 * endpoint (`endpoint.ts`). Errors come back as replies, which the public method turns into an
 * exception inside its own async function (so the stack shows the caller's line).
 *
 * A get that finds an item at hand returns it without a promise: the public method then awaits
 * nothing else.
 *
 * @module
 */
import { ERR, OK } from '../broker/ops.js';
import type { ChannelHub, LocalResult } from '../broker/channel-hub.js';
import type { Broker } from '../broker/broker.js';
import type { Link, ObjectOps, Reply } from '../link.js';
import type { ChannelOps, QueueOps } from '../broker/ops.js';
import { RemoteChannel } from './endpoint.js';
import { dataBytes, type Item, type Packed } from './items.js';
import { channel, type ChannelLink } from './transport.js';

const EMPTY = Buffer.alloc(0);

/** What a get gives: the item, or an error reply. */
type Got = Item | Reply;

/** `true` when a get gave an error reply instead of an item. */
export function isReply(got: Got): got is Reply {
  return (got as Reply).status !== undefined;
}

/** The errors of a channel's gets: a queue's and a pipe's differ. */
export interface Errors {
  /** A get that timed out (or would have to wait with `block: false`). */
  timeout(ms: number): [string, string];
}

/** A handle's access to its channel in this thread. */
export interface ChannelPort {
  /** Puts an item without waiting (an unbounded queue, a pipe). */
  put(packed: Packed): void;
  /** Puts an item into a bounded queue: it may wait for room. */
  putWait(packed: Packed, block: boolean, timeout: number | null, signal: AbortSignal | undefined): Promise<Reply>;
  /** Takes the next item, waiting at most `timeout` ms (`null`: no limit; `block: false`: not at all). */
  get(block: boolean, timeout: number | null, signal: AbortSignal | undefined): Got | Promise<Got>;
  /**
   * Takes the next item, waiting as long as it takes (no timeout, no signal), and gives `map` of
   * it (or of the error reply): at once when one is at hand, else when it comes. The caller's
   * promise is the wait's own, with no async function in between (a round trip makes one per
   * message on each side).
   */
  getMapped<R>(map: (got: Got) => R): R | Promise<R>;
  /** `true` when an item (or a pipe's end of file) is there, waiting at most `timeout` ms. */
  poll(timeout: number | null, signal: AbortSignal | undefined): boolean | Reply | Promise<boolean | Reply>;
  /** The sequence number of the last item this thread put (a pipe end reports it when it closes). */
  readonly seq: number;
  /** This handle will not use the channel again. */
  release(): void;
}

/** The port of channel `id` for a handle in this thread. */
export function openPort(link: Link, id: string, errors: Errors, pipe: boolean, bounded = false): ChannelPort {
  if (link.local) return new LocalPort(link, (link as unknown as { broker: Broker }).broker, id);
  const ch = channel(id) ?? new RemoteChannel(link as unknown as ChannelLink, id, pipe, bounded);
  return new RemotePort(link, ch.retain(), errors);
}

function fail(name: string, message: string): Reply {
  return { status: ERR, value: [name, message], payload: EMPTY };
}

const GONE: readonly [string, string] = ['RuntimeError', 'the shared object no longer exists: every handle to it was closed or garbage-collected'];

function localResult(result: LocalResult): Got | boolean | Reply {
  if (Array.isArray(result)) return fail(result[0] as string, result[1] as string);
  return result as Item | boolean;
}

/** The broker's own thread: direct calls. */
class LocalPort implements ChannelPort {
  #seq = 0;
  readonly #queue: ObjectOps<QueueOps>;

  constructor(readonly link: Link, readonly broker: Broker, readonly id: string) {
    this.#queue = link.ops<QueueOps>(id);
  }

  get #hub(): ChannelHub | undefined {
    return this.broker.state(this.id) as ChannelHub | undefined;
  }

  get seq(): number {
    return this.#seq;
  }

  put(packed: Packed): void {
    this.#seq++;
    this.#hub?.localPut(packed);
  }

  putWait(packed: Packed, block: boolean, timeout: number | null, signal: AbortSignal | undefined): Promise<Reply> {
    this.#seq++;
    return this.#queue.call('put', [0, packed.tag, block, timeout], dataBytes(packed), signal);
  }

  get(block: boolean, timeout: number | null, signal: AbortSignal | undefined): Got | Promise<Got> {
    const hub = this.#hub;
    if (hub === undefined) return fail(...GONE);
    const result = hub.localWait(false, block, timeout, signal, localResult as (r: LocalResult) => Got);
    return result instanceof Promise ? result : localResult(result) as Got;
  }

  #map: ((got: Got) => unknown) | undefined;
  #mapLocal: ((result: LocalResult) => unknown) | undefined;

  getMapped<R>(map: (got: Got) => R): R | Promise<R> {
    const hub = this.#hub;
    if (hub === undefined) return map(fail(...GONE));
    // One composed function per map (a handle passes the same one every time).
    if (this.#map !== map) {
      this.#map = map;
      this.#mapLocal = (result: LocalResult) => map(localResult(result) as Got);
    }
    const result = hub.localWait(false, true, null, undefined, this.#mapLocal as (result: LocalResult) => R);
    return result instanceof Promise ? result : map(localResult(result) as Got);
  }

  poll(timeout: number | null, signal: AbortSignal | undefined): boolean | Reply | Promise<boolean | Reply> {
    const hub = this.#hub;
    if (hub === undefined) return fail(...GONE);
    const result = hub.localWait(true, true, timeout, signal, localResult as (r: LocalResult) => boolean | Reply);
    return result instanceof Promise ? result : localResult(result) as boolean | Reply;
  }

  release(): void {}
}

/** Any other thread: through its channel endpoint. */
class RemotePort implements ChannelPort {
  /** Only a queue's handles put through the broker (a pipe's sends never wait for room). */
  readonly #queue: ObjectOps<QueueOps>;
  readonly #channel: ObjectOps<ChannelOps>;

  constructor(readonly link: Link, readonly ch: RemoteChannel, readonly errors: Errors) {
    this.#queue = link.ops<QueueOps>(ch.id);
    this.#channel = this.#queue;
  }

  get seq(): number {
    return this.ch.seq;
  }

  put(packed: Packed): void {
    this.ch.put(packed);
  }

  putWait(packed: Packed, block: boolean, timeout: number | null, signal: AbortSignal | undefined): Promise<Reply> {
    return this.#queue.call('put', [this.ch.nextSeq(), packed.tag, block, timeout], dataBytes(packed), signal);
  }

  get(block: boolean, timeout: number | null, signal: AbortSignal | undefined): Got | Promise<Got> {
    const ch = this.ch;
    const item = ch.take();
    if (item !== undefined) return item;
    if (ch.atEof) return fail('EOFError', '');
    if (!block || timeout === 0) return this.#getNow(signal);
    // The wait resolves with what the caller gets: no promise in between.
    if (timeout === null) return ch.wait<Got>(false, null, signal, this.#gotOrEof);
    return ch.wait<Got>(false, timeout, signal, (got) => {
      if (got !== undefined && got !== true && got !== false) return got;
      return ch.atEof ? fail('EOFError', '') : fail(...this.errors.timeout(timeout));
    });
  }

  getMapped<R>(map: (got: Got) => R): R | Promise<R> {
    const ch = this.ch;
    const item = ch.take();
    if (item !== undefined) return map(item);
    if (ch.atEof) return map(fail('EOFError', ''));
    if (this.#map !== map) {
      this.#map = map;
      this.#mapWait = (got: Item | boolean | undefined) => map(this.#gotOrEof(got));
    }
    return ch.wait<R>(false, null, undefined, this.#mapWait as (got: Item | boolean | undefined) => R);
  }

  #map: ((got: Got) => unknown) | undefined;
  #mapWait: ((got: Item | boolean | undefined) => unknown) | undefined;

  /** What a wait without a timeout gives (made once: a get is often one per message). */
  readonly #gotOrEof = (got: Item | boolean | undefined): Got => {
    if (got !== undefined && got !== true && got !== false) return got;
    return this.ch.atEof ? fail('EOFError', '') : fail(...this.errors.timeout(0));
  };

  async #getNow(signal: AbortSignal | undefined): Promise<Got> {
    const ch = this.ch;
    const reply = await this.#channel.call('getNow', [], EMPTY, signal);
    if (reply.status !== OK) return reply;
    return ch.take() ?? (ch.atEof ? fail('EOFError', '') : fail(...this.errors.timeout(0)));
  }

  poll(timeout: number | null, signal: AbortSignal | undefined): boolean | Reply | Promise<boolean | Reply> {
    const ch = this.ch;
    ch.open();
    if (ch.ready || ch.atEof) return true;
    return this.#poll(timeout, signal);
  }

  async #poll(timeout: number | null, signal: AbortSignal | undefined): Promise<boolean | Reply> {
    const ch = this.ch;
    if (timeout === 0) {
      const reply = await this.#channel.call('pollNow', [], EMPTY, signal);
      if (reply.status !== OK) return reply;
      return ch.ready || ch.atEof || reply.value === true;
    }
    const got = await ch.wait(true, timeout, signal);
    return got === true || ch.ready || ch.atEof;
  }

  release(): void {
    this.ch.release();
  }
}
