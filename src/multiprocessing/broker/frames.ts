/**
 * The wire format of every multiprocessing socket (a thread's link to the broker, and the direct
 * connections between threads that carry queue items and pipe messages).
 *
 * ```
 *  ┌──────────────┬──────┬─────────────────────────────────────────────────────────────────┐
 *  │ u32 LE total │ type │ CONTROL: u32 LE header length │ JSON header [req, op, id, …] │ payload │
 *  │ (after self) │  u8  │ ITEMS:   a batch of queue items or pipe messages (channel/items.ts)  │
 *  └──────────────┴──────┴─────────────────────────────────────────────────────────────────┘
 * ```
 *
 * A CONTROL frame's header holds only the library's own scalars (request ids, op names, object ids,
 * timeouts) and is JSON: ten times cheaper than `v8.serialize` for a small array. User data (a
 * queue item, a pipe message) travels in ITEMS frames, many to a frame, each serialized once by
 * its sender; the broker never looks inside one.
 *
 * Reassembly is linear in the frame's size: a frame that spans socket chunks is copied once into
 * a buffer of its own size as the chunks arrive (a 64 MB item costs one 64 MB copy, not one per
 * chunk).
 *
 * @module
 */

import { readU32, writeU32 } from './little-endian.js';

const EMPTY = Buffer.alloc(0);

/** Frame type: a request, reply or event with a JSON header. */
export const CONTROL = 0;
/** Frame type: a batch of items (see `channel/items.ts`). */
export const ITEMS = 1;

/** A decoded CONTROL frame: the header array and the payload bytes (empty when there is none). */
interface ControlFrame {
  readonly type: typeof CONTROL;
  readonly header: unknown[];
  readonly payload: Buffer;
}

/** An ITEMS frame, undecoded: its body is `buf[start, end)`. */
export interface ItemsFrame {
  readonly type: typeof ITEMS;
  readonly buf: Buffer;
  readonly start: number;
  readonly end: number;
}

export type Frame = ControlFrame | ItemsFrame;

/** Encodes one CONTROL frame. */
export function encodeFrame(header: readonly unknown[], payload: Uint8Array = EMPTY): Buffer {
  const text = JSON.stringify(header);
  const headerBytes = Buffer.byteLength(text);
  const out = Buffer.allocUnsafe(9 + headerBytes + payload.length);
  writeU32(out, 0, 5 + headerBytes + payload.length);
  out[4] = CONTROL;
  writeU32(out, 5, headerBytes);
  out.write(text, 9, 'utf8');
  if (payload.length > 0) out.set(payload, 9 + headerBytes);
  return out;
}

/** Reassembles frames from the chunks a socket delivers. */
export class FrameReader {
  /** The chunk being read, from `#at`. */
  #buf: Buffer = EMPTY;
  #at = 0;
  /** The first bytes of a frame whose length prefix is not complete yet (at most three). */
  #stub: Buffer = EMPTY;
  /** A frame that spans chunks: its own buffer, filled up to `#filled`. */
  #partial: Buffer | undefined;
  #filled = 0;
  /** A completed spanning frame, returned by the next `next()`. */
  #ready: Buffer | undefined;

  /** Adds bytes read from the socket. */
  push(chunk: Buffer): void {
    if (this.#stub.length > 0) {
      const need = 4 - this.#stub.length;
      if (chunk.length < need) {
        this.#stub = Buffer.concat([this.#stub, chunk]);
        return;
      }
      const prefix = Buffer.concat([this.#stub, chunk.subarray(0, need)]);
      this.#stub = EMPTY;
      this.#partial = Buffer.allocUnsafe(4 + prefix.readUInt32LE(0));
      prefix.copy(this.#partial, 0);
      this.#filled = 4;
      chunk = chunk.subarray(need);
    }
    if (this.#partial !== undefined) {
      const partial = this.#partial;
      const n = Math.min(partial.length - this.#filled, chunk.length);
      chunk.copy(partial, this.#filled, 0, n);
      this.#filled += n;
      if (this.#filled < partial.length) return;
      this.#partial = undefined;
      this.#ready = partial;
      chunk = chunk.subarray(n);
    }
    this.#buf = chunk;
    this.#at = 0;
  }

  /**
   * The next complete frame, or `undefined` until more bytes arrive.
   *
   * @throws {Error} on a malformed frame (the connection should then be dropped).
   */
  next(): Frame | undefined {
    const ready = this.#ready;
    if (ready !== undefined) {
      this.#ready = undefined;
      return parse(ready, 0, ready.length, true);
    }
    const buf = this.#buf;
    const at = this.#at;
    const available = buf.length - at;
    if (available === 0 || this.#partial !== undefined) return undefined;
    if (available < 4) {
      this.#stub = Buffer.from(buf.subarray(at));
      this.#buf = EMPTY;
      this.#at = 0;
      return undefined;
    }
    const total = readU32(buf, at);
    if (total < 1) throw new Error('malformed frame: empty');
    if (available - 4 < total) {
      // The frame spans chunks: give it a buffer of its own and fill it as they arrive.
      const partial = Buffer.allocUnsafe(4 + total);
      buf.copy(partial, 0, at);
      this.#partial = partial;
      this.#filled = available;
      this.#buf = EMPTY;
      this.#at = 0;
      return undefined;
    }
    this.#at = at + 4 + total;
    return parse(buf, at, at + 4 + total, false);
  }
}

function parse(buf: Buffer, at: number, end: number, own: boolean): Frame {
  const type = buf[at + 4];
  if (type === ITEMS) return { type: ITEMS, buf, start: at + 5, end };
  if (type !== CONTROL) throw new Error(`malformed frame: unknown type ${type}`);
  const headerBytes = readU32(buf, at + 5);
  if (at + 9 + headerBytes > end) throw new Error('malformed frame: header longer than the frame');
  const header: unknown = JSON.parse(buf.toString('utf8', at + 9, at + 9 + headerBytes));
  if (!Array.isArray(header)) throw new Error('malformed frame: the header is not an array');
  const payloadStart = at + 9 + headerBytes;
  // A payload cut from a shared socket chunk is copied, so that keeping it does not pin the chunk.
  const payload = end <= payloadStart ? EMPTY : own ? buf.subarray(payloadStart, end) : Buffer.from(buf.subarray(payloadStart, end));
  return { type: CONTROL, header, payload };
}
