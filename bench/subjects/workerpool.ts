// workerpool 10.0.3 with worker threads, fixed at `workers` workers.

import { fileURLToPath } from 'node:url';
import { importPeer } from '../lib/peer.js';
import type { NodeSubject } from '../lib/types.js';
import { HAND_CHUNK, chunkedMap, primesVia, tinyVia } from './common.js';

interface WorkerpoolPool {
  /** Returns workerpool's own Promise class: a thenable, which is all we need. */
  exec(method: string, params: unknown[]): PromiseLike<unknown>;
  terminate(): PromiseLike<unknown>;
}

interface WorkerpoolModule {
  pool(script: string, options: { minWorkers: number; maxWorkers: number; workerType: 'thread' }): WorkerpoolPool;
}

export const subject: NodeSubject = {
  kind: 'node',
  id: 'workerpool',
  label: 'workerpool 10.0.3 (workerType: thread)',
  short: 'workerpool',
  group: 'peer',
  how: {
    map: 'no map: 1000 exec() calls of 1000 items each (noopChunk), awaited in order',
  },
  open: async () => {
    const workerpool = await importPeer<WorkerpoolModule>('workerpool');
    const script = fileURLToPath(new URL('../workers/workerpool-worker.js', import.meta.url));
    return (workers) => {
      const pool = workerpool.pool(script, { minWorkers: workers, maxWorkers: workers, workerType: 'thread' });
      const add = (a: number, b: number) => pool.exec('add', [a, b]) as PromiseLike<number>;
      return {
        tiny: (n) => tinyVia(n, add),
        call: async (a, b) => add(a, b),
        map: (items, chunksize) =>
          chunkedMap(items, chunksize ?? HAND_CHUNK, (chunk) => pool.exec('noopChunk', [chunk]) as PromiseLike<number[]>),
        primes: (ns) => primesVia(ns, (n) => pool.exec('isPrime', [n]) as PromiseLike<boolean>),
        spin: (us, tag) => pool.exec('spin', [us, tag]) as PromiseLike<number>,
        spinStamped: (us) => pool.exec('spinStamped', [us]) as PromiseLike<number>,
        close: async () => {
          await pool.terminate();
        },
      };
    };
  },
};
