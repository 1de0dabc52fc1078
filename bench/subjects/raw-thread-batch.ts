// Raw floor: worker_threads, one message per worker carrying all of its tasks,
// results back in one message.

import type { NodeSubject } from '../lib/types.js';
import { startRaw } from './raw.js';

export const subject: NodeSubject = {
  kind: 'node',
  id: 'raw-thread-batch',
  label: 'raw worker_threads, one batch per worker',
  short: 'raw thread batch',
  group: 'raw',
  notApplicable: {
    roundtrip: 'a batch of one is the per-message ping-pong',
    first: 'same start-up as the per-message floor',
    mixed: 'a floor, not a scheduler: it splits tasks round-robin or in halves, with no queue to balance from',
    behind: 'a floor, not a scheduler: no queue, so nothing to keep a tiny task off the busy worker',
  },
  how: {
    tiny: 'each worker gets one message with its half of the [a, b] pairs and answers with one array',
    map: 'each worker gets one message with its half of the items (500k) and answers with one array',
  },
  open: () => Promise.resolve((workers: number) => startRaw('thread', 'batch', workers)),
};
