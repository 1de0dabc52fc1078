/**
 * `executor.metrics()` (docs/metrics.md): counts of queued, running, completed, failed and
 * cancelled tasks, wait and run time histograms, utilization, and reset.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { ProcessPoolExecutor, ThreadPoolExecutor } from '../../src/futures/index.js';
import { taskModule } from '../../src/index.js';
import { settle } from '../helpers/futures.js';
import { bump, createBoard, waitFor } from '../helpers/signals.js';

const tasks = taskModule<typeof import('../fixtures/pool/transfer-tasks.js')>(new URL('../fixtures/pool/transfer-tasks.ts', import.meta.url));

for (const kind of ['thread', 'process'] as const) {
  describe(`metrics of a ${kind} pool`, () => {
    const pool = kind === 'thread' ? new ThreadPoolExecutor({ maxWorkers: 1 }) : new ProcessPoolExecutor({ maxWorkers: 1 });
    after(() => pool.shutdown());

    test('a fresh pool has nothing to report', () => {
      const m = pool.metrics();
      assert.deepEqual([m.queued, m.running, m.completed, m.failed, m.cancelled, m.waitTime.count, m.runTime.count], [0, 0, 0, 0, 0, 0, 0]);
      assert.deepEqual(m.workers, []);
    });

    test('counts, histograms and utilization follow the tasks; reset starts over', async () => {
      const board = createBoard(kind === 'thread' ? 'shared' : 'files');
      const blocker = pool.submit(tasks.blockOn, board, 0, 1, 'done');
      await waitFor(board, 0, 1);
      const waiting = [pool.submit(tasks.spin, 0), pool.submit(tasks.spin, 0), pool.submit(tasks.spin, 0)];
      const failing = pool.submit(tasks.fail, 'no');
      const long = pool.submit(tasks.spin, 60);
      const cancelled = pool.submit(tasks.spin, 0);
      assert.ok(cancelled.cancel());
      const during = pool.metrics();
      assert.equal(during.running, 1, 'the blocker runs');
      assert.equal(during.queued, 6, 'the others wait in the queue (the cancelled one until the queue reaches it)');
      bump(board, 1);
      await blocker;
      await Promise.all(waiting);
      await settle(failing);
      await long;
      const m = pool.metrics();
      assert.equal(m.completed, 5);
      assert.equal(m.failed, 1);
      assert.equal(m.cancelled, 1);
      assert.equal(m.queued, 0);
      assert.equal(m.running, 0);
      assert.equal(m.runTime.count, 6);
      assert.equal(m.waitTime.count, 6);
      assert.ok(m.runTime.max >= 55, `the 60 ms task shows in the run times (max ${m.runTime.max} ms)`);
      assert.ok(m.runTime.p50 <= m.runTime.p99 && m.runTime.p99 <= m.runTime.max);
      // The tasks queued behind the blocker waited at least as long as it took the test to open its gate.
      assert.ok(m.waitTime.max > 0);
      assert.ok(m.utilization > 0 && m.utilization <= 1, String(m.utilization));
      assert.equal(m.workers.length, 1);
      assert.ok((m.workers[0]?.busyMs ?? 0) >= 55);
      assert.ok((m.workers[0]?.utilization ?? 0) > 0);

      const read = pool.metrics({ reset: true });
      assert.equal(read.completed, 5);
      const fresh = pool.metrics();
      assert.deepEqual([fresh.completed, fresh.failed, fresh.cancelled, fresh.runTime.count, fresh.waitTime.count], [0, 0, 0, 0, 0]);
      assert.equal(fresh.workers[0]?.busyMs, 0);
      await pool.submit(tasks.spin, 0);
      assert.equal(pool.metrics().completed, 1);
      pool.resetMetrics();
      assert.equal(pool.metrics().completed, 0);
    });
  });
}
