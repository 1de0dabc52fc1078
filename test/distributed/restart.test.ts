/**
 * Redis restarts: the executor and the workers reconnect by themselves, and a job that a restart
 * without persistence lost is added again by its caller.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Redis } from 'ioredis';
import { DistributedExecutor, runWorker } from '../../src/distributed/index.js';
import { needRedis, RedisServer } from '../fixtures/distributed/redis-server.js';
import { allowTasks, FAST_RECOVERY, queueName, startWorkerProcess, stopWorkers, tasks } from '../fixtures/distributed/helpers.js';
import { waitUntil } from '../helpers/wait-until.js';

test('Redis restarts while idle: the executor and a worker process recover and run new tasks', async (t) => {
  if (!needRedis(t)) return;
  const server = await RedisServer.start();
  const queue = queueName('restart');
  const worker = await startWorkerProcess({ redis: server.url, queue, allow: [allowTasks], concurrency: 2, maxWorkers: 1, processes: false, ...FAST_RECOVERY });
  const executor = new DistributedExecutor({ connection: server.url, queue, reconcileInterval: 500 });
  try {
    assert.equal(await executor.submit(tasks.add, 1, 2).result(10_000), 3);
    await server.restart(300);
    await worker.waitFor(/lost the connection/);
    const started = performance.now();
    assert.equal(await executor.submit(tasks.add, 4, 5).result(15_000), 9, 'a task submitted after the restart runs');
    t.diagnostic(`first task after the restart: ${Math.round(performance.now() - started)} ms`);
    assert.deepEqual(await executor.map(tasks.double, [1, 2, 3], { chunksize: 2 }).toArray(), [2, 4, 6]);
    await worker.waitFor(/connected again/);
  } finally {
    await executor.shutdown();
    await stopWorkers([worker]);
    await server.stop();
  }
});

test('a queued job lost in a restart without persistence is added again, and its future settles', async (t) => {
  if (!needRedis(t)) return;
  const server = await RedisServer.start();
  const queue = queueName('lost');
  const executor = new DistributedExecutor({ connection: server.url, queue, reconcileInterval: 500 });
  const admin = new Redis(server.url, { lazyConnect: true, retryStrategy: () => 100, maxRetriesPerRequest: null });
  admin.on('error', () => {});
  try {
    // No worker yet: the job waits in Redis, and the restart (no persistence) erases it.
    const future = executor.submit(tasks.add, 20, 22);
    await admin.connect();
    await waitUntil(async () => (await admin.llen(`bull:${queue}:wait`)) === 1);
    await server.restart(200);
    await waitUntil(async () => (await admin.llen(`bull:${queue}:wait`).catch(() => 0)) === 1, 10_000);
    const late = runWorker({ redis: server.url, queue, allow: [allowTasks], concurrency: 1, maxWorkers: 1, processes: false, handleSignals: false, log: () => {}, ...FAST_RECOVERY });
    try {
      assert.equal(await future.result(10_000), 42);
    } finally {
      await late.stop();
    }
  } finally {
    admin.disconnect();
    await executor.shutdown();
    await server.stop();
  }
});

