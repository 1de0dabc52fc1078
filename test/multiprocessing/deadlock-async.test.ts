/**
 * Deadlock detection across processes for the await forms, with the threading module's rules: an
 * await of a lock counts in the wait-for graph once it has lasted the lock's deadlock timeout,
 * even in a process that is busy with other work; tasks of one process contending for one lock are
 * never reported; the same options (`detectDeadlock`, `deadlockTimeout`, the process-wide switches).
 */
import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { taskModule } from '../../src/task-ref/task-module.js';
import {
  Condition, DeadlockError, Event, Lock, Process, Queue, RLock, ValueError, deadlockTimeout, setDeadlockDetection, setDeadlockTimeout,
} from '../../src/multiprocessing/index.js';
import { within } from '../fixtures/sync/harness.js';

const tasks = taskModule<typeof import('../fixtures/multiprocessing/deadlock-tasks.js')>(
  new URL('../fixtures/multiprocessing/deadlock-tasks.js', import.meta.url),
);

type Report = 'acquired' | { error: string; message: string; cycle?: Array<{ thread: string; lock: string }> };

afterEach(() => {
  setDeadlockDetection(true);
  setDeadlockTimeout(1000);
});

/** Two busy processes take `a` then `b` and `b` then `a`; `reports` reads their two reports until `signal` aborts. */
interface Started {
  start(): void;
  terminate(): void;
  join(): Promise<void>;
}

async function opposite(a: Lock, b: Lock, signal?: AbortSignal): Promise<{ reports: Promise<Report[]>; processes: Started[] }> {
  const holding = [new Event(), new Event()];
  const go = new Event();
  const q = new Queue<Report>();
  const processes: Started[] = [
    new Process({ target: tasks.takeTwoBusy, args: [a, b, holding[0] as Event, go, q], name: 'P1' }),
    new Process({ target: tasks.takeTwoBusy, args: [b, a, holding[1] as Event, go, q], name: 'P2' }),
  ];
  for (const p of processes) p.start();
  await Promise.all(holding.map((e) => e.wait()));
  go.set();
  return { reports: (async () => [await q.get({ signal }), await q.get({ signal })])(), processes };
}

describe('deadlock detection across processes, await forms', () => {
  test('two busy processes awaiting two locks in opposite orders: one gets DeadlockError after the deadlock timeout', async () => {
    const { reports, processes } = await opposite(new Lock({ name: 'A' }), new Lock({ name: 'B' }));
    const got = await reports;
    assert.ok(got.includes('acquired'), JSON.stringify(got));
    const failure = got.find((r) => r !== 'acquired') as Exclude<Report, 'acquired'>;
    assert.equal(failure.error, 'DeadlockError');
    assert.match(failure.message,
      /^Deadlock: (P1 waits for B held by P2, which waits for A held by P1|P2 waits for A held by P1, which waits for B held by P2) \(acquire locks in one global order, or use a timeout\)$/);
    assert.equal(failure.cycle?.length, 2);
    await Promise.all(processes.map((p) => p.join()));
  });

  test('deadlockTimeout: Infinity or detectDeadlock: false on the locks keeps busy processes\' awaits out of the graph', async () => {
    for (const options of [{ deadlockTimeout: Infinity }, { detectDeadlock: false }]) {
      const stop = new AbortController();
      const { reports, processes } = await opposite(new Lock({ name: 'A', ...options }), new Lock({ name: 'B', ...options }), stop.signal);
      assert.equal(await within(reports, 1500), 'timeout', `${JSON.stringify(options)}: not reported past the default second`);
      stop.abort();
      await reports.catch(() => undefined);
      for (const p of processes) p.terminate();
      await Promise.all(processes.map((p) => p.join()));
    }
  });

  test('one busy process whose two tasks contend for one Lock is never reported, by withLock scopes or bare acquires', async () => {
    for (const scoped of [true, false]) {
      const lock = new Lock({ deadlockTimeout: 20 });
      const waiting = new Event();
      const go = new Event();
      const q = new Queue<unknown>();
      const p = new Process({ target: tasks.twoTasksOneLock, args: [lock, scoped, waiting, go, q] });
      p.start();
      await waiting.wait();
      const result = q.get();
      // Thirty deadlock timeouts: the second task's wait has long been an edge, to a lock its own process holds.
      assert.equal(await within(result, 600), 'timeout');
      go.set();
      assert.deepEqual(await result, ['first in', 'first out', 'second']);
      await p.join();
    }
  });

  test('the same in this program: two flows of the main thread taking one Lock by bare acquires', async () => {
    const lock = new Lock({ deadlockTimeout: 20 });
    let release!: () => void;
    const slow = new Promise<void>((resolve) => {
      release = resolve;
    });
    const take = async (fn: () => unknown): Promise<unknown> => {
      await lock.acquire();
      try {
        return await fn();
      } finally {
        lock.release();
      }
    };
    const both = Promise.all([take(() => slow), take(() => 'second')]);
    assert.equal(await within(both, 600), 'timeout');
    release();
    assert.deepEqual(await both, [undefined, 'second']);
  });

  test('a lock held by a process that has ended: the next await, in a busy program, gets the error at once', async () => {
    const lock = new Lock({ name: 'orphaned' });
    const p = new Process({ target: tasks.takeAndLeave, args: [lock], name: 'Leaver' });
    p.start();
    await p.join();
    const tick = setInterval(() => {}, 20);
    try {
      const error = await within(lock.acquire().then(() => 'acquired', (e: unknown) => e), 10_000);
      assert.ok(error instanceof DeadlockError, String(error));
      assert.equal(error.message, 'Deadlock: MainProcess waits for orphaned held by Leaver, which has ended without releasing it');
      assert.deepEqual(error.cycle, [{ thread: 'MainProcess', lock: 'orphaned' }, { thread: 'Leaver', lock: 'orphaned' }]);
    } finally {
      clearInterval(tick);
    }
  });

  test('a Condition taking its lock back (await form) is an edge: the cycle through it is reported to its youngest member', async () => {
    // P1 holds B and waits on the condition; P2 takes the condition's lock, notifies, and wants B
    // while it holds it. P1's taking back is an edge at once (deadlockTimeout 0), P2's wait for B
    // after 300 ms: P2 fails, its withLock lets the condition's lock go, and P1's wait returns.
    const condLock = new Lock({ name: 'cond', deadlockTimeout: 0 });
    const cond = new Condition(condLock);
    const b = new Lock({ name: 'B', deadlockTimeout: 300 });
    const ready = new Event();
    const q1 = new Queue<unknown>();
    const q2 = new Queue<unknown>();
    const p1 = new Process({ target: tasks.holdAndWait, args: [cond, b, ready, q1], name: 'P1' });
    const p2 = new Process({ target: tasks.notifyThenTake, args: [cond, b, ready, q2], name: 'P2' });
    p1.start();
    p2.start();
    assert.deepEqual(await q2.get(), {
      error: 'DeadlockError',
      message: 'Deadlock: P2 waits for B held by P1, which waits for cond held by P2 (acquire locks in one global order, or use a timeout)',
      cycle: [{ thread: 'P2', lock: 'B' }, { thread: 'P1', lock: 'cond' }],
    });
    assert.equal(await q1.get(), true);
    await Promise.all([p1.join(), p2.join()]);
  });

  test('setDeadlockTimeout() and setDeadlockDetection() are one process-wide setting for threading and multiprocessing locks', async () => {
    const threading = await import('../../src/threading/index.js');
    assert.equal(threading.setDeadlockTimeout, setDeadlockTimeout);
    assert.equal(threading.setDeadlockDetection, setDeadlockDetection);
    setDeadlockTimeout(250);
    assert.equal(deadlockTimeout(), 250);
    assert.throws(() => new Lock({ deadlockTimeout: -1 }), ValueError);
    assert.throws(() => new RLock({ deadlockTimeout: '1' as unknown as number }), (e: unknown) => e instanceof TypeError && /deadlockTimeout/.test(e.message));
  });
});
