// concurrent-ts DistributedExecutor, with `concurrent-ts worker` processes
// started from the dist/ snapshot's command line, serving bench/tasks.ts.
// Twice: workers with their default local pool (one task thread each), the
// like-for-like peer of BullMQ's sandboxed processor; and `--inline` workers,
// which run tasks on their main thread as BullMQ's inline processor does.

import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { buildDir, distSnapshot } from '../lib/paths.js';
import { NotAvailable, type SectionSubject, type Sizes } from '../lib/types.js';
import { dist, redisUrl, type DistHandle } from '../scenarios/dist.js';
import type * as Tasks from '../tasks.js';
import { tinyVia } from './common.js';
import { importDist } from './concurrent-ts.js';
import { startReady, stopAll } from './dist-processes.js';

interface CtDistributedExecutor {
  ready(): Promise<void>;
  submit(fn: object, ...args: unknown[]): PromiseLike<unknown>;
  map(fn: object, items: Iterable<unknown>, options?: { chunksize?: number }): AsyncIterable<unknown>;
  shutdown(): Promise<void>;
}

type ExecutorClass = new (options: { connection: string; queue: string; packSubmits?: boolean }) => CtDistributedExecutor;

async function open(sizes: Sizes, inline: boolean, pack = true): Promise<DistHandle> {
  const url = redisUrl();
  const { DistributedExecutor } = (await importDist('distributed/index.js')) as { DistributedExecutor?: ExecutorClass };
  const { taskModule } = (await importDist('index.js')) as { taskModule?: (url: URL) => Record<keyof typeof Tasks, object> };
  if (DistributedExecutor === undefined || taskModule === undefined) throw new NotAvailable('not built (DistributedExecutor missing)');
  const tasksFile = join(buildDir, 'tasks.js');
  const tasks = taskModule(new URL('../tasks.js', import.meta.url));
  const queue = `bench-ct-${inline ? 'inline' : 'pool'}${pack ? '' : '-1job'}-${process.pid}`;
  const { processes, concurrency } = sizes.dist;
  const workers: ChildProcess[] = [];
  try {
    for (let i = 0; i < processes; i++) {
      // Pooled: one thread in each worker's local pool, two processes with one task thread each, as
      // BullMQ's two with their sandbox threads. Inline: no pool, as BullMQ's inline processor.
      const runner = inline ? ['--inline'] : ['--workers', '1'];
      const args = [join(distSnapshot, 'cli', 'main.js'), 'worker', '--redis', url, '--queue', queue, '--allow', tasksFile, '--concurrency', String(concurrency), ...runner];
      workers.push(await startReady(args, / started: /));
    }
  } catch (error) {
    await stopAll(workers);
    throw error;
  }
  const executor = new DistributedExecutor(pack ? { connection: url, queue } : { connection: url, queue, packSubmits: false });
  await executor.ready();
  const submit = (n: number): Promise<number> => tinyVia(n, (a, b) => executor.submit(tasks.add, a, b) as PromiseLike<number>);
  const close = async (): Promise<void> => {
    await executor.shutdown();
    await stopAll(workers);
  };
  // One job per task measures the executor's own cost per BullMQ job; map does not depend on it.
  if (!pack) return { submit, close };
  return {
    submit,
    map: async (items, chunksize) => {
      let matched = 0;
      let index = 0;
      for await (const r of executor.map(tasks.noop, items, chunksize === undefined ? {} : { chunksize })) {
        if (r === items[index++]) matched++;
      }
      return matched;
    },
    close,
  };
}

export const distSubject: SectionSubject = {
  id: 'ct-dist',
  label: 'concurrent-ts DistributedExecutor (2 `concurrent-ts worker` processes, tasks on a pool thread)',
  short: 'ct Distributed',
  group: 'concurrent-ts',
  section: 'dist',
  kind: 'node',
  how: '`submit(tasks.add, i, 1)` for every i, each future awaited; `for await` over `map(tasks.noop, items, { chunksize })`; 2 × `concurrent-ts worker --concurrency 16 --workers 1` (the default: tasks on a local pool, one thread), default executor options',
  peer: 'bullmq-threads',
  measure: (sizes) => dist((s) => open(s, false), sizes),
};

export const distInlineSubject: SectionSubject = {
  id: 'ct-dist-inline',
  label: 'concurrent-ts DistributedExecutor (2 `concurrent-ts worker --inline` processes, tasks on the main thread)',
  short: 'ct Distributed inline',
  group: 'concurrent-ts',
  section: 'dist',
  kind: 'node',
  how: 'as ct Distributed, with 2 × `concurrent-ts worker --concurrency 16 --inline`: tasks on each worker\'s main thread, no pool, as BullMQ\'s inline processor',
  peer: 'bullmq',
  measure: (sizes) => dist((s) => open(s, true), sizes),
};

export const distOneJobSubject: SectionSubject = {
  id: 'ct-dist-inline-1job',
  label: 'concurrent-ts DistributedExecutor, one job per task (`packSubmits: false`, 2 `--inline` workers)',
  short: 'ct Distributed inline, 1 job/task',
  group: 'concurrent-ts',
  section: 'dist',
  kind: 'node',
  how: 'as ct Distributed inline, with `packSubmits: false`: every `submit` its own BullMQ job, as in plain BullMQ, so this column is the executor\'s and workers\' own cost per job; no map (packing does not touch it)',
  peer: 'bullmq',
  measure: (sizes) => dist((s) => open(s, true, false), sizes),
};
