/**
 * Workers that end: a task that kills its worker fails alone and the worker is replaced
 * (docs/decisions/worker-death.md), or the whole pool breaks in `onWorkerExit: 'break'` mode and
 * when an initializer fails (INIT rows, PPE-01's messages); `maxTasksPerChild` replaces workers.
 *
 * @module
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BrokenExecutor } from '../../../src/futures/index.js';
import { settle } from '../../helpers/futures.js';
import { captureReports } from '../../helpers/reporter.js';
import { bump, read, waitFor } from '../../helpers/signals.js';
import { tasks, type SuiteContext } from './context.js';

export function workerDeathTests({ factory, kind }: SuiteContext): void {
  describe('a worker that dies', () => {
    test('process.exit(3) inside a task fails that task only, with Broken…Pool naming the exit code; the worker is replaced', async () => {
      await using executor = factory({ maxWorkers: 1 });
      const before = await executor.submit(tasks.workerIdent);
      const outcome = await settle(executor.submit(tasks.exitWith, 3).result());
      assert.ok(!outcome.ok);
      assert.ok(outcome.error instanceof kind().Broken, `${kind().Broken.name}, got ${String(outcome.error)}`);
      assert.match((outcome.error).message, /exitWith/);
      assert.match((outcome.error).message, /exit code 3/);
      const after = await executor.submit(tasks.workerIdent);
      assert.notEqual(after, before, 'a new worker runs the next task');
      assert.equal(await executor.submit(tasks.add, 1, 2), 3);
    });

    test('killing a worker mid-task (process.exit inside a task) fails that future only, and 1,000 other tasks submitted around it all complete', async () => {
      await using executor = factory({ maxWorkers: 4 });
      const before = Array.from({ length: 500 }, (_, i) => executor.submit(tasks.square, i));
      const killer = executor.submit(tasks.exitWith, 3);
      const after = Array.from({ length: 500 }, (_, i) => executor.submit(tasks.square, 500 + i));
      const results = await Promise.all([...before, ...after].map((f) => f.result()));
      assert.deepEqual(results, Array.from({ length: 1000 }, (_, i) => i * i));
      await assert.rejects(killer.result(), kind().Broken);
    });

    test('an error thrown from a timer while the task is still running kills the worker: that task fails with Broken…Pool', async () => {
      await using executor = factory({ maxWorkers: 2 });
      const outcome = await settle(executor.submit(tasks.throwFromTimerWhileRunning, 'late boom').result());
      assert.ok(!outcome.ok && outcome.error instanceof kind().Broken, `${kind().Broken.name}, got ${String(!outcome.ok && outcome.error)}`);
      assert.match((outcome.error).message, /throwFromTimerWhileRunning/);
      assert.equal(await executor.submit(tasks.add, 1, 2), 3, 'the pool keeps working');
    });

    test('an error thrown from a timer after the task returned: the task keeps its result, the death is reported, the worker is replaced', async () => {
      using capture = captureReports();
      await using executor = factory({ maxWorkers: 1 });
      const first = await executor.submit(tasks.workerIdent);
      assert.equal(await executor.submit(tasks.throwFromTimerAfterReturn, 'after return'), 'returned');
      // The idle worker no longer keeps the program alive: keep it alive until the report comes.
      const keepAlive = setInterval(() => {}, 1000);
      const report = await capture.next(/ended while idle/).finally(() => clearInterval(keepAlive));
      assert.match(report.message, /will be replaced/);
      assert.equal(await executor.submit(tasks.add, 1, 2), 3);
      assert.notEqual(await executor.submit(tasks.workerIdent), first);
    });

    test('other tasks running when a worker dies are not touched', async () => {
      const board = kind().board();
      await using executor = factory({ maxWorkers: 3 });
      const others = [0, 1].map((i) => executor.submit(tasks.gated, board, { started: 1, gate: 0 }, i));
      await waitFor(board, 1, 2);
      await assert.rejects(executor.submit(tasks.exitWith, 7).result(), kind().Broken);
      bump(board, 0);
      assert.deepEqual(await Promise.all(others.map((f) => f.result())), [0, 1]);
    });
  });

  describe("onWorkerExit: 'break' (Python's behaviour)", () => {
    test('PPE-01 a worker dying mid-task breaks the pool: pending and running futures fail, later submit throws', async () => {
      const board = kind().board();
      const { Broken, noun } = kind();
      const executor = factory({ maxWorkers: 2, onWorkerExit: 'break' });
      const running = executor.submit(tasks.gated, board, { started: 1, gate: 0 });
      await waitFor(board, 1, 1);
      const killer = executor.submit(tasks.exitWith, 3);
      const queued = Array.from({ length: 5 }, (_, i) => executor.submit(tasks.square, i));
      const futureMessage = new RegExp(`^A ${noun} in the ${noun} pool was terminated abruptly while the future was running or pending`);
      for (const f of [killer, running, ...queued]) {
        const outcome = await settle(f.result());
        assert.ok(!outcome.ok && outcome.error instanceof Broken, `${Broken.name}, got ${String(!outcome.ok && outcome.error)}`);
        assert.match((outcome.error).message, futureMessage);
      }
      const submitMessage = noun === 'process'
        ? 'A child process terminated abruptly, the process pool is not usable anymore'
        : 'A thread terminated abruptly, the thread pool is not usable anymore';
      assert.throws(() => executor.submit(tasks.add, 1, 2), (e: unknown) => e instanceof Broken && e.message === submitMessage);
      await executor.shutdown();
    });

    test("onWorkerExit accepts only 'replace' and 'break'", () => {
      assert.throws(() => factory({ onWorkerExit: 'ignore' as never }), /onWorkerExit must be 'replace' or 'break'/);
    });
  });

  describe('initializer', () => {
    test('INIT-01 initializer(...initargs) runs in each worker before any task, and tasks see what it did', async () => {
      await using executor = factory({ maxWorkers: 2, initializer: tasks.setGlobal, initargs: ['initialized', 'yes'] });
      const seen = await Promise.all(Array.from({ length: 8 }, () => executor.submit(tasks.getGlobal, 'initialized').result()));
      assert.deepEqual(seen, Array(8).fill('yes'));
    });

    test('INIT-01 a self-contained initializer travels as source text', async () => {
      const init = (value: number): void => {
        (globalThis as Record<string, unknown>).initializedWith = value;
      };
      await using executor = factory({ maxWorkers: 1, initializer: init, initargs: [7] });
      assert.equal(await executor.submit(tasks.getGlobal, 'initializedWith'), 7);
    });

    test('INIT-02 a failing initializer breaks the pool: futures fail with Broken…Pool, later submit throws, the error is reported', async () => {
      using capture = captureReports();
      const { Broken, noun } = kind();
      const message = `A ${noun} initializer failed, the ${noun} pool is not usable anymore`;
      const executor = factory({ maxWorkers: 2, initializer: tasks.failingInitializer, initargs: ['init failed'] });
      const futures = Array.from({ length: 5 }, (_, i) => executor.submit(tasks.square, i));
      for (const f of futures) {
        const outcome = await settle(f.result());
        assert.ok(!outcome.ok && outcome.error instanceof Broken, `${Broken.name}, got ${String(!outcome.ok && outcome.error)}`);
        assert.ok(outcome.error instanceof BrokenExecutor);
        assert.equal((outcome.error).message, message);
        assert.match(String(((outcome.error).cause as Error | undefined)?.message), /init failed/, 'the cause is the initializer\'s error');
      }
      assert.throws(() => executor.submit(tasks.add, 1, 2), (e: unknown) => e instanceof Broken && e.message === message);
      const report = await capture.next(/^Exception in initializer:/);
      assert.match(String((report.error as Error).message), /init failed/);
      await executor.shutdown();
    });

    test('INIT-03 once broken, every queued task is failed: nothing is left pending, and none of them runs', async () => {
      using _capture = captureReports();
      const { Broken } = kind();
      const board = kind().board();
      const executor = factory({ maxWorkers: 2, initializer: tasks.failingInitializer, initargs: ['no'] });
      const futures = Array.from({ length: 50 }, () => executor.submit(tasks.count, board, 0));
      const outcomes = await Promise.all(futures.map((f) => settle(f.result())));
      assert.ok(outcomes.every((o) => !o.ok && o.error instanceof Broken));
      await executor.shutdown();
      assert.equal(read(board, 0), 0, 'no task ran in a worker whose initializer failed');
    });

    test('TPE-04 an initializer that is not callable throws TypeError("initializer must be a callable")', () => {
      assert.throws(() => factory({ initializer: 5 as never }), { name: 'TypeError', message: 'initializer must be a callable' });
    });
  });

  describe('maxTasksPerChild', () => {
    test('PPE-10 with maxTasksPerChild 2 a worker is replaced after two tasks (idents a, a, b, b)', async () => {
      await using executor = factory({ maxWorkers: 1, maxTasksPerChild: 2 });
      const idents: string[] = [];
      for (let i = 0; i < 4; i++) idents.push(await executor.submit(tasks.workerIdent));
      assert.equal(idents[0], idents[1]);
      assert.equal(idents[2], idents[3]);
      assert.notEqual(idents[1], idents[2]);
    });

    test('PPE-12 with maxTasksPerChild, a shutdown straight after submitting still completes every future', async () => {
      const executor = factory({ maxWorkers: 2, maxTasksPerChild: 1 });
      const futures = Array.from({ length: 4 }, (_, i) => executor.submit(tasks.square, i));
      await executor.shutdown();
      assert.deepEqual(await Promise.all(futures.map((f) => f.result())), [0, 1, 4, 9]);
    });

    test('PPE-11 maxTasksPerChild must be an integer (TypeError) and >= 1 (ValueError)', () => {
      assert.throws(() => factory({ maxTasksPerChild: 1.5 }), { name: 'TypeError', message: 'maxTasksPerChild must be an integer' });
      assert.throws(() => factory({ maxTasksPerChild: 0 }), (e: unknown) => (e as Error).name === 'ValueError' && /^maxTasksPerChild must be >= 1/.test((e as Error).message));
    });
  });
}
