/**
 * Python's ctypes type codes for `Value` and `Array`, as typed arrays. A value is stored in a
 * typed array of its code, so it wraps and rounds exactly as the C type would (`Value('i', 2**31)`
 * reads back −2147483648, as in Python). 64-bit integer codes hold `bigint`s; `'c'` and `'u'`
 * hold one-character strings.
 *
 * @module
 */
import { ValueError } from '../errors.js';
import { toStored } from '../sync/ctype-value.js';

/** The type codes `Value` and `Array` accept. */
export type TypeCode = 'c' | 'u' | 'b' | 'B' | 'h' | 'H' | 'i' | 'I' | 'l' | 'L' | 'q' | 'Q' | 'f' | 'd';

/** The JavaScript type of a value of each code. */
export type ValueOf<C extends TypeCode> =
  C extends 'c' | 'u' ? string : C extends 'l' | 'L' | 'q' | 'Q' ? bigint : number;

type Typed = Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array | Float32Array | Float64Array
  | BigInt64Array | BigUint64Array;

const CONSTRUCTORS: Record<TypeCode, new (length: number) => Typed> = {
  c: Uint8Array, u: Uint32Array, b: Int8Array, B: Uint8Array, h: Int16Array, H: Uint16Array, i: Int32Array,
  I: Uint32Array, l: BigInt64Array, L: BigUint64Array, q: BigInt64Array, Q: BigUint64Array, f: Float32Array, d: Float64Array,
};

/**
 * Validates a type code.
 *
 * @throws {ValueError} for an unknown code (Python raises the same for `Value('x', 0)`).
 */
export function checkTypeCode(code: unknown): TypeCode {
  if (typeof code === 'string' && Object.prototype.hasOwnProperty.call(CONSTRUCTORS, code)) return code as TypeCode;
  throw new ValueError(`bad typecode (must be one of ${Object.keys(CONSTRUCTORS).join(', ')}), got ${String(code)}`);
}

/** Storage for `length` values of `code`, zero-filled. */
export function storage(code: TypeCode, length: number): Typed {
  return new CONSTRUCTORS[code](length);
}

/**
 * Writes `value` into `store[index]` with the C type's conversion, after CPython's checks
 * (`sync/ctype-value.ts`).
 *
 * @throws {TypeError} for a value the code refuses: `Value('c', 'ab')`, `Value('i', 1.5)`…
 * @throws {RangeError} for a bigint too large for a `'f'` or `'d'` value.
 */
export function store(code: TypeCode, target: Typed, index: number, value: unknown): void {
  (target as unknown as Array<number | bigint>)[index] = toStored(code, value);
}

/** Reads `store[index]` as a JavaScript value of the code. */
export function load(code: TypeCode, source: Typed, index: number): unknown {
  const raw = source[index];
  if (code === 'c' || code === 'u') return String.fromCodePoint(Number(raw));
  return raw;
}
