/**
 * Scheduling without hostages (docs/decisions/pool-scheduling.md), on both pool kinds, on pools
 * that have already run thousands of tiny tasks (so that they send large batches):
 *
 * - an idle worker takes the tasks another worker holds and has not started;
 * - a result leaves its worker when its task ends, whatever batch it came in;
 * - a task starts at most once: when a worker dies, exactly the tasks that had started on it fail,
 *   with an error naming the cause, and the others run elsewhere;
 * - an error that escapes every task ends its worker without failing the next, innocent task.
 *
 * Every order is made with board counters and gates, never with sleeps; every wait has a
 * deadline of tens of seconds, so a regression fails instead of hanging.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { BrokenProcessPool, BrokenThreadPool } from '../../src/errors.js';
import { ProcessPoolExecutor, ThreadPoolExecutor, type Future } from '../../src/futures/index.js';
import { taskModule } from '../../src/index.js';
import { Semaphore as MpSemaphore } from '../../src/multiprocessing/index.js';
import { Semaphore } from '../../src/threading/index.js';
import { settle } from '../helpers/futures.js';
import { captureReports } from '../helpers/reporter.js';
import { bump, createBoard, read, waitFor, type Board } from '../helpers/signals.js';

const tasks = taskModule<typeof import('../fixtures/pool/tasks.js')>(new URL('../fixtures/pool/tasks.ts', import.meta.url));

/** A deadline for futures that must settle: a hostage or a deadlock fails the test instead of hanging it. */
const SETTLE_MS = 60_000;

interface Kind {
  readonly name: 'thread' | 'process';
  readonly Broken: typeof BrokenThreadPool | typeof BrokenProcessPool;
  make(maxWorkers: number): ThreadPoolExecutor | ProcessPoolExecutor;
  board(): Board;
}

const kinds: Kind[] = [
  { name: 'thread', Broken: BrokenThreadPool, make: (maxWorkers) => new ThreadPoolExecutor({ maxWorkers }), board: () => createBoard('shared') },
  { name: 'process', Broken: BrokenProcessPool, make: (maxWorkers) => new ProcessPoolExecutor({ maxWorkers }), board: () => createBoard('files') },
];

/** Runs a few thousand tiny tasks, as a busy program's pool has: the pool now sends large batches. */
async function warm(executor: ThreadPoolExecutor | ProcessPoolExecutor): Promise<void> {
  const futures = Array.from({ length: 3000 }, (_, i) => executor.submit(tasks.add, i, 1));
  const results = await Promise.all(futures.map((f) => f.result()));
  assert.equal(results[2999], 3000);
}

/** The futures' results, or a failure naming how many settled in time. */
async function allWithin<T>(futures: ReadonlyArray<Future<T>>, what: string): Promise<T[]> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: only ${futures.filter((f) => f.done()).length} of ${futures.length} settled within ${SETTLE_MS} ms`)), SETTLE_MS);
  });
  try {
    return await Promise.race([Promise.all(futures.map((f) => f.result())), deadline]);
  } finally {
    clearTimeout(timer);
  }
}

for (const kind of kinds) {
  describe(`${kind.name} pool scheduling`, { concurrency: false }, () => {
    const pools: Array<ThreadPoolExecutor | ProcessPoolExecutor> = [];
    const pool = (maxWorkers: number): ThreadPoolExecutor | ProcessPoolExecutor => {
      const executor = kind.make(maxWorkers);
      pools.push(executor);
      return executor;
    };
    after(async () => {
      await Promise.all(pools.map((p) => p.terminateWorkers()));
    });

    test('no hostages: tiny tasks submitted after a blocked one finish on the other worker while it stays blocked', async () => {
      const executor = pool(2);
      await warm(executor);
      const board = kind.board();
      const blocked = executor.submit(tasks.blockUntil, board, 0, 1, 2, 1);
      const tiny = Array.from({ length: 300 }, (_, i) => executor.submit(tasks.counted, board, 3, i));
      await waitFor(board, 1, 1);
      assert.deepEqual(await allWithin(tiny, 'tiny tasks behind a blocked one'), Array.from({ length: 300 }, (_, i) => i));
      assert.equal(blocked.done(), false, 'the blocked task is still running');
      bump(board, 2);
      assert.equal(await blocked, 'released');
      assert.equal(read(board, 3), 300, 'each tiny task ran once');
      assert.equal(read(board, 0), 1, 'the blocked task ran once');
    });

    test('no hostages behind a long call of a function measured quick: what its worker held runs on the other, once', async () => {
      const executor = pool(2);
      const board = kind.board();
      // Both workers run it a few thousand times: it is quick, and goes in large batches.
      await allWithin(Array.from({ length: 3000 }, (_, i) => executor.submit(tasks.countedOrBlocked, board, 5, i)), 'warm-up');
      let requeued = 0;
      executor.onTask((e) => {
        if (e.type === 'requeued') requeued++;
      });
      const blocked = executor.submit(tasks.countedOrBlocked, board, 4, -1, { started: 1, gate: 2 });
      const tiny = Array.from({ length: 300 }, (_, i) => executor.submit(tasks.countedOrBlocked, board, 3, i));
      await waitFor(board, 1, 1);
      assert.deepEqual(await allWithin(tiny, 'tiny tasks behind a long call'), Array.from({ length: 300 }, (_, i) => i));
      assert.equal(blocked.done(), false, 'the long call is still running');
      assert.ok(requeued > 0, 'its worker held tiny tasks, taken back');
      bump(board, 2);
      assert.equal(await blocked, -1);
      assert.equal(read(board, 3), 300, 'each tiny task ran once');
      assert.equal(read(board, 4), 1, 'the long call ran once');
    });

    if (kind.name === 'thread') {
      test('tasks sent to a worker that is still starting are taken by a ready, idle one, to the last', async () => {
        const board = kind.board();
        const executor = new ThreadPoolExecutor({ maxWorkers: 2, initializer: tasks.secondWaits, initargs: [board, 0, 1] });
        pools.push(executor);
        assert.equal(await executor.submit(tasks.counted, board, 2, -1), -1, 'the first worker is up, and counted is measured');
        // The first worker blocks, so the next tasks go to a second one, which stays in its initializer.
        const blocker = executor.submit(tasks.spinUntil, board, 4, 3, 1);
        await waitFor(board, 4, 1);
        const futures = Array.from({ length: 200 }, (_, i) => executor.submit(tasks.counted, board, 2, i));
        await waitFor(board, 0, 2);
        bump(board, 3);
        assert.equal(await blocker, 'released');
        assert.deepEqual(await allWithin(futures, 'tasks held by a starting worker'), Array.from({ length: 200 }, (_, i) => i));
        assert.equal(read(board, 0), 2, 'the second worker is still starting');
        bump(board, 1);
        assert.equal(read(board, 2), 201, 'each task ran once');
      });
    }

    if (kind.name === 'thread') {
      test('cancel() of a task sent to a worker and not started yet succeeds, and the worker skips it (as in Python\'s thread pool)', async () => {
        const executor = pool(1);
        const board = kind.board();
        // Measured quick: the tasks below go to the worker in one batch, behind one that blocks.
        for (let round = 0; round < 3; round++) {
          await Promise.all(Array.from({ length: 1000 }, () => executor.submit(tasks.spinUntil, board, 5, 6, 0).result()));
        }
        const blocker = executor.submit(tasks.spinUntil, board, 1, 2, 1);
        const behind = Array.from({ length: 100 }, () => executor.submit(tasks.spinUntil, board, 3, 6, 0));
        await waitFor(board, 1, 1);
        // How many go along depends on the tasks' measured time (a busy machine measures them
        // slower, and a worker is sent less): those sent are the ones this test is about.
        const sent = behind.filter((f) => f.running());
        assert.ok(sent.length > 0, 'some of the tasks behind were sent to the worker');
        assert.deepEqual(behind.map((f) => f.cancel()), behind.map(() => true), 'each one is cancelled, sent or not');
        assert.ok(behind.every((f) => f.cancelled()));
        assert.equal(blocker.cancel(), false, 'a task that has started is not cancelled');
        bump(board, 2);
        assert.equal(await blocker, 'released');
        assert.equal(await executor.submit(tasks.add, 1, 2), 3, 'the worker goes on');
        assert.equal(read(board, 3), 0, 'no cancelled task ran');
      });
    }

    if (kind.name === 'thread') {
      test('a task taken back from a starting worker goes to the ready, idle one, not back to the starting one', async () => {
        const board = kind.board();
        const executor = new ThreadPoolExecutor({ maxWorkers: 2, initializer: tasks.firstWaits, initargs: [board, 0, 1] });
        pools.push(executor);
        let requeued = 0;
        executor.onTask((e) => {
          if (e.type === 'requeued') requeued++;
        });
        // The first worker stays in its initializer; the second starts and runs both tasks. Sending
        // the first task back to the starting worker each time the second takes it back would
        // make the pool bounce it between the two, without end, inside one flush (a hang).
        const first = executor.submit(tasks.counted, board, 2, 1);
        const second = executor.submit(tasks.counted, board, 2, 2);
        assert.deepEqual(await allWithin([first, second], 'tasks while a worker starts'), [1, 2]);
        // The first worker may reach its initializer only after the second has run both tasks;
        // once it does, it stays there (the gate is shut), so the tasks really ran without it.
        await waitFor(board, 0, 2);
        assert.equal(read(board, 0), 2, 'both workers ran their initializer, the first is still in it');
        assert.ok(requeued <= 2, `taken back ${requeued} times`);
        bump(board, 1);
      });
    }

    if (kind.name === 'thread') {
      test('a task that may be long, sent to a ready idle worker, is not taken back by the other idle one', async () => {
        const board = kind.board();
        const executor = new ThreadPoolExecutor({ maxWorkers: 2 });
        pools.push(executor);
        // Both workers up and idle.
        await Promise.all([0, 1].map(() => executor.submit(tasks.blockUntil, board, 0, 1, 1, 2)));
        const requeued = new Map<unknown, number>();
        executor.onTask((e) => {
          if (e.type === 'requeued') requeued.set(e.task, (requeued.get(e.task) ?? 0) + 1);
        });
        // A task that takes 5 ms may be long: it goes alone to one worker, which starts it at
        // once. Taking it back for the other idle worker would send it round between the two
        // (thousands of times, once). Only a worker that has not woken within a few ms (a loaded
        // machine) counts as stalled and gives it up, once: it then gets nothing until it reports.
        const nap = (ms: number): number => {
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
          return ms;
        };
        for (let i = 0; i < 30; i++) assert.equal(await executor.submit(nap, 5), 5);
        assert.ok([...requeued.values()].every((n) => n === 1), `taken back more than once: ${[...requeued.values()].join(', ')}`);
      });
    }

    test('no deadlock Python does not have: one task acquires a Semaphore(0) 300 times, 300 later tasks release it', async () => {
      const executor = pool(2);
      await warm(executor);
      const sem = kind.name === 'thread' ? new Semaphore(0) : new MpSemaphore(0);
      const acquirer = executor.submit(tasks.acquireMany, sem, 300);
      const releasers = Array.from({ length: 300 }, () => executor.submit(tasks.releaseOnce, sem));
      assert.equal((await allWithin(releasers, 'releasers')).length, 300);
      assert.equal(await allWithin([acquirer], 'the acquirer').then(([n]) => n), 300);
    });

    test('results leave when their task ends: a quick result arrives while a later task of the same worker still runs', async () => {
      const executor = pool(1);
      await warm(executor);
      const board = kind.board();
      const quick = executor.submit(tasks.counted, board, 0, 7);
      // Runs after `quick` on the only worker, and returns only once the program has seen quick's result.
      const slow = executor.submit(tasks.spinUntil, board, 1, 2, 1);
      assert.equal(await allWithin([quick], 'the quick task').then(([v]) => v), 7);
      bump(board, 2);
      assert.equal(await slow, 'released');
    });

    test('map yields each result that is ready while a later item still runs', async () => {
      const executor = pool(2);
      await warm(executor);
      const board = kind.board();
      const items = [0, 1, 2, 3, 4];
      // Item 4 waits until the program has read the first four results.
      const results = executor.starmap(tasks.spinUntil, items.map((i) => (i < 4 ? [board, 0, 3, 0] : [board, 1, 2, 1])));
      for (let i = 0; i < 4; i++) {
        const step = await Promise.race([results.next(), new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`result ${i} did not come`)), SETTLE_MS).unref())]);
        assert.deepEqual(step, { done: false, value: 'released' });
      }
      bump(board, 2);
      assert.deepEqual(await results.next(), { done: false, value: 'released' });
      assert.equal((await results.next()).done, true);
    });

    test('async tasks queued behind one that awaits all start on the same worker while it awaits', async () => {
      const executor = pool(1);
      await warm(executor);
      const board = kind.board();
      const futures = Array.from({ length: 6 }, (_, i) => executor.submit(tasks.awaitGate, board, i, 10));
      // None can finish before the gate opens: each must have started while the others await.
      for (let i = 0; i < 6; i++) await waitFor(board, i, 1, 20_000);
      bump(board, 10);
      assert.deepEqual(await allWithin(futures, 'the awaiting tasks'), [0, 1, 2, 3, 4, 5]);
    });

    describe('at most once', () => {
      /** Six async tasks overlapping on one worker; `modes` says what each does. Returns their futures. */
      function overlap(executor: ThreadPoolExecutor | ProcessPoolExecutor, board: Board, modes: Array<'wait' | 'exit' | 'throw'>): Array<Future<number>> {
        return modes.map((mode, i) => executor.submit(tasks.overlapping, board, i, 10, mode));
      }

      test('process.exit(9) in task 2 of 6 overlapping async tasks: the 3 started fail naming exit code 9, the 3 others run once elsewhere', async () => {
        const executor = pool(1);
        await warm(executor);
        const board = kind.board();
        const futures = overlap(executor, board, ['wait', 'wait', 'exit', 'wait', 'wait', 'wait']);
        const first = await Promise.all(futures.slice(0, 3).map((f) => settle(f.result())));
        for (const [i, outcome] of first.entries()) {
          assert.ok(!outcome.ok && outcome.error instanceof kind.Broken, `task ${i} fails with ${kind.Broken.name}, got ${String(!outcome.ok && outcome.error)}`);
          assert.match((outcome.error).message, /exit code 9/);
        }
        bump(board, 10);
        assert.deepEqual(await allWithin(futures.slice(3), 'the tasks that had not started'), [3, 4, 5]);
        for (let i = 0; i < 6; i++) assert.equal(read(board, i), 1, `task ${i} started once`);
      });

      test('an error thrown from a timer while 6 async tasks overlap: all 6 had started, all fail with it as their cause', async () => {
        using reports = captureReports();
        const executor = pool(1);
        await warm(executor);
        const board = kind.board();
        const futures = overlap(executor, board, ['wait', 'wait', 'throw', 'wait', 'wait', 'wait']);
        for (const [i, outcome] of (await Promise.all(futures.map((f) => settle(f.result())))).entries()) {
          assert.ok(!outcome.ok && outcome.error instanceof kind.Broken, `task ${i} fails with ${kind.Broken.name}`);
          const cause = (outcome.error).cause as Error;
          assert.ok(cause instanceof RangeError, 'the stray error is the cause, with its class');
          assert.equal(cause.message, 'stray error from task 2');
          assert.match(String(cause.stack), /overlapping|tasks\.ts/, 'with the worker-side stack');
        }
        const report = await reports.next(/ended while 6 tasks ran/);
        assert.ok(report.error instanceof RangeError);
        for (let i = 0; i < 6; i++) assert.equal(read(board, i), 1, `task ${i} started once`);
        assert.equal(await executor.submit(tasks.add, 1, 2), 3, 'the pool goes on');
      });

      test('cancel({ force: true }) of one of 6 overlapping async tasks: it is CANCELLED, the 5 others fail saying why, none runs again', async () => {
        const executor = pool(1);
        await warm(executor);
        const board = kind.board();
        const futures = overlap(executor, board, ['wait', 'wait', 'wait', 'wait', 'wait', 'wait']);
        for (let i = 0; i < 6; i++) await waitFor(board, i, 1);
        assert.equal(futures[2]!.cancel({ force: true }), true);
        assert.equal(futures[2]!.cancelled(), true);
        for (const [i, outcome] of (await Promise.all(futures.map((f) => settle(f.result())))).entries()) {
          if (i === 2) continue;
          assert.ok(!outcome.ok && outcome.error instanceof kind.Broken, `task ${i} fails with ${kind.Broken.name}`);
          assert.match((outcome.error).message, /overlapping, running on the same .* was cancelled with force: true/);
        }
        bump(board, 10);
        for (let i = 0; i < 6; i++) assert.equal(read(board, i), 1, `task ${i} started once`);
        assert.equal(await executor.submit(tasks.add, 2, 2), 4);
      });

      if (kind.name === 'process') {
        test('a worker killed from outside (SIGKILL) while 6 async tasks await: all 6 fail as running, none as "may have started"', async () => {
          const executor = pool(1);
          await warm(executor);
          const board = kind.board();
          const futures = overlap(executor, board, ['wait', 'wait', 'wait', 'wait', 'wait', 'wait']);
          for (let i = 0; i < 6; i++) await waitFor(board, i, 1);
          // Let the worker finish its batch and say so: then it is between tasks, and the pool knows exactly.
          const until = Date.now() + 20_000;
          while (executor.stats().workers[0]?.running !== 6 && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 5));
          assert.equal(executor.stats().workers[0]?.running, 6, 'stats() counts the six awaiting tasks as running');
          process.kill(executor.stats().workers[0]!.pid, 'SIGKILL');
          for (const outcome of await Promise.all(futures.map((f) => settle(f.result())))) {
            assert.ok(!outcome.ok && outcome.error instanceof kind.Broken);
            // The kill may land before the pool has read the worker's last word that the sixth
            // task's synchronous part ended: it then names that task as the one running.
            assert.match((outcome.error).message, /(was running on process worker .*|the process running overlapping ended abruptly) \(killed by SIGKILL( during overlapping)?\)/);
          }
          bump(board, 10);
          for (let i = 0; i < 6; i++) assert.equal(read(board, i), 1, `task ${i} started once`);
        });
      }

      test('a task that calls process.exit among quick tasks of one batch: the quick ones before it keep their results, the ones after run once elsewhere', async () => {
        const executor = pool(1);
        await warm(executor);
        const board = kind.board();
        const before = Array.from({ length: 50 }, (_, i) => executor.submit(tasks.counted, board, 0, i));
        const killer = executor.submit(tasks.overlapping, board, 2, 10, 'exit');
        const behind = Array.from({ length: 50 }, (_, i) => executor.submit(tasks.counted, board, 1, 50 + i));
        assert.deepEqual(await allWithin([...before, ...behind], 'quick tasks around the exit'), Array.from({ length: 100 }, (_, i) => i));
        const outcome = await settle(killer.result());
        assert.ok(!outcome.ok && outcome.error instanceof kind.Broken);
        assert.match((outcome.error).message, /the .* running overlapping ended abruptly \(exit code 9\)/);
        assert.equal(read(board, 0), 50);
        assert.equal(read(board, 1), 50, 'each task after the exit ran once');
      });
    });

    test('an error escaping after a task returned ends the worker, is reported with its stack, and fails no later task', async () => {
      using reports = captureReports();
      const executor = pool(1);
      await warm(executor);
      assert.equal(await executor.submit(tasks.throwLater, 'a task'), 'returned');
      const next = Array.from({ length: 20 }, (_, i) => executor.submit(tasks.add, i, 0));
      // The worker may end before, during or after these: none of them may fail for it.
      const keepAlive = setInterval(() => {}, 1000);
      try {
        const report = await reports.next(/ended while idle: uncaught TypeError: thrown after a task returned/);
        assert.ok(report.error instanceof TypeError);
        assert.match(String((report.error).stack), /throwLater|tasks\.ts/);
      } finally {
        clearInterval(keepAlive);
      }
      assert.deepEqual(await allWithin(next, 'tasks after the stray error'), Array.from({ length: 20 }, (_, i) => i));
    });
  });
}
