/**
 * Queue items and pipe messages on the wire: how one value becomes an item (a tag and its bytes),
 * and how many items of one sender travel in one ITEMS frame.
 *
 * Values are copied when they are put or sent, as Python pickles them. Objects are serialized
 * with `v8.serialize`; the values a program sends most often have a compact form that skips the
 * serializer's fixed cost (about 3 µs a call): numbers, strings, booleans, `null`, `undefined`,
 * and bytes (a `Buffer` or `Uint8Array` is copied as it is, so a 64 MB item costs one copy, not
 * the serializer's repeated growth).
 *
 * ```
 * ITEMS frame body:
 *   u8 flags │ u8 len │ channel id │ u8 len │ origin (pid:threadId) │ f64 first seq │ f64 first n │ u32 count │ item…
 * item:
 *   u8 tag │ u32 LE length │ bytes
 * ```
 *
 * Items of one frame come from one origin (the thread that put them) with consecutive sequence
 * numbers: every thread numbers its items per channel from 1, so a reader can put back in order
 * what reached it by two paths (straight from the producer, and through the broker). `n` numbers
 * the items of one stream (one sender to one reader), so the reader can say which it has taken.
 *
 * @module
 */
import { deserialize, serialize } from 'node:v8';
import { TASK_SHARED } from '../../protocol.js';
import { checkArgs } from '../../task-ref/check-args.js';
import { ITEMS } from '../broker/frames.js';
import { readF64, readU32, writeF64, writeU32 } from '../broker/little-endian.js';

/** Tags: how an item's bytes become a value again. */
export const TAG = {
  /** `v8.serialize` bytes of a value without library handles. */
  V8: 0,
  /** `v8.serialize` bytes of a value with library handles inside (rebuilt by the receiver). */
  V8_SHARED: 1,
  /** Bytes sent with `sendBytes` (received as a Buffer by `recv`). */
  RAW: 2,
  NUMBER: 3,
  STRING: 4,
  BUFFER: 5,
  UINT8ARRAY: 6,
  NULL: 7,
  UNDEFINED: 8,
  TRUE: 9,
  FALSE: 10,
} as const;

/** Frame flags. */
export const FLAG = {
  /** Items a reader gave back or that died with it: they go back to the front of the queue. */
  RESEND: 1,
  /** Copies of items sent straight to the reader by a thread that is ending: kept in case the reader dies. */
  CUSTODY: 2,
} as const;

/**
 * One item. `data` is the value's bytes (a view of the frame it came in), or for a number or a
 * string, the value itself (encoded straight into the frame, decoded straight out of it).
 */
export interface Item {
  readonly origin: string;
  readonly seq: number;
  readonly tag: number;
  readonly data: Buffer | number | string | undefined;
}

/** An item's value before it has an origin and a sequence number. */
export interface Packed {
  readonly tag: number;
  readonly data: Buffer | number | string | undefined;
}

const NULL_ITEM: Packed = { tag: TAG.NULL, data: undefined };
const UNDEFINED_ITEM: Packed = { tag: TAG.UNDEFINED, data: undefined };
const TRUE_ITEM: Packed = { tag: TAG.TRUE, data: undefined };
const FALSE_ITEM: Packed = { tag: TAG.FALSE, data: undefined };

/**
 * Copies `value` into an item, checking first that it can travel.
 *
 * @throws {SerializationError} for a function, a symbol or a class instance, naming where it is.
 */
export function packValue(value: unknown, what: string): Packed {
  switch (typeof value) {
    case 'number': return { tag: TAG.NUMBER, data: value };
    case 'string': return { tag: TAG.STRING, data: value };
    case 'boolean': return value ? TRUE_ITEM : FALSE_ITEM;
    case 'undefined': return UNDEFINED_ITEM;
    default: break;
  }
  if (value === null) return NULL_ITEM;
  const flags = checkArgs(value, what, true);
  if (value instanceof Uint8Array && flags === 0) {
    const proto: unknown = Object.getPrototypeOf(value);
    if (proto === Buffer.prototype) return { tag: TAG.BUFFER, data: Buffer.from(value) };
    if (proto === Uint8Array.prototype) return { tag: TAG.UINT8ARRAY, data: Buffer.from(value) };
  }
  return { tag: flags & TASK_SHARED ? TAG.V8_SHARED : TAG.V8, data: serialize(value) };
}

/** An item of raw bytes (`sendBytes`): received as a Buffer. */
export function packBytes(bytes: Uint8Array): Packed {
  return { tag: TAG.RAW, data: Buffer.from(bytes) };
}

/** The length of an item's bytes on the wire. */
export function dataLength(item: Packed): number {
  const { data } = item;
  if (data === undefined) return 0;
  if (typeof data === 'number') return 8;
  if (typeof data === 'string') return Buffer.byteLength(data);
  return data.length;
}

/** The item's bytes as they travel (a view when it already holds bytes). */
export function dataBytes(item: Packed): Buffer {
  const { data } = item;
  if (data === undefined) return EMPTY;
  if (typeof data === 'number') {
    const out = Buffer.allocUnsafe(8);
    out.writeDoubleLE(data, 0);
    return out;
  }
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  return data;
}

const EMPTY = Buffer.alloc(0);

/** An item rebuilt into a value. `revive` rebuilds the library handles inside (when the tag says there are some). */
export function unpackValue(item: Packed, revive: (value: unknown) => unknown): unknown {
  const { tag } = item;
  switch (tag) {
    case TAG.NUMBER: return typeof item.data === 'number' ? item.data : (item.data as Buffer).readDoubleLE(0);
    case TAG.STRING: return typeof item.data === 'string' ? item.data : item.data === undefined ? '' : (item.data as Buffer).toString('utf8');
    case TAG.NULL: return null;
    case TAG.UNDEFINED: return undefined;
    case TAG.TRUE: return true;
    case TAG.FALSE: return false;
    case TAG.RAW:
    case TAG.BUFFER: return dataBytes(item);
    case TAG.UINT8ARRAY: {
      const bytes = dataBytes(item);
      return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
    }
    case TAG.V8: return deserialize(dataBytes(item));
    case TAG.V8_SHARED: return revive(deserialize(dataBytes(item)));
    default: throw new Error(`unknown item tag ${tag}`);
  }
}

/**
 * The item as bytes (`recvBytes` of a message sent with `send`): its `v8.serialize` form, as
 * Python's `recv_bytes` returns the pickle of an object.
 */
export function itemBytes(item: Packed): Buffer {
  if (item.tag === TAG.RAW || item.tag === TAG.V8 || item.tag === TAG.V8_SHARED) return dataBytes(item);
  return serialize(unpackValue(item, (v) => v));
}

/** Items larger than this are not copied into the frame: the frame points at them. */
const INLINE_LIMIT = 16 * 1024;

/**
 * The name part of a frame's header (`len channel len origin`): computed once per channel and
 * origin by whoever sends (see `encodeItems`).
 */
export function frameName(channel: string, origin: string): Buffer {
  const bytes = Buffer.allocUnsafe(2 + channel.length + origin.length);
  bytes[0] = channel.length;
  bytes.latin1Write(channel, 1);
  bytes[1 + channel.length] = origin.length;
  bytes.latin1Write(origin, 2 + channel.length);
  return bytes;
}

/**
 * Encodes `count` items starting at `items[from]` (consecutive sequence numbers of one origin)
 * as one ITEMS frame: a list of buffers to write in order. `name` is `frameName(channel, origin)`.
 */
export function encodeItems(name: Buffer, flags: number, items: readonly Packed[], firstSeq: number,
  firstN: number, from = 0, count = items.length - from): Buffer[] {
  if (count === 1) {
    const one = encodeOne(name, flags, items[from] as Packed, firstSeq, firstN);
    if (one !== undefined) return [one];
  }
  const head = 4 + 1 + 1 + name.length + 8 + 8 + 4;
  let inline = head;
  let total = head;
  for (let i = from; i < from + count; i++) {
    const n = dataLength(items[i] as Packed);
    total += 5 + n;
    inline += n > INLINE_LIMIT ? 5 : 5 + n;
  }
  const out = Buffer.allocUnsafe(inline);
  let at = writeHead(out, total - 4, flags, name, firstSeq, firstN, count);
  const chunks: Buffer[] = [];
  let inlineFrom = 0;
  for (let i = from; i < from + count; i++) {
    const item = items[i] as Packed;
    const { data } = item;
    out[at] = item.tag;
    if (data === undefined) {
      writeU32(out, at + 1, 0);
      at += 5;
    } else if (typeof data === 'number') {
      writeU32(out, at + 1, 8);
      writeF64(out, at + 5, data);
      at += 13;
    } else if (typeof data === 'string') {
      const n = out.utf8Write(data, at + 5);
      writeU32(out, at + 1, n);
      at += 5 + n;
    } else if (data.length > INLINE_LIMIT) {
      // The frame points at a large item instead of copying it.
      writeU32(out, at + 1, data.length);
      at += 5;
      chunks.push(out.subarray(inlineFrom, at), data);
      inlineFrom = at;
    } else {
      writeU32(out, at + 1, data.length);
      out.set(data, at + 5);
      at += 5 + data.length;
    }
  }
  if (chunks.length === 0) return [out];
  if (at > inlineFrom) chunks.push(out.subarray(inlineFrom, at));
  return chunks;
}

/**
 * One item that fits in its frame (`undefined` otherwise), without the loops of the general case:
 * a message of a round trip, encoded by a process that has just started and runs this in V8's
 * interpreter (every step there costs; see `broker/little-endian.ts`).
 */
function encodeOne(name: Buffer, flags: number, item: Packed, seq: number, n: number): Buffer | undefined {
  const { data } = item;
  const length = data === undefined ? 0 : typeof data === 'number' ? 8 : typeof data === 'string' ? Buffer.byteLength(data) : data.length;
  if (length > INLINE_LIMIT) return undefined;
  const out = Buffer.allocUnsafe(6 + name.length + 25 + length);
  const at = writeHead(out, out.length - 4, flags, name, seq, n, 1);
  out[at] = item.tag;
  writeU32(out, at + 1, length);
  if (typeof data === 'number') writeF64(out, at + 5, data);
  else if (typeof data === 'string') out.utf8Write(data, at + 5);
  else if (data !== undefined) out.set(data, at + 5);
  return out;
}

/**
 * Writes an ITEMS frame's head: its length (what follows the length word), type, flags, name,
 * first sequence number, first count and number of items. Returns where the first item goes.
 */
function writeHead(out: Buffer, length: number, flags: number, name: Buffer, firstSeq: number, firstN: number, count: number): number {
  writeU32(out, 0, length);
  out[4] = ITEMS;
  out[5] = flags;
  out.set(name, 6);
  const at = 6 + name.length;
  writeF64(out, at, firstSeq);
  writeF64(out, at + 8, firstN);
  writeU32(out, at + 16, count);
  return at + 20;
}

/** A decoded ITEMS frame. Item bytes are views of the frame's buffer. */
export interface ItemsBatch {
  readonly flags: number;
  readonly channel: string;
  readonly origin: string;
  /** The stream number of the first item (the others follow). */
  readonly firstN: number;
  readonly items: Item[];
}

/**
 * Decodes the body `buf[start, end)` of an ITEMS frame.
 *
 * @throws {Error} when the frame is malformed.
 */
export function decodeItems(buf: Buffer, start: number, end: number): ItemsBatch {
  let at = start;
  const flags = buf[at++] as number;
  const channelLength = buf[at] as number;
  const originLength = buf[at + 1 + channelLength] as number;
  const nameEnd = at + 2 + channelLength + originLength;
  if (nameEnd + 20 > end) throw new Error('malformed items frame: truncated');
  // Frames come in runs from one channel and origin: one native slice and a string comparison
  // tell whether this one's name is the last one's.
  const name = buf.latin1Slice(at, nameEnd);
  if (name !== lastName) {
    lastChannel = buf.latin1Slice(at + 1, at + 1 + channelLength);
    lastOrigin = buf.latin1Slice(at + 2 + channelLength, nameEnd);
    lastName = name;
  }
  const channel = lastChannel;
  const origin = lastOrigin;
  at = nameEnd;
  const firstSeq = readF64(buf, at);
  const firstN = readF64(buf, at + 8);
  const count = readU32(buf, at + 16);
  at += 20;
  const items: Item[] = new Array<Item>(count);
  for (let i = 0; i < count; i++) {
    if (at + 5 > end) throw new Error('malformed items frame: truncated');
    const tag = buf[at] as number;
    const n = readU32(buf, at + 1);
    at += 5;
    if (at + n > end) throw new Error('malformed items frame: item longer than the frame');
    // Numbers and strings are read at once (no view of the frame to keep); the rest stays bytes.
    const data = n === 0 ? undefined : tag === TAG.NUMBER && n === 8 ? readF64(buf, at)
      : tag === TAG.STRING ? buf.utf8Slice(at, at + n) : buf.subarray(at, at + n);
    items[i] = { origin, seq: firstSeq + i, tag, data };
    at += n;
  }
  return { flags, channel, origin, firstN, items };
}

/** The last frame name decoded (`len channel len origin`, as latin1) and its two parts. */
let lastName = '';
let lastChannel = '';
let lastOrigin = '';

declare global {
  interface Buffer {
    /** Node's own fast paths of `toString` and `write` for one encoding (not in @types/node). */
    latin1Slice(start: number, end: number): string;
    utf8Slice(start: number, end: number): string;
    latin1Write(text: string, offset: number): number;
    utf8Write(text: string, offset: number): number;
  }
}
