/**
 * Many processes on one queue: 4 producers × 50,000 items, 4 consumers. Nothing is lost and
 * nothing is duplicated: the consumed multiset (count, sum, sum of squares) equals the produced one.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Process, Queue } from '../../src/multiprocessing/index.js';
import { tasks } from '../fixtures/multiprocessing/support.js';

const PRODUCERS = 4;
const CONSUMERS = 4;
const ITEMS = 50_000;

test('4 producer processes × 50,000 items into one Queue, 4 consumer processes: the consumed multiset equals the produced one', async () => {
  const q = new Queue<number | null>();
  const results = new Queue<[number, number, number]>();
  // The producers only put numbers; the sentinels come from here.
  const numbers = q as unknown as Queue<number>;
  const producers = Array.from({ length: PRODUCERS }, (_, i) => new Process({ target: tasks.produce, args: [numbers, i * ITEMS, ITEMS] }));
  const consumers = Array.from({ length: CONSUMERS }, () => new Process({ target: tasks.drain, args: [q, results] }));
  for (const p of [...producers, ...consumers]) p.start();
  for (const p of producers) await p.join();
  for (let i = 0; i < CONSUMERS; i++) await q.put(null);
  let totals: [number, number, number] = [0, 0, 0];
  for (let i = 0; i < CONSUMERS; i++) {
    const [count, sum, squares] = await results.get();
    totals = [totals[0] + count, totals[1] + sum, totals[2] + squares];
  }
  for (const c of consumers) await c.join();
  const n = PRODUCERS * ITEMS;
  // Items are 0 … n−1, each once.
  assert.deepEqual(totals, [n, (n * (n - 1)) / 2, ((n - 1) * n * (2 * n - 1)) / 6]);
  assert.deepEqual([...producers, ...consumers].map((p) => p.exitcode), Array.from({ length: PRODUCERS + CONSUMERS }, () => 0));
  assert.equal(await q.qsize(), 0);
});
