/**
 * A socket's file descriptor, for the reads and writes the multiprocessing sockets do themselves
 * (`socket-writer.ts`, `reply-poll.ts`), outside Node's stream.
 *
 * @module
 */
import type { Socket } from 'node:net';

/** The socket's file descriptor, or -1 when Node does not expose it (not connected yet, closed, or a platform without one). */
export function socketFd(socket: Socket): number {
  return (socket as unknown as { _handle?: { fd?: number } })._handle?.fd ?? -1;
}
