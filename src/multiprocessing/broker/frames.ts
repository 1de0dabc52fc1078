/**
 * The broker's wire format: length-prefixed frames on a Unix domain socket.
 *
 * ```
 *  ┌──────────────┬───────────────┬──────────────────────┬──────────────────────────┐
 *  │ u32 LE total │ u32 LE header │ header: JSON array   │ payload: v8.serialize(…) │
 *  │ (after self) │ length        │ [req, op, id, …]     │ (optional, opaque bytes) │
 *  └──────────────┴───────────────┴──────────────────────┴──────────────────────────┘
 * ```
 *
 * The header holds only the library's own scalars (request ids, op names, object ids, timeouts)
 * and is JSON: ten times cheaper than `v8.serialize` for a small array. User data (a queue item,
 * a pipe message, a shared value) is serialized once by the sender with `v8.serialize` and stays
 * opaque bytes until the receiver deserializes it: the broker never looks inside a queue item.
 *
 * @module
 */

const EMPTY = Buffer.alloc(0);

/** One decoded frame: the header array and the payload bytes (empty when there is none). */
export interface Frame {
  readonly header: unknown[];
  readonly payload: Buffer;
}

/** Encodes one frame. */
export function encodeFrame(header: readonly unknown[], payload: Uint8Array = EMPTY): Buffer {
  const text = JSON.stringify(header);
  const headerBytes = Buffer.byteLength(text);
  const out = Buffer.allocUnsafe(8 + headerBytes + payload.length);
  out.writeUInt32LE(4 + headerBytes + payload.length, 0);
  out.writeUInt32LE(headerBytes, 4);
  out.write(text, 8, 'utf8');
  if (payload.length > 0) out.set(payload, 8 + headerBytes);
  return out;
}

/** Reassembles frames from the chunks a socket delivers. */
export class FrameReader {
  #buffer: Buffer = EMPTY;
  #offset = 0;

  /** Adds bytes read from the socket. */
  push(chunk: Buffer): void {
    if (this.#offset >= this.#buffer.length) {
      this.#buffer = chunk;
    } else {
      this.#buffer = Buffer.concat([this.#buffer.subarray(this.#offset), chunk]);
    }
    this.#offset = 0;
  }

  /**
   * The next complete frame, or `undefined` until more bytes arrive.
   *
   * @throws {Error} on a malformed frame (the connection should then be dropped).
   */
  next(): Frame | undefined {
    const buf = this.#buffer;
    const at = this.#offset;
    if (buf.length - at < 4) return undefined;
    const total = buf.readUInt32LE(at);
    if (buf.length - at - 4 < total) return undefined;
    const headerBytes = buf.readUInt32LE(at + 4);
    if (headerBytes + 4 > total) throw new Error('malformed broker frame: header longer than the frame');
    const header: unknown = JSON.parse(buf.toString('utf8', at + 8, at + 8 + headerBytes));
    if (!Array.isArray(header)) throw new Error('malformed broker frame: the header is not an array');
    const payloadStart = at + 8 + headerBytes;
    const payloadEnd = at + 4 + total;
    // Copied, so that a payload kept in a queue does not pin the whole socket chunk it came in.
    const payload = payloadEnd > payloadStart ? Buffer.from(buf.subarray(payloadStart, payloadEnd)) : EMPTY;
    this.#offset = payloadEnd;
    return { header, payload };
  }
}
