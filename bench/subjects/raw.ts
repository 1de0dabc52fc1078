// The raw floors, main side: two worker threads or two forked processes and the
// least code that moves tasks to them. Not pools (no queue, no futures, no error
// handling): they are the physical limits the library is measured against.

import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { PoolHandle } from '../lib/types.js';
import { HAND_CHUNK, countInOrder } from './common.js';
import { OP_ADD, OP_ADD_BATCH, OP_IS_PRIME, OP_NOOP_CHUNK, type RawReply, type RawRequest } from '../workers/raw-protocol.js';

/** One worker thread or child process, seen as a message pipe. */
interface Channel {
  send(message: RawRequest): void;
  onReply(listener: (reply: RawReply) => void): void;
  close(): Promise<void>;
}

function threadChannel(): Channel {
  const worker = new Worker(fileURLToPath(new URL('../workers/raw-thread-worker.js', import.meta.url)));
  return {
    send: (message) => worker.postMessage(message),
    onReply: (listener) => worker.on('message', listener),
    close: async () => {
      await worker.terminate();
    },
  };
}

function forkChannel(): Channel {
  const child: ChildProcess = fork(fileURLToPath(new URL('../workers/raw-fork-child.js', import.meta.url)), [], {
    serialization: 'advanced',
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return {
    send: (message) => {
      // send() queues in memory when the pipe is full; the floor pipelines anyway.
      child.send(message);
    },
    onReply: (listener) => child.on('message', (reply) => listener(reply as RawReply)),
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) {
          resolve();
          return;
        }
        child.once('exit', () => resolve());
        child.disconnect();
      }),
  };
}

/** Matches replies to requests by id: one resolver per request in flight. */
class Dispatcher {
  readonly #channels: Channel[];
  readonly #pending = new Map<number, (result: unknown) => void>();
  /** Tiny-task counting mode: replies only add up, no per-task promise. */
  #tally: { left: number; sum: number; done: (sum: number) => void } | undefined;
  #nextId = 0;
  #next = 0;

  constructor(channels: Channel[]) {
    this.#channels = channels;
    for (const channel of channels) channel.onReply((reply) => this.#onReply(reply));
  }

  #onReply(reply: RawReply): void {
    const tally = this.#tally;
    if (tally !== undefined && reply[0] < 0) {
      tally.sum += reply[1] as number;
      if (--tally.left === 0) {
        this.#tally = undefined;
        tally.done(tally.sum);
      }
      return;
    }
    const resolve = this.#pending.get(reply[0]);
    this.#pending.delete(reply[0]);
    resolve?.(reply[1]);
  }

  get size(): number {
    return this.#channels.length;
  }

  /** Sends to the given channel, or round-robin, and resolves with the reply. */
  request<T>(build: (id: number) => RawRequest, channel?: number): Promise<T> {
    const id = this.#nextId++;
    const target = channel ?? this.#next++ % this.#channels.length;
    return new Promise<T>((resolve) => {
      this.#pending.set(id, resolve as (result: unknown) => void);
      this.#channels[target]!.send(build(id));
    });
  }

  /**
   * The pipelined floor: n add messages posted at once, round-robin, replies
   * summed as they come. Negative ids mark tally replies.
   */
  tally(n: number): Promise<number> {
    return new Promise<number>((done) => {
      if (n === 0) {
        done(0);
        return;
      }
      this.#tally = { left: n, sum: 0, done };
      const count = this.#channels.length;
      for (let i = 0; i < n; i++) this.#channels[i % count]!.send([OP_ADD, -1 - i, i, 1]);
    });
  }

  close(): Promise<void[]> {
    return Promise.all(this.#channels.map((c) => c.close()));
  }
}

/** Splits [0, n) into `parts` contiguous ranges of near-equal length. */
function ranges(n: number, parts: number): [number, number][] {
  const out: [number, number][] = [];
  for (let p = 0; p < parts; p++) out.push([Math.floor((n * p) / parts), Math.floor((n * (p + 1)) / parts)]);
  return out;
}

/** One message per task, all posted at once (pipelined); ping-pong for single calls. */
function perMessage(dispatcher: Dispatcher): PoolHandle {
  return {
    tiny: (n) => dispatcher.tally(n),
    call: (a, b) => dispatcher.request<number>((id) => [OP_ADD, id, a, b], 0),
    map: (items, chunksize) => {
      const size = chunksize ?? HAND_CHUNK;
      const chunks: Promise<number[]>[] = [];
      for (let start = 0; start < items.length; start += size) {
        const chunk = items.slice(start, start + size);
        chunks.push(dispatcher.request<number[]>((id) => [OP_NOOP_CHUNK, id, chunk]));
      }
      return countInOrder(items, chunks);
    },
    primes: (ns) => Promise.all(ns.map((n) => dispatcher.request<boolean>((id) => [OP_IS_PRIME, id, n]))),
    close: async () => {
      await dispatcher.close();
    },
  };
}

/** One message per worker carrying all of its tasks, results back in one message. */
function batched(dispatcher: Dispatcher): PoolHandle {
  return {
    tiny: async (n) => {
      const replies = ranges(n, dispatcher.size).map(([from, to], channel) => {
        const pairs: [number, number][] = [];
        for (let i = from; i < to; i++) pairs.push([i, 1]);
        return dispatcher.request<number[]>((id) => [OP_ADD_BATCH, id, pairs], channel);
      });
      let sum = 0;
      for (const results of await Promise.all(replies)) for (const r of results) sum += r;
      return sum;
    },
    call: async (a, b) => (await dispatcher.request<number[]>((id) => [OP_ADD_BATCH, id, [[a, b]]], 0))[0]!,
    map: (items) =>
      countInOrder(
        items,
        ranges(items.length, dispatcher.size).map(([from, to], channel) => {
          const part = items.slice(from, to);
          return dispatcher.request<number[]>((id) => [OP_NOOP_CHUNK, id, part], channel);
        }),
      ),
    primes: async (ns) => {
      // Contiguous halves, as a batch would be cut without knowing each task's cost.
      // One message per number, pinned to its worker: for 80 ms tasks the message
      // count does not matter, the static split does.
      const parts = ranges(ns.length, dispatcher.size).map(([from, to], channel) =>
        Promise.all(ns.slice(from, to).map((n) => dispatcher.request<boolean>((id) => [OP_IS_PRIME, id, n], channel))),
      );
      return (await Promise.all(parts)).flat();
    },
    close: async () => {
      await dispatcher.close();
    },
  };
}

export type RawTransport = 'thread' | 'fork';
export type RawMode = 'message' | 'batch';

/** Starts `workers` raw workers; messages sent before they are up wait in their queues. */
export function startRaw(transport: RawTransport, mode: RawMode, workers: number): PoolHandle {
  const channels: Channel[] = [];
  for (let i = 0; i < workers; i++) channels.push(transport === 'thread' ? threadChannel() : forkChannel());
  const dispatcher = new Dispatcher(channels);
  return mode === 'message' ? perMessage(dispatcher) : batched(dispatcher);
}
