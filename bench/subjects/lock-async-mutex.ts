// async-mutex Mutex, uncontended: the usual single-thread async lock of the npm world.

import { importPeer } from '../lib/peer.js';
import type { LockSubject } from '../lib/types.js';

interface AsyncMutexModule {
  Mutex: new () => { acquire(): Promise<() => void> };
}

export const lockSubject: LockSubject = {
  id: 'async-mutex',
  label: 'async-mutex 0.5.0 Mutex',
  short: 'async-mutex',
  group: 'peer',
  open: async () => {
    const { Mutex } = await importPeer<AsyncMutexModule>('async-mutex');
    const mutex = new Mutex();
    return {
      async: async () => {
        const release = await mutex.acquire();
        release();
      },
    };
  },
};
