/**
 * `Value` and `Array` across processes: the VAL and ARR rows.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Array as SharedArray, Lock, Process, RLock, Value, ValueError, type TypeCode } from '../../src/multiprocessing/index.js';
import { tasks } from '../fixtures/multiprocessing/support.js';
import { CTYPE_CASES, label } from '../fixtures/sync/ctype-cases.js';

describe('Value', () => {
  test("VAL-01 a Value keeps its value, and a child's write is visible after join, for 'i', 'd', 'h', 'q' and 'c'", async () => {
    const cases: Array<[Value, unknown, unknown]> = [
      [new Value('i', 7), 7, -3],
      [new Value('d', 1.5), 1.5, 2.25],
      [new Value('h', 100), 100, -5],
      [new Value('q', 2n ** 40n), 2n ** 40n, -(2n ** 50n)],
      [new Value('c', 'x'), 'x', 'y'],
    ];
    for (const [value, initial] of cases) assert.equal(value.value, initial);
    const children = cases.map(([value, , next]) => new Process({ target: tasks.writeValue, args: [value, next] }));
    for (const c of children) c.start();
    for (const c of children) await c.join();
    for (const [value, , next] of cases) assert.equal(await value.get(), next);
  });

  test('VAL-01 values take the C type\'s conversions: 2**31 in an "i" wraps; a float in an "i" is a TypeError, as in CPython', async () => {
    const v = new Value('i', 2 ** 31);
    assert.equal(v.value, -(2 ** 31));
    await assert.rejects(v.set(3.9), (e: unknown) => e instanceof TypeError && /^3\.9 \(number\) cannot be interpreted as an integer/.test(e.message));
    assert.equal(v.value, -(2 ** 31), 'a refused value leaves the old one');
    v.value = 11;
    assert.equal(await v.get(), 11);
    assert.throws(() => new Value('x' as never, 0 as never), (e: unknown) => e instanceof ValueError);
    assert.throws(() => new Value('i', 'text' as never), (e: unknown) => e instanceof TypeError);
  });

  test('every type code stores what CPython\'s ctypes stores and refuses what it refuses, at the constructor, set, the value setter and in an Array', async () => {
    for (const [code, cases] of Object.entries(CTYPE_CASES)) {
      const target = new Value(code as TypeCode, undefined, { lock: false });
      const array = new SharedArray(code as TypeCode, 1, { lock: false });
      for (const [value, ...expected] of cases) {
        const what = label(code, value);
        if (expected.length === 1) {
          const stored = expected[0];
          assert.deepEqual(new Value(code as TypeCode, value as never, { lock: false }).value, stored, what);
          await target.set(value as never);
          assert.deepEqual(await target.get(), stored, `${what} (set)`);
          continue;
        }
        const [Class, message] = expected as [new () => Error, RegExp];
        const refused = (e: unknown): boolean => e instanceof Class && message.test((e).message);
        assert.throws(() => new Value(code as TypeCode, value as never), refused, `${what} (constructor)`);
        await assert.rejects(target.set(value as never), refused, `${what} (set)`);
        assert.throws(() => {
          target.value = value as never;
        }, refused, `${what} (value setter)`);
        assert.throws(() => new SharedArray(code as TypeCode, [value] as never), refused, `${what} (Array)`);
        await assert.rejects(array.set(0, value as never), refused, `${what} (Array set)`);
      }
    }
  });

  test('VAL-02 the default lock is an RLock; lock: <Lock> uses that lock; lock: false has none; a bad lock is a TypeError', () => {
    assert.ok(new Value('i', 0).getLock() instanceof RLock);
    const lock = new Lock();
    assert.equal(new Value('i', 0, { lock }).getLock(), lock);
    const raw = new Value('i', 0, { lock: false });
    assert.throws(() => raw.getLock(), (e: unknown) => e instanceof TypeError && /lock: false/.test(e.message));
    assert.equal(raw.getObj(), raw);
    assert.throws(() => new Value('i', 0, { lock: 'bad' as never }), (e: unknown) => e instanceof TypeError);
  });

  test('VAL-03 four processes × 100 increments under the lock give 400 (async forms and blocking forms)', async () => {
    const counter = new Value('i', 0);
    const children = [
      new Process({ target: tasks.increment, args: [counter, 100] }),
      new Process({ target: tasks.increment, args: [counter, 100] }),
      new Process({ target: tasks.incrementSync, args: [counter, 100] }),
      new Process({ target: tasks.incrementSync, args: [counter, 100] }),
    ];
    for (const c of children) c.start();
    for (const c of children) await c.join();
    assert.deepEqual(children.map((c) => c.exitcode), [0, 0, 0, 0]);
    assert.equal(counter.value, 400);
  });
});

describe('Array', () => {
  test("ARR-01 length, indexing (negative too), slices and slice assignment; a child's changes are visible", async () => {
    const arr = new SharedArray('i', [1, 2, 3, 4]);
    assert.equal(arr.length, 4);
    assert.equal(await arr.get(-1), 4);
    assert.deepEqual(await arr.slice(1, 3), [2, 3]);
    await arr.setSlice(1, [20, 30]);
    assert.deepEqual(await arr.toArray(), [1, 20, 30, 4]);
    await assert.rejects(arr.setSlice(3, [1, 2]), (e: unknown) => e instanceof ValueError && e.message === 'Can only assign sequence of same size');
    await assert.rejects(arr.get(4), (e: unknown) => e instanceof RangeError);
    const p = new Process({ target: tasks.doubleArray, args: [arr] });
    p.start();
    await p.join();
    assert.deepEqual(arr.toArraySync(), [2, 40, 60, 8]);
    const seen: number[] = [];
    for await (const x of arr) seen.push(x);
    assert.deepEqual(seen, [2, 40, 60, 8]);
  });

  test('ARR-02 Array(typecode, n) is zero-filled', async () => {
    const arr = new SharedArray('d', 3);
    assert.deepEqual(await arr.toArray(), [0, 0, 0]);
    const chars = new SharedArray('c', 'hey');
    assert.deepEqual(await chars.toArray(), [104, 101, 121]);
  });

  test('ARR-03 Array takes the same lock options as Value', () => {
    assert.ok(new SharedArray('i', 2).getLock() instanceof RLock);
    const lock = new Lock();
    assert.equal(new SharedArray('i', 2, { lock }).getLock(), lock);
    assert.throws(() => new SharedArray('i', 2, { lock: false }).getLock(), (e: unknown) => e instanceof TypeError);
  });
});
