/**
 * Parent death: when the parent is SIGKILLed, no process of its tree is left after 2 s.
 * - thread and process pools running endless tasks (here);
 * - `Process` children, daemonic or not, and a multiprocessing `Pool`: test/multiprocessing/orphans.test.ts;
 * - a distributed worker (`runWorker` with a process pool, as `concurrent-ts worker` runs it) and
 *   the processes of its local pool (here; needs redis-server, skipped without it).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { DistributedExecutor } from '../../src/distributed/index.js';
import { taskModule } from '../../src/index.js';
import { allEnded } from '../fixtures/multiprocessing/support.js';
import { needRedis, RedisServer } from '../fixtures/distributed/redis-server.js';
import { queueName, startWorkerProcess } from '../fixtures/distributed/helpers.js';

const SCRIPT = fileURLToPath(new URL('../fixtures/reliability/parent-script.ts', import.meta.url));
const tasksUrl = new URL('../fixtures/reliability/tasks.ts', import.meta.url);
const tasks = taskModule<typeof import('../fixtures/reliability/tasks.js')>(tasksUrl);

test('SIGKILL of a parent running a thread pool and a process pool (endless tasks in both): nothing of its tree is left after 2 s', async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', SCRIPT], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, NODE_OPTIONS: '' } });
  const pids = await new Promise<number[]>((resolve, reject) => {
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      const match = /^pids ([\d ]+)$/m.exec(out);
      if (match !== null) resolve((match[1] as string).trim().split(' ').map(Number));
    });
    child.once('exit', (code, signal) => reject(new Error(`the parent ended early (${code ?? signal}): ${out}`)));
  });
  assert.equal(pids.length, 3, 'the parent and its two process workers');
  child.kill('SIGKILL');
  await allEnded(pids, 2000);
});

test('SIGKILL of a distributed worker: it and every process of its local pool are gone after 2 s', async (t) => {
  if (!needRedis(t)) return;
  const server = await RedisServer.start();
  const queue = queueName('parent-death');
  const worker = await startWorkerProcess({ redis: server.url, queue, allow: [fileURLToPath(tasksUrl)], concurrency: 4, maxWorkers: 2, processes: true, handleSignals: false });
  const executor = new DistributedExecutor({ connection: server.url, queue });
  try {
    // Which processes run the tasks: ask until both pool workers have answered.
    const pids = new Set<number>();
    for (let round = 0; round < 50 && pids.size < 2; round++) {
      const idents = await Promise.all(Array.from({ length: 4 }, () => executor.submit(tasks.ident).result(30_000)));
      for (const ident of idents) pids.add(Number(ident.split(':')[0]));
    }
    pids.delete(worker.pid);
    assert.ok(pids.size >= 1, 'the worker runs its tasks in child processes');
    worker.child.kill('SIGKILL');
    await allEnded([worker.pid, ...pids], 2000);
  } finally {
    await executor.shutdown({ wait: false, cancelFutures: true });
    worker.child.kill('SIGKILL');
    await server.stop();
  }
});
