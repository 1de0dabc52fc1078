/**
 * `Pipe` and `Connection`: the PIPE rows of the checklist.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BufferTooShort, EOFError, OSError, Pipe, Process, ValueError, type Connection } from '../../src/multiprocessing/index.js';
import { assertTimeout, since } from '../helpers/timing.js';
import { tasks } from '../fixtures/multiprocessing/support.js';

describe('Pipe', () => {
  test('PIPE-01 duplex by default: both ends send and receive; null, lists and a 16 MiB payload round-trip through a child', async () => {
    const [a, b] = Pipe<unknown>();
    a.send(null);
    b.send([1, [2, 3]]);
    assert.equal(await b.recv(), null);
    assert.deepEqual(await a.recv(), [1, [2, 3]]);
    const [parent, child] = Pipe<unknown>();
    const p = new Process({ target: tasks.echoOnce, args: [child] });
    p.start();
    const big = new Uint8Array(16 * 1024 * 1024).map((_, i) => i % 251);
    parent.send(big);
    const back = await parent.recv() as Uint8Array;
    assert.equal(back.length, big.length);
    assert.equal(back[12_345_678], big[12_345_678]);
    await p.join();
  });

  test('PIPE-01 the course chapter: a child doubles 3, 4, 5 until it receives null', async () => {
    const [parentEnd, childEnd] = Pipe<number | null>();
    const p = new Process({ target: tasks.pipeDoubler, args: [childEnd] });
    p.start();
    const seen: unknown[] = [];
    for (const v of [3, 4, 5]) {
      parentEnd.send(v);
      seen.push(await parentEnd.recv());
    }
    parentEnd.send(null);
    await p.join();
    assert.deepEqual(seen, [6, 8, 10]);
  });

  test("PIPE-02 Pipe(false) gives [reader, writer]: reader.send throws OSError('connection is read-only'), writer.recv/poll 'connection is write-only'", async () => {
    const [reader, writer] = Pipe<number>(false);
    assert.throws(() => reader.send(1), (e: unknown) => e instanceof OSError && e.message === 'connection is read-only');
    await assert.rejects(writer.recv(), (e: unknown) => e instanceof OSError && e.message === 'connection is write-only');
    await assert.rejects(writer.poll(), (e: unknown) => e instanceof OSError && e.message === 'connection is write-only');
    writer.send(4);
    assert.equal(await reader.recv(), 4);
  });

  test('PIPE-03 poll() answers at once; poll(t) waits about t; poll does not consume; an empty message makes it true', async () => {
    const [a, b] = Pipe<string>();
    assert.equal(await b.poll(), false);
    const t0 = performance.now();
    assert.equal(await b.poll(200), false);
    assertTimeout(since(t0), 200, 5000);
    const waiting = b.poll(Infinity);
    a.send('x');
    assert.equal(await waiting, true);
    assert.equal(await b.poll(), true);
    assert.equal(await b.poll(), true, 'still there: poll consumed nothing');
    assert.equal(await b.recv(), 'x');
    a.sendBytes(new Uint8Array(0));
    assert.equal(await b.poll(100), true);
    assert.equal((await b.recvBytes()).length, 0);
  });

  test('PIPE-04 recv rejects with EOFError once every copy of the other end is closed and nothing is left', async () => {
    const [a, b] = Pipe<number>();
    a.send(1);
    a.close();
    assert.equal(await b.recv(), 1, 'what was sent before the close is still read');
    await assert.rejects(b.recv(), (e: unknown) => e instanceof EOFError);
    assert.equal(await b.poll(), true, 'poll is true at end-of-file: recv would not wait');
  });

  test('PIPE-04 a child that closes its end and exits gives EOFError to the parent', async () => {
    const [parent, child] = Pipe<string>();
    const p = new Process({ target: tasks.sendAndClose, args: [child, 'last words'] });
    p.start();
    child.close();
    assert.equal(await parent.recv(), 'last words');
    await assert.rejects(parent.recv(), (e: unknown) => e instanceof EOFError);
    await p.join();
  });

  test("PIPE-05 every operation on a closed connection throws OSError('handle is closed'); closed is true; using closes it", async () => {
    const [a, b] = Pipe<number>();
    a.close();
    assert.equal(a.closed, true);
    assert.throws(() => a.send(1), (e: unknown) => e instanceof OSError && e.message === 'handle is closed');
    await assert.rejects(a.recv(), (e: unknown) => e instanceof OSError && e.message === 'handle is closed');
    await assert.rejects(a.poll(), (e: unknown) => e instanceof OSError && e.message === 'handle is closed');
    let kept: Connection<number>;
    {
      using c = b;
      kept = c;
    }
    assert.equal(kept.closed, true);
  });

  test('PIPE-05 sending to a pipe whose other end is closed throws OSError (Broken pipe)', async () => {
    const [a, b] = Pipe<number>();
    b.close();
    await assert.rejects(a.recv(), (e: unknown) => e instanceof EOFError);
    assert.throws(() => a.send(1), (e: unknown) => e instanceof OSError && /Broken pipe/.test(e.message));
  });

  test('PIPE-06 messages are never merged or split: a, b, cd arrive as three; an empty message is allowed', async () => {
    const [a, b] = Pipe();
    for (const text of ['a', 'b', '', 'cd']) a.sendBytes(Buffer.from(text));
    const got: string[] = [];
    for (let i = 0; i < 4; i++) got.push((await b.recvBytes()).toString());
    assert.deepEqual(got, ['a', 'b', '', 'cd']);
  });

  test('PIPE-07 sendBytes(buf, offset, size) sends a slice; bad arguments throw ValueError with Python\'s messages', async () => {
    const [a, b] = Pipe();
    const buf = Buffer.from('abcdefgh');
    a.sendBytes(buf, 2, 3);
    a.sendBytes(buf, 6);
    assert.equal((await b.recvBytes()).toString(), 'cde');
    assert.equal((await b.recvBytes()).toString(), 'gh');
    const cases: Array<[number, number | undefined, string]> = [
      [-1, undefined, 'offset is negative'],
      [9, undefined, 'buffer length < offset'],
      [1, -1, 'size is negative'],
      [1, 8, 'buffer length < offset + size'],
    ];
    for (const [offset, size, message] of cases) {
      assert.throws(() => a.sendBytes(buf, offset, size), (e: unknown) => e instanceof ValueError && e.message === message);
    }
  });

  test("PIPE-08 recvBytesInto returns the length or throws BufferTooShort with the message; recvBytes(maxlength) throws OSError('bad message length')", async () => {
    const [a, b] = Pipe();
    a.sendBytes(Buffer.from('xy'));
    const target = new Uint8Array(10);
    assert.equal(await b.recvBytesInto(target, 3), 2);
    assert.deepEqual([...target.subarray(3, 5)], [120, 121]);
    a.sendBytes(Buffer.from('hello world'));
    await assert.rejects(b.recvBytesInto(new Uint8Array(5)),
      (e: unknown) => e instanceof BufferTooShort && Buffer.from(e.data ?? []).toString() === 'hello world');
    await assert.rejects(b.recvBytesInto(target, -1), (e: unknown) => e instanceof ValueError && e.message === 'negative offset');
    await assert.rejects(b.recvBytesInto(target, 11), (e: unknown) => e instanceof ValueError && e.message === 'offset too large');
    a.sendBytes(Buffer.from('hello world'));
    await assert.rejects(b.recvBytes(3), (e: unknown) => e instanceof OSError && e.message === 'bad message length');
  });

  test('PIPE-09 a connection passed to a child works there; the parent closes its copy at once, and gets EOFError after the child exits', async () => {
    const [parent, child] = Pipe<number | null>();
    const p = new Process({ target: tasks.pipeDoubler, args: [child] });
    p.start();
    child.close();
    parent.send(21);
    assert.equal(await parent.recv(), 42);
    parent.send(null);
    await p.join();
    await assert.rejects(parent.recv(), (e: unknown) => e instanceof EOFError);
  });

  test('recv with a timeout rejects with TimeoutError and loses nothing', async () => {
    const [a, b] = Pipe<number>();
    await assert.rejects(b.recv(50), (e: unknown) => (e as Error).name === 'TimeoutError');
    a.send(3);
    assert.equal(await b.recv(), 3);
  });
});
