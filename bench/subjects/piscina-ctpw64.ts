// piscina 5.3.2 tuned: 64 tasks in flight per worker, its documented knob for
// small tasks (the fairest piscina for the tiny-task scenario).

import type { NodeSubject } from '../lib/types.js';
import { openPiscina } from './piscina-common.js';

export const subject: NodeSubject = {
  kind: 'node',
  id: 'piscina-ctpw64',
  label: 'piscina 5.3.2 (concurrentTasksPerWorker: 64)',
  short: 'piscina ctpw64',
  group: 'peer',
  how: {
    map: 'no map: 1000 run() calls of 1000 items each (noopChunk), awaited in order',
  },
  open: () => openPiscina({ concurrentTasksPerWorker: 64 }),
};
