// piscina 5.3.2 with its defaults (one task in flight per worker, Atomics wake-ups).

import type { NodeSubject } from '../lib/types.js';
import { openPiscina } from './piscina-common.js';

export const subject: NodeSubject = {
  kind: 'node',
  id: 'piscina',
  label: 'piscina 5.3.2 (defaults)',
  short: 'piscina',
  group: 'peer',
  how: {
    map: 'no map: 1000 run() calls of 1000 items each (noopChunk), awaited in order',
  },
  open: () => openPiscina({}),
};
