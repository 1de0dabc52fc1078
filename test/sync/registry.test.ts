import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ValueError } from '../../src/errors.js';
import { adoptRegistry, deadlockDetection, processRegistry, setDeadlockDetection } from '../../src/sync/registry.js';
import { Lock } from '../../src/threading/lock.js';
import { startAgent } from '../fixtures/sync/harness.js';

test('processRegistry() is one SharedArrayBuffer per process; the detection switch lives in it', () => {
  const registry = processRegistry();
  assert.ok(registry instanceof SharedArrayBuffer);
  assert.equal(processRegistry(), registry);
  assert.equal(deadlockDetection(), true);
  setDeadlockDetection(false);
  assert.equal(deadlockDetection(), false);
  setDeadlockDetection(true);
  assert.equal(deadlockDetection(), true);
});

test('adoptRegistry() accepts only a registry', () => {
  assert.throws(() => adoptRegistry(new SharedArrayBuffer(8)), ValueError);
  assert.throws(() => adoptRegistry(new SharedArrayBuffer(processRegistry().byteLength)), ValueError);
  assert.throws(() => adoptRegistry({} as SharedArrayBuffer), ValueError);
  adoptRegistry(processRegistry()); // adopting one's own is harmless
});

test('a worker that did not adopt the registry joins it with the first lock it receives', async () => {
  const lonely = await startAgent('Lonely', { registry: false });
  try {
    const before = new Lock().name;
    const names = await lonely.run((lib, received: Lock) => [received.name, new lib.Lock().name], new Lock({ name: 'gift' }));
    const after = new Lock().name;
    const n = (name: string): number => Number(/^Lock-(\d+)$/.exec(name)![1]);
    assert.equal(names[0], 'gift');
    assert.ok(n(names[1]!) > n(before) && n(after) > n(names[1]!), `${before} ${names[1]} ${after}`);
  } finally {
    await lonely.terminate();
  }
});

test('the table of threads: a thread that ended is known by its name; unknown ones by ident; the oldest ended entries are reused first', async () => {
  const { registerThread, markThreadEnded, endedThread } = await import('../../src/sync/registry.js');
  const { THREAD_COUNT } = await import('../../src/sync/thread-table.js');
  // A registry of its own, so that the process's table is not filled.
  const sab = new SharedArrayBuffer(processRegistry().byteLength);
  const reg = new Int32Array(sab);
  reg.set(new Int32Array(processRegistry()).subarray(0, 8));
  registerThread(reg, 101, 'Thread-1 (f)');
  assert.equal(endedThread(reg, 101), undefined);
  markThreadEnded(reg, 101);
  assert.equal(endedThread(reg, 101), 'Thread-1 (f)');
  markThreadEnded(reg, 102); // never registered
  assert.equal(endedThread(reg, 102), 'thread 101');
  for (let i = 0; i < THREAD_COUNT - 2; i++) registerThread(reg, 1000 + i, `T${i}`);
  markThreadEnded(reg, 1000);
  markThreadEnded(reg, 1001);
  // Full: the next threads take the entries of the threads that ended longest ago (101, then 102…).
  registerThread(reg, 5000, 'new-1');
  registerThread(reg, 5001, 'new-2');
  assert.equal(endedThread(reg, 101), undefined);
  assert.equal(endedThread(reg, 102), undefined);
  assert.equal(endedThread(reg, 1000), 'T0');
  assert.equal(endedThread(reg, 1001), 'T1');
  markThreadEnded(reg, 5001);
  assert.equal(endedThread(reg, 5001), 'new-2');
  assert.equal(endedThread(reg, 5000), undefined);
});
