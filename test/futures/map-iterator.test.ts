/**
 * `MapIterator` over a backend of hand-settled futures: no workers, so each test decides exactly
 * when every chunk finishes. The pools run the same iterator (test/conformance/executor/map.ts).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Future, MapIterator } from '../../src/futures/index.js';
import type { Backend, ChunkOutcome, MapAdmission } from '../../src/core/backend.js';

/** A chunk the iterator sent: its items, and the future the test settles. */
interface SentChunk {
  readonly items: unknown[];
  readonly future: Future<ChunkOutcome>;
}

/** A backend that records each chunk and leaves it pending until the test finishes it. */
function fakeBackend(targetMs: (deadline: boolean) => number = () => 4): {
  backend: Backend; sent: SentChunk[]; finish: (at: number, map?: (x: unknown) => unknown, ms?: number) => void;
} {
  const sent: SentChunk[] = [];
  const schedule = (_fn: unknown, items: unknown[]): Future<unknown> => {
    const future = new Future<ChunkOutcome>();
    sent.push({ items, future });
    return future as Future<unknown>;
  };
  const admission: MapAdmission = { schedule, close: () => {} };
  const backend: Backend = {
    _schedule: schedule,
    _checkOpen: () => {},
    _admitMap: () => admission,
    _chunkTargetMs: targetMs,
    _timed: () => false,
    _parallelism: () => 2,
  };
  const finish = (at: number, map: (x: unknown) => unknown = (x) => x, ms = 0.01): void => {
    const chunk = sent[at];
    assert.ok(chunk !== undefined, `chunk ${at} was sent`);
    chunk.future.setResult({ values: chunk.items.map(map), errors: null, ms });
  };
  return { backend, sent, finish };
}

describe('MapIterator', () => {
  test('the automatic chunk size aims at the backend\'s target, which a map with a timeout asks for as such', async () => {
    const sizes = async (timeout: number | undefined): Promise<{ asked: boolean[]; size: number }> => {
      const asked: boolean[] = [];
      const { backend, sent, finish } = fakeBackend((deadline) => {
        asked.push(deadline);
        return deadline ? 4 : 16;
      });
      const iterator = new MapIterator<unknown>(backend, null, Array.from({ length: 100 }, (_, i) => i), { timeout });
      // The first chunks hold one item; one that took 1 ms makes the next aim at the target (growing 8× at most).
      const firstBatch = sent.length;
      finish(0, (x) => x, 1);
      await iterator.next();
      const next = sent[firstBatch];
      assert.ok(next !== undefined, 'a chunk was sent after the first finished');
      await iterator.return();
      return { asked, size: next.items.length };
    };
    assert.deepEqual(await sizes(undefined), { asked: [false], size: 8 });
    assert.deepEqual(await sizes(60_000), { asked: [true], size: 4 });
  });

  test('the results of a finished chunk are yielded while the chunk after it is still running', async () => {
    const { backend, sent, finish } = fakeBackend();
    const iterator = new MapIterator<unknown>(backend, null, [1, 2, 3, 4, 5, 6], { chunksize: 3 });
    assert.equal(sent.length, 2, 'both chunks were sent at the call');
    finish(0);
    const firstThree = [await iterator.next(), await iterator.next(), await iterator.next()];
    assert.deepEqual(firstThree.map((r) => r.value), [1, 2, 3]);
    assert.equal(sent[1]?.future.done(), false, 'the second chunk had not finished');
    const fourth = iterator.next();
    finish(1);
    assert.deepEqual(await fourth, { done: false, value: 4 });
    assert.deepEqual(await iterator.toArray(), [5, 6]);
  });

  test('next() calls in flight at once settle in call order across multi-item chunks', async () => {
    const { backend, finish } = fakeBackend();
    const iterator = new MapIterator<unknown>(backend, null, [1, 2, 3, 4, 5, 6, 7], { chunksize: 3 });
    const [early0, early1] = [iterator.next(), iterator.next()];
    finish(0);
    const first = await early0;
    // The second call is still taking its turn: a call made now must come after it.
    const third = iterator.next();
    const rest = [iterator.next(), iterator.next()];
    finish(1);
    finish(2);
    const more = Array.from({ length: 4 }, () => iterator.next());
    const values = [first, await early1, await third, ...(await Promise.all(rest)), ...(await Promise.all(more))];
    assert.deepEqual(values.map((r) => r.value), [1, 2, 3, 4, 5, 6, 7, undefined, undefined]);
    assert.deepEqual(values.map((r) => r.done), [...Array<boolean>(7).fill(false), true, true]);
  });

  test('an array input is read as its iterator would read it: items appended before the end are mapped', async () => {
    const { backend, sent, finish } = fakeBackend();
    const input = [1, 2];
    const iterator = new MapIterator<unknown>(backend, null, input, { chunksize: 2, buffersize: 2 });
    input.push(3, 4, 5);
    finish(0);
    assert.deepEqual([(await iterator.next()).value, (await iterator.next()).value], [1, 2]);
    input.push(6);
    finish(1);
    assert.deepEqual([(await iterator.next()).value, (await iterator.next()).value], [3, 4]);
    finish(2);
    assert.deepEqual(await iterator.toArray(), [5, 6]);
    assert.deepEqual(sent.map((c) => c.items), [[1, 2], [3, 4], [5, 6]]);
  });

  test('an array whose iteration was changed is iterated, not read by index', async () => {
    const { backend, finish } = fakeBackend();
    class Reversed extends Array<number> {
      override *[Symbol.iterator](): ArrayIterator<number> {
        for (let i = this.length - 1; i >= 0; i--) yield this[i] as number;
      }
    }
    const input = Reversed.from([1, 2, 3]);
    const iterator = new MapIterator<unknown>(backend, null, input, { chunksize: 3 });
    finish(0);
    assert.deepEqual(await iterator.toArray(), [3, 2, 1]);
  });

  test('booleans packed by the worker come out as booleans, and a chunk with errors keeps them per item', async () => {
    const { backend, sent } = fakeBackend();
    const iterator = new MapIterator<unknown>(backend, null, [0, 1, 2, 3], { chunksize: 2 });
    sent[0]?.future.setResult({ values: Uint8Array.from([1, 0]), bools: true, errors: null, ms: 0.01 });
    const failure = new RangeError('item 3');
    sent[1]?.future.setResult({ values: [true, null], errors: new Map([[1, failure]]), ms: 0.01 });
    assert.deepEqual([(await iterator.next()).value, (await iterator.next()).value, (await iterator.next()).value], [true, false, true]);
    await assert.rejects(iterator.next(), (e: unknown) => e === failure);
    assert.deepEqual(await iterator.next(), { done: true, value: undefined });
  });

  test('results the backend takes in when polled, at the end of each chunk, are read without waiting for the event loop', { timeout: 30_000 }, async () => {
    const { backend, sent, finish } = fakeBackend();
    let polls = 0;
    // Chunks finish only when polled: an iterator that waited for them instead would never end.
    backend._poll = () => {
      polls++;
      const next = sent.findIndex((c) => !c.future.done());
      if (next >= 0) finish(next);
      return true;
    };
    const input = Array.from({ length: 40 }, (_, i) => i);
    const iterator = new MapIterator<unknown>(backend, null, input, { chunksize: 4 });
    finish(0);
    let turned = false;
    setImmediate(() => {
      turned = true;
    });
    const seen: unknown[] = [];
    for await (const value of iterator) seen.push(value);
    assert.deepEqual(seen, input);
    assert.equal(turned, false, 'the event loop had no turn: no result was waited for');
    assert.ok(polls >= 9, `polled once per chunk (${polls})`);
  });

  test('where results come in only through the event loop, a consumer of ready results gives it a turn', async () => {
    const { backend, sent, finish } = fakeBackend();
    const input = Array.from({ length: 40 }, (_, i) => i);
    const iterator = new MapIterator<unknown>(backend, null, input, { chunksize: 4 });
    for (let i = 0; i < sent.length; i++) finish(i);
    let turnedAt: number | undefined;
    const seen: unknown[] = [];
    setImmediate(() => {
      turnedAt = seen.length;
    });
    for await (const value of iterator) {
      seen.push(value);
      // Chunks are sent as earlier ones are read: finish each as soon as it is sent.
      for (let i = 0; i < sent.length; i++) if (!(sent[i]?.future.done() ?? true)) finish(i);
    }
    assert.deepEqual(seen, input);
    assert.ok(turnedAt !== undefined && turnedAt < input.length, `the event loop had a turn before the end (at ${String(turnedAt)})`);
  });

  test('return() in the middle of a ready chunk ends the iteration at once', async () => {
    const { backend, sent, finish } = fakeBackend();
    const iterator = new MapIterator<unknown>(backend, null, [1, 2, 3, 4, 5, 6], { chunksize: 3 });
    finish(0);
    assert.equal((await iterator.next()).value, 1);
    assert.equal((await iterator.next()).value, 2);
    await iterator.return();
    assert.deepEqual(await iterator.next(), { done: true, value: undefined });
    assert.equal(sent[1]?.future.cancelled(), true, 'the chunk not finished was cancelled');
  });
});
