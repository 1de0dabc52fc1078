/**
 * How queue items and pipe messages travel between processes (`src/multiprocessing/channel/`):
 * straight from a producer to a lone consumer, through the broker otherwise, and what happens when
 * a consumer dies, a producer ends or blocks, a get times out, or an item is 64 MiB.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CONTROL, encodeFrame, FrameReader, ITEMS } from '../../src/multiprocessing/broker/frames.js';
import { decodeItems, encodeItems, frameName, packValue, unpackValue } from '../../src/multiprocessing/channel/items.js';
import { Empty, Event, Pipe, Process, Queue } from '../../src/multiprocessing/index.js';
import { tasks } from '../fixtures/multiprocessing/support.js';

type Tagged = [number, number];

/** Every `[id, i]` of `producers` producers × `count`, in a canonical order. */
function everything(producers: number, count: number): Tagged[] {
  const out: Tagged[] = [];
  for (let id = 0; id < producers; id++) for (let i = 0; i < count; i++) out.push([id, i]);
  return out;
}

function sorted(items: readonly Tagged[]): Tagged[] {
  return [...items].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
}

/** Each producer's items appear in increasing order in `taken` (one consumer's view). */
function inProducerOrder(taken: readonly Tagged[]): boolean {
  const last = new Map<number, number>();
  for (const [id, i] of taken) {
    if (i <= (last.get(id) ?? -1)) return false;
    last.set(id, i);
  }
  return true;
}

/** The 64 MiB pattern: byte i is i mod 251. */
function pattern(bytes: number): Buffer {
  const out = Buffer.allocUnsafe(bytes);
  const period = Buffer.from(Array.from({ length: 251 }, (_, i) => i));
  for (let at = 0; at < bytes; at += 251) period.copy(out, at, 0, Math.min(251, bytes - at));
  return out;
}

describe('frames of items', () => {
  test('an ITEMS frame survives any split of the stream beside control frames; numbers, strings, bytes and objects come back', () => {
    const values: unknown[] = [42.5, 'héllo', '', null, undefined, true, false, Buffer.from('raw'), new Uint8Array([1, 2]), { a: [1, { b: 'c' }] }, 7n];
    const items = values.map((v) => packValue(v, 'item'));
    const stream = Buffer.concat([encodeFrame([1, 'ack', 'q']), ...encodeItems(frameName('q.1', '12:0'), 0, items, 5, 9), encodeFrame([2, 'x', 'y'], Buffer.from('p'))]);
    for (const step of [1, 2, 3, 5, 8, 64, stream.length]) {
      const reader = new FrameReader();
      const seen: string[] = [];
      for (let at = 0; at < stream.length; at += step) {
        reader.push(stream.subarray(at, at + step));
        for (let f = reader.next(); f !== undefined; f = reader.next()) {
          if (f.type === CONTROL) {
            seen.push(`control ${JSON.stringify(f.header)} ${f.payload.toString()}`);
            continue;
          }
          assert.equal(f.type, ITEMS);
          const batch = decodeItems(f.buf, f.start, f.end);
          assert.deepEqual([batch.channel, batch.origin, batch.firstN], ['q.1', '12:0', 9]);
          assert.deepEqual(batch.items.map((i) => i.seq), values.map((_, k) => 5 + k));
          assert.deepEqual(batch.items.map((i) => unpackValue(i, (v) => v)), values);
          seen.push('items');
        }
      }
      assert.deepEqual(seen, ['control [1,"ack","q"] ', 'items', 'control [2,"x","y"] p'], `split every ${step} bytes`);
    }
  });

  test('a 64 MiB item delivered in 64 KiB chunks is reassembled whole (one buffer of its size, filled as it arrives)', () => {
    const bytes = 64 * 1024 * 1024;
    const big = pattern(bytes);
    const chunks = encodeItems(frameName('q.2', '1:0'), 0, [packValue(big, 'item')], 1, 0);
    const stream = Buffer.concat(chunks);
    const reader = new FrameReader();
    let got: Buffer | undefined;
    for (let at = 0; at < stream.length; at += 65_536) {
      reader.push(stream.subarray(at, at + 65_536));
      for (let f = reader.next(); f !== undefined; f = reader.next()) {
        assert.equal(f.type, ITEMS);
        got = unpackValue(decodeItems(f.buf, f.start, f.end).items[0] as never, (v) => v) as Buffer;
      }
    }
    assert.ok(got !== undefined);
    assert.equal(got.length, bytes);
    assert.equal(Buffer.compare(got, big), 0);
  });
});

describe('many producers and consumers', () => {
  test('3 producer and 3 consumer processes on one Queue: every item exactly once, each producer\'s items in order for each consumer', async () => {
    const producers = 3;
    const count = 3000;
    const q = new Queue<Tagged | null>();
    const results = new Queue<Tagged[]>();
    const consumers = Array.from({ length: 3 }, () => new Process({ target: tasks.collect, args: [q, results] }));
    const makers = Array.from({ length: producers }, (_, id) => new Process({ target: tasks.produceTagged, args: [q as Queue<Tagged>, id, count] }));
    for (const p of [...consumers, ...makers]) p.start();
    for (const p of makers) await p.join();
    for (const _ of consumers) await q.put(null);
    const all: Tagged[] = [];
    for (const _ of consumers) {
      const taken = await results.get();
      assert.ok(inProducerOrder(taken), 'a consumer saw a producer\'s items out of order');
      all.push(...taken);
    }
    for (const p of consumers) await p.join();
    assert.deepEqual(sorted(all), everything(producers, count));
    assert.deepEqual([...consumers, ...makers].map((p) => p.exitcode), [0, 0, 0, 0, 0, 0]);
  });

  test('a lone consumer gets straight from the producer, and a sentinel put after joining the producer comes after all its items', async () => {
    const count = 20_000;
    const q = new Queue<Tagged | null>();
    const first = new Event();
    const results = new Queue<Tagged[]>();
    const consumer = new Process({ target: tasks.collectAfterFirst, args: [q, first, results] });
    consumer.start();
    await q.put([9, 9]);
    await first.wait();
    const producer = new Process({ target: tasks.produceTagged, args: [q as Queue<Tagged>, 0, count] });
    producer.start();
    await producer.join();
    await q.put(null);
    const taken = await results.get();
    await consumer.join();
    assert.equal(taken.length, count);
    assert.ok(inProducerOrder(taken));
  });

  test('a sentinel put after a producer set an Event comes after everything it wrote before setting it', async () => {
    const count = 20_000;
    const q = new Queue<Tagged | null>();
    const first = new Event();
    const done = new Event();
    const release = new Event();
    const results = new Queue<Tagged[]>();
    const consumer = new Process({ target: tasks.collectAfterFirst, args: [q, first, results] });
    consumer.start();
    await q.put([9, 9]);
    await first.wait();
    const producer = new Process({ target: tasks.produceThenSignal, args: [q as Queue<Tagged>, 0, count, done, release] });
    producer.start();
    let taken: Tagged[];
    try {
      await done.wait();
      await q.put(null);
      taken = await results.get();
    } finally {
      release.set();
    }
    await Promise.all([consumer.join(), producer.join()]);
    assert.equal(taken.length, count);
    assert.ok(inProducerOrder(taken));
  });

  test('a second consumer that comes while the first reads: every item exactly once, in each producer\'s order for each', async () => {
    const count = 10_000;
    const q = new Queue<Tagged | null>();
    const first = new Event();
    const results = new Queue<Tagged[]>();
    const one = new Process({ target: tasks.collectAfterFirst, args: [q, first, results] });
    one.start();
    await q.put([9, 9]);
    await first.wait();
    const producer = new Process({ target: tasks.produceTagged, args: [q as Queue<Tagged>, 0, count] });
    producer.start();
    const two = new Process({ target: tasks.collect, args: [q, results] });
    two.start();
    await producer.join();
    await q.put(null);
    await q.put(null);
    const all: Tagged[] = [];
    for (const _ of [one, two]) {
      const taken = await results.get();
      assert.ok(inProducerOrder(taken));
      all.push(...taken);
    }
    await Promise.all([one.join(), two.join()]);
    assert.deepEqual(sorted(all), everything(1, count));
  });
});

describe('a consumer killed between messages', () => {
  // The consumer takes items as fast as it can (so more come ahead of its gets), reports what it
  // took, and is killed while it waits for something else. What it had received and not taken goes
  // to the front of the queue; what it took is not given again.
  for (const [name, producerAlive] of [['the producer alive', true], ['the producer already ended', false]] as const) {
    test(`loses nothing and duplicates nothing (${name})`, async () => {
      const count = 5000;
      const took = 1200;
      const q = new Queue<unknown>();
      const first = new Event();
      const never = new Event();
      const done = new Event();
      const release = new Event();
      const taken = new Queue<unknown[]>();
      const victim = new Process({ target: tasks.takeThenHangAfterFirst, args: [q, first, took, taken, never] });
      victim.start();
      await q.put('first');
      await first.wait();
      const producer = producerAlive
        ? new Process({ target: tasks.produceThenSignal, args: [q as Queue<Tagged>, 0, count, done, release] })
        : new Process({ target: tasks.produceTagged, args: [q as Queue<Tagged>, 0, count] });
      producer.start();
      let before: Tagged[];
      let after: Tagged[];
      try {
        before = (await taken.get()) as Tagged[];
        if (producerAlive) await done.wait();
        else await producer.join();
        victim.kill();
        await victim.join();
        assert.equal(victim.exitcode, -9);
        const results = new Queue<unknown[]>();
        const heir = new Process({ target: tasks.takeCount, args: [q, count - took, 30_000, results] });
        heir.start();
        after = (await results.get()) as Tagged[];
        await heir.join();
      } finally {
        release.set();
        if (victim.isAlive()) victim.kill();
      }
      await producer.join();
      assert.equal(before.length, took);
      assert.ok(inProducerOrder(before) && inProducerOrder(after));
      assert.deepEqual(sorted([...before, ...after]), everything(1, count));
      await assert.rejects(q.get({ timeout: 500 }), (e: unknown) => e instanceof Empty, 'no item was given twice');
    });
  }
});

describe('producers that block or end', () => {
  test('a producer blocked in a …Sync call has sent what it put: the consumer gets it all and wakes it', async () => {
    const q = new Queue<number>();
    const first = new Event();
    const done = new Event();
    const results = new Queue<number>();
    const consumer = new Process({ target: tasks.takeSumAndSetAfterFirst, args: [q, first, 300, results, done] });
    consumer.start();
    await q.put(0);
    await first.wait();
    const producer = new Process({ target: tasks.putThenWaitSync, args: [q, 300, done] });
    producer.start();
    assert.equal(await results.get(), (299 * 300) / 2);
    await Promise.all([consumer.join(), producer.join()]);
    assert.deepEqual([consumer.exitcode, producer.exitcode], [0, 0]);
  });

  test('a bounded queue across processes: the producer waits for room that another process frees', async () => {
    const q = new Queue<number>(2);
    const producer = new Process({ target: tasks.produce, args: [q, 0, 50] });
    producer.start();
    const got: number[] = [];
    for (let i = 0; i < 50; i++) {
      got.push(await q.get());
      assert.ok((await q.qsize()) <= 2);
    }
    await producer.join();
    assert.deepEqual(got, Array.from({ length: 50 }, (_, i) => i));
    assert.equal(producer.exitcode, 0);
  });
});

describe('get with a timeout in another process', () => {
  test('the get throws Empty after its timeout, and an item put afterwards is not lost', async () => {
    const q = new Queue<string>();
    const waiting = new Event();
    const results = new Queue<unknown>();
    const p = new Process({ target: tasks.getWithTimeout, args: [q, 300, waiting, results] });
    p.start();
    await waiting.wait();
    assert.equal(await results.get(), 'Empty');
    await q.put('late');
    assert.equal(await results.get(), 'late');
    await p.join();
  });

  test('getNowait in a child takes what the parent put before (it does not wait for items to come ahead)', async () => {
    const q = new Queue<number>();
    await q.put(1);
    await q.put(2);
    const results = new Queue<unknown[]>();
    const p = new Process({ target: tasks.takeCount, args: [q, 2, 0, results] });
    p.start();
    assert.deepEqual(await results.get(), [1, 2]);
    await p.join();
  });
});

describe('large items', () => {
  test('a 64 MiB Buffer goes to a child and comes back through two Queues, byte for byte', async () => {
    const bytes = 64 * 1024 * 1024;
    const there = new Queue<Buffer | null>();
    const back = new Queue<Buffer>();
    const p = new Process({ target: tasks.echoItems, args: [there, back] });
    p.start();
    const item = pattern(bytes);
    await there.put(item);
    const got = await back.get();
    assert.equal(got.length, bytes);
    assert.equal(Buffer.compare(got, item), 0);
    await there.put(null);
    await p.join();
  });
});

describe('round trips', () => {
  // A message sent from the handler of the one just read leaves at once; whatever the same turn
  // sends after it leaves at the end of the turn. Both ends do it (the broker's own thread, and a
  // child): the order of what one end sends must not change either way.
  test('a reply leaves at once and what the same turn sends after it follows in order, both ways', async () => {
    const [mine, theirs] = Pipe<number | null>();
    const p = new Process({ target: tasks.echoBursts, args: [theirs] });
    p.start();
    const expected = (k: number): number[] => Array.from({ length: (k % 4) + 1 }, (_, j) => k * 10 + j);
    for (let r = 0; r < 400; r += 3) {
      // One message, then three in one turn.
      mine.send(r);
      for (const want of expected(r)) assert.equal(await mine.recv(), want);
      mine.send(r + 1);
      mine.send(r + 2);
      mine.send(r + 3);
      for (const k of [r + 1, r + 2, r + 3]) for (const want of expected(k)) assert.equal(await mine.recv(), want);
    }
    mine.send(null);
    await p.join();
    assert.equal(p.exitcode, 0);
    assert.equal(await mine.poll(), false, 'nothing more came');
  });

  test('the broker\'s own thread puts straight to a lone consumer; when a second one comes, every item arrives once, in order for each', async () => {
    const count = 6000;
    const q = new Queue<Tagged | null>();
    const first = new Event();
    const results = new Queue<Tagged[]>();
    const one = new Process({ target: tasks.collectAfterFirst, args: [q, first, results] });
    one.start();
    await q.put([9, 9]);
    await first.wait();
    const two = new Process({ target: tasks.collect, args: [q, results] });
    for (let i = 0; i < count; i++) {
      if (i === count / 3) two.start();
      // Bursts of ten per turn, with turns between (each burst's first item goes at once).
      await q.put([0, i]);
      if (i % 10 === 9) await new Promise((resolve) => setImmediate(resolve));
    }
    await q.put(null);
    await q.put(null);
    const all: Tagged[] = [];
    for (let k = 0; k < 2; k++) {
      const taken = await results.get();
      assert.ok(inProducerOrder(taken));
      all.push(...taken);
    }
    await Promise.all([one.join(), two.join()]);
    assert.deepEqual(sorted(all), everything(1, count));
  });
});

describe('pipes between two children', () => {
  test('5,000 messages from one child to another, in order, then end of file once the sender closes', async () => {
    const [reader, writer] = Pipe<number>(false);
    const results = new Queue<[number, boolean]>();
    const receiver = new Process({ target: tasks.receiveAll, args: [reader, results] });
    const sender = new Process({ target: tasks.sendCount, args: [writer, 5000] });
    receiver.start();
    sender.start();
    reader.close();
    writer.close();
    assert.deepEqual(await results.get(), [5000, true]);
    await Promise.all([receiver.join(), sender.join()]);
    assert.deepEqual([receiver.exitcode, sender.exitcode], [0, 0]);
  });
});
