/**
 * `Pipe()` and `Connection`: Python's two connected ends. A message sent at one end is received
 * whole at the other (never merged with another or split); objects are copied with
 * `v8.serialize`, bytes travel as they are.
 *
 * An end is open while any process still has it open: the parent may pass `childEnd` to a child
 * and close its own copy straight away. Once every copy of an end is closed (or its processes
 * have exited), the other end reads what is left and then gets `EOFError`.
 *
 * @module
 */
import { BufferTooShort, OSError, ValueError } from '../errors.js';
import { unwrap, type Reply } from './link.js';
import { CONNECTION_TAG } from './broker/pipe-state.js';
import { isReply, openPort, type ChannelPort } from './channel/port.js';
import { itemBytes, packBytes, packValue, unpackValue, type Item } from './channel/items.js';
import { fromWire, newHandleId, registerHandle, reviveHandles, SharedObject, withId, type HandleWire } from './shared-object.js';
import { throwIfAborted, toWait, type WaitOptions } from './wait-options.js';

const PIPE_ERRORS = { timeout: (ms: number): [string, string] => ['TimeoutError', `recv() did not get a message within ${ms} ms`] };

/**
 * One end of a {@link Pipe}, like Python's `multiprocessing.connection.Connection`.
 *
 * @typeParam T - the type of the objects sent through it.
 */
export class Connection<T = unknown> extends SharedObject {
  readonly #readable: boolean;
  readonly #writable: boolean;
  /** This end's messages (what the other end sent). */
  readonly #in: ChannelPort;
  /** The other end's channel: what this end sends. */
  readonly #out: ChannelPort;
  #closed = false;
  #peerGone = false;
  readonly #unlisten: () => void;

  /** @internal Use {@link Pipe}. */
  constructor(params: { peer: string; readable: boolean; writable: boolean }) {
    super(CONNECTION_TAG, params);
    this.#readable = this.params.readable !== false;
    this.#writable = this.params.writable !== false;
    const input = openPort(this.link, this.id, PIPE_ERRORS, true);
    const output = openPort(this.link, String(this.params.peer), PIPE_ERRORS, true);
    this.#in = input;
    this.#out = output;
    // The close reports how many messages this thread sent, so the reader's end of file waits for them all.
    this.onRelease(() => {
      input.release();
      output.release();
      return output.seq;
    });
    // The link must not keep the connection alive: a dropped end has to be collected (that closes it).
    const self = new WeakRef(this);
    this.#unlisten = this.link.listen(this.id, (event) => {
      const connection = self.deref();
      if (connection !== undefined && (event === 'eof' || event === 'broken')) connection.#otherEndGone();
    });
  }

  /** `true` if this end can receive. */
  get readable(): boolean {
    return this.#readable;
  }

  /** `true` if this end can send. */
  get writable(): boolean {
    return this.#writable;
  }

  /** `true` once `close()` was called on this handle. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Sends `obj` to the other end. It returns at once (the message is on its way), as Python's
   * `send` returns once the bytes are in the OS pipe.
   *
   * @throws {OSError} `handle is closed`, `connection is read-only`, or `[Errno 32] Broken pipe`
   * when every copy of the other end is closed.
   * @throws {SerializationError} when `obj` holds a function, a symbol or a class instance.
   * @param obj - the object; it is copied.
   */
  send(obj: T): void {
    this.#checkWritable();
    this.#out.put(packValue(obj, 'obj'));
  }

  /**
   * Sends bytes as one message: `buf`, or `size` bytes of it from `offset`.
   *
   * @throws {ValueError} `offset is negative`, `buffer length < offset`, `size is negative`,
   * `buffer length < offset + size` (Python's messages).
   * @throws {OSError} as {@link Connection.send}.
   * @param buf - the bytes.
   * @param offset - where the message starts in `buf` (default 0).
   * @param size - how many bytes (default: the rest of `buf`).
   */
  sendBytes(buf: ArrayBufferView | ArrayBuffer, offset = 0, size?: number): void {
    this.#checkWritable();
    const bytes = buf instanceof ArrayBuffer ? new Uint8Array(buf) : new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
    const n = bytes.length;
    if (offset < 0) throw new ValueError('offset is negative');
    if (n < offset) throw new ValueError('buffer length < offset');
    const length = size ?? n - offset;
    if (length < 0) throw new ValueError('size is negative');
    if (offset + length > n) throw new ValueError('buffer length < offset + size');
    this.#out.put(packBytes(bytes.subarray(offset, offset + length)));
  }

  /**
   * Receives the next object, waiting for one.
   *
   * Cancel safety: when `signal` aborts, either no message was taken (the promise rejects) or one
   * was, and the promise resolves with it: a message is never lost.
   *
   * @param options - a timeout in ms (then `TimeoutError`), or `{ timeout, signal }`.
   * @throws {EOFError} when every copy of the other end is closed and nothing is left to read.
   * @throws {OSError} `handle is closed` or `connection is write-only`.
   * @returns the next object (bytes sent with `sendBytes` arrive as a Buffer).
   */
  recv(options?: number | WaitOptions): Promise<T> {
    if (options !== undefined || this.#closed || !this.#readable) return this.#recvWith(options);
    // Without options (the usual recv of a round trip) the caller awaits the wait's own promise:
    // no async function, and no promise of its own, per message.
    try {
      return Promise.resolve(this.#in.getMapped(this.#unpackGot));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** The value of what a recv got (a rejected promise for an error reply, or a message that does not decode). */
  readonly #unpackGot = (got: Item | Reply): T | Promise<T> => {
    if (isReply(got)) return this.#failed(got);
    try {
      return unpackValue(got, reviveHandles) as T;
    } catch (error) {
      return Promise.reject(error);
    }
  };

  /** The error of a recv's error reply, as a rejected promise. */
  #failed(reply: Reply): Promise<T> {
    try {
      unwrap(reply);
    } catch (error) {
      return Promise.reject(error);
    }
    return Promise.reject(new Error('recv got an error reply without an error'));
  }

  async #recvWith(options: number | WaitOptions | undefined): Promise<T> {
    return unpackValue(await this.#receive(options), reviveHandles) as T;
  }

  /**
   * Receives the next message as bytes (for an object message: its serialized bytes).
   *
   * @param maxlength - when the message is longer, it is dropped and `OSError('bad message length')` thrown.
   * @throws {EOFError}, {OSError} as {@link Connection.recv}.
   * @param options - `{ timeout, signal }`.
   * @returns the message's bytes.
   */
  async recvBytes(maxlength?: number, options?: WaitOptions): Promise<Buffer> {
    if (maxlength !== undefined && maxlength < 0) throw new ValueError('negative maxlength');
    const payload = itemBytes(await this.#receive(options));
    if (maxlength !== undefined && payload.length > maxlength) throw new OSError('bad message length');
    return payload;
  }

  /**
   * Receives the next message into `buf` at `offset`; returns its length in bytes.
   *
   * @throws {ValueError} `negative offset`, `offset too large` (the message stays unread).
   * @throws {BufferTooShort} when the message does not fit; the whole message is on `error.data`.
   * @throws {EOFError}, {OSError} as {@link Connection.recv}.
   * @param buf - where to write the message.
   * @param offset - where in `buf` (default 0).
   * @param options - `{ timeout, signal }`.
   * @returns the message's length in bytes.
   */
  async recvBytesInto(buf: ArrayBufferView, offset = 0, options?: WaitOptions): Promise<number> {
    const target = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
    if (offset < 0) throw new ValueError('negative offset');
    if (offset > target.length) throw new ValueError('offset too large');
    const payload = itemBytes(await this.#receive(options));
    if (payload.length > target.length - offset) throw new BufferTooShort('the message does not fit in the buffer', payload);
    target.set(payload, offset);
    return payload.length;
  }

  /**
   * `true` when `recv` would not wait: a message is there, or the other end is closed (`recv`
   * then throws `EOFError`). Reads nothing.
   *
   * Cancel safety: an aborted poll consumes nothing.
   *
   * @param timeout - milliseconds to wait for a message; `0` (the default) only looks,
   * `Infinity` waits as long as it takes.
   * @throws {OSError} `handle is closed` or `connection is write-only`.
   * @returns `true` when a message (or end-of-file) is there.
   */
  async poll(timeout: number | WaitOptions = 0): Promise<boolean> {
    this.#checkReadable();
    const { timeout: ms, signal } = toWait(timeout);
    throwIfAborted(signal);
    let polled = this.#in.poll(ms, signal);
    if (polled instanceof Promise) polled = await polled;
    if (typeof polled !== 'boolean') unwrap(polled, signal);
    return polled === true;
  }

  #otherEndGone(): void {
    this.#peerGone = true;
  }

  /** Closes this handle (other processes' copies stay open). Calling it twice is fine. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#unlisten();
    this.detach();
  }

  /** `using conn = …` closes the connection at the end of the block. */
  [Symbol.dispose](): void {
    this.close();
  }

  /** @returns a short description of the object and its state, Python's repr where there is one. */
  override toString(): string {
    const mode = this.#readable && this.#writable ? '' : this.#readable ? ' read-only' : ' write-only';
    return `<Connection${mode}${this.#closed ? ' closed' : ''}>`;
  }

  async #receive(options: number | WaitOptions | undefined): Promise<Item> {
    this.#checkReadable();
    const { timeout, signal } = toWait(options);
    throwIfAborted(signal);
    let got = this.#in.get(true, timeout, signal);
    if (got instanceof Promise) got = await got;
    if (isReply(got)) unwrap(got, signal);
    return got as Item;
  }

  #checkReadable(): void {
    if (this.#closed) throw new OSError('handle is closed');
    if (!this.#readable) throw new OSError('connection is write-only');
  }

  #checkWritable(): void {
    if (this.#closed) throw new OSError('handle is closed');
    if (!this.#writable) throw new OSError('connection is read-only');
    if (this.#peerGone) throw new OSError('[Errno 32] Broken pipe');
  }
}

/**
 * Two connected ends, like Python's `multiprocessing.Pipe()`.
 *
 * @param duplex - `true` (the default): both ends send and receive. `false`: the first end only
 * receives and the second only sends (`[reader, writer]`).
 * @returns the two ends.
 * @example
 * ```ts
 * const [parentEnd, childEnd] = Pipe();
 * new Process({ target: tasks.f, args: [childEnd] }).start();
 * parentEnd.send(3);
 * console.log(await parentEnd.recv());
 * ```
 */
export function Pipe<T = unknown>(duplex = true): [Connection<T>, Connection<T>] {
  const a = newHandleId();
  const b = newHandleId();
  const first = withId(a, () => new Connection<T>({ peer: b, readable: true, writable: duplex }));
  const second = withId(b, () => new Connection<T>({ peer: a, readable: duplex, writable: true }));
  return [first, second];
}

registerHandle(CONNECTION_TAG, (wire: HandleWire) => fromWire(wire, () => new Connection({ peer: '', readable: true, writable: true })));
