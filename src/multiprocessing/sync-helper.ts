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
import { siblingUrl } from '../sibling-url.js';
import { bootstrapSource, tsxApiUrl } from '../transports/loader-flags.js';
import type { Reply } from './link.js';

/** The helper thread's program: a worker entry of the build, bundled into one file. */
const ENTRY = siblingUrl('../entries/sync-helper-entry', import.meta.url);

/** What the helper thread starts with. */
export interface SyncHelperData {
  /** Where requests arrive and replies go. */
  readonly port: MessagePort;
  /** A SharedArrayBuffer of one Int32: the helper stores 1 and notifies when a reply is posted. */
  readonly flag: SharedArrayBuffer;
  /** The blocked thread's owner key and name at the broker: the helper speaks for it. */
  readonly key: string;
  readonly name: string;
}

/** One request: the broker's socket, the frame's header (the helper sets its request id) and payload. */
export interface HelperRequest {
  readonly path: string;
  readonly header: readonly unknown[];
  readonly payload: Uint8Array;
}

/** What the helper posts back: the reply frame's status, value and payload. */
export interface HelperReply {
  readonly status: Reply['status'];
  readonly value: unknown;
  readonly payload: Uint8Array;
}

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
  const tsxApi = tsxApiUrl();
  const data: SyncHelperData = { port: port2, flag: flag.buffer, key, name };
  const worker = new Worker(tsxApi === null ? ENTRY : bootstrapSource(ENTRY, tsxApi), {
    eval: tsxApi !== null,
    workerData: data,
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
  port.postMessage({ path, header, payload } satisfies HelperRequest);
  // A call that does not come back at once is a real wait: say so (a pool worker then sends its
  // results and gives back the tasks it holds), then sleep until the helper stores 1; a spurious
  // wake-up just loops.
  if (onLong !== undefined && Atomics.wait(flag, 0, 0, LONG_CALL_MS) === 'timed-out' && Atomics.load(flag, 0) === 0) onLong();
  while (Atomics.load(flag, 0) === 0) Atomics.wait(flag, 0, 0);
  const message = receiveMessageOnPort(port);
  if (message === undefined) throw new Error('the sync helper woke the caller without a reply');
  const reply = message.message as HelperReply;
  return { status: reply.status, value: reply.value, payload: Buffer.from(reply.payload.buffer, reply.payload.byteOffset, reply.payload.byteLength) };
}
