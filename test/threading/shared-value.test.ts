import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { inspect } from 'node:util';
import {
  Array as SharedArray, RawArray, RawSharedValue, RawValue, SynchronizedArray, SynchronizedValue, Value, type Typecode,
} from '../../src/threading/shared-value.js';
import { Lock } from '../../src/threading/lock.js';
import { Barrier } from '../../src/threading/barrier.js';
import { RLock } from '../../src/threading/rlock.js';
import { startAgents, stopAll, type Agent } from '../fixtures/sync/harness.js';
import { CTYPE_CASES, label } from '../fixtures/sync/ctype-cases.js';

let agents: Agent[] = [];
before(async () => {
  agents = await startAgents(4);
});
after(() => stopAll(agents));
const agent = (i: number): Agent => agents[i]!;

test("VAL-01 a Value keeps its value and a worker's write is seen by the parent, for 'i', 'd', 'h', 'q', 'c'", async () => {
  const values = {
    i: Value('i', 7),
    d: Value('d', 1.25),
    h: Value('h', -3),
    q: Value('q', 2n ** 40n),
    c: Value('c', 'x'),
  };
  assert.deepEqual([values.i.value, values.d.value, values.h.value, values.q.value, values.c.value], [7, 1.25, -3, 2n ** 40n, 'x']);
  await agent(0).run((_, v: typeof values) => {
    v.i.value = -7;
    v.d.value = Math.PI;
    v.h.value = 300;
    v.q.value = -(2n ** 62n);
    v.c.value = 'y';
  }, values);
  assert.deepEqual([values.i.value, values.d.value, values.h.value, values.q.value, values.c.value], [-7, Math.PI, 300, -(2n ** 62n), 'y']);
  const raw = RawValue('d', 0.5);
  await agent(0).run((_, r: RawSharedValue<'d'>) => {
    r.value *= 4;
  }, raw);
  assert.equal(raw.value, 2);
  assert.equal(Value('i').value, 0);
  assert.equal(RawValue('c').value, '\0');
});

test('VAL-02 a Value has getLock() (an RLock by default) and getObj(); lock: a Lock is used; lock: false gives a raw value', () => {
  const v = Value('i', 1);
  assert.ok(v instanceof SynchronizedValue);
  assert.ok(v.getLock() instanceof RLock);
  const obj = v.getObj();
  assert.ok(obj instanceof RawSharedValue);
  obj.value = 5;
  assert.equal(v.value, 5);
  const lock = new Lock();
  assert.equal(Value('i', 0, { lock }).getLock(), lock);
  const raw = Value('i', 3, { lock: false });
  assert.ok(raw instanceof RawSharedValue);
  assert.equal('getLock' in raw, false);
  assert.equal('getObj' in raw, false);
  assert.throws(() => Value('i', 0, { lock: 'bad' as unknown as Lock }), (e: unknown) =>
    e instanceof TypeError && e.message === "'bad' has no method 'acquire'");
  assert.throws(() => Value('z' as 'i', 0), TypeError);
  assert.equal(inspect(Value('d', 1.5)), "Value('d', 1.5)");
  assert.equal(String(RawValue('q', 3n)), "RawValue('q', 3n)");
});

test('VAL-03 `value += 1` is correct under contention only inside the lock: 4 threads x 100,000 increments', async () => {
  const perThread = 100_000;
  const counter = Value('i', 0);
  const start = new Barrier(4); // all four really run at the same time
  await Promise.all(agents.map((a) => a.run((_, v: SynchronizedValue<'i'>, go: Barrier, n: number) => {
    const lock = v.getLock();
    go.waitSync();
    for (let i = 0; i < n; i++) {
      lock.acquireSync();
      v.value += 1;
      lock.release();
    }
  }, counter, start, perThread)));
  assert.equal(counter.value, 4 * perThread);

  // Without the lock, read-spin-write loses updates.
  const racy = Value('i', 0);
  await Promise.all(agents.map((a) => a.run((lib, v: SynchronizedValue<'i'>, go: Barrier, n: number) => {
    go.waitSync();
    for (let i = 0; i < n; i++) {
      const seen = v.value;
      lib.spin(100);
      v.value = seen + 1;
    }
  }, racy, start, perThread)));
  assert.ok(racy.value < 4 * perThread, `no update lost: ${racy.value}`);
});

test('ARR-01 an Array supports length, indexing, slicing and slice assignment; a worker\'s changes are seen', async () => {
  const arr = SharedArray('i', [1, 2, 3, 4, 5]);
  assert.ok(arr instanceof SynchronizedArray);
  assert.equal(arr.length, 5);
  assert.equal(arr.get(0), 1);
  assert.equal(arr.get(-1), 5);
  assert.throws(() => arr.get(5), RangeError);
  assert.deepEqual(arr.slice(1, 3), [2, 3]);
  assert.deepEqual(arr.slice(-2), [4, 5]);
  arr.setSlice(1, [20, 30]);
  assert.deepEqual([...arr], [1, 20, 30, 4, 5]);
  assert.throws(() => arr.setSlice(4, [1, 2]), RangeError);
  assert.equal(arr.getObj()[2], 30);
  await agent(1).run((_, a: SynchronizedArray<'i'>) => {
    a.set(0, 100);
    a.getObj()[4] = 500;
    a.setSlice(-2, [40, 50]);
  }, arr);
  assert.deepEqual(arr.toArray(), [100, 20, 30, 40, 50]);
  const raw = RawArray('d', [0.5, 1.5]);
  assert.ok(raw instanceof Float64Array);
  await agent(1).run((_, r: Float64Array) => {
    r[1] = -1;
  }, raw);
  assert.deepEqual([...raw], [0.5, -1]);
  const chars = RawArray('c', 'hi');
  assert.deepEqual([...chars], [104, 105]);
  assert.equal(inspect(SharedArray('q', [1n, 2n])), "Array('q', [1n, 2n])");
});

test('ARR-02 Array(typecode, n) is zero-filled', () => {
  for (const code of ['b', 'B', 'h', 'H', 'i', 'I', 'f', 'd', 'c'] as const) {
    assert.deepEqual(SharedArray(code, 4).toArray(), [0, 0, 0, 0], code);
  }
  assert.deepEqual(SharedArray('q', 2).toArray(), [0n, 0n]);
  assert.deepEqual([...RawArray('L', 2)], [0n, 0n]);
  assert.throws(() => RawArray('i', -1), RangeError);
});

test('ARR-03 Array takes the same lock options as Value', () => {
  assert.ok(SharedArray('i', 2).getLock() instanceof RLock);
  const lock = new Lock();
  assert.equal(SharedArray('i', 2, { lock }).getLock(), lock);
  const raw = SharedArray('i', 2, { lock: false });
  assert.ok(raw instanceof Int32Array);
  assert.ok(raw.buffer instanceof SharedArrayBuffer);
  assert.throws(() => SharedArray('i', 2, { lock: 42 as unknown as Lock }), TypeError);
});

test('element reads and writes are atomic for every typecode, floats included', async () => {
  const doubles = SharedArray('d', 1);
  // One writer flips between two values whose halves differ; readers must only ever see one of them.
  const a = 1.0000000000000002;
  const b = -123456789.5;
  const writer = agent(2).run((_, d: SynchronizedArray<'d'>, x: number, y: number) => {
    for (let i = 0; i < 200_000; i++) d.set(0, i % 2 === 0 ? x : y);
  }, doubles, a, b);
  const torn = await agent(3).run((_, d: SynchronizedArray<'d'>, x: number, y: number) => {
    let bad = 0;
    for (let i = 0; i < 200_000; i++) {
      const seen = d.get(0);
      if (seen !== x && seen !== y && seen !== 0) bad++;
    }
    return bad;
  }, doubles, a, b);
  await writer;
  assert.equal(torn, 0);
});

test('every type code stores what CPython\'s ctypes stores and refuses what it refuses: initial value, value setter, Array', () => {
  for (const [code, cases] of Object.entries(CTYPE_CASES)) {
    if (code === 'u') continue; // threading's typecodes are the array module's, without 'u'
    const typecode = code as Typecode;
    const target = Value(typecode);
    const array = SharedArray(typecode, 1);
    for (const [value, ...expected] of cases) {
      const what = label(code, value);
      if (expected.length === 1) {
        const stored = expected[0];
        assert.deepEqual(RawValue(typecode, value as never).value, stored, what);
        target.value = value as never;
        assert.deepEqual(target.value, stored, `${what} (setter)`);
        continue;
      }
      const [Class, message] = expected as [new () => Error, RegExp];
      const refused = (e: unknown): boolean => e instanceof Class && message.test((e).message);
      assert.throws(() => Value(typecode, value as never), refused, `${what} (initial)`);
      assert.throws(() => {
        target.value = value as never;
      }, refused, `${what} (setter)`);
      assert.throws(() => SharedArray(typecode, [value] as never), refused, `${what} (Array)`);
      assert.throws(() => array.set(0, value as never), refused, `${what} (Array set)`);
    }
  }
});
