import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, test } from 'node:test';
import type { Worker } from 'node:worker_threads';
import { processRegistry } from '../../src/sync/registry.js';
import { hasShareables, isShareable, registerShareable, reviveShareables, SHAREABLE_TAG } from '../../src/sync/shareable.js';
import { Array as SharedArray, RawArray, RawValue, Value } from '../../src/threading/shared-value.js';
import { Barrier } from '../../src/threading/barrier.js';
import { Condition } from '../../src/threading/condition.js';
import { Event } from '../../src/threading/event.js';
import { Lock } from '../../src/threading/lock.js';
import { RLock } from '../../src/threading/rlock.js';
import { BoundedSemaphore, Semaphore } from '../../src/threading/semaphore.js';
import { tsWorker } from '../fixtures/sync/harness.js';

class Point {
  readonly __ct = 'test.Point';
  constructor(readonly x: number) {}
}
registerShareable('test.Point', (wire: { x: number }) => new Point(wire.x));

test('isShareable and hasShareables recognise tagged objects, live or cloned', () => {
  const lock = new Lock();
  assert.equal(SHAREABLE_TAG, '__ct');
  assert.equal(isShareable(lock), true);
  assert.equal(isShareable(structuredClone(lock)), true);
  assert.equal(isShareable({ __ct: 3 }), false);
  assert.equal(isShareable(null), false);
  assert.equal(hasShareables([1, { a: new Map([['k', new Set([structuredClone(lock)])]]) }]), true);
  assert.equal(hasShareables({ a: [1, 2, { b: 'c' }], t: new Int32Array(4) }), false);
});

test('reviveShareables rebuilds tagged objects in arrays, objects, Maps and Sets, keeping identity', () => {
  const wire = { __ct: 'test.Point', x: 1 };
  const key = { __ct: 'test.Point', x: 2 };
  const bytes = new Uint8Array([1, 2]);
  const tree = { list: [wire, wire], map: new Map<unknown, unknown>([[key, wire]]), set: new Set([wire]), bytes, when: new Date(0) };
  const revived = reviveShareables(tree);
  assert.equal(revived, tree);
  assert.ok(revived.list[0] instanceof Point);
  assert.equal(revived.list[0], revived.list[1]);
  const [mapKey, mapValue] = [...revived.map][0]!;
  assert.ok(mapKey instanceof Point && mapKey.x === 2);
  assert.equal(mapValue, revived.list[0]);
  assert.equal([...revived.set][0], revived.list[0]);
  assert.equal(revived.bytes, bytes);
  // The top level may itself be replaced; unknown tags and cycles are left alone.
  assert.ok(reviveShareables({ __ct: 'test.Point', x: 5 }) instanceof Point);
  const unknown = { __ct: 'nobody.Knows', y: 1 };
  assert.equal(reviveShareables(unknown), unknown);
  const cyclic: Record<string, unknown> = { p: { __ct: 'test.Point', x: 3 } };
  cyclic.self = cyclic;
  const back = reviveShareables(cyclic);
  assert.equal(back.self, back);
  assert.ok(back.p instanceof Point);
});

test("a primitive's own enumerable fields are its wire state: structuredClone keeps the tag and drops functions", () => {
  const barrier = new Barrier(2, { action: () => undefined });
  const wire = structuredClone(barrier) as unknown as Record<string, unknown>;
  assert.equal(wire.__ct, 'threading.Barrier');
  for (const value of Object.values(wire)) assert.notEqual(typeof value, 'function');
  for (const primitive of [new Lock(), new RLock(), new Condition(), new Semaphore(), new BoundedSemaphore(), new Event(), Value('i'), SharedArray('i', 2), RawValue('i')]) {
    const clone = structuredClone(primitive) as unknown as Record<string, unknown>;
    assert.equal(typeof clone.__ct, 'string', primitive.constructor.name);
    assert.equal(Object.getPrototypeOf(clone), Object.prototype);
  }
});

// ---------------------------------------------------------------------------------------------
// Each primitive crosses to a bare worker by plain postMessage and arrives working: same memory.

let worker: Worker;
before(async () => {
  worker = tsWorker(new URL('../fixtures/sync/contract-worker.ts', import.meta.url), {
    workerData: { registry: processRegistry() },
  });
  await once(worker, 'message');
});
after(() => worker.terminate());

async function ask(action: string, value: unknown): Promise<any> {
  worker.postMessage({ action, value });
  const [reply] = (await once(worker, 'message')) as [{ ok: boolean; result: unknown }];
  if (!reply.ok) throw new Error(String(reply.result));
  return reply.result;
}

test('contract: Lock arrives working and shares its state', async () => {
  const lock = new Lock();
  assert.equal(await ask('class', lock), 'Lock');
  assert.deepEqual(await ask('lock', lock), [true, '<Lock locked>']);
  assert.equal(lock.locked(), true);
  lock.release();
});

test('contract: RLock arrives working and shares its owner and count', async () => {
  const rlock = new RLock();
  assert.equal(await ask('rlock', rlock), '<RLock locked owner=N count=2>');
  assert.equal(rlock.acquireSync({ blocking: false }), false);
  assert.equal(await ask('rlock-release', rlock), '<RLock unlocked>');
  assert.equal(rlock.acquireSync({ blocking: false }), true);
  rlock.release();
});

test('contract: Condition arrives with its lock and can notify a waiter here', async () => {
  const cond = new Condition();
  await cond.acquire();
  const waiting = cond.wait();
  assert.equal(await ask('condition', cond), 'Condition <RLock locked owner=' + String(worker.threadId) + ' count=1, waiters=0>');
  assert.equal(await waiting, true);
  cond.release();
});

test('contract: Semaphore and BoundedSemaphore arrive working, with their bound', async () => {
  const sem = new Semaphore(2);
  assert.deepEqual(await ask('semaphore', sem), [true, 'Semaphore <value=1>']);
  assert.equal(sem.getValue(), 1);
  const bounded = new BoundedSemaphore(1);
  assert.equal(await ask('class', bounded), 'BoundedSemaphore');
  assert.equal(await ask('bounded', bounded), 'ValueError: Semaphore released too many times');
});

test('contract: Event arrives working and its set() is seen here', async () => {
  const event = new Event();
  const waiting = event.wait();
  assert.equal(await ask('event', event), 'Event <set>');
  assert.equal(await waiting, true);
});

test('contract: Barrier arrives working: both sides meet', async () => {
  const barrier = new Barrier(2);
  const [there, here] = await Promise.all([ask('barrier', barrier), barrier.wait()]);
  assert.deepEqual([there, here].sort(), [0, 1]);
});

test('contract: Value, RawValue, Array and RawArray arrive over the same memory', async () => {
  const value = Value('i', 41);
  assert.equal(await ask('value', value), "Value('i', 42)");
  assert.equal(value.value, 42);
  const raw = RawValue('c', 'a');
  assert.equal(await ask('raw-value', raw), "RawValue('c', \"z\")");
  assert.equal(raw.value, 'z');
  const arr = SharedArray('h', [1, 2, 3]);
  assert.deepEqual(await ask('array', arr), [1, 2, 99]);
  assert.equal(arr.get(2), 99);
  const typed = RawArray('i', 2);
  assert.equal(await ask('raw-array', typed), 'Int32Array');
  assert.equal(typed[0], 7);
});

test('contract: a primitive reached twice in one message arrives as one instance', async () => {
  const lock = new Lock();
  const result = await ask('nested', { pair: [lock, lock], byName: new Map([['l', lock]]) });
  assert.deepEqual(result, [true, true, '<Lock unlocked>']);
});
