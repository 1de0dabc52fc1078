// Deadlock detection for the await forms (`await acquire()`, `hold()`, `withLock()`, a Condition
// taking its lock back): such a wait becomes an edge of the wait-for graph once it has lasted the
// lock's deadlockTimeout; a cycle of edges fails its youngest member. Threads are ordered with
// Barriers and the locks' own futex words, never with sleeps; durations are only upper bounds.
import assert from 'node:assert/strict';
import { after, afterEach, before, test } from 'node:test';
import { DeadlockError, ValueError } from '../../src/errors.js';
import { deadlockTimeout, setDeadlockDetection, setDeadlockTimeout } from '../../src/sync/registry.js';
import { Barrier } from '../../src/threading/barrier.js';
import { Condition } from '../../src/threading/condition.js';
import { Lock } from '../../src/threading/lock.js';
import { RLock } from '../../src/threading/rlock.js';
import { startAgents, stateOf, stopAll, until, within, type Agent } from '../fixtures/sync/harness.js';
import type * as Seed from '../fixtures/sync/chapter-deadlocks.js';

type Outcome = Seed.Outcome;
const SEED = new URL('../fixtures/sync/chapter-deadlocks.ts', import.meta.url).href;

let agents: Agent[] = [];
before(async () => {
  agents = await startAgents(3);
});
after(() => stopAll(agents));
afterEach(() => {
  setDeadlockDetection(true);
  setDeadlockTimeout(1000);
});
const agent = (i: number): Agent => agents[i]!;

/** Someone sleeps on the lock's futex word: the lock is held and at least one acquire waits. */
const contended = (lock: Lock | RLock): boolean => Atomics.load(stateOf(lock), 0) === 2;

test('the course exercise 2 written with await: one thread gets DeadlockError within seconds, the other finishes', async () => {
  const lockA = new Lock({ name: 'lock_a' });
  const lockB = new Lock({ name: 'lock_b' });
  const holding = new Barrier(2);
  const run = (n: number, first: Lock, second: Lock): Promise<Outcome> =>
    agent(n - 1).run(async (_, id: number, l1: Lock, l2: Lock, b: Barrier, url: string): Promise<Outcome> => {
      const seed = (await import(url)) as typeof Seed;
      return seed.exerciseTwoAsync(id, l1, l2, b);
    }, n, first, second, holding, SEED);
  const outcomes = await Promise.all([run(1, lockA, lockB), run(2, lockB, lockA)]);
  const failed = outcomes.filter((o) => o.error !== undefined);
  const passed = outcomes.filter((o) => o.error === undefined);
  assert.equal(failed.length, 1, JSON.stringify(outcomes));
  const victim = failed[0]!;
  assert.equal(victim.error!.name, 'DeadlockError');
  assert.match(
    victim.error!.message,
    /^Deadlock: (Thread-1 waits for lock_b held by Thread-2, which waits for lock_a held by Thread-1|Thread-2 waits for lock_a held by Thread-1, which waits for lock_b held by Thread-2) \(acquire locks in one global order, or use a timeout\)$/,
  );
  const cycle = victim.error!.cycle as { thread: string; lock: string }[];
  assert.deepEqual(cycle.map((e) => e.thread).sort(), ['Thread-1', 'Thread-2']);
  assert.deepEqual(cycle.map((e) => e.lock).sort(), ['lock_a', 'lock_b']);
  // The default deadlockTimeout is one second; the report comes soon after (an upper bound only).
  assert.ok(victim.detectedAfter! < 5000, `detected after ${victim.detectedAfter} ms`);
  const survivor = passed[0]!;
  assert.equal(survivor.out.at(-1), `${survivor.out[0]!.slice(0, 8)} acquired 2 locks!`);
  assert.equal(lockA.locked(), false);
  assert.equal(lockB.locked(), false);
});

test('a cycle of a blocking wait and an await is found; the youngest edge (the await, after its grace) fails', async () => {
  const lockA = new Lock({ name: 'A' });
  const lockB = new Lock({ name: 'B' });
  const holding = new Barrier(2);
  const blocking = agent(0).run((lib, a: Lock, b: Lock, h: Barrier) => {
    a.acquireSync();
    h.waitSync();
    try {
      b.acquireSync(); // an edge at once
      b.release();
      return 'acquired';
    } catch (e) {
      return e instanceof lib.DeadlockError ? e.message : String(e);
    } finally {
      a.release();
    }
  }, lockA, lockB, holding);
  const awaiting = agent(1).run(async (lib, a: Lock, b: Lock, h: Barrier) => {
    await b.acquire();
    h.waitSync();
    try {
      await a.acquire(); // an edge after lock A's deadlockTimeout (the default, one second)
      a.release();
      return 'acquired';
    } catch (e) {
      return e instanceof lib.DeadlockError ? e.message : String(e);
    } finally {
      b.release();
    }
  }, lockA, lockB, holding);
  const [first, second] = await Promise.all([blocking, awaiting]);
  assert.equal(first, 'acquired');
  assert.equal(second, 'Deadlock: Thread-2 waits for A held by Thread-1, which waits for B held by Thread-2 (acquire locks in one global order, or use a timeout)');
});

test('a ring of three threads awaiting is found, naming every thread and lock', async () => {
  const locks = ['a', 'b', 'c'].map((n) => new Lock({ name: `lock_${n}` }));
  const holding = new Barrier(3);
  const outcomes = await Promise.all([0, 1, 2].map((i) =>
    agent(i).run(async (_, id: number, l1: Lock, l2: Lock, b: Barrier, url: string): Promise<Outcome> => {
      const seed = (await import(url)) as typeof Seed;
      return seed.exerciseTwoAsync(id, l1, l2, b);
    }, i + 1, locks[i]!, locks[(i + 1) % 3]!, holding, SEED)));
  const failed = outcomes.filter((o) => o.error !== undefined);
  assert.equal(failed.length, 1, JSON.stringify(outcomes));
  assert.match(failed[0]!.error!.message,
    /^Deadlock: Thread-\d waits for lock_\w held by Thread-\d, which waits for lock_\w held by Thread-\d, which waits for lock_\w held by Thread-\d \(/);
  assert.equal((failed[0]!.error!.cycle as unknown[]).length, 3);
  assert.ok(locks.every((l) => !l.locked()));
});

test('RLock: an awaiting cycle is found; withLock releases the victim\'s hold so the other thread proceeds', async () => {
  const a = new RLock({ name: 'ra', deadlockTimeout: 100 });
  const b = new RLock({ name: 'rb', deadlockTimeout: 100 });
  const holding = new Barrier(2);
  const pair = (i: number, first: RLock, second: RLock): Promise<string> =>
    agent(i).run(async (lib, l1: RLock, l2: RLock, h: Barrier) => {
      try {
        return await l1.withLock(async () => {
          await l1.withLock(() => undefined); // re-entering its own hold is never an edge
          await h.wait();
          return l2.withLock(() => 'ok');
        });
      } catch (e) {
        return e instanceof lib.DeadlockError ? 'deadlock' : String(e);
      }
    }, first, second, holding);
  assert.deepEqual((await Promise.all([pair(0, a, b), pair(1, b, a)])).sort(), ['deadlock', 'ok']);
});

test('one thread whose two tasks contend for one Lock is never reported, however long the first holds it', async () => {
  for (const lock of [new Lock({ deadlockTimeout: 20 }), new RLock({ deadlockTimeout: 20 })]) {
    let release!: () => void;
    const slow = new Promise<void>((resolve) => {
      release = resolve;
    });
    const order: string[] = [];
    const both = Promise.all([
      lock.withLock(async () => {
        order.push('a in');
        await slow;
        order.push('a out');
      }),
      lock.withLock(() => {
        order.push('b');
      }),
    ]);
    await until(() => contended(lock));
    // Thirty grace periods: long enough for the wait to be an edge and be walked many times.
    assert.equal(await within(both, 600), 'timeout', 'still waiting, and no DeadlockError');
    release();
    await both;
    assert.deepEqual(order, ['a in', 'a out', 'b']);
  }
});

test('an await with a timeout is never an edge: the other thread waits, nothing is reported, both finish', async () => {
  const lockA = new Lock({ name: 'A', deadlockTimeout: 0 });
  const lockB = new Lock({ name: 'B', deadlockTimeout: 0 });
  const holding = new Barrier(2);
  const patient = agent(0).run(async (_, a: Lock, b: Lock, h: Barrier) => {
    await a.acquire();
    await h.wait();
    const got = await b.acquire(); // no timeout: an edge at once (deadlockTimeout 0)
    b.release();
    a.release();
    return got;
  }, lockA, lockB, holding);
  const timed = agent(1).run(async (_, a: Lock, b: Lock, h: Barrier) => {
    await b.acquire();
    await h.wait();
    const got = await a.acquire({ timeout: 400 }); // its way out
    b.release();
    return got;
  }, lockA, lockB, holding);
  assert.deepEqual(await Promise.all([patient, timed]), [true, false]);
});

test('a cycle that resolves within the grace period is not reported', async () => {
  // The main thread holds B and awaits A; a thread holds A and awaits B: a cycle, until another
  // task of the main thread lets B go, well within the five seconds of grace.
  const lockA = new Lock({ name: 'A', deadlockTimeout: 5000 });
  const lockB = new Lock({ name: 'B', deadlockTimeout: 5000 });
  const holding = new Barrier(2);
  await lockB.acquire();
  const other = agent(0).run(async (_, a: Lock, b: Lock, h: Barrier) => {
    await a.acquire();
    await h.wait();
    await b.acquire();
    b.release();
    a.release();
    return 'done';
  }, lockA, lockB, holding);
  await holding.wait();
  const mine = lockA.withLock(() => 'done');
  await until(() => contended(lockA) && contended(lockB));
  lockB.release();
  assert.deepEqual(await Promise.all([other, mine]), ['done', 'done']);
});

test('the documented false positive: a lock released by a task outside the cycle after the grace period; deadlockTimeout: Infinity opts out', async () => {
  for (const grace of [50, Infinity]) {
    const lockA = new Lock({ name: 'A', deadlockTimeout: grace });
    const lockB = new Lock({ name: 'B', deadlockTimeout: grace });
    const holding = new Barrier(2);
    await lockB.acquire(); // held by the main thread, by a task that is not waiting for anything
    const other = agent(0).run(async (lib, a: Lock, b: Lock, h: Barrier) => {
      await a.acquire();
      await h.wait();
      try {
        await b.acquire();
        b.release();
        return 'done';
      } catch (e) {
        return e instanceof lib.DeadlockError ? 'deadlock' : String(e);
      } finally {
        a.release();
      }
    }, lockA, lockB, holding);
    await holding.wait();
    const mine = lockA.withLock(() => 'done').catch((e: unknown) => (e instanceof DeadlockError ? 'deadlock' : String(e)));
    await until(() => contended(lockA) && contended(lockB));
    if (grace === Infinity) {
      assert.equal(await within(Promise.race([other, mine]), 600), 'timeout', 'no report with deadlockTimeout: Infinity');
      lockB.release();
      assert.deepEqual(await Promise.all([other, mine]), ['done', 'done']);
    } else {
      // Both waits are edges after 50 ms and form a cycle at thread level: the youngest fails,
      // although the main thread would have released B later.
      // Whichever settles first, one of them was reported (the other may be the one it let through).
      assert.notEqual(await within(Promise.race([other, mine]), 10_000), 'timeout', 'the cycle is reported');
      lockB.release();
      assert.deepEqual((await Promise.all([other, mine])).sort(), ['deadlock', 'done']);
    }
  }
});

test('detectDeadlock: false and setDeadlockDetection(false) keep awaits out of the graph too', async () => {
  for (const off of ['lock', 'process'] as const) {
    if (off === 'process') setDeadlockDetection(false);
    const lockA = new Lock({ name: 'A', deadlockTimeout: 0, detectDeadlock: off !== 'lock' });
    const lockB = new Lock({ name: 'B', deadlockTimeout: 0, detectDeadlock: off !== 'lock' });
    const holding = new Barrier(2);
    await lockB.acquire();
    const other = agent(0).run(async (_, a: Lock, b: Lock, h: Barrier) => {
      await a.acquire();
      await h.wait();
      await b.acquire();
      b.release();
      a.release();
      return 'done';
    }, lockA, lockB, holding);
    await holding.wait();
    const mine = lockA.withLock(() => 'done');
    await until(() => contended(lockA) && contended(lockB));
    assert.equal(await within(Promise.race([other, mine]), 400), 'timeout', `detection off (${off}): no report`);
    lockB.release();
    assert.deepEqual(await Promise.all([other, mine]), ['done', 'done']);
    setDeadlockDetection(true);
  }
});

test('setDeadlockTimeout() is process-wide: a thread that set it changes the grace of every thread\'s awaits', async () => {
  assert.equal(deadlockTimeout(), 1000);
  await agent(2).run((lib) => lib.setDeadlockTimeout(Infinity));
  assert.equal(deadlockTimeout(), Infinity);
  // With no grace limit, an awaiting cycle of locks without their own deadlockTimeout is not reported.
  const lockA = new Lock({ name: 'A' });
  const lockB = new Lock({ name: 'B' });
  const holding = new Barrier(2);
  const pair = (i: number, first: Lock, second: Lock): Promise<string> =>
    agent(i).run(async (lib, l1: Lock, l2: Lock, h: Barrier) => {
      try {
        return await l1.withLock(async () => {
          await h.wait();
          return l2.withLock(() => 'ok');
        });
      } catch (e) {
        return e instanceof lib.DeadlockError ? 'deadlock' : String(e);
      }
    }, first, second, holding);
  const results = Promise.all([pair(0, lockA, lockB), pair(1, lockB, lockA)]);
  await until(() => contended(lockA) && contended(lockB));
  assert.equal(await within(results, 1500), 'timeout', 'no report past the default second');
  // Back to a short grace: the pending waits are walked again and the cycle is reported.
  setDeadlockTimeout(50);
  assert.deepEqual((await results).sort(), ['deadlock', 'ok']);
});

test('deadlockTimeout is checked like any timeout: a number of milliseconds, 0 or more, Infinity for never', () => {
  assert.throws(() => setDeadlockTimeout(-1), (e: unknown) => e instanceof ValueError && /-1/.test(e.message));
  assert.throws(() => setDeadlockTimeout(Number.NaN), ValueError);
  assert.throws(() => setDeadlockTimeout('100' as unknown as number), (e: unknown) => e instanceof TypeError && /deadlockTimeout/.test(e.message));
  assert.throws(() => new Lock({ deadlockTimeout: -5 }), ValueError);
  assert.throws(() => new RLock({ deadlockTimeout: '5' as unknown as number }), (e: unknown) => e instanceof TypeError && /deadlockTimeout/.test(e.message));
  setDeadlockTimeout(0);
  assert.equal(deadlockTimeout(), 0);
  setDeadlockTimeout(Infinity);
  assert.equal(deadlockTimeout(), Infinity);
  assert.equal(new Lock({ deadlockTimeout: 250 }).deadlockTimeout, 250);
  assert.equal(new Lock().deadlockTimeout, undefined, 'undefined: the process-wide value applies');
});

test('a Condition taking its lock back (await form) is an edge: the cycle through it is reported', async () => {
  // Thread 1 waits on the condition while it holds B; thread 2 takes the condition's lock,
  // notifies, and then wants B while it still holds the condition's lock. Thread 1's re-acquire
  // is an edge at once (deadlockTimeout 0) and thread 2's wait for B after 300 ms: thread 2 is the
  // youngest member and fails; its withLock lets the condition's lock go and thread 1 returns.
  const condLock = new Lock({ name: 'cond', deadlockTimeout: 0 });
  const cond = new Condition(condLock);
  const lockB = new Lock({ name: 'B', deadlockTimeout: 300 });
  const waiting = new Barrier(2);
  const waiter = agent(0).run(async (_, c: Condition, b: Lock, w: Barrier) => {
    await b.acquire();
    try {
      return await c.withLock(async () => {
        const notified = c.wait();
        await w.wait(); // the lock is let go inside wait(): thread 2 may now take it
        return await notified;
      });
    } finally {
      b.release();
    }
  }, cond, lockB, waiting);
  const notifier = agent(1).run(async (lib, c: Condition, b: Lock, w: Barrier) => {
    await w.wait();
    try {
      return await c.withLock(async () => {
        c.notify();
        return b.withLock(() => 'got B');
      });
    } catch (e) {
      return e instanceof lib.DeadlockError ? e.message : String(e);
    }
  }, cond, lockB, waiting);
  assert.deepEqual(await Promise.all([waiter, notifier]), [
    true,
    'Deadlock: Thread-2 waits for B held by Thread-1, which waits for cond held by Thread-2 (acquire locks in one global order, or use a timeout)',
  ]);
});

test('every task of the victim thread that awaits the same lock gets the error', async () => {
  // Thread 1's blocking wait is an edge at once, thread 2's awaits of A after 100 ms: thread 2 is
  // the youngest member.
  const lockA = new Lock({ name: 'A', deadlockTimeout: 100 });
  const lockB = new Lock({ name: 'B' });
  const holding = new Barrier(2);
  const blocker = agent(0).run((_, a: Lock, b: Lock, h: Barrier) => {
    a.acquireSync();
    h.waitSync();
    try {
      b.acquireSync();
      b.release();
      return 'acquired';
    } finally {
      a.release();
    }
  }, lockA, lockB, holding);
  const victim = agent(1).run(async (lib, a: Lock, b: Lock, h: Barrier) => {
    await b.acquire();
    await h.wait();
    const tasks = [a.acquire(), a.acquire(), a.acquire()].map((p) =>
      p.then(() => 'acquired', (e: unknown) => (e instanceof lib.DeadlockError ? 'deadlock' : String(e))));
    const results = await Promise.all(tasks);
    b.release();
    return results;
  }, lockA, lockB, holding);
  assert.deepEqual(await Promise.all([blocker, victim]), ['acquired', ['deadlock', 'deadlock', 'deadlock']]);
});

test('a Condition waiter that fails while taking its lock back leaves without it, and its ticket is withdrawn', async () => {
  // Thread 1 holds B and waits on the condition with a timeout; thread 2 takes the condition's
  // lock and then wants B. Thread 1's timeout passes and it wants the condition's lock back: an
  // edge after 200 ms, thread 2's wait for B one at once: thread 1 is the youngest and fails.
  const condLock = new Lock({ name: 'cond', deadlockTimeout: 200 });
  const cond = new Condition(condLock);
  const lockB = new Lock({ name: 'B', deadlockTimeout: 0 });
  const waiting = new Barrier(2);
  const waiter = agent(0).run(async (lib, c: Condition, b: Lock, w: Barrier) => {
    await b.acquire();
    await c.acquire();
    const timed = c.wait(50);
    await w.wait();
    try {
      return String(await timed);
    } catch (e) {
      return e instanceof lib.DeadlockError ? `${e.message} / held: ${c.lock.locked()}` : String(e);
    } finally {
      b.release(); // not the condition's lock: wait() left without it
    }
  }, cond, lockB, waiting);
  const other = agent(1).run(async (_, c: Condition, b: Lock, w: Barrier) => {
    await w.wait();
    await c.acquire();
    await b.withLock(() => undefined);
    c.release();
    return 'done';
  }, cond, lockB, waiting);
  assert.deepEqual(await Promise.all([waiter, other]), [
    'Deadlock: Thread-1 waits for cond held by Thread-2, which waits for B held by Thread-1 (acquire locks in one global order, or use a timeout) / held: true',
    'done',
  ]);
  // The failed waiter's ticket is gone: the next notify reaches the next waiter.
  const next = cond.withLock(() => cond.wait(10_000));
  await until(() => !condLock.locked());
  await cond.withLock(() => cond.notify());
  assert.equal(await next, true);
});

test('turning detection back on reaches awaits already waiting', async () => {
  setDeadlockDetection(false);
  const lockA = new Lock({ name: 'A', deadlockTimeout: 0 });
  const lockB = new Lock({ name: 'B', deadlockTimeout: 0 });
  const holding = new Barrier(2);
  const pair = (i: number, first: Lock, second: Lock): Promise<string> =>
    agent(i).run(async (lib, l1: Lock, l2: Lock, h: Barrier) => {
      try {
        return await l1.withLock(async () => {
          await h.wait();
          return l2.withLock(() => 'ok');
        });
      } catch (e) {
        return e instanceof lib.DeadlockError ? 'deadlock' : String(e);
      }
    }, first, second, holding);
  const results = Promise.all([pair(0, lockA, lockB), pair(1, lockB, lockA)]);
  await until(() => contended(lockA) && contended(lockB));
  assert.equal(await within(results, 400), 'timeout', 'off: no report');
  setDeadlockDetection(true);
  assert.deepEqual((await results).sort(), ['deadlock', 'ok']);
});
