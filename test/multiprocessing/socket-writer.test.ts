/**
 * The writer every channel and broker connection uses. A write that fails because the peer is
 * gone must not throw away what that peer wrote before it went: a producer process that puts its
 * last items and exits at once relies on the broker reading them all (the 4 × 50,000 stress test
 * lost the tail of one producer when a reply to it failed and the broker dropped the connection).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { after, test } from 'node:test';
import { SocketWriter } from '../../src/multiprocessing/channel/socket-writer.js';

const dir = mkdtempSync(join(tmpdir(), 'ct-writer-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('a write to a peer that has gone fails quietly, and what the peer sent before is still read to the end', async () => {
  const path = join(dir, 'sock');
  const accepted = new Promise<Socket>((resolve) => {
    const server = createServer((socket) => {
      server.close();
      // Nothing is read until the peer has gone and a write to it has failed.
      socket.pause();
      resolve(socket);
    });
    server.listen(path);
  });
  const client = createConnection(path);
  await once(client, 'connect');
  const server = await accepted;
  const sent = Buffer.alloc(48 * 1024, 7);
  // As a process that exits: its data written, its socket gone without waiting for the other side.
  client.write(sent, () => client.destroy());
  await once(client, 'close');

  const writer = new SocketWriter(server);
  let closed = false;
  server.on('close', () => (closed = true));
  server.on('error', () => {});
  // The first write may land in the dead socket's buffer; a few more make the kernel refuse.
  for (let i = 0; i < 20 && !writer.broken; i++) writer.write([Buffer.alloc(64 * 1024, 1)]);
  assert.equal(writer.broken, true, 'writing to a closed peer fails');
  assert.equal(closed, false, 'the failed write left the socket open');

  const chunks: Buffer[] = [];
  server.on('data', (chunk: Buffer) => chunks.push(chunk));
  server.resume();
  if (!closed) await once(server, 'close');
  assert.equal(Buffer.concat(chunks).equals(sent), true, `read ${Buffer.concat(chunks).length} of ${sent.length} bytes`);
});
