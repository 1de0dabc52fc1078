// The raw floors' wire format: flat arrays, the least a generic pool could send
// (an operation, an id for matching the reply, the arguments).

import * as tasks from '../tasks.js';

export const OP_ADD = 0;
export const OP_ADD_BATCH = 1;
export const OP_NOOP_CHUNK = 2;
export const OP_IS_PRIME = 3;

export type RawRequest =
  | [op: typeof OP_ADD, id: number, a: number, b: number]
  | [op: typeof OP_ADD_BATCH, id: number, pairs: [number, number][]]
  | [op: typeof OP_NOOP_CHUNK, id: number, items: number[]]
  | [op: typeof OP_IS_PRIME, id: number, n: number];

export type RawReply = [id: number, result: unknown];

/** The worker side of every raw floor, threads and processes alike. */
export function handleRaw(message: RawRequest): RawReply {
  switch (message[0]) {
    case OP_ADD:
      return [message[1], tasks.add(message[2], message[3])];
    case OP_ADD_BATCH:
      return [message[1], tasks.addBatch(message[2])];
    case OP_NOOP_CHUNK:
      return [message[1], tasks.noopChunk(message[2])];
    case OP_IS_PRIME:
      return [message[1], tasks.isPrime(message[2])];
  }
}
