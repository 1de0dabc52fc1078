/**
 * Locks, semaphores, events, conditions and barriers across processes (the MPS rows), and
 * deadlock detection across processes.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  Barrier, BoundedSemaphore, BrokenBarrierError, Condition, DeadlockError, Event, Lock, Pool, Process, Queue, RLock,
  RuntimeError, Semaphore, TimeoutError, Value, ValueError,
} from '../../src/multiprocessing/index.js';
import { runScript } from '../helpers/node-script.js';
import { assertTimeout, since } from '../helpers/timing.js';
import { tasks } from '../fixtures/multiprocessing/support.js';

describe('Lock and RLock across processes', () => {
  test("MPS-01 acquire() is true; acquire({ blocking: false }) is false while another process holds it; release of an unlocked lock is RuntimeError('release unlocked lock')", async () => {
    const lock = new Lock();
    const held = new Event();
    const release = new Event();
    const p = new Process({ target: tasks.holdLock, args: [lock, held, release] });
    p.start();
    await held.wait();
    assert.equal(await lock.acquire({ blocking: false }), false);
    assert.equal(lock.acquireSync({ blocking: false }), false);
    release.set();
    assert.equal(await lock.acquire(), true);
    lock.release();
    assert.throws(() => lock.release(), (e: unknown) => e instanceof RuntimeError && e.message === 'release unlocked lock');
    await p.join();
  });

  test('MPS-01 another process may release a Lock it did not acquire', async () => {
    const lock = new Lock();
    await lock.acquire();
    const done = new Event();
    const p = new Process({ target: tasks.releaseForeign, args: [lock, done] });
    p.start();
    await done.wait();
    assert.equal(lock.locked(), false);
    await p.join();
  });

  test("MPS-02 RLock is reentrant; a process that does not own it cannot release it (RuntimeError 'cannot release un-acquired lock')", async () => {
    const lock = new RLock();
    assert.equal(await lock.acquire(), true);
    assert.equal(await lock.acquire(), true);
    assert.equal(lock.isOwned(), true);
    const q = new Queue<unknown>();
    const p = new Process({ target: tasks.releaseNotOwned, args: [lock, q] });
    p.start();
    assert.deepEqual(await q.get(), { error: 'RuntimeError', message: 'cannot release un-acquired lock' });
    lock.release();
    assert.equal(lock.locked(), true);
    lock.release();
    assert.equal(lock.locked(), false);
    assert.throws(() => lock.release(), (e: unknown) => e instanceof RuntimeError);
    await p.join();
  });

  test('MPS-09 locked() is visible across processes', async () => {
    const lock = new Lock();
    const held = new Event();
    const release = new Event();
    assert.equal(lock.locked(), false);
    const p = new Process({ target: tasks.holdLock, args: [lock, held, release] });
    p.start();
    await held.wait();
    assert.equal(lock.locked(), true);
    release.set();
    await p.join();
    assert.equal(lock.locked(), false);
  });

  test('a timed acquire of a lock held elsewhere resolves false after about the timeout; hold() then throws TimeoutError', async () => {
    const lock = new Lock();
    const held = new Event();
    const release = new Event();
    const p = new Process({ target: tasks.holdLock, args: [lock, held, release] });
    p.start();
    await held.wait();
    const t0 = performance.now();
    assert.equal(await lock.acquire({ timeout: 200 }), false);
    assertTimeout(since(t0), 200, 5000);
    await assert.rejects(lock.hold(50), (e: unknown) => e instanceof TimeoutError);
    release.set();
    await p.join();
  });
});

describe('Semaphore, Event, Condition, Barrier across processes', () => {
  test('MPS-03 getValue(); a timed acquire of an empty semaphore is false after about the timeout; BoundedSemaphore refuses to go above its value', async () => {
    const sem = new Semaphore(2);
    assert.equal(sem.getValue(), 2);
    assert.equal(await sem.acquire(), true);
    assert.equal(sem.acquireSync(), true);
    assert.equal(sem.getValue(), 0);
    const t0 = performance.now();
    assert.equal(await sem.acquire({ timeout: 200 }), false);
    assertTimeout(since(t0), 200, 5000);
    sem.release(2);
    assert.equal(sem.getValue(), 2);
    assert.throws(() => sem.release(0), (e: unknown) => e instanceof ValueError && e.message === 'n must be one or more');
    const bounded = new BoundedSemaphore(1);
    await bounded.acquire();
    bounded.release();
    assert.throws(() => bounded.release(), (e: unknown) => e instanceof ValueError && e.message === 'Semaphore released too many times');
    assert.throws(() => new Semaphore(-1), (e: unknown) => e instanceof ValueError && e.message === 'semaphore initial value must be >= 0');
  });

  test('MPS-04 Condition across processes: notify() wakes one, notify(2) two, notifyAll() the rest; a notified wait returns true', async () => {
    const cond = new Condition();
    const ready = new Semaphore(0);
    const q = new Queue<boolean>();
    const waiters = Array.from({ length: 4 }, () => new Process({ target: tasks.conditionWaiter, args: [cond, ready, q] }));
    for (const w of waiters) w.start();
    for (let i = 0; i < 4; i++) await ready.acquire();
    // Each waiter released `ready` while holding the lock, and gives it up only inside wait():
    // once this process holds the lock, all four are waiting.
    await cond.withLock(() => cond.notify());
    assert.equal(await q.get(), true);
    await cond.withLock(() => cond.notify(2));
    assert.deepEqual([await q.get(), await q.get()], [true, true]);
    await cond.withLock(() => cond.notifyAll());
    assert.equal(await q.get(), true);
    for (const w of waiters) await w.join();
    assert.equal(await q.empty(), true);
  });

  test('MPS-04 wait(timeout) returns false after about the timeout, with the lock held again; waitFor works with a shared Value', async () => {
    const cond = new Condition(new Lock());
    await cond.acquire();
    const t0 = performance.now();
    assert.equal(await cond.wait(200), false);
    assertTimeout(since(t0), 200, 5000);
    assert.equal(cond.lock.locked(), true);
    cond.release();

    const value = new Value('i', 0);
    const ready = new Event();
    const q = new Queue<number>();
    const p = new Process({ target: tasks.waitForValue, args: [cond, value, 3, ready, q] });
    p.start();
    await ready.wait();
    for (let i = 0; i < 3; i++) {
      await cond.withLock(async () => {
        await value.set((await value.get()) + 1);
        cond.notifyAll();
      });
    }
    assert.equal(await q.get(), 3);
    await p.join();
  });

  test("MPS-05 misuse gives threading's RuntimeError: wait or notify without the lock", async () => {
    const cond = new Condition();
    await assert.rejects(cond.wait(10), (e: unknown) => e instanceof RuntimeError && e.message === 'cannot wait on un-acquired lock');
    assert.throws(() => cond.notify(), (e: unknown) => e instanceof RuntimeError && e.message === 'cannot notify on un-acquired lock');
    assert.throws(() => cond.notifyAll(), (e: unknown) => e instanceof RuntimeError);
  });

  test('MPS-06 Event: wait(0) is false, wait(t) false after about t, a set() in another process wakes the waiter, wait() is true', async () => {
    const event = new Event();
    assert.equal(await event.wait(0), false);
    const t0 = performance.now();
    assert.equal(await event.wait(200), false);
    assertTimeout(since(t0), 200, 5000);
    const ready = new Event();
    const q = new Queue<boolean>();
    const waiter = new Process({ target: tasks.eventWaiter, args: [event, ready, q] });
    waiter.start();
    await ready.wait();
    const setter = new Process({ target: tasks.setEvent, args: [event] });
    setter.start();
    assert.equal(await q.get(), true);
    assert.equal(event.isSet(), true);
    assert.equal(await event.wait(), true);
    event.clear();
    assert.equal(event.isSet(), false);
    await waiter.join();
    await setter.join();
  });

  test('MPS-07 Barrier across processes: indexes 0…parties−1 once per round; the action runs once per round, in the last party', async () => {
    let rounds = 0;
    const barrier = new Barrier(3, { action: () => {
      rounds++;
    } });
    const q = new Queue<number>();
    for (let round = 1; round <= 2; round++) {
      const parties = [0, 1].map(() => new Process({ target: tasks.barrierParty, args: [barrier, q] }));
      for (const p of parties) p.start();
      // Arrive last, so that the action (a closure of this program) runs here.
      while (barrier.nWaiting < 2) await new Promise((resolve) => setImmediate(resolve));
      const mine = await barrier.wait();
      assert.deepEqual([mine, await q.get(), await q.get()].sort(), [0, 1, 2]);
      assert.equal(rounds, round);
      for (const p of parties) await p.join();
    }
  });

  test('MPS-07 a failing or aborted Barrier raises BrokenBarrierError in every party; reset() makes it usable again; a timeout breaks it', async () => {
    const barrier = new Barrier(2);
    const q = new Queue<unknown>();
    const p = new Process({ target: tasks.barrierParty, args: [barrier, q] });
    p.start();
    // Wait until the child is inside wait(): nWaiting reads the broker.
    while (barrier.nWaiting < 1) await new Promise((resolve) => setImmediate(resolve));
    barrier.abort();
    assert.equal(await q.get(), 'BrokenBarrierError');
    assert.equal(barrier.broken, true);
    await assert.rejects(barrier.wait(), (e: unknown) => e instanceof BrokenBarrierError);
    barrier.reset();
    assert.equal(barrier.broken, false);
    const t0 = performance.now();
    await assert.rejects(barrier.wait(150), (e: unknown) => e instanceof BrokenBarrierError);
    assertTimeout(since(t0), 150, 5000);
    assert.equal(barrier.broken, true);
    await p.join();
  });

  test('MPS-08 primitives passed to pool tasks arrive working and shared: a Value incremented under its lock by four tasks', async () => {
    const counter = new Value('i', 0);
    await using pool = new Pool(2);
    await pool.starmap(tasks.increment, [[counter, 25], [counter, 25], [counter, 25], [counter, 25]]);
    assert.equal(await counter.get(), 100);
  });
});

describe('deadlock detection across processes', () => {
  test('the course chapter: a child that holds a Lock and takes it again gets DeadlockError naming itself and the lock (async form)', async () => {
    const lock = new Lock({ name: 'output' });
    const q = new Queue<{ error: string; message: string; cycle: Array<{ thread: string; lock: string }> }>();
    const p = new Process({ target: tasks.reacquire, args: [lock, false, q], name: 'Chapter-G' });
    p.start();
    const report = await q.get();
    assert.equal(report.error, 'DeadlockError');
    assert.match(report.message, /^Deadlock: Chapter-G waits for output held by Chapter-G/);
    assert.deepEqual(report.cycle, [{ thread: 'Chapter-G', lock: 'output' }]);
    await p.join();
    assert.equal(p.exitcode, 0);
  });

  test('the same with the blocking forms (withLockSync)', async () => {
    const lock = new Lock();
    const q = new Queue<{ error: string; message: string }>();
    const p = new Process({ target: tasks.reacquire, args: [lock, true, q] });
    p.start();
    const report = await q.get();
    assert.equal(report.error, 'DeadlockError');
    assert.match(report.message, new RegExp(`waits for ${lock.name} held by ${p.name}`));
    await p.join();
  });

  test('two processes that take two locks in opposite orders: one gets DeadlockError naming both, the other then proceeds', async () => {
    const a = new Lock({ name: 'A' });
    const b = new Lock({ name: 'B' });
    const holding = [new Event(), new Event()];
    const go = new Event();
    const q = new Queue<unknown>();
    const p1 = new Process({ target: tasks.takeTwo, args: [a, b, holding[0] as Event, go, q], name: 'P1' });
    const p2 = new Process({ target: tasks.takeTwo, args: [b, a, holding[1] as Event, go, q], name: 'P2' });
    p1.start();
    p2.start();
    await Promise.all(holding.map((e) => e.wait()));
    go.set();
    const reports = [await q.get(), await q.get()];
    const failure = reports.find((r) => typeof r === 'object') as { error: string; message: string };
    assert.ok(reports.includes('acquired'), JSON.stringify(reports));
    assert.equal(failure.error, 'DeadlockError');
    assert.match(failure.message, /^Deadlock: P[12] waits for [AB] held by P[12], which waits for [AB] held by P[12]/);
    await p1.join();
    await p2.join();
  });

  test('waiting for a lock held by a process that has ended is a DeadlockError too (Python would wait forever)', async () => {
    const lock = new Lock({ name: 'orphaned' });
    const p = new Process({ target: tasks.takeAndLeave, args: [lock] });
    p.start();
    await p.join();
    const q = new Queue<{ error: string; message: string }>();
    const held = new Event();
    const go = new Event();
    const other = new Lock();
    go.set();
    const waiter = new Process({ target: tasks.takeTwo, args: [other, lock, held, go, q] });
    waiter.start();
    const report = await q.get();
    assert.equal(report.error, 'DeadlockError');
    assert.match(report.message, /held by Process-\d+, which has ended without releasing it/);
    await waiter.join();
  });

  test('a wait with a timeout is never reported: it ends on its own', async () => {
    const lock = new Lock();
    await lock.acquire();
    assert.equal(await lock.acquire({ timeout: 100 }), false);
    lock.release();
  });

  test('in the program itself, with nothing else to do, taking a held Lock again ends with DeadlockError', async () => {
    const result = await runScript(new URL('../fixtures/multiprocessing/deadlock-main-script.ts', import.meta.url), [], 20_000);
    assert.match(result.stdout, /^DeadlockError: Deadlock: MainProcess waits for output held by MainProcess/m);
    assert.equal(result.code, 0);
  });

  test('DeadlockError is a RuntimeError', () => {
    assert.ok(new DeadlockError('x') instanceof RuntimeError);
  });
});
