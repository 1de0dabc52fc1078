/**
 * Finds the `transfer()` marks among a task's arguments (a call's arguments, a map chunk's items,
 * the argument lists of a starmap chunk) and unwraps them: the worker gets the plain values, and
 * the pool the list of what the message moves.
 *
 * @module
 */
import type { TaskKind } from '../core/backend.js';
import { SerializationError } from '../errors.js';
import { isTransfer } from '../transfer.js';

/** The arguments with their marks unwrapped (a new array when any was), and what they move. */
export interface Moves {
  readonly args: unknown[];
  readonly list: object[];
}

/**
 * `undefined` when no argument is marked: the common case allocates nothing.
 *
 * @throws {SerializationError} for a buffer already moved away (detached): `postMessage` would
 *   send it silently empty.
 */
export function takeTransfers(args: unknown[], kind: TaskKind, path = 'args'): Moves | undefined {
  let out: unknown[] | undefined;
  let list: object[] | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (typeof arg !== 'object' || arg === null) continue;
    let value: unknown = arg;
    if (isTransfer(arg)) {
      for (const item of arg.transferList) if (detached(item)) throw new SerializationError(`${path}[${i}] moves an ArrayBuffer that was moved already (it is detached); mark a buffer that holds its data`, `${path}[${i}]`);
      (list ??= []).push(...(arg.transferList as object[]));
      value = arg.value;
    } else if (kind === 'starchunk' && Array.isArray(arg)) {
      // Each item is an argument list: its members may be marked, and the list is the caller's own.
      const inner = takeTransfers(arg, 'call', `${path}[${i}]`);
      if (inner === undefined) continue;
      (list ??= []).push(...inner.list);
      value = inner.args;
    } else {
      continue;
    }
    out ??= [...args];
    out[i] = value;
  }
  return list === undefined ? undefined : { args: out as unknown[], list };
}

/** A detached `ArrayBuffer` (its length is 0, and cloning it throws; Node 20 has no `detached`). */
function detached(item: unknown): boolean {
  if (!(item instanceof ArrayBuffer) || item.byteLength !== 0) return false;
  try {
    structuredClone(item);
    return false;
  } catch {
    return true;
  }
}
