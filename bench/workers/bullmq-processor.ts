// The sandboxed processor of the plain BullMQ worker (`threads` mode): BullMQ
// loads this file in its own worker threads and calls the default export per job.

import type { Job } from 'bullmq';
import { add } from '../tasks.js';

export default function processor(job: Job): Promise<number> {
  const { a, b } = job.data as { a: number; b: number };
  return Promise.resolve(add(a, b));
}
