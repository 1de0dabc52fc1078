/**
 * Shutdown under load: `shutdown({ wait: false, cancelFutures: true })` while tasks run and many
 * more are queued. The queued ones are cancelled, the running ones finish (or, with
 * `terminateWorkers()`, are cancelled), no future settles twice, nothing submitted afterwards is
 * accepted, and a later `shutdown()` returns.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { RuntimeError, type Future } from '../../src/futures/index.js';
import { tasks } from '../fixtures/reliability/faults.js';
import { InstrumentedPool, type PoolKind } from '../fixtures/reliability/pools.js';
import { bump, createBoard, waitFor } from '../helpers/signals.js';

/** Watches futures: counts each one's done-callbacks, resolves when all have settled. */
function watch(futures: ReadonlyArray<Future<unknown>>): { calls: number[]; all: Promise<void> } {
  const calls = futures.map(() => 0);
  let left = futures.length;
  let done: () => void = () => {};
  const all = new Promise<void>((resolve) => {
    done = resolve;
  });
  futures.forEach((future, i) => future.addDoneCallback(() => {
    calls[i] = (calls[i] ?? 0) + 1;
    if (calls[i] === 1 && --left === 0) done();
  }));
  if (futures.length === 0) done();
  return { calls, all };
}

for (const kind of ['thread', 'process'] as PoolKind[]) {
  describe(`shutdown under load: ${kind} pool`, () => {
    test('running tasks finish, the 2,000 queued are cancelled at once, nothing settles twice, nothing is accepted after', async () => {
      const board = createBoard(kind === 'thread' ? 'shared' : 'files');
      const pool = new InstrumentedPool(kind, { maxWorkers: 2 });
      const running = [0, 1].map((i) => pool.submit(tasks.gated, board, { started: 1, gate: 0, finished: 2 }, `ran ${i}`));
      await waitFor(board, 1, 2);
      const queued = Array.from({ length: 2000 }, (_, i) => pool.submit(tasks.square, i));
      const watched = watch([...running, ...queued]);
      const stopped = pool.shutdown({ wait: false, cancelFutures: true });
      await stopped; // wait: false returns without waiting for the running tasks
      assert.ok(queued.every((f) => f.cancelled()), 'every queued future is cancelled');
      assert.ok(running.every((f) => f.running()), 'the running ones still run');
      assert.throws(() => pool.submit(tasks.square, 1), (e: unknown) => e instanceof RuntimeError && /after shutdown/.test(e.message));
      assert.throws(() => pool.map(tasks.square, [1]), RuntimeError);
      bump(board, 0);
      await watched.all;
      assert.deepEqual(await Promise.all(running.map((f) => f.result())), ['ran 0', 'ran 1']);
      assert.ok(watched.calls.every((n) => n === 1), 'each future settled exactly once');
      await pool.shutdown();
      assert.equal(pool.workersExited, pool.workersStarted, 'every worker exited');
    });

    test('20,000 tiny tasks, shutdown after the first 2,000 settle: each future is its result or cancelled, once; terminateWorkers() then cancels the running', async () => {
      const pool = new InstrumentedPool(kind, { maxWorkers: 2 });
      const board = createBoard(kind === 'thread' ? 'shared' : 'files');
      const futures: Array<Future<unknown>> = [];
      let settled = 0;
      let shutdownCalled = false;
      let afterShutdown: Promise<void> | undefined;
      // Each task busy for 50 µs: the 20,000 take ~0.5 s on 2 workers, so when the 2,000th result
      // is handled most tasks are still queued (tasks of a few µs may all have run by then, their
      // results still on their way, and there would be nothing left to cancel).
      for (let i = 0; i < 20_000; i++) {
        const future = pool.submit(tasks.work, i, 50);
        future.addDoneCallback(() => {
          if (++settled === 2_000 && !shutdownCalled) {
            shutdownCalled = true;
            afterShutdown = pool.shutdown({ wait: false, cancelFutures: true });
          }
        });
        futures.push(future);
      }
      const watched = watch(futures);
      await watched.all;
      await afterShutdown;
      assert.ok(shutdownCalled);
      let results = 0;
      let cancelled = 0;
      for (const [i, f] of futures.entries()) {
        if (f.cancelled()) cancelled++;
        else {
          assert.equal(await f.result(), i * i);
          results++;
        }
      }
      assert.equal(results + cancelled, futures.length, 'submitted = settled');
      assert.ok(cancelled > 0 && results >= 2_000, `${results} results, ${cancelled} cancelled`);
      assert.ok(watched.calls.every((n) => n === 1), 'each future settled exactly once');
      assert.throws(() => pool.submit(tasks.square, 1), RuntimeError);
      await pool.shutdown();
      assert.equal(pool.workersExited, pool.workersStarted);

      // terminateWorkers(): the running tasks are cancelled too, and it returns.
      const other = new InstrumentedPool(kind, { maxWorkers: 2 });
      const blocked = [0, 1].map(() => other.submit(tasks.blockForever, board, 3));
      await waitFor(board, 3, 2);
      const rest = Array.from({ length: 500 }, (_, i) => other.submit(tasks.square, i));
      const all = watch([...blocked, ...rest]);
      await other.terminateWorkers();
      await all.all;
      assert.ok([...blocked, ...rest].every((f) => f.cancelled()), 'running and queued are cancelled');
      assert.ok(all.calls.every((n) => n === 1));
      assert.equal(other.workersExited, other.workersStarted);
      assert.throws(() => other.submit(tasks.square, 1), RuntimeError);
    });
  });
}
