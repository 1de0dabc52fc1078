/**
 * DistributedExecutor against a real redis-server and an in-process worker: results, errors,
 * map, cancel, timeouts, retries, priorities, shutdown, connection errors and reconciliation.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { DistributedExecutor, runWorker, type WorkerHandle } from '../../src/distributed/index.js';
import { CancelledError, OSError, RuntimeError, SerializationError, TimeoutError } from '../../src/errors.js';
import { needRedis, RedisServer, redisServerPath } from '../fixtures/distributed/redis-server.js';
import { allowTasks, FAST_RECOVERY, queueName, tasks } from '../fixtures/distributed/helpers.js';
import { waitUntil } from '../helpers/wait-until.js';

const available = redisServerPath() !== null;

describe('DistributedExecutor', () => {
  let server: RedisServer;
  let worker: WorkerHandle;
  let executor: DistributedExecutor;
  let queue: string;
  let dir: string;
  const logged: string[] = [];

  before(async () => {
    if (!available) return;
    dir = mkdtempSync(join(tmpdir(), 'ct-dist-'));
    server = await RedisServer.start();
    queue = queueName('exec');
    worker = runWorker({
      redis: server.url, queue, allow: [allowTasks], concurrency: 4, processes: false, maxWorkers: 2,
      handleSignals: false, grace: 0, log: (line) => logged.push(line), ...FAST_RECOVERY,
    });
    await worker.ready;
    executor = new DistributedExecutor({ connection: server.url, queue, reconcileInterval: 500 });
  });

  after(async () => {
    if (!available) return;
    await executor.shutdown({ cancelFutures: true });
    await worker.stop();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('submit() returns the result; structured values round-trip', async (t) => {
    if (!needRedis(t)) return;
    assert.equal(await executor.submit(tasks.add, 2, 3), 5);
    assert.equal(await executor.submit(tasks.isPrime, 112272535095293), true);
    const value = {
      big: 2n ** 70n, when: new Date(86_400_000), map: new Map<unknown, unknown>([[1, 'one'], ['k', [1n]]]), set: new Set([1, 'a']),
      bytes: new Uint8Array([1, 2, 255]), floats: new Float64Array([0.5, -1]), nothing: undefined, nan: NaN, inf: -Infinity,
      negZero: -0, re: /a+b/gi, nested: { $ct: 'not a tag', list: [undefined, null, 1] },
    };
    assert.deepEqual(await executor.submit(tasks.echo, value), value);
    assert.equal(await executor.submit(tasks.describeTypes, new Map([[1, 2]])), 'Map(1)');
  });

  test('a task exception arrives with its class, message, properties and the worker-side stack', async (t) => {
    if (!needRedis(t)) return;
    const failed = executor.submit(tasks.boom, 'no good');
    const error = await failed.exception() as Error;
    assert.ok(error instanceof TypeError, 'a TypeError stays a TypeError');
    assert.equal(error.message, 'no good');
    assert.match(error.stack ?? '', /at boom \(.*tasks\.ts:\d+:\d+\)/, 'the stack is the worker-side stack');
    const custom = await executor.submit(tasks.validate, 'age').exception() as Error & { field?: string };
    assert.equal(custom.name, 'ValidationError');
    assert.equal(custom.message, 'age is invalid');
    assert.equal(custom.field, 'age');
    assert.equal(failed.state, 'FINISHED');
  });

  test('map() runs 10,000 items in chunks and yields them in input order', async (t) => {
    if (!needRedis(t)) return;
    const items = Array.from({ length: 10_000 }, (_, i) => i);
    const fixed = await executor.map(tasks.double, items, { chunksize: 500 }).toArray();
    assert.deepEqual(fixed, items.map((i) => i * 2));
    const adaptive = await executor.map(tasks.isPrime, items).toArray();
    assert.ok(adaptive.every((v) => typeof v === 'boolean'), 'booleans stay booleans');
    assert.equal(adaptive.filter(Boolean).length, 1229);
    const star = await executor.starmap(tasks.add, [[1, 2], [3, 4], [5, 6]] as Array<[number, number]>, { chunksize: 2 }).toArray();
    assert.deepEqual(star, [3, 7, 11]);
  });

  test('map() started before shutdown() yields every result; submit() after it throws', async (t) => {
    if (!needRedis(t)) return;
    const solo = new DistributedExecutor({ connection: server.url, queue, parallelism: 1 });
    const results = solo.map(tasks.double, Array.from({ length: 200 }, (_, i) => i), { chunksize: 10 });
    const closing = solo.shutdown();
    assert.throws(() => solo.submit(tasks.add, 1, 1), /cannot schedule new futures after shutdown/);
    assert.throws(() => solo.map(tasks.double, [1]), /cannot schedule new futures after shutdown/, 'map() after shutdown throws at the call');
    assert.deepEqual(await results.toArray(), Array.from({ length: 200 }, (_, i) => i * 2));
    await closing;
  });

  test('map() throws the first failing item\'s error when iteration reaches it', async (t) => {
    if (!needRedis(t)) return;
    const seen: number[] = [];
    await assert.rejects(async () => {
      for await (const value of executor.map(tasks.checkItem, Array.from({ length: 100 }, (_, i) => i + 1), { chunksize: 10 })) {
        seen.push(value);
      }
    }, (error: unknown) => error instanceof RangeError && error.message === 'bad item 37');
    assert.deepEqual(seen, Array.from({ length: 36 }, (_, i) => i + 1));
  });

  test('submit() refuses a self-contained function and says to export it from an allowed module', (t) => {
    if (!needRedis(t)) return;
    const double = (n: number): number => n * 2;
    assert.throws(() => executor.submit(double, 1), (error: unknown) =>
      error instanceof TypeError && /Export double from a module/.test(error.message) && /--allow/.test(error.message));
  });

  test('submit() refuses arguments that cannot cross machines, naming where they are', (t) => {
    if (!needRedis(t)) return;
    class Point {
      constructor(readonly x: number) {}
    }
    assert.throws(() => executor.submit(tasks.echo, { at: new Point(1) }),
      (error: unknown) => error instanceof SerializationError && /args\[0\]\.at is an instance of class Point/.test(error.message));
    assert.throws(() => executor.submit(tasks.echo, new SharedArrayBuffer(8)), SerializationError);
    const loop: Record<string, unknown> = {};
    loop.self = loop;
    assert.throws(() => executor.submit(tasks.echo, loop), /circular/);
  });

  test('cancel() removes a queued job: the future is cancelled and the task never runs', async (t) => {
    if (!needRedis(t)) return;
    const file = join(dir, 'cancel-queued');
    const solo = new DistributedExecutor({ connection: server.url, queue: queueName('cancel') });
    // No worker listens on this queue: the job stays queued.
    const future = solo.submit(tasks.record, file, 'ran');
    await waitUntil(async () => (await countJobs(server, solo.queue)) === 1);
    assert.equal(future.cancel(), true);
    assert.equal(future.cancelled(), true);
    await assert.rejects(future.result(), CancelledError);
    await waitUntil(async () => (await countJobs(server, solo.queue)) === 0);
    await solo.shutdown();
    assert.equal(existsSync(file), false, 'the task never ran');
  });

  test('cancel({ force: true }) stops a running task on its worker, which then takes the next job', async (t) => {
    if (!needRedis(t)) return;
    const running = executor.submit(tasks.spin, 60_000);
    await waitUntil(() => running.running());
    assert.equal(running.cancel(), false, 'a plain cancel() fails once the task runs, as in Python');
    const started = performance.now();
    assert.equal(running.cancel({ force: true }), true);
    assert.equal(running.cancelled(), true);
    await assert.rejects(running.result(), CancelledError);
    await waitUntil(() => logged.some((line) => line.includes('cancelled by its caller')));
    assert.equal(await executor.submit(tasks.add, 1, 1), 2);
    assert.ok(performance.now() - started < 10_000);
  });

  test('aborting a task\'s signal cancels it: queued or running', async (t) => {
    if (!needRedis(t)) return;
    const controller = new AbortController();
    const running = executor.withOptions({ signal: controller.signal }).submit(tasks.spin, 60_000);
    await waitUntil(() => running.running());
    controller.abort();
    assert.equal(running.cancelled(), true);
    const aborted = AbortSignal.abort();
    assert.equal(executor.withOptions({ signal: aborted }).submit(tasks.add, 1, 1).cancelled(), true);
    assert.equal(await executor.submit(tasks.add, 2, 2).result(10_000), 4);
  });

  test('a per-task timeout fails the task with TimeoutError', async (t) => {
    if (!needRedis(t)) return;
    const slow = executor.withJobOptions({ timeout: 200 }).submit(tasks.spin, 30_000);
    await assert.rejects(slow.result(), (error: unknown) => error instanceof TimeoutError && /200 ms/.test(error.message));
  });

  test('attempts with backoff retry a failing task until it succeeds', async (t) => {
    if (!needRedis(t)) return;
    const file = join(dir, 'flaky');
    const retried = executor.withJobOptions({ attempts: 3, backoff: { type: 'fixed', delay: 50 } }).submit(tasks.flaky, file, 2);
    assert.equal(await retried, 3);
    const exhausted = executor.withJobOptions({ attempts: 2, backoff: 10 }).submit(tasks.flaky, join(dir, 'flaky-2'), 5);
    await assert.rejects(exhausted.result(), /attempt 2 fails/);
  });

  test('priorities: the most urgent waiting task runs first', async (t) => {
    if (!needRedis(t)) return;
    const file = join(dir, 'priorities');
    const solo = new DistributedExecutor({ connection: server.url, queue: queueName('priority') });
    const order = ([5, 1, 3] as const).map((priority) => solo.withJobOptions({ priority }).submit(tasks.record, file, String(priority)));
    await waitUntil(async () => (await countJobs(server, solo.queue)) === 3);
    const one = runWorker({ redis: server.url, queue: solo.queue, allow: [allowTasks], concurrency: 1, maxWorkers: 1, processes: false, handleSignals: false, log: () => {} });
    await Promise.all(order);
    assert.deepEqual(readFileSync(file, 'utf8').trim().split('\n'), ['1', '3', '5']);
    await solo.shutdown();
    await one.stop();
  });

  test('a worker with processes: true runs its tasks in child processes', async (t) => {
    if (!needRedis(t)) return;
    const solo = new DistributedExecutor({ connection: server.url, queue: queueName('processes') });
    const forked = runWorker({ redis: server.url, queue: solo.queue, allow: [allowTasks], concurrency: 2, maxWorkers: 1, processes: true, handleSignals: false, log: () => {} });
    try {
      await forked.ready;
      const pid = await solo.submit(tasks.pid).result(20_000);
      assert.notEqual(pid, process.pid, 'not in the worker process itself');
      assert.deepEqual(await solo.map(tasks.double, [1, 2, 3]).toArray(), [2, 4, 6]);
    } finally {
      await solo.shutdown();
      await forked.stop();
    }
  });

  test('a task naming a module the workers do not allow fails with TaskNotAllowedError', async (t) => {
    if (!needRedis(t)) return;
    const { outside } = await import('../fixtures/distributed/helpers.js');
    const refused = await executor.submit(outside.steal).exception() as Error;
    assert.equal(refused.name, 'TaskNotAllowedError');
    assert.match(refused.message, /does not allow the module "outside"/);
  });

  test('shutdown(): submit afterwards throws; cancelFutures cancels what has not started', async (t) => {
    if (!needRedis(t)) return;
    const solo = new DistributedExecutor({ connection: server.url, queue: queueName('shutdown') });
    const queued = [solo.submit(tasks.add, 1, 2), solo.submit(tasks.add, 3, 4)];
    await waitUntil(async () => (await countJobs(server, solo.queue)) === 2);
    await solo.shutdown({ cancelFutures: true });
    assert.ok(queued.every((f) => f.cancelled()));
    assert.throws(() => solo.submit(tasks.add, 1, 1), (error: unknown) => error instanceof RuntimeError && error.message === 'cannot schedule new futures after shutdown');
    await waitUntil(async () => (await countJobs(server, solo.queue)) === 0);
  });

  test('an unreachable Redis fails submitted tasks with OSError within the connection timeout', async (t) => {
    if (!needRedis(t)) return;
    const nowhere = new DistributedExecutor({ connection: 'redis://127.0.0.1:1', queue: 'nowhere', connectTimeout: 500 });
    const started = performance.now();
    const error = await nowhere.submit(tasks.add, 1, 2).exception();
    assert.ok(error instanceof OSError, `got ${String(error)}`);
    assert.match((error).message, /cannot reach Redis at redis:\/\/127\.0\.0\.1:1/);
    assert.ok(performance.now() - started < 3000, 'within about the connection timeout');
    await assert.rejects(nowhere.ready(), OSError);
    await nowhere.shutdown();
  });

  test('cancel() of a task that started before the caller heard of it stops the task on its worker', async (t) => {
    if (!needRedis(t)) return;
    // This caller cannot read the event stream, so the job's start never reaches it: the future stays PENDING.
    const admin = new Redis(server.url);
    await admin.call('ACL', 'SETUSER', 'deaf', 'on', '>pw', '~*', '&*', '+@all', '-xread');
    const deaf = new DistributedExecutor({ connection: `redis://deaf:pw@127.0.0.1:${server.port}`, queue });
    try {
      const future = deaf.submit(tasks.spin, 60_000);
      const id = (future as unknown as { id: string }).id;
      await waitUntil(async () => (await admin.hget(`bull:${queue}:${id}`, 'processedOn')) !== null);
      assert.equal(future.state, 'PENDING');
      assert.equal(future.cancel(), true);
      await waitUntil(async () => (await admin.hget(`bull:${queue}:${id}`, 'finishedOn')) !== null);
      assert.match(await admin.hget(`bull:${queue}:${id}`, 'failedReason') ?? '', /^CancelledError: the task was cancelled by its caller/);
    } finally {
      await deaf.shutdown();
      await admin.call('ACL', 'DELUSER', 'deaf');
      admin.disconnect();
    }
  });

  test('an ACL user limited to the queue\'s keys and channels works; a wrong password is a clear OSError', async (t) => {
    if (!needRedis(t)) return;
    const admin = new Redis(server.url);
    await admin.call('ACL', 'SETUSER', 'ct', 'on', '>s3cret', 'resetkeys', '~bull:*', 'resetchannels', '&bull:*', '+@all', '-@dangerous', '+info');
    const limited = new DistributedExecutor({ connection: `redis://ct:s3cret@127.0.0.1:${server.port}`, queue });
    const wrong = new DistributedExecutor({ connection: `redis://ct:nope@127.0.0.1:${server.port}`, queue, connectTimeout: 500 });
    try {
      assert.equal(await limited.submit(tasks.add, 2, 2).result(10_000), 4);
      const error = await wrong.submit(tasks.add, 1, 1).exception();
      assert.ok(error instanceof OSError);
      assert.match((error).message, /cannot reach Redis at redis:\/\/ct@127\.0\.0\.1:\d+: WRONGPASS/);
      assert.doesNotMatch((error).message, /nope/, 'the password is never shown');
    } finally {
      await limited.shutdown();
      await wrong.shutdown();
      await admin.call('ACL', 'DELUSER', 'ct');
      admin.disconnect();
    }
  });

  test('a future settles from the job itself when the event stream cannot be read (reconciliation)', async (t) => {
    if (!needRedis(t)) return;
    const admin = new Redis(server.url);
    await admin.call('ACL', 'SETUSER', 'blind', 'on', '>pw', '~*', '&*', '+@all', '-xread');
    const blind = new DistributedExecutor({ connection: `redis://blind:pw@127.0.0.1:${server.port}`, queue, reconcileInterval: 200 });
    try {
      const started = performance.now();
      assert.equal(await blind.submit(tasks.add, 20, 22), 42);
      assert.ok(performance.now() - started < 5000);
    } finally {
      await blind.shutdown();
      await admin.call('ACL', 'DELUSER', 'blind');
      admin.disconnect();
    }
  });
});

/** Jobs waiting or prioritized in a queue (default prefix). */
async function countJobs(server: RedisServer, queue: string): Promise<number> {
  const client = new Redis(server.url);
  try {
    const [wait, prioritized] = await Promise.all([client.llen(`bull:${queue}:wait`), client.zcard(`bull:${queue}:prioritized`)]);
    return wait + prioritized;
  } finally {
    client.disconnect();
  }
}

