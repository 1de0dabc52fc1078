import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { inspect } from 'node:util';
import { DeadlockError, RuntimeError } from '../../src/errors.js';
import { RLock } from '../../src/threading/rlock.js';
import { delay, startAgents, stopAll, type Agent } from '../fixtures/sync/harness.js';

let agents: Agent[] = [];
before(async () => {
  agents = await startAgents(2);
});
after(() => stopAll(agents));
const agent = (i: number): Agent => agents[i]!;

const NOT_OWNED = (e: unknown): boolean => e instanceof RuntimeError && e.message === 'cannot release un-acquired lock';

test('RLOCK-01 the owner acquires an RLock again and again and must release it as many times', async () => {
  const rlock = new RLock();
  assert.equal(rlock.acquireSync(), true);
  assert.equal(await rlock.acquire(), true);
  assert.equal(rlock.acquireSync({ blocking: false }), true);
  assert.equal(String(rlock), '<RLock locked owner=0 count=3>');
  rlock.release();
  rlock.release();
  assert.equal(rlock.locked(), true);
  rlock.release();
  assert.equal(rlock.locked(), false);
  const counts = await agent(0).run((_, r: RLock) => {
    for (let i = 0; i < 5; i++) r.acquireSync();
    const seen = [String(r)];
    for (let i = 0; i < 5; i++) r.release();
    seen.push(String(r));
    return seen;
  }, rlock);
  assert.match(counts[0]!, /^<RLock locked owner=\d+ count=5>$/);
  assert.equal(counts[1], '<RLock unlocked>');
});

test('RLOCK-02 release() of an RLock that is not held throws RuntimeError, also after balanced releases', () => {
  const rlock = new RLock();
  assert.throws(() => rlock.release(), NOT_OWNED);
  rlock.acquireSync();
  rlock.acquireSync();
  rlock.release();
  rlock.release();
  assert.throws(() => rlock.release(), NOT_OWNED);
});

test('RLOCK-03 release() from a thread that does not own it throws the same RuntimeError', async () => {
  const rlock = new RLock();
  await rlock.acquire();
  await assert.rejects(agent(0).run((_, r: RLock) => r.release(), rlock), NOT_OWNED);
  assert.equal(rlock.locked(), true);
  rlock.release();
});

test('RLOCK-04 ownership is per thread: others are kept out at every recursion level', async () => {
  const rlock = new RLock();
  rlock.acquireSync();
  rlock.acquireSync();
  const probe = (): Promise<boolean[]> =>
    agent(0).run((_, r: RLock) => {
      const got = r.acquireSync({ blocking: false });
      const owned = r.isOwned();
      if (got) r.release();
      return [got, owned];
    }, rlock);
  assert.deepEqual(await probe(), [false, false]);
  rlock.release();
  assert.deepEqual(await probe(), [false, false]);
  rlock.release();
  assert.deepEqual(await probe(), [true, true]);
  // A blocked owner-to-be gets it once the owner lets go of the last level.
  await rlock.acquire();
  const waiting = agent(1).run((_, r: RLock) => {
    r.acquireSync();
    const owned = r.isOwned();
    r.release();
    return owned;
  }, rlock);
  assert.equal(await Promise.race([waiting, delay(50)]), 'later');
  rlock.release();
  assert.equal(await waiting, true);
});

test('RLOCK-05 locked() is true while any thread holds it, seen by the others; repr shows owner and count', async () => {
  const rlock = new RLock();
  assert.equal(inspect(rlock), '<RLock unlocked>');
  const ident = agent(0).worker.threadId;
  await agent(0).run((_, r: RLock) => {
    r.acquireSync();
    r.acquireSync();
  }, rlock);
  assert.equal(rlock.locked(), true);
  assert.equal(inspect(rlock), `<RLock locked owner=${ident} count=2>`);
  assert.equal(await agent(1).run((_, r: RLock) => r.locked(), rlock), true);
  await agent(0).run((_, r: RLock) => {
    r.release();
    r.release();
  }, rlock);
  assert.equal(rlock.locked(), false);
});

test('async tasks of one thread using withLock exclude each other, and each re-enters its own hold', async () => {
  const rlock = new RLock();
  const order: string[] = [];
  await Promise.all(['a', 'b'].map((name) => rlock.withLock(async () => {
    order.push(`${name}+`);
    await rlock.withLock(async () => {
      assert.equal(await rlock.acquire(), true); // re-entry inside the task's own scope
      rlock.release();
      await delay(10);
    });
    order.push(`${name}-`);
  })));
  assert.deepEqual(order, ['a+', 'a-', 'b+', 'b-']);
  assert.equal(rlock.locked(), false);
});

test('a blocking acquire of an RLock held by another task of the same thread throws DeadlockError', async () => {
  const rlock = new RLock({ name: 'config' });
  let release!: () => void;
  const holder = rlock.withLock(() => new Promise<void>((resolve) => {
    release = resolve;
  }));
  await delay(0);
  assert.throws(() => rlock.acquireSync(), (e: unknown) =>
    e instanceof DeadlockError && /^Deadlock: MainThread waits for config held by MainThread/.test(e.message));
  release();
  await holder;
  assert.equal(rlock.locked(), false);
});
