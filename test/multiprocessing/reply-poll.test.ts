/**
 * The round-trip poll: after a thread writes while one of its channel waits is pending, it reads
 * the socket its last message came from in the same turn of the event loop (before the event loop
 * would sleep), and hands what it reads to that socket's own chunk handler, in order.
 *
 * The tests tell the poll's read from the event loop's by when the bytes arrive: a `setImmediate`
 * queued right after the write runs in the same check phase as the poll, before the event loop
 * reads its sockets again. Bytes there by then were read by the poll.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeSync } from 'node:fs';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { after, test } from 'node:test';
import { readChunks } from '../../src/multiprocessing/channel/socket-reader.js';
import { waitsChanged, wrote } from '../../src/multiprocessing/channel/reply-poll.js';
import { spinAllowed } from '../../src/sync/spin.js';
import { socketPair } from '../helpers/socket-pair.js';

const dir = mkdtempSync(join(tmpdir(), 'ct-reply-poll-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function fdOf(socket: Socket): number {
  return (socket as unknown as { _handle: { fd: number } })._handle.fd;
}

/** A connected pair: `client` read with `readChunks` (its chunks in `chunks`), `server` the peer. */
async function pair(name: string): Promise<{ client: Socket; server: Socket; chunks: string[]; stacks: number[]; next: (fn: (chunk: string) => void) => void }> {
  const { client, server: accepted } = socketPair(join(dir, name));
  const chunks: string[] = [];
  const stacks: number[] = [];
  let onNext: ((chunk: string) => void) | undefined;
  readChunks(client, (chunk) => {
    const text = chunk.toString();
    chunks.push(text);
    // The handler's own errors keep their stack, whichever path read the chunk.
    stacks.push(String(new Error('in the handler').stack).split('\n').length);
    const fn = onNext;
    onNext = undefined;
    fn?.(text);
  });
  await once(client, 'connect');
  return { client, server: await accepted, chunks, stacks, next: (fn) => (onNext = fn) };
}

/**
 * From the handler of a first chunk (the event loop's read): the peer writes `b` straight into
 * the kernel, this thread "writes" too, and a `setImmediate` records what had arrived by then.
 */
async function replyDuringTurn(name: string, waiting: boolean): Promise<{ atImmediate: string[]; all: string[]; stacks: number[] }> {
  const { client, server, chunks, stacks, next } = await pair(name);
  const atImmediate = new Promise<string[]>((resolve) => {
    next(() => {
      if (waiting) waitsChanged(1);
      writeSync(fdOf(server), 'b');
      wrote();
      setImmediate(() => {
        if (waiting) waitsChanged(-1);
        resolve([...chunks]);
      });
    });
  });
  writeSync(fdOf(server), 'a');
  const seen = await atImmediate;
  // Whichever path it took, `b` arrives once, after `a`.
  while (chunks.join('') !== 'ab') await new Promise((resolve) => setTimeout(resolve, 1));
  const all = [...chunks];
  server.end();
  await once(client, 'close');
  return { atImmediate: seen, all, stacks };
}

test('a thread that writes while it waits reads the reply in the same turn, through the socket\'s own handler', async () => {
  const { atImmediate, all, stacks } = await replyDuringTurn('spin', true);
  // One CPU: the poll would take the time from the very process it waits for, so it never runs.
  assert.deepEqual(atImmediate, spinAllowed ? ['a', 'b'] : ['a']);
  assert.deepEqual(all, ['a', 'b']);
  assert.ok(stacks.every((lines) => lines > 1), `stack lines seen by the handler: ${stacks.join(', ')}`);
});

test('with no wait pending, a write does not poll: the reply comes through the event loop', async () => {
  const { atImmediate, all } = await replyDuringTurn('idle', false);
  assert.deepEqual(atImmediate, ['a']);
  assert.deepEqual(all, ['a', 'b']);
});

test('the end of the stream found by a poll is left to the event loop: the socket still ends and closes', async () => {
  const { client, server, chunks, next } = await pair('eof');
  const ended = once(client, 'end');
  const polled = new Promise<void>((resolve) => {
    next(() => {
      waitsChanged(1);
      server.end();
      wrote();
      setImmediate(() => {
        waitsChanged(-1);
        resolve();
      });
    });
  });
  writeSync(fdOf(server), 'a');
  await polled;
  await ended;
  await once(client, 'close');
  assert.deepEqual(chunks, ['a']);
});
