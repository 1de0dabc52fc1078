// poolifier 5.3.2: FixedThreadPool with its defaults (tasks queue off, so every
// task is posted straight to a worker's port).

import { fileURLToPath } from 'node:url';
import { importPeer } from '../lib/peer.js';
import type { NodeSubject } from '../lib/types.js';
import { HAND_CHUNK, chunkedMap, primesVia, tinyVia } from './common.js';

interface PoolifierPool {
  execute(data: unknown, name: string): Promise<unknown>;
  destroy(): Promise<void>;
}

interface PoolifierModule {
  FixedThreadPool: new (threads: number, file: string) => PoolifierPool;
}

export const subject: NodeSubject = {
  kind: 'node',
  id: 'poolifier',
  label: 'poolifier 5.3.2 (FixedThreadPool)',
  short: 'poolifier',
  group: 'peer',
  how: {
    map: 'mapExecute is per item (1M tasks), so by hand: 1000 execute() calls of 1000 items each (noopChunk)',
  },
  open: async () => {
    const { FixedThreadPool } = await importPeer<PoolifierModule>('poolifier');
    const file = fileURLToPath(new URL('../workers/poolifier-worker.js', import.meta.url));
    return (workers) => {
      const pool = new FixedThreadPool(workers, file);
      const add = (a: number, b: number) => pool.execute([a, b], 'add') as Promise<number>;
      return {
        tiny: (n) => tinyVia(n, add),
        call: add,
        map: (items, chunksize) =>
          chunkedMap(items, chunksize ?? HAND_CHUNK, (chunk) => pool.execute(chunk, 'noopChunk') as Promise<number[]>),
        primes: (ns) => primesVia(ns, (n) => pool.execute(n, 'isPrime') as Promise<boolean>),
        spin: (us, tag) => pool.execute([us, tag], 'spin') as Promise<number>,
        spinStamped: (us) => pool.execute(us, 'spinStamped') as Promise<number>,
        close: () => pool.destroy(),
      };
    };
  },
};
