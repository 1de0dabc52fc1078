import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { waitAsync, waitSync, wake } from '../../src/sync/futex.js';
import { delay, sharedInts, startAgents, stopAll, type Agent } from '../fixtures/sync/harness.js';

let agents: Agent[] = [];
before(async () => {
  agents = await startAgents(1);
});
after(() => stopAll(agents));

test('waitSync: not-equal at once, timed-out only at the deadline, ok when another thread wakes it', async () => {
  const slots = sharedInts(2);
  slots[0] = 1;
  assert.equal(waitSync(slots, 0, 0, Infinity), 'not-equal');
  const start = performance.now();
  assert.equal(waitSync(slots, 1, 0, performance.now() + 100), 'timed-out');
  assert.ok(performance.now() - start >= 100);
  // A worker blocked on a slot with a deadline beyond 2^31-1 ms: it must not return early.
  const blocked = agents[0]!.run((lib, s: Int32Array) => lib.waitSync(s, 1, 0, performance.now() + 2 ** 31 + 1000), slots);
  assert.equal(await Promise.race([blocked, delay(200)]), 'later');
  Atomics.store(slots, 1, 1);
  wake(slots, 1);
  assert.equal(await blocked, 'ok');
});

test('waitAsync: not-equal, timed-out and ok, without blocking the thread', async () => {
  const slots = sharedInts(2);
  assert.equal(await waitAsync(slots, 0, 5, Infinity), 'not-equal');
  const start = performance.now();
  assert.equal(await waitAsync(slots, 0, 0, performance.now() + 100), 'timed-out');
  assert.ok(performance.now() - start >= 100);
  const waiting = waitAsync(slots, 1, 0, Infinity);
  await agents[0]!.run((_, s: Int32Array) => {
    Atomics.store(s, 1, 1);
    return Atomics.notify(s, 1);
  }, slots);
  assert.equal(await waiting, 'ok');
});

test('an aborted waitAsync leaves no waiter behind to swallow a later single wake-up', async () => {
  const slots = sharedInts(1);
  const controller = new AbortController();
  const aborted = waitAsync(slots, 0, 0, Infinity, controller.signal);
  controller.abort(new Error('stop'));
  await assert.rejects(aborted, /stop/);
  const next = waitAsync(slots, 0, 0, performance.now() + 5000);
  assert.equal(wake(slots, 0, 1), 1);
  assert.equal(await next, 'ok');
  await assert.rejects(waitAsync(slots, 0, 0, Infinity, AbortSignal.abort(new Error('early'))), /early/);
});

test('wake returns how many waiters it woke, oldest first', async () => {
  const slots = sharedInts(2);
  const order: number[] = [];
  const waiters = [0, 1, 2].map((i) => waitAsync(slots, 0, 0, Infinity).then(() => order.push(i)));
  assert.equal(wake(slots, 0, 2), 2);
  await Promise.all(waiters.slice(0, 2));
  assert.deepEqual(order, [0, 1]);
  assert.equal(wake(slots, 0), 1);
  await Promise.all(waiters);
  assert.equal(wake(slots, 1), 0);
});

test('a pending async wait keeps the process alive until it ends', async () => {
  const script = new URL('../fixtures/sync/keep-alive.ts', import.meta.url);
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', script.pathname]);
  assert.match(stdout, /^timed-out after \d+ ms\n$/);
  assert.ok(Number(/after (\d+)/.exec(stdout)![1]) >= 200);
});
