/**
 * A thread worker's unclaimed tasks can be taken back and run elsewhere, except one whose message
 * moved values to that worker (`transfer()`): it stays, and the others around it still go.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CTL_BYTES } from '../../src/control-block.js';
import { MOVED, TaskFuture, type ForceCanceller } from '../../src/pool/task-future.js';
import { WorkerSlot } from '../../src/pool/worker-slot.js';

const owner: ForceCanceller = { forceCancel: () => false, cancelUnstarted: () => false };

test('reclaim takes the unclaimed tasks back but leaves a moved one on its worker', () => {
  const slot = new WorkerSlot(0, 'w_0');
  slot.control = new Int32Array(new SharedArrayBuffer(CTL_BYTES));
  const tasks = [0, 1, 2, 3].map(() => new TaskFuture<unknown>(owner, 0, 0, [], undefined));
  (tasks[1] as TaskFuture<unknown>).marks |= MOVED;
  for (const task of tasks) slot.assign(task);
  const taken = slot.reclaim(Infinity);
  assert.deepEqual(taken, [tasks[0], tasks[2], tasks[3]]);
  assert.equal(slot.waiting(), 1);
  assert.equal(tasks[1]?.slot, slot, 'the moved task stays on the books of its worker');
  assert.deepEqual(slot.reclaim(Infinity), [], 'and is never taken later either');
  assert.equal(slot.unsure.peek(), tasks[1]);
});
