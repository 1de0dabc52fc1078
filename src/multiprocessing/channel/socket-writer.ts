/**
 * Writes to a socket of a thread that may block in a `…Sync` call: frames go to the kernel with
 * `writevSync` on the socket's descriptor, never into Node's own write queue, because Node's
 * queue only moves while the event loop turns, and a blocked thread's event loop does not turn.
 *
 * When the kernel buffer is full (`EAGAIN`: the reader is behind) the rest waits here and is
 * retried on the next turns of the event loop (at once while the reader keeps up, then every
 * millisecond), so a large item never stalls the event loop; `flushSync()` writes everything
 * before the thread blocks.
 *
 * @module
 */
import type { Socket } from 'node:net';
import { writeSync, writevSync } from 'node:fs';
import { wrote } from './reply-poll.js';
import { socketFd } from './socket-fd.js';

const pause = new Int32Array(new SharedArrayBuffer(4));
/** At most this many buffers per `writev` (under every platform's IOV_MAX). */
const IOV = 256;
/** Retries on the next turn of the event loop for this long, then every millisecond. */
const SPIN_MS = 4;

/** An ordered, non-blocking writer of buffers to one socket. */
export class SocketWriter {
  readonly #socket: Socket;
  #fd: number;
  readonly #queue: Buffer[] = [];
  /** Bytes of `#queue[0]` already written. */
  #offset = 0;
  #bytes = 0;
  #retry: NodeJS.Immediate | NodeJS.Timeout | undefined;
  #stalledSince = 0;
  #broken = false;
  #drained: Array<() => void> = [];

  /**
   * A failed write (the peer is gone: `EPIPE`, `ECONNRESET`) only stops the writing. The socket is
   * left open on purpose: what the peer wrote before it went is still in the kernel, unread, and
   * destroying the socket would drop it (a producer that exits right after its last items would
   * lose them). Its end of file closes the socket once everything is read.
   */
  constructor(socket: Socket) {
    this.#socket = socket;
    this.#fd = socketFd(socket);
  }

  /** Bytes waiting to be written. */
  get pending(): number {
    return this.#bytes;
  }

  /** `true` once a write failed (the peer is gone). */
  get broken(): boolean {
    return this.#broken;
  }

  /** Queues `chunks` and writes what the kernel takes now. */
  write(chunks: readonly Buffer[]): void {
    if (this.#broken) return;
    wrote();
    if (chunks.length === 1 && this.#bytes === 0 && this.#retry === undefined && this.#writeAlone(chunks[0] as Buffer)) return;
    for (const chunk of chunks) {
      if (chunk.length === 0) continue;
      this.#queue.push(chunk);
      this.#bytes += chunk.length;
    }
    if (this.#retry === undefined) this.#pump();
  }

  /**
   * One buffer with nothing queued before it (a message of a round trip): written without going
   * through the queue. `false` when it could not try (no descriptor yet); what the kernel did not
   * take is queued.
   */
  #writeAlone(chunk: Buffer): boolean {
    if (this.#fd < 0) this.#fd = socketFd(this.#socket);
    if (this.#fd < 0) return false;
    let written = 0;
    try {
      written = writeSync(this.#fd, chunk);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'EAGAIN' && code !== 'EWOULDBLOCK') {
        this.#fail();
        return true;
      }
    }
    if (written === chunk.length) return true;
    this.#queue.push(written > 0 ? chunk.subarray(written) : chunk);
    this.#bytes += chunk.length - written;
    this.#pump();
    return true;
  }

  /** Calls `fn` once everything queued so far is written (at once when nothing is). */
  whenDrained(fn: () => void): void {
    if (this.#bytes === 0 || this.#broken) fn();
    else this.#drained.push(fn);
  }

  /** Writes everything now, waiting for room as needed (the thread is about to block). */
  flushSync(): void {
    this.#cancelRetry();
    while (this.#bytes > 0 && !this.#broken) {
      if (!this.#writeSome()) Atomics.wait(pause, 0, 0, 0.05);
    }
    this.#settle();
  }

  #pump(): void {
    this.#retry = undefined;
    while (this.#bytes > 0 && !this.#broken) {
      if (this.#writeSome()) {
        this.#stalledSince = 0;
        continue;
      }
      // The kernel buffer is full: try again on a later turn, so the event loop goes on meanwhile.
      const now = performance.now();
      if (this.#stalledSince === 0) this.#stalledSince = now;
      this.#retry = now - this.#stalledSince < SPIN_MS ? setImmediate(this.#again) : setTimeout(this.#again, 1);
      return;
    }
    this.#settle();
  }

  readonly #again = (): void => this.#pump();

  /** One `writev`; `false` when the kernel took nothing (its buffer is full). */
  #writeSome(): boolean {
    if (this.#fd < 0) this.#fd = socketFd(this.#socket);
    if (this.#fd < 0) {
      // No descriptor (not connected yet): let Node queue it.
      for (const chunk of this.#queue.splice(0)) this.#socket.write(this.#offset > 0 ? chunk.subarray(this.#offset) : chunk);
      this.#offset = 0;
      this.#bytes = 0;
      return true;
    }
    const n = Math.min(this.#queue.length, IOV);
    const list = this.#queue.slice(0, n);
    if (this.#offset > 0) list[0] = (list[0] as Buffer).subarray(this.#offset);
    let written: number;
    try {
      written = writevSync(this.#fd, list);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN' || code === 'EWOULDBLOCK') return false;
      this.#fail();
      return true;
    }
    this.#bytes -= written;
    while (written > 0) {
      const head = this.#queue[0] as Buffer;
      const left = head.length - this.#offset;
      if (written >= left) {
        written -= left;
        this.#queue.shift();
        this.#offset = 0;
      } else {
        this.#offset += written;
        written = 0;
      }
    }
    return true;
  }

  #fail(): void {
    this.#broken = true;
    this.#queue.length = 0;
    this.#bytes = 0;
    this.#offset = 0;
    this.#cancelRetry();
    this.#settle();
  }

  #cancelRetry(): void {
    if (this.#retry === undefined) return;
    clearImmediate(this.#retry as NodeJS.Immediate);
    clearTimeout(this.#retry as NodeJS.Timeout);
    this.#retry = undefined;
  }

  #settle(): void {
    if (this.#bytes > 0 && !this.#broken) return;
    const drained = this.#drained;
    if (drained.length === 0) return;
    this.#drained = [];
    for (const fn of drained) fn();
  }
}
