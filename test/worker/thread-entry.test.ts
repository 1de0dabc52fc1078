import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ThreadPoolExecutor } from '../../src/index.js';

/** Resolves when `flag[0]` becomes `value`, or with 'timed-out' after `ms`: never hangs. */
async function until(flag: Int32Array, value: number, ms: number): Promise<'ok' | 'timed-out'> {
  const deadline = Date.now() + ms;
  while (Atomics.load(flag, 0) !== value) {
    if (Date.now() > deadline) return 'timed-out';
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return 'ok';
}

test('work a task leaves in the microtask queue runs while its worker idles', async () => {
  await using pool = new ThreadPoolExecutor({ maxWorkers: 1 });
  const flag = new Int32Array(new SharedArrayBuffer(4));
  // The task returns at once; the chain it started goes on after it, three microtasks deep, and
  // so does a tick it queued.
  const started = await pool.submit((f: Int32Array) => {
    process.nextTick(() => Atomics.add(f, 0, 1));
    void Promise.resolve()
      .then(() => Atomics.add(f, 0, 1))
      .then(() => Atomics.add(f, 0, 1))
      .then(() => Atomics.add(f, 0, 1));
    return 'returned';
  }, flag);
  assert.equal(started, 'returned');
  // Nothing else is sent: an idle worker asleep before all of it ran would stop short of 4.
  assert.equal(await until(flag, 4, 10_000), 'ok');
});

test('process.exit() a task defers to a microtask still ends its worker, which is replaced', async () => {
  await using pool = new ThreadPoolExecutor({ maxWorkers: 1 });
  // Each worker marks its own global object once: another mark means another worker.
  const mark = () => ((globalThis as { mark?: number }).mark ??= Math.random());
  const first = await pool.submit(mark);
  assert.equal(await pool.submit(mark), first);
  assert.equal(await pool.submit(() => {
    queueMicrotask(() => process.exit(3));
    return 'returned';
  }), 'returned');
  let next = first;
  const deadline = Date.now() + 10_000;
  while (next === first && Date.now() < deadline) {
    next = await pool.submit(mark);
    if (next === first) await new Promise((resolve) => setTimeout(resolve, 20));
  }
  assert.notEqual(next, first, 'the worker that called process.exit() was replaced');
});
