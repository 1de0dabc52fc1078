import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { inspect } from 'node:util';
import { ValueError } from '../../src/errors.js';
import { BoundedSemaphore, Semaphore } from '../../src/threading/semaphore.js';
import { sharedInts, startAgents, stopAll, until, type Agent } from '../fixtures/sync/harness.js';

let agents: Agent[] = [];
before(async () => {
  agents = await startAgents(3);
});
after(() => stopAll(agents));
const agent = (i: number): Agent => agents[i]!;

const valueError = (message: string) => (e: unknown): boolean => e instanceof ValueError && e.message === message;

test('SEM-01 the default value is 1; a negative initial value throws ValueError', () => {
  const sem = new Semaphore();
  assert.equal(sem.getValue(), 1);
  assert.equal(sem.acquireSync({ blocking: false }), true);
  assert.equal(sem.acquireSync({ blocking: false }), false);
  assert.throws(() => new Semaphore(-1), valueError('semaphore initial value must be >= 0'));
  assert.throws(() => new BoundedSemaphore(-1), valueError('semaphore initial value must be >= 0'));
  assert.throws(() => new Semaphore(1.5), ValueError);
});

test('SEM-02 acquire decrements and blocks at 0; non-blocking and timed acquires give up; bad options throw', async () => {
  const sem = new Semaphore(2);
  assert.equal(await sem.acquire(), true);
  assert.equal(sem.acquireSync(), true);
  assert.equal(sem.getValue(), 0);
  assert.equal(await sem.acquire({ blocking: false }), false);
  const start = performance.now();
  assert.equal(await sem.acquire({ timeout: 200 }), false);
  const elapsed = performance.now() - start;
  assert.ok(elapsed >= 120 && elapsed < 5000, `elapsed ${elapsed}`);
  const remote = await agent(0).run((_, s: Semaphore) => {
    const t0 = performance.now();
    return [s.acquireSync(150), performance.now() - t0] as const;
  }, sem);
  assert.equal(remote[0], false);
  assert.ok(remote[1] >= 90, `elapsed ${remote[1]}`);
  await assert.rejects(sem.acquire({ blocking: false, timeout: 1 }), valueError("can't specify timeout for non-blocking acquire"));
  assert.throws(() => sem.acquireSync({ blocking: false, timeout: 1 }), ValueError);
  // A blocked acquirer in another thread gets through once a unit is released here.
  const blocked = agent(0).run((_, s: Semaphore) => s.acquireSync(), sem);
  sem.release();
  assert.equal(await blocked, true);
  assert.equal(sem.getValue(), 0);
});

test('SEM-03 release(n) adds n and wakes up to n waiters; n < 1 throws ValueError', async () => {
  const sem = new Semaphore(0);
  const passed = sharedInts(1);
  const runs = agents.map((a) => a.run((_, s: Semaphore, p: Int32Array) => {
    const got = s.acquireSync();
    Atomics.add(p, 0, 1);
    return got;
  }, sem, passed));
  sem.release(2);
  await until(() => Atomics.load(passed, 0) === 2);
  assert.equal(sem.getValue(), 0); // both units taken: the third acquirer cannot have passed
  assert.equal(Atomics.load(passed, 0), 2);
  sem.release();
  assert.deepEqual(await Promise.all(runs), [true, true, true]);
  assert.throws(() => sem.release(0), valueError('n must be one or more'));
  assert.throws(() => sem.release(-3), valueError('n must be one or more'));
});

test('SEM-04 a plain Semaphore may be released above its initial value', () => {
  const sem = new Semaphore(1);
  sem.release();
  sem.release(3);
  assert.equal(sem.getValue(), 5);
});

test('SEM-05 BoundedSemaphore throws ValueError when a release would pass the initial value, also for release(n)', async () => {
  const sem = new BoundedSemaphore(3);
  assert.throws(() => sem.release(), valueError('Semaphore released too many times'));
  sem.acquireSync();
  sem.acquireSync();
  assert.throws(() => sem.release(3), valueError('Semaphore released too many times'));
  assert.equal(sem.getValue(), 1);
  sem.release(2);
  assert.equal(sem.getValue(), 3);
  // The bound travels with it.
  await assert.rejects(agent(0).run((_, s: BoundedSemaphore) => s.release(), sem), ValueError);
});

test('SEM-06 under contention exactly `value` acquirers get through; hold() works as `with sem:`', async () => {
  const sem = new Semaphore(2);
  const got = sharedInts(1);
  const runs = agents.map((a) => a.run((_, s: Semaphore, g: Int32Array) => {
    s.acquireSync();
    Atomics.add(g, 0, 1);
  }, sem, got));
  await until(() => Atomics.load(got, 0) === 2);
  assert.equal(sem.getValue(), 0);
  assert.equal(Atomics.load(got, 0), 2);
  sem.release();
  await Promise.all(runs);
  assert.equal(Atomics.load(got, 0), 3);
  sem.release(2); // the three units taken above are never given back: back to a value of 2
  // Concurrent holders never exceed the value.
  const inside = sharedInts(2); // [inside, most]
  await Promise.all(agents.map((a) => a.run((lib, s: Semaphore, c: Int32Array) => {
    for (let i = 0; i < 200; i++) {
      s.withLockSync(() => {
        const now = Atomics.add(c, 0, 1) + 1;
        if (now > Atomics.load(c, 1)) Atomics.store(c, 1, now);
        lib.spin(2000);
        Atomics.sub(c, 0, 1);
      });
    }
  }, sem, inside)));
  assert.ok(Atomics.load(inside, 1) <= 2, `most inside at once: ${inside[1]}`);
  {
    await using _held = await sem.hold();
    assert.equal(sem.getValue(), 1);
  }
  assert.equal(sem.getValue(), 2);
});

test('SEM-07 repr is `Semaphore <value=3>` and `BoundedSemaphore <value=2/3>`', () => {
  assert.equal(inspect(new Semaphore(3)), 'Semaphore <value=3>');
  const bounded = new BoundedSemaphore(3);
  bounded.acquireSync();
  assert.equal(inspect(bounded), 'BoundedSemaphore <value=2/3>');
  assert.equal(String(bounded), 'BoundedSemaphore <value=2/3>');
});

test('an aborted acquire() takes no unit and does not swallow a release meant for another waiter', async () => {
  const sem = new Semaphore(0);
  const controller = new AbortController();
  const aborted = sem.acquire({ signal: controller.signal });
  const waiter = sem.acquire();
  controller.abort(new Error('stop'));
  await assert.rejects(aborted, /stop/);
  sem.release();
  assert.equal(await waiter, true);
  assert.equal(sem.getValue(), 0);
});
