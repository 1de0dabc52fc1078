/**
 * Security: results and errors that come back from workers are plain data. A result or an error
 * carrying `__proto__`, `constructor` or `prototype` keys pollutes no prototype in the program,
 * through the thread, process and distributed transports. (The distributed worker's allow-list:
 * test/distributed/allow-list.test.ts; the threat model: docs/security.md.)
 */
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { DistributedExecutor, runWorker } from '../../src/distributed/index.js';
import { ProcessPoolExecutor, ThreadPoolExecutor, type Executor } from '../../src/futures/index.js';
import { taskModule } from '../../src/index.js';
import { settle } from '../helpers/futures.js';
import { needRedis, RedisServer } from '../fixtures/distributed/redis-server.js';
import { queueName } from '../fixtures/distributed/helpers.js';

const tasksUrl = new URL('../fixtures/reliability/tasks.ts', import.meta.url);
const tasks = taskModule<typeof import('../fixtures/reliability/tasks.js')>(tasksUrl);

function assertClean(): void {
  const probe: Record<string, unknown> = {};
  assert.equal(probe.polluted, undefined, 'Object.prototype is clean');
  assert.equal((Error.prototype as unknown as Record<string, unknown>).polluted, undefined, 'Error.prototype is clean');
  assert.equal((RangeError.prototype as unknown as Record<string, unknown>).polluted, undefined, 'RangeError.prototype is clean');
}

async function checkTransport(executor: Executor): Promise<void> {
  const result = await executor.submit(tasks.pollutingResult) as Record<string, unknown>;
  assert.equal(Object.getPrototypeOf(result), Object.prototype, 'the result is a plain object');
  assert.ok(Object.prototype.hasOwnProperty.call(result, '__proto__'), '"__proto__" arrived as an own data key');
  assert.equal(result.ok, 1);
  assert.equal(result.polluted, undefined, 'the result did not get a new prototype');
  assertClean();

  const outcome = await settle(executor.submit(tasks.throwPolluting).result());
  assert.ok(!outcome.ok);
  const error = outcome.error as RangeError & Record<string, unknown>;
  assert.ok(error instanceof RangeError, `a RangeError, got ${String(error)}`);
  assert.equal(Object.getPrototypeOf(error), RangeError.prototype, 'its prototype is the real RangeError.prototype');
  assert.equal(error.message, 'carries hostile keys');
  assert.equal(error.code, 'E_HOSTILE', 'ordinary extra properties arrive');
  assert.equal(error.polluted, undefined);
  assert.equal(error.constructor, RangeError, '"constructor" from the worker did not replace the class');
  assertClean();
}

test('thread pool: a result or an error with __proto__/constructor/prototype keys is plain data and pollutes nothing', async () => {
  await using executor = new ThreadPoolExecutor({ maxWorkers: 1 });
  await checkTransport(executor);
});

test('process pool: the same through a child process', async () => {
  await using executor = new ProcessPoolExecutor({ maxWorkers: 1 });
  await checkTransport(executor);
});

test('distributed executor: the same through Redis and a worker', async (t) => {
  if (!needRedis(t)) return;
  const server = await RedisServer.start();
  const queue = queueName('security');
  const worker = runWorker({ redis: server.url, queue, allow: [fileURLToPath(tasksUrl)], concurrency: 2, maxWorkers: 1, processes: false, handleSignals: false, log: () => {} });
  const executor = new DistributedExecutor({ connection: server.url, queue });
  try {
    await worker.ready;
    await checkTransport(executor);
  } finally {
    await executor.shutdown();
    await worker.stop();
    await server.stop();
  }
});
