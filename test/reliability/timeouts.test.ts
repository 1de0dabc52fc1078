/**
 * Every timeout of the public API follows one convention (src/sync/deadline.ts): a number of ms;
 * `undefined` or `null` for no limit; anything else is a `TypeError` naming the parameter, thrown
 * (or rejected) at the call, before anything waits; and a timeout beyond 2^31-1 ms does not fire
 * early.
 *
 * Each door is tried in a state where a wait would block (so a bad timeout read as "no limit"
 * leaves the call pending, which fails here as "still waiting"), or, for blocking `…Sync` forms
 * called from the main thread, in a state where no wait is needed (so a bad timeout read as "no
 * limit" returns normally, which fails as "accepted").
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import {
  Future, ProcessPoolExecutor, ThreadPoolExecutor, asCompleted, wait,
} from '../../src/futures/index.js';
import * as threading from '../../src/threading/index.js';
import * as mp from '../../src/multiprocessing/index.js';
import { tasks as futureTasks } from '../conformance/executor/context.js';
import { tasks as mpTasks } from '../fixtures/multiprocessing/support.js';

/** Bad timeouts, as the timeout itself (inside an options object where the door takes one). */
const BAD: ReadonlyArray<[string, unknown]> = [
  ['a string', '100'],
  ['a null-prototype object', Object.create(null)],
  ['a bigint', 10n],
  ['a boolean', true],
];
/** Bad timeouts for a bare argument that may also be an options object (an object is one). */
const BAD_BARE = BAD.filter(([, value]) => typeof value !== 'object');

/** More than one `setTimeout` can hold: Node's would fire after 1 ms. */
const LONG = 2 ** 31 + 1000;

const isPromiseLike = (value: unknown): value is PromiseLike<unknown> =>
  (typeof value === 'object' || typeof value === 'function') && value !== null && typeof (value as { then?: unknown }).then === 'function';

/** One macrotask turn: a call refused "at the call" has settled by then. */
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Long enough for an early-firing timer (1 ms) to have fired several times over. */
const awhile = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 100));

type Outcome = { kind: 'threw' | 'rejected'; error: unknown } | { kind: 'returned' | 'resolved'; value: unknown } | { kind: 'pending' };

async function outcomeOf(call: () => unknown): Promise<Outcome> {
  let result: unknown;
  try {
    result = call();
  } catch (error) {
    return { kind: 'threw', error };
  }
  if (!isPromiseLike(result)) return { kind: 'returned', value: result };
  let outcome: Outcome = { kind: 'pending' };
  Promise.resolve(result).then((value) => {
    outcome = { kind: 'resolved', value };
  }, (error: unknown) => {
    outcome = { kind: 'rejected', error };
  });
  await turn();
  return outcome;
}

/**
 * `call(bad)` throws or rejects with a TypeError naming `param` before the next macrotask, for
 * each bad value.
 */
async function refusesBadTimeouts(door: string, call: (timeout: unknown) => unknown, options: { param?: string; bare?: boolean } = {}): Promise<void> {
  const param = options.param ?? 'timeout';
  for (const [what, value] of options.bare === true ? BAD_BARE : BAD) {
    const outcome = await outcomeOf(() => call(value));
    const label = `${door} with ${what} as ${param}`;
    if (outcome.kind === 'pending') throw new assert.AssertionError({ message: `${label}: still waiting (the bad timeout was read as no limit)` });
    if (!('error' in outcome)) throw new assert.AssertionError({ message: `${label}: accepted, ${outcome.kind} ${String(outcome.value)}` });
    const error = outcome.error;
    assert.ok(error instanceof TypeError, `${label}: expected a TypeError, got ${String(error)}`);
    assert.ok(error.message.startsWith(`${param} must be a number of milliseconds`), `${label}: the message must name the parameter: ${error.message}`);
  }
}

/**
 * `call()` is still waiting after a while (it neither failed at the call nor timed out early).
 * Returns its promise in a box (an async function would adopt a bare promise and wait for it).
 */
async function waits(door: string, call: () => unknown): Promise<{ promise: Promise<unknown> }> {
  let result: unknown;
  try {
    result = call();
  } catch (error) {
    assert.fail(`${door}: threw ${String(error)}`);
  }
  assert.ok(isPromiseLike(result), `${door}: expected a promise`);
  let settled: Outcome = { kind: 'pending' };
  const promise = Promise.resolve(result);
  promise.then((value) => {
    settled = { kind: 'resolved', value };
  }, (error: unknown) => {
    settled = { kind: 'rejected', error };
  });
  await awhile();
  assert.equal(settled.kind, 'pending', `${door}: ended before it should: ${JSON.stringify(settled, (_k, v: unknown) => (v instanceof Error ? `${v.name}: ${v.message}` : v))}`);
  return { promise };
}

/** {@link waits}, unboxed for `Promise.all`. */
function all(boxes: ReadonlyArray<{ promise: Promise<unknown> }>): Promise<unknown[]> {
  return Promise.all(boxes.map((box) => box.promise));
}

describe('futures', () => {
  test('result, exception, wait and asCompleted refuse a timeout that is not a number, at the call', async () => {
    const f = new Future<number>();
    await refusesBadTimeouts('future.result(t)', (t) => f.result(t as never), { bare: true });
    await refusesBadTimeouts('future.result({ timeout })', (t) => f.result({ timeout: t as never }));
    await refusesBadTimeouts('future.exception(t)', (t) => f.exception(t as never), { bare: true });
    await refusesBadTimeouts('future.exception({ timeout })', (t) => f.exception({ timeout: t as never }));
    await refusesBadTimeouts('wait(fs, { timeout })', (t) => wait([f], { timeout: t as never }));
    await refusesBadTimeouts('wait(fs, t)', (t) => wait([f], t as never), { bare: true });
    await refusesBadTimeouts('asCompleted(fs, { timeout })', (t) => asCompleted([f], { timeout: t as never }));
    await refusesBadTimeouts('asCompleted(fs, t)', (t) => asCompleted([f], t as never), { bare: true });
    assert.equal(f.done(), false);
  });

  test('null means no limit; a timeout beyond 2^31-1 ms does not fire early', async () => {
    const f = new Future<number>();
    const waiting = [
      await waits('future.result(null)', () => f.result(null)),
      await waits('future.result({ timeout: null })', () => f.result({ timeout: null })),
      await waits('future.result(LONG)', () => f.result(LONG)),
      await waits('future.exception(null)', () => f.exception(null)),
      await waits('future.exception(LONG)', () => f.exception({ timeout: LONG })),
      await waits('wait(fs, { timeout: null })', () => wait([f], { timeout: null })),
      await waits('wait(fs, LONG)', () => wait([f], LONG)),
      await waits('asCompleted(fs, null).next()', () => asCompleted([f], null).next()),
      await waits('asCompleted(fs, { timeout: LONG }).next()', () => asCompleted([f], { timeout: LONG }).next()),
    ];
    f.setResult(7);
    const [r1, r2, r3, e1, e2, w1, w2, a1, a2] = await all(waiting);
    assert.deepEqual([r1, r2, r3, e1, e2], [7, 7, 7, undefined, undefined]);
    for (const w of [w1, w2]) assert.deepEqual((w as { done: Set<unknown> }).done, new Set([f]));
    for (const a of [a1, a2]) assert.deepEqual(a, { done: false, value: f });
  });
});

for (const Executor of [ThreadPoolExecutor, ProcessPoolExecutor]) {
  describe(Executor.name, () => {
    test('taskTimeout, withOptions({ timeout }) and map({ timeout }) refuse a non-number at the call; null is no limit', async () => {
      await refusesBadTimeouts(`new ${Executor.name}({ taskTimeout })`, (t) => new Executor({ maxWorkers: 1, taskTimeout: t as never }), { param: 'taskTimeout' });
      await using executor = new Executor({ maxWorkers: 1, taskTimeout: null as never });
      await refusesBadTimeouts('withOptions({ timeout })', (t) => executor.withOptions({ timeout: t as never }));
      await refusesBadTimeouts('map(fn, xs, { timeout })', (t) => executor.map(futureTasks.square, [1], { timeout: t as never }));
      await refusesBadTimeouts('starmap(fn, xs, { timeout })', (t) => executor.starmap(futureTasks.add, [[1, 2]], { timeout: t as never }));
      assert.throws(() => executor.map(futureTasks.square, [1], 5 as never), (e: unknown) => e instanceof TypeError && /^map\(\) options must be an object/.test(e.message));
      assert.equal(await executor.withOptions({ timeout: null }).submit(futureTasks.add, 1, 2), 3);
      assert.deepEqual(await executor.map(futureTasks.square, [2, 3], { timeout: null }).toArray(), [4, 9]);
      // A task that takes a while under a per-task timeout beyond 2^31-1 ms is not stopped early.
      assert.equal(await executor.withOptions({ timeout: LONG }).submit(futureTasks.sleep, 150, 'slept'), 'slept');
      assert.deepEqual(await executor.map(futureTasks.sleep, [150], { timeout: LONG }).toArray(), [150]);
    });
  });
}

describe('threading', () => {
  test('Lock, RLock, Semaphore and BoundedSemaphore: acquire and hold, both forms', async () => {
    const held = new threading.Lock();
    await held.acquire();
    const empty = new threading.Semaphore(0);
    for (const [name, blocked] of [['Lock', held], ['Semaphore(0)', empty]] as const) {
      await refusesBadTimeouts(`${name}.acquire(t)`, (t) => blocked.acquire(t as never), { bare: true });
      await refusesBadTimeouts(`${name}.acquire({ timeout })`, (t) => blocked.acquire({ timeout: t as never }));
      await refusesBadTimeouts(`${name}.hold({ timeout })`, (t) => blocked.hold({ timeout: t as never }));
      await refusesBadTimeouts(`${name}.acquire({ blocking: false, timeout })`, (t) => blocked.acquire({ blocking: false, timeout: t as never }));
    }
    // The blocking forms, on free primitives: a bad timeout must not be taken as "no limit" and acquire.
    for (const free of [new threading.Lock(), new threading.RLock(), new threading.Semaphore(1), new threading.BoundedSemaphore(1)]) {
      const name = free.constructor.name;
      await refusesBadTimeouts(`${name}.acquireSync(t)`, (t) => free.acquireSync(t as never), { bare: true });
      await refusesBadTimeouts(`${name}.acquireSync({ timeout })`, (t) => free.acquireSync({ timeout: t as never }));
      await refusesBadTimeouts(`${name}.holdSync({ timeout })`, (t) => free.holdSync({ timeout: t as never }));
      await refusesBadTimeouts(`${name}.acquire({ timeout })`, (t) => free.acquire({ timeout: t as never }));
    }
    const waiting = [
      await waits('Lock.acquire(null)', () => held.acquire(null as never)),
      await waits('Semaphore.acquire({ timeout: LONG })', () => empty.acquire({ timeout: LONG })),
      await waits('Semaphore.acquire({ timeout: null })', () => empty.acquire({ timeout: null })),
    ];
    held.release();
    empty.release(2);
    assert.deepEqual(await all(waiting), [true, true, true]);
    held.release();
  });

  test('Condition: wait, waitFor and their blocking forms', async () => {
    const cond = new threading.Condition();
    await cond.acquire();
    await refusesBadTimeouts('Condition.wait(t)', (t) => cond.wait(t as never), { bare: true });
    await refusesBadTimeouts('Condition.wait({ timeout })', (t) => cond.wait({ timeout: t as never }));
    await refusesBadTimeouts('Condition.waitFor(pred, { timeout })', (t) => cond.waitFor(() => false, { timeout: t as never }));
    await refusesBadTimeouts('Condition.waitSync(t)', (t) => cond.waitSync(t as never));
    await refusesBadTimeouts('Condition.waitForSync(pred, t)', (t) => cond.waitForSync(() => false, t as never));
    const waiting = await waits('Condition.wait(LONG)', () => cond.wait(LONG));
    await cond.acquire();
    cond.notify();
    cond.release();
    assert.equal(await waiting.promise, true);
    const forever = await waits('Condition.wait({ timeout: null })', () => cond.wait({ timeout: null } as never));
    await cond.acquire();
    cond.notifyAll();
    cond.release();
    assert.equal(await forever.promise, true);
    cond.release();
  });

  test('Event: wait and waitSync', async () => {
    const unset = new threading.Event();
    await refusesBadTimeouts('Event.wait(t)', (t) => unset.wait(t as never), { bare: true });
    await refusesBadTimeouts('Event.wait({ timeout })', (t) => unset.wait({ timeout: t as never }));
    const set = new threading.Event();
    set.set();
    await refusesBadTimeouts('Event.waitSync(t)', (t) => set.waitSync(t as never));
    const waiting = [await waits('Event.wait(null)', () => unset.wait(null as never)), await waits('Event.wait(LONG)', () => unset.wait(LONG))];
    unset.set();
    assert.deepEqual(await all(waiting), [true, true]);
    assert.equal(set.waitSync(null), true);
  });

  test('Barrier: its default timeout, wait and waitSync; null is no limit (also as the default)', async () => {
    await refusesBadTimeouts('new Barrier(2, { timeout })', (t) => new threading.Barrier(2, { timeout: t as never }));
    const barrier = new threading.Barrier(2, { timeout: null });
    await refusesBadTimeouts('Barrier.wait(t)', (t) => barrier.wait(t as never), { bare: true });
    await refusesBadTimeouts('Barrier.wait({ timeout })', (t) => barrier.wait({ timeout: t as never }));
    const alone = new threading.Barrier(1);
    await refusesBadTimeouts('Barrier.waitSync(t)', (t) => alone.waitSync(t as never));
    assert.equal(barrier.broken, false, 'a refused call must not break the barrier');
    const first = await waits('Barrier.wait(LONG)', () => barrier.wait(LONG));
    const second = barrier.wait(null);
    assert.deepEqual(new Set(await Promise.all([first.promise, second])), new Set([0, 1]));
    assert.equal(alone.waitSync(null), 0);
  });

  test('Thread.join, Timer and Timer.join', async () => {
    const go = new threading.Event();
    const thread = new threading.Thread({
      target: (gate: threading.Event) => {
        gate.waitSync();
      },
      args: [go],
    });
    thread.start();
    await refusesBadTimeouts('Thread.join(t)', (t) => thread.join(t as never), { bare: true });
    await refusesBadTimeouts('Thread.join({ timeout })', (t) => thread.join({ timeout: t as never }));
    const joins = [await waits('Thread.join(null)', () => thread.join(null)), await waits('Thread.join(LONG)', () => thread.join(LONG))];
    go.set();
    await all(joins);
    assert.equal(thread.isAlive(), false);

    await refusesBadTimeouts('new Timer(interval, fn)', (t) => new threading.Timer(t as never, () => {}), { param: 'interval' });
    let calls = 0;
    const long = new threading.Timer(LONG, () => calls++);
    long.start();
    await refusesBadTimeouts('Timer.join(t)', (t) => long.join(t as never), { bare: true });
    const joined = await waits('Timer.join(null) of a timer due in 2^31 ms', () => long.join(null));
    assert.equal(calls, 0, 'a Timer of more than 2^31-1 ms fired early');
    long.cancel();
    await joined.promise;
    assert.equal(calls, 0);
  });
});

describe('multiprocessing', () => {
  const closers: Array<() => unknown> = [];
  after(async () => {
    for (const close of closers.reverse()) await close();
  });

  test('Lock, RLock, Semaphore, BoundedSemaphore: acquire in both forms', async () => {
    for (const free of [new mp.Lock(), new mp.RLock(), new mp.Semaphore(1), new mp.BoundedSemaphore(1)]) {
      const name = `mp.${free.constructor.name}`;
      await refusesBadTimeouts(`${name}.acquire(t)`, (t) => free.acquire(t as never), { bare: true });
      await refusesBadTimeouts(`${name}.acquire({ timeout })`, (t) => free.acquire({ timeout: t as never }));
      await refusesBadTimeouts(`${name}.acquireSync({ timeout })`, (t) => free.acquireSync({ timeout: t as never }));
      await refusesBadTimeouts(`${name}.hold({ timeout })`, (t) => free.hold({ timeout: t as never }));
      assert.equal(await free.acquire({ timeout: null }), true);
      free.release();
      assert.equal(await free.acquire(null as never), true);
      free.release();
    }
  });

  test('Condition, Event and Barrier', async () => {
    const cond = new mp.Condition();
    await cond.acquire();
    await refusesBadTimeouts('mp.Condition.wait(t)', (t) => cond.wait(t as never), { bare: true });
    await refusesBadTimeouts('mp.Condition.wait({ timeout })', (t) => cond.wait({ timeout: t as never }));
    await refusesBadTimeouts('mp.Condition.waitFor(pred, { timeout })', (t) => cond.waitFor(() => false, { timeout: t as never }));
    cond.release();

    const event = new mp.Event();
    await refusesBadTimeouts('mp.Event.wait(t)', (t) => event.wait(t as never), { bare: true });
    await refusesBadTimeouts('mp.Event.wait({ timeout })', (t) => event.wait({ timeout: t as never }));
    const waiting = [await waits('mp.Event.wait(null)', () => event.wait(null as never)), await waits('mp.Event.wait(LONG)', () => event.wait(LONG))];
    event.set();
    assert.deepEqual(await all(waiting), [true, true]);
    await refusesBadTimeouts('mp.Event.waitSync(t)', (t) => event.waitSync(t as never));

    await refusesBadTimeouts('new mp.Barrier(2, { timeout })', (t) => new mp.Barrier(2, { timeout: t as never }));
    const barrier = new mp.Barrier(2, { timeout: null });
    await refusesBadTimeouts('mp.Barrier.wait(t)', (t) => barrier.wait(t as never), { bare: true });
    await refusesBadTimeouts('mp.Barrier.wait({ timeout })', (t) => barrier.wait({ timeout: t as never }));
    await refusesBadTimeouts('mp.Barrier.waitSync(t)', (t) => new mp.Barrier(1).waitSync(t as never));
    assert.equal(barrier.broken, false, 'a refused call must not break the barrier');
    const first = await waits('mp.Barrier.wait(LONG)', () => barrier.wait(LONG));
    assert.deepEqual(new Set(await Promise.all([first.promise, barrier.wait(null)])), new Set([0, 1]));
  });

  test('Queue get and put, Pipe recv and poll', async () => {
    const q = new mp.Queue<number>(1);
    closers.push(() => q.close());
    await refusesBadTimeouts('Queue.get(t)', (t) => q.get(t as never), { bare: true });
    await refusesBadTimeouts('Queue.get({ timeout })', (t) => q.get({ timeout: t as never }));
    await refusesBadTimeouts('Queue.get({ block: false, timeout })', (t) => q.get({ block: false, timeout: t as never }));
    const got = [await waits('Queue.get(null)', () => q.get(null as never)), await waits('Queue.get(LONG)', () => q.get(LONG))];
    await q.put(1);
    await q.put(2);
    assert.deepEqual(new Set(await all(got)), new Set([1, 2]));
    await q.put(3);
    await refusesBadTimeouts('Queue.put(x, t)', (t) => q.put(4, t as never), { bare: true });
    await refusesBadTimeouts('Queue.put(x, { timeout })', (t) => q.put(4, { timeout: t as never }));
    const put = await waits('Queue.put(x, { timeout: LONG })', () => q.put(5, { timeout: LONG }));
    assert.equal(await q.get(), 3);
    await put.promise;
    assert.equal(await q.get(), 5);

    const [a, b] = mp.Pipe<number>();
    closers.push(() => a.close(), () => b.close());
    await refusesBadTimeouts('Connection.recv(t)', (t) => a.recv(t as never), { bare: true });
    await refusesBadTimeouts('Connection.recv({ timeout })', (t) => a.recv({ timeout: t as never }));
    await refusesBadTimeouts('Connection.poll(t)', (t) => a.poll(t as never), { bare: true });
    const polled = [await waits('Connection.poll(null)', () => a.poll(null as never)), await waits('Connection.poll(LONG)', () => a.poll(LONG))];
    b.send(9);
    assert.deepEqual(await all(polled), [true, true]);
    assert.equal(await a.recv(null as never), 9);
  });

  test('Process.join, and a Pool\'s AsyncResult and imap', { timeout: 60_000 }, async () => {
    const started = new mp.Event();
    const stop = new mp.Event();
    const child = new mp.Process({ target: mpTasks.waitForever, args: [started, stop] });
    child.start();
    closers.push(() => child.kill());
    await started.wait(30_000);
    await refusesBadTimeouts('Process.join(t)', (t) => child.join(t as never), { bare: true });
    await refusesBadTimeouts('Process.join({ timeout })', (t) => child.join({ timeout: t as never }));
    const joins = [await waits('Process.join(null)', () => child.join(null)), await waits('Process.join(LONG)', () => child.join(LONG))];
    stop.set();
    await all(joins);
    assert.equal(child.exitcode, 0);

    const pool = new mp.Pool(1);
    closers.push(() => pool.terminate());
    const gate = new mp.Event();
    const result = pool.applyAsync(mpTasks.gatedValue, [gate, 5]);
    await refusesBadTimeouts('AsyncResult.get(t)', (t) => result.get(t as never), { bare: true });
    await refusesBadTimeouts('AsyncResult.get({ timeout })', (t) => result.get({ timeout: t as never }));
    await refusesBadTimeouts('AsyncResult.wait(t)', (t) => result.wait(t as never), { bare: true });
    const results = pool.imap(mpTasks.mapItem, [{ gate, value: 6 }]);
    await refusesBadTimeouts('IMapIterator.next(t)', (t) => results.next(t as never));
    const gets = [
      await waits('AsyncResult.get(null)', () => result.get(null)),
      await waits('AsyncResult.get(LONG)', () => result.get(LONG)),
      await waits('IMapIterator.next(LONG)', () => results.next(LONG)),
    ];
    gate.set();
    const [g1, g2, step] = await all(gets);
    assert.deepEqual([g1, g2], [5, 5]);
    assert.deepEqual(step, { done: false, value: 6 });
  });
});

test('an array or a boxed number as a timeout is refused, not read as options without a timeout', async () => {
  const { Future } = await import('../../src/futures/index.js');
  const future = new Future<number>();
  assert.throws(() => future.result([5] as never), TypeError);
  assert.throws(() => future.result(new Number(5) as never), TypeError);
});

test('setDeadlockDetection takes only a boolean', async () => {
  const { setDeadlockDetection } = await import('../../src/threading/index.js');
  assert.throws(() => setDeadlockDetection('no' as never), TypeError);
});

test('JoinableQueue.join({ timeout }) ends the wait with TimeoutError while an item is not done; a wrong type is a TypeError', async () => {
  const q = new mp.JoinableQueue<number>();
  try {
    await q.put(1);
    await assert.rejects(q.join({ timeout: 100 }), mp.TimeoutError);
    await assert.rejects(q.join({ timeout: '100' as never }), TypeError);
    assert.equal(await q.get(), 1);
    await q.taskDone();
    await q.join({ timeout: 5000 });
  } finally {
    q.close();
  }
});
