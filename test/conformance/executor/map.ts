/**
 * MAP rows: `executor.map` and `starmap` (CPython's `ExecutorTest.test_map*`), following 3.11 on
 * errors, with `buffersize` from 3.14, and chunks on every executor (docs/decisions/map-chunking.md).
 *
 * @module
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CancelledError, RuntimeError, SerializationError, TimeoutError, ValueError } from '../../../src/futures/index.js';
import { assertTimeout, since } from '../../helpers/timing.js';
import { bump, read, waitFor, type Board } from '../../helpers/signals.js';
import { tasks, warmUp, type SuiteContext } from './context.js';

type Step = { started?: number; gate?: number; finished?: number };

function double(x: number): number {
  return 2 * x;
}

export function mapTests({ factory, kind }: SuiteContext): void {
  describe('map and starmap', () => {
    test('MAP-01 map yields the results in input order', async () => {
      await using executor = factory({ maxWorkers: 2 });
      const input = Array.from({ length: 50 }, (_, i) => i);
      assert.deepEqual(await executor.map(tasks.square, input).toArray(), input.map((i) => i * i));
      const seen: number[] = [];
      for await (const value of executor.map(double, [3, 1, 2])) seen.push(value);
      assert.deepEqual(seen, [6, 2, 4]);
    });

    test('MAP-01 map keeps input order when the results arrive in reverse order', async () => {
      const board = kind().board();
      await using executor = factory({ maxWorkers: 3 });
      // Item i waits until the items after it have finished: they complete 2, 1, 0.
      const steps: Array<[Board, Step & { open?: number }, string]> = [
        [board, { gate: 0, open: 2, finished: 0 }, 'a'],
        [board, { gate: 0, open: 1, finished: 0 }, 'b'],
        [board, { finished: 0 }, 'c'],
      ];
      assert.deepEqual(await executor.starmap(tasks.gated, steps, { chunksize: 1 }).toArray(), ['a', 'b', 'c']);
    });

    test('MAP-01 a chunk\'s results are yielded while the next chunk is still running', { timeout: 60_000 }, async () => {
      const board = kind().board();
      await using executor = factory({ maxWorkers: 2 });
      // The second chunk blocks until the test opens gate 0, which it does only after reading the
      // first chunk: a map that held results back until later chunks finished would time out.
      const steps: Array<[Board, Step, string]> = [
        [board, {}, 'a'], [board, {}, 'b'], [board, { gate: 0 }, 'c'], [board, {}, 'd'],
      ];
      const iterator = executor.starmap(tasks.gated, steps, { chunksize: 2 });
      const safety = setTimeout(() => bump(board, 0), 30_000);
      try {
        assert.deepEqual([(await iterator.next()).value, (await iterator.next()).value], ['a', 'b']);
        assert.equal(read(board, 0), 0, 'the first chunk came before the second could finish');
      } finally {
        bump(board, 0);
        clearTimeout(safety);
      }
      assert.deepEqual(await iterator.toArray(), ['c', 'd']);
    });

    test('MAP-01 starmap zips several inputs: fn(...tuple) per item', async () => {
      await using executor = factory({ maxWorkers: 2 });
      const xs = [1, 2, 3, 4];
      const ys = [10, 20, 30];
      const zipped = ys.map((y, i) => [xs[i] as number, y] as [number, number]);
      assert.deepEqual(await executor.starmap(tasks.add, zipped).toArray(), [11, 22, 33]);
      assert.deepEqual(await executor.starmap(Math.max, [[1, 5, 3], [7, 2]]).toArray(), [5, 7]);
    });

    test('MAP-01 map takes an async iterable input', async () => {
      await using executor = factory({ maxWorkers: 2 });
      async function* numbers(): AsyncGenerator<number> {
        for (let i = 0; i < 10; i++) {
          await Promise.resolve();
          yield i;
        }
      }
      assert.deepEqual(await executor.map(tasks.square, numbers()).toArray(), Array.from({ length: 10 }, (_, i) => i * i));
    });

    test('MAP-02 map submits every call at once: the calls run even if the results are never read', async () => {
      const board = kind().board();
      await using executor = factory({ maxWorkers: 2 });
      const items = Array.from({ length: 6 }, () => [board, 0] as [Board, number]);
      const unread = executor.starmap(tasks.count, items);
      await waitFor(board, 0, 6);
      assert.equal(read(board, 0), 6);
      await unread.return();
    });

    test('MAP-03 a failing call re-raises at its position after the earlier results; then the iterator ends', async () => {
      await using executor = factory({ maxWorkers: 2 });
      const iterator = executor.map(tasks.invert, [1, 0, 2, 4]);
      assert.deepEqual(await iterator.next(), { done: false, value: 1 });
      await assert.rejects(iterator.next(), (e: unknown) => e instanceof RangeError && e.message === 'division by zero');
      assert.deepEqual(await iterator.next(), { done: true, value: undefined });
    });

    test('MAP-03 after a failure, the calls that have not started are cancelled', async () => {
      const board = kind().board();
      await using executor = factory({ maxWorkers: 1 });
      const total = 40;
      const items = Array.from({ length: total }, (_, i) => [board, 0, i === 0] as [Board, number, boolean]);
      const iterator = executor.starmap(tasks.tally, items, { chunksize: 1 });
      await assert.rejects(iterator.next(), { name: 'RangeError', message: 'tally asked to fail' });
      assert.deepEqual(await iterator.next(), { done: true, value: undefined });
      await executor.shutdown();
      assert.ok(read(board, 0) < total - 1, `only ${read(board, 0)} of the ${total - 1} later calls ran`);
    });

    test('MAP-04 timeout is one deadline from the call: the results so far, then TimeoutError, then the end', async () => {
      const board = kind().board();
      await using executor = factory({ maxWorkers: 3 });
      await warmUp(executor, board, 3);
      const steps: Array<[Board, Step, string]> = [[board, {}, 'a'], [board, {}, 'b'], [board, { gate: 0 }, 'never']];
      const start = performance.now();
      const iterator = executor.starmap(tasks.gated, steps, { timeout: 400 });
      const seen: unknown[] = [];
      try {
        await assert.rejects(async () => {
          for (let step = await iterator.next(); step.done !== true; step = await iterator.next()) seen.push(step.value);
        }, (e: unknown) => e instanceof TimeoutError);
        assertTimeout(since(start), 400);
        assert.deepEqual(seen, ['a', 'b']);
        assert.deepEqual(await iterator.next(), { done: true, value: undefined });
      } finally {
        bump(board, 0);
      }
    });

    test('MAP-04 the deadline also bounds a consumer that reads slowly: no result is waited for past it', async () => {
      const board = kind().board();
      await using executor = factory({ maxWorkers: 2 });
      const start = performance.now();
      const iterator = executor.starmap(tasks.gated, [[board, { gate: 0 }, 'late']] as Array<[Board, Step, string]>, { timeout: 100 });
      try {
        await assert.rejects(iterator.next(), TimeoutError);
        assertTimeout(since(start), 100);
      } finally {
        bump(board, 0);
      }
    });

    test('MAP-05 leaving the loop early stops pulling input and cancels the calls that have not started', async () => {
      const board = kind().board();
      await using executor = factory({ maxWorkers: 1 });
      let pulled = 0;
      let closed = false;
      function* input(): Generator<[Board, number]> {
        try {
          // More than a map keeps in flight (1,024 chunks, here of one item), so that the input cannot
          // be used up before the loop breaks, however fast the first result comes.
          for (let i = 0; i < 5000; i++) {
            pulled++;
            yield [board, 0];
          }
        } finally {
          closed = true;
        }
      }
      for await (const _ of executor.starmap(tasks.count, input(), { chunksize: 1 })) break;
      assert.equal(closed, true, 'the input generator was closed');
      const pulledAtBreak = pulled;
      await executor.shutdown();
      assert.equal(pulled, pulledAtBreak, 'nothing was pulled after the break');
      assert.ok(pulled < 5000, `pulled ${pulled} of 5000 items`);
      assert.ok(read(board, 0) <= pulled, 'no call ran that was not pulled');
    });

    test('MAP-05 return() while a next() waits for a running call ends that next() (it does not hang)', async () => {
      const board = kind().board();
      await using executor = factory({ maxWorkers: 1 });
      const iterator = executor.starmap(tasks.gated, [[board, { started: 1, gate: 0 }, 'x']] as Array<[Board, Step, string]>);
      const waiting = iterator.next();
      await waitFor(board, 1, 1);
      try {
        await iterator.return();
        assert.deepEqual(await waiting, { done: true, value: undefined });
      } finally {
        bump(board, 0);
      }
    });

    test('MAP-06 chunksize gives the same results, and errors stay per item', async () => {
      await using executor = factory({ maxWorkers: 2 });
      const input = Array.from({ length: 60 }, (_, i) => i);
      for (const chunksize of [1, 3, 40, 100]) {
        assert.deepEqual(await executor.map(tasks.square, input, { chunksize }).toArray(), input.map((i) => i * i), `chunksize ${chunksize}`);
      }
      const iterator = executor.map(tasks.invert, [1, 2, 0, 4], { chunksize: 4 });
      assert.deepEqual([(await iterator.next()).value, (await iterator.next()).value], [1, 0.5], 'the items before the error are kept');
      await assert.rejects(iterator.next(), RangeError);
    });

    test('MAP-06 chunksize below 1 throws ValueError', () => {
      const executor = factory({ maxWorkers: 1 });
      for (const chunksize of [0, -1, 1.5]) {
        assert.throws(() => executor.map(tasks.square, [1], { chunksize }), (e: unknown) => e instanceof ValueError && /^chunksize must be >= 1/.test(e.message));
      }
      return executor.shutdown();
    });

    test('MAP-07 buffersize must be an integer (TypeError) and at least 1 (ValueError)', async () => {
      await using executor = factory({ maxWorkers: 1 });
      assert.throws(() => executor.map(tasks.square, [1], { buffersize: 1.5 }), (e: unknown) => e instanceof TypeError && /^buffersize must be an integer/.test(e.message));
      assert.throws(() => executor.map(tasks.square, [1], { buffersize: '2' as never }), TypeError);
      for (const buffersize of [0, -1]) {
        assert.throws(() => executor.map(tasks.square, [1], { buffersize }), (e: unknown) => e instanceof ValueError && /> 0/.test(e.message));
      }
    });

    test('MAP-07 buffersize makes an endless input safe: only that many items are pulled ahead', async () => {
      await using executor = factory({ maxWorkers: 2 });
      let pulled = 0;
      function* naturals(): Generator<number> {
        for (let i = 0; ; i++) {
          pulled++;
          yield i;
        }
      }
      const buffersize = 4;
      const seen: number[] = [];
      for await (const value of executor.map(tasks.square, naturals(), { buffersize })) {
        seen.push(value);
        assert.ok(pulled <= seen.length + buffersize, `pulled ${pulled} items for ${seen.length} results`);
        if (seen.length === 25) break;
      }
      assert.deepEqual(seen, Array.from({ length: 25 }, (_, i) => i * i));
    });

    test('MAP-07 an empty input yields nothing, with or without buffersize', async () => {
      await using executor = factory({ maxWorkers: 1 });
      assert.deepEqual(await executor.map(tasks.square, []).toArray(), []);
      assert.deepEqual(await executor.map(tasks.square, [], { buffersize: 2 }).toArray(), []);
      assert.deepEqual(await executor.starmap(tasks.add, []).toArray(), []);
    });

    test('MAP-08 a TimeoutError thrown by the task is that task\'s error, not the map deadline', async () => {
      await using executor = factory({ maxWorkers: 1 });
      const own = executor.map(tasks.throwTimeoutError, ['raised by the callable'], { timeout: 60_000 });
      await assert.rejects(own.next(), (e: unknown) => e instanceof TimeoutError && e.message === 'raised by the callable');
    });

    test('map over an input that throws yields the results before, then throws the input\'s error; the pool still works', async () => {
      await using executor = factory({ maxWorkers: 2 });
      const failure = new Error('the input broke');
      function* breaking(): Generator<number> {
        yield 1;
        yield 2;
        throw failure;
      }
      const seen: number[] = [];
      await assert.rejects(async () => {
        for await (const value of executor.map(tasks.square, breaking())) seen.push(value);
      }, (e: unknown) => e === failure);
      assert.deepEqual(seen, [1, 4]);
      async function* asyncBreaking(): AsyncGenerator<number> {
        yield 3;
        await Promise.resolve();
        throw failure;
      }
      await assert.rejects(executor.map(tasks.square, asyncBreaking()).toArray(), (e: unknown) => e === failure);
      assert.equal(await executor.submit(tasks.add, 1, 2), 3);
    });

    test('map over an async input that throws after several items runs every item taken before the error, then throws it', async () => {
      await using executor = factory({ maxWorkers: 2 });
      const failure = new Error('the input broke');
      async function* breaksAfterThree(): AsyncGenerator<number> {
        yield 0;
        yield 1;
        await Promise.resolve();
        yield 2;
        throw failure;
      }
      const seen: number[] = [];
      await assert.rejects(async () => {
        for await (const value of executor.map(tasks.square, breaksAfterThree())) seen.push(value);
      }, (e: unknown) => e === failure);
      assert.deepEqual(seen, [0, 1, 4], 'the item taken just before the error was dropped');
      const fixed: number[] = [];
      await assert.rejects(async () => {
        for await (const value of executor.map(tasks.square, breaksAfterThree(), { chunksize: 2 })) fixed.push(value);
      }, (e: unknown) => e === failure);
      assert.deepEqual(fixed, [0, 1, 4], 'with chunksize 2: the partial chunk before the error was dropped');
    });

    test('map and starmap: next() calls in flight at once settle in order, as an async generator\'s do', { timeout: 30_000 }, async () => {
      await using executor = factory({ maxWorkers: 2 });
      const input = [1, 2, 3, 4, 5];
      const iterator = executor.map(tasks.square, input, { chunksize: 1 });
      // More calls than items: the extra ones end the iteration, like an exhausted generator.
      const steps = await Promise.all(Array.from({ length: 7 }, () => iterator.next()));
      assert.deepEqual(steps, [
        ...input.map((x) => ({ done: false, value: x * x })),
        { done: true, value: undefined }, { done: true, value: undefined },
      ]);
      const star = executor.starmap(tasks.add, [[1, 2], [3, 4], [5, 6]]);
      assert.deepEqual(await Promise.all([star.next(), star.next(), star.next(), star.next()]), [
        { done: false, value: 3 }, { done: false, value: 7 }, { done: false, value: 11 }, { done: true, value: undefined },
      ]);
      // A failing item: the calls before it get their values, it gets its error, the later calls end.
      const failing = executor.map(tasks.invert, [1, 0, 2]);
      const settled = await Promise.allSettled([failing.next(), failing.next(), failing.next()]);
      assert.deepEqual(settled[0], { status: 'fulfilled', value: { done: false, value: 1 } });
      assert.equal(settled[1].status, 'rejected');
      assert.ok(settled[1].status === 'rejected' && settled[1].reason instanceof RangeError);
      assert.deepEqual(settled[2], { status: 'fulfilled', value: { done: true, value: undefined } });
    });

    test('map with an item that cannot be sent fails at its position with SerializationError', async () => {
      await using executor = factory({ maxWorkers: 1 });
      const iterator = executor.map(tasks.echo, [1, () => 2]);
      assert.deepEqual(await iterator.next(), { done: false, value: [1] });
      await assert.rejects(iterator.next(), SerializationError);
      assert.equal(await executor.submit(tasks.add, 1, 2), 3);
    });

    test('map needs an iterable', () => {
      const executor = factory({ maxWorkers: 1 });
      assert.throws(() => executor.map(tasks.square, 5 as never), TypeError);
      return executor.shutdown();
    });

    test('EXE-05 shutdown({ wait: false }) leaves a long map created before it intact: every result comes', async () => {
      const executor = factory({ maxWorkers: 1 });
      const input = Array.from({ length: 300 }, (_, i) => i);
      const results = executor.map(tasks.square, input, { chunksize: 1 });
      await executor.shutdown({ wait: false });
      assert.deepEqual(await results.toArray(), input.map((i) => i * i));
      assert.throws(() => executor.map(tasks.square, [1]), RuntimeError, 'a map created after shutdown is refused');
      await executor.shutdown();
    });

    test('EXE-10 results = executor.map(…) inside await using, read after the block: shutdown ran every call, all results come', async () => {
      const board = kind().board();
      const input = Array.from({ length: 300 }, () => [board, 0, 'x'] as [Board, number, string]);
      let results: AsyncIterableIterator<unknown> | undefined;
      {
        await using executor = factory({ maxWorkers: 2 });
        results = executor.starmap(tasks.count, input, { chunksize: 2 });
      }
      assert.equal(read(board, 0), 300, 'shutdown waited for every call of the map');
      let n = 0;
      for await (const value of results) {
        assert.equal(value, 'x');
        n++;
      }
      assert.equal(n, 300);
    });

    test('EXE-06 shutdown({ cancelFutures: true }) cancels a map\'s calls that have not started; reading it throws CancelledError', async () => {
      const board = kind().board();
      const executor = factory({ maxWorkers: 1 });
      const results = executor.starmap(tasks.count, Array.from({ length: 200 }, () => [board, 0] as [Board, number]), { chunksize: 1 });
      await executor.shutdown({ cancelFutures: true });
      assert.ok(read(board, 0) <= 1, `${read(board, 0)} calls ran after the shutdown (Python: at most the one already running)`);
      await assert.rejects(results.toArray(), CancelledError);
    });

    test('MAP-07 a map with buffersize stays lazy: after shutdown it cannot submit more and throws RuntimeError (Python 3.14)', async () => {
      const executor = factory({ maxWorkers: 1 });
      const results = executor.map(tasks.square, Array.from({ length: 100 }, (_, i) => i), { buffersize: 2, chunksize: 1 });
      await executor.shutdown({ wait: false });
      const seen: number[] = [];
      await assert.rejects(async () => {
        for await (const value of results) seen.push(value);
      }, { name: 'RuntimeError', message: 'cannot schedule new futures after shutdown' });
      assert.ok(seen.length < 100);
      assert.deepEqual(seen, seen.map((_, i) => i * i));
      await executor.shutdown();
    });
  });
}
