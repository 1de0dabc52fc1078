// CPython 3.11 concurrent.futures.ThreadPoolExecutor, measured by bench/python/bench.py.

import type { PythonSubject } from '../lib/types.js';

export const subject: PythonSubject = {
  kind: 'python',
  executor: 'thread',
  id: 'py-thread',
  label: 'Python 3.11 ThreadPoolExecutor',
  short: 'py Thread',
  group: 'python',
  notApplicable: {
    map: 'chunksize has no effect on ThreadPoolExecutor.map: 1M futures (~30 s a round), not run',
  },
  how: {
    tiny: 'submit(add, i, 1) for every i, then f.result() over the futures',
    roundtrip: 'submit(add, 1, 2).result(), one at a time',
    mixed: 'submit(spin, us, i) for every i, then f.result() over the futures; the busy-wait is timed, so two threads taking turns on the GIL both finish on time',
    behind: 'submit(spin_stamped, 2_000_000), then submit(add, i, 1).result(), one at a time; the spinning thread holds the GIL up to 5 ms at a time (sys.getswitchinterval)',
    cpu: 'GIL-bound: expect ~1x; primes above 3e13 so one task costs what a Node task costs',
  },
};
