/**
 * `Manager()`, `SyncManager` and the managed containers: the MGR rows.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type {
  BoundedSemaphore, Lock} from '../../src/multiprocessing/index.js';
import { Manager, Process, ProcessError, RuntimeError, SyncManager, ValueError, type ListProxy, type Queue,
} from '../../src/multiprocessing/index.js';
import { tasks } from '../fixtures/multiprocessing/support.js';

describe('Manager', () => {
  test("MGR-01 Manager() starts one; start() twice is ProcessError('Already started server'); after shutdown, 'Manager has shut down'", async () => {
    const manager = new SyncManager();
    await manager.start();
    await assert.rejects(manager.start(), (e: unknown) => e instanceof ProcessError && e.message === 'Already started server');
    await manager.shutdown();
    await assert.rejects(manager.start(), (e: unknown) => e instanceof ProcessError && e.message === 'Manager has shut down');
    assert.throws(() => manager.dict(), (e: unknown) => e instanceof ProcessError);
    {
      await using m = await Manager();
      assert.equal(await m.list([1]).size(), 1);
    }
  });

  test('MGR-02 dict and list proxies have the dict/list API; changes made in a child are visible here', async () => {
    await using manager = await Manager();
    const d = manager.dict<number>({ a: 1 });
    const l = manager.list<string>(['x']);
    assert.equal(await d.get('a'), 1);
    assert.equal(await d.get('missing', -1), -1);
    await d.set('b', 2);
    assert.deepEqual(await d.keys(), ['a', 'b']);
    assert.equal(await d.has('b'), true);
    assert.equal(await d.pop('b'), 2);
    assert.equal(await d.setdefault('c', 3), 3);
    await d.update({ e: 5 });
    assert.equal(await d.size(), 3);
    await l.extend(['y', 'z']);
    assert.equal(await l.get(-1), 'z');
    assert.equal(await l.index('y'), 1);
    await l.insert(0, 'w');
    assert.deepEqual(await l.toArray(), ['w', 'x', 'y', 'z']);
    assert.equal(await l.pop(), 'z');
    await l.reverse();
    assert.deepEqual(await l.slice(), ['y', 'x', 'w']);
    await l.sort();
    assert.deepEqual(await l.toArray(), ['w', 'x', 'y']);
    const p = new Process({ target: tasks.fillContainers, args: [d, l] });
    p.start();
    await p.join();
    assert.equal(await d.get('answer'), 42);
    assert.equal(await d.get('pid'), p.pid);
    assert.equal(await l.get(-1), 'from child');
    const keys: unknown[] = [];
    for await (const k of d) keys.push(k);
    assert.ok(keys.includes('answer'));
    assert.deepEqual([...(await d.copy()).keys()], keys);
  });

  test('MGR-03 nested proxies: a list stored in a dict is the same list, changed from a child; a queue in a dict works too', async () => {
    await using manager = await Manager();
    const inner = manager.list<number>([1]);
    const outer = manager.dict<ListProxy<number>>();
    await outer.set('inner', inner);
    const p = new Process({ target: tasks.appendNested, args: [outer] });
    p.start();
    await p.join();
    assert.deepEqual(await inner.toArray(), [1, 7]);
    const queues = manager.dict<Queue<string>>();
    await queues.set('q', manager.Queue<string>());
    const q = await queues.get('q');
    await q?.put('through a dict');
    assert.equal(await (await queues.get('q'))?.get(), 'through a dict');
  });

  test("MGR-04 Namespace: set, get and delete attributes, shared with a child; repr is Namespace(name='Bob')", async () => {
    await using manager = await Manager();
    const ns = manager.Namespace({ name: 'Alice' });
    const p = new Process({ target: tasks.renameNamespace, args: [ns, 'Bob'] });
    p.start();
    await p.join();
    assert.equal(await ns.get('name'), 'Bob');
    assert.equal(await ns.repr(), "Namespace(name='Bob')");
    await ns.set('age', 3);
    await ns.delete('age');
    await assert.rejects(ns.get('age'), (e: unknown) => e instanceof TypeError && /no attribute 'age'/.test(e.message));
  });

  test('MGR-05 Value and Array from a manager: value, get, set, list-like Array', async () => {
    await using manager = await Manager();
    const v = manager.Value('i', 5);
    assert.equal(v.value, 5);
    await v.set(6);
    assert.equal(await v.get(), 6);
    const a = manager.Array('d', [1, 2]);
    assert.deepEqual(await a.toArray(), [1, 2]);
  });

  test("MGR-06 a manager's locks and semaphores have threading's error semantics", async () => {
    await using manager = await Manager();
    const lock: Lock = manager.Lock();
    assert.throws(() => lock.release(), (e: unknown) => e instanceof RuntimeError && e.message === 'release unlocked lock');
    const sem: BoundedSemaphore = manager.BoundedSemaphore(1);
    assert.throws(() => sem.release(), (e: unknown) => e instanceof ValueError && e.message === 'Semaphore released too many times');
    const cond = manager.Condition();
    const event = manager.Event();
    const barrier = manager.Barrier(1);
    assert.equal(await barrier.wait(), 0);
    event.set();
    assert.equal(await event.wait(), true);
    await cond.withLock(() => cond.notifyAll());
    assert.equal(await manager.RLock().acquire(), true);
    assert.equal(manager.Semaphore(2).getValue(), 2);
  });

  test('MGR-07 an error raised by a method of a shared object comes back with its class', async () => {
    await using manager = await Manager();
    const l = manager.list([1, 2]);
    await assert.rejects(l.remove(3), (e: unknown) => e instanceof ValueError && e.message === 'list.remove(x): x not in list');
    await assert.rejects(l.index(3), (e: unknown) => e instanceof ValueError && e.message === '3 is not in list');
    await assert.rejects(l.get(5), (e: unknown) => e instanceof RangeError && e.message === 'list index out of range');
    await assert.rejects(manager.list().pop(), (e: unknown) => e instanceof RangeError && e.message === 'pop from empty list');
    // dict.pop(key) without a default: Python's KeyError (a RangeError here, like IndexError); with one, the default.
    const d = manager.dict<number>({ a: 1 });
    await assert.rejects(d.pop('missing'), (e: unknown) => e instanceof RangeError && e.message.startsWith("'missing' (Python's KeyError"));
    await assert.rejects(d.pop(3), (e: unknown) => e instanceof RangeError && e.message.startsWith("3 (Python's KeyError"));
    assert.equal(await d.pop('missing', undefined), undefined);
    assert.equal(await d.pop('missing', -1), -1);
    assert.equal(await d.pop('a'), 1);
    await assert.rejects(d.popitem(), (e: unknown) => e instanceof RangeError && e.message === "'popitem(): dictionary is empty'");
    await assert.rejects(manager.dict().get({} as never), (e: unknown) => e instanceof TypeError && /unhashable/.test(e.message));
  });

  test('MGR-09 a proxy used after its manager has shut down fails with a clear error', async () => {
    const manager = await Manager();
    const d = manager.dict<number>();
    await d.set('a', 1);
    await manager.shutdown();
    await assert.rejects(d.get('a'), (e: unknown) => e instanceof RuntimeError && /no longer exists: its manager was shut down/.test(e.message));
  });
});

/**
 * MGR-06 across processes: each proxy is used from a child `Process` (or a pool's worker
 * process), so a manager object that was not really shared fails here. Every cross-process wait
 * has its own timeout, and each test one of 30 s: a regression fails in seconds, not at the
 * file's limit.
 */
describe('Manager proxies used from other processes', () => {
  const WAIT = 15_000;

  /** Waits for a child's report, or fails naming what did not come. */
  async function report<T>(q: Queue<T>, what: string): Promise<T> {
    try {
      return await q.get({ timeout: WAIT });
    } catch (error) {
      throw new assert.AssertionError({ message: `no report from the child (${what}) within ${WAIT} ms: ${String(error)}` });
    }
  }

  test('MGR-06 Lock: held by a child, this process cannot take it; held here, the child cannot; released by the child, it can', { timeout: 30_000 }, async () => {
    await using manager = await Manager();
    const lock = manager.Lock();
    const held = manager.Event();
    const release = manager.Event();
    const child = new Process({ target: tasks.holdLock, args: [lock, held, release] });
    child.start();
    try {
      assert.equal(await held.wait(WAIT), true, 'the child took the lock');
      assert.equal(await lock.acquire({ blocking: false }), false, 'the lock the child holds looks free here');
      assert.equal(await lock.acquire({ timeout: 50 }), false);
      release.set();
      assert.equal(await lock.acquire({ timeout: WAIT }), true, 'the child released it');
      const q = manager.Queue<boolean>();
      const trier = new Process({ target: tasks.tryLock, args: [lock, q] });
      trier.start();
      assert.equal(await report(q, 'tryLock while held here'), false, 'a child took the lock this process holds');
      await trier.join(WAIT);
      lock.release();
      const second = new Process({ target: tasks.tryLock, args: [lock, q] });
      second.start();
      assert.equal(await report(q, 'tryLock once free'), true);
      await second.join(WAIT);
    } finally {
      release.set();
      await child.join(WAIT);
    }
    assert.equal(child.exitcode, 0);
  });

  test('MGR-06 Condition: a child waiting is woken by a notify from here; a wait here is woken by a child', { timeout: 30_000 }, async () => {
    await using manager = await Manager();
    const cond = manager.Condition();
    const ready = manager.Semaphore(0);
    const q = manager.Queue<boolean>();
    const waiter = new Process({ target: tasks.conditionWaiter, args: [cond, ready, q] });
    waiter.start();
    assert.equal(await ready.acquire({ timeout: WAIT }), true, 'the child is about to wait');
    // The child holds the condition's lock until its wait releases it: once this acquire returns, it waits.
    assert.equal(await cond.acquire({ timeout: WAIT }), true);
    cond.notify();
    cond.release();
    assert.equal(await report(q, 'condition wait'), true, 'the child was not woken by the notify');
    await waiter.join(WAIT);

    const value = manager.Value('i', 0);
    const notifier = new Process({ target: tasks.setAndNotify, args: [cond, value, 7] });
    await cond.withLock(async () => {
      notifier.start();
      assert.equal(await cond.waitFor(async () => (await value.get()) === 7, { timeout: WAIT }), true, 'no notify came from the child');
    });
    await notifier.join(WAIT);
    assert.equal(notifier.exitcode, 0);
  });

  test('MGR-06 Pool: its tasks run in other processes and see this process\'s hold on a manager lock', { timeout: 30_000 }, async () => {
    await using manager = await Manager();
    const pool = manager.Pool(2);
    try {
      const lock = manager.Lock();
      assert.equal(await lock.acquire(), true);
      const held = await pool.applyAsync(tasks.tryLockInPool, [lock]).get(WAIT);
      assert.notEqual(held.pid, process.pid, 'the task ran in a worker process');
      assert.equal(held.got, false, 'a pool worker took the lock this process holds');
      lock.release();
      assert.equal((await pool.applyAsync(tasks.tryLockInPool, [lock]).get(WAIT)).got, true);
    } finally {
      pool.terminate();
      await pool.join();
    }
  });
});
