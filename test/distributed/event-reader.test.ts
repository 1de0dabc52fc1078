/**
 * The executor's own reader of the events stream: futures settle from events, and a reader whose
 * connection dropped resumes from the last entry it read, so nothing waits for reconciliation.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Redis } from 'ioredis';
import { DistributedExecutor, runWorker } from '../../src/distributed/index.js';
import { needRedis, RedisServer } from '../fixtures/distributed/redis-server.js';
import { allowTasks, FAST_RECOVERY, queueName, tasks } from '../fixtures/distributed/helpers.js';

/** Far beyond the test's timeouts: only events can settle its futures in time. */
const NO_RECONCILE = 600_000;

test('the event reader resumes after its connection is killed: futures settle from events, with no reconciliation', async (t) => {
  if (!needRedis(t)) return;
  const server = await RedisServer.start();
  const queue = queueName('events');
  const worker = runWorker({ redis: server.url, queue, allow: [allowTasks], concurrency: 2, maxWorkers: 1, processes: false, handleSignals: false, log: () => {}, ...FAST_RECOVERY });
  const executor = new DistributedExecutor({ connection: server.url, queue, reconcileInterval: NO_RECONCILE });
  const admin = new Redis(server.url);
  try {
    await worker.ready;
    await executor.ready();
    assert.equal(await executor.submit(tasks.add, 1, 2).result(10_000), 3);

    const clients = await admin.client('LIST') as string;
    const reader = clients.split('\n').find((line) => / name=concurrent-ts:executor-events:/.test(line));
    assert.ok(reader !== undefined, `the executor reads events on a connection of its own:\n${clients}`);
    const id = /\bid=(\d+)/.exec(reader)?.[1] ?? '';
    // Killed while blocked in XREAD; the tasks below finish while it reconnects.
    assert.equal(await admin.client('KILL', 'ID', id), 1);
    const futures = Array.from({ length: 50 }, (_, i) => executor.submit(tasks.add, i, 1));
    const results = await Promise.all(futures.map((f) => f.result(15_000)));
    assert.deepEqual(results, Array.from({ length: 50 }, (_, i) => i + 1));
    const after = await admin.client('LIST') as string;
    assert.match(after, / name=concurrent-ts:executor-events:/, 'the reader is connected again');
  } finally {
    admin.disconnect();
    await executor.shutdown();
    await worker.stop();
    await server.stop();
  }
});

test('a removed job settles its future as cancelled, a failed one with the task\'s error, both from events', async (t) => {
  if (!needRedis(t)) return;
  const server = await RedisServer.start();
  const queue = queueName('events-removed');
  const executor = new DistributedExecutor({ connection: server.url, queue, reconcileInterval: NO_RECONCILE });
  const admin = new Redis(server.url);
  try {
    await executor.ready();
    // No worker yet: the job waits, and someone else (a dashboard, say) removes it.
    const removed = executor.submit(tasks.add, 1, 1);
    const key = `bull:${queue}:wait`;
    const deadline = performance.now() + 10_000;
    while ((await admin.llen(key)) === 0) {
      assert.ok(performance.now() < deadline, 'the job reached the queue');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const [jobId] = await admin.lrange(key, 0, 0);
    const { Queue } = await import('bullmq');
    const other = new Queue(queue, { connection: { host: '127.0.0.1', port: server.port } });
    try {
      assert.equal(await other.remove(jobId ?? ''), 1);
    } finally {
      await other.close();
    }
    await assert.rejects(removed.result(10_000), (error: unknown) => (error as Error).name === 'CancelledError');

    const worker = runWorker({ redis: server.url, queue, allow: [allowTasks], concurrency: 1, maxWorkers: 1, processes: false, handleSignals: false, log: () => {}, ...FAST_RECOVERY });
    try {
      await worker.ready;
      await assert.rejects(executor.submit(tasks.boom, 'from events').result(10_000), /from events/);
    } finally {
      await worker.stop();
    }
  } finally {
    admin.disconnect();
    await executor.shutdown();
    await server.stop();
  }
});
