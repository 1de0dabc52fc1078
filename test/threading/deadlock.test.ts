import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { DeadlockError } from '../../src/errors.js';
import { setDeadlockDetection } from '../../src/sync/registry.js';
import { Barrier } from '../../src/threading/barrier.js';
import { Lock } from '../../src/threading/lock.js';
import { RLock } from '../../src/threading/rlock.js';
import { delay, startAgent, startAgents, stateOf, stopAll, until, type Agent } from '../fixtures/sync/harness.js';
import type * as Seed from '../fixtures/sync/chapter-deadlocks.js';

type Outcome = Seed.Outcome;

const SEED = new URL('../fixtures/sync/chapter-deadlocks.ts', import.meta.url).href;

let agents: Agent[] = [];
before(async () => {
  agents = await startAgents(3);
});
after(() => stopAll(agents));
const agent = (i: number): Agent => agents[i]!;

test('seed exercise 1: a thread that re-acquires the Lock it holds gets DeadlockError instead of hanging', async () => {
  const lock = new Lock({ name: 'lock' });
  const outcome = await agent(0).run(async (_, l: Lock, url: string): Promise<Outcome> => {
    const seed = (await import(url)) as typeof Seed;
    return seed.exerciseOne(l);
  }, lock, SEED);
  assert.deepEqual(outcome.out, ['g() acquired lock']);
  assert.equal(outcome.error?.name, 'DeadlockError');
  assert.match(outcome.error.message, /^Deadlock: Thread-1 waits for lock held by Thread-1 \(a Lock is not reentrant/);
  assert.deepEqual(outcome.error.cycle, [{ thread: 'Thread-1', lock: 'lock' }]);
  // `using` released the outer hold while the error propagated.
  assert.equal(lock.locked(), false);
  // The same on the main thread's blocking form.
  lock.acquireSync();
  assert.throws(() => lock.acquireSync(), (e: unknown) =>
    e instanceof DeadlockError && e.message.startsWith('Deadlock: MainThread waits for lock held by MainThread'));
  lock.release();
});

test('seed exercise 2: two threads taking two locks in opposite orders end with one DeadlockError, not a hang', async () => {
  const lockA = new Lock({ name: 'lock_a' });
  const lockB = new Lock({ name: 'lock_b' });
  const holding = new Barrier(2);
  const run = (n: number, first: Lock, second: Lock): Promise<Outcome> =>
    agent(n - 1).run(async (_, id: number, l1: Lock, l2: Lock, b: Barrier, url: string): Promise<Outcome> => {
      const seed = (await import(url)) as typeof Seed;
      return seed.exerciseTwo(id, l1, l2, b);
    }, n, first, second, holding, SEED);
  const outcomes = await Promise.all([run(1, lockA, lockB), run(2, lockB, lockA)]);
  const failed = outcomes.filter((o) => o.error !== undefined);
  const passed = outcomes.filter((o) => o.error === undefined);
  assert.equal(failed.length, 1, JSON.stringify(outcomes));
  assert.equal(passed.length, 1);
  const victim = failed[0]!;
  assert.equal(victim.error!.name, 'DeadlockError');
  assert.match(
    victim.error!.message,
    /^Deadlock: (Thread-1 waits for lock_b held by Thread-2, which waits for lock_a held by Thread-1|Thread-2 waits for lock_a held by Thread-1, which waits for lock_b held by Thread-2) \(/,
  );
  const cycle = victim.error!.cycle as { thread: string; lock: string }[];
  assert.deepEqual(cycle.map((e) => e.thread).sort(), ['Thread-1', 'Thread-2']);
  assert.deepEqual(cycle.map((e) => e.lock).sort(), ['lock_a', 'lock_b']);
  assert.ok(victim.detectedAfter! < 1000, `detected after ${victim.detectedAfter} ms`);
  // Once the victim's `using` released its first lock, the other thread got both.
  const survivor = passed[0]!;
  assert.equal(survivor.out.at(-1), `${survivor.out[0]!.slice(0, 8)} acquired 2 locks!`);
  assert.equal(lockA.locked(), false);
  assert.equal(lockB.locked(), false);
});

test('a cycle of three threads is found too, naming every thread and lock', async () => {
  const locks = ['a', 'b', 'c'].map((n) => new Lock({ name: `lock_${n}` }));
  const holding = new Barrier(3);
  const outcomes = await Promise.all([0, 1, 2].map((i) =>
    agent(i).run(async (_, id: number, l1: Lock, l2: Lock, b: Barrier, url: string): Promise<Outcome> => {
      const seed = (await import(url)) as typeof Seed;
      return seed.exerciseTwo(id, l1, l2, b);
    }, i + 1, locks[i]!, locks[(i + 1) % 3]!, holding, SEED)));
  const failed = outcomes.filter((o) => o.error !== undefined);
  assert.equal(failed.length, 1, JSON.stringify(outcomes));
  const { message, cycle } = failed[0]!.error!;
  assert.match(message, /^Deadlock: Thread-\d waits for lock_\w held by Thread-\d, which waits for lock_\w held by Thread-\d, which waits for lock_\w held by Thread-\d \(/);
  assert.equal((cycle as unknown[]).length, 3);
  assert.ok(failed[0]!.detectedAfter! < 1000, `detected after ${failed[0]!.detectedAfter} ms`);
  assert.ok(locks.every((l) => !l.locked()));
});

test('RLock cycles are found as well; re-entering an owned RLock is never a deadlock', async () => {
  const a = new RLock({ name: 'ra' });
  const b = new RLock({ name: 'rb' });
  const holding = new Barrier(2);
  const pair = (i: number, first: RLock, second: RLock): Promise<string> =>
    agent(i).run((lib, l1: RLock, l2: RLock, h: Barrier) => {
      l1.acquireSync();
      l1.acquireSync();
      try {
        h.waitSync();
        l2.withLockSync(() => undefined);
        return 'ok';
      } catch (e) {
        return e instanceof lib.DeadlockError ? 'deadlock' : String(e);
      } finally {
        l1.release();
        l1.release();
      }
    }, first, second, holding);
  const results = await Promise.all([pair(0, a, b), pair(1, b, a)]);
  assert.deepEqual(results.sort(), ['deadlock', 'ok']);
});

test('a waiter with a timeout is not an edge: the other thread waits, no DeadlockError, both finish', async () => {
  const lockA = new Lock({ name: 'A' });
  const lockB = new Lock({ name: 'B' });
  const holding = new Barrier(2);
  const patient = agent(0).run((_, a: Lock, b: Lock, h: Barrier) => {
    a.acquireSync();
    h.waitSync();
    const got = b.acquireSync(); // no timeout
    b.release();
    a.release();
    return got;
  }, lockA, lockB, holding);
  const timed = agent(1).run((_, a: Lock, b: Lock, h: Barrier) => {
    b.acquireSync();
    h.waitSync();
    const got = a.acquireSync({ timeout: 400 }); // its way out: gives up, then lets go of B
    b.release();
    return got;
  }, lockA, lockB, holding);
  assert.deepEqual(await Promise.all([patient, timed]), [true, false]);
});

test('detectDeadlock: false on a lock keeps it out of cycles: the threads block, as in Python', async () => {
  const own = await Promise.all([startAgent('T-1'), startAgent('T-2')]);
  try {
    const lockA = new Lock({ name: 'A' });
    const lockB = new Lock({ name: 'B', detectDeadlock: false });
    const holding = new Barrier(2);
    const results = own.map((a, i) => a.run((lib, l1: Lock, l2: Lock, h: Barrier) => {
      l1.acquireSync();
      h.waitSync();
      try {
        return String(l2.acquireSync());
      } catch (e) {
        return e instanceof lib.DeadlockError ? 'deadlock' : String(e);
      }
    }, i === 0 ? lockA : lockB, i === 0 ? lockB : lockA, holding));
    await until(() => Atomics.load(stateOf(lockA), 0) === 2 && Atomics.load(stateOf(lockB), 0) === 2);
    const settled = Promise.race([Promise.race(results).then(() => 'settled'), delay(1200)]);
    assert.equal(await settled, 'later', 'no DeadlockError within a second');
  } finally {
    await stopAll(own); // nothing else can end that deadlock
  }
});

test('setDeadlockDetection(false) turns detection off in every thread; a re-acquire then blocks until released', async () => {
  const lock = new Lock({ name: 'signal' });
  setDeadlockDetection(false);
  try {
    const result = agent(0).run((_, l: Lock) => {
      l.acquireSync();
      return l.acquireSync();
    }, lock);
    await until(() => Atomics.load(stateOf(lock), 0) === 2);
    assert.equal(await Promise.race([result, delay(1200)]), 'later', 'no DeadlockError within a second');
    lock.release(); // Python's "another thread releases it"
    assert.equal(await result, true);
    lock.release();
  } finally {
    setDeadlockDetection(true);
  }
  assert.throws(() => {
    lock.acquireSync();
    try {
      lock.acquireSync();
    } finally {
      lock.release();
    }
  }, DeadlockError);
});

test('generated lock names are unique across the threads of the process', async () => {
  const here = new Lock().name;
  const there = await agent(0).run((lib) => [new lib.Lock().name, new lib.RLock().name]);
  const again = new RLock().name;
  const numbers = [here, ...there, again].map((name) => Number(/^R?Lock-(\d+)$/.exec(name)![1]));
  assert.equal(new Set(numbers).size, 4);
  assert.ok(numbers[3]! > numbers[2]! && numbers[2]! > numbers[1]! && numbers[1]! > numbers[0]!);
});
