/**
 * `concurrent-ts worker` and `concurrent-ts map --redis`: the course chapter's exercise across a Redis queue,
 * with the worker as a separate process. Skipped (with the reason) when redis-server is missing.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DistributedExecutor } from '../../src/distributed/index.js';
import { taskModule } from '../../src/index.js';
import { needRedis, RedisServer, redisServerPath } from '../fixtures/distributed/redis-server.js';
import { hasStackTrace, cliEnv, lines, runCli, CHAPTER_LINES, startCli, TASKS } from './helpers/cli.js';

const available = redisServerPath() !== null;
const ATTEMPTS = 'test/fixtures/cli/attempts.ts';

/** Starts `concurrent-ts worker` on `queue`; resolves once it says it has started. */
async function startWorker(url: string, queue: string, allow: string, env?: NodeJS.ProcessEnv): Promise<{ stop(): Promise<number | null>; log(): string }> {
  const worker = startCli(['worker', '--redis', url, '--queue', queue, '--allow', allow, '--concurrency', '2', '--workers', '1'], env === undefined ? {} : { env });
  let log = '';
  let started: (() => void) | undefined;
  const ready = new Promise<void>((resolve) => (started = resolve));
  worker.stderr.setEncoding('utf8').on('data', (text: string) => {
    log += text;
    if (log.includes(' started: ')) started?.();
  });
  await Promise.race([ready, once(worker, 'exit').then(() => assert.fail(`the worker exited:\n${log}`))]);
  return {
    log: () => log,
    async stop() {
      worker.kill('SIGINT');
      const [code] = (await once(worker, 'exit')) as [number | null];
      return code;
    },
  };
}

describe('concurrent-ts worker + map --redis', () => {
  let server: RedisServer;

  before(async () => {
    if (available) server = await RedisServer.start();
  });

  after(async () => {
    if (available) await server.stop();
  });

  test('a worker process serves the map: the course chapter\'s six lines in order; Ctrl-C stops the worker cleanly', async (t) => {
    if (!needRedis(t)) return;
    const queue = `cli-${process.pid}`;
    const worker = startCli(['worker', '--redis', server.url, '--queue', queue, '--allow', 'examples/primes.ts', '--concurrency', '2', '--workers', '1']);
    let log = '';
    let started: (() => void) | undefined;
    const ready = new Promise<void>((resolve) => (started = resolve));
    worker.stderr.setEncoding('utf8').on('data', (text: string) => {
      log += text;
      if (log.includes(' started: ')) started?.();
    });
    try {
      await Promise.race([ready, once(worker, 'exit').then(() => assert.fail(`the worker exited:\n${log}`))]);
      const r = await runCli(['map', 'examples/primes.ts#isPrime', '--json', '--input', 'examples/primes.txt',
        '--format', '{input} is prime: {result}', '--redis', server.url, '--queue', queue]);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(lines(r.stdout), CHAPTER_LINES);
      assert.match(r.stderr, /^concurrent-ts: 6 items in .*; \d+ tasks? on Redis queue "cli-\d+"\n$/);
    } finally {
      worker.kill('SIGINT');
    }
    const [code] = (await once(worker, 'exit')) as [number | null];
    assert.equal(code, 0, log);
    assert.match(log, /stopped: /);
  });

  test('map --redis sends the chunks DistributedExecutor.map sends (about chunkTargetMs of work each), not a local pool\'s 16 ms ones', async (t) => {
    if (!needRedis(t)) return;
    const queue = `cli-chunks-${process.pid}`;
    const worker = await startWorker(server.url, queue, TASKS);
    // 600 items of 2 ms. Until the first result comes back the map sends one item per task (up to
    // 3 × parallelism of them, 48); then chunks of ~100 ms hold ~40 items: some 65 tasks in all.
    // A local pool's chunks of 16 ms would hold about 8 items: 75 tasks and more.
    const items = Array.from({ length: 600 }, () => 2);
    try {
      const executor = new DistributedExecutor({ connection: server.url, queue });
      const sizes: number[] = [];
      executor.onTask((e) => {
        if (e.type === 'submitted') sizes.push(e.task.items);
      });
      const tasks = taskModule<typeof import('../fixtures/cli/tasks.js')>(new URL(`../../${TASKS}`, import.meta.url));
      try {
        assert.deepEqual(await executor.map(tasks.block, items).toArray(), items);
      } finally {
        await executor.shutdown();
      }
      assert.equal(sizes.reduce((a, b) => a + b, 0), 600);
      assert.ok(sizes.length <= 150, `DistributedExecutor.map sent ${sizes.length} tasks: ${sizes.join(' ')}`);

      const r = await runCli(['map', `${TASKS}#block`, '--json', '--redis', server.url, '--queue', queue], items.map((n) => `${n}\n`).join(''));
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, items.map((n) => `${n}\n`).join(''));
      const sent = Number(/; (\d+) tasks? on Redis queue/.exec(r.stderr)?.[1]);
      assert.ok(sent <= 150 && sent <= 2 * sizes.length, `the CLI sent ${sent} tasks for 600 items (DistributedExecutor.map: ${sizes.length}): ${r.stderr}`);
    } finally {
      assert.equal(await worker.stop(), 0, worker.log());
    }
  });

  test('map --redis --joblog --retries: a task failing 2 times out of 3 gives every result; a killed run resumes to the same bytes', async (t) => {
    if (!needRedis(t)) return;
    const queue = `cli-joblog-${process.pid}`;
    const dir = mkdtempSync(join(tmpdir(), 'ct-redis-joblog-'));
    const env = cliEnv({ CT_FLAKY_DIR: dir });
    const worker = await startWorker(server.url, queue, ATTEMPTS, env);
    try {
      const input = Array.from({ length: 30 }, (_, i) => `${i + 1}\n`).join('');
      const log = join(dir, 'retries.ndjson');
      const r = await runCli(['map', `${ATTEMPTS}#flakyTwice`, '--json', '--retries', '2', '--joblog', log, '-q', '--redis', server.url, '--queue', queue], input, { env });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, Array.from({ length: 30 }, (_, i) => `${(i + 1) * 2}\n`).join(''));
      const records = lines(readFileSync(log, 'utf8')).slice(1).map((l) => JSON.parse(l) as { line: number; attempt: number; ok: boolean });
      assert.equal(records.length, 90, 'three attempts per item');
      assert.deepEqual(records.filter((x) => x.ok).map((x) => x.attempt), Array.from({ length: 30 }, () => 3));

      const many = join(dir, 'in.txt');
      writeFileSync(many, Array.from({ length: 2000 }, (_, i) => `${i + 1}\n`).join(''));
      const args = (out: string, joblog: string): string[] => ['map', `${ATTEMPTS}#slowLine`, '--json', '-i', many, '-o', out, '--joblog', joblog, '-q', '--redis', server.url, '--queue', queue];
      const whole = await runCli(args(join(dir, 'whole.txt'), join(dir, 'whole.ndjson')));
      assert.equal(whole.code, 0, whole.stderr);
      const out = join(dir, 'out.txt');
      const joblog = join(dir, 'out.ndjson');
      const child = startCli(args(out, joblog));
      child.stdin.end();
      let ended = false;
      const gone = once(child, 'close').then(() => (ended = true));
      // The kill point is a count of records in the log: a quarter of the items.
      while (!ended && (!existsSync(joblog) || lines(readFileSync(joblog, 'utf8')).length < 500)) await new Promise((resolve) => setTimeout(resolve, 2));
      child.kill('SIGKILL');
      await gone;
      const resumed = await runCli([...args(out, joblog), '--resume']);
      assert.equal(resumed.code, 0, resumed.stderr);
      assert.ok(readFileSync(out).equals(readFileSync(join(dir, 'whole.txt'))), 'byte-identical to the uninterrupted run');
    } finally {
      assert.equal(await worker.stop(), 0, worker.log());
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('worker: no --allow, or an --allow file that does not exist, is a one-line usage error', async () => {
    const none = await runCli(['worker', '--redis', 'redis://127.0.0.1:1']);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /^concurrent-ts: a worker runs only functions of the modules you allow: add --allow \.\/tasks\.js/);
    const missing = await runCli(['worker', '--redis', 'redis://127.0.0.1:1', '--allow', 'no/such.js']);
    assert.equal(missing.code, 2);
    assert.equal(lines(missing.stderr).length, 1, missing.stderr);
    assert.match(missing.stderr, /no\/such\.js/);
    assert.ok(!hasStackTrace(none.stderr + missing.stderr));
  });

  test('map --redis refuses the options of a local pool', async () => {
    const r = await runCli(['map', 'examples/primes.ts#isPrime', '--redis', 'redis://127.0.0.1:1', '--processes']);
    assert.equal(r.code, 2);
    assert.equal(r.stderr, 'concurrent-ts: --processes is for a local pool; with --redis the workers are the ones started by `concurrent-ts worker`\n');
  });
});
