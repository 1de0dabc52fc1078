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
    cpu: 'GIL-bound: expect ~1x; primes above 3e13 so one task costs what a Node task costs',
  },
};
