/**
 * Broker side of a `Pipe`: each end is its own object with an inbox (what the other end sent)
 * and its own reference count. An end whose last handle is closed (in every process) is gone:
 * the other end then reads what is left, and after that gets `EOFError`, as when the last file
 * descriptor of a pipe is closed.
 *
 * Messages are kept whole, never merged or split: one `send` is one `recv`.
 *
 * @module
 */
import { RingQueue } from '../../core/ring-queue.js';
import { WaitQueue } from './client.js';
import { timeoutArg, type Call, type SharedState, type StateContext, type StateFactory } from './state.js';

/** The tag of a connection end (also its broker kind). */
export const CONNECTION_TAG = 'mp.Connection';

interface Message {
  readonly payload: Buffer;
  readonly shared: number;
}

class PipeEndState implements SharedState {
  readonly #inbox = new RingQueue<Message>(8);
  /** Waiting `recv` calls (data `'recv'`) and `poll` calls (data `'poll'`), in arrival order. */
  readonly #waiters = new WaitQueue();
  readonly #context: StateContext;
  readonly #peer: string;
  #peerGone: boolean;

  constructor(context: StateContext, peer: string) {
    this.#context = context;
    this.#peer = peer;
    this.#peerGone = context.gone(peer);
  }

  op(call: Call, op: string, args: readonly unknown[]): void {
    switch (op) {
      case 'send': return this.#send(call, Number(args[0]));
      case 'recv': return this.#recv(call, timeoutArg(args[0]));
      case 'poll': return this.#poll(call, timeoutArg(args[0]));
      default: return call.fail('RuntimeError', `Connection has no operation ${op}`);
    }
  }

  /** This end is gone: the peer sees end-of-file once its inbox is empty. */
  free(): void {
    for (const w of this.#waiters.drain()) w.fail('OSError', 'handle is closed');
    const peer = this.#context.ensure(this.#peer, CONNECTION_TAG, { peer: this.#context.id });
    if (peer instanceof PipeEndState) peer.peerClosed();
    this.#context.notify(this.#peer, 'eof');
  }

  /** A message from the peer. */
  deliver(message: Message): void {
    if (this.#inbox.size === 0) {
      // Poll waiters see it (and leave it); the first recv waiter takes it.
      for (let w = this.#waiters.peek(); w !== undefined; w = this.#waiters.peek()) {
        this.#waiters.shift();
        if (w.data === 'poll') {
          w.resolve(true);
          continue;
        }
        w.resolve(message.shared, message.payload);
        return;
      }
    }
    this.#inbox.push(message);
  }

  peerClosed(): void {
    this.#peerGone = true;
    if (this.#inbox.size > 0) return;
    for (const w of this.#waiters.drain()) {
      if (w.data === 'poll') w.resolve(true);
      else w.fail('EOFError', '');
    }
  }

  #send(call: Call, shared: number): void {
    const peer = this.#peerGone ? undefined : this.#context.ensure(this.#peer, CONNECTION_TAG, { peer: this.#context.id });
    if (!(peer instanceof PipeEndState)) {
      call.fail('OSError', '[Errno 32] Broken pipe');
      this.#context.notify(this.#context.id, 'broken');
      return;
    }
    peer.deliver({ payload: call.payload, shared });
    call.ok();
  }

  #recv(call: Call, timeout: number | null): void {
    const message = this.#inbox.shift();
    if (message !== undefined) {
      call.ok(message.shared, message.payload);
      return;
    }
    if (this.#peerGone) {
      call.fail('EOFError', '');
      return;
    }
    const waiter = call.park(timeout);
    waiter.data = 'recv';
    waiter.onTimeout = () => waiter.fail('TimeoutError', `recv() did not get a message within ${timeout} ms`);
    this.#waiters.push(waiter);
  }

  #poll(call: Call, timeout: number | null): void {
    if (this.#inbox.size > 0 || this.#peerGone) {
      call.ok(true);
      return;
    }
    if (timeout === 0) {
      call.ok(false);
      return;
    }
    const waiter = call.park(timeout);
    waiter.data = 'poll';
    this.#waiters.push(waiter);
  }
}

/** `mp.Connection`: one end of a pipe, `{ peer }` is the other end's id. */
export const pipeEndState: StateFactory = (params, context) => new PipeEndState(context, String(params.peer));
