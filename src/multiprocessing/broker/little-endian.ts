/**
 * Little-endian numbers in frames, read and written in place.
 *
 * Every pipe message of a round trip reads and writes a few of them, and a process that has just
 * started runs that code in V8's interpreter for its first thousands of messages: there, Buffer's
 * own `readDoubleLE`/`writeUInt32LE` cost several calls each (argument checks, bounds checks),
 * these one. Callers check the frame's bounds themselves (a read past the end gives `undefined`
 * bytes, not an exception).
 *
 * @module
 */

const F64 = new Float64Array(1);
const F64_BYTES = new Uint8Array(F64.buffer);
/** Where byte `i` of a little-endian double is in this machine's `Float64Array`. */
const AT = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? [0, 1, 2, 3, 4, 5, 6, 7] : [7, 6, 5, 4, 3, 2, 1, 0];
const [B0, B1, B2, B3, B4, B5, B6, B7] = AT as [number, number, number, number, number, number, number, number];

/** The u32 at `at`. */
export function readU32(b: Uint8Array, at: number): number {
  return ((b[at] as number) | ((b[at + 1] as number) << 8) | ((b[at + 2] as number) << 16)) + (b[at + 3] as number) * 0x1000000;
}

/** Writes `v` (0 ≤ v < 2³²) as a u32 at `at`. */
export function writeU32(b: Uint8Array, at: number, v: number): void {
  b[at] = v;
  b[at + 1] = v >>> 8;
  b[at + 2] = v >>> 16;
  b[at + 3] = v >>> 24;
}

/** The f64 at `at`. */
export function readF64(b: Uint8Array, at: number): number {
  const t = F64_BYTES;
  t[B0] = b[at] as number;
  t[B1] = b[at + 1] as number;
  t[B2] = b[at + 2] as number;
  t[B3] = b[at + 3] as number;
  t[B4] = b[at + 4] as number;
  t[B5] = b[at + 5] as number;
  t[B6] = b[at + 6] as number;
  t[B7] = b[at + 7] as number;
  return F64[0] as number;
}

/** Writes `v` as an f64 at `at`. */
export function writeF64(b: Uint8Array, at: number, v: number): void {
  F64[0] = v;
  const t = F64_BYTES;
  b[at] = t[B0] as number;
  b[at + 1] = t[B1] as number;
  b[at + 2] = t[B2] as number;
  b[at + 3] = t[B3] as number;
  b[at + 4] = t[B4] as number;
  b[at + 5] = t[B5] as number;
  b[at + 6] = t[B6] as number;
  b[at + 7] = t[B7] as number;
}
