/**
 * `transfer()` (docs/transfer.md): arguments, map items and results move to and from thread
 * workers without a copy (the sender's buffer is detached); a process pool copies them (nothing
 * detached); a task whose values moved to a worker that dies before starting it fails, saying so,
 * instead of running elsewhere without them.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { BrokenThreadPool, SerializationError } from '../../src/errors.js';
import { ProcessPoolExecutor, ThreadPoolExecutor } from '../../src/futures/index.js';
import { isTransfer, taskModule, transfer, type Transfer } from '../../src/index.js';
import { settle } from '../helpers/futures.js';
import { captureReports } from '../helpers/reporter.js';
import { bump, createBoard, waitFor } from '../helpers/signals.js';

const tasks = taskModule<typeof import('../fixtures/pool/transfer-tasks.js')>(new URL('../fixtures/pool/transfer-tasks.ts', import.meta.url));

function bytes(size: number, value: number): Uint8Array {
  return new Uint8Array(size).fill(value);
}

describe('transfer() marks', () => {
  test('finds the buffers and ports inside the value when no list is given, each once', () => {
    const a = bytes(8, 1);
    const b = new ArrayBuffer(4);
    const { port1, port2 } = new MessageChannel();
    const mark = transfer({ a, again: a, nested: [b, new DataView(b)], port: port1, shared: new SharedArrayBuffer(4) });
    assert.ok(isTransfer(mark));
    assert.deepEqual(new Set(mark.transferList), new Set([a.buffer, b, port1]));
    assert.equal(mark.transferList.length, 3);
    port1.close();
    port2.close();
  });

  test('refuses a list that is not an array, and a mark nested inside an argument', () => {
    assert.throws(() => transfer(1, 'x' as never), TypeError);
    const pool = new ThreadPoolExecutor({ maxWorkers: 1 });
    after(() => pool.shutdown());
    assert.throws(() => pool.submit(tasks.byteSum, { inner: transfer(bytes(4, 1)) } as never), (error: unknown) =>
      error instanceof SerializationError && /args\[0\]\.inner is marked with transfer\(\) inside another value/.test(error.message));
  });
});

describe('thread pool', () => {
  const pool = new ThreadPoolExecutor({ maxWorkers: 2 });
  after(() => pool.shutdown());

  test('an argument moves to the worker: the sender\'s buffer is detached, the task sees every byte', async () => {
    const data = bytes(1 << 20, 3);
    const view = new Uint8Array(data.buffer, 16, 32);
    const result = await pool.submit(tasks.byteSum, transfer(data));
    assert.deepEqual(result, { sum: 3 << 20, length: 1 << 20 });
    assert.equal(data.byteLength, 0);
    assert.equal(view.byteLength, 0);
  });

  test('an unmarked argument is copied, as before', async () => {
    const data = bytes(1024, 2);
    assert.deepEqual(await pool.submit(tasks.byteSum, data), { sum: 2048, length: 1024 });
    assert.equal(data.byteLength, 1024);
  });

  test('a result moves back: the worker\'s buffer is detached once it is sent, sync or async', async () => {
    const one = new ThreadPoolExecutor({ maxWorkers: 1 });
    try {
      // Typed as what arrives: the value inside the mark.
      const out: Uint8Array = await one.submit(tasks.filled, 1 << 20, 9);
      assert.ok(out instanceof Uint8Array);
      assert.equal(out.byteLength, 1 << 20);
      assert.equal(out[12345], 9);
      assert.equal(await one.submit(tasks.keptLength), 0);
      const later: Uint8Array = await one.submit(tasks.filledLater, 64, 4);
      assert.deepEqual([...later.subarray(0, 3)], [4, 4, 4]);
      assert.equal(await one.submit(tasks.keptLength), 0);
    } finally {
      await one.shutdown();
    }
  });

  test('map items and map results move too', async () => {
    const items = [bytes(256, 1), bytes(256, 2), bytes(256, 3)];
    const sums = await pool.map(tasks.byteSum, items.map((item) => transfer(item))).toArray();
    assert.deepEqual(sums.map((s) => s.sum), [256, 512, 768]);
    assert.ok(items.every((item) => item.byteLength === 0));
    const filled = await pool.starmap(tasks.filled, [[8, 1], [8, 2]]).toArray();
    assert.deepEqual(filled.map((f) => f[0]), [1, 2]);
    const starItems = [bytes(16, 5), bytes(16, 6)];
    const starSums = await pool.starmap(tasks.byteSum, starItems.map((item): [Transfer<Uint8Array>] => [transfer(item)])).toArray();
    assert.deepEqual(starSums.map((s) => s.sum), [80, 96]);
    assert.ok(starItems.every((item) => item.byteLength === 0));
  });

  test('a buffer already moved is refused at submit, naming the argument', async () => {
    const data = bytes(64, 1);
    await pool.submit(tasks.byteSum, transfer(data));
    const submitAny = pool.submit.bind(pool) as (...args: unknown[]) => unknown;
    assert.throws(() => submitAny(tasks.byteSum, 1, transfer(data.buffer, [data.buffer])), (error: unknown) =>
      error instanceof SerializationError && /args\[1\] moves an ArrayBuffer that was moved already/.test(error.message));
  });

  test('a list holding something that cannot move fails that task only, with SerializationError', async () => {
    const bad = pool.submit(tasks.byteSum, transfer(bytes(4, 1), [{}]));
    const fine = pool.submit(tasks.byteSum, bytes(4, 1));
    const outcome = await settle(bad);
    assert.ok(!outcome.ok && outcome.error instanceof SerializationError, String(!outcome.ok && outcome.error));
    assert.deepEqual(await fine, { sum: 4, length: 4 });
  });

  test('a moved task held by a worker that dies fails with BrokenThreadPool saying why; an unmoved one runs elsewhere', async () => {
    const reports = captureReports();
    const one = new ThreadPoolExecutor({ maxWorkers: 1 });
    try {
      const board = createBoard('shared');
      // Measured quick, the three go to the worker in one message, so two wait behind the first.
      for (let i = 0; i < 200; i++) await Promise.all([one.submit(tasks.gateThenExit, board, 0, 1, 'quick'), one.submit(tasks.byteSum, bytes(4, 1))]);
      const exiting = one.submit(tasks.gateThenExit, board, 0, 1, 'exit');
      const data = bytes(1024, 1);
      const moved = one.submit(tasks.byteSum, transfer(data));
      const copied = one.submit(tasks.byteSum, bytes(1024, 1));
      await waitFor(board, 0, 1);
      assert.equal(one.stats().workers[0]?.waiting, 2, 'both tasks wait in the worker behind the exiting one');
      bump(board, 1);
      const [a, b, c] = await Promise.all([settle(exiting), settle(moved), settle(copied)]);
      assert.ok(!a.ok && a.error instanceof BrokenThreadPool);
      assert.ok(!b.ok && b.error instanceof BrokenThreadPool, String(!b.ok && b.error));
      assert.match((b.error).message, /byteSum had not started on thread worker .* its arguments were moved to that worker with transfer\(\)/);
      assert.ok(c.ok);
      assert.deepEqual(c.value, { sum: 1024, length: 1024 });
    } finally {
      await one.shutdown();
      reports.restore();
    }
  });
});

describe('process pool', () => {
  const pool = new ProcessPoolExecutor({ maxWorkers: 1 });
  after(() => pool.shutdown());

  test('a marked argument is copied over the channel: the task gets it, the sender keeps its buffer', async () => {
    const data = bytes(1 << 16, 2);
    assert.deepEqual(await pool.submit(tasks.byteSum, transfer(data)), { sum: 2 << 16, length: 1 << 16 });
    assert.equal(data.byteLength, 1 << 16);
  });

  test('a marked result arrives as its value', async () => {
    const out: Uint8Array = await pool.submit(tasks.filled, 32, 7);
    assert.ok(out instanceof Uint8Array);
    assert.equal(out[31], 7);
  });
});
