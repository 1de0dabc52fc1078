// Raw floor of the hand-off: two worker_threads and two Int32 slots, Atomics.wait
// (or waitAsync) and Atomics.notify, nothing else (workers/handoff-raw-worker.ts).

import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { buildDir } from '../lib/paths.js';
import type { SectionSubject } from '../lib/types.js';
import { handoff, type HandoffRun } from '../scenarios/handoff.js';
import type { RawHandoffData } from '../workers/handoff-raw-worker.js';

const script = join(buildDir, 'workers', 'handoff-raw-worker.js');

function exited(worker: Worker): Promise<void> {
  return new Promise((resolve, reject) => {
    worker.once('error', reject);
    worker.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`hand-off worker exited with ${code}`))));
  });
}

function run(form: RawHandoffData['form']): HandoffRun {
  return async (n, warmupN) => {
    const slots = new Int32Array(new SharedArrayBuffer(8));
    const out = new Float64Array(new SharedArrayBuffer(8 * n));
    const common = { slots, form, total: n + warmupN, warm: warmupN, out };
    const workers = (['follow', 'lead'] as const).map((role) => new Worker(script, { workerData: { ...common, role } satisfies RawHandoffData }));
    await Promise.all(workers.map(exited));
    return out;
  };
}

export const handoffSubject: SectionSubject = {
  id: 'raw-handoff',
  label: 'raw Atomics.wait / notify on an Int32Array (two worker_threads)',
  short: 'raw Atomics',
  group: 'raw',
  section: 'handoff',
  kind: 'node',
  how: 'two raw `worker_threads`; one Int32 slot per direction, `compareExchange` to take, `Atomics.wait` / `Atomics.waitAsync` to sleep, `Atomics.notify` to give',
  measure: (sizes) => handoff({ sync: run('sync'), async: run('async') }, sizes),
};
