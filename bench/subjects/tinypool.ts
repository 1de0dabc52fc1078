// tinypool 2.2.0, worker threads (its default runtime), fixed at `workers` threads.

import { importPeer } from '../lib/peer.js';
import type { NodeSubject } from '../lib/types.js';
import { HAND_CHUNK, chunkedMap, primesVia, tinyVia } from './common.js';
import { PISCINA_WORKER } from './piscina-common.js';

interface TinypoolPool {
  run(task: unknown, options: { name: string }): Promise<unknown>;
  destroy(): Promise<void>;
}

interface TinypoolModule {
  Tinypool: new (options: { filename: string; minThreads: number; maxThreads: number }) => TinypoolPool;
}

export const subject: NodeSubject = {
  kind: 'node',
  id: 'tinypool',
  label: 'tinypool 2.2.0 (threads)',
  short: 'tinypool',
  group: 'peer',
  how: {
    map: 'no map: 1000 run() calls of 1000 items each (noopChunk), awaited in order',
  },
  open: async () => {
    const { Tinypool } = await importPeer<TinypoolModule>('tinypool');
    return (workers) => {
      // Same task module as piscina: tinypool shares its calling convention.
      const pool = new Tinypool({ filename: PISCINA_WORKER, minThreads: workers, maxThreads: workers });
      const add = (a: number, b: number) => pool.run([a, b], { name: 'add' }) as Promise<number>;
      return {
        tiny: (n) => tinyVia(n, add),
        call: add,
        map: (items, chunksize) =>
          chunkedMap(items, chunksize ?? HAND_CHUNK, (chunk) => pool.run(chunk, { name: 'noopChunk' }) as Promise<number[]>),
        primes: (ns) => primesVia(ns, (n) => pool.run(n, { name: 'isPrime' }) as Promise<boolean>),
        spin: (us, tag) => pool.run([us, tag], { name: 'spin' }) as Promise<number>,
        spinStamped: (us) => pool.run(us, { name: 'spinStamped' }) as Promise<number>,
        close: () => pool.destroy(),
      };
    };
  },
};
