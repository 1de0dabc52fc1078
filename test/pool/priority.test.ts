/**
 * `withOptions({ priority })` on the local pools (docs/priority.md): tasks waiting for a worker
 * start in order of priority (1 first), in submission order within one priority, and tasks
 * without a priority before all others, as in BullMQ and the distributed executor.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { ValueError } from '../../src/errors.js';
import { ProcessPoolExecutor, ThreadPoolExecutor } from '../../src/futures/index.js';
import { taskModule } from '../../src/index.js';
import { bump, createBoard, waitFor, type Board } from '../helpers/signals.js';

const tasks = taskModule<typeof import('../fixtures/pool/transfer-tasks.js')>(new URL('../fixtures/pool/transfer-tasks.ts', import.meta.url));

describe('priority: validation', () => {
  const pool = new ThreadPoolExecutor({ maxWorkers: 1 });
  after(() => pool.shutdown());

  test('an integer from 1 to 2,097,152, checked at withOptions', () => {
    assert.throws(() => pool.withOptions({ priority: 0 }), ValueError);
    assert.throws(() => pool.withOptions({ priority: 2_097_153 }), /between 1 \(most urgent\) and 2097152, got 2097153/);
    assert.throws(() => pool.withOptions({ priority: 1.5 }), TypeError);
    assert.throws(() => pool.withOptions({ priority: '1' as never }), TypeError);
    pool.withOptions({ priority: 1 });
    pool.withOptions({ priority: 2_097_152 });
  });
});

for (const kind of ['thread', 'process'] as const) {
  describe(`priority on a ${kind} pool`, () => {
    const pool = kind === 'thread' ? new ThreadPoolExecutor({ maxWorkers: 1 }) : new ProcessPoolExecutor({ maxWorkers: 1 });
    after(() => pool.shutdown());

    /** Blocks the only worker, runs `queue` while it is blocked, then lets it go; returns the labels in the order they ran. */
    async function ranOrder(board: Board, queue: () => Array<PromiseLike<[string, number]>>): Promise<string[]> {
      const blocker = pool.submit(tasks.blockOn, board, 0, 1, 'blocker');
      await waitFor(board, 0, 1);
      const futures = queue();
      bump(board, 1);
      assert.equal(await blocker, 'blocker');
      const ran = await Promise.all(futures);
      return ran.sort((a, b) => a[1] - b[1]).map(([label]) => label);
    }

    test('the most urgent first, FIFO within a priority, tasks without one before all', async () => {
      const board = createBoard(kind === 'thread' ? 'shared' : 'files');
      const labels = await ranOrder(board, () => {
        const submit = (priority: number | undefined, label: string): PromiseLike<[string, number]> =>
          (priority === undefined ? pool : pool.withOptions({ priority })).submit(tasks.order, board, 2, label);
        return [
          submit(5, 'p5-a'), submit(1, 'p1-a'), submit(undefined, 'none-a'), submit(5, 'p5-b'),
          submit(2, 'p2-a'), submit(1, 'p1-b'), submit(undefined, 'none-b'), submit(2_097_152, 'last'),
        ];
      });
      assert.deepEqual(labels, ['none-a', 'none-b', 'p1-a', 'p1-b', 'p2-a', 'p5-a', 'p5-b', 'last']);
    });

    test('a map with a priority goes before waiting tasks of a less urgent one', async () => {
      const board = createBoard(kind === 'thread' ? 'shared' : 'files');
      const blocker = pool.submit(tasks.blockOn, board, 0, 1, 'blocker');
      await waitFor(board, 0, 1);
      const low = [1, 2, 3].map((i) => pool.withOptions({ priority: 9 }).submit(tasks.order, board, 2, `low-${i}`));
      const urgent = pool.withOptions({ priority: 1 }).starmap(tasks.order, [0, 1, 2, 3].map((i) => [board, 2, `map-${i}`] as [Board, number, string]), { chunksize: 1 });
      const collected = urgent.toArray();
      // The map submits its chunks from its own pull of the input: wait until they are all queued.
      while (pool.stats().queued < 7) await new Promise((resolve) => setImmediate(resolve));
      bump(board, 1);
      await blocker;
      const all = [...await collected, ...await Promise.all(low)].sort((a, b) => a[1] - b[1]).map(([label]) => label);
      assert.deepEqual(all, ['map-0', 'map-1', 'map-2', 'map-3', 'low-1', 'low-2', 'low-3']);
    });
  });
}
