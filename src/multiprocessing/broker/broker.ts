/**
 * The broker: the one place where the state of every cross-process object lives (queues, pipe
 * ends, locks, shared values, managed dicts and lists), like the server process of Python's
 * `multiprocessing.Manager`, but running in the program's own main thread.
 *
 * ```
 *   main process                                   child processes / worker threads
 *   ────────────                                   ────────────────────────────────
 *   Broker ── objects: id → state                  handle { __ct, broker: path, id, … }
 *     │                                                 │
 *     ├── local client (direct calls) ◀── handles here  │
 *     └── Unix socket server  ◀════ frames ════════ RemoteLink (one connection per thread)
 * ```
 *
 * **Lifetimes.** Each object counts its references: live handles in every process, plus
 * *transit tokens*. Serializing a handle (passing it to a child, putting it on a queue) mints a
 * token on behalf of the receiver, held by the sender's connection; the receiver claims it when it
 * rebuilds the handle. A token nobody claims is released when its sender disconnects, as Python's
 * resource sharer keeps a passed file descriptor until the receiver fetches it. When the count
 * reaches zero the object is freed; for a pipe end this is "the other end is closed" (EOFError).
 *
 * **Creation without a round trip.** A handle carries its kind and parameters, so whichever
 * request reaches the broker first (its creator's, or a receiver's) creates the object. No
 * constructor has to wait for the broker.
 *
 * @module
 */
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unlinkSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { threadId } from 'node:worker_threads';
import { deserialize } from 'node:v8';
import { BrokerClient, Owner, ThreadState, Waiter, type ReplySink } from './client.js';
import { describeDeadlock, findDeadlock } from './deadlock.js';
import { decodeItems } from '../channel/items.js';
import { CONTROL, encodeFrame, FrameReader, type ItemsFrame } from './frames.js';
import { SocketWriter } from '../channel/socket-writer.js';
import { readChunks } from '../channel/socket-reader.js';
import { waitsChanged as threadWaitsChanged } from '../channel/reply-poll.js';
import { ERR, serve, type ArgsOf, type LinkOps } from './ops.js';
import type { Call, MakeState, SharedState, StateContext } from './state.js';

/** How often the broker's thread checks whether it has anything else to do while it waits. */
const PROBE_MS = 50;

/**
 * Counts the turns the broker's sockets start: a new one with every read (and every end-of-turn
 * flush), so the first frame written to a client after it goes at once.
 */
let turn = 0;

interface Entry {
  readonly kind: string;
  readonly state: SharedState;
  refs: number;
}

/** A broker serving the objects of one program. */
export class Broker {
  /** The Unix socket path other threads and processes connect to. */
  readonly path: string;
  /** The broker's own thread, which calls the broker directly. */
  readonly local: BrokerClient;
  readonly #factories: ReadonlyMap<string, MakeState>;
  readonly #server: Server;
  readonly #objects = new Map<string, Entry>();
  /** Ids of objects that existed and were freed, with why: a late handle must not bring them back empty. */
  readonly #gone = new Map<string, string>();
  readonly #tokens = new Map<string, { id: string; client: BrokerClient }>();
  /** Tokens claimed before their mint arrived (the sender's frame was still on its way). */
  readonly #preclaimed = new Set<string>();
  readonly #clients = new Set<BrokerClient>();
  readonly #threads = new Map<string, ThreadState>();
  /** Lock owners by `pid:threadId#task`. */
  readonly #owners = new Map<string, Owner>();
  /** Sync-helper requests held until their thread's earlier frames have arrived. */
  readonly #deferred = new Map<ThreadState, Array<{ client: BrokerClient; seq: number; header: unknown[]; payload: Buffer }>>();
  readonly #context: StateContext;
  #keptAlive = false;
  /** Gets and polls of queues and pipes the broker's own thread waits in. */
  #channelWaits = 0;
  #probe: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(factories: ReadonlyMap<string, MakeState>, localSink: ReplySink, localName: string) {
    this.#factories = factories;
    const self = this.#thread(`${process.pid}:${threadId}`, localName);
    this.local = new BrokerClient(localSink, self, true, false);
    self.client = this.local;
    this.#context = {
      id: '',
      ensure: (id, kind, params) => this.#ensure(id, kind, params),
      gone: (id) => this.#gone.has(id),
      notify: (id, event) => {
        for (const client of [this.local, ...this.#clients]) if (client.refs.has(id)) client.event([id, event]);
      },
      holders: (id) => [this.local, ...this.#clients].filter((client) => client.refs.has(id)),
      local: this.local,
      keepAlive: (delta) => {
        this.#channelWaits += delta;
        threadWaitsChanged(delta);
        // Letting go is left to the probe (within 50 ms): a program that takes an item and waits
        // for the next one does not toggle it every time.
        if (this.#channelWaits > 0) this.#keepAliveIfWaiting();
      },
    };
    this.path = join(tmpdir(), `concurrent-ts-${process.pid}-${threadId}-${randomBytes(4).toString('hex')}.sock`);
    this.#server = createServer((socket) => this.#accept(socket));
    // listen() on a path binds synchronously: a child started right after can connect.
    this.#server.listen(this.path);
    this.#server.unref();
    this.#server.on('error', () => {});
    process.on('exit', this.#cleanup);
  }

  /** Handles one request from a client (the local thread calls this directly). */
  receive(client: BrokerClient, header: readonly unknown[], payload: Buffer): void {
    const req = header[0] as number;
    const op = header[1] as string;
    const id = header[2] as string;
    if (!client.sync && op !== 'stuck') client.thread.quiescent = false;
    // The link's own operations, typed by `LinkOps`; the rest are the object's (`serve` below).
    switch (op) {
      case 'attach': {
        const [tag, token] = header.slice(3) as ArgsOf<LinkOps, 'attach'>;
        // The parameters are a payload: they may hold values JSON cannot carry (bigint, NaN, Map).
        this.#attach(client, id, tag, payload.length === 0 ? {} : deserialize(payload) as Record<string, unknown>, token ?? null);
        return;
      }
      case 'mint': {
        const [token] = header.slice(3) as ArgsOf<LinkOps, 'mint'>;
        this.#mint(client, id, token);
        return;
      }
      case 'detach': {
        const [extra] = header.slice(3) as ArgsOf<LinkOps, 'detach'>;
        this.#detach(client, id, extra);
        return;
      }
      case 'destroy': {
        const [reason] = header.slice(3) as ArgsOf<LinkOps, 'destroy'>;
        this.#free(id, String(reason));
        return;
      }
      case 'cancel': {
        const [req] = header.slice(3) as ArgsOf<LinkOps, 'cancel'>;
        client.waits.get(req)?.cancel();
        return;
      }
      case 'stuck':
        client.thread.quiescent = true;
        this.#checkThread(client.thread);
        return;
      case 'ping':
        client.reply(req, 0, null);
        return;
      case '@':
        this.#afterThread(client, header, payload);
        return;
    }
    const entry = this.#objects.get(id);
    if (entry === undefined) {
      const reason = this.#gone.get(id);
      client.reply(req, ERR, ['RuntimeError', reason === undefined ? `unknown shared object ${id}` : `the shared object ${id} no longer exists: ${reason}`]);
      return;
    }
    // Object operations carry the caller's async task at [3] (0: the thread itself).
    const owner = this.#ownerOf(client.thread, Number(header[3]) || 0);
    try {
      serve(entry.state.kind, entry.state.ops, new BrokerCall(this, client, owner, req, payload), op, header.slice(4));
    } catch (error) {
      client.reply(req, ERR, ['RuntimeError', `broker error in ${op} on ${entry.kind} ${id}: ${(error as Error).message}`]);
    }
    // A sync helper's request that parked means its thread is now blocked: a deadlock may be complete.
    if (client.sync && client.waits.has(req)) this.#checkThread(client.thread);
    this.#keepAliveIfWaiting();
  }

  /** Handles an ITEMS frame from a client: queue items or pipe messages for the channel it names. */
  receiveItems(client: BrokerClient, frame: ItemsFrame): void {
    const batch = decodeItems(frame.buf, frame.start, frame.end);
    this.#objects.get(batch.channel)?.state.items?.(client, batch);
    // Only to hold on: letting go is left to the probe, so that a program that takes an item and
    // waits for the next one does not toggle the server's reference for every item.
    if (this.#channelWaits > 0) this.#keepAliveIfWaiting();
  }

  /**
   * `[req, '@', seq, op, id, …]` from a sync helper: run `[req, op, id, …]` once the helper's thread
   * has delivered `seq` frames on its own connection. Without this, a blocking call could overtake
   * a release the thread sent just before it (two connections, no order between them).
   */
  #afterThread(client: BrokerClient, header: readonly unknown[], payload: Buffer): void {
    const seq = header[2] as number;
    const inner = [header[0], ...header.slice(3)];
    const thread = client.thread.client;
    if (thread === undefined ? seq === 0 : thread.local || thread.received >= seq) {
      this.receive(client, inner, payload);
      return;
    }
    let list = this.#deferred.get(client.thread);
    if (list === undefined) this.#deferred.set(client.thread, (list = []));
    list.push({ client, seq, header: inner, payload });
  }

  #frameArrived(client: BrokerClient): void {
    client.received++;
    const list = this.#deferred.get(client.thread);
    if (list === undefined || client.sync) return;
    const ready = list.filter((d) => d.seq <= client.received);
    if (ready.length === 0) return;
    const rest = list.filter((d) => d.seq > client.received);
    if (rest.length === 0) this.#deferred.delete(client.thread);
    else this.#deferred.set(client.thread, rest);
    for (const d of ready) this.receive(d.client, d.header, d.payload);
  }

  #thread(key: string, name: string): ThreadState {
    let thread = this.#threads.get(key);
    if (thread === undefined || thread.ended) this.#threads.set(key, (thread = new ThreadState(key, name)));
    else thread.name = name;
    return thread;
  }

  #ownerOf(thread: ThreadState, task: number): Owner {
    const key = `${thread.key}#${task}`;
    let owner = this.#owners.get(key);
    if (owner === undefined || owner.thread !== thread) this.#owners.set(key, (owner = new Owner(thread, task)));
    return owner;
  }

  /**
   * Resolves once no connection of process `pid` is left (at once if it has none): everything it
   * wrote to the broker has been handled. `Process.join` waits for it, so that what a child did
   * before it ended is seen by whatever the program does after the join.
   */
  whenDisconnected(pid: number): Promise<void> {
    const prefix = `${pid}:`;
    const open = [...this.#clients].filter((client) => client.thread.key.startsWith(prefix));
    if (open.length === 0) return Promise.resolve();
    return new Promise((resolve) => {
      let left = open.length;
      for (const client of open) {
        const waiters = this.#closing.get(client) ?? [];
        waiters.push(() => {
          if (--left === 0) resolve();
        });
        this.#closing.set(client, waiters);
      }
    });
  }

  readonly #closing = new Map<BrokerClient, Array<() => void>>();

  /** Looks up the state of object `id`. */
  state(id: string): SharedState | undefined {
    return this.#objects.get(id)?.state;
  }

  #ensure(id: string, kind: string, params: Record<string, unknown>): SharedState | undefined {
    const entry = this.#objects.get(id);
    if (entry !== undefined) return entry.state;
    if (this.#gone.has(id)) return undefined;
    const factory = this.#factories.get(kind);
    if (factory === undefined) throw new TypeError(`unknown shared object kind ${kind}`);
    const state = factory(params, { ...this.#context, id });
    this.#objects.set(id, { kind, state, refs: 0 });
    return state;
  }

  #attach(client: BrokerClient, id: string, kind: string, params: Record<string, unknown>, token: string | null): void {
    if (this.#ensure(id, kind, params) === undefined) return;
    const entry = this.#objects.get(id) as Entry;
    client.refs.set(id, (client.refs.get(id) ?? 0) + 1);
    entry.state.attached?.(client);
    const minted = token === null ? undefined : this.#tokens.get(token);
    if (minted !== undefined) {
      // The transit reference becomes this handle's reference: the count does not change.
      this.#tokens.delete(token as string);
      minted.client.minted.delete(token as string);
      return;
    }
    if (token !== null) this.#preclaimed.add(token);
    entry.refs++;
  }

  #mint(client: BrokerClient, id: string, token: string): void {
    if (this.#preclaimed.delete(token)) return;
    const entry = this.#objects.get(id);
    if (entry === undefined) return;
    entry.refs++;
    this.#tokens.set(token, { id, client });
    client.minted.add(token);
  }

  #detach(client: BrokerClient, id: string, extra?: unknown): void {
    const held = client.refs.get(id);
    if (held === undefined) return;
    this.#objects.get(id)?.state.detached?.(client, extra);
    if (held <= 1) client.refs.delete(id);
    else client.refs.set(id, held - 1);
    this.#release(id, 1);
  }

  #release(id: string, count: number): void {
    const entry = this.#objects.get(id);
    if (entry === undefined) return;
    entry.refs -= count;
    if (entry.refs > 0) return;
    this.#free(id, 'every handle to it was closed or garbage-collected');
  }

  #free(id: string, reason: string): void {
    const entry = this.#objects.get(id);
    if (entry === undefined) return;
    this.#objects.delete(id);
    this.#gone.set(id, reason);
    entry.state.free?.();
  }

  #accept(socket: Socket): void {
    socket.unref();
    socket.setNoDelay?.(true);
    const reader = new FrameReader();
    let client: BrokerClient | undefined;
    let corked = false;
    let wroteInTurn = -1;
    // The first frame for this client in a turn leaves at once (a reply to a message just read
    // costs its write and no tick); the rest of the turn's leave in one `writev` at its end. All
    // go straight to the kernel.
    const writer = new SocketWriter(socket);
    let pending: Buffer[] = [];
    const flush = (): void => {
      corked = false;
      turn++;
      const chunks = pending;
      pending = [];
      writer.write(chunks);
    };
    const write = (frame: Buffer): void => {
      if (socket.destroyed) return;
      if (!corked && wroteInTurn !== turn) {
        wroteInTurn = turn;
        writer.write([frame]);
        return;
      }
      pending.push(frame);
      if (!corked) {
        corked = true;
        process.nextTick(flush);
      }
    };
    const sink: ReplySink = {
      reply: (req, status, value, payload) => write(encodeFrame([req, status, value], payload)),
      event: (values) => write(encodeFrame([0, 0, values])),
      items: (chunks) => {
        for (const chunk of chunks) write(chunk);
      },
    };
    readChunks(socket, (chunk) => {
      turn++;
      reader.push(chunk);
      try {
        for (let frame = reader.next(); frame !== undefined; frame = reader.next()) {
          if (frame.type !== CONTROL) {
            if (client === undefined) throw new Error('the first frame must be hello');
            this.receiveItems(client, frame);
            this.#frameArrived(client);
            continue;
          }
          if (client === undefined) {
            const h = frame.header;
            if (h[1] !== 'hello') throw new Error('the first frame must be hello');
            const thread = this.#thread(String(h[3]), String(h[4]));
            client = new BrokerClient(sink, thread, false, h[5] === 1);
            if (!client.sync) thread.client = client;
            this.#clients.add(client);
            continue;
          }
          this.receive(client, frame.header, frame.payload);
          this.#frameArrived(client);
        }
      } catch {
        socket.destroy();
      }
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      if (client !== undefined) this.#disconnect(client);
    });
  }

  /** A thread went away (it ended, or its process died): drop its waits and its references. */
  #disconnect(client: BrokerClient): void {
    client.closed = true;
    this.#clients.delete(client);
    if (client.thread.client === client) {
      client.thread.client = undefined;
      client.thread.ended = true;
      // Whoever waits, stuck, for a lock this thread held now waits forever.
      for (const thread of this.#threads.values()) if (thread !== client.thread && thread.stuck) this.#checkThread(thread);
    }
    for (const waiter of [...client.waits.values()]) waiter.drop();
    if (!client.sync) for (const entry of [...this.#objects.values()]) entry.state.disconnected?.(client);
    const closing = this.#closing.get(client);
    this.#closing.delete(client);
    if (closing !== undefined) for (const fn of closing) fn();
    for (const token of client.minted) {
      const minted = this.#tokens.get(token);
      this.#tokens.delete(token);
      if (minted !== undefined) this.#release(minted.id, 1);
    }
    client.minted.clear();
    for (const [id, count] of client.refs) this.#release(id, count);
    client.refs.clear();
  }

  /** `thread` may have just completed a deadlock (it became stuck): look for one through its owners. */
  #checkThread(thread: ThreadState): void {
    for (const owner of [...this.#owners.values()]) {
      if (owner.thread !== thread || owner.waits.size === 0) continue;
      const deadlock = findDeadlock(owner, (w) => w.lock);
      if (deadlock === undefined) continue;
      const { message, edges } = describeDeadlock(deadlock);
      deadlock.waiter.fail('DeadlockError', message, edges);
      return;
    }
  }

  /**
   * While the broker's own thread waits for something (a `get`, an `acquire`), the broker keeps
   * the process alive, as a Python program blocked in `get()` does not exit. Meanwhile a probe
   * looks at what else keeps the event loop alive: when nothing but the broker's socket does, the
   * thread has nothing left to do but wait, so it is stuck and may be part of a deadlock.
   */
  #keepAliveIfWaiting(): void {
    const waiting = (this.local.waits.size > 0 || this.#channelWaits > 0) && !this.#closed;
    if (waiting === this.#keptAlive) return;
    this.#keptAlive = waiting;
    if (waiting) {
      this.#server.ref();
      if (this.#probe === undefined) {
        // Started once and left running (unref'd): a timer per wait would cost more than the probe.
        this.#probe = setInterval(this.#probeIdle, PROBE_MS);
        this.#probe.unref();
      }
    } else {
      this.#server.unref();
      this.local.thread.quiescent = false;
    }
  }

  readonly #probeIdle = (): void => {
    if (!this.#keptAlive) return;
    if (this.local.waits.size === 0 && this.#channelWaits === 0) {
      this.#keepAliveIfWaiting();
      return;
    }
    const active = process.getActiveResourcesInfo();
    const idle = active.length === 1 && active[0] === 'PipeWrap';
    if (!idle) {
      this.local.thread.quiescent = false;
    } else if (!this.local.thread.quiescent) {
      this.local.thread.quiescent = true;
      this.#checkThread(this.local.thread);
    }
  };

  /** Called after every reply to the local thread. @internal */
  localReplied(): void {
    this.#keepAliveIfWaiting();
  }

  readonly #cleanup = (): void => {
    if (this.#closed) return;
    this.#closed = true;
    try {
      unlinkSync(this.path);
    } catch {
      // Already gone.
    }
  };
}

class BrokerCall implements Call {
  constructor(readonly broker: Broker, readonly client: BrokerClient, readonly owner: Owner, readonly req: number,
    readonly payload: Buffer) {}

  ok(value: unknown = null, payload?: Buffer): void {
    this.client.reply(this.req, 0, value, payload);
  }

  fail(errorName: string, message: string, extra?: unknown): void {
    this.client.reply(this.req, ERR, extra === undefined ? [errorName, message] : [errorName, message, extra]);
  }

  park(timeout: number | null): Waiter {
    const waiter = new Waiter(this.client, this.req, this.owner);
    waiter.arm(timeout);
    return waiter;
  }

  state(id: string): SharedState | undefined {
    return this.broker.state(id);
  }
}
