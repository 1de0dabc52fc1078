/**
 * The sync helper thread (see `multiprocessing/sync-helper.ts`): it does the socket I/O of a
 * thread blocked in `Atomics.wait` in one of the `…Sync` forms. It speaks the broker's frames
 * through `broker/frames.ts`, so a frame the broker could not have sent (an unknown type, a header
 * that is not a JSON array) fails the blocked call with an error that says so, instead of killing
 * this thread and leaving its caller asleep for ever.
 *
 * Bundled into one file at build (`scripts/bundle-workers.mjs`): it imports nothing of the
 * library at run time, so it starts as fast as the plain script it replaces.
 *
 * @module
 */
import { connect, type Socket } from 'node:net';
import { workerData } from 'node:worker_threads';
import { CONTROL, encodeFrame, FrameReader } from '../multiprocessing/broker/frames.js';
import { ERR } from '../multiprocessing/broker/ops.js';
import type { HelperReply, HelperRequest, SyncHelperData } from '../multiprocessing/sync-helper.js';

const EMPTY = Buffer.alloc(0);

const { port, flag, key, name } = workerData as SyncHelperData;
const signal = new Int32Array(flag);

/** One connection to a broker, speaking for the blocked thread (same owner key). */
interface Connection {
  readonly socket: Socket;
  readonly reader: FrameReader;
  /** The request id the caller waits for; 0 when it waits for nothing here. */
  waiting: number;
}

const connections = new Map<string, Connection>();
let nextReq = 1;

/** Hands the reply to the caller and wakes it. */
function answer(reply: HelperReply): void {
  port.postMessage(reply);
  Atomics.store(signal, 0, 1);
  Atomics.notify(signal, 0);
}

function failWaiting(c: Connection, message: string): void {
  if (c.waiting === 0) return;
  c.waiting = 0;
  answer({ status: ERR, value: ['RuntimeError', message], payload: EMPTY });
}

function open(path: string): Connection {
  const known = connections.get(path);
  if (known !== undefined) return known;
  const socket = connect(path);
  const c: Connection = { socket, reader: new FrameReader(), waiting: 0 };
  connections.set(path, c);
  socket.unref();
  // `1`: this connection is a sync helper's (its thread is blocked while a request is pending).
  socket.write(encodeFrame([0, 'hello', '', key, name, 1]));
  socket.on('data', (chunk: Buffer) => {
    c.reader.push(chunk);
    try {
      for (let frame = c.reader.next(); frame !== undefined; frame = c.reader.next()) {
        // Items and events are for the thread's own connection; a helper only waits for replies.
        if (frame.type !== CONTROL) continue;
        const [req, status, value] = frame.header as [number, HelperReply['status'], unknown];
        if (req === 0 || req !== c.waiting) continue;
        c.waiting = 0;
        answer({ status, value, payload: frame.payload });
      }
    } catch (error) {
      failWaiting(c, `a malformed frame came from the broker at ${path} (${(error as Error).message}); the connection was dropped`);
      socket.destroy();
    }
  });
  socket.on('error', () => {});
  socket.on('close', () => {
    if (connections.get(path) === c) connections.delete(path);
    failWaiting(c, `lost the connection to the broker at ${path}`);
  });
  return c;
}

port.on('message', ({ path, header, payload }: HelperRequest) => {
  const c = open(path);
  const req = nextReq++;
  c.waiting = req;
  c.socket.write(encodeFrame([req, ...header.slice(1)], Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength)));
});
