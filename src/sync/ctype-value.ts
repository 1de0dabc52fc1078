/**
 * What a shared value of each type code accepts, checked as CPython's ctypes checks it: one rule
 * for threading's `SharedValue`/`SharedArray` and multiprocessing's `Value`/`Array`.
 *
 * | code | accepts | refuses (`TypeError`, Python's words) |
 * | --- | --- | --- |
 * | `'c'` | a one-character string of code 0–255, an integer 0–255, a boolean, a one-byte `Uint8Array` | anything else, also `''`, `'ab'`, `'\u0100'`, `256`, `-1`: `one character bytes, bytearray or integer expected` |
 * | `'u'` | a string of exactly one code point | another string: `one character unicode string expected`; a non-string: `unicode string expected instead of …` |
 * | integer codes | an integer number, a bigint, a boolean; wrapped to the C type (`Value('b', 255)` is −1, as in C and Python) | `1.5`, `NaN`, `Infinity`, a string…: `… cannot be interpreted as an integer` |
 * | `'f'`, `'d'` | a number (also `NaN`, `±Infinity`), a boolean, a bigint | a string…: `must be real number, not …`; a bigint beyond a double: `RangeError` (Python's `OverflowError`) |
 *
 * @module
 */
import { describe } from '../describe.js';

const INTEGER_CODES = new Set(['b', 'B', 'h', 'H', 'i', 'I', 'l', 'L', 'q', 'Q']);
const WIDE_CODES = new Set(['l', 'L', 'q', 'Q']);

/**
 * Converts `value` to what the typed array of `code` stores, refusing what CPython refuses.
 *
 * @param code - a valid type code (`'c'`, `'u'`, `'b'` … `'Q'`, `'f'`, `'d'`).
 * @param value - what the caller wants to store.
 * @returns a number, or a bigint for the 64-bit codes; the typed array then wraps or rounds it
 * as the C type would.
 * @throws {TypeError} for a value of the wrong type or length (see the module table).
 * @throws {RangeError} for a bigint too large for a `'f'` or `'d'` value.
 */
export function toStored(code: string, value: unknown): number | bigint {
  if (code === 'c') return toByte(value);
  if (code === 'u') return toCodePoint(value);
  if (INTEGER_CODES.has(code)) {
    const wide = WIDE_CODES.has(code);
    if (typeof value === 'boolean') return wide ? BigInt(value) : Number(value);
    if (typeof value === 'bigint') return wide ? value : Number(BigInt.asUintN(32, value));
    if (typeof value === 'number' && Number.isInteger(value)) return wide ? BigInt(value) : value;
    throw new TypeError(`${describe(value)} cannot be interpreted as an integer (a '${code}' value)`);
  }
  if (typeof value === 'number') return value;
  if (typeof value === 'boolean') return Number(value);
  if (typeof value === 'bigint') {
    const n = Number(value);
    if (!Number.isFinite(n)) throw new RangeError(`int too large to convert to float (a '${code}' value)`);
    return n;
  }
  throw new TypeError(`must be real number, not ${describe(value)} (a '${code}' value)`);
}

function toByte(value: unknown): number {
  if (typeof value === 'string' && value.length === 1 && value.charCodeAt(0) <= 0xff) return value.charCodeAt(0);
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 0xff) return value;
  if (typeof value === 'boolean') return Number(value);
  if (value instanceof Uint8Array && value.length === 1) return value[0] as number;
  throw new TypeError(`one character bytes, bytearray or integer expected (a 'c' value: a one-character string of code 0-255, or an integer 0-255), got ${describe(value)}`);
}

function toCodePoint(value: unknown): number {
  if (typeof value !== 'string') throw new TypeError(`unicode string expected instead of ${describe(value)} (a 'u' value)`);
  const point = value.codePointAt(0);
  if (point === undefined || String.fromCodePoint(point).length !== value.length) {
    throw new TypeError(`one character unicode string expected (a 'u' value), got ${describe(value)}`);
  }
  return point;
}
