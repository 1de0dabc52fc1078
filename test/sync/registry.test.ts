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
