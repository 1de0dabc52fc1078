/**
 * How a thread talks to a broker: direct calls in the broker's own thread (`LocalLink`), one
 * socket connection per thread everywhere else (`RemoteLink`). Handles call `link.call()` and get
 * a {@link Reply}; the public methods turn an error reply into an exception *inside their own
 * async function*, so its stack shows the caller's line, not this file's socket handler.
 *
 * A remote link's socket never keeps its process alive by itself. When the process has nothing
 * left to do but wait for the broker (`beforeExit` fires with requests pending), the link tells
 * the broker it is *stuck* (deadlock detection uses that) and only then keeps the process alive:
 * a child blocked in `queue.get()` waits, as in Python, and a child that is done exits.
 *
 * @module
 */
import { connect, type Socket } from 'node:net';
import { existsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { isMainThread, threadId } from 'node:worker_threads';
import { DeadlockError, ERROR_CLASSES, type DeadlockEdge } from '../errors.js';
import { currentContext } from '../worker/context.js';
import { currentTask } from '../sync/current-thread.js';
import { Broker } from './broker/broker.js';
import type { ReplySink } from './broker/client.js';
import { CONTROL as CONTROL_FRAME, encodeFrame, FrameReader } from './broker/frames.js';
import { STATE_FACTORIES } from './broker/kinds.js';
import { flushAllSync, flushChannels, newTurn, onChannelEvent, onHubItems, quiescent as channelsQuiescent, waiting, type ChannelLink } from './channel/transport.js';
import { SocketWriter } from './channel/socket-writer.js';
import { readChunks } from './channel/socket-reader.js';
import { beforeBlock } from '../sync/futex.js';
import { blockingCall } from './sync-helper.js';
import { CANCELLED, ERR, OK, type ArgsOf, type BrokerEvent, type ChannelOps, type LinkOps, type OpMap, type OpName, type ReplyOf } from './broker/ops.js';

const EMPTY = Buffer.alloc(0);

/** Operations on the link itself; every other operation is on an object and carries the caller's task. */
const LINK_OPS: ReadonlySet<string> = new Set<OpName<LinkOps>>(['attach', 'mint', 'detach', 'destroy', 'cancel', 'stuck', 'ping']);

/** `[op, id, task, …args]` for an object operation, `[op, id, …args]` for a link one. */
function body(op: string, id: string, args: readonly unknown[]): unknown[] {
  return LINK_OPS.has(op) ? [op, id, ...args] : [op, id, currentTask(), ...args];
}

/** The environment variable through which children learn their parent's broker. */
export const BROKER_ENV = 'CONCURRENT_TS_BROKER';

/** A broker's answer to one request; `R` is the value of a success. */
export type Reply<R = unknown> =
  | { readonly status: typeof OK; readonly value: R; readonly payload: Buffer }
  | { readonly status: typeof ERR | typeof CANCELLED; readonly value: unknown; readonly payload: Buffer };

/**
 * The operations of one object at its broker, typed by its kind's map in `broker/ops.ts`: an
 * operation the kind does not have, or arguments of the wrong shape, do not compile.
 */
export interface ObjectOps<M extends OpMap> {
  /** {@link Link.request}: resolves with the reply (never rejects). */
  call<O extends OpName<M>>(op: O, args: ArgsOf<M, O>, payload?: Buffer, signal?: AbortSignal): Promise<Reply<ReplyOf<M, O>>>;
  /** {@link Link.requestSync}: blocks this thread until the reply. */
  callSync<O extends OpName<M>>(op: O, args: ArgsOf<M, O>, payload?: Buffer): Reply<ReplyOf<M, O>>;
  /** {@link Link.post}: no reply wanted. */
  send<O extends OpName<M>>(op: O, args: ArgsOf<M, O>, payload?: Buffer): void;
}

/** Listens for pushed events about one object (a pipe end whose peer is gone). */
type PushListener = (event: string) => void;

/** A connection from this thread to one broker. */
export abstract class Link {
  readonly #pending = new Map<number, (reply: Reply) => void>();
  readonly #listeners = new Map<string, Set<PushListener>>();
  #nextReq = 1;

  protected constructor(readonly path: string) {}

  /** `true` when the broker runs in this very thread. */
  abstract get local(): boolean;

  /** The operations of object `id`, whose kind serves `M`. */
  ops<M extends OpMap>(id: string): ObjectOps<M> {
    // The one place where the wire's untyped replies take the types of the map: a reply's value is
    // what the broker state's `call.ok` was typed to give.
    return {
      call: (op, args, payload, signal) => this.request(op, id, args, payload, signal),
      callSync: (op, args, payload) => this.requestSync(op, id, args, payload),
      send: (op, args, payload) => this.post(op, id, args, payload),
    };
  }

  /** Sends an operation on the link itself (references, a round trip) that wants no reply. */
  control<O extends Exclude<OpName<LinkOps>, 'ping'>>(op: O, id: string, args: ArgsOf<LinkOps, O>, payload?: Buffer): void {
    this.post(op, id, args, payload);
  }

  /** A round trip to the broker: resolves once everything sent before it was handled. */
  ping(signal?: AbortSignal): Promise<Reply<null>> {
    return this.request('ping', '', [], EMPTY, signal) as Promise<Reply<never>>;
  }

  /**
   * Sends a request and resolves with the broker's reply (never rejects). With `signal`, an abort
   * asks the broker to cancel the request; the reply then says `CANCELLED`, unless the request
   * had already completed, in which case its real result comes back and nothing is lost.
   */
  protected request(op: string, id: string, args: readonly unknown[], payload: Buffer = EMPTY, signal?: AbortSignal): Promise<Reply> {
    return new Promise<Reply>((resolve) => {
      let onAbort: (() => void) | undefined;
      const req = this.expect((reply) => {
        if (onAbort !== undefined) signal?.removeEventListener('abort', onAbort);
        resolve(reply);
      });
      if (signal !== undefined) {
        onAbort = () => this.cancel(req);
        signal.addEventListener('abort', onAbort, { once: true });
      }
      this.transmit([req, ...body(op, id, args)], payload);
    });
  }

  /**
   * Sends a request and blocks this thread until the broker answers (the `…Sync` forms).
   *
   * @throws {RuntimeError} in the broker's own thread when the request would have to wait: the
   * broker cannot answer while its thread is blocked.
   */
  protected abstract requestSync(op: string, id: string, args: readonly unknown[], payload?: Buffer): Reply;

  /** Asks the broker to cancel request `req` (no reply: the request's own reply says what happened). */
  protected cancel(req: number): void {
    this.transmit([0, ...body('cancel', '', [req] satisfies ArgsOf<LinkOps, 'cancel'>)], EMPTY);
  }

  /** Allocates a request id and registers what to do with its reply. */
  protected expect(resolve: (reply: Reply) => void): number {
    const req = this.#nextReq++;
    if (this.#nextReq > 0x3fffffff) this.#nextReq = 1;
    this.#pending.set(req, resolve);
    return req;
  }

  /** Sends a request that wants no reply (attach, detach, an unbounded put, a pipe send). */
  protected post(op: string, id: string, args: readonly unknown[], payload: Buffer = EMPTY): void {
    this.transmit([0, ...body(op, id, args)], payload);
    // Written now: the caller may go on with a long synchronous computation (a `set()` or a
    // `release()` followed by a busy loop must still reach the other processes).
    this.flush();
  }

  /** Writes what is queued now (a remote link batches frames per tick). */
  protected flush(): void {}

  /** Receives pushed events for object `id` until the returned function is called. */
  listen(id: string, listener: PushListener): () => void {
    let set = this.#listeners.get(id);
    if (set === undefined) this.#listeners.set(id, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.#listeners.delete(id);
    };
  }

  /** Requests sent and not answered. */
  get pending(): number {
    return this.#pending.size;
  }

  protected abstract transmit(header: readonly unknown[], payload: Buffer): void;

  /** Delivers a reply (`req` 0: a pushed event, `value` is `[id, event]`). */
  protected deliver(req: number, status: number, value: unknown, payload: Buffer): void {
    if (req === 0) {
      const [id, event] = value as BrokerEvent;
      const set = this.#listeners.get(id);
      if (set !== undefined) for (const listener of set) listener(event);
      return;
    }
    const resolve = this.#pending.get(req);
    if (resolve === undefined) return;
    this.#pending.delete(req);
    resolve({ status, value, payload } as Reply);
  }

  /** Fails every pending request with the same error (the connection is gone). */
  protected failAll(errorName: string, message: string): void {
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    for (const resolve of pending) resolve({ status: ERR, value: [errorName, message], payload: EMPTY });
  }
}

/** The link of the thread that runs the broker: plain function calls, no socket. */
class LocalLink extends Link {
  readonly broker: Broker;

  constructor() {
    const owner: { link?: LocalLink } = {};
    const sink: ReplySink = {
      reply: (req, status, value, payload) => {
        if (owner.link !== undefined) owner.link.#replied(req, status, value, payload ?? EMPTY);
      },
      event: (values) => owner.link?.deliver(0, OK, values, EMPTY),
      items: () => {},
    };
    const broker = new Broker(STATE_FACTORIES, sink, ownerName());
    super(broker.path);
    this.broker = broker;
    owner.link = this;
  }

  get local(): boolean {
    return true;
  }

  protected requestSync(op: string, id: string, args: readonly unknown[], payload: Buffer = EMPTY): Reply {
    let reply: Reply | undefined;
    const req = this.expect((r) => {
      reply = r;
    });
    this.transmit([req, ...body(op, id, args)], payload);
    if (reply !== undefined) return reply;
    // It parked: nothing can wake this thread while it is blocked, so take the request back.
    this.cancel(req);
    if (reply !== undefined && (reply as Reply).status !== CANCELLED) return reply;
    return {
      status: ERR,
      value: ['RuntimeError', `${op}Sync() would block the thread that runs the broker (the main thread of the program that ` +
        'created the shared objects), and nothing could wake it; use the async form there'],
      payload: EMPTY,
    };
  }

  protected transmit(header: readonly unknown[], payload: Buffer): void {
    this.broker.receive(this.broker.local, header, payload);
  }

  #replied(req: number, status: number, value: unknown, payload: Buffer): void {
    this.deliver(req, status, value, payload);
    this.broker.localReplied();
  }
}

const remoteLinks = new Set<RemoteLink>();
let quiescenceHook = false;

/**
 * A connection to a broker in another thread or process.
 *
 * Frames are written with `writev` on the socket's descriptor (`channel/socket-writer.ts`), once
 * per tick for everything queued in it, and in full before a blocking call. So every frame this
 * thread sent is in the kernel, in order, before a `…Sync` request leaves through the helper's
 * own connection: the broker, holding that request until this connection has delivered as many
 * frames, sees them all first. (Node's buffered `socket.write` could leave them in memory until
 * the event loop turns, which never happens while the thread is blocked.)
 *
 * The link also carries this thread's queue items and pipe messages for the broker, and the ones
 * the broker pushes to it (ITEMS frames); a channel's frames queued before a request go first.
 */
class RemoteLink extends Link implements ChannelLink {
  /** Gets, recvs and polls of this thread's channels on this link that wait (see `waitsChanged`). */
  channelWaits = 0;
  readonly #socket: Socket;
  readonly #writer: SocketWriter;
  readonly #reader = new FrameReader();
  /** Frames sent after `hello`: a sync call waits at the broker until these have arrived. */
  #sent = 0;
  #queue: Buffer[] = [];
  #flushScheduled = false;
  #closed = false;
  #held = false;

  constructor(path: string) {
    super(path);
    this.#socket = connect(path);
    this.#writer = new SocketWriter(this.#socket);
    this.#socket.unref();
    readChunks(this.#socket, (chunk) => this.#onData(chunk));
    this.#socket.on('error', () => {});
    this.#socket.on('close', () => this.#onClose());
    remoteLinks.add(this);
    if (!quiescenceHook) {
      quiescenceHook = true;
      process.on('beforeExit', onQuiescent);
    }
    this.#queue.push(encodeFrame([0, 'hello', '', ownerKey(), ownerName()]));
    this.#scheduleFlush();
  }

  get local(): boolean {
    return false;
  }

  protected requestSync(op: string, id: string, args: readonly unknown[], payload: Buffer = EMPTY): Reply {
    flushAllSync();
    this.#flush();
    this.#writer.flushSync();
    if (this.#closed) return { status: ERR, value: ['RuntimeError', `lost the connection to the broker at ${this.path}`], payload: EMPTY };
    return blockingCall(this.path, ownerKey(), ownerName(), [0, '@', this.#sent, ...body(op, id, args)], payload, beforeBlock);
  }

  protected transmit(header: readonly unknown[], payload: Buffer): void {
    if (this.#closed) return;
    // Items put before this request go first, and what this thread took is acked before it.
    flushChannels(false, true);
    this.#sent++;
    this.#queue.push(encodeFrame(header, payload));
    this.#scheduleFlush();
  }

  queueOp<O extends OpName<ChannelOps>>(op: O, id: string, args: ArgsOf<ChannelOps, O>): void {
    this.#queueFrame([0, op, id, 0, ...args]);
  }

  #queueFrame(header: readonly unknown[]): void {
    if (this.#closed) return;
    this.#sent++;
    this.#queue.push(encodeFrame(header));
  }

  queueItems(chunks: readonly Buffer[]): void {
    if (this.#closed) return;
    this.#sent++;
    for (const chunk of chunks) this.#queue.push(chunk);
  }

  writeQueued(): void {
    this.#flush();
  }

  writeItems(chunks: readonly Buffer[]): void {
    if (this.#closed) return;
    if (this.#queue.length > 0) {
      this.queueItems(chunks);
      this.#flush();
      return;
    }
    // Nothing queued ahead of them: straight to the writer, without the queue's copy.
    this.#sent++;
    this.#writer.write(chunks);
  }

  keepAlive(on: boolean): void {
    if (this.#closed) return;
    if (on) this.#socket.ref();
    else if (!this.#held) this.#socket.unref();
  }

  #scheduleFlush(): void {
    if (this.#flushScheduled) return;
    // Every frame queued in one tick leaves in one write.
    this.#flushScheduled = true;
    process.nextTick(this.#flushNow);
  }

  readonly #flushNow = (): void => {
    flushChannels(false);
    this.#flush();
  };

  protected override flush(): void {
    flushChannels(false);
    this.#flush();
  }

  #flush(): void {
    this.#flushScheduled = false;
    if (this.#queue.length === 0 || this.#closed) return;
    const queue = this.#queue;
    this.#queue = [];
    this.#writer.write(queue);
  }

  /** Nothing else to do in this thread: hand over what depends on it, report it, and stay alive for the replies. */
  quiescent(): void {
    channelsQuiescent();
    if ((this.pending === 0 && waiting(this) === 0) || this.#held || this.#closed) return;
    this.#held = true;
    this.#socket.ref();
    this.#queueFrame([0, 'stuck', '', 0] satisfies [number, OpName<LinkOps>, string, number]);
    this.#flush();
  }

  #onData(chunk: Buffer): void {
    newTurn();
    this.#reader.push(chunk);
    try {
      for (let frame = this.#reader.next(); frame !== undefined; frame = this.#reader.next()) {
        if (frame.type !== CONTROL_FRAME) {
          onHubItems(frame);
          continue;
        }
        const [req, status, value] = frame.header as [number, number, unknown];
        if (req === 0) onChannelEvent(value as BrokerEvent);
        this.deliver(req, status, value, frame.payload);
      }
    } catch {
      this.#socket.destroy();
      return;
    }
    if (this.#held) {
      // Something happened: let the thread run on its own again until it is idle once more.
      this.#held = false;
      if (waiting(this) === 0) this.#socket.unref();
    }
  }

  #onClose(): void {
    this.#closed = true;
    remoteLinks.delete(this);
    for (const [path, link] of links) if (link === this) links.delete(path);
    this.failAll('RuntimeError', `lost the connection to the broker at ${this.path}: the process that owns the shared objects has exited`);
  }
}

function onQuiescent(): void {
  for (const link of remoteLinks) link.quiescent();
}

const links = new Map<string, Link>();
let localLink: LocalLink | undefined;

/** The link to the broker at `path` (its own thread's, or a connection). */
export function linkFor(path: string): Link {
  if (localLink?.path === path) return localLink;
  let link = links.get(path);
  if (link === undefined) {
    link = new RemoteLink(path);
    links.set(path, link);
  }
  return link;
}

/**
 * The broker new objects go to: this thread's own if it runs one; else the one the parent process
 * named in the environment; else a new broker in this thread. A main thread that starts a broker
 * names it in `process.env`, so every child started afterwards uses it.
 */
export function defaultLink(): Link {
  if (localLink !== undefined) return localLink;
  const inherited = process.env[BROKER_ENV];
  if (inherited !== undefined && inherited !== '' && existsSync(inherited)) return linkFor(inherited);
  return startBroker();
}

/** Starts this thread's broker, if it has none yet; returns its link. */
function startBroker(): Link {
  if (localLink !== undefined) return localLink;
  localLink = new LocalLink();
  if (isMainThread) process.env[BROKER_ENV] = localLink.path;
  return localLink;
}

/**
 * Resolves once the broker of this thread (if it runs one) has handled everything process `pid`
 * sent it and seen its connections close. At once otherwise.
 */
export function brokerDone(pid: number): Promise<void> {
  return localLink === undefined ? Promise.resolve() : localLink.broker.whenDisconnected(pid);
}

/** The broker path children of this process should use (starting a broker if needed). */
export function brokerPathForChildren(): string {
  return defaultLink().path;
}

/** This thread's owner key at the broker: `pid:threadId`. */
function ownerKey(): string {
  return `${process.pid}:${threadId}`;
}

/** How this thread is named in deadlock messages: `MainProcess`, `Process-1`, `Process-1/Thread-2`. */
function ownerName(): string {
  const context = currentContext();
  const processName = context.kind === 'process' ? context.name : 'MainProcess';
  if (isMainThread) return processName;
  return `${processName}/${context.kind === 'thread' ? context.name : `thread ${threadId}`}`;
}

const prefix = `${randomBytes(4).toString('hex')}${threadId === 0 ? '' : `.${threadId}`}`;
let counter = 0;

/** A new id, unique across every process and thread of the program. */
export function newId(): string {
  return `${prefix}.${(++counter).toString(36)}`;
}

/** Builds the exception of an error reply. Call it inside the public async method. */
function replyError(reply: Reply): Error {
  const [name, message, extra] = reply.value as [string, string, unknown];
  const Cls = ERROR_CLASSES.get(name) ?? Error;
  const error = name === 'DeadlockError' ? new DeadlockError(message, (extra ?? []) as DeadlockEdge[]) : new Cls(message);
  // The stack starts at the caller's method (Lock.acquire…), not in this file.
  Error.captureStackTrace(error, unwrap);
  return error;
}

/** Throws the reply's error (or the abort reason) unless it is a success; returns its value. */
export function unwrap<R>(reply: Reply<R>, signal?: AbortSignal): R {
  if (reply.status === OK) return reply.value;
  if (reply.status === CANCELLED) throw signal?.reason ?? new Error('the request was cancelled');
  throw replyError(reply);
}
