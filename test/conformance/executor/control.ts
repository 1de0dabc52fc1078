/**
 * Further than Python: stopping a running task (`cancel({ force: true })`, an AbortSignal) and
 * per-task timeouts counted from the task's start (docs/decisions/task-timeouts.md).
 *
 * @module
 */
import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { describe, test } from 'node:test';
import { CancelledError, TimeoutError, ValueError } from '../../../src/futures/index.js';
import { settle } from '../../helpers/futures.js';
import { bump, read, waitFor } from '../../helpers/signals.js';
import { assertTimeout, since } from '../../helpers/timing.js';
import { tasks, type SuiteContext } from './context.js';

export function controlTests({ factory, kind }: SuiteContext): void {
  describe('force cancel', () => {
    test('cancel({ force: true }) on a running busy loop makes it CANCELLED, replaces the worker, and the next task runs', async () => {
      const board = kind().board();
      await using executor = factory({ maxWorkers: 1 });
      const firstWorker = await executor.submit(tasks.workerIdent);
      const spinning = executor.submit(tasks.spin, board, 0);
      await waitFor(board, 0, 1);
      assert.equal(spinning.running(), true);
      assert.equal(spinning.cancel(), false, 'a plain cancel() cannot stop a running task (Python\'s rule)');
      assert.equal(spinning.running(), true);
      assert.equal(spinning.cancel({ force: true }), true);
      assert.equal(spinning.cancelled(), true);
      assert.equal(spinning.state, 'CANCELLED');
      await assert.rejects(spinning.result(), CancelledError);
      assert.equal(await executor.submit(tasks.add, 1, 2), 3, 'the next task runs');
      assert.notEqual(await executor.submit(tasks.workerIdent), firstWorker, 'on a new worker');
    });

    test('cancel({ force: true }) on a queued task cancels it like cancel()', async () => {
      const board = kind().board();
      await using executor = factory({ maxWorkers: 1 });
      const blocker = executor.submit(tasks.gated, board, { started: 1, gate: 0 }, 'blocker');
      await waitFor(board, 1, 1);
      const queued = executor.submit(tasks.count, board, 2);
      assert.equal(queued.cancel({ force: true }), true);
      bump(board, 0);
      assert.equal(await blocker.result(), 'blocker', 'the task on the worker was not touched');
      await executor.shutdown();
      assert.equal(read(board, 2), 0, 'the cancelled task never ran');
    });

    test('cancel({ force: true }) on a finished task returns false', async () => {
      await using executor = factory({ maxWorkers: 1 });
      const f = executor.submit(tasks.add, 1, 2);
      await f.result();
      assert.equal(f.cancel({ force: true }), false);
      assert.equal(await f.result(), 3);
    });

    test('force-cancelling one task of a busy pool leaves the other running tasks alone', async () => {
      const board = kind().board();
      await using executor = factory({ maxWorkers: 3 });
      const spinning = executor.submit(tasks.spin, board, 0);
      const others = [0, 1].map((i) => executor.submit(tasks.gated, board, { started: 1, gate: 2 }, i));
      await waitFor(board, 0, 1);
      await waitFor(board, 1, 2);
      assert.equal(spinning.cancel({ force: true }), true);
      bump(board, 2);
      assert.deepEqual(await Promise.all(others.map((f) => f.result())), [0, 1]);
    });
  });

  describe('per-task timeout', () => {
    test('withOptions({ timeout }) fails a task that runs too long with TimeoutError; its worker is replaced', async () => {
      const board = kind().board();
      await using executor = factory({ maxWorkers: 1 });
      const start = performance.now();
      const f = executor.withOptions({ timeout: 300 }).submit(tasks.spin, board, 0);
      const outcome = await settle(f.result());
      assertTimeout(since(start), 300);
      assert.ok(!outcome.ok && outcome.error instanceof TimeoutError, `TimeoutError, got ${String(!outcome.ok && outcome.error)}`);
      assert.match((outcome.error).message, /spin did not finish within 300 ms/);
      assert.equal(read(board, 0), 1, 'the task had started');
      assert.equal(await executor.submit(tasks.add, 2, 2), 4, 'the pool keeps working');
    });

    test('the timeout counts from the task\'s start: a task queued behind a long one does not time out while queued', async () => {
      await using executor = factory({ maxWorkers: 1 });
      const long = executor.submit(tasks.sleep, 600, 'long');
      const queued = executor.withOptions({ timeout: 400 }).submit(tasks.add, 1, 2);
      assert.equal(await queued.result(), 3);
      assert.equal(long.done(), true, 'the queued task ran after the long one');
      assert.equal(await long.result(), 'long');
    });

    test('the timeout does not count the worker\'s start-up or the import of the task\'s module', async () => {
      await using executor = factory({ maxWorkers: 1 });
      // A fresh worker takes longer than 50 ms to boot and import the fixture module.
      assert.equal(await executor.withOptions({ timeout: 50 }).submit(tasks.add, 1, 2), 3);
    });

    test('a task that finishes within its timeout is not affected', async () => {
      await using executor = factory({ maxWorkers: 1 });
      const scheduler = executor.withOptions({ timeout: 10_000 });
      assert.equal(await scheduler.submit(tasks.add, 1, 2), 3);
      assert.deepEqual(await scheduler.map(tasks.square, [1, 2, 3]).toArray(), [1, 4, 9]);
      assert.deepEqual(await scheduler.starmap(tasks.add, [[1, 1], [2, 2]]).toArray(), [2, 4]);
    });

    test('the pool option taskTimeout is the default per-task timeout', async () => {
      const board = kind().board();
      await using executor = factory({ maxWorkers: 1, taskTimeout: 200 });
      await assert.rejects(executor.submit(tasks.spin, board, 0).result(), TimeoutError);
      assert.equal(await executor.submit(tasks.add, 1, 1), 2);
      assert.throws(() => factory({ taskTimeout: -1 }), ValueError);
    });

    test('a map with a per-task timeout fails the item that runs too long', async () => {
      const board = kind().board();
      await using executor = factory({ maxWorkers: 1 });
      const iterator = executor.withOptions({ timeout: 200 }).starmap(tasks.tally, [[board, 0, false], [board, 1, false]]);
      assert.deepEqual(await iterator.toArray(), [null, null]);
      const spinning = executor.withOptions({ timeout: 200 }).starmap(tasks.spin, [[board, 2]]);
      await assert.rejects(spinning.next(), TimeoutError);
    });
  });

  describe('AbortSignal', () => {
    test('aborting a queued task cancels it: it never runs', async () => {
      const board = kind().board();
      await using executor = factory({ maxWorkers: 1 });
      const blocker = executor.submit(tasks.gated, board, { started: 1, gate: 0 });
      await waitFor(board, 1, 1);
      const controller = new AbortController();
      const f = executor.withOptions({ signal: controller.signal }).submit(tasks.count, board, 2);
      controller.abort();
      assert.equal(f.cancelled(), true);
      await assert.rejects(f.result(), CancelledError);
      bump(board, 0);
      await blocker.result();
      await executor.shutdown();
      assert.equal(read(board, 2), 0);
    });

    test('aborting a running task stops it: CANCELLED, the worker is replaced, the next task runs', async () => {
      const board = kind().board();
      await using executor = factory({ maxWorkers: 1 });
      const controller = new AbortController();
      const f = executor.withOptions({ signal: controller.signal }).submit(tasks.spin, board, 0);
      await waitFor(board, 0, 1);
      controller.abort();
      assert.equal(f.cancelled(), true);
      await assert.rejects(f.result(), CancelledError);
      assert.equal(await executor.submit(tasks.add, 1, 2), 3);
    });

    test('a signal aborted before submit gives a cancelled future at once', async () => {
      await using executor = factory({ maxWorkers: 1 });
      const f = executor.withOptions({ signal: AbortSignal.abort() }).submit(tasks.add, 1, 2);
      assert.equal(f.cancelled(), true);
      await assert.rejects(f.result(), CancelledError);
    });

    test('one signal shared by many tasks: one listener on it, no MaxListenersExceededWarning; aborting cancels each task; the listener goes once they settle', async () => {
      const board = kind().board();
      await using executor = factory({ maxWorkers: 1 });
      const warnings: string[] = [];
      const onWarning = (warning: Error): void => {
        warnings.push(`${warning.name}: ${warning.message}`);
      };
      process.on('warning', onWarning);
      try {
        const blocker = executor.submit(tasks.gated, board, { started: 1, gate: 0 });
        await waitFor(board, 1, 1);
        const controller = new AbortController();
        const batch = executor.withOptions({ signal: controller.signal });
        const queued = Array.from({ length: 30 }, () => batch.submit(tasks.count, board, 2));
        assert.equal(getEventListeners(controller.signal, 'abort').length, 1, 'one listener for 30 tasks');
        controller.abort();
        assert.ok(queued.every((f) => f.cancelled()), 'every task sharing the signal is cancelled');
        assert.equal(getEventListeners(controller.signal, 'abort').length, 0);
        bump(board, 0);
        await blocker.result();

        const finishing = new AbortController();
        const results = await Promise.all(Array.from({ length: 30 }, (_, i) => executor.withOptions({ signal: finishing.signal }).submit(tasks.add, i, 1)));
        assert.deepEqual(results, Array.from({ length: 30 }, (_, i) => i + 1));
        assert.equal(getEventListeners(finishing.signal, 'abort').length, 0, 'the signal keeps no listener once its tasks have settled');
        await new Promise((resolve) => setImmediate(resolve));
        assert.deepEqual(warnings.filter((w) => w.startsWith('MaxListenersExceededWarning')), []);
        assert.equal(read(board, 2), 0, 'no cancelled task ran');
      } finally {
        process.off('warning', onWarning);
      }
    });

    test('a signal that is never aborted changes nothing', async () => {
      await using executor = factory({ maxWorkers: 1 });
      const controller = new AbortController();
      assert.equal(await executor.withOptions({ signal: controller.signal }).submit(tasks.add, 1, 2), 3);
      controller.abort();
    });
  });
}
