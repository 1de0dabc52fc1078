/**
 * `Pool` and `AsyncResult`: the POOL rows of the checklist.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CancelledError, SerializationError } from '../../src/errors.js';
import { Event, Pool, Semaphore, TimeoutError, ValueError } from '../../src/multiprocessing/index.js';
import { settle } from '../helpers/futures.js';
import { runScript } from '../helpers/node-script.js';
import { assertTimeout, since } from '../helpers/timing.js';
import { allEnded, tasks } from '../fixtures/multiprocessing/support.js';

describe('Pool', () => {
  test("POOL-01 processes below 1 throws ValueError('Number of processes must be at least 1'); the default is cpuCount()", async () => {
    for (const n of [0, -1]) {
      assert.throws(() => new Pool(n), (e: unknown) => e instanceof ValueError && e.message === 'Number of processes must be at least 1');
    }
    const { cpuCount } = await import('../../src/multiprocessing/index.js');
    await using pool = new Pool();
    assert.equal(pool.processes, cpuCount());
  });

  test('POOL-02 maxtasksperchild of 0, -1, 0.5 or "12" throws ValueError', () => {
    for (const bad of [0, -1, 0.5, '12']) {
      assert.throws(() => new Pool(1, { maxtasksperchild: bad as never }),
        (e: unknown) => e instanceof ValueError && /^maxtasksperchild must be a positive int or undefined/.test(e.message));
    }
  });

  test('POOL-03 a non-callable initializer throws TypeError; the initializer runs in each worker before its tasks', async () => {
    assert.throws(() => new Pool(1, { initializer: 5 as never }), (e: unknown) => e instanceof TypeError && e.message === 'initializer must be a callable');
    await using pool = new Pool(2, { initializer: tasks.setGlobal, initargs: ['ready'] });
    assert.deepEqual(await pool.map(tasks.getGlobal as never, [0, 1, 2, 3]), ['ready', 'ready', 'ready', 'ready']);
  });

  test('POOL-04 apply(fn, args) waits and returns fn\'s result', async () => {
    await using pool = new Pool(1);
    assert.equal(await pool.apply(tasks.square, [7]), 49);
    assert.equal(await pool.apply(Math.max, [3, 9, 4]), 9);
  });

  test('POOL-05 map returns the results in input order; an empty input gives []; the course chapter: Pool(3).map(Math.abs) is [2, 8, 3, 0]', async () => {
    await using pool = new Pool(3);
    assert.deepEqual(await pool.map(Math.abs, [-2, 8, -3, 0]), [2, 8, 3, 0]);
    assert.deepEqual(await pool.map(tasks.square, []), []);
    assert.deepEqual(await pool.map(tasks.square, Array.from({ length: 100 }, (_, i) => i), 7), Array.from({ length: 100 }, (_, i) => i * i));
  });

  test('POOL-06 when a call fails, map still waits for every call, then rejects with the first error that arrived', async () => {
    await using pool = new Pool(2);
    const failed = new Event();
    const gate = new Event();
    const result = pool.map(tasks.mapItem, [{ value: 1 }, { value: 2, fail: failed }, { value: 3, gate }], 1);
    let settled = false;
    void result.then(() => (settled = true), () => (settled = true));
    await failed.wait();
    // The failure has happened; the gated call cannot finish until the gate opens.
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(settled, false, 'map did not fail fast');
    gate.set();
    await assert.rejects(result, (e: unknown) => e instanceof RangeError && e.message === 'item 2 failed');
  });

  test('POOL-07 an error thrown by the input iterable comes out of map, imap and imapUnordered; the pool still works', async () => {
    await using pool = new Pool(1);
    function* broken(): Generator<number> {
      yield 1;
      throw new SyntaxError('input broke');
    }
    await assert.rejects(pool.map(tasks.square, broken()), (e: unknown) => e instanceof SyntaxError);
    for (const it of [pool.imap(tasks.square, broken()), pool.imapUnordered(tasks.square, broken())]) {
      assert.deepEqual(await it.next(), { done: false, value: 1 });
      await assert.rejects(it.next(), (e: unknown) => e instanceof SyntaxError);
    }
    assert.equal(await pool.apply(tasks.square, [3]), 9);
  });

  test('POOL-08 starmap and starmapAsync unpack argument lists', async () => {
    await using pool = new Pool(2);
    assert.deepEqual(await pool.starmap(Math.max, [[1, 5], [7, 2], [0, 0]]), [5, 7, 0]);
    assert.deepEqual(await pool.starmapAsync(Math.min, [[1, 5], [7, 2]]).get(), [1, 2]);
  });

  test('POOL-09 AsyncResult: get(timeout) rejects with TimeoutError; ready(); successful() throws ValueError before completion; wait(timeout) resolves', async () => {
    await using pool = new Pool(1);
    const gate = new Event();
    const result = pool.applyAsync(tasks.gatedValue, [gate, 5]);
    assert.equal(result.ready(), false);
    assert.throws(() => result.successful(), (e: unknown) => e instanceof ValueError && / not ready$/.test(e.message));
    const t0 = performance.now();
    await assert.rejects(result.get(200), (e: unknown) => e instanceof TimeoutError);
    assertTimeout(since(t0), 200, 5000);
    assert.equal(await result.wait(50), undefined);
    gate.set();
    assert.equal(await result.get(), 5);
    assert.equal(result.ready(), true);
    assert.equal(result.successful(), true);
    const failing = pool.applyAsync(tasks.failOnTwo, [2]);
    await failing.wait();
    assert.equal(failing.successful(), false);
    await assert.rejects(failing.get(), (e: unknown) => e instanceof RangeError);
  });

  test('POOL-10 exactly one callback runs: callback with the result (the whole list for mapAsync), errorCallback with the error', async () => {
    await using pool = new Pool(2);
    const calls: string[] = [];
    const ok = pool.applyAsync(tasks.square, [4], { callback: (v) => calls.push(`ok ${v}`), errorCallback: () => calls.push('error') });
    await ok.get();
    const list = pool.mapAsync(tasks.square, [1, 2, 3], { callback: (v) => calls.push(`list ${v.join(',')}`), errorCallback: () => calls.push('list error') });
    await list.get();
    const bad = pool.mapAsync(tasks.failOnTwo, [1, 2, 3], { callback: () => calls.push('bad ok'), errorCallback: (e) => calls.push(`bad ${(e as Error).message}`) });
    await bad.wait();
    assert.deepEqual(calls, ['ok 16', 'list 1,4,9', 'bad bad item 2']);
  });

  test('POOL-11 imap yields lazily in order; next(timeout) rejects with TimeoutError and keeps the result; a failed call throws at its position and iteration goes on', async () => {
    await using pool = new Pool(2);
    const seen: unknown[] = [];
    const it = pool.imap(tasks.failOnTwo, [1, 2, 3]);
    for (;;) {
      const step = await settle(it.next());
      if (step.ok && step.value.done === true) break;
      seen.push(step.ok ? step.value.value : (step.error as Error).message);
    }
    assert.deepEqual(seen, [1, 'bad item 2', 3]);
    const gate = new Event();
    const slow = pool.imap(tasks.gatedValue as never, [gate] as never[]);
    const t0 = performance.now();
    await assert.rejects(slow.next(150), (e: unknown) => e instanceof TimeoutError);
    assertTimeout(since(t0), 150, 5000);
    gate.set();
    assert.equal((await slow.next(10_000)).done, false, 'the result was kept for the next call');
  });

  test('imap: next() calls in flight at once settle in call order; one that times out loses nothing and does not jump the queue', { timeout: 60_000 }, async () => {
    await using pool = new Pool(2);
    const it = pool.imap(tasks.square, [1, 2, 3, 4]);
    assert.deepEqual((await Promise.all([it.next(), it.next(), it.next(), it.next(), it.next()])).map((step) => step.value),
      [1, 4, 9, 16, undefined]);
    const gates = [new Event(), new Event()];
    const gated = pool.imap(tasks.mapItem, gates.map((gate, value) => ({ gate, value })));
    // The first call gives up; the second, made before it gave up, still gets the first result,
    // the third the second: the timed-out call neither takes a result nor lets a later call skip one.
    const first = gated.next(100);
    const second = gated.next();
    const third = gated.next();
    await assert.rejects(first, (e: unknown) => e instanceof TimeoutError);
    for (const gate of gates) gate.set();
    assert.deepEqual([await second, await third, await gated.next()],
      [{ done: false, value: 0 }, { done: false, value: 1 }, { done: true, value: undefined }]);
  });

  test('POOL-12 imapUnordered yields in completion order', async () => {
    await using pool = new Pool(3);
    const gates = [new Event(), new Event(), new Event()];
    const it = pool.imapUnordered(tasks.mapItem, gates.map((gate, value) => ({ gate, value })));
    const order: number[] = [];
    for (const i of [2, 0, 1]) {
      (gates[i] as Event).set();
      order.push((await it.next()).value as number);
    }
    assert.deepEqual(order, [2, 0, 1]);
    assert.equal((await it.next()).done, true);
  });

  test("POOL-13 a chunksize below 1 throws ValueError('Chunksize must be 1+, not 0')", async () => {
    await using pool = new Pool(1);
    assert.throws(() => pool.imap(tasks.square, [1], 0), (e: unknown) => e instanceof ValueError && e.message === 'Chunksize must be 1+, not 0');
    assert.throws(() => pool.imapUnordered(tasks.square, [1], 0), (e: unknown) => e instanceof ValueError);
  });

  test("POOL-14 after close(), new work throws ValueError('Pool not running'); join() before close throws 'Pool is still running'; join waits for the workers", async () => {
    const pool = new Pool(2);
    await assert.rejects(pool.join(), (e: unknown) => e instanceof ValueError && e.message === 'Pool is still running');
    const pending = pool.map(tasks.square, [1, 2, 3]);
    const pids = await pool.map(tasks.pid, [0, 1, 2, 3]);
    pool.close();
    assert.throws(() => pool.applyAsync(tasks.square, [1]), (e: unknown) => e instanceof ValueError && e.message === 'Pool not running');
    await assert.rejects(pool.map(tasks.square, [1]), (e: unknown) => e instanceof ValueError && e.message === 'Pool not running');
    await pool.join();
    assert.deepEqual(await pending, [1, 4, 9], 'work submitted before close() finished');
    await allEnded([...new Set(pids)], 2000);
  });

  test('POOL-15 terminate() stops the workers at once, without finishing the work; join() then returns promptly', async () => {
    const pool = new Pool(2);
    const started = new Semaphore(0);
    const results = Array.from({ length: 6 }, () => pool.applyAsync(tasks.spinUntilKilled, [started]));
    await started.acquire();
    await started.acquire();
    const t0 = performance.now();
    pool.terminate();
    await pool.join();
    assert.ok(since(t0) < 5000);
    for (const r of results) await assert.rejects(r.get(), (e: unknown) => e instanceof CancelledError);
  });

  test('POOL-16 await using terminates the pool at the end of the block (a running call is stopped)', async () => {
    const started = new Semaphore(0);
    let result: ReturnType<Pool['applyAsync']> | undefined;
    {
      await using pool = new Pool(1);
      result = pool.applyAsync(tasks.spinUntilKilled, [started]);
      await started.acquire();
    }
    await assert.rejects(result.get(), (e: unknown) => e instanceof CancelledError);
  });

  test('POOL-17 a remote exception arrives with its class, message and the worker\'s stack', async () => {
    await using pool = new Pool(1);
    const outcome = await settle(pool.apply(tasks.failOnTwo, [2]));
    assert.ok(!outcome.ok && outcome.error instanceof RangeError);
    assert.equal((outcome.error).message, 'bad item 2');
    assert.match((outcome.error).stack ?? '', /at failOnTwo \(.*tasks\.ts:\d+:\d+\)/);
  });

  test('POOL-18 a result that cannot be sent back fails with SerializationError through get() and errorCallback; the pool keeps working', async () => {
    await using pool = new Pool(1);
    let seen: unknown;
    const r = pool.applyAsync(tasks.returnFunction, [], { errorCallback: (e) => (seen = e) });
    await assert.rejects(r.get(), (e: unknown) => (e as Error).name === 'SerializationError');
    assert.equal((seen as Error).name, 'SerializationError');
    assert.equal(await pool.apply(tasks.square, [2]), 4);
  });

  test('POOL-19 an argument that cannot be sent makes map reject, without hanging', async () => {
    await using pool = new Pool(1);
    await assert.rejects(pool.map(tasks.square, [1, () => 2] as never[]), (e: unknown) => e instanceof SerializationError);
    assert.equal(await pool.apply(tasks.square, [3]), 9);
  });

  test('POOL-20 with maxtasksperchild the worker pids change; close() and join() with short-lived workers do not hang', async () => {
    const pool = new Pool(1, { maxtasksperchild: 2 });
    const pids: number[] = [];
    for (let i = 0; i < 4; i++) pids.push(await pool.apply(tasks.pid, []));
    assert.equal(pids[0], pids[1]);
    assert.notEqual(pids[1], pids[2]);
    assert.equal(pids[2], pids[3]);
    pool.close();
    await pool.join();
  });

  test('POOL-21 a program that never closes its pool finishes its work and exits 0', async () => {
    const result = await runScript(new URL('../fixtures/multiprocessing/pool-exit-script.ts', import.meta.url), [], 20_000);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, '1 4 9\n');
  });

  test('POOL-22 a Pool cannot be passed to another process (SerializationError; Python raises NotImplementedError)', async () => {
    await using pool = new Pool(1);
    await assert.rejects(pool.apply(tasks.square, [pool] as never), (e: unknown) => e instanceof SerializationError);
  });
});
