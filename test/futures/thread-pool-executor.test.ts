/**
 * `ThreadPoolExecutor`: the executor conformance suite, plus what only a thread pool has: the TPE
 * rows, thread names, shared memory between the program and its tasks, and resource limits.
 */
import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { describe, test } from 'node:test';
import { BrokenThreadPool, ThreadPoolExecutor } from '../../src/futures/index.js';
import { executorSuite } from '../conformance/executor-suite.js';
import { tasks } from '../conformance/executor/context.js';
import { settle } from '../helpers/futures.js';
import { bump, createBoard, waitFor } from '../helpers/signals.js';

executorSuite('ThreadPoolExecutor', (options) => new ThreadPoolExecutor(options));

/** Runs `n` tasks at once (each waits until all have started), so the pool has `n` workers busy. */
async function occupy(executor: ThreadPoolExecutor, n: number): Promise<string[]> {
  const board = createBoard('shared');
  const names = Array.from({ length: n }, () => executor.submit(tasks.gated, board, { started: 1, gate: 0 }));
  await waitFor(board, 1, n);
  const stats = executor.stats();
  bump(board, 0);
  await Promise.all(names.map((f) => f.result()));
  return stats.workers.map((w) => w.name);
}

describe('ThreadPoolExecutor', () => {
  test('TPE-01 maxWorkers defaults to os.availableParallelism() (Python: min(32, cpus + 4))', async () => {
    await using executor = new ThreadPoolExecutor();
    assert.equal(executor.maxWorkers, availableParallelism());
  });

  test('TPE-02 threads start lazily and an idle thread is reused before a new one starts', async () => {
    await using executor = new ThreadPoolExecutor({ maxWorkers: 4 });
    assert.equal(executor.stats().workers.length, 0, 'no thread before the first submit');
    for (let i = 0; i < 3; i++) assert.equal(await executor.submit(tasks.add, i, 1), i + 1);
    assert.equal(executor.stats().workers.length, 1, 'three tasks one after another ran on one thread');
  });

  test('TPE-02 a saturated pool runs at most maxWorkers threads', async () => {
    const board = createBoard('shared');
    await using executor = new ThreadPoolExecutor({ maxWorkers: 3 });
    const futures = Array.from({ length: 8 }, (_, i) => executor.submit(tasks.gated, board, { started: 1, gate: 0 }, i));
    await waitFor(board, 1, 3);
    assert.equal(executor.stats().workers.length, 3);
    bump(board, 0);
    assert.deepEqual(await Promise.all(futures.map((f) => f.result())), [0, 1, 2, 3, 4, 5, 6, 7]);
    assert.ok(executor.stats().workers.length <= 3);
  });

  test('TPE-03 threads are named <threadNamePrefix>_<i>, inside the tasks and in stats()', async () => {
    await using executor = new ThreadPoolExecutor({ maxWorkers: 5, threadNamePrefix: 'SpecialPool' });
    const board = createBoard('shared');
    const futures = Array.from({ length: 5 }, () => executor.submit(tasks.gated, board, { started: 1, gate: 0 }));
    await waitFor(board, 1, 5);
    bump(board, 0);
    await Promise.all(futures.map((f) => f.result()));
    const inside = await Promise.all(Array.from({ length: 5 }, () => executor.submit(tasks.threadName).result()));
    for (const name of inside) assert.match(name, /^SpecialPool_[0-4]$/);
    const names = executor.stats().workers.map((w) => w.name).sort();
    assert.deepEqual(names, ['SpecialPool_0', 'SpecialPool_1', 'SpecialPool_2', 'SpecialPool_3', 'SpecialPool_4']);
  });

  test('TPE-03 the default prefix is ThreadPoolExecutor-<k>', async () => {
    await using executor = new ThreadPoolExecutor({ maxWorkers: 2 });
    for (const name of await occupy(executor, 2)) assert.match(name, /^ThreadPoolExecutor-\d+_[01]$/);
    assert.match(await executor.submit(tasks.threadName), /^ThreadPoolExecutor-\d+_[01]$/);
  });

  test('TPE-05 after shutdown() every worker thread has ended', async () => {
    const executor = new ThreadPoolExecutor({ maxWorkers: 3 });
    await occupy(executor, 3);
    assert.equal(executor.stats().workers.length, 3);
    await executor.shutdown();
    assert.equal(executor.stats().workers.length, 0);
  });

  test('TPE-06 any value thrown by a task is stored on its future, and the same thread carries on', async () => {
    await using executor = new ThreadPoolExecutor({ maxWorkers: 1 });
    const thread = await executor.submit(tasks.workerIdent);
    for (const value of [new Error('error'), 42, 'text', null, undefined, { code: 7 }]) {
      const outcome = await settle(executor.submit(tasks.throwValue, value).result());
      assert.ok(!outcome.ok);
      if (value instanceof Error) assert.equal((outcome.error as Error).message, 'error');
      else assert.deepEqual(outcome.error, value);
    }
    assert.equal(await executor.submit(tasks.workerIdent), thread);
  });

  test('a SharedArrayBuffer argument is shared with the task, not copied', async () => {
    await using executor = new ThreadPoolExecutor({ maxWorkers: 2 });
    const sab = new SharedArrayBuffer(64);
    await executor.submit(tasks.count, { kind: 'shared', sab }, 3);
    await executor.submit(tasks.count, { kind: 'shared', sab }, 3);
    assert.equal(new Int32Array(sab)[3], 2, 'both writes landed in the program\'s buffer');
  });

  test('a worker that exceeds its resourceLimits fails its task with BrokenThreadPool (out of memory) and is replaced', async () => {
    await using executor = new ThreadPoolExecutor({ maxWorkers: 1, resourceLimits: { maxOldGenerationSizeMb: 32 } });
    const outcome = await settle(executor.submit(tasks.exhaustMemory).result());
    assert.ok(!outcome.ok && outcome.error instanceof BrokenThreadPool, `BrokenThreadPool, got ${String(!outcome.ok && outcome.error)}`);
    assert.match((outcome.error).message, /ran out of memory/);
    assert.match((outcome.error).message, /exhaustMemory/);
    assert.equal(await executor.submit(tasks.add, 1, 2), 3, 'a new thread runs the next task');
  });

  test('the error that killed a thread is the cause of its task\'s BrokenThreadPool', async () => {
    await using executor = new ThreadPoolExecutor({ maxWorkers: 1 });
    const outcome = await settle(executor.submit(tasks.throwFromTimerWhileRunning, 'late boom').result());
    assert.ok(!outcome.ok && outcome.error instanceof BrokenThreadPool);
    const error = outcome.error;
    assert.match(error.message, /late boom/);
    assert.equal((error.cause as Error | undefined)?.message, 'late boom');
  });

  test('stats() counts completed tasks and reports each worker', async () => {
    await using executor = new ThreadPoolExecutor({ maxWorkers: 2 });
    await Promise.all(Array.from({ length: 10 }, (_, i) => executor.submit(tasks.square, i).result()));
    const stats = executor.stats();
    assert.equal(stats.completed, 10);
    assert.equal(stats.queued, 0);
    assert.equal(stats.running, 0);
    for (const w of stats.workers) {
      assert.equal(w.pid, process.pid);
      assert.ok(w.ident > 0);
    }
  });
});

describe('results of a batch are not held back', () => {
  test('a task that blocks until the program reacts to an earlier task of the same batch does not deadlock', async () => {
    const { Event } = await import('../../src/threading/index.js');
    await using executor = new ThreadPoolExecutor({ maxWorkers: 1 });
    // Warm up with tiny tasks, so the pool sends many tasks per message.
    await Promise.all(Array.from({ length: 2000 }, (_, i) => executor.submit(tasks.add, i, 1).result()));
    const reacted = new Event();
    const quick = executor.submit(tasks.add, 1, 1);
    const waiter = executor.submit((event: InstanceType<typeof Event>) => event.waitSync(30_000), reacted);
    quick.addDoneCallback(() => reacted.set());
    assert.equal(await waiter, true, 'the quick result reached the program while the next task of its batch was blocked');
    assert.equal(await quick, 2);
  });
});

describe('per-task timeouts in map', () => {
  test('withOptions({ timeout }).map times each item, not a chunk: only the slow item fails', async () => {
    await using executor = new ThreadPoolExecutor({ maxWorkers: 2 });
    const results = executor.withOptions({ timeout: 1000 }).map(tasks.sleep, [1, 1, 20_000, 1]);
    assert.equal(await results.next().then((r) => r.value), 1);
    assert.equal(await results.next().then((r) => r.value), 1);
    await assert.rejects(results.next(), { name: 'TimeoutError' });
    await results.return();
  });
});

describe('terminateWorkers', () => {
  test('PPE-16 terminateWorkers() stops a task that never returns, cancels the queue, and returns', async () => {
    const executor = new ThreadPoolExecutor({ maxWorkers: 1 });
    const board = createBoard('shared');
    const stuck = executor.submit(tasks.spin, board, 0);
    const queued = executor.submit(tasks.add, 1, 2);
    await waitFor(board, 0, 1);
    await executor.terminateWorkers();
    assert.equal(stuck.cancelled(), true, 'the running task was stopped');
    assert.equal(queued.cancelled(), true, 'the queued task was cancelled');
    assert.throws(() => executor.submit(tasks.add, 1, 2), { name: 'RuntimeError' });
    assert.equal(executor.stats().workers.length, 0, 'no worker is left');
    await executor.terminateWorkers();
  });
});
