// Raw floor: child_process.fork (advanced IPC), one message per task, all posted at once (pipelined);
// ping-pong for the round trip.

import type { NodeSubject } from '../lib/types.js';
import { startRaw } from './raw.js';

export const subject: NodeSubject = {
  kind: 'node',
  id: 'raw-fork',
  label: 'raw child_process.fork (advanced IPC), one message per task',
  short: 'raw fork msg',
  group: 'raw',
  notApplicable: {
    mixed: 'a floor, not a scheduler: it splits tasks round-robin or in halves, with no queue to balance from',
    behind: 'a floor, not a scheduler: no queue, so nothing to keep a tiny task off the busy worker',
  },
  how: {
    tiny: 'one postMessage per task, all posted at once round-robin, replies summed (no per-task promise)',
    map: 'one message per chunk of 1000 items, round-robin',
    roundtrip: 'ping-pong: one message, await its reply, repeat',
  },
  open: () => Promise.resolve((workers: number) => startRaw('fork', 'message', workers)),
};
