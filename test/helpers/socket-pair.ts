/**
 * Two ends of one Unix-socket connection in this process, for tests of the multiprocessing
 * sockets' readers and writers.
 */
import { createConnection, createServer, type Socket } from 'node:net';

/**
 * Listens on `path` for one connection and connects to it. `client` is returned at once (before it
 * connects, so that a test can hook its reading first); `server`, the accepted end, once it is there.
 */
export function socketPair(path: string): { client: Socket; server: Promise<Socket> } {
  const server = new Promise<Socket>((resolve) => {
    const listener = createServer((socket) => {
      listener.close();
      resolve(socket);
    });
    listener.listen(path);
  });
  return { client: createConnection(path), server };
}
