import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { inspect } from 'node:util';
import { RuntimeError, TimeoutError, ValueError } from '../../src/errors.js';
import { Lock } from '../../src/threading/lock.js';
import { delay, sharedInts, startAgents, stateOf, stopAll, until, type Agent } from '../fixtures/sync/harness.js';

let agents: Agent[] = [];
before(async () => {
  agents = await startAgents(3);
});
after(() => stopAll(agents));
const agent = (i: number): Agent => agents[i]!;

test('LOCK-01 acquire() returns true; a non-blocking acquire of a held lock returns false, even in the holder', async () => {
  const lock = new Lock();
  assert.equal(await lock.acquire(), true);
  assert.equal(await lock.acquire({ blocking: false }), false);
  assert.equal(lock.acquireSync({ blocking: false }), false);
  const seen = await agent(0).run((_, l: Lock) => [l.acquireSync({ blocking: false }), l.locked()], lock);
  assert.deepEqual(seen, [false, true]);
  lock.release();
  const got = await agent(0).run((_, l: Lock) => {
    const first = l.acquireSync();
    l.release();
    return first;
  }, lock);
  assert.equal(got, true);
  assert.equal(lock.locked(), false);
});

test('LOCK-02 release() of an unlocked Lock throws RuntimeError', () => {
  const lock = new Lock();
  assert.throws(() => lock.release(), (e: unknown) => e instanceof RuntimeError && e.message === 'release unlocked lock');
  lock.acquireSync();
  lock.release();
  assert.throws(() => lock.release(), RuntimeError);
});

test('LOCK-03 a Lock has no owner: another thread may release it', async () => {
  const lock = new Lock();
  await agent(0).run((_, l: Lock) => l.acquireSync(), lock);
  assert.equal(lock.locked(), true);
  lock.release();
  assert.equal(lock.locked(), false);
  await lock.acquire();
  await agent(1).run((_, l: Lock) => l.release(), lock);
  assert.equal(lock.locked(), false);
});

test('LOCK-04 a Lock is not reentrant: with detection off the re-acquire blocks until another thread releases it', async () => {
  // Python mode. With detection on (the default), the same call throws DeadlockError: see deadlock.test.ts.
  const lock = new Lock({ detectDeadlock: false });
  const result = agent(0).run((_, l: Lock) => {
    l.acquireSync();
    return l.acquireSync();
  }, lock);
  // State 2 = "locked, a waiter sleeps": the worker is blocked in its second acquire.
  await until(() => Atomics.load(stateOf(lock), 0) === 2);
  lock.release();
  assert.equal(await result, true);
  assert.equal(lock.locked(), true);
  lock.release();
});

test('LOCK-05 a timed acquire returns false after about the timeout, with the state intact; bad timeouts throw', async () => {
  const lock = new Lock();
  await lock.acquire();
  let start = performance.now();
  assert.equal(await lock.acquire({ timeout: 200 }), false);
  let elapsed = performance.now() - start;
  assert.ok(elapsed >= 120 && elapsed < 5000, `elapsed ${elapsed}`);
  assert.equal(lock.locked(), true);
  const remote = await agent(0).run((_, l: Lock) => {
    const t0 = performance.now();
    return [l.acquireSync({ timeout: 200 }), performance.now() - t0] as const;
  }, lock);
  assert.equal(remote[0], false);
  assert.ok(remote[1] >= 120 && remote[1] < 5000, `elapsed ${remote[1]}`);
  assert.equal(lock.locked(), true);

  await assert.rejects(lock.acquire({ blocking: false, timeout: 1 }), (e: unknown) =>
    e instanceof ValueError && e.message === "can't specify a timeout for a non-blocking call");
  assert.throws(() => lock.acquireSync(-1), (e: unknown) => e instanceof ValueError && /got -1/.test(e.message));
  assert.throws(() => lock.acquireSync(Number.NaN), (e: unknown) => e instanceof ValueError && /got NaN/.test(e.message));

  // Longer than 2^31-1 ms: Node's setTimeout would fire it after 1 ms; it must stay pending.
  const long = lock.acquire({ timeout: 2 ** 31 + 5000 });
  assert.equal(await Promise.race([long.then(() => 'settled'), delay(300)]), 'later');
  start = performance.now();
  lock.release();
  assert.equal(await long, true);
  elapsed = performance.now() - start;
  assert.ok(elapsed < 5000);
  lock.release();
});

test('LOCK-06 several blocked acquirers all get through, one at a time, after release', async () => {
  const lock = new Lock();
  const shared = sharedInts(3); // [inside, most inside at once, passed]
  await lock.acquire();
  const runs = agents.map((a) =>
    a.run((lib, l: Lock, s: Int32Array) => {
      l.acquireSync();
      const inside = Atomics.add(s, 0, 1) + 1;
      if (inside > Atomics.load(s, 1)) Atomics.store(s, 1, inside);
      lib.spin(200_000);
      Atomics.sub(s, 0, 1);
      Atomics.add(s, 2, 1);
      l.release();
      return true;
    }, lock, shared));
  await until(() => Atomics.load(stateOf(lock), 0) === 2);
  lock.release();
  assert.deepEqual(await Promise.all(runs), [true, true, true]);
  assert.equal(shared[2], 3);
  assert.equal(shared[1], 1);
  assert.equal(lock.locked(), false);
});

test('LOCK-07 hold() and holdSync() release at scope exit, also on throw; withLock and withLockSync too', async () => {
  const lock = new Lock();
  {
    using held = lock.holdSync();
    assert.equal(held.held, true);
    assert.equal(lock.locked(), true);
  }
  assert.equal(lock.locked(), false);
  await (async () => {
    await using _held = await lock.hold();
    assert.equal(lock.locked(), true);
  })();
  assert.equal(lock.locked(), false);
  assert.throws(() => {
    using _held = lock.holdSync();
    throw new Error('boom');
  }, /boom/);
  assert.equal(lock.locked(), false);
  assert.equal(await lock.withLock(() => lock.locked()), true);
  await assert.rejects(lock.withLock(() => Promise.reject(new Error('async boom'))), /async boom/);
  assert.equal(lock.withLockSync(() => 42), 42);
  assert.equal(lock.locked(), false);
  // A hold that cannot be taken in time throws instead of running the block.
  await lock.acquire();
  await assert.rejects(lock.hold({ timeout: 50 }), TimeoutError);
  assert.throws(() => lock.holdSync({ blocking: false }), TimeoutError);
  lock.release();
  // The same in a worker thread, with the callback form.
  const inWorker = await agent(0).run((_, l: Lock) => {
    const during = l.withLockSync(() => l.locked());
    return [during, l.locked()];
  }, lock);
  assert.deepEqual(inWorker, [true, false]);
});

test('LOCK-08 locked() gives the state, seen from every thread; repr is <Lock locked> / <Lock unlocked>', async () => {
  const lock = new Lock({ name: 'output' });
  assert.equal(lock.locked(), false);
  assert.equal(String(lock), '<Lock unlocked>');
  assert.equal(inspect(lock), '<Lock unlocked>');
  await agent(2).run((_, l: Lock) => l.acquireSync(), lock);
  assert.equal(lock.locked(), true);
  assert.equal(inspect(lock), '<Lock locked>');
  assert.equal(await agent(1).run((_, l: Lock) => String(l), lock), '<Lock locked>');
  lock.release();
  assert.equal(lock.name, 'output');
});

test('an aborted acquire() rejects with the reason and leaves no trace: the next release still wakes a waiter', async () => {
  const lock = new Lock();
  await lock.acquire();
  const controller = new AbortController();
  const aborted = lock.acquire({ signal: controller.signal });
  const waiter = lock.acquire();
  controller.abort(new Error('stop'));
  await assert.rejects(aborted, /stop/);
  lock.release();
  assert.equal(await waiter, true);
  lock.release();
  await assert.rejects(lock.acquire({ signal: AbortSignal.abort(new Error('already')) }), /already/);
  assert.equal(lock.locked(), false);
});

test('an async re-acquire by the holding thread waits for the other task instead of throwing', async () => {
  const lock = new Lock();
  await lock.acquire();
  const second = lock.acquire();
  assert.equal(await Promise.race([second, delay(50)]), 'later');
  lock.release();
  assert.equal(await second, true);
  lock.release();
  // Two tasks of one thread using withLock take turns.
  const order: string[] = [];
  await Promise.all(['a', 'b'].map((name) => lock.withLock(async () => {
    order.push(`${name}+`);
    await delay(10);
    order.push(`${name}-`);
  })));
  assert.deepEqual(order, ['a+', 'a-', 'b+', 'b-']);
});
