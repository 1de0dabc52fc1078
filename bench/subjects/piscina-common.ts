// piscina, for its two configurations (default, and concurrentTasksPerWorker 64).

import { fileURLToPath } from 'node:url';
import { importPeer } from '../lib/peer.js';
import type { PoolHandle } from '../lib/types.js';
import { HAND_CHUNK, chunkedMap, primesVia, tinyVia } from './common.js';

interface PiscinaOptions {
  filename: string;
  minThreads: number;
  maxThreads: number;
  concurrentTasksPerWorker?: number;
}

interface PiscinaPool {
  run(task: unknown, options: { name: string }): Promise<unknown>;
  destroy(): Promise<void>;
}

interface PiscinaModule {
  Piscina: new (options: PiscinaOptions) => PiscinaPool;
}

export const PISCINA_WORKER = fileURLToPath(new URL('../workers/piscina-worker.js', import.meta.url));

export async function openPiscina(extra: Partial<PiscinaOptions>): Promise<(workers: number) => PoolHandle> {
  const { Piscina } = await importPeer<PiscinaModule>('piscina');
  return (workers) => {
    const pool = new Piscina({ filename: PISCINA_WORKER, minThreads: workers, maxThreads: workers, ...extra });
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
}
