/**
 * `Queue`, `JoinableQueue`, `SimpleQueue`: the MQ and JQ rows of the checklist.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  AssertionError, Empty, Full, JoinableQueue, Lock, Manager, Pipe, Process, Queue, SimpleQueue, ValueError,
} from '../../src/multiprocessing/index.js';
import { SerializationError } from '../../src/errors.js';
import { assertTimeout, since } from '../helpers/timing.js';
import { tasks } from '../fixtures/multiprocessing/support.js';

describe('Queue', () => {
  test('MQ-01 put and get are FIFO; maxsize bounds the queue (a put on a full queue waits for a get)', async () => {
    const q = new Queue<number>(2);
    for (const i of [1, 2]) await q.put(i);
    assert.equal(await q.full(), true);
    const blocked = q.put(3);
    let done = false;
    void blocked.then(() => (done = true));
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(done, false, 'the third put waits for room');
    assert.equal(await q.get(), 1);
    await blocked;
    assert.deepEqual([await q.get(), await q.get()], [2, 3]);
  });

  test('MQ-01 the course chapter: a child puts [x*2, x*3] and the parent gets [6, 9]', async () => {
    const q = new Queue<number[]>();
    const p = new Process({ target: tasks.double, args: [q, 3] });
    p.start();
    assert.deepEqual(await q.get(), [6, 9]);
    await p.join();
  });

  test('MQ-02 on a full queue put({ block: false }), putNowait() and put({ timeout }) throw Full; block: false ignores the timeout', async () => {
    const q = new Queue<number>(1);
    await q.put(0);
    await assert.rejects(q.put(1, { block: false }), (e: unknown) => e instanceof Full);
    await assert.rejects(q.putNowait(1), (e: unknown) => e instanceof Full);
    let t0 = performance.now();
    await assert.rejects(q.put(1, { timeout: 200 }), (e: unknown) => e instanceof Full);
    assertTimeout(since(t0), 200, 5000);
    t0 = performance.now();
    await assert.rejects(q.put(1, { block: false, timeout: 5000 }), (e: unknown) => e instanceof Full);
    assert.ok(since(t0) < 1000);
    assert.equal(await q.qsize(), 1, 'the failed puts added nothing');
  });

  test('MQ-03 on an empty queue get({ block: false }), getNowait() and get({ timeout }) throw Empty', async () => {
    const q = new Queue<number>();
    await assert.rejects(q.get({ block: false }), (e: unknown) => e instanceof Empty);
    await assert.rejects(q.getNowait(), (e: unknown) => e instanceof Empty);
    const t0 = performance.now();
    await assert.rejects(q.get({ timeout: 200 }), (e: unknown) => e instanceof Empty);
    assertTimeout(since(t0), 200, 5000);
    const t1 = performance.now();
    await assert.rejects(q.get(150), (e: unknown) => e instanceof Empty, 'a bare number is the timeout');
    assertTimeout(since(t1), 150, 5000);
  });

  test('MQ-01 a consumer process gets what the parent puts, in order, until a sentinel', async () => {
    const q = new Queue<number>();
    const results = new Queue<[number, number]>();
    const p = new Process({ target: tasks.consume, args: [q, results] });
    p.start();
    await q.put(5);
    await q.put(null as never);
    assert.deepEqual(await results.get(), [1, 5]);
    await p.join();
  });

  test('MQ-04 qsize(), empty() and full() are exact', async () => {
    const q = new Queue<number>(3);
    assert.deepEqual([await q.qsize(), await q.empty(), await q.full()], [0, true, false]);
    for (const i of [1, 2, 3]) await q.put(i);
    assert.deepEqual([await q.qsize(), await q.empty(), await q.full()], [3, false, true]);
    await q.get();
    assert.equal(await q.qsize(), 2);
  });

  test("MQ-05 after close(), put and get throw ValueError('Queue … is closed'); joinThread before close throws AssertionError", async () => {
    const q = new Queue<number>();
    await assert.rejects(q.joinThread(), (e: unknown) => e instanceof AssertionError && /not closed/.test(e.message));
    await q.put(1);
    q.close();
    q.close();
    await assert.rejects(q.put(2), (e: unknown) => e instanceof ValueError && /^Queue <Queue .*> is closed$/.test(e.message));
    await assert.rejects(q.get(), (e: unknown) => e instanceof ValueError && /is closed$/.test(e.message));
    await q.joinThread();
  });

  test('MQ-06 items put by the parent and by two children all arrive, and each producer\'s order is kept', async () => {
    const q = new Queue<number>();
    const children = [1000, 2000].map((base) => new Process({ target: tasks.produce, args: [q, base, 200] }));
    for (const c of children) c.start();
    for (let i = 0; i < 200; i++) await q.put(i);
    const seen: number[] = [];
    for (let i = 0; i < 600; i++) seen.push(await q.get());
    for (const c of children) await c.join();
    for (const base of [0, 1000, 2000]) {
      const mine = seen.filter((x) => x >= base && x < base + 1000);
      assert.deepEqual(mine, Array.from({ length: 200 }, (_, i) => base + i), `producer ${base} in order, all there`);
    }
    assert.equal(await q.empty(), true);
  });

  test('MQ-07 an item that cannot be sent makes put throw at once (SerializationError); the queue and its count are unharmed', async () => {
    const q = new Queue<unknown>(2);
    await q.put('a');
    await assert.rejects(q.put({ callback: () => 1 }), (e: unknown) => e instanceof SerializationError && /item\.callback/.test(e.message));
    await q.put('b');
    assert.equal(await q.full(), true);
    assert.deepEqual([await q.get(), await q.get()], ['a', 'b']);
  });

  test('MQ-08 a negative timeout is a ValueError (Python would not block; the project refuses it)', async () => {
    const q = new Queue<number>();
    await assert.rejects(q.get({ timeout: -1 }), (e: unknown) => e instanceof ValueError);
    await assert.rejects(q.put(1, { timeout: -1 }), (e: unknown) => e instanceof ValueError);
  });

  test('MQ-09 SimpleQueue: empty, put, get; close twice is fine', async () => {
    const q = new SimpleQueue<string>();
    assert.equal(await q.empty(), true);
    await q.put('x');
    assert.equal(await q.empty(), false);
    assert.equal(await q.get(), 'x');
    q.close();
    q.close();
  });

  test('items are copied at put; handles inside an item arrive working (a Connection, a Lock through a queue)', async () => {
    const q = new Queue<{ list: number[]; conn?: unknown }>();
    const item = { list: [1, 2] };
    await q.put(item);
    item.list.push(3);
    assert.deepEqual((await q.get()).list, [1, 2]);
    const [a, b] = Pipe<string>();
    const carrier = new Queue<{ end: typeof b; lock: Lock }>();
    const lock = new Lock();
    await carrier.put({ end: b, lock });
    const got = await carrier.get();
    got.end.send('through the queue');
    assert.equal(await a.recv(), 'through the queue');
    assert.equal(await got.lock.acquire({ blocking: false }), true);
    assert.equal(lock.locked(), true, 'the same lock, not a copy');
    got.lock.release();
  });

  test('an aborted get takes nothing: the next get gets the item', async () => {
    const q = new Queue<number>();
    const controller = new AbortController();
    const waiting = q.get({ signal: controller.signal });
    controller.abort(new Error('stop'));
    await assert.rejects(waiting, /stop/);
    await q.put(9);
    assert.equal(await q.get(), 9);
  });
});

describe('JoinableQueue', () => {
  test("JQ-01 taskDone() more times than items were put throws ValueError('task_done() called too many times')", async () => {
    const q = new JoinableQueue<number>();
    await assert.rejects(q.taskDone(), (e: unknown) => e instanceof ValueError && e.message === 'task_done() called too many times');
    await q.put(1);
    await q.get();
    await q.taskDone();
    await assert.rejects(q.taskDone(), (e: unknown) => e instanceof ValueError);
  });

  test('JQ-02 join() returns once every item has been marked done, with several consumer processes', async () => {
    const q = new JoinableQueue<number>();
    const consumers = [0, 1].map(() => new Process({ target: tasks.consumeAndAck, args: [q, 10] }));
    for (const c of consumers) c.start();
    for (let i = 0; i < 20; i++) await q.put(i);
    await q.join();
    assert.equal(await q.qsize(), 0);
    for (const c of consumers) await c.join();
    assert.deepEqual(consumers.map((c) => c.exitcode), [0, 0]);
  });

  test('JQ-03 manager queues: qsize, full, empty, FIFO get, and the same ValueError for an extra taskDone', async () => {
    await using manager = await Manager();
    const q = manager.Queue<number>(2);
    const jq = manager.JoinableQueue<number>();
    await q.put(1);
    await q.put(2);
    assert.deepEqual([await q.qsize(), await q.full(), await q.empty()], [2, true, false]);
    assert.deepEqual([await q.get(), await q.get()], [1, 2]);
    await jq.put(5);
    assert.equal(await jq.get(), 5);
    await jq.taskDone();
    await assert.rejects(jq.taskDone(), (e: unknown) => e instanceof ValueError && e.message === 'task_done() called too many times');
  });
});
