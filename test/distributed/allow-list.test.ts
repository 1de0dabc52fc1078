/**
 * The worker's allow-list: how entries are named, and that a job naming anything else (crafted
 * directly in Redis) fails with TaskNotAllowedError and imports nothing.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { test } from 'node:test';
import { Queue, QueueEvents } from 'bullmq';
import { OSError, ValueError } from '../../src/errors.js';
import { parseAllowList } from '../../src/distributed/allow-list.js';
import { runWorker } from '../../src/distributed/index.js';
import { parseFailure, WIRE_VERSION } from '../../src/distributed/wire.js';
import { needRedis, RedisServer } from '../fixtures/distributed/redis-server.js';
import { allowTasks, queueName } from '../fixtures/distributed/helpers.js';

// Set before any worker thread starts: threads copy the environment when they are created.
const marker = join(mkdtempSync(join(tmpdir(), 'ct-allow-')), 'outside-imported');
process.env.CT_OUTSIDE_MARKER = marker;

test('allow-list: a path or file: URL is named after its file; name=path names it explicitly', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ct-allow-list-'));
  try {
    writeFileSync(join(dir, 'tasks.js'), 'export const f = () => 1;');
    writeFileSync(join(dir, 'other.mjs'), '');
    const modules = parseAllowList(['./tasks.js', `img=${pathToFileURL(join(dir, 'other.mjs')).href}`], dir);
    assert.deepEqual([...modules.keys()], ['tasks', 'img']);
    assert.equal(modules.get('tasks')?.url, pathToFileURL(join(dir, 'tasks.js')).href);
    assert.throws(() => parseAllowList(['./tasks.js', `tasks=./other.mjs`], dir), /two allowed modules are named "tasks"/);
    assert.throws(() => parseAllowList(['./missing.js'], dir), /no such file/);
    assert.throws(() => parseAllowList(['data:text/javascript,export const f=1'], dir), /only local files/);
    assert.throws(() => parseAllowList(['https://example.com/tasks.js'], dir), /only local files/);
    assert.throws(() => parseAllowList([], dir), ValueError);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a job naming a module or export outside the allow-list fails with TaskNotAllowedError and runs nothing', async (t) => {
  if (!needRedis(t)) return;
  const server = await RedisServer.start();
  const queue = queueName('allow');
  const lines: string[] = [];
  const worker = runWorker({ redis: server.url, queue, allow: [allowTasks], concurrency: 4, maxWorkers: 1, processes: false, handleSignals: false, log: (line) => lines.push(line) });
  const raw = new Queue(queue, { connection: { host: '127.0.0.1', port: server.port } });
  const events = new QueueEvents(queue, { connection: { host: '127.0.0.1', port: server.port } });
  try {
    await Promise.all([worker.ready, events.waitUntilReady()]);
    const job = (m: unknown, f: unknown, extra: Record<string, unknown> = {}): Record<string, unknown> => ({ v: WIRE_VERSION, m, f, k: 0, a: [], ...extra });
    const crafted: Array<[string, unknown, string]> = [
      ['relative path', job('../outside', 'steal'), 'TaskNotAllowedError'],
      ['path to the fixture', job('test/fixtures/distributed/outside', 'steal'), 'TaskNotAllowedError'],
      ['data: URL', job('data:text/javascript,process.exit(9)', 'x'), 'TaskNotAllowedError'],
      ['http: URL', job('http://127.0.0.1:1/evil.js', 'x'), 'TaskNotAllowedError'],
      ['file: URL', job(pathToFileURL(join(process.cwd(), 'test/fixtures/distributed/outside.ts')).href, 'steal'), 'TaskNotAllowedError'],
      ['__proto__ module', job('__proto__', 'toString'), 'TaskNotAllowedError'],
      ['constructor module', job('constructor', 'constructor'), 'TaskNotAllowedError'],
      ['unlisted module', job('outside', 'steal'), 'TaskNotAllowedError'],
      ['__proto__ export', job('tasks', '__proto__'), 'TaskNotAllowedError'],
      ['constructor export', job('tasks', 'constructor'), 'TaskNotAllowedError'],
      ['missing export', job('tasks', 'nope'), 'TaskNotAllowedError'],
      ['non-string names', job({ toString: 'x' }, ['add']), 'TypeError'],
      ['other version', job('tasks', 'add', { v: 2 }), 'TypeError'],
      ['source text', { v: WIRE_VERSION, m: 'tasks', f: 'describeTypes', k: 0, a: [], source: '() => process.exit(1)' }, 'none'],
    ];
    const results = await Promise.all(crafted.map(async ([label, data, expected]) => {
      const added = await raw.add(label, data, { attempts: 3 });
      const outcome = await new Promise<{ failed?: string; done?: unknown }>((resolve) => {
        void added.waitUntilFinished(events, 15_000).then((value) => resolve({ done: value }), (error: Error) => resolve({ failed: error.message }));
      });
      return { label, expected, outcome, attempts: (await raw.getJob(added.id as string))?.attemptsMade };
    }));
    // A job added without attempts (BullMQ's default, 0, means one attempt).
    const plain = await raw.add('default attempts', job('outside', 'steal'));
    await assert.rejects(plain.waitUntilFinished(events, 15_000));
    for (const { label, expected, outcome, attempts } of results) {
      if (expected === 'none') {
        // Unknown fields are ignored: the job runs the allowed export it names, and no code is read from them.
        assert.deepEqual(outcome.done, { r: 'undefined' }, label);
        continue;
      }
      const record = parseFailure(outcome.failed);
      assert.ok(record !== undefined && 'error' in record, `${label}: ${String(outcome.failed)}`);
      assert.equal(record.error.name, expected, `${label}: ${record.error.message}`);
      assert.equal(attempts, 1, `${label}: a refused job is not retried`);
      if (expected !== 'TaskNotAllowedError' || !record.error.message.includes('does not allow the module')) continue;
      // The hint suggests only what would work: an --allow entry for a logical name, none for a path or a URL.
      const name = (crafted.find(([l]) => l === label)?.[1] as { m: string }).m;
      const valid = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(name) && !name.includes('..');
      if (valid) {
        assert.ok(record.error.message.endsWith(`or name it: --allow ${name}=path/to/module.js`), `${label}: ${record.error.message}`);
      } else {
        assert.match(record.error.message, /never by a path or URL, so no --allow entry can allow this one/, label);
      }
    }
    assert.equal(existsSync(marker), false, 'the module outside the allow-list was never imported');
    assert.ok(lines.some((line) => /failed \(attempt 1 of 3\): TaskNotAllowedError: this worker does not allow the module/.test(line)), lines.join('\n'));
    // The worker logs a failure from its own event, which may come after the caller learns of it.
    const logged = (pattern: RegExp): boolean => lines.some((line) => pattern.test(line));
    for (let turns = 0; turns < 500 && !logged(/default attempts failed/); turns++) await new Promise((resolve) => setTimeout(resolve, 20));
    assert.ok(logged(/default attempts failed \(attempt 1 of 1\): TaskNotAllowedError/), lines.join('\n'));
    assert.deepEqual(lines.filter((line) => / of 0\)/.test(line)), [], 'no "attempt 1 of 0"');
  } finally {
    await events.close();
    await raw.close();
    await worker.stop();
    await server.stop();
  }
});

test('runWorker() refuses to start when an allowed module cannot load, or Redis cannot be reached', async (t) => {
  if (!needRedis(t)) return;
  const broken = fileURLToPath(new URL('../fixtures/distributed/broken.ts', import.meta.url));
  await assert.rejects(runWorker({ redis: 'redis://127.0.0.1:1', queue: 'q', allow: [broken], concurrency: 1, maxWorkers: 1, processes: false, handleSignals: false, log: () => {} }),
    (error: unknown) => error instanceof ValueError && /cannot load the allowed module "broken".*broken on purpose/.test(error.message));
  const started = performance.now();
  await assert.rejects(runWorker({ redis: 'redis://127.0.0.1:1', queue: 'q', allow: [allowTasks], concurrency: 1, maxWorkers: 1, processes: false, handleSignals: false, connectTimeout: 500, log: () => {} }),
    (error: unknown) => error instanceof OSError && /cannot reach Redis at redis:\/\/127\.0\.0\.1:1/.test(error.message));
  assert.ok(performance.now() - started < 5000);
});
