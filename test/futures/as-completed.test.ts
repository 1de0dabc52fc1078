/**
 * `asCompleted()` on fixture futures (CPython's `test_as_completed.py`). It yields futures, not
 * results: a failed or cancelled future is yielded like any other.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Future, TimeoutError, ValueError, asCompleted } from '../../src/futures/index.js';
import { createFuture, nextTurn } from '../helpers/futures.js';
import { collected } from '../helpers/gc.js';
import { assertTimeout, since } from '../helpers/timing.js';

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

describe('asCompleted', () => {
  test('ASC-01 yields the done futures first, then the others in the order they finish', async () => {
    const finished = createFuture('FINISHED');
    const failed = createFuture('FAILED');
    const cancelled = createFuture('CANCELLED');
    const later: Array<Future<unknown>> = [createFuture('RUNNING'), createFuture('RUNNING'), createFuture('PENDING')];
    const [l0, l1, l2] = later as [Future<unknown>, Future<unknown>, Future<unknown>];
    const toFinish = [l0, l1, l2];
    const order: unknown[] = [];
    for await (const f of asCompleted([l0, finished, l1, failed, l2, cancelled])) {
      order.push(f);
      // Once the done ones are out, finish the others one per step, last one first.
      if (order.length >= 3) {
        const next = toFinish.pop();
        if (next !== undefined) setImmediate(() => next.setResult('x'));
      }
    }
    assert.deepEqual(new Set(order.slice(0, 3)), new Set([finished, failed, cancelled]));
    assert.deepEqual(order.slice(3), [l2, l1, l0]);
  });

  test('ASC-01 the values are Futures, not results; a failed future is yielded, not thrown', async () => {
    const failed = createFuture('FAILED');
    const ok = createFuture<number>('FINISHED', { result: 7 });
    const out = await collect(asCompleted([failed, ok]));
    assert.equal(out.length, 2);
    for (const f of out) assert.ok(f instanceof Future, 'a future, not its result');
    assert.ok(out.includes(failed));
  });

  test('ASC-01 the completion order is the order in which the futures finish', async () => {
    const fs = [createFuture<number>('RUNNING'), createFuture<number>('RUNNING'), createFuture<number>('RUNNING')];
    const iterator = asCompleted(fs);
    const seen: number[] = [];
    const finishOrder = [2, 0, 1];
    setImmediate(() => fs[2]?.setResult(2));
    // Read by hand: `for await` would type `f` as the result (TypeScript applies Awaited to a
    // thenable), although the values are Futures.
    for (let step = await iterator.next(); step.done !== true; step = await iterator.next()) {
      seen.push(await step.value.result());
      const next = finishOrder[seen.length];
      if (next !== undefined) setImmediate(() => fs[next]?.setResult(next));
    }
    assert.deepEqual(seen, [2, 0, 1]);
  });

  test('ASC-02 accepts any iterable and yields a repeated future once', async () => {
    const f = createFuture('FINISHED');
    function* thrice(): Generator<Future<unknown>> {
      yield f;
      yield f;
      yield f;
    }
    assert.deepEqual(await collect(asCompleted(thrice())), [f]);
    const g = createFuture('RUNNING');
    setImmediate(() => g.setResult(1));
    assert.deepEqual(await collect(asCompleted([g, g, g])), [g]);
  });

  test('ASC-03 the timeout is one deadline: TimeoutError("2 (of 4) futures unfinished") after the finished ones', async () => {
    const finished = createFuture('FINISHED');
    const failed = createFuture('FAILED');
    const pending = [createFuture('PENDING'), createFuture('RUNNING')];
    const start = performance.now();
    const seen: unknown[] = [];
    await assert.rejects(async () => {
      for await (const f of asCompleted([finished, pending[0] as Future<unknown>, failed, pending[1] as Future<unknown>], { timeout: 150 })) {
        seen.push(f);
      }
    }, (e: unknown) => e instanceof TimeoutError && e.message === '2 (of 4) futures unfinished');
    assertTimeout(since(start), 150);
    assert.deepEqual(new Set(seen), new Set([finished, failed]));
  });

  test('ASC-03 the deadline counts from the call, not from each step', async () => {
    const a = createFuture('RUNNING');
    const b = createFuture('RUNNING');
    const start = performance.now();
    const iterator = asCompleted([a, b], { timeout: 200 });
    setImmediate(() => a.setResult(1));
    const first = await iterator.next();
    assert.equal(first.value, a);
    await assert.rejects(iterator.next(), /1 \(of 2\) futures unfinished/);
    assertTimeout(since(start), 200);
    const after = await iterator.next();
    assert.equal(after.done, true, 'the iterator is finished after the timeout');
  });

  test('ASC-04 timeout 0 yields the futures already done, then throws', async () => {
    const finished = createFuture('FINISHED');
    const cancelled = createFuture('CANCELLED');
    const pending = createFuture('PENDING');
    const seen: unknown[] = [];
    await assert.rejects(async () => {
      for await (const f of asCompleted([finished, pending, cancelled], { timeout: 0 })) seen.push(f);
    }, { name: 'TimeoutError', message: '1 (of 3) futures unfinished' });
    assert.deepEqual(new Set(seen), new Set([finished, cancelled]));
  });

  test('ASC-04 timeout 0 on futures that are all done just yields them', async () => {
    const fs = [createFuture('FINISHED'), createFuture('FAILED')];
    assert.equal((await collect(asCompleted(fs, { timeout: 0 }))).length, 2);
  });

  test('asCompleted rejects a negative timeout with ValueError at the call', () => {
    assert.throws(() => asCompleted([], { timeout: -1 }), ValueError);
  });

  test('an empty input ends at once', async () => {
    assert.deepEqual(await collect(asCompleted([])), []);
  });

  test('ASC-05 leaving the loop early stops the iteration; later completions are not delivered', async () => {
    const a = createFuture('RUNNING');
    const b = createFuture('RUNNING');
    const iterator = asCompleted([a, b]);
    setImmediate(() => a.setResult(1));
    for await (const f of iterator) {
      assert.equal(f, a);
      break;
    }
    b.setResult(2);
    await nextTurn();
    assert.deepEqual(await iterator.next(), { done: true, value: undefined });
  });

  test('ASC-05 return() while a next() is waiting ends that next() (it does not hang)', async () => {
    const f = createFuture('RUNNING');
    const iterator = asCompleted([f]);
    const waiting = iterator.next();
    await iterator.return?.();
    assert.deepEqual(await waiting, { done: true, value: undefined });
    f.setResult(1);
  });

  test('ASC-05 it keeps no reference to a future it has yielded', async () => {
    let yielded: Future<unknown> | undefined = createFuture('FINISHED');
    const ref = new WeakRef(yielded);
    const pending = createFuture('PENDING');
    const iterator = asCompleted([yielded, pending]);
    yielded = undefined;
    let first: IteratorResult<unknown> | undefined = await iterator.next();
    assert.equal(first.done, false);
    first = undefined;
    assert.equal(await collected(ref), true, 'the yielded future was garbage collected while the iterator lives');
    pending.cancel();
    assert.equal((await iterator.next()).value, pending);
  });

  test('a future cancelled while the loop waits is yielded (FUT-16: cancelled counts as done)', async () => {
    const f = createFuture('PENDING');
    setImmediate(() => f.cancel());
    const out = await collect(asCompleted([f]));
    assert.deepEqual(out, [f]);
    assert.equal(out[0]?.cancelled(), true);
  });
  test('next() calls in flight at once settle in order, as an async generator\'s do', { timeout: 10_000 }, async () => {
    const fs = [createFuture<number>('RUNNING'), createFuture<number>('RUNNING'), createFuture<number>('RUNNING')];
    const iterator = asCompleted(fs);
    const steps = Promise.all([iterator.next(), iterator.next(), iterator.next(), iterator.next()]);
    fs[1]?.setResult(1);
    fs[2]?.setResult(2);
    fs[0]?.setResult(0);
    const values = (await steps).map((step) => step.value);
    assert.deepEqual(values, [fs[1], fs[2], fs[0], undefined]);
  });

  test('next() calls in flight when the deadline passes: the first throws TimeoutError, the later ones end', { timeout: 10_000 }, async () => {
    const fs = [createFuture<number>('RUNNING'), createFuture<number>('RUNNING')];
    const iterator = asCompleted(fs, { timeout: 50 });
    const settled = await Promise.allSettled([iterator.next(), iterator.next()]);
    assert.ok(settled[0].status === 'rejected' && settled[0].reason instanceof TimeoutError, 'the first call times out');
    assert.deepEqual(settled[1], { status: 'fulfilled', value: { done: true, value: undefined } });
  });
});
