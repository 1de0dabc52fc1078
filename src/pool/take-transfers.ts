/**
 * Finds the `transfer()` marks among a task's arguments (a call's arguments, a map chunk's items,
 * the argument lists of a starmap chunk) and unwraps them: the worker gets the plain values, and
 * the pool the list of what the message moves.
 *
 * @module
 */
import type { TaskKind } from '../core/backend.js';
import { isTransfer } from '../transfer.js';

/** The arguments with their marks unwrapped (a new array when any was), and what they move. */
export interface Moves {
  readonly args: unknown[];
  readonly list: object[];
}

/** `undefined` when no argument is marked: the common case allocates nothing. */
export function takeTransfers(args: unknown[], kind: TaskKind): Moves | undefined {
  let out: unknown[] | undefined;
  let list: object[] | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (typeof arg !== 'object' || arg === null) continue;
    let value: unknown = arg;
    if (isTransfer(arg)) {
      (list ??= []).push(...(arg.transferList as object[]));
      value = arg.value;
    } else if (kind === 'starchunk' && Array.isArray(arg)) {
      // Each item is an argument list: its members may be marked, and the list is the caller's own.
      const inner = takeTransfers(arg, 'call');
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
