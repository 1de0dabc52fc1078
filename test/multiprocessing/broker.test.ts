/**
 * The broker and the handles: the frame format, handles passed to every kind of task, the
 * blocking forms in other threads and in the broker's own thread, and object lifetimes.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ProcessPoolExecutor, ThreadPoolExecutor } from '../../src/futures/index.js';
import { CONTROL, encodeFrame, FrameReader } from '../../src/multiprocessing/broker/frames.js';
import { EOFError, Event, Lock, Manager, Pipe, Queue, RuntimeError, Value, type Connection } from '../../src/multiprocessing/index.js';
import { collected } from '../helpers/gc.js';
import { tasks } from '../fixtures/multiprocessing/support.js';

describe('frames', () => {
  test('frames survive any split of the byte stream, keep their payload whole, and allow empty payloads', () => {
    const frames = [encodeFrame([1, 'put', 'q', 0], Buffer.from('payload')), encodeFrame([2, 'get', 'q']), encodeFrame([0, 'ping', ''], Buffer.alloc(70_000, 7))];
    const stream = Buffer.concat(frames);
    for (const step of [1, 3, 7, 1000, stream.length]) {
      const reader = new FrameReader();
      const got: Array<{ header: unknown[]; size: number }> = [];
      for (let at = 0; at < stream.length; at += step) {
        reader.push(stream.subarray(at, at + step));
        for (let f = reader.next(); f !== undefined; f = reader.next()) if (f.type === CONTROL) got.push({ header: f.header, size: f.payload.length });
      }
      assert.deepEqual(got, [
        { header: [1, 'put', 'q', 0], size: 7 },
        { header: [2, 'get', 'q'], size: 0 },
        { header: [0, 'ping', ''], size: 70_000 },
      ]);
    }
  });
});

describe('handles in tasks', () => {
  for (const [name, make] of [
    ['ProcessPoolExecutor', (): ProcessPoolExecutor => new ProcessPoolExecutor({ maxWorkers: 1 })],
    ['ThreadPoolExecutor', (): ThreadPoolExecutor => new ThreadPoolExecutor({ maxWorkers: 1 })],
  ] as const) {
    test(`a Queue, Lock, Connection, Value, managed dict and Event passed to a ${name} task arrive working (blocking forms included)`, async () => {
      await using executor = make();
      await using manager = await Manager();
      const [mine, theirs] = Pipe<string>();
      const things = { q: new Queue<string>(), lock: new Lock(), conn: theirs, value: new Value('i', 41), d: manager.dict<string>(), event: new Event() };
      assert.equal(await executor.submit(tasks.useEverything, things), 'value 42');
      assert.equal(await things.q.get(), 'queue ok');
      assert.equal(await mine.recv(), 'pipe ok');
      assert.equal(await things.d.get('dict'), 'ok');
      assert.equal(things.event.isSet(), true);
      assert.equal(things.lock.locked(), false);
    });
  }
});

describe('blocking forms in the broker\'s own thread', () => {
  test('a blocking call that need not wait works; one that would have to wait throws RuntimeError instead of freezing the program', async () => {
    const lock = new Lock();
    assert.equal(lock.acquireSync(), true);
    assert.throws(() => lock.acquireSync(), (e: unknown) => e instanceof RuntimeError && /would block the thread that runs the broker/.test(e.message));
    lock.release();
    const event = new Event();
    assert.throws(() => event.waitSync(), (e: unknown) => e instanceof RuntimeError);
    assert.equal(event.waitSync(0), false);
    const value = new Value('d', 0.5);
    value.value = 1.5;
    assert.equal(value.value, 1.5);
    assert.equal(await lock.acquire(), true, 'the refused call left nothing behind');
    lock.release();
  });
});

describe('lifetimes', () => {
  test('an end of a pipe that nobody references any more is closed: the other end gets EOFError', async () => {
    const make = (): [Connection<number>, WeakRef<Connection<number>>] => {
      const [a, b] = Pipe<number>();
      return [a, new WeakRef(b)];
    };
    const [a, ref] = make();
    assert.equal(await collected(ref), true);
    await assert.rejects(a.recv(), (e: unknown) => e instanceof EOFError);
  });

  test('a handle passed to a child keeps its object alive after the parent dropped its own handle', async () => {
    await using executor = new ProcessPoolExecutor({ maxWorkers: 1 });
    const q = new Queue<number>();
    const [reader, writer] = Pipe<string>(false);
    const sent = executor.submit(tasks.sendAndClose, writer, 'sent after the parent closed its copy');
    writer.close();
    await sent;
    assert.equal(await reader.recv(), 'sent after the parent closed its copy');
    await assert.rejects(reader.recv(), (e: unknown) => e instanceof EOFError);
    await q.put(1);
    assert.equal(await q.get(), 1);
  });
});
