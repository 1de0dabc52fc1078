// A plain BullMQ worker process for the distributed section: the tiny `add`
// of tasks.ts, run inline on its main thread (BullMQ's usual way), or in
// BullMQ's sandbox on worker threads (`threads`).
//
//   node bullmq-worker.js <redis url> <queue> <concurrency> [inline|threads]

import { Worker, type Job } from 'bullmq';
import { add } from '../tasks.js';

const [url = '', queue = '', concurrency = '1', mode = 'inline'] = process.argv.slice(2);
const { hostname, port } = new URL(url);
const connection = { host: hostname, port: Number(port) };
const inline = (job: Job): Promise<number> => {
  const { a, b } = job.data as { a: number; b: number };
  return Promise.resolve(add(a, b));
};
const worker = mode === 'threads'
  ? new Worker(queue, new URL('./bullmq-processor.js', import.meta.url), { connection, concurrency: Number(concurrency), useWorkerThreads: true })
  : new Worker(queue, inline, { connection, concurrency: Number(concurrency) });
// Connection errors end the cell through the runner's timeout; they need no handling here.
worker.on('error', () => {});
await worker.waitUntilReady();
process.stderr.write('bullmq worker started: \n');
process.once('SIGTERM', () => {
  void worker.close().then(() => process.exit(0));
});
