/**
 * The queue and pipe traffic of one thread that does not run the broker: its channels (one per
 * queue or pipe end it uses), its inbox (a Unix socket that producers of the channels it reads
 * connect to), its connections to other threads' inboxes, and when all of that is written.
 *
 * ```
 *  this thread                                             another thread (a reader)
 *  ───────────                                             ─────────────────────────
 *  channel ─ put ─▶ batch ──(per tick)──▶ Peer ═══ socket ═══▶ its inbox ─▶ its channel
 *        ◀──────────────────────── acks (what it took, how many more it wants)
 *  channel ─ put ─▶ batch ──(per tick)──▶ link to the broker (when no single reader takes them)
 * ```
 *
 * Everything queued in one turn of the event loop leaves in one write per socket, at the end of
 * the turn: acks first, then items, then the link's own frames, so a thread that took an item and
 * then did anything visible has already said that it took it.
 *
 * @module
 */
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unlinkSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { threadId } from 'node:worker_threads';
import { CONTROL, encodeFrame, FrameReader, type ItemsFrame } from '../broker/frames.js';
import { decodeItems } from './items.js';
import type { ArgsOf, BrokerEvent, ChannelOps, OpName } from '../broker/ops.js';
import { SocketWriter } from './socket-writer.js';
import { readChunks } from './socket-reader.js';
import { waitsChanged as threadWaitsChanged } from './reply-poll.js';
import type { RemoteChannel } from './endpoint.js';

/** This thread's key at the broker and in item origins: `pid:threadId`. */
export const SELF = `${process.pid}:${threadId}`;

/** What a channel needs from its thread's link to the broker. */
export interface ChannelLink {
  readonly path: string;
  /** Queues a channel operation `[0, op, id, 0, …args]` that wants no reply (written with the next flush). */
  queueOp<O extends OpName<ChannelOps>>(op: O, id: string, args: ArgsOf<ChannelOps, O>): void;
  /** Queues an ITEMS frame. */
  queueItems(chunks: readonly Buffer[]): void;
  /** Writes what is queued, as far as the socket takes it now. */
  writeQueued(): void;
  /** Queues an ITEMS frame and writes it with what is queued (`queueItems` then `writeQueued`, in fewer steps). */
  writeItems(chunks: readonly Buffer[]): void;
  /** Keeps the thread alive (a get or recv waits, as a blocked Python get keeps its process) or lets it end. */
  keepAlive(on: boolean): void;
  /** Gets, recvs and polls of this thread's channels on this link that wait (kept by `waitsChanged`). */
  channelWaits: number;
}

/**
 * A wait on a channel of `link` started (+1) or ended (-1). The link keeps the thread alive while
 * any waits. Letting go is at once: a reference flag costs less than scheduling a check for the
 * end of the turn, which a round trip would pay once per message.
 */
export function waitsChanged(link: ChannelLink, delta: number): void {
  threadWaitsChanged(delta);
  const before = link.channelWaits;
  const after = before + delta;
  link.channelWaits = after;
  if (after > 0 && before === 0) link.keepAlive(true);
  else if (after === 0 && before > 0) link.keepAlive(false);
}

const channels = new Map<string, RemoteChannel>();
/**
 * Channels with something to write. A list with a flag on each channel rather than a `Set`: a set
 * emptied by `delete` gets a new table (a runtime call), and a round trip empties it every message.
 */
const dirty: RemoteChannel[] = [];
let dirtyCount = 0;

function addDirty(ch: RemoteChannel): void {
  if (ch.dirty) return;
  ch.dirty = true;
  dirty[dirtyCount++] = ch;
}

/** The dirty channels, and none any more. */
function takeDirty(): RemoteChannel[] {
  const list = dirty.slice(0, dirtyCount);
  for (let i = 0; i < dirtyCount; i++) {
    (dirty[i] as RemoteChannel).dirty = false;
    dirty[i] = undefined as unknown as RemoteChannel;
  }
  dirtyCount = 0;
  return list;
}
/** Channels with takes not acked yet (acked as soon as the thread writes anything else). */
const lazy = new Set<RemoteChannel>();
let flushScheduled = false;
/** Items put since the last write. */
let batched = 0;
let hooks = false;
/** A producer that keeps putting without letting the event loop turn still writes every so many items. */
const MAX_BATCH = 8192;

/** The channel `id` of this thread, if it has one. */
export function channel(id: string): RemoteChannel | undefined {
  return channels.get(id);
}

/** Registers a channel of this thread. @internal */
export function addChannel(ch: RemoteChannel): void {
  channels.set(ch.id, ch);
  installHooks();
}

/** Forgets a channel of this thread (its last handle here is gone). @internal */
export function removeChannel(ch: RemoteChannel): void {
  if (channels.get(ch.id) === ch) channels.delete(ch.id);
  if (ch.dirty) {
    const i = dirty.indexOf(ch);
    dirty.splice(i, 1);
    dirty.push(undefined as unknown as RemoteChannel);
    dirtyCount--;
    ch.dirty = false;
  }
  lazy.delete(ch);
}

/**
 * `ch` has something to write: it is flushed at the end of this turn, once the promise jobs it
 * set off have run (a consumer that takes an item and sends a reply writes both in one go).
 */
export function markDirty(ch: RemoteChannel): void {
  addDirty(ch);
  if (flushScheduled) return;
  flushScheduled = true;
  afterThisTurn();
}

/** `ch` took items without an ack being due: it is acked with this thread's next write. */
export function markLazy(ch: RemoteChannel): void {
  lazy.add(ch);
}

/** Counts the turns this thread's sockets start (see `itemQueued`). */
let turn = 0;
/** The turn in which a put was last written at once. */
let wroteInTurn = -1;

/** A socket of this thread delivered bytes: a new turn of the event loop (or a later part of one). */
export function newTurn(): void {
  turn++;
}

/**
 * A producer put an item. The first thing to write after a quiet spell goes at once (a program
 * that puts a result and then computes without yielding must not keep it); later ones in the same
 * turn are batched until its end, and written every `MAX_BATCH` items while the puts go on.
 *
 * Nothing is scheduled for a put that goes at once: a reply sent from the handler of a message
 * costs its write, not also a promise job and a tick. Turns are told apart by `newTurn` (every
 * read of a socket of this thread) and by the end-of-turn flush; a turn started by something else
 * (a timer of the program) may look like the one before, so its second put is batched at once:
 * written at the end of the turn, as any batch.
 */
export function itemQueued(ch: RemoteChannel): void {
  addDirty(ch);
  if (!flushScheduled) {
    if (wroteInTurn !== turn) {
      wroteInTurn = turn;
      flushChannels(false);
      return;
    }
    // Whatever else this turn puts waits for its end.
    flushScheduled = true;
    afterThisTurn();
    return;
  }
  if (++batched >= MAX_BATCH) {
    flushChannels(false);
    flushScheduled = true;
  }
}

/**
 * A put may be written at once, alone, without the channels' flush: it is the first write of this
 * turn and nothing else waits to be written or acked (a message of a round trip). The caller
 * writes it straight away; the turn counts as written.
 */
export function writesAlone(): boolean {
  if (flushScheduled || wroteInTurn === turn || dirtyCount !== 0 || lazy.size !== 0) return false;
  wroteInTurn = turn;
  batched = 0;
  return true;
}

/** `true` while something queued waits for the end of the turn. */
export function batching(): boolean {
  return flushScheduled;
}

const settled = Promise.resolve();

/**
 * Runs `flushTick` at the end of this turn, once the promise jobs it set off have run: a promise
 * job queues the tick (a tick queued from a promise job runs once every promise job is done).
 * `settled.then` rather than `queueMicrotask`, which wraps every callback in an async resource
 * (about a microsecond each, once per message in a round trip).
 */
function afterThisTurn(): void {
  void settled.then(afterJobs);
}

function afterJobs(): void {
  process.nextTick(flushTick);
}

function flushTick(): void {
  turn++;
  if (flushScheduled) flushChannels(false);
}

/**
 * Moves what the channels queued into their sockets: acks, items, reports. The links' own frames
 * are written after, by the caller. With `force`, items waiting for a reader's credit go too (the
 * thread is about to block, and could not send them later).
 */
export function flushChannels(force: boolean, causal = false): void {
  flushScheduled = false;
  batched = 0;
  if (dirtyCount === 0 && !force && (!causal || lazy.size === 0)) return;
  let visible = causal || force;
  if (dirtyCount === 1 && !force) {
    // The usual case: one channel, one link, nothing else owing an ack.
    const ch = dirty[0] as RemoteChannel;
    if (!visible) visible = ch.outgoing;
    if (!visible || lazy.size === 0 || (lazy.size === 1 && lazy.has(ch))) {
      dirty[0] = undefined as unknown as RemoteChannel;
      dirtyCount = 0;
      ch.dirty = false;
      ch.flush(false, visible);
      if (ch.unacked) lazy.add(ch);
      else lazy.delete(ch);
      ch.link.writeQueued();
      return;
    }
  }
  const marked = takeDirty();
  if (!visible) for (const ch of marked) if (ch.outgoing) visible = true;
  const links = new Set<ChannelLink>();
  const list = force ? [...channels.values()] : visible ? [...new Set([...lazy, ...marked])] : marked;
  // Acks first: a channel that took items is flushed before those that send.
  list.sort((a, b) => Number(a.outgoing) - Number(b.outgoing));
  for (const ch of list) {
    ch.flush(force, visible);
    if (ch.unacked) lazy.add(ch);
    else lazy.delete(ch);
    links.add(ch.link);
  }
  for (const link of links) link.writeQueued();
}

/** Every socket of this thread's channels written in full, waiting for room: the thread is about to block. */
export function flushAllSync(): void {
  flushChannels(true);
  for (const peer of peers.values()) peer.writer.flushSync();
  for (const conn of inboxConnections) conn.writer.flushSync();
}

/** ITEMS pushed by the broker (through the link). */
export function onHubItems(frame: ItemsFrame): void {
  const batch = decodeItems(frame.buf, frame.start, frame.end);
  channels.get(batch.channel)?.onItems(batch, undefined);
}

/** An event `[id, event, …args]` pushed by the broker. */
export function onChannelEvent(event: BrokerEvent): void {
  channels.get(event[0])?.onEvent(event);
}

/** How many gets, recvs and polls of this thread's channels on `link` wait: they keep the thread alive. */
export function waiting(link: ChannelLink): number {
  return link.channelWaits;
}

let holding: NodeJS.Timeout | undefined;

/**
 * The thread has nothing left to do: what its channels keep for readers goes to the broker, so it
 * may end; except that a producer with a lot waiting for a reader that keeps taking stays until it
 * is sent (its connection keeps the thread alive, checked every few milliseconds).
 */
export function quiescent(): void {
  const keep = new Set<Peer>();
  for (const ch of channels.values()) {
    if (ch.quiesce()) keep.add(ch.stream as Peer);
  }
  flushChannels(false);
  for (const p of peers.values()) {
    if (keep.has(p)) p.socket.ref();
    else p.socket.unref();
  }
  if (keep.size > 0 && holding === undefined) {
    holding = setTimeout(() => {
      holding = undefined;
      quiescent();
    }, 20);
    holding.unref();
  }
}

function installHooks(): void {
  if (hooks) return;
  hooks = true;
  process.on('exit', () => {
    for (const ch of channels.values()) ch.handOver();
    try {
      flushAllSync();
      for (const ch of channels.values()) ch.link.writeQueued();
    } catch {
      // Exiting anyway.
    }
    closeInbox();
  });
}

// ─── Connections to other threads' inboxes ──────────────────────────────────────────────────────

// The CONTROL frames of a direct connection (items travel in ITEMS frames). Both ends build and
// read them through these types.

/** A producer's first frame on a reader's inbox: the thread it speaks for. */
export type InboxHello = [op: 'hello', sender: string];

/**
 * A reader's ack to a producer that sends it items directly: every item of `channel` numbered
 * below `prefix` was taken; the producer may have `allow` items unacked (`null`: no limit, a
 * pipe); `final` when the reader stops reading.
 */
export type DirectAck = [op: 'ack', channel: string, prefix: number, allow: number | null, final: boolean];

/** A connection from this thread to a reader's inbox. */
export class Peer {
  readonly socket: Socket;
  readonly writer: SocketWriter;
  readonly #reader = new FrameReader();
  closed = false;
  /** Channels that send through this connection. */
  readonly users = new Set<RemoteChannel>();

  constructor(readonly key: string, readonly path: string) {
    this.socket = connect(path);
    this.socket.unref();
    this.writer = new SocketWriter(this.socket);
    readChunks(this.socket, (chunk) => this.#onData(chunk));
    this.socket.on('error', () => {});
    this.socket.on('close', () => this.#onClose());
    this.writer.write([encodeFrame(['hello', SELF] satisfies InboxHello)]);
  }

  #onData(chunk: Buffer): void {
    turn++;
    this.#reader.push(chunk);
    try {
      for (let frame = this.#reader.next(); frame !== undefined; frame = this.#reader.next()) {
        if (frame.type !== CONTROL) continue;
        const [op, id, prefix, allow, final] = frame.header as DirectAck;
        if (op === 'ack') channels.get(id)?.onDirectAck(prefix, allow ?? Infinity, final);
      }
    } catch {
      this.socket.destroy();
    }
  }

  #onClose(): void {
    this.closed = true;
    if (peers.get(this.key) === this) peers.delete(this.key);
    for (const ch of [...this.users]) ch.onPeerLost(this);
  }
}

const peers = new Map<string, Peer>();

/** The connection to the reader `key`'s inbox at `path` (opened on first use). */
export function peer(key: string, path: string): Peer {
  let p = peers.get(key);
  if (p === undefined || p.closed || p.path !== path) {
    p = new Peer(key, path);
    peers.set(key, p);
  }
  return p;
}

// ─── This thread's inbox ────────────────────────────────────────────────────────────────────────

/** A producer's connection to this thread's inbox. */
export class InboxConnection {
  readonly writer: SocketWriter;
  readonly #reader = new FrameReader();
  sender: string | undefined;
  closed = false;

  constructor(readonly socket: Socket) {
    socket.unref();
    this.writer = new SocketWriter(socket);
    readChunks(socket, (chunk) => this.#onData(chunk));
    socket.on('error', () => {});
    socket.on('close', () => this.#onClose());
  }

  #onData(chunk: Buffer): void {
    turn++;
    this.#reader.push(chunk);
    try {
      for (let frame = this.#reader.next(); frame !== undefined; frame = this.#reader.next()) {
        if (frame.type === CONTROL) {
          const [op, sender] = frame.header as InboxHello;
          if (op === 'hello') this.sender = String(sender);
          continue;
        }
        const batch = decodeItems(frame.buf, frame.start, frame.end);
        channels.get(batch.channel)?.onItems(batch, this);
      }
    } catch {
      this.socket.destroy();
    }
  }

  #onClose(): void {
    this.closed = true;
    inboxConnections.delete(this);
    if (this.sender !== undefined) for (const ch of channels.values()) ch.onSenderClosed(this.sender);
  }
}

let inbox: { server: Server; path: string } | undefined;
const inboxConnections = new Set<InboxConnection>();

/** The path of this thread's inbox, opened on first use (a reader gives it to the broker). */
export function inboxPath(): string {
  if (inbox !== undefined) return inbox.path;
  const path = join(tmpdir(), `concurrent-ts-in-${process.pid}-${threadId}-${randomBytes(4).toString('hex')}.sock`);
  const server = createServer((socket) => {
    inboxConnections.add(new InboxConnection(socket));
  });
  // listen() on a path binds synchronously: a producer told about it right after can connect.
  server.listen(path);
  server.unref();
  server.on('error', () => {});
  inbox = { server, path };
  installHooks();
  return path;
}

function closeInbox(): void {
  if (inbox === undefined) return;
  try {
    unlinkSync(inbox.path);
  } catch {
    // Already gone.
  }
}
