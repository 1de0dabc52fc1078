/**
 * Reads a socket's bytes as they arrive, without the readable stream in between.
 *
 * Node hands every chunk a socket reads to the stream's `push()`, which then buffers it, emits
 * `data` and schedules a tick to read more: about 2 µs per chunk, as much as a whole pipe message
 * costs elsewhere. A multiprocessing socket never pauses and never needs the stream's buffer (its
 * reader takes every chunk at once), so its `push()` gives data chunks straight to the reader;
 * the end of the stream (`push(null)`) still goes to the stream, so `end` and `close` come as
 * before.
 *
 * @module
 */
import type { Socket } from 'node:net';
import { delivered } from './reply-poll.js';

/** Calls `onChunk` with every chunk `socket` reads, in order, and starts reading. */
export function readChunks(socket: Socket, onChunk: (chunk: Buffer) => void): void {
  const push = socket.push.bind(socket);
  // Also the source a round trip's spin polls (reply-poll.ts), which hands what it reads to `onChunk` too.
  const source = { socket, onChunk };
  socket.push = (chunk: unknown, encoding?: BufferEncoding): boolean => {
    if (!Buffer.isBuffer(chunk) || chunk.length === 0) return push(chunk, encoding);
    delivered(source);
    onChunk(chunk);
    return true;
  };
  // Flowing mode makes the stream start its handle reading (once connected); nothing is emitted.
  socket.resume();
}
