// async-mutex, contended: its Mutex only works inside one thread, so its
// hand-off is between two async tasks of the same thread. Same protocol as the
// threads (two mutexes, each released by the party that did not acquire it).

import { importPeer } from '../lib/peer.js';
import type { SectionSubject } from '../lib/types.js';
import { handoff, type HandoffRun } from '../scenarios/handoff.js';

interface AsyncMutexModule {
  Mutex: new () => { acquire(): Promise<() => void> };
}

const run = (Mutex: AsyncMutexModule['Mutex']): HandoffRun => async (n, warmupN) => {
  const toLeader = new Mutex();
  const toFollower = new Mutex();
  // The releasers travel with the ownership: whoever holds a mutex, the other party releases it.
  let releaseLeader = await toLeader.acquire();
  let releaseFollower = await toFollower.acquire();
  const total = n + warmupN;
  const out = new Float64Array(n);
  const follower = async () => {
    for (let i = 0; i < total; i++) {
      releaseFollower = await toFollower.acquire();
      releaseLeader();
    }
  };
  const leader = async () => {
    for (let i = 0; i < total; i++) {
      const t0 = performance.now();
      releaseFollower();
      releaseLeader = await toLeader.acquire();
      if (i >= warmupN) out[i - warmupN] = performance.now() - t0;
    }
  };
  await Promise.all([follower(), leader()]);
  return out;
};

export const handoffSubject: SectionSubject = {
  id: 'async-mutex-handoff',
  label: 'async-mutex 0.5.0 Mutex (two async tasks on one thread)',
  short: 'async-mutex',
  group: 'peer',
  section: 'handoff',
  kind: 'node',
  how: 'one thread only (async-mutex cannot cross threads): two async tasks pass two `Mutex`es back and forth through their releasers',
  measure: async (sizes) => {
    const { Mutex } = await importPeer<AsyncMutexModule>('async-mutex');
    return handoff({ async: run(Mutex) }, sizes);
  },
};
