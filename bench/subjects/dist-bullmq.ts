// Plain BullMQ (a root devDependency, the library under DistributedExecutor):
// `Queue.addBulk` and two plain `Worker` processes with the same concurrency,
// each job's result awaited through QueueEvents: the shape of work of `submit`.
// Twice: with the processor inline on the worker's main thread (BullMQ's usual
// way), and sandboxed in worker threads (BullMQ's own way to keep user code off
// the main thread, which is what a `concurrent-ts worker` always does).

import { randomUUID } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { buildDir } from '../lib/paths.js';
import type { SectionSubject, Sizes } from '../lib/types.js';
import { dist, redisUrl, type DistHandle } from '../scenarios/dist.js';
import { startReady, stopAll } from './dist-processes.js';

/** Jobs per addBulk call: the batch DistributedExecutor's own submit uses (MAX_BULK). */
const BULK = 1000;

/** Kept completed jobs: DistributedExecutor's default retention, so Redis holds the same. */
const removeOnComplete = { age: 3600, count: 2000 };

async function open(sizes: Sizes, sandboxed: boolean): Promise<DistHandle> {
  const url = redisUrl();
  const { Queue, QueueEvents } = await import('bullmq');
  const { hostname, port } = new URL(url);
  const connection = { host: hostname, port: Number(port) };
  const name = `bench-bullmq-${sandboxed ? 'threads' : 'inline'}-${process.pid}`;
  const { processes, concurrency, jobs } = sizes.dist;
  const workers: ChildProcess[] = [];
  try {
    for (let i = 0; i < processes; i++) workers.push(await startReady([join(buildDir, 'workers', 'bullmq-worker.js'), url, name, String(concurrency), sandboxed ? 'threads' : 'inline'], / started: /));
  } catch (error) {
    await stopAll(workers);
    throw error;
  }
  // Events of a whole round must fit the stream: with BullMQ's default (10,000 entries) a burst of
  // 20,000 jobs trims completion events before QueueEvents reads them, and their waiters hang.
  const queue = new Queue(name, { connection, streams: { events: { maxLen: 10 * jobs } } });
  const events = new QueueEvents(name, { connection });
  await Promise.all([queue.waitUntilReady(), events.waitUntilReady()]);
  // QueueEvents starts reading at '$' with its first XREAD, a moment after it is ready.
  await new Promise((resolve) => setTimeout(resolve, 500));
  const waiters = new Map<string, (value: number) => void>();
  events.on('completed', ({ jobId, returnvalue }: { jobId: string; returnvalue: unknown }) => {
    const waiter = waiters.get(jobId);
    if (waiter === undefined) return;
    waiters.delete(jobId);
    waiter(Number(typeof returnvalue === 'string' ? JSON.parse(returnvalue) : returnvalue));
  });
  const prefix = randomUUID();
  let serial = 0;
  return {
    submit: async (n) => {
      const results: Promise<number>[] = [];
      const adding: Promise<unknown>[] = [];
      for (let start = 0; start < n; start += BULK) {
        const batch = [];
        for (let i = start; i < Math.min(n, start + BULK); i++) {
          const jobId = `${prefix}-${serial++}`;
          results.push(new Promise((resolve) => waiters.set(jobId, resolve)));
          batch.push({ name: 'add', data: { a: i, b: 1 }, opts: { jobId, removeOnComplete } });
        }
        adding.push(queue.addBulk(batch));
      }
      await Promise.all(adding);
      let sum = 0;
      for (const r of await Promise.all(results)) sum += r;
      return sum;
    },
    close: async () => {
      await events.close();
      await queue.close();
      await stopAll(workers);
    },
  };
}

export const distSubject: SectionSubject = {
  id: 'bullmq',
  label: 'plain BullMQ (2 `Worker` processes, processor inline)',
  short: 'BullMQ',
  group: 'peer',
  section: 'dist',
  kind: 'node',
  how: '`Queue.addBulk` in batches of 1000 (as DistributedExecutor), each job\'s result awaited through `QueueEvents`; 2 worker processes, `new Worker(queue, job => add(a, b), { concurrency: 16 })`; no map in BullMQ',
  measure: (sizes) => dist((s) => open(s, false), sizes),
};

export const distSandboxedSubject: SectionSubject = {
  id: 'bullmq-threads',
  label: 'plain BullMQ (2 `Worker` processes, processor sandboxed in worker threads)',
  short: 'BullMQ threads',
  group: 'peer',
  section: 'dist',
  kind: 'node',
  how: 'as plain BullMQ, with the processor a file run by `new Worker(queue, file, { concurrency: 16, useWorkerThreads: true })`: user code off the main thread, as in a `concurrent-ts worker`',
  measure: (sizes) => dist((s) => open(s, true), sizes),
};
