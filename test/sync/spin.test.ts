import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { spinAllowed, spinUntil } from '../../src/sync/spin.js';

test('spinUntil: true as soon as the condition holds, false once its time is up', () => {
  let calls = 0;
  assert.equal(spinUntil(() => ++calls === 5), true);
  assert.equal(calls, 5);
  const start = performance.now();
  assert.equal(spinUntil(() => false, 20), false);
  assert.ok(performance.now() - start >= 20);
});

test('spinUntil sees a store made by another thread', async () => {
  const slots = new Int32Array(new SharedArrayBuffer(8));
  const worker = new Worker(
    `const { workerData } = require('node:worker_threads');
     const s = new Int32Array(workerData);
     Atomics.store(s, 1, 1);
     Atomics.wait(s, 0, 0, 10);
     Atomics.store(s, 0, 7);`,
    { eval: true, workerData: slots.buffer },
  );
  try {
    // The worker's first store says it runs; then the spin has all the time it needs.
    while (Atomics.load(slots, 1) === 0) await new Promise((resolve) => setTimeout(resolve, 1));
    assert.equal(spinUntil(() => Atomics.load(slots, 0) === 7, 10_000), true);
  } finally {
    await worker.terminate();
  }
});

const hasTaskset = await promisify(execFile)('taskset', ['-c', '0', 'true']).then(() => true, () => false);

test('spinning is allowed only with more than one core', () => {
  assert.equal(spinAllowed, availableParallelism() > 1);
});

test('spinning is not allowed in a process pinned to one core', { skip: hasTaskset ? false : 'taskset (util-linux) is not installed' }, async () => {
  const { stdout } = await promisify(execFile)('taskset', [
    '-c', '0', process.execPath, '--import', 'tsx', '-e',
    "import('./src/sync/spin.ts').then((m) => console.log(String(m.spinAllowed)))",
  ]);
  assert.equal(stdout.trim(), 'false');
});
