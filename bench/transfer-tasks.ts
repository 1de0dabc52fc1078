// concurrent-ts's tasks of bench/transfer.ts: each touches the buffer it gets (so the worker
// really holds it) and returns it, moved or copied. piscina's twins are written by bench/transfer.ts.

import { transfer } from '../src/transfer.js';

function touch(buffer: ArrayBuffer): ArrayBuffer {
  const bytes = new Uint8Array(buffer);
  bytes[0] = (bytes[0] ?? 0) + 1;
  bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) + 1;
  return buffer;
}

/** concurrent-ts: the buffer goes back moved. */
export function touchMoved(buffer: ArrayBuffer): unknown {
  return transfer(touch(buffer));
}

/** The buffer goes back copied. */
export function touchCopied(buffer: ArrayBuffer): ArrayBuffer {
  return touch(buffer);
}
