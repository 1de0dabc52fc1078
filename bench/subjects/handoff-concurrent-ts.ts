// concurrent-ts Lock, contended: two `Thread`s hand two locks back and forth
// (workers/handoff-ct.ts), blocking and async forms.

import type { HandoffForms, HandoffRun } from '../scenarios/handoff.js';
import { handoff } from '../scenarios/handoff.js';
import { NotAvailable, type SectionSubject } from '../lib/types.js';
import { importDist } from './concurrent-ts.js';
import type * as Parties from '../workers/handoff-ct.js';

interface CtLock {
  acquireSync(): boolean;
}

interface CtThread {
  start(): void;
  join(): Promise<void>;
}

type CtThreadClass = new (options: { target: object; args: unknown[] }) => CtThread;

async function openForms(): Promise<HandoffForms> {
  const threading = await importDist('threading/index.js');
  const root = await importDist('index.js');
  // Deadlock detection off: a party waits on a lock it took itself last turn, which the other
  // party is about to release; that is Python's Lock used as a binary semaphore, not a deadlock.
  const Lock = threading.Lock as (new (options: { detectDeadlock: boolean }) => CtLock) | undefined;
  const Thread = threading.Thread as CtThreadClass | undefined;
  const taskModule = root.taskModule as ((url: URL) => Record<keyof typeof Parties, object>) | undefined;
  if (Lock === undefined || Thread === undefined || taskModule === undefined) throw new NotAvailable('not built (Lock, Thread or taskModule missing)');
  const parties = taskModule(new URL('../workers/handoff-ct.js', import.meta.url));
  const run = (lead: object, follow: object): HandoffRun => async (n, warmupN) => {
    const toLeader = new Lock({ detectDeadlock: false });
    const toFollower = new Lock({ detectDeadlock: false });
    toLeader.acquireSync();
    toFollower.acquireSync();
    const out = new Float64Array(new SharedArrayBuffer(8 * n));
    const threads = [
      new Thread({ target: follow, args: [toLeader, toFollower, n + warmupN] }),
      new Thread({ target: lead, args: [toLeader, toFollower, n + warmupN, warmupN, out] }),
    ];
    for (const thread of threads) thread.start();
    await Promise.all(threads.map((thread) => thread.join()));
    return out;
  };
  return { sync: run(parties.leadSync, parties.followSync), async: run(parties.leadAsync, parties.followAsync) };
}

export const handoffSubject: SectionSubject = {
  id: 'ct-handoff',
  label: 'concurrent-ts Lock (two Threads)',
  short: 'ct Lock',
  group: 'concurrent-ts',
  section: 'handoff',
  kind: 'node',
  how: 'two `Thread`s; two `Lock`s (deadlock detection off) passed back and forth: `release()` one, `acquireSync()` / `await acquire()` the other',
  measure: async (sizes) => handoff(await openForms(), sizes),
};
