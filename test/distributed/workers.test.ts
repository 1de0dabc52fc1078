/**
 * Worker processes, as `concurrent-ts worker` runs them: three share a queue; one killed with
 * SIGKILL mid-task loses nothing (at-least-once); SIGTERM finishes or hands back running jobs.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { DistributedExecutor } from '../../src/distributed/index.js';
import { BrokenExecutor } from '../../src/errors.js';
import type { Future } from '../../src/core/future.js';
import { needRedis, RedisServer, redisServerPath } from '../fixtures/distributed/redis-server.js';
import { allowTasks, FAST_RECOVERY, queueName, startWorkerProcess, stopWorkers, tasks, type WorkerProcess } from '../fixtures/distributed/helpers.js';
import { waitUntil } from '../helpers/wait-until.js';

const available = redisServerPath() !== null;

describe('distributed workers', () => {
  let server: RedisServer;

  before(async () => {
    if (available) server = await RedisServer.start();
  });

  after(async () => {
    if (available) await server.stop();
  });

  test('three worker processes share the load; SIGKILL one mid-task and every future still settles with its result', async (t) => {
    if (!needRedis(t)) return;
    const queue = queueName('three');
    const options = { redis: server.url, queue, allow: [allowTasks], concurrency: 2, maxWorkers: 1, processes: false, ...FAST_RECOVERY };
    const workers = await Promise.all([startWorkerProcess(options), startWorkerProcess(options), startWorkerProcess(options)]);
    const executor = new DistributedExecutor({ connection: server.url, queue, reconcileInterval: 1000 });
    try {
      const warm = await Promise.all(Array.from({ length: 12 }, (_, i) => executor.submit(tasks.sleepy, 150, i)));
      assert.deepEqual(warm.map((r) => r.tag), Array.from({ length: 12 }, (_, i) => i));
      assert.deepEqual(new Set(warm.map((r) => r.pid)), new Set(workers.map((w) => w.pid)), 'every worker took jobs');

      const futures = Array.from({ length: 12 }, (_, i) => executor.submit(tasks.sleepy, 1200, i));
      // Six slots (3 workers × concurrency 2): wait until they are all busy, then kill one worker.
      await waitUntil(() => futures.filter((f) => f.running()).length >= 6);
      const victim = workers[0];
      victim.child.kill('SIGKILL');
      assert.equal(await victim.exited, 'SIGKILL');
      const started = performance.now();
      const results = await Promise.all(futures.map((f) => f.result(30_000)));
      assert.deepEqual(results.map((r) => r.tag), Array.from({ length: 12 }, (_, i) => i), 'every future settled with its own result');
      assert.ok(results.every((r) => r.pid !== victim.pid), 'the jobs the killed worker held were finished by the others');
      const rerun = await attemptsStarted(server, queue, futures);
      assert.ok(rerun.some((n) => n >= 2), `the killed worker's jobs ran again elsewhere (attempts started: ${rerun.join(', ')})`);
      assert.ok(performance.now() - started < 20_000);
    } finally {
      await executor.shutdown();
      await stopWorkers(workers);
    }
  });

  test('SIGTERM: a worker finishes what fits in its grace period and hands the rest back to the queue', async (t) => {
    if (!needRedis(t)) return;
    const queue = queueName('sigterm');
    const options = { redis: server.url, queue, allow: [allowTasks], concurrency: 2, maxWorkers: 2, processes: false, grace: 800, ...FAST_RECOVERY };
    const first = await startWorkerProcess(options);
    const executor = new DistributedExecutor({ connection: server.url, queue });
    let second: WorkerProcess | undefined;
    try {
      const short = executor.submit(tasks.sleepy, 300, 'short');
      const long = executor.submit(tasks.sleepy, 60_000, 'long');
      await waitUntil(() => short.running() && long.running());
      first.child.kill('SIGTERM');
      assert.equal(await first.exited, 0, 'the worker exits normally');
      assert.equal((await short.result(10_000)).pid, first.pid, 'the short job finished within the grace period');
      assert.ok(first.lines.some((line) => / stopped: 1 job\(s\) completed, 0 failed, 1 handed back/.test(line)), first.lines.join('\n'));
      assert.equal(long.done(), false, 'the long job went back to the queue');
      second = await startWorkerProcess({ ...options, grace: 0 });
      const waited = await Promise.race([long, new Promise((resolve) => setTimeout(resolve, 3000, 'still running'))]);
      assert.equal(waited, 'still running', 'the other worker runs it (it sleeps a minute)');
      assert.equal(long.cancel({ force: true }), true);
    } finally {
      await executor.shutdown();
      await stopWorkers(second === undefined ? [first] : [first, second]);
    }
  });

  test('a task that kills every worker running it fails with BrokenExecutor once the queue\'s stall limit is reached', async (t) => {
    if (!needRedis(t)) return;
    const queue = queueName('poison');
    const options = { redis: server.url, queue, allow: [allowTasks], concurrency: 1, maxWorkers: 1, processes: false, maxStalledCount: 1, ...FAST_RECOVERY };
    const workers = await Promise.all([startWorkerProcess(options), startWorkerProcess(options), startWorkerProcess(options)]);
    const executor = new DistributedExecutor({ connection: server.url, queue, reconcileInterval: 1000 });
    try {
      const error = await executor.submit(tasks.crash).exception(30_000);
      assert.ok(error instanceof BrokenExecutor, String(error));
      assert.match((error).message, /stalled more than allowable limit/);
      const dead = (await Promise.all(workers.map((w) => Promise.race([w.exited, new Promise((r) => setTimeout(r, 100, 'alive'))])))).filter((x) => x === 'SIGKILL');
      assert.equal(dead.length, 2, 'it ran twice (maxStalledCount 1), killing two workers');
      assert.equal(await executor.submit(tasks.add, 1, 1).result(10_000), 2, 'the third worker still serves');
    } finally {
      await executor.shutdown();
      await stopWorkers(workers);
    }
  });
});

/** BullMQ's count of started attempts for each future's job. */
async function attemptsStarted(server: RedisServer, queue: string, futures: ReadonlyArray<Future<unknown>>): Promise<number[]> {
  const client = new Redis(server.url);
  try {
    return await Promise.all(futures.map(async (f) => Number(await client.hget(`bull:${queue}:${(f as unknown as { id: string }).id}`, 'ats'))));
  } finally {
    client.disconnect();
  }
}

