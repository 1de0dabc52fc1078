/**
 * `readChunks` takes a socket's bytes from under its readable stream: every byte must still arrive,
 * in order, and the end of the stream must still close the socket.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { after, test } from 'node:test';
import { readChunks } from '../../src/multiprocessing/channel/socket-reader.js';
import { socketPair } from '../helpers/socket-pair.js';

const dir = mkdtempSync(join(tmpdir(), 'ct-reader-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('every byte arrives in order, in chunks as the socket reads them, and the end of the stream still closes the socket', async () => {
  const { client, server: accepted } = socketPair(join(dir, 'sock'));
  const chunks: Buffer[] = [];
  let emitted = 0;
  client.on('data', () => emitted++);
  readChunks(client, (chunk) => chunks.push(chunk));
  const server = await accepted;
  const sent = Buffer.alloc(3 * 1024 * 1024);
  for (let i = 0; i < sent.length; i++) sent[i] = (i * 7) % 256;
  for (let at = 0; at < sent.length; at += 100_000) server.write(sent.subarray(at, at + 100_000));
  server.end();
  await once(client, 'close');
  assert.ok(chunks.length > 1, 'the bytes came in several chunks');
  assert.equal(Buffer.compare(Buffer.concat(chunks), sent), 0);
  assert.equal(emitted, 0, 'the stream itself emitted nothing');
});
