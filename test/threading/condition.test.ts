import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { RuntimeError } from '../../src/errors.js';
import { Value, type SynchronizedValue } from '../../src/threading/shared-value.js';
import { Condition } from '../../src/threading/condition.js';
import { Lock } from '../../src/threading/lock.js';
import { RLock } from '../../src/threading/rlock.js';
import { delay, sharedInts, startAgents, stopAll, until, type Agent } from '../fixtures/sync/harness.js';

let agents: Agent[] = [];
before(async () => {
  agents = await startAgents(3);
});
after(() => stopAll(agents));
const agent = (i: number): Agent => agents[i]!;

const waiters = (cond: Condition): number => Number(/waiters=(\d+)/.exec(String(cond))![1]);

test('COND-01 the default lock is an RLock; Condition(lock) acquires the given lock', async () => {
  const cond = new Condition();
  assert.ok(cond.lock instanceof RLock);
  assert.equal(cond.acquireSync(), true);
  assert.equal(await cond.acquire(), true);
  cond.release();
  cond.release();
  const lock = new Lock();
  const over = new Condition(lock);
  assert.equal(over.lock, lock);
  await over.acquire();
  assert.equal(lock.locked(), true);
  // The copy a worker receives shares the lock's memory.
  assert.equal(await agent(0).run((_, c: Condition) => c.acquireSync({ blocking: false }), over), false);
  over.release();
  assert.equal(lock.locked(), false);
  assert.throws(() => new Condition({} as Lock), TypeError);
});

test('COND-02 wait and notify without the lock throw RuntimeError', async () => {
  const cond = new Condition();
  const waitError = (e: unknown): boolean => e instanceof RuntimeError && e.message === 'cannot wait on un-acquired lock';
  const notifyError = (e: unknown): boolean => e instanceof RuntimeError && e.message === 'cannot notify on un-acquired lock';
  await assert.rejects(cond.wait(), waitError);
  assert.throws(() => cond.waitSync(10), waitError);
  assert.throws(() => cond.notify(), notifyError);
  assert.throws(() => cond.notifyAll(), notifyError);
  // Held by another thread is not held by the caller.
  await agent(0).run((_, c: Condition) => c.acquireSync(), cond);
  assert.throws(() => cond.notify(), notifyError);
  await agent(0).run((_, c: Condition) => c.release(), cond);
});

test('COND-03 wait() releases an RLock held twice completely and takes it back at the same level', async () => {
  const cond = new Condition();
  cond.acquireSync();
  cond.acquireSync();
  const waiting = cond.wait();
  const gotIt = await agent(0).run((_, c: Condition) => {
    const free = c.acquireSync({ blocking: false });
    c.notify();
    c.release();
    return free;
  }, cond);
  assert.equal(gotIt, true);
  assert.equal(await waiting, true);
  assert.equal(String(cond.lock), '<RLock locked owner=0 count=2>');
  cond.release();
  cond.release();
  assert.equal(cond.lock.locked(), false);
});

test('COND-04 notify(n) wakes at most n waiters, notifyAll() all of them; a notified wait returns true', async () => {
  const cond = new Condition();
  const counts = sharedInts(2); // [entered, woken]
  const remote = agents.map((a) =>
    a.run((_, c: Condition, s: Int32Array) => c.withLockSync(() => {
      Atomics.add(s, 0, 1);
      const notified = c.waitSync();
      Atomics.add(s, 1, 1);
      return notified;
    }), cond, counts));
  const local = cond.withLock(async () => {
    Atomics.add(counts, 0, 1);
    const notified = await cond.wait();
    Atomics.add(counts, 1, 1);
    return notified;
  });
  await until(() => Atomics.load(counts, 0) === 4);
  await cond.withLock(() => {
    assert.equal(waiters(cond), 4);
    cond.notify();
    assert.equal(waiters(cond), 3);
  });
  await until(() => Atomics.load(counts, 1) === 1);
  await cond.withLock(() => {
    cond.notify(2);
    assert.equal(waiters(cond), 1);
  });
  await until(() => Atomics.load(counts, 1) === 3);
  await cond.withLock(() => {
    cond.notifyAll();
    assert.equal(waiters(cond), 0);
    cond.notify(5); // nobody waits: nothing happens
  });
  assert.deepEqual(await Promise.all([...remote, local]), [true, true, true, true]);
  assert.equal(Atomics.load(counts, 1), 4);
});

test('COND-05 wait(timeout) returns false after about the timeout, with the lock taken back', async () => {
  const cond = new Condition();
  await cond.acquire();
  const start = performance.now();
  assert.equal(await cond.wait(200), false);
  const elapsed = performance.now() - start;
  assert.ok(elapsed >= 120 && elapsed < 5000, `elapsed ${elapsed}`);
  assert.equal(String(cond.lock), '<RLock locked owner=0 count=1>');
  cond.release();
  const remote = await agent(0).run((_, c: Condition) => c.withLockSync(() => {
    const t0 = performance.now();
    const notified = c.waitSync(200);
    return [notified, performance.now() - t0, c.lock.locked()] as const;
  }), cond);
  assert.equal(remote[0], false);
  assert.ok(remote[1] >= 120 && remote[1] < 5000, `elapsed ${remote[1]}`);
  assert.equal(remote[2], true);
  assert.equal(waiters(cond), 0);
});

test("COND-06 waitFor checks the predicate first, waits until it is truthy and returns its last value", async () => {
  const cond = new Condition();
  assert.equal(await cond.withLock(() => cond.waitFor(() => 5)), 5);
  const level = Value('i', 0);
  const remote = agent(1).run((_, c: Condition, v: SynchronizedValue<'i'>) =>
    c.withLockSync(() => c.waitForSync(() => (v.value >= 3 ? v.value : 0))), cond, level);
  for (let i = 1; i <= 3; i++) {
    await cond.withLock(() => {
      level.value = i;
      cond.notifyAll();
    });
  }
  assert.equal(await remote, 3);
  // Timing out returns the falsy last value, after about the timeout.
  const start = performance.now();
  assert.equal(await cond.withLock(() => cond.waitFor(() => 0, 200)), 0);
  const elapsed = performance.now() - start;
  assert.ok(elapsed >= 120 && elapsed < 5000, `elapsed ${elapsed}`);
  const remoteTimeout = await agent(1).run((_, c: Condition) => c.withLockSync(() => c.waitForSync(() => '', 100)), cond);
  assert.equal(remoteTimeout, '');
});

test('COND-07 waiters wake in FIFO order, and only once the notifier has released the lock', async () => {
  const cond = new Condition();
  const log = sharedInts(4); // [woken, order0, order1, order2]
  const remote: Promise<boolean>[] = [];
  for (let i = 0; i < 3; i++) {
    remote.push(agent(i).run((_, c: Condition, s: Int32Array, me: number) => c.withLockSync(() => {
      const notified = c.waitSync();
      Atomics.store(s, 1 + Atomics.add(s, 0, 1), me);
      return notified;
    }), cond, log, i));
    // The next one starts only once this one is queued.
    await until(() => waiters(cond) === i + 1);
  }
  for (let i = 0; i < 3; i++) {
    await cond.withLock(async () => {
      cond.notify();
      // The woken waiter needs the lock back: it cannot return while the notifier holds it.
      await delay(30);
      assert.equal(Atomics.load(log, 0), i);
    });
    await until(() => Atomics.load(log, 0) === i + 1);
  }
  assert.deepEqual(await Promise.all(remote), [true, true, true]);
  assert.deepEqual([...log.subarray(1)], [0, 1, 2]);
});

test('an aborted wait withdraws its ticket and takes the lock back; a notify is not lost on it', async () => {
  const cond = new Condition(new Lock());
  const controller = new AbortController();
  await cond.acquire();
  const aborted = cond.wait({ signal: controller.signal });
  const other = cond.withLock(() => cond.wait());
  await until(() => waiters(cond) === 1);
  controller.abort(new Error('stop'));
  await assert.rejects(aborted, /stop/);
  assert.equal(cond.lock.locked(), true);
  cond.release();
  await until(() => waiters(cond) === 1);
  await cond.withLock(() => cond.notify());
  assert.equal(await other, true);
});
