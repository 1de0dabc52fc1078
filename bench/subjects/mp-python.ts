// CPython's multiprocessing.Queue and Pipe (fork start method), measured by
// python/bench.py the way scenarios/mp.ts measures the Node subjects.

import type { SectionSubject } from '../lib/types.js';

export const mpSubject: SectionSubject = {
  id: 'py-mp',
  label: 'Python 3.11 multiprocessing (fork)',
  short: 'Python',
  group: 'python',
  section: 'mp',
  kind: 'python',
  how: '`multiprocessing.Process` children (fork); `q.put(i)` / `q.get()` on a `multiprocessing.Queue`, `conn.send(i)` / `conn.recv()` on a `Pipe()`; the large item is `bytes`',
};
