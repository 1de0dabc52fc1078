/**
 * The frames' own little-endian readers and writers must agree with Buffer's, byte for byte, at
 * any offset: every frame length, sequence number and number message goes through them.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readF64, readU32, writeF64, writeU32 } from '../../src/multiprocessing/broker/little-endian.js';

const DOUBLES = [0, -0, 1, -1, 0.1, -2.5e-300, 1e308, Number.MAX_SAFE_INTEGER, Number.MIN_VALUE, Infinity, -Infinity, Math.PI];
const U32S = [0, 1, 255, 256, 65_535, 0x12345678, 0x7fffffff, 0x80000000, 0xffffffff];

test('f64 and u32 written at any offset read back as Buffer reads them, and Buffer-written ones read back', () => {
  for (const offset of [0, 1, 3, 7]) {
    for (const v of DOUBLES) {
      const ours = Buffer.alloc(offset + 8);
      writeF64(ours, offset, v);
      const theirs = Buffer.alloc(offset + 8);
      theirs.writeDoubleLE(v, offset);
      assert.deepEqual(ours, theirs, `f64 ${v} at ${offset}`);
      assert.ok(Object.is(readF64(theirs, offset), v), `f64 ${v} read at ${offset}`);
    }
    const nan = Buffer.alloc(offset + 8);
    nan.writeDoubleLE(Number.NaN, offset);
    assert.ok(Number.isNaN(readF64(nan, offset)));
    for (const v of U32S) {
      const ours = Buffer.alloc(offset + 4);
      writeU32(ours, offset, v);
      const theirs = Buffer.alloc(offset + 4);
      theirs.writeUInt32LE(v, offset);
      assert.deepEqual(ours, theirs, `u32 ${v} at ${offset}`);
      assert.equal(readU32(theirs, offset), v, `u32 ${v} read at ${offset}`);
    }
  }
});
