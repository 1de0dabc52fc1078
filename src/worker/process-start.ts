/**
 * The one message a `Process` child receives: what to run and who it is. Shared by the parent
 * (`multiprocessing/process.ts`) and the child (`process-target-entry.ts`).
 *
 * @module
 */
import type { WireFn } from '../protocol.js';

/** Checked by the child: parent and child must be the same version of the library. */
export const PROCESS_START_VERSION = 1;

/** parent → child, once, right after `fork`. */
export interface ProcessStartMessage {
  readonly op: 'start';
  readonly version: number;
  /** The child's name (`Process-1`, `Process-1:2`, or the user's). */
  readonly name: string;
  /** The child's place in the process tree: `[1]` for `Process-1`, `[1, 2]` for `Process-1:2`. */
  readonly identity: readonly number[];
  readonly daemon: boolean;
  readonly parentName: string;
  readonly parentPid: number;
  /** `null`: no target, the process does nothing. */
  readonly target: WireFn | null;
  readonly args: readonly unknown[];
  /** `TASK_SHARED` when `args` hold library handles to rebuild. */
  readonly flags: number;
}

/** What a child knows about itself, kept in its worker context's `data`. */
export interface ProcessIdentity {
  readonly identity: readonly number[];
  readonly daemon: boolean;
  readonly parentName: string;
  readonly parentPid: number;
}
