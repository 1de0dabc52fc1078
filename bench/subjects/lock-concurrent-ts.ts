// concurrent-ts threading.Lock, uncontended, both forms.

import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { distSnapshot } from '../lib/paths.js';
import { NotAvailable, type LockSubject } from '../lib/types.js';

interface CtLock {
  acquire(): Promise<unknown>;
  acquireSync?(): unknown;
  release(): void;
}

export const lockSubject: LockSubject = {
  id: 'ct-lock',
  label: 'concurrent-ts Lock',
  short: 'ct Lock',
  group: 'concurrent-ts',
  open: async () => {
    let threading: Record<string, unknown>;
    try {
      threading = (await import(pathToFileURL(join(distSnapshot, 'threading', 'index.js')).href)) as Record<string, unknown>;
    } catch {
      throw new NotAvailable('not built');
    }
    const Lock = threading.Lock as (new () => CtLock) | undefined;
    if (typeof Lock !== 'function') throw new NotAvailable('Lock not exported yet');
    const lock = new Lock();
    const acquireSync = lock.acquireSync?.bind(lock);
    return {
      // The blocking form never blocks here: the lock is always free when taken.
      ...(acquireSync === undefined
        ? {}
        : {
            sync: () => {
              acquireSync();
              lock.release();
            },
          }),
      async: async () => {
        await lock.acquire();
        lock.release();
      },
    };
  },
};
