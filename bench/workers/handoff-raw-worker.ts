// One party of the raw hand-off floor: a binary semaphore per direction, one
// Int32 slot each (1 = given, 0 = taken), taken with compareExchange and slept
// on with Atomics.wait or Atomics.waitAsync. Nothing a lock adds on top (owner,
// deadlock detection, timeouts, cancellation) is here: it is the futex alone.

import { workerData } from 'node:worker_threads';

export interface RawHandoffData {
  /** [toLeader, toFollower], both 0 (taken) at the start. */
  slots: Int32Array;
  role: 'lead' | 'follow';
  form: 'sync' | 'async';
  total: number;
  warm: number;
  /** Round trips of the leader, ms (shared memory). */
  out: Float64Array;
}

// Atomics.waitAsync is in Node 20 but only in TypeScript's ES2024 lib: the part used, described.
const { waitAsync } = Atomics as unknown as {
  waitAsync(this: void, slots: Int32Array, index: number, expected: number): { async: false; value: string } | { async: true; value: Promise<string> };
};

const TO_LEADER = 0;
const TO_FOLLOWER = 1;

function give(slots: Int32Array, index: number): void {
  Atomics.store(slots, index, 1);
  Atomics.notify(slots, index, 1);
}

function takeSync(slots: Int32Array, index: number): void {
  while (Atomics.compareExchange(slots, index, 1, 0) !== 1) Atomics.wait(slots, index, 0);
}

async function takeAsync(slots: Int32Array, index: number): Promise<void> {
  while (Atomics.compareExchange(slots, index, 1, 0) !== 1) {
    const waited = waitAsync(slots, index, 0);
    if (waited.async) await waited.value;
  }
}

function runSync({ slots, role, total, warm, out }: RawHandoffData): void {
  for (let i = 0; i < total; i++) {
    if (role === 'lead') {
      const t0 = performance.now();
      give(slots, TO_FOLLOWER);
      takeSync(slots, TO_LEADER);
      if (i >= warm) out[i - warm] = performance.now() - t0;
    } else {
      takeSync(slots, TO_FOLLOWER);
      give(slots, TO_LEADER);
    }
  }
}

// A loop of its own: awaiting in the blocking loop would add a microtask per turn to the floor.
async function runAsync({ slots, role, total, warm, out }: RawHandoffData): Promise<void> {
  for (let i = 0; i < total; i++) {
    if (role === 'lead') {
      const t0 = performance.now();
      give(slots, TO_FOLLOWER);
      await takeAsync(slots, TO_LEADER);
      if (i >= warm) out[i - warm] = performance.now() - t0;
    } else {
      await takeAsync(slots, TO_FOLLOWER);
      give(slots, TO_LEADER);
    }
  }
}

const data = workerData as RawHandoffData;
if (data.form === 'sync') runSync(data);
else {
  // A pending Atomics.waitAsync does not keep the event loop alive: one timer does, for the whole run.
  const keepAlive = setInterval(() => {}, 2 ** 30);
  await runAsync(data);
  clearInterval(keepAlive);
}
