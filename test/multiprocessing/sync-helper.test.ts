/**
 * The sync helper (`entries/sync-helper-entry.ts`), the thread that does the socket I/O of a
 * thread blocked in a `…Sync` call: it reads the broker's frames with `broker/frames.ts`, so a
 * malformed reply fails the blocked call with an error that says so, and the helper goes on
 * serving calls to other brokers.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Worker } from 'node:worker_threads';
import { ERR, OK } from '../../src/multiprocessing/broker/ops.js';
import { blockingCall } from '../../src/multiprocessing/sync-helper.js';

// A stand-in broker in a thread of its own (the test's thread blocks in the call): after the
// hello and one request it answers with `reply`, or with a well-formed reply to that request.
const BROKER = `
const { workerData, parentPort } = require('node:worker_threads');
const { createServer } = require('node:net');
const server = createServer((socket) => {
  let buf = Buffer.alloc(0);
  const headers = [];
  socket.on('data', (chunk) => {
    buf = Buffer.concat([buf, chunk]);
    while (buf.length >= 4 && buf.length >= 4 + buf.readUInt32LE(0)) {
      const end = 4 + buf.readUInt32LE(0);
      headers.push(JSON.parse(buf.toString('utf8', 9, 9 + buf.readUInt32LE(5))));
      buf = buf.subarray(end);
    }
    if (headers.length !== 2) return;
    if (workerData.reply !== null) return void socket.write(Buffer.from(workerData.reply));
    const text = Buffer.from(JSON.stringify([headers[1][0], 0, 'pong']));
    const out = Buffer.alloc(9 + text.length);
    out.writeUInt32LE(5 + text.length, 0);
    out.writeUInt32LE(text.length, 5);
    text.copy(out, 9);
    socket.write(out);
  });
});
server.listen(workerData.path, () => parentPort.postMessage('listening'));
`;

const brokers: Worker[] = [];
after(() => Promise.all(brokers.map((b) => b.terminate())));

async function fakeBroker(reply: Buffer | null): Promise<string> {
  const path = join(tmpdir(), `concurrent-ts-test-${process.pid}-${randomBytes(4).toString('hex')}.sock`);
  const broker = new Worker(BROKER, { eval: true, workerData: { path, reply } });
  brokers.push(broker);
  await once(broker, 'message');
  return path;
}

/** A CONTROL frame (type 0) whose header is the given text. */
function controlFrame(headerText: string): Buffer {
  const text = Buffer.from(headerText);
  const out = Buffer.alloc(9 + text.length);
  out.writeUInt32LE(5 + text.length, 0);
  out[4] = 0;
  out.writeUInt32LE(text.length, 5);
  text.copy(out, 9);
  return out;
}

function call(path: string): { status: number; value: unknown } {
  const reply = blockingCall(path, `${process.pid}:0`, 'MainProcess', [0, '@', 0, 'ping', ''], Buffer.alloc(0));
  return { status: reply.status, value: reply.value };
}

test('a malformed reply fails the blocked call with an error naming the fault, and the helper serves the next call', async () => {
  const notArray = await fakeBroker(controlFrame('{"req":1}'));
  const unknownType = await fakeBroker(Buffer.from([1, 0, 0, 0, 7]));
  const wellFormed = await fakeBroker(null);

  const first = call(notArray);
  assert.equal(first.status, ERR);
  const [name, message] = first.value as [string, string];
  assert.equal(name, 'RuntimeError');
  assert.match(message, /malformed frame came from the broker at .*the header is not an array/);

  const second = call(unknownType);
  assert.equal(second.status, ERR);
  assert.match((second.value as [string, string])[1], /malformed frame: unknown type 7/);

  assert.deepEqual(call(wellFormed), { status: OK, value: 'pong' });
});
