// The two parties of the hand-off scenario for concurrent-ts, run by its
// `Thread` as a task module: the locks arrive working in each thread.
//
// Both locks start held. The leader gives `toFollower` and waits for
// `toLeader`; the follower takes `toFollower` and gives `toLeader` back. A
// `Lock` may be released by any thread (Python's semantics), which is what
// makes it a hand-off.

/** What the parties use of concurrent-ts's Lock. */
interface HandoffLock {
  acquire(): Promise<boolean>;
  acquireSync(): boolean;
  release(): void;
}

/** Records the round trips after the first `warm` into `out` (ms, shared memory). */
export function leadSync(toLeader: HandoffLock, toFollower: HandoffLock, total: number, warm: number, out: Float64Array): void {
  for (let i = 0; i < total; i++) {
    const t0 = performance.now();
    toFollower.release();
    toLeader.acquireSync();
    if (i >= warm) out[i - warm] = performance.now() - t0;
  }
}

export function followSync(toLeader: HandoffLock, toFollower: HandoffLock, total: number): void {
  for (let i = 0; i < total; i++) {
    toFollower.acquireSync();
    toLeader.release();
  }
}

export async function leadAsync(toLeader: HandoffLock, toFollower: HandoffLock, total: number, warm: number, out: Float64Array): Promise<void> {
  for (let i = 0; i < total; i++) {
    const t0 = performance.now();
    toFollower.release();
    await toLeader.acquire();
    if (i >= warm) out[i - warm] = performance.now() - t0;
  }
}

export async function followAsync(toLeader: HandoffLock, toFollower: HandoffLock, total: number): Promise<void> {
  for (let i = 0; i < total; i++) {
    await toFollower.acquire();
    toLeader.release();
  }
}
