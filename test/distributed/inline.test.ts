/**
 * Inline workers (`runWorker({ inline: true })`, `concurrent-ts worker --inline`): tasks run on
 * the worker's main thread, and everything a caller sees is what a pooled worker gives, except
 * that a stopped task is not interrupted.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { threadId } from 'node:worker_threads';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { taskModule } from '../../src/index.js';
import { DistributedExecutor, runWorker, type WorkerHandle } from '../../src/distributed/index.js';
import { CancelledError, TaskNotAllowedError, TimeoutError, ValueError } from '../../src/errors.js';
import { needRedis, RedisServer, redisServerPath } from '../fixtures/distributed/redis-server.js';
import { allowTasks, FAST_RECOVERY, outside, queueName, tasks } from '../fixtures/distributed/helpers.js';
import type * as InlineTasks from '../fixtures/distributed/inline-tasks.js';
import { waitUntil } from '../helpers/wait-until.js';

const available = redisServerPath() !== null;
const inlineTasksUrl = new URL('../fixtures/distributed/inline-tasks.ts', import.meta.url);
const inlineTasks = taskModule<typeof InlineTasks>(inlineTasksUrl);
const allow = [allowTasks, fileURLToPath(inlineTasksUrl)];
const cli = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

describe('inline workers', () => {
  let server: RedisServer;
  let inline: WorkerHandle;
  let pooled: WorkerHandle;
  let executor: DistributedExecutor;
  let pooledExecutor: DistributedExecutor;
  let dir: string;
  const logged: string[] = [];

  before(async () => {
    if (!available) return;
    dir = mkdtempSync(join(tmpdir(), 'ct-inline-'));
    server = await RedisServer.start();
    const queue = queueName('inline');
    const pooledQueue = queueName('pooled');
    const common = { redis: server.url, allow, handleSignals: false, grace: 0, ...FAST_RECOVERY };
    inline = runWorker({ ...common, queue, inline: true, concurrency: 4, log: (line) => logged.push(line) });
    pooled = runWorker({ ...common, queue: pooledQueue, concurrency: 2, maxWorkers: 1, log: () => {} });
    await Promise.all([inline.ready, pooled.ready]);
    executor = new DistributedExecutor({ connection: server.url, queue, reconcileInterval: 500 });
    pooledExecutor = new DistributedExecutor({ connection: server.url, queue: pooledQueue, reconcileInterval: 500 });
  });

  after(async () => {
    if (!available) return;
    await Promise.all([executor.shutdown({ cancelFutures: true }), pooledExecutor.shutdown({ cancelFutures: true })]);
    await Promise.all([inline.stop(), pooled.stop()]);
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('tasks run on the worker\'s own thread; results, structured values and map chunks come back', async (t) => {
    if (!needRedis(t)) return;
    const where = await executor.submit(inlineTasks.whereAmI);
    assert.equal(where.pid, process.pid);
    assert.equal(where.threadId, threadId, 'the calling thread, not a pool thread');
    assert.ok(logged.some((line) => / started: .*inline on the main thread, concurrency 4/.test(line)), logged.join('\n'));
    assert.equal(await executor.submit(tasks.add, 2, 3), 5);
    assert.deepEqual(await executor.submit(tasks.sleepy, 10, 'async'), { pid: process.pid, tag: 'async' });
    const value = { big: 2n ** 70n, when: new Date(0), map: new Map([[1, 'one']]), bytes: new Uint8Array([1, 255]), nothing: undefined, negZero: -0 };
    assert.deepEqual(await executor.submit(tasks.echo, value), value);
    const items = Array.from({ length: 2000 }, (_, i) => i);
    assert.deepEqual(await executor.map(tasks.double, items, { chunksize: 300 }).toArray(), items.map((i) => i * 2));
    const primes = await executor.map(tasks.isPrime, items).toArray();
    assert.equal(primes.filter((p) => p === true).length, 303);
    assert.deepEqual(await executor.starmap(tasks.add, [[1, 2], [3, 4], [5, 6]] as Array<[number, number]>, { chunksize: 2 }).toArray(), [3, 7, 11]);
  });

  test('a task exception arrives exactly as from a pooled worker: class, message, properties, the task\'s own stack', async (t) => {
    if (!needRedis(t)) return;
    for (const [fn, arg] of [[tasks.boom, 'no good'], [tasks.validate, 'age']] as const) {
      type Thrown = Error & { field?: string };
      const [own, theirs] = await Promise.all([executor.submit(fn, arg).exception(), pooledExecutor.submit(fn, arg).exception()]) as [Thrown, Thrown];
      assert.equal(Object.getPrototypeOf(own), Object.getPrototypeOf(theirs));
      assert.equal(own.name, theirs.name);
      assert.equal(own.message, theirs.message);
      assert.equal(own.field, theirs.field);
      assert.equal(own.stack, theirs.stack, 'the same worker-side stack, without the worker\'s own frames');
    }
    const error = await executor.submit(tasks.boom, 'no good').exception() as Error;
    assert.ok(error instanceof TypeError);
    assert.match(error.stack ?? '', /^TypeError: no good\n\s+at boom \(.*tasks\.ts:\d+:\d+\)$/);
    await assert.rejects(executor.map(tasks.checkItem, Array.from({ length: 100 }, (_, i) => i + 1), { chunksize: 10 }).toArray(),
      (e: unknown) => e instanceof RangeError && e.message === 'bad item 37');
  });

  test('the allow-list is the same: other modules and exports are refused and nothing runs', async (t) => {
    if (!needRedis(t)) return;
    const refused = await executor.submit(outside.steal).exception();
    assert.ok(refused instanceof TaskNotAllowedError, String(refused));
    assert.match(refused.message, /does not allow the module "outside"/);
    const missing = await executor.submit(taskModule<{ nope(): void }>(new URL('../fixtures/distributed/tasks.ts', import.meta.url)).nope).exception();
    assert.ok(missing instanceof TaskNotAllowedError, String(missing));
    assert.match(missing.message, /has no exported function "nope"/);
    assert.throws(() => runWorker({ redis: server.url, queue: 'x', allow, inline: true, maxWorkers: 2 }), ValueError);
    assert.throws(() => runWorker({ redis: server.url, queue: 'x', allow, inline: true, processes: true }), ValueError);
  });

  test('cancel({ force: true }) of a running task: the future is cancelled at once and the job fails as cancelled; the task runs on to its end, its result dropped', async (t) => {
    if (!needRedis(t)) return;
    const file = join(dir, 'force-cancelled');
    const running = executor.submit(inlineTasks.sleepThenRecord, 1500, file, 'finished');
    await waitUntil(() => running.running());
    assert.equal(running.cancel(), false, 'a plain cancel() fails once the task runs');
    assert.equal(running.cancel({ force: true }), true);
    await assert.rejects(running.result(), CancelledError);
    await waitUntil(() => logged.some((line) => line.includes('cancelled by its caller')));
    const admin = new Redis(server.url);
    try {
      const id = (running as unknown as { id: string }).id;
      await waitUntil(async () => /^CancelledError: /.test(await admin.hget(`bull:${executor.queue}:${id}`, 'failedReason') ?? ''));
      assert.equal(await executor.submit(tasks.add, 1, 1), 2, 'the worker takes the next job meanwhile');
      assert.equal(existsSync(file), false, 'the job failed before the task ended');
      await waitUntil(() => existsSync(file));
      assert.equal(readFileSync(file, 'utf8'), 'finished\n', 'the stopped task ran on to its end');
      assert.ok(/^CancelledError: /.test(await admin.hget(`bull:${executor.queue}:${id}`, 'failedReason') ?? ''), 'its late result changed nothing');
    } finally {
      admin.disconnect();
    }
  });

  test('a timeout fails an async task at its deadline, and a synchronous one when it returns', async (t) => {
    if (!needRedis(t)) return;
    const timed = executor.withJobOptions({ timeout: 200 });
    await assert.rejects(timed.submit(tasks.sleepy, 2000).result(), (e: unknown) => e instanceof TimeoutError && /within 200 ms/.test(e.message));
    await assert.rejects(timed.submit(tasks.spin, 600).result(), (e: unknown) => e instanceof TimeoutError && /ran \d+ ms, more than its timeout of 200 ms/.test(e.message));
    assert.equal(await timed.submit(tasks.add, 2, 2), 4);
  });

  test('concurrent-ts worker --inline: isMain() is false in tasks; SIGTERM finishes what fits, a second SIGTERM hands the rest back', async (t) => {
    if (!needRedis(t)) return;
    const queue = queueName('cli');
    const child = spawn(process.execPath, ['--import', 'tsx', cli, 'worker', '--inline', '--redis', server.url, '--queue', queue,
      '--allow', allow[0] as string, '--allow', allow[1] as string, '--concurrency', '2'], { stdio: ['ignore', 'ignore', 'pipe'] });
    const lines: string[] = [];
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => lines.push(...chunk.split('\n').filter(Boolean)));
    const exited = new Promise<number | string | null>((resolve) => child.once('exit', (code, signal) => resolve(signal ?? code)));
    const solo = new DistributedExecutor({ connection: server.url, queue });
    const admin = new Redis(server.url);
    try {
      await waitUntil(() => lines.some((line) => / started: /.test(line)), 30_000);
      const where = await solo.submit(inlineTasks.whereAmI);
      assert.deepEqual(where, { pid: child.pid, threadId: 0, isMain: false });
      const short = solo.submit(tasks.sleepy, 1500, 'short');
      const long = solo.submit(tasks.sleepy, 60_000, 'long');
      await waitUntil(() => short.running() && long.running());
      child.kill('SIGTERM');
      assert.equal((await short.result(10_000)).tag, 'short', 'the short job finished within the grace period');
      assert.equal(long.done(), false);
      child.kill('SIGTERM');
      assert.equal(await exited, 0, 'the worker exits normally');
      assert.ok(lines.some((line) => / stopped: 2 job\(s\) completed, 0 failed, 1 handed back/.test(line)), lines.join('\n'));
      const id = (long as unknown as { id: string }).id;
      assert.ok((await admin.lrange(`bull:${queue}:wait`, 0, -1)).includes(id), 'the long job is back in the queue for another worker');
      assert.equal(long.cancel(), false, 'its future stays RUNNING, as futures only move forward');
      assert.equal(long.cancel({ force: true }), true);
    } finally {
      admin.disconnect();
      await solo.shutdown();
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  });
});

