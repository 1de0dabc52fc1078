// A lock held by a thread that has ended (its target returned or threw, or its worker was
// terminated by a forced cancel) is never released by it. The next acquirer without a timeout, in
// either form, gets DeadlockError naming the ended thread, as a robust mutex reports its owner's
// death; a waiter already blocked wakes up with it instead of hanging.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { DeadlockError } from '../../src/errors.js';
import { ThreadPoolExecutor } from '../../src/futures/index.js';
import { Event } from '../../src/threading/event.js';
import { Lock } from '../../src/threading/lock.js';
import { RLock } from '../../src/threading/rlock.js';
import { Thread, setExcepthook, type ExceptHookArgs } from '../../src/threading/thread.js';
import { startAgent, startAgents, stateOf, stopAll, until, within, type Agent } from '../fixtures/sync/harness.js';

let agents: Agent[] = [];
before(async () => {
  agents = await startAgents(2, 'Agent');
});
after(() => stopAll(agents));
const agent = (i: number): Agent => agents[i]!;

const ENDED = (waiter: string, lock: string, holder: string) => (e: unknown): boolean => {
  assert.ok(e instanceof DeadlockError, String(e));
  assert.equal(e.message, `Deadlock: ${waiter} waits for ${lock} held by ${holder}, which has ended without releasing it`);
  assert.deepEqual(e.cycle, [{ thread: waiter, lock }, { thread: holder, lock }]);
  return true;
};

function takeAndReturn(lock: { acquireSync(): boolean }): void {
  lock.acquireSync();
}

async function takeAndThrow(lock: { acquire(): Promise<boolean> }): Promise<void> {
  await lock.acquire();
  throw new Error('left without releasing');
}

function holdUntilStopped(lock: { acquireSync(): boolean }, never: { waitSync(): boolean }): void {
  lock.acquireSync();
  never.waitSync();
}

test('a Thread whose target returned holding a Lock or an RLock: the next acquire, awaited or blocking, says it has ended', async () => {
  for (const lock of [new Lock({ name: 'kept' }), new RLock({ name: 'kept' })]) {
    const t = new Thread({ target: takeAndReturn, args: [lock] });
    t.start();
    await t.join();
    assert.equal(lock.locked(), true);
    await assert.rejects(lock.acquire(), ENDED('MainThread', 'kept', t.name));
    await assert.rejects(lock.hold(), ENDED('MainThread', 'kept', t.name));
    const blocking = await agent(0).run((lib, l: Lock) => {
      try {
        return String(l.acquireSync());
      } catch (e) {
        return e instanceof lib.DeadlockError ? e.message : String(e);
      }
    }, lock as Lock);
    assert.equal(blocking, `Deadlock: Agent-1 waits for kept held by ${t.name}, which has ended without releasing it`);
    // A wait with a timeout is not reported: it ends on its own.
    assert.equal(await lock.acquire({ timeout: 50 }), false);
    assert.equal(lock.acquireSync({ blocking: false }), false);
  }
});

test('a Thread whose target threw while holding a Lock: the same', async () => {
  const errors: unknown[] = [];
  const previous = setExcepthook((args: ExceptHookArgs) => errors.push(args.excValue));
  try {
    const lock = new Lock({ name: 'thrown' });
    const t = new Thread({ target: takeAndThrow, args: [lock] });
    t.start();
    await t.join();
    assert.equal((errors[0] as Error).message, 'left without releasing');
    await assert.rejects(lock.acquire(), ENDED('MainThread', 'thrown', t.name));
    // A plain Lock may be released by any thread (as in Python): that repairs it.
    lock.release();
    assert.equal(await lock.acquire(), true);
    lock.release();
  } finally {
    setExcepthook(previous);
  }
});

test('waiters already blocked (acquireSync) or awaiting when the holder\'s thread is terminated get the error, not a hang', async () => {
  const holder = await startAgent('Holder');
  const lock = new Lock({ name: 'orphan' });
  await holder.run((_, l: Lock) => l.acquireSync(), lock);
  const blocked = agent(1).run((lib, l: Lock) => {
    try {
      return String(l.acquireSync());
    } catch (e) {
      return e instanceof lib.DeadlockError ? e.message : String(e);
    }
  }, lock);
  const awaiting = lock.acquire();
  await until(() => Atomics.load(stateOf(lock), 0) === 2);
  await holder.terminate();
  await assert.rejects(awaiting, ENDED('MainThread', 'orphan', 'Holder'));
  assert.equal(await within(blocked, 10_000), 'Deadlock: Agent-2 waits for orphan held by Holder, which has ended without releasing it');
});

test('a pool task force-cancelled while it holds a Lock: its worker is gone, and so is the hold', async () => {
  const pool = new ThreadPoolExecutor({ maxWorkers: 1, threadNamePrefix: 'Pool' });
  try {
    const lock = new Lock({ name: 'task-lock' });
    const never = new Event();
    const future = pool.submit(holdUntilStopped, lock, never);
    await until(() => lock.locked());
    const waiting = lock.acquire();
    await until(() => Atomics.load(stateOf(lock), 0) === 2);
    assert.equal(future.cancel({ force: true }), true);
    await assert.rejects(waiting, ENDED('MainThread', 'task-lock', 'Pool_0'));
    await assert.rejects(lock.acquire(), ENDED('MainThread', 'task-lock', 'Pool_0'));
    // The pool serves on with a new worker.
    assert.equal(await pool.submit(Math.abs, -3).result(), 3);
  } finally {
    await pool.shutdown();
  }
});

test('with detection off, a lock held by an ended thread behaves as in Python: acquiring waits', async () => {
  const lock = new Lock({ name: 'quiet', detectDeadlock: false });
  const t = new Thread({ target: takeAndReturn, args: [lock] });
  t.start();
  await t.join();
  const waiting = lock.acquire();
  assert.equal(await within(waiting, 400), 'timeout');
  lock.release();
  assert.equal(await waiting, true);
  lock.release();
});
