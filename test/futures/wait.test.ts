/**
 * `wait()` on fixture futures (CPython's `test_wait.py`, without executors; the executor suite
 * runs the same rows on real workers).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Future} from '../../src/futures/index.js';
import {
  ALL_COMPLETED, FIRST_COMPLETED, FIRST_EXCEPTION, ValueError, wait, type ReturnWhen,
} from '../../src/futures/index.js';
import { createFuture, nextTurn } from '../helpers/futures.js';
import { assertTimeout, since } from '../helpers/timing.js';

/** Finishes `f` on a later turn of the event loop, as a worker's result would arrive. */
function finishLater(f: Future<unknown>, how: 'result' | 'exception' | 'cancel' = 'result'): void {
  setImmediate(() => {
    if (how === 'cancel') f.cancel();
    else if (how === 'exception') f.setException(new Error('later'));
    else f.setResult('later');
  });
}

describe('wait', () => {
  test('WAIT-01 returns { done, notDone } as two disjoint Sets of the input futures', async () => {
    const ok = createFuture('FINISHED');
    const pending = createFuture('PENDING');
    const result = await wait([ok, pending], { timeout: 0 });
    assert.deepEqual(Object.keys(result).sort(), ['done', 'notDone']);
    assert.ok(result.done instanceof Set && result.notDone instanceof Set);
    assert.deepEqual([...result.done], [ok]);
    assert.deepEqual([...result.notDone], [pending]);
  });

  test('WAIT-02 ALL_COMPLETED (the default) returns once every future is finished, failed or cancelled', async () => {
    const done = [createFuture('FINISHED'), createFuture('FAILED'), createFuture('CANCELLED')];
    const later = [createFuture('RUNNING'), createFuture('RUNNING'), createFuture('PENDING')];
    finishLater(later[0] as Future<unknown>);
    finishLater(later[1] as Future<unknown>, 'exception');
    finishLater(later[2] as Future<unknown>, 'cancel');
    const result = await wait([...done, ...later]);
    assert.equal(result.done.size, 6);
    assert.equal(result.notDone.size, 0);
    const explicit = await wait([...done, ...later], { returnWhen: ALL_COMPLETED });
    assert.equal(explicit.done.size, 6);
  });

  test('WAIT-03 FIRST_COMPLETED returns as soon as one future is done', async () => {
    const a = createFuture('RUNNING');
    const b = createFuture('PENDING');
    finishLater(a);
    const { done, notDone } = await wait([a, b], { returnWhen: FIRST_COMPLETED });
    assert.deepEqual([...done], [a]);
    assert.deepEqual([...notDone], [b]);
  });

  test('WAIT-03 FIRST_COMPLETED returns at once, with all of them in done, if some are already done', async () => {
    const finished = createFuture('FINISHED');
    const failed = createFuture('FAILED');
    const pending = createFuture('PENDING');
    const running = createFuture('RUNNING');
    const { done, notDone } = await wait([finished, pending, failed, running], { returnWhen: FIRST_COMPLETED, timeout: 60_000 });
    assert.deepEqual(done, new Set([finished, failed]));
    assert.deepEqual(notDone, new Set([pending, running]));
  });

  test('FUT-16 a cancelled future counts as done for wait() (one CANCELLED state, no CANCELLED_AND_NOTIFIED)', async () => {
    const cancelled = createFuture('CANCELLED');
    const pending = createFuture('PENDING');
    const { done, notDone } = await wait([cancelled, pending], { returnWhen: FIRST_COMPLETED, timeout: 60_000 });
    assert.deepEqual([...done], [cancelled]);
    assert.deepEqual([...notDone], [pending]);
  });

  test('WAIT-04 FIRST_EXCEPTION returns when a future fails', async () => {
    const ok = createFuture('RUNNING');
    const failing = createFuture('RUNNING');
    const pending = createFuture('PENDING');
    finishLater(ok);
    setImmediate(() => finishLater(failing, 'exception'));
    const { done, notDone } = await wait([ok, failing, pending], { returnWhen: FIRST_EXCEPTION });
    assert.deepEqual(done, new Set([ok, failing]));
    assert.deepEqual([...notDone], [pending]);
  });

  test('WAIT-04 FIRST_EXCEPTION returns at once if a future has already failed', async () => {
    const failed = createFuture('FAILED');
    const finished = createFuture('FINISHED');
    const pending = createFuture('PENDING');
    const { done, notDone } = await wait([finished, failed, pending], { returnWhen: FIRST_EXCEPTION, timeout: 60_000 });
    assert.deepEqual(done, new Set([finished, failed]));
    assert.deepEqual([...notDone], [pending]);
  });

  test('WAIT-04 FIRST_EXCEPTION: a cancellation is not an exception; without any exception it waits for all', async () => {
    const cancelled = createFuture('CANCELLED');
    const finished = createFuture('FINISHED');
    const running = createFuture('RUNNING');
    const cancelledLater = createFuture('PENDING');
    finishLater(cancelledLater, 'cancel');
    setImmediate(() => finishLater(running));
    const { done, notDone } = await wait([cancelled, finished, running, cancelledLater], { returnWhen: FIRST_EXCEPTION });
    assert.equal(done.size, 4);
    assert.equal(notDone.size, 0);
    assert.equal(running.done(), true, 'it waited for the last one');
  });

  test('WAIT-05 when the timeout passes, wait returns what is done so far instead of throwing', async () => {
    const finished = createFuture('FINISHED');
    const pending = createFuture('PENDING');
    for (const returnWhen of [ALL_COMPLETED, FIRST_EXCEPTION] as const) {
      const start = performance.now();
      const { done, notDone } = await wait([finished, pending], { timeout: 100, returnWhen });
      assertTimeout(since(start), 100);
      assert.deepEqual([...done], [finished]);
      assert.deepEqual([...notDone], [pending]);
    }
    const start = performance.now();
    const { done } = await wait([pending], { timeout: 100, returnWhen: FIRST_COMPLETED });
    assertTimeout(since(start), 100);
    assert.equal(done.size, 0);
  });

  test('WAIT-05 timeout 0 only looks', async () => {
    const pending = createFuture('PENDING');
    const start = performance.now();
    const { done, notDone } = await wait([pending], { timeout: 0 });
    assert.ok(since(start) < 1000);
    assert.equal(done.size, 0);
    assert.equal(notDone.size, 1);
  });

  test('WAIT-06 a future given twice appears once', async () => {
    const f = createFuture('FINISHED');
    const p = createFuture('PENDING');
    const { done, notDone } = await wait([f, f, p, p], { timeout: 0 });
    assert.deepEqual([...done], [f]);
    assert.deepEqual([...notDone], [p]);
  });

  test('WAIT-07 an invalid returnWhen throws ValueError("Invalid return condition: \'bogus\'") (checked even when nothing would block)', async () => {
    const message = "Invalid return condition: 'bogus'";
    await assert.rejects(wait([createFuture('PENDING')], { returnWhen: 'bogus' as ReturnWhen }), (e: unknown) =>
      e instanceof ValueError && e.message === message);
    await assert.rejects(wait([createFuture('FINISHED')], { returnWhen: 'bogus' as ReturnWhen }), ValueError);
  });

  test('wait rejects a negative or NaN timeout with ValueError', async () => {
    await assert.rejects(wait([createFuture('PENDING')], { timeout: -1 }), ValueError);
    await assert.rejects(wait([createFuture('PENDING')], { timeout: Number.NaN }), ValueError);
  });

  test('WAIT-08 an empty input returns two empty sets at once', async () => {
    for (const returnWhen of [ALL_COMPLETED, FIRST_COMPLETED, FIRST_EXCEPTION] as const) {
      const { done, notDone } = await wait([], { returnWhen });
      assert.equal(done.size + notDone.size, 0);
    }
  });

  test('WAIT-09 any iterable of bare futures can be waited on (a Set, a generator)', async () => {
    const a = createFuture('FINISHED');
    const b = createFuture('RUNNING');
    finishLater(b);
    function* both(): Generator<Future<unknown>> {
      yield a;
      yield b;
    }
    assert.equal((await wait(new Set([a, b]))).done.size, 2);
    assert.equal((await wait(both())).done.size, 2);
  });

  test('WAIT-10 100 futures completing at the same moment lose no wake-up', async () => {
    const fs = Array.from({ length: 100 }, () => createFuture<number>('RUNNING'));
    const waiting = wait(fs);
    await nextTurn();
    fs.forEach((f, i) => f.setResult(i));
    const { done, notDone } = await waiting;
    assert.equal(done.size, 100);
    assert.equal(notDone.size, 0);
  });

  test('a wait and a timed result() on the same future are both woken', async () => {
    const f = createFuture('RUNNING');
    const timed = f.result(60_000);
    const waiting = wait([f], { timeout: 60_000 });
    const timedToo = f.result({ timeout: 60_000 });
    f.setResult('both');
    assert.equal((await waiting).done.size, 1);
    assert.equal(await timed, 'both');
    assert.equal(await timedToo, 'both');
  });
});
