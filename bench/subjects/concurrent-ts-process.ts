// concurrent-ts ProcessPoolExecutor from dist/, tasks by typed module reference.

import type { NodeSubject } from '../lib/types.js';
import { openConcurrentTs } from './concurrent-ts.js';

export const subject: NodeSubject = {
  kind: 'node',
  id: 'ct-process',
  label: 'concurrent-ts ProcessPoolExecutor',
  short: 'ct Process',
  group: 'concurrent-ts',
  how: {
    tiny: 'submit(tasks.add, i, 1) for every i, then Promise.all over the futures',
    map: 'for await over map(tasks.noop, items, { chunksize: 1000 })',
    'map-auto': 'for await over map(tasks.noop, items) with the library choosing the chunk size',
    roundtrip: 'await submit(tasks.add, 1, 2).result(), one at a time',
    mixed: 'submit(tasks.spin, us, i) for every i, then Promise.all over the futures',
    behind: 'submit(tasks.spinStamped, 2_000_000), then await submit(tasks.add, i, 1).result(), one at a time',
  },
  open: () => openConcurrentTs('ProcessPoolExecutor'),
};
