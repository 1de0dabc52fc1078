/**
 * EXE rows (submit, shutdown, `await using`, references) and the FUT/WAIT/ASC rows that need a
 * real executor (CPython's `ExecutorTest`, `ExecutorShutdownTest`, `WaitTests`, `AsCompletedTests`).
 *
 * @module
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { threadId } from 'node:worker_threads';
import {
  ALL_COMPLETED, CancelledError, FIRST_COMPLETED, FIRST_EXCEPTION, Future, RuntimeError, ValueError, asCompleted, wait,
} from '../../../src/futures/index.js';
import { isMain } from '../../../src/index.js';
import { createFuture, nextTurn, settle } from '../../helpers/futures.js';
import { collected } from '../../helpers/gc.js';
import { bump, read, waitFor } from '../../helpers/signals.js';
import { tasks, type SuiteContext } from './context.js';

/** Self-contained: travels as source text. */
function triple(x: number): number {
  return 3 * x;
}

export function submitAndShutdownTests({ factory, kind }: SuiteContext): void {
  describe('submit and shutdown', () => {
    test('EXE-01 submit(fn, ...args) returns a Future that resolves to fn\'s return value', async () => {
      await using executor = factory({ maxWorkers: 2 });
      const future = executor.submit(tasks.add, 2, 3);
      assert.ok(future instanceof Future);
      assert.equal(await future.result(), 5);
      assert.equal(await executor.submit(triple, 7), 21);
      assert.equal(await executor.submit(tasks.addLater, 20, 22), 42, 'an async task resolves to its awaited value');
      assert.equal(future.done(), true);
      assert.equal(future.state, 'FINISHED');
    });

    test('EXE-01 many submits from one loop all resolve to their own results', async () => {
      await using executor = factory({ maxWorkers: 2 });
      const futures = Array.from({ length: 200 }, (_, i) => executor.submit(tasks.square, i));
      const results = await Promise.all(futures.map((f) => f.result()));
      assert.deepEqual(results, Array.from({ length: 200 }, (_, i) => i * i));
    });

    test('EXE-02 submit after shutdown throws RuntimeError("cannot schedule new futures after shutdown")', async () => {
      const executor = factory({ maxWorkers: 1 });
      await executor.shutdown();
      const message = 'cannot schedule new futures after shutdown';
      assert.throws(() => executor.submit(tasks.add, 1, 2), (e: unknown) => e instanceof RuntimeError && e.message === message);
      const noWait = factory({ maxWorkers: 1 });
      const pending = noWait.shutdown({ wait: false });
      assert.throws(() => noWait.submit(tasks.add, 1, 2), { message });
      await pending;
    });

    test('EXE-02 map after shutdown throws the same RuntimeError at the call, as Python\'s map does', async () => {
      const executor = factory({ maxWorkers: 1 });
      await executor.shutdown();
      assert.throws(() => executor.map(tasks.square, [1, 2]), { name: 'RuntimeError', message: 'cannot schedule new futures after shutdown' });
      assert.throws(() => executor.starmap(tasks.add, [[1, 2]]), { name: 'RuntimeError', message: 'cannot schedule new futures after shutdown' });
    });

    test('EXE-04 shutdown() returns only after every queued and running future has finished', async () => {
      const board = kind().board();
      const executor = factory({ maxWorkers: 2 });
      const futures = Array.from({ length: 8 }, (_, i) => executor.submit(tasks.gated, board, { started: 1, gate: 0 }, i));
      await waitFor(board, 1, 2);
      let returned = false;
      const shutdown = executor.shutdown().then(() => {
        returned = true;
      });
      await nextTurn();
      assert.equal(returned, false, 'shutdown() waits while the tasks are blocked');
      bump(board, 0);
      await shutdown;
      assert.ok(futures.every((f) => f.done() && !f.cancelled()), 'all done when shutdown() resolves');
      assert.deepEqual(await Promise.all(futures.map((f) => f.result())), futures.map((_, i) => i));
    });

    test('EXE-05 shutdown({ wait: false }) returns at once, yet queued and running work (and an earlier map) still finishes', async () => {
      const board = kind().board();
      const executor = factory({ maxWorkers: 2 });
      const gated = Array.from({ length: 4 }, (_, i) => executor.submit(tasks.gated, board, { started: 1, gate: 0 }, i));
      const mapped = executor.starmap(tasks.gated, [0, 1, 2].map((i) => [board, { gate: 0 }, `m${i}`] as [typeof board, { gate: number }, string]));
      await waitFor(board, 1, 1);
      await executor.shutdown({ wait: false });
      assert.ok(gated.every((f) => !f.done()), 'shutdown({ wait: false }) did not wait for the gated tasks');
      bump(board, 0);
      assert.deepEqual(await Promise.all(gated.map((f) => f.result())), [0, 1, 2, 3]);
      assert.deepEqual(await mapped.toArray(), ['m0', 'm1', 'm2']);
      await executor.shutdown();
    });

    test('EXE-06 shutdown({ cancelFutures: true }) cancels the futures that have not started; the running one finishes', async () => {
      const board = kind().board();
      const executor = factory({ maxWorkers: 1 });
      const running = executor.submit(tasks.gated, board, { started: 1, gate: 0 }, 'ran');
      await waitFor(board, 1, 1);
      const queued = Array.from({ length: 20 }, (_, i) => executor.submit(tasks.count, board, 2, i));
      const shutdown = executor.shutdown({ cancelFutures: true });
      bump(board, 0);
      await shutdown;
      assert.equal(await running.result(), 'ran');
      assert.ok(queued.every((f) => f.done()), 'every future settled');
      const cancelled = queued.filter((f) => f.cancelled());
      assert.ok(cancelled.length > 10, `${cancelled.length} of 20 queued futures cancelled`);
      for (const f of cancelled) await assert.rejects(f.result(), CancelledError);
      for (const f of queued.filter((g) => !g.cancelled())) await f.result();
      assert.equal(read(board, 2), 20 - cancelled.length, 'the cancelled calls never ran');
    });

    test('EXE-06 shutdown({ wait: false, cancelFutures: true }) cancels the queue and returns at once', async () => {
      const board = kind().board();
      const executor = factory({ maxWorkers: 1 });
      const running = executor.submit(tasks.gated, board, { started: 1, gate: 0 }, 'ran');
      await waitFor(board, 1, 1);
      const queued = Array.from({ length: 5 }, () => executor.submit(tasks.count, board, 2));
      await executor.shutdown({ wait: false, cancelFutures: true });
      assert.equal(running.done(), false);
      assert.ok(queued.every((f) => f.cancelled()));
      bump(board, 0);
      assert.equal(await running.result(), 'ran');
      await executor.shutdown();
      assert.equal(read(board, 2), 0);
    });

    test('EXE-08 shutdown() can be called several times, also concurrently', async () => {
      const executor = factory({ maxWorkers: 1 });
      const f = executor.submit(tasks.add, 1, 1);
      await Promise.all([executor.shutdown(), executor.shutdown(), executor.shutdown({ wait: false })]);
      await executor.shutdown();
      assert.equal(await f.result(), 2);
      const never = factory({ maxWorkers: 1 });
      await never.shutdown();
      await never.shutdown();
    });

    test('EXE-09 shutdown() does not hang when a future was submitted and cancelled just before it', async () => {
      const executor = factory({ maxWorkers: 1 });
      const f = executor.submit(tasks.add, 1, 2);
      assert.equal(f.cancel(), true);
      await executor.shutdown();
      assert.equal(f.cancelled(), true);
      const other = factory({ maxWorkers: 1 });
      const futures = Array.from({ length: 10 }, (_, i) => other.submit(tasks.square, i));
      for (const g of futures.slice(5)) g.cancel();
      await other.shutdown();
      assert.ok(futures.every((g) => g.done()));
    });

    test('EXE-10 await using shuts the executor down with wait at the end of the block, also when the block throws', async () => {
      let kept: ReturnType<typeof factory> | undefined;
      let future: Future<unknown> | undefined;
      {
        await using executor = factory({ maxWorkers: 1 });
        kept = executor;
        future = executor.submit(tasks.sleep, 20, 'slept');
      }
      assert.equal(future.done(), true, 'the block waited for the task');
      assert.throws(() => kept?.submit(tasks.add, 1, 1), RuntimeError);

      const failure = new Error('the block failed');
      let inner: Future<unknown> | undefined;
      await assert.rejects(async () => {
        await using executor = factory({ maxWorkers: 1 });
        kept = executor;
        inner = executor.submit(tasks.sleep, 20, 'slept');
        throw failure;
      }, (e: unknown) => e === failure);
      assert.equal(inner?.done(), true, 'shutdown waited before the error propagated');
      assert.throws(() => kept?.submit(tasks.add, 1, 1), RuntimeError);
    });

    test('EXE-12 maxWorkers of 0 or below throws ValueError("maxWorkers must be greater than 0")', () => {
      for (const maxWorkers of [0, -1]) {
        assert.throws(() => factory({ maxWorkers }), (e: unknown) =>
          e instanceof ValueError && e.message.startsWith('maxWorkers must be greater than 0'));
      }
      assert.throws(() => factory({ maxWorkers: 1.5 }), TypeError);
    });

    test('EXE-13 the executor keeps no reference to a finished call\'s function or arguments', async () => {
      await using executor = factory({ maxWorkers: 1 });
      let argument: { payload: number[] } | undefined = { payload: [1, 2, 3] };
      // A fresh function object each time, sent as source text.
      // eslint-disable-next-line @typescript-eslint/no-implied-eval
      let fn: ((x: { payload: number[] }) => number) | undefined = new Function('x', 'return x.payload.length') as (x: { payload: number[] }) => number;
      const argumentRef = new WeakRef(argument);
      const fnRef = new WeakRef(fn);
      const future = executor.submit(fn, argument);
      assert.equal(await future.result(), 3);
      argument = undefined;
      fn = undefined;
      assert.equal(await collected(argumentRef), true, 'the argument was collected while the future and executor live');
      assert.equal(await collected(fnRef), true, 'the function was collected while the future and executor live');
      assert.equal(await future.result(), 3);
    });

    test('FUT-06 a failed task\'s future rejects with the same error object every time', async () => {
      await using executor = factory({ maxWorkers: 1 });
      const f = executor.submit(tasks.throwRangeError, 'same');
      const first = await settle(f.result());
      const second = await settle(f);
      const third = await f.exception();
      assert.ok(!first.ok && !second.ok);
      assert.equal(first.error, second.error);
      assert.equal(first.error, third);
    });

    test('FUT-13 done-callbacks run on the main thread, in the program', async () => {
      await using executor = factory({ maxWorkers: 1 });
      const f = executor.submit(tasks.add, 1, 1);
      const where = await new Promise<[boolean, number]>((resolve) => f.addDoneCallback(() => resolve([isMain(), threadId])));
      assert.deepEqual(where, [true, 0]);
    });

    test('FUT-17 a task that throws undefined, 0 or \'\' still fails its future', async () => {
      await using executor = factory({ maxWorkers: 1 });
      for (const value of [undefined, 0, '', null, false]) {
        const f = executor.submit(tasks.throwValue, value);
        const outcome = await settle(f.result());
        assert.equal(outcome.ok, false, `throw ${String(value)} failed the future`);
        assert.ok(!outcome.ok && Object.is(outcome.error, value));
        const { done } = await wait([f], { returnWhen: FIRST_EXCEPTION });
        assert.ok(done.has(f));
      }
      assert.equal(await executor.submit(tasks.add, 1, 1), 2, 'the worker carries on');
    });
  });

  describe('wait and asCompleted on executor futures', () => {
    test('WAIT-02 ALL_COMPLETED waits for every task; a failed one counts as done', async () => {
      await using executor = factory({ maxWorkers: 2 });
      const futures = [executor.submit(tasks.sleep, 30), executor.submit(tasks.throwRangeError, 'x'), executor.submit(tasks.add, 1, 2)];
      const { done, notDone } = await wait(futures, { returnWhen: ALL_COMPLETED });
      assert.equal(done.size, 3);
      assert.equal(notDone.size, 0);
    });

    test('WAIT-03 FIRST_COMPLETED returns when the first task finishes while another still runs', async () => {
      const board = kind().board();
      await using executor = factory({ maxWorkers: 2 });
      const blocked = executor.submit(tasks.gated, board, { started: 1, gate: 0 });
      await waitFor(board, 1, 1);
      const quick = executor.submit(tasks.add, 1, 2);
      try {
        const { done, notDone } = await wait([blocked, quick], { returnWhen: FIRST_COMPLETED });
        assert.deepEqual([...done], [quick]);
        assert.deepEqual([...notDone], [blocked]);
      } finally {
        bump(board, 0);
      }
    });

    test('WAIT-04 FIRST_EXCEPTION returns when a task fails while another still runs', async () => {
      const board = kind().board();
      await using executor = factory({ maxWorkers: 2 });
      const blocked = executor.submit(tasks.gated, board, { started: 1, gate: 0 });
      await waitFor(board, 1, 1);
      const failing = executor.submit(tasks.throwRangeError, 'first exception');
      try {
        const { done, notDone } = await wait([blocked, failing], { returnWhen: FIRST_EXCEPTION });
        assert.deepEqual([...done], [failing]);
        assert.deepEqual([...notDone], [blocked]);
      } finally {
        bump(board, 0);
      }
    });

    test('WAIT-05 wait(timeout) on a running task returns it in notDone', async () => {
      const board = kind().board();
      await using executor = factory({ maxWorkers: 1 });
      const blocked = executor.submit(tasks.gated, board, { gate: 0 });
      try {
        const { done, notDone } = await wait([blocked], { timeout: 50 });
        assert.equal(done.size, 0);
        assert.deepEqual([...notDone], [blocked]);
      } finally {
        bump(board, 0);
      }
    });

    test('WAIT-09 executor futures, futures of another executor and bare futures mix in one wait', async () => {
      await using a = factory({ maxWorkers: 1 });
      await using b = factory({ maxWorkers: 1 });
      const bare = createFuture<string>('RUNNING');
      const fa = a.submit(tasks.add, 1, 2);
      const fb = b.submit(tasks.isPrime, 97);
      fa.addDoneCallback(() => bare.setResult('bare'));
      const { done } = await wait([fa, fb, bare, createFuture('FINISHED')]);
      assert.equal(done.size, 4);
      assert.deepEqual([await fa.result(), await fb.result(), await bare.result()], [3, true, 'bare']);
    });

    test('WAIT-10 100 tasks released at the same moment lose no wake-up', async () => {
      const board = kind().board();
      await using executor = factory({ maxWorkers: 4 });
      const futures = Array.from({ length: 100 }, (_, i) => executor.submit(tasks.gated, board, { gate: 0 }, i));
      const waiting = wait(futures);
      bump(board, 0);
      const { done, notDone } = await waiting;
      assert.equal(done.size, 100);
      assert.equal(notDone.size, 0);
    });

    test('ASC-01 asCompleted yields the finished task first, then the one released later', async () => {
      const board = kind().board();
      await using executor = factory({ maxWorkers: 2 });
      const blocked = executor.submit(tasks.gated, board, { started: 1, gate: 0 }, 'second');
      await waitFor(board, 1, 1);
      const quick = executor.submit(tasks.add, 1, 2);
      const order: unknown[] = [];
      try {
        for await (const f of asCompleted([blocked, quick])) {
          order.push(f);
          if (order.length === 1) bump(board, 0);
        }
      } finally {
        if (read(board, 0) === 0) bump(board, 0);
      }
      assert.deepEqual(order, [quick, blocked]);
    });

    test('ASC-03 asCompleted(timeout) on a running task throws "1 (of 2) futures unfinished" after the finished one', async () => {
      const board = kind().board();
      await using executor = factory({ maxWorkers: 2 });
      const blocked = executor.submit(tasks.gated, board, { gate: 0 });
      const quick = executor.submit(tasks.add, 1, 2);
      await quick.result();
      const seen: unknown[] = [];
      try {
        await assert.rejects(async () => {
          for await (const f of asCompleted([blocked, quick], { timeout: 50 })) seen.push(f);
        }, { name: 'TimeoutError', message: '1 (of 2) futures unfinished' });
      } finally {
        bump(board, 0);
      }
      assert.deepEqual(seen, [quick]);
    });
  });
}
