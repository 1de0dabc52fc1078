// A plain BullMQ worker process for the distributed section: the tiny `add`
// of tasks.ts, run inline on its main thread (BullMQ's usual way).
//
//   node bullmq-worker.js <redis url> <queue> <concurrency>

import { Worker } from 'bullmq';
import { add } from '../tasks.js';

const [url = '', queue = '', concurrency = '1'] = process.argv.slice(2);
const { hostname, port } = new URL(url);
const worker = new Worker(queue, (job) => {
  const { a, b } = job.data as { a: number; b: number };
  return Promise.resolve(add(a, b));
}, { connection: { host: hostname, port: Number(port) }, concurrency: Number(concurrency) });
// Connection errors end the cell through the runner's timeout; they need no handling here.
worker.on('error', () => {});
await worker.waitUntilReady();
process.stderr.write('bullmq worker started: \n');
process.once('SIGTERM', () => {
  void worker.close().then(() => process.exit(0));
});
