/**
 * `ProcessPoolExecutor`: the executor conformance suite, plus what only a process pool has: the
 * PPE rows of the checklist (processes killed from outside, worker pids, process reuse, no process
 * left after shutdown).
 */
import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { describe, test } from 'node:test';
import { BrokenProcessPool, CancelledError, ProcessPoolExecutor, RuntimeError, SerializationError } from '../../src/futures/index.js';
import { taskModule } from '../../src/index.js';
import { executorSuite } from '../conformance/executor-suite.js';
import { tasks } from '../conformance/executor/context.js';
import { settle } from '../helpers/futures.js';
import { captureReports } from '../helpers/reporter.js';
import { captureStderr } from '../helpers/stderr.js';
import { bump, createBoard, waitFor } from '../helpers/signals.js';
import { allEnded } from '../fixtures/multiprocessing/support.js';

executorSuite('ProcessPoolExecutor', (options) => new ProcessPoolExecutor(options));

const poolTasks = taskModule<typeof import('../fixtures/multiprocessing/pool-tasks.js')>(
  new URL('../fixtures/multiprocessing/pool-tasks.js', import.meta.url));
const broken = taskModule<typeof import('../fixtures/multiprocessing/throws-on-import.js')>(
  new URL('../fixtures/multiprocessing/throws-on-import.js', import.meta.url));

describe('ProcessPoolExecutor', () => {
  test('PPE-01 a worker killed by SIGKILL mid-task, default mode: that task fails with BrokenProcessPool, the rest complete, the worker is replaced', async () => {
    const board = createBoard('files');
    await using executor = new ProcessPoolExecutor({ maxWorkers: 2 });
    const victim = executor.submit(poolTasks.holdUntilKilled, board, 1, 0);
    await waitFor(board, 1, 1);
    // The only worker so far is the one running the victim.
    const victimPid = executor.stats().workers[0]?.pid as number;
    const others = Array.from({ length: 20 }, (_, i) => executor.submit(tasks.square, i));
    process.kill(victimPid, 'SIGKILL');
    const outcome = await settle(victim.result());
    assert.ok(!outcome.ok && outcome.error instanceof BrokenProcessPool, `BrokenProcessPool, got ${String(outcome.ok ? outcome.value : outcome.error)}`);
    assert.match((outcome.error).message, /SIGKILL/);
    assert.deepEqual(await Promise.all(others.map((f) => f.result())), Array.from({ length: 20 }, (_, i) => i * i));
    const next = await executor.submit(poolTasks.pid);
    assert.notEqual(next, victimPid, 'a new process runs the next task');
  });

  test("PPE-01 onWorkerExit: 'break' is Python's behaviour: a worker killed by SIGKILL fails every pending future and later submits", async () => {
    const board = createBoard('files');
    const executor = new ProcessPoolExecutor({ maxWorkers: 2, onWorkerExit: 'break' });
    using _reports = captureReports();
    const running = executor.submit(poolTasks.holdUntilKilled, board, 1, 0);
    await waitFor(board, 1, 1);
    const queued = Array.from({ length: 5 }, () => executor.submit(poolTasks.holdUntilKilled, board, 1, 0));
    const pids = executor.stats().workers.map((w) => w.pid);
    await waitFor(board, 1, 2);
    process.kill(pids[0] as number, 'SIGKILL');
    for (const future of [running, ...queued]) {
      const outcome = await settle(future.result());
      assert.ok(!outcome.ok && outcome.error instanceof BrokenProcessPool);
      assert.match((outcome.error).message, /^A process in the process pool was terminated abruptly while the future was running or pending/);
    }
    assert.throws(() => executor.submit(tasks.add, 1, 2), (e: unknown) => e instanceof BrokenProcessPool);
    await executor.shutdown();
    await allEnded(pids, 5000);
  });

  test('PPE-01 a worker that runs out of memory fails its task with BrokenProcessPool and is replaced', async () => {
    await using executor = new ProcessPoolExecutor({ maxWorkers: 1, execArgv: [...process.execArgv, '--max-old-space-size=32'] });
    using _reports = captureReports();
    using stderr = captureStderr();
    const before = await executor.submit(poolTasks.pid);
    const outcome = await settle(executor.submit(tasks.exhaustMemory).result());
    assert.ok(!outcome.ok && outcome.error instanceof BrokenProcessPool, String(outcome.ok ? outcome.value : outcome.error));
    assert.match((outcome.error).message, /exhaustMemory/);
    assert.match((outcome.error).message, /JavaScript heap out of memory/, 'the heap limit is named, as V8 wrote it to the child\'s stderr');
    assert.match(stderr.text(), /heap out of memory/, 'the child\'s stderr still reaches the program');
    assert.notEqual(await executor.submit(poolTasks.pid), before);
  });

  test('PPE-02 an error raised in the worker arrives with its class, message and the worker-side stack (the source line of the throw)', async () => {
    await using executor = new ProcessPoolExecutor({ maxWorkers: 1 });
    const outcome = await settle(executor.submit(poolTasks.failHere, 'bad input').result());
    assert.ok(!outcome.ok);
    const error = outcome.error as Error;
    assert.ok(error instanceof TypeError);
    assert.equal(error.message, 'bad input');
    assert.match(error.stack ?? '', /at failHere \(.*pool-tasks\.ts:\d+:\d+\)/);
  });

  test('PPE-03 process.exit(3) in a task fails that task (BrokenProcessPool, "exit code 3"); the pool is not broken (Python: SystemExit in the future)', async () => {
    await using executor = new ProcessPoolExecutor({ maxWorkers: 2 });
    const outcome = await settle(executor.submit(tasks.exitWith, 3).result());
    assert.ok(!outcome.ok && outcome.error instanceof BrokenProcessPool);
    assert.match((outcome.error).message, /exit code 3/);
    assert.equal(await executor.submit(tasks.add, 2, 3), 5);
  });

  test('PPE-04 an argument that cannot be sent fails at submit, alone; shutdown({ wait: false }) afterwards does not hang', async () => {
    const executor = new ProcessPoolExecutor({ maxWorkers: 1 });
    const good = executor.submit(tasks.add, 1, 1);
    assert.throws(() => executor.submit(tasks.echo, () => 1), (e: unknown) => e instanceof SerializationError);
    const after = executor.submit(tasks.add, 2, 2);
    await executor.shutdown({ wait: false });
    assert.deepEqual(await Promise.all([good.result(), after.result()]), [2, 4]);
    await executor.shutdown();
  });

  test('PPE-05 a result that cannot be sent back fails only its future; the pool stays usable', async () => {
    await using executor = new ProcessPoolExecutor({ maxWorkers: 1 });
    const outcome = await settle(executor.submit(tasks.returnFunction).result());
    assert.ok(!outcome.ok && outcome.error instanceof TypeError, String(outcome.ok ? 'ok' : outcome.error));
    assert.match((outcome.error).message, /cannot be sent back/);
    assert.equal(await executor.submit(tasks.square, 9), 81);
  });

  test('PPE-06 a task whose module fails to load fails that task only (no broken pool, unlike Python\'s unpickling errors)', async () => {
    await using executor = new ProcessPoolExecutor({ maxWorkers: 1 });
    const outcome = await settle(executor.submit(broken.never).result());
    assert.ok(!outcome.ok);
    assert.match((outcome.error as Error).message, /cannot import task module .*throws-on-import/);
    assert.equal(await executor.submit(tasks.add, 1, 2), 3);
  });

  test('PPE-07 a worker that dies after shutdown({ wait: true }) was called causes no deadlock: the future fails with BrokenProcessPool', async () => {
    const executor = new ProcessPoolExecutor({ maxWorkers: 1 });
    const future = executor.submit(tasks.exitWith, 5);
    await executor.shutdown({ wait: true });
    const outcome = await settle(future.result());
    assert.ok(!outcome.ok && outcome.error instanceof BrokenProcessPool);
  });

  test('PPE-08 a worker that dies while a 16 MiB argument is in flight fails its task with BrokenProcessPool, no hang', async () => {
    await using executor = new ProcessPoolExecutor({ maxWorkers: 1 });
    const big = new Uint8Array(16 * 1024 * 1024).fill(7);
    const outcome = await settle(executor.submit(poolTasks.dieWithData, big).result());
    assert.ok(!outcome.ok && outcome.error instanceof BrokenProcessPool);
    assert.equal(await executor.submit(poolTasks.size, big), big.length);
  });

  test('PPE-09 submitting 20,000 tasks in one burst cannot deadlock the channel: every future completes', async () => {
    await using executor = new ProcessPoolExecutor({ maxWorkers: 2 });
    const futures = Array.from({ length: 20_000 }, (_, i) => executor.submit(tasks.add, i, 1));
    const results = await Promise.all(futures.map((f) => f.result()));
    assert.equal(results.length, 20_000);
    assert.equal(results[19_999], 20_000);
  });

  test('PPE-10 with maxTasksPerChild 2, the pids of four tasks in a row are a, a, b, b and never more than maxWorkers processes run', async () => {
    await using executor = new ProcessPoolExecutor({ maxWorkers: 1, maxTasksPerChild: 2 });
    const pids: number[] = [];
    for (let i = 0; i < 4; i++) {
      pids.push(await executor.submit(poolTasks.pid));
      assert.ok(executor.stats().workers.length <= 1);
    }
    assert.equal(pids[0], pids[1]);
    assert.equal(pids[2], pids[3]);
    assert.notEqual(pids[1], pids[2]);
    await allEnded([pids[0] as number], 5000);
  });

  test('PPE-12 maxTasksPerChild 1: a failing task and shutdown({ wait: false }) neither hang nor throw', async () => {
    const executor = new ProcessPoolExecutor({ maxWorkers: 1, maxTasksPerChild: 1 });
    const failing = executor.submit(poolTasks.failHere, 'x');
    const fine = executor.submit(tasks.add, 1, 1);
    await executor.shutdown({ wait: false });
    assert.ok(!(await settle(failing.result())).ok);
    assert.equal(await fine, 2);
    await executor.shutdown();
  });

  test('PPE-13 maxWorkers defaults to os.availableParallelism() (Python: os.process_cpu_count())', async () => {
    await using executor = new ProcessPoolExecutor();
    assert.equal(executor.maxWorkers, availableParallelism());
  });

  test('PPE-14 processes start on demand and an idle one is reused: three tasks in a row run in one process', async () => {
    await using executor = new ProcessPoolExecutor({ maxWorkers: 4 });
    assert.equal(executor.stats().workers.length, 0);
    const pids = [await executor.submit(poolTasks.pid), await executor.submit(poolTasks.pid), await executor.submit(poolTasks.pid)];
    assert.equal(new Set(pids).size, 1);
    assert.equal(executor.stats().workers.length, 1);
  });

  test('PPE-15 after shutdown() every worker process has exited, also after await using', async () => {
    const board = createBoard('files');
    let pids: number[];
    {
      await using executor = new ProcessPoolExecutor({ maxWorkers: 3 });
      const futures = Array.from({ length: 3 }, () => executor.submit(tasks.gated, board, { started: 1, gate: 0 }));
      await waitFor(board, 1, 3);
      pids = executor.stats().workers.map((w) => w.pid);
      assert.equal(pids.length, 3);
      bump(board, 0);
      await Promise.all(futures.map((f) => f.result()));
    }
    await allEnded(pids, 2000);
  });

  test('PPE-16 cancel({ force: true }) stops a running task: CANCELLED, its process is killed, the pool goes on (3.14 terminate_workers, per task)', async () => {
    const board = createBoard('files');
    await using executor = new ProcessPoolExecutor({ maxWorkers: 1 });
    const running = executor.submit(poolTasks.holdUntilKilled, board, 1, 0);
    await waitFor(board, 1, 1);
    const pid = executor.stats().workers[0]?.pid as number;
    assert.equal(running.cancel({ force: true }), true);
    await assert.rejects(running.result(), (e: unknown) => e instanceof CancelledError);
    await allEnded([pid], 5000);
    assert.equal(await executor.submit(tasks.add, 1, 2), 3);
  });

  test('PPE-16 terminateWorkers() stops the running task (CANCELLED) and every worker process now; submit then throws RuntimeError', async () => {
    const board = createBoard('files');
    const executor = new ProcessPoolExecutor({ maxWorkers: 2 });
    const running = executor.submit(poolTasks.holdUntilKilled, board, 1, 0);
    const idle = await executor.submit(poolTasks.pid);
    await waitFor(board, 1, 1);
    const pids = [...new Set([...executor.stats().workers.map((w) => w.pid), idle])];
    await executor.terminateWorkers();
    await assert.rejects(running.result(), (e: unknown) => e instanceof CancelledError);
    await allEnded(pids, 5000);
    assert.throws(() => executor.submit(tasks.add, 1, 2), (e: unknown) => e instanceof RuntimeError);
  });

  test('PPE-17 a closure over a local variable fails its future, saying it travelled as source and what to do', async () => {
    await using executor = new ProcessPoolExecutor({ maxWorkers: 1 });
    const factor = 3;
    const outcome = await settle(executor.submit((x: number) => x * factor, 2).result());
    assert.ok(!outcome.ok && outcome.error instanceof ReferenceError);
    assert.match((outcome.error).message, /source text/);
    assert.match((outcome.error).message, /taskModule/);
  });

  test('submit after shutdown throws RuntimeError', async () => {
    const executor = new ProcessPoolExecutor({ maxWorkers: 1 });
    await executor.shutdown();
    assert.throws(() => executor.submit(tasks.add, 1, 2), (e: unknown) => e instanceof RuntimeError);
  });
});

describe('shared memory does not cross processes', () => {
  test('a SharedArrayBuffer, a view of one, or a threading primitive given to a process task throws SerializationError', async () => {
    const { SharedValue, Lock } = await import('../../src/threading/index.js');
    await using executor = new ProcessPoolExecutor({ maxWorkers: 1 });
    const echo = (x: unknown) => x;
    for (const [value, path] of [
      [new SharedArrayBuffer(8), 'args[0]'],
      [{ counts: new Int32Array(new SharedArrayBuffer(8)) }, 'args[0].counts'],
      [SharedValue('i', 0), 'args[0]'],
      [new Lock(), 'args[0]'],
    ] as const) {
      assert.throws(() => executor.submit(echo, value), (e: unknown) => e instanceof SerializationError && e.path === path && /shared memory/.test(e.message));
    }
    assert.equal(await executor.submit(echo, new ArrayBuffer(4)).then((b) => (b as ArrayBuffer).byteLength), 4, 'a plain ArrayBuffer still travels');
  });
});
