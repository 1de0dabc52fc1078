// CPython 3.11 concurrent.futures.ProcessPoolExecutor (Linux default start method: fork),
// measured by bench/python/bench.py.

import type { PythonSubject } from '../lib/types.js';

export const subject: PythonSubject = {
  kind: 'python',
  executor: 'process',
  id: 'py-process',
  label: 'Python 3.11 ProcessPoolExecutor (fork)',
  short: 'py Process',
  group: 'python',
  how: {
    tiny: 'submit(add, i, 1) for every i, then f.result() over the futures',
    map: 'executor.map(noop, items, chunksize=1000)',
    roundtrip: 'submit(add, 1, 2).result(), one at a time',
    mixed: 'submit(spin, us, i) for every i, then f.result() over the futures',
    behind: 'submit(spin_stamped, 2_000_000), then submit(add, i, 1).result(), one at a time',
    cpu: 'primes above 3e13 so one task costs what a Node task costs; speedup against its own single-threaded run',
    rss: 'parent peak plus each worker process peak',
  },
};
