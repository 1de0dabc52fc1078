/**
 * Round trips through a `Pipe` or `Queue` between processes: after a thread writes a message while
 * it waits for one, it polls the socket its messages come from for a few tens of microseconds
 * instead of letting its CPU halt in the event loop.
 *
 * Each message of a round trip otherwise costs the wake-up of a sleeping process, and on a virtual
 * machine that is the wake-up of a halted virtual CPU: about 50 µs, more than the rest of the
 * message. CPython pays it too (a blocking `read` on an OS pipe). A bare Node socket ping-pong
 * between two processes did ~150 µs a round trip on 2 CPUs, and ~40 µs with both sides polling
 * for up to 100 µs after each write (docs/decisions/multiprocessing-channels.md).
 *
 * A socket can only be polled with `readSync` on its descriptor, and an empty poll costs an
 * `EAGAIN` exception (about 8 µs, most of it building the error; less with no stack trace to
 * capture), so one spin is a handful of polls. What it reads goes to the socket's own chunk
 * handler, as if the event loop had read it: libuv's polling is level-triggered and never sees
 * the bytes taken here. The end of the stream and errors are left to the event loop.
 *
 * When it spins: only with more than one CPU (one CPU spinning takes the time from the process it
 * waits for), once per turn that wrote something, and only if a get, `recv` or poll of this thread
 * still waits once the turn's own work is done. It polls the socket that delivered this thread's
 * last message (in a round trip, the peer's). A message that comes late, long after its spin gave
 * up, makes later spins rarer ({@link ReplySpin}'s backoff, shared with the thread pool).
 *
 * @module
 */
import type { Socket } from 'node:net';
import { readSync } from 'node:fs';
import { ReplySpin } from '../../pool/reply-spin.js';
import { spinUntil } from '../../sync/spin.js';
import { socketFd } from './socket-fd.js';

/**
 * How long one spin polls, in milliseconds: a warm peer's answer. Longer spins caught more of a
 * fresh child's slow first messages but made them slower still (the spinning takes the cores the
 * JIT compiler needs): over 5,000 round trips with a fresh child, 0.05 ms did ~9.8k/s, 0.1 ms
 * ~8.7k/s, 0.25 ms ~6.8k/s (medians of 12–14 interleaved runs).
 */
const POLL_MS = 0.05;
/** One read takes up to this much (what a chunk of the event loop's own reads takes, at most). */
const CHUNK = 64 * 1024;

interface Source {
  readonly socket: Socket;
  readonly onChunk: (chunk: Buffer) => void;
}

/** Gets, recvs and polls of this thread's channels that wait. */
let waits = 0;
/** The socket that delivered this thread's last chunk. */
let last: Source | undefined;
let scratch: Buffer | undefined;

/** A wait of one of this thread's channels started (+1) or ended (-1). */
export function waitsChanged(delta: number): void {
  waits += delta;
}

/** `socket` (read with `readChunks`) delivered `chunk`: its messages come from there. */
export function delivered(source: Source): void {
  last = source;
  spin.replied();
}

/** This thread wrote to a socket: if it then waits for a message, the answer may be on its way. */
export function wrote(): void {
  if (last !== undefined) spin.sent(0);
}

/** Polls the last source once: `true` when it delivered something or the spin should stop. */
function poll(): boolean {
  if (waits === 0) return true;
  const source = last;
  if (source === undefined || source.socket.destroyed) return true;
  const fd = socketFd(source.socket);
  if (fd < 0) return true;
  scratch ??= Buffer.allocUnsafe(CHUNK);
  let n: number;
  // No stack trace for the empty polls' errors; restored before anything else runs, so that
  // errors made by the chunk's handler (a get's own errors) keep theirs.
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    n = readSync(fd, scratch, 0, CHUNK, null);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code !== 'EAGAIN' && code !== 'EWOULDBLOCK';
  } finally {
    Error.stackTraceLimit = limit;
  }
  // 0 is the end of the stream: unread, the event loop sees it too.
  if (n > 0) source.onChunk(Buffer.from(scratch.subarray(0, n)));
  return true;
}

/** A poll costs microseconds: the clock is read after every one. */
const spin = new ReplySpin(poll, undefined, { ms: POLL_MS, spin: (ready, ms) => spinUntil(ready, ms, 1) });
