/**
 * Broker side of a `Pipe`: each end is its own object and its own channel (`channel-hub.ts`):
 * the messages sent at the other end, read at this one. An end whose last handle is closed (in
 * every process) is gone: the other end then reads what is left, and after that gets `EOFError`,
 * as when the last file descriptor of a pipe is closed.
 *
 * Messages are kept whole, never merged or split: one `send` is one `recv`. When a single thread
 * reads an end, the other end's senders send it their messages directly; end of file then waits
 * until the reader has every message each sender reported (its handles report their last
 * sequence number when they close).
 *
 * @module
 */
import { ChannelHub } from './channel-hub.js';
import type { BrokerClient } from './client.js';
import type { PipeEndOps } from './ops.js';
import type { StateContext, StateFactory } from './state.js';

/** The tag of a connection end (also its broker kind). */
export const CONNECTION_TAG = 'mp.Connection';

class PipeEndState extends ChannelHub {
  readonly #peer: string;
  #peerGone: boolean;
  /** The last sequence number each sender (a thread holding the peer end) sent here. */
  readonly #finals = new Map<string, number>();

  constructor(context: StateContext, peer: string) {
    super(context, {
      leasable: true,
      producers: peer,
      redeliver: false,
      timeoutError: (timeout) => ['TimeoutError', `recv() did not get a message within ${timeout} ms`],
    });
    this.#peer = peer;
    this.#peerGone = context.gone(peer);
  }

  /** This end is gone: the peer sees end-of-file once it has read what is left; senders here get a broken pipe. */
  override free(): void {
    this.failWaits('OSError', 'handle is closed');
    super.free();
    const peer = this.#peerState();
    if (peer !== undefined) peer.peerClosed();
    this.context.notify(this.#peer, 'eof');
  }

  /** A handle of this end was closed: what its thread sent into the peer end. */
  detached(client: BrokerClient, extra: unknown): void {
    if (typeof extra === 'number') this.#peerState()?.senderFinal(client.thread.key, extra);
  }

  override attached(client: BrokerClient): void {
    // A new holder of this end sends into the peer: it must learn the peer's route.
    this.#peerState()?.producerAttached(client);
  }

  /** The peer end is gone: readers get end of file after the last message. */
  peerClosed(): void {
    this.#peerGone = true;
    this.afterPump();
  }

  senderFinal(origin: string, seq: number): void {
    if (seq > (this.#finals.get(origin) ?? 0)) this.#finals.set(origin, seq);
  }

  protected override reportedSeq(origin: string, seq: number): void {
    this.senderFinal(origin, seq);
  }

  protected override earlyAnswer(poll: boolean): [string, unknown] | undefined {
    if (!this.#peerGone || !this.storeEmpty) return undefined;
    return poll ? ['ok', true] : ['EOFError', ''];
  }

  protected override afterPump(): void {
    if (!this.#peerGone || !this.storeEmpty) return;
    this.failWaits('EOFError', '');
    const finals: Array<string | number> = [];
    for (const [origin, seq] of this.#finals) finals.push(origin, seq);
    // 'end' (not 'eof', which tells holders of this end that its peer is gone: their sends fail).
    this.sendWhenDrained(() => [this.context.id, 'end', finals]);
  }

  #peerState(): PipeEndState | undefined {
    const peer = this.context.ensure(this.#peer, CONNECTION_TAG, { peer: this.context.id });
    return peer instanceof PipeEndState ? peer : undefined;
  }
}

/** `mp.Connection`: one end of a pipe, `{ peer }` is the other end's id. */
export const pipeEndState: StateFactory<PipeEndOps> = (params, context) => new PipeEndState(context, String(params.peer));
