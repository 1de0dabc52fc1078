/**
 * Packing: when more tasks wait than fit in Redis, consecutive plain submits of one function
 * share a job. Each future still gets its own result or error, and cancelling one member gives up
 * the pack and sends the others again.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { DistributedExecutor, runWorker, type RunWorkerOptions } from '../../src/distributed/index.js';
import { CancelledError } from '../../src/errors.js';
import { needRedis, RedisServer, redisServerPath } from '../fixtures/distributed/redis-server.js';
import { allowTasks, FAST_RECOVERY, queueName, tasks } from '../fixtures/distributed/helpers.js';
import { waitUntil } from '../helpers/wait-until.js';

const available = redisServerPath() !== null;

describe('DistributedExecutor packing', () => {
  let server: RedisServer;
  let admin: Redis;
  let dir: string;

  before(async () => {
    if (!available) return;
    dir = mkdtempSync(join(tmpdir(), 'ct-pack-'));
    server = await RedisServer.start();
    admin = new Redis(server.url);
  });

  after(async () => {
    if (!available) return;
    admin.disconnect();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  function worker(queue: string, options: Partial<RunWorkerOptions> = {}) {
    return runWorker({ redis: server.url, queue, allow: [allowTasks], concurrency: 2, maxWorkers: 1, processes: false, handleSignals: false, grace: 0, log: () => {}, ...FAST_RECOVERY, ...options });
  }

  /** Jobs the queue completed: kept, as the default retention keeps the last 2000. */
  async function completedJobs(queue: string): Promise<number> {
    return admin.zcard(`bull:${queue}:completed`);
  }

  async function waitingJobs(queue: string): Promise<number> {
    return admin.llen(`bull:${queue}:wait`);
  }

  test('a burst beyond maxInFlight shares jobs; every future gets its own result, a failing call fails alone', async (t) => {
    if (!needRedis(t)) return;
    const queue = queueName('pack');
    const running = worker(queue);
    const executor = new DistributedExecutor({ connection: server.url, queue, maxInFlight: 4 });
    try {
      await running.ready;
      const futures = Array.from({ length: 200 }, (_, i) => executor.submit(tasks.checkItem, i + 1));
      const settled = await Promise.allSettled(futures.map((f) => f.result(30_000)));
      settled.forEach((outcome, i) => {
        const n = i + 1;
        if (n % 37 === 0) {
          assert.equal(outcome.status, 'rejected', `item ${n} fails`);
          assert.ok(outcome.reason instanceof RangeError && outcome.reason.message === `bad item ${n}`);
        } else {
          assert.deepEqual(outcome, { status: 'fulfilled', value: n });
        }
      });
      const jobs = await completedJobs(queue);
      assert.ok(jobs > 0 && jobs < 200 / 2, `200 tasks took ${jobs} jobs`);
    } finally {
      await executor.shutdown();
      await running.stop();
    }
  });

  test('packSubmits: false, or tasks with options of their own, get one job each', async (t) => {
    if (!needRedis(t)) return;
    const queue = queueName('nopack');
    const running = worker(queue);
    const plain = new DistributedExecutor({ connection: server.url, queue, maxInFlight: 4, packSubmits: false });
    const packing = new DistributedExecutor({ connection: server.url, queue, maxInFlight: 4 });
    try {
      await running.ready;
      const one = await Promise.all(Array.from({ length: 40 }, (_, i) => plain.submit(tasks.add, i, 1).result(30_000)));
      assert.deepEqual(one, Array.from({ length: 40 }, (_, i) => i + 1));
      assert.equal(await completedJobs(queue), 40);
      const urgent = packing.withJobOptions({ priority: 1 });
      const two = await Promise.all(Array.from({ length: 40 }, (_, i) => urgent.submit(tasks.add, i, 2).result(30_000)));
      assert.deepEqual(two, Array.from({ length: 40 }, (_, i) => i + 2));
      assert.equal(await completedJobs(queue), 80);
      assert.throws(() => new DistributedExecutor({ connection: server.url, queue, packSubmits: 'yes' as unknown as boolean }), /packSubmits/);
    } finally {
      await plain.shutdown();
      await packing.shutdown();
      await running.stop();
    }
  });

  test('cancel() on a packed task that has not started: it never runs, the others of its pack do', async (t) => {
    if (!needRedis(t)) return;
    const queue = queueName('pack-cancel');
    const file = join(dir, 'pack-cancel');
    const executor = new DistributedExecutor({ connection: server.url, queue, maxInFlight: 1 });
    try {
      // No worker yet: the first pack waits in Redis, the other tasks here.
      const futures = Array.from({ length: 10 }, (_, i) => executor.submit(tasks.record, file, String(i)));
      await waitUntil(async () => (await waitingJobs(queue)) === 1);
      const [job] = await admin.lrange(`bull:${queue}:wait`, 0, 0);
      const data = JSON.parse(await admin.hget(`bull:${queue}:${job ?? ''}`, 'data') ?? '{}') as { a?: unknown[] };
      assert.ok(Array.isArray(data.a) && data.a.length > 1, `the first job carries several calls: ${JSON.stringify(data)}`);
      assert.equal(futures[1]?.cancel(), true);
      assert.equal(futures[1]?.cancelled(), true);
      await assert.rejects(futures[1]?.result() ?? Promise.resolve(), CancelledError);

      const running = worker(queue);
      try {
        await running.ready;
        const results = await Promise.all(futures.filter((_, i) => i !== 1).map((f) => f.result(30_000)));
        assert.deepEqual(results, ['0', '2', '3', '4', '5', '6', '7', '8', '9']);
      } finally {
        await running.stop();
      }
      const lines = readFileSync(file, 'utf8').trim().split('\n').sort();
      assert.deepEqual(lines, ['0', '2', '3', '4', '5', '6', '7', '8', '9'], 'the cancelled task never ran, the others ran once');
    } finally {
      await executor.shutdown();
    }
  });

  test('cancel({ force: true }) on a packed task that runs: its pack is stopped, the others run again and settle', async (t) => {
    if (!needRedis(t)) return;
    const queue = queueName('pack-force');
    const running = worker(queue, { concurrency: 1 });
    const executor = new DistributedExecutor({ connection: server.url, queue, maxInFlight: 1 });
    try {
      await running.ready;
      const [long, ...short] = [60_000, 1, 1, 1].map((ms) => executor.submit(tasks.spin, ms));
      assert.ok(long !== undefined);
      await waitUntil(() => long.running());
      assert.ok(short.every((f) => f.running()), 'the whole pack started');
      assert.equal(long.cancel(), false, 'a plain cancel() fails once the task runs');
      assert.equal(long.cancel({ force: true }), true);
      await assert.rejects(long.result(), CancelledError);
      const counts = await Promise.all(short.map((f) => f.result(30_000)));
      assert.ok(counts.every((n) => typeof n === 'number' && n >= 0), String(counts));
    } finally {
      await executor.shutdown();
      await running.stop();
    }
  });
});

