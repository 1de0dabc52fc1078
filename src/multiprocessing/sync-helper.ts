/**
 * The `…Sync` forms (`acquireSync`, `getSync`, a `Value`'s `value`) of a thread that does not run
 * the broker. The thread cannot do socket I/O while it is blocked, so a small helper thread does
 * it: the caller posts the request on a MessagePort and sleeps in `Atomics.wait`; the helper sends
 * it on its own connection, and on the reply posts it back and wakes the caller, which takes it
 * with `receiveMessageOnPort`.
 *
 * ```
 *  caller thread                     helper thread                     broker
 *  post {path, header, payload} ──▶ write frame ───────────────────▶  (waits, if it must)
 *  Atomics.wait(flag, 0) …                       ◀───────────────────  reply frame
 *                                   post reply; flag = 1; notify
 *  receiveMessageOnPort ◀──
 * ```
 *
 * The helper's connection speaks for the caller (same owner key), so a lock taken with
 * `acquireSync` is the caller's to `release()`. Each request carries how many frames the caller's
 * own connection had sent; the broker runs it only after those arrived, so a blocking call never
 * overtakes a `release()` sent just before it.
 *
 * @module
 */
import { MessageChannel, Worker, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import type { Reply } from './link.js';

// Plain JavaScript: the helper needs no loader, and no module of the library.
const SOURCE = `
const { workerData } = require('node:worker_threads');
const { connect } = require('node:net');
const { port, flag, key, name } = workerData;
const signal = new Int32Array(flag);
const conns = new Map();
let nextReq = 1;

// The broker's frames (broker/frames.ts): u32 length, u8 type (0: control), u32 header length, JSON header, payload.
function frame(header, payload) {
  const text = Buffer.from(JSON.stringify(header));
  const out = Buffer.allocUnsafe(9 + text.length + payload.length);
  out.writeUInt32LE(5 + text.length + payload.length, 0);
  out[4] = 0;
  out.writeUInt32LE(text.length, 5);
  text.copy(out, 9);
  payload.copy(out, 9 + text.length);
  return out;
}

function answer(reply) {
  port.postMessage(reply);
  Atomics.store(signal, 0, 1);
  Atomics.notify(signal, 0);
}

function open(path) {
  let c = conns.get(path);
  if (c) return c;
  const socket = connect(path);
  c = { socket, buffer: Buffer.alloc(0), waiting: 0 };
  conns.set(path, c);
  socket.unref();
  socket.write(frame([0, 'hello', '', key, name, 1], Buffer.alloc(0)));
  socket.on('data', (chunk) => {
    c.buffer = c.buffer.length === 0 ? chunk : Buffer.concat([c.buffer, chunk]);
    while (c.buffer.length >= 4) {
      const total = c.buffer.readUInt32LE(0);
      if (c.buffer.length < 4 + total) break;
      if (c.buffer[4] !== 0) {
        c.buffer = c.buffer.subarray(4 + total);
        continue;
      }
      const headerBytes = c.buffer.readUInt32LE(5);
      const header = JSON.parse(c.buffer.toString('utf8', 9, 9 + headerBytes));
      const payload = Buffer.from(c.buffer.subarray(9 + headerBytes, 4 + total));
      c.buffer = c.buffer.subarray(4 + total);
      if (header[0] !== 0 && header[0] === c.waiting) {
        c.waiting = 0;
        answer({ status: header[1], value: header[2], payload });
      }
    }
  });
  socket.on('error', () => {});
  socket.on('close', () => {
    conns.delete(path);
    if (c.waiting !== 0) {
      c.waiting = 0;
      answer({ status: 1, value: ['RuntimeError', 'lost the connection to the broker at ' + path], payload: Buffer.alloc(0) });
    }
  });
  return c;
}

port.on('message', ({ path, header, payload }) => {
  const c = open(path);
  const req = nextReq++;
  c.waiting = req;
  header[0] = req;
  c.socket.write(frame(header, Buffer.from(payload)));
});
`;

interface Helper {
  readonly port: MessagePort;
  readonly flag: Int32Array;
}

let helper: Helper | undefined;

/** A blocking call not answered within this long (ms) is a real wait. */
const LONG_CALL_MS = 1;

function start(key: string, name: string): Helper {
  const { port1, port2 } = new MessageChannel();
  const flag = new Int32Array(new SharedArrayBuffer(4));
  const worker = new Worker(SOURCE, {
    eval: true,
    workerData: { port: port2, flag: flag.buffer, key, name },
    transferList: [port2],
    execArgv: [],
    stdout: true,
    stderr: true,
    resourceLimits: { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 4, stackSizeMb: 1 },
  });
  worker.unref();
  port1.unref();
  return { port: port1, flag };
}

/**
 * Sends one request through this thread's helper and blocks until the broker answers.
 *
 * @param path - the broker's socket.
 * @param header - `[0, '@', seq, op, id, …args]`: the helper fills in the request id.
 */
export function blockingCall(path: string, key: string, name: string, header: unknown[], payload: Buffer, onLong?: () => void): Reply {
  helper ??= start(key, name);
  const { port, flag } = helper;
  Atomics.store(flag, 0, 0);
  port.postMessage({ path, header, payload });
  // A call that does not come back at once is a real wait: say so (a pool worker then sends its
  // results and gives back the tasks it holds), then sleep until the helper stores 1; a spurious
  // wake-up just loops.
  if (onLong !== undefined && Atomics.wait(flag, 0, 0, LONG_CALL_MS) === 'timed-out' && Atomics.load(flag, 0) === 0) onLong();
  while (Atomics.load(flag, 0) === 0) Atomics.wait(flag, 0, 0);
  const message = receiveMessageOnPort(port);
  if (message === undefined) throw new Error('the sync helper woke the caller without a reply');
  const reply = message.message as { status: Reply['status']; value: unknown; payload: Uint8Array };
  return { status: reply.status, value: reply.value, payload: Buffer.from(reply.payload.buffer, reply.payload.byteOffset, reply.payload.byteLength) };
}
