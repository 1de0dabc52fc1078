/**
 * The wire protocol between the main side (executors, transports) and the worker side
 * (src/worker/). Both sides import this file and nothing else to talk to each other.
 *
 * ```
 *  main                                             worker (thread or process)
 *  ────                                             ──────
 *  spawn(WorkerInit) ─────────────────────────────▶ run initializer
 *                    ◀───────────────────────────── ready | init-failed
 *  run { seq, defs, tasks[id, fnId, flags, args]… } ▶ load new functions once; claim, then run, each task in order
 *                    ◀───────────────────────────── done { results[id, status, value]…, busy, pos? }
 *                    ◀───────────────────────────── giveback { from, to }  (about to block: take these back)
 *                    ◀───────────────────────────── fault { cause, running… }  (the worker is ending)
 *  halt ──────────────────────────────────────────▶ fault { cause: 'halt', running… }, exit
 *  stop ──────────────────────────────────────────▶ exit(0)
 * ```
 *
 * Tasks and results travel in flat arrays, several per message, so that a burst of tiny tasks
 * costs one message per batch and not one per task. Each task has a sequence number on its
 * worker (`seq` of its message plus its position). A thread worker *claims* a task in shared
 * memory before starting it (see `CTL_CLAIMS` in `control-block.ts`), so the main side can take back the tasks a
 * worker holds but has not started and give them to an idle worker, and knows exactly which tasks
 * a dead worker had started. A process worker, which shares no memory, tells instead how far it
 * has got (`pos`) in its messages, and brackets every task that may be long with two of them
 * (see {@link DoneMessage.solo}). Design: docs/decisions/pool-scheduling.md.
 *
 * Beside it: `control-block.ts` (the shared memory of a thread worker: claim words, counters,
 * doorbell), `chunk-values.ts` (a map chunk's result on the wire), `error-codec.ts` (errors and
 * values that hold them).
 *
 * @module
 */
import type { MessagePort } from 'node:worker_threads';
import { isWireThrown, type WireThrown } from './error-codec.js';

/** Checked at worker start-up: both sides must speak the same version. */
export const PROTOCOL_VERSION = 5;

/**
 * The descriptor, in a pool child process, of its revoker's pipe to the pool: take-back requests
 * in, the tasks taken out, one line each (`<id> <seq>,<seq>,…`), beside the IPC channel (fd 3).
 */
export const REVOKER_FD = 4;

/** How a function travels: its source text, a module reference, or a built-in's global path. */
export type WireFn =
  | { readonly kind: 'source'; readonly name: string; readonly source: string }
  | { readonly kind: 'module'; readonly name: string; readonly url: string }
  | { readonly kind: 'builtin'; readonly name: string; readonly path: string };

/** Task flags (a small bit set, the third field of each task). */
export const TASK_CALL = 0;
/** `args` is a list of items; call `fn(item)` for each and return a `WireChunk` (`chunk-values.ts`). */
export const TASK_CHUNK = 1;
/** `args` is a list of argument tuples; call `fn(...tuple)` for each. */
export const TASK_STARCHUNK = 2;
/** Mask of the two bits above. */
export const TASK_KIND_MASK = 3;
/** The arguments contain library primitives (locks, queues…) to rebuild before the call. */
export const TASK_SHARED = 4;
/** The task has a timeout: send a {@link StartedMessage} when it starts, so that the clock starts then. */
export const TASK_TIMED = 8;
/** The arguments contain errors, encoded by `encodeValue` (so they keep their class and fields): decode them first. */
export const TASK_ERRORS = 16;
/** Record when the task starts and ends, and send it with its result (someone observes the pool's tasks). */
export const TASK_SPAN = 32;
/** Run the task under the trace context of the next entry of {@link RunMessage.traces}. */
export const TASK_TRACE = 64;

/**
 * The key under which both sides measure a task's time: its function, and whether it is a plain
 * call (even) or a map chunk (odd), which take very different times.
 */
export function timingKey(fnId: number, flags: number): number {
  return (flags & TASK_KIND_MASK) === TASK_CALL ? fnId * 2 : fnId * 2 + 1;
}

/** Number of array slots one task takes in {@link RunMessage.tasks}. */
export const TASK_STRIDE = 4;
/** Number of array slots one result takes in {@link DoneMessage.results}. */
export const RESULT_STRIDE = 3;

/** Result status: the value is the return value (or a `WireChunk` for chunk tasks). */
export const STATUS_OK = 0;
/** Result status: the value is a {@link WireThrown}. */
export const STATUS_ERROR = 1;
/** Result status: as {@link STATUS_OK}, but the value contains errors encoded by `encodeValue`: decode it first. */
export const STATUS_OK_ENCODED = 2;

/** What a worker needs to start: given as `workerData` to threads, as the first message to processes. */
export interface WorkerInit {
  readonly version: number;
  readonly kind: 'thread' | 'process';
  readonly workerId: number;
  readonly name: string;
  /** Thread workers only: the control block (`control-block.ts`). */
  readonly control: SharedArrayBuffer | null;
  /** Thread workers only: the process-wide registry used by deadlock detection. */
  readonly registry: SharedArrayBuffer | null;
  /**
   * Thread workers only: the port every worker → main message goes through. Unlike the worker's
   * own `parentPort`, the main side can read it synchronously (`receiveMessageOnPort`), which is
   * what lets it pick up a reply it is spinning for without a turn of its event loop.
   */
  readonly replies: MessagePort | null;
  readonly initializer: WireFn | null;
  readonly initargs: readonly unknown[];
  /** Flags of `initargs` (TASK_SHARED when they contain primitives). */
  readonly initflags: number;
}

/** A function definition sent the first time a worker needs it. */
export type FnDef = readonly [fnId: number, fn: WireFn];

/** main → worker: run these tasks, in order. */
export interface RunMessage {
  readonly op: 'run';
  /** Sequence number of the first task; the others follow one by one. */
  readonly seq: number;
  readonly defs: readonly FnDef[] | null;
  /** Flat: `[id, fnId, flags, args, id, fnId, flags, args, …]`. */
  readonly tasks: readonly unknown[];
  /** W3C `traceparent`s of the tasks flagged {@link TASK_TRACE}, in their order. */
  readonly traces?: readonly string[];
}

/** main → worker: finish and exit. */
interface StopMessage {
  readonly op: 'stop';
}

/** main → process worker, first message only: what a thread gets as `workerData`. */
export interface InitMessage {
  readonly op: 'init';
  readonly init: WorkerInit;
}

/**
 * main → process worker: end now, but first say which tasks have started (a force-cancel of one
 * task on a worker that runs others: the others must be told apart, started or not).
 */
interface HaltMessage {
  readonly op: 'halt';
}

/** Every message the main side sends. */
export type ToWorker = RunMessage | StopMessage | HaltMessage;

/** worker → main: the initializer ran; tasks will run. */
interface ReadyMessage {
  readonly op: 'ready';
  readonly pid: number;
}

/** worker → main: the initializer threw; the pool is broken. */
interface InitFailedMessage {
  readonly op: 'init-failed';
  readonly error: WireThrown;
}

/** worker → main: results. */
export interface DoneMessage {
  readonly op: 'done';
  /** Flat: `[id, status, value, …]`. */
  readonly results: readonly unknown[];
  /** Milliseconds the worker spent running the synchronous part of these tasks. */
  readonly busy: number;
  /**
   * Measured time per task since the last message, by {@link timingKey}: `[key, ms, key, ms, …]`
   * (the mean of that key's tasks, their synchronous part). What the pool sizes its batches by.
   */
  readonly timing?: readonly number[];
  /** For tasks flagged {@link TASK_SPAN}: `[id, startMs, endMs, …]` in epoch milliseconds. */
  readonly spans?: readonly number[] | Float64Array;
  /**
   * Process workers only: every task with a sequence number below `pos` has started (or was
   * given back). Sent with every message, so the main side always knows how far the worker got.
   */
  readonly pos?: number;
  /**
   * Process workers only: task `pos - 1` starts right after this message, and the worker starts
   * nothing else before its next message. Sent before a task that may be long, so that if the
   * worker dies in it, the main side knows exactly which task was running and that the ones after
   * it never started.
   */
  readonly solo?: boolean;
  /**
   * Process workers: every task below `pos` has started (the worker is between batches): the
   * group it had announced is over.
   */
  readonly whole?: boolean;
}

/**
 * worker → main: about to block in a wait of the library. Tasks `from` to `to - 1` have not
 * started: a process worker will not start them, a thread worker lets the main side take back
 * every task it has not claimed.
 */
interface GivebackMessage {
  readonly op: 'giveback';
  readonly from: number;
  readonly to: number;
}

/**
 * worker → main: the worker is about to end, and nothing more will start on it. `running` lists
 * the tasks that had started and not finished (their results, and every earlier one, were sent
 * first); every other task it was sent never started.
 */
export interface FaultMessage {
  readonly op: 'fault';
  /** `'exit'`: a task called `process.exit()` (or killed its own process); `'error'`: an uncaught error or unhandled rejection; `'halt'`: asked to. */
  readonly cause: 'exit' | 'error' | 'halt';
  /** The exit code the worker ends with. */
  readonly code: number;
  /** The signal a task sent its own process, if that is how it ends. */
  readonly signal: string | null;
  /** What was thrown, for `'error'`. */
  readonly error: WireThrown | null;
  /** The task running synchronously when it happened, or -1. */
  readonly culprit: number;
  /** Ids of the tasks started and not finished. */
  readonly running: readonly number[];
}

/**
 * worker → main: a task flagged {@link TASK_TIMED} starts now. Its worker may have taken a while
 * to start or to import the task's module; none of that counts against the task's timeout.
 */
interface StartedMessage {
  readonly op: 'started';
  readonly taskId: number;
}

/** Every message a worker sends. */
export type FromWorker = ReadyMessage | InitFailedMessage | DoneMessage | GivebackMessage | FaultMessage | StartedMessage;

// multiprocessing/process.ts encodes a Process's arguments with the codec it imports from here.
export { encodeValue } from './error-codec.js';

/** Narrows an unknown incoming value to a message of the protocol, or returns `undefined`. */
export function asFromWorker(value: unknown): FromWorker | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const m = value as Record<string, unknown>;
  switch (m.op) {
    case 'ready': return typeof m.pid === 'number' ? (m as unknown as ReadyMessage) : undefined;
    case 'init-failed': return isWireThrown(m.error) ? (m as unknown as InitFailedMessage) : undefined;
    case 'done':
      return Array.isArray(m.results) && m.results.length % RESULT_STRIDE === 0 && isCount(m.busy)
        && (m.timing === undefined || (Array.isArray(m.timing) && m.timing.length % 2 === 0 && m.timing.every(isCount)))
        && (m.spans === undefined || Array.isArray(m.spans) || m.spans instanceof Float64Array) && (m.pos === undefined || isSeq(m.pos))
        && (m.solo === undefined || typeof m.solo === 'boolean') && (m.whole === undefined || typeof m.whole === 'boolean')
        ? (m as unknown as DoneMessage) : undefined;
    case 'giveback': return isSeq(m.from) && isSeq(m.to) && m.from <= m.to ? (m as unknown as GivebackMessage) : undefined;
    case 'fault':
      return (m.cause === 'exit' || m.cause === 'error' || m.cause === 'halt') && typeof m.code === 'number'
        && (m.signal === null || typeof m.signal === 'string') && (m.error === null || isWireThrown(m.error))
        && typeof m.culprit === 'number' && Array.isArray(m.running) && m.running.every((id) => typeof id === 'number')
        ? (m as unknown as FaultMessage) : undefined;
    case 'started': return typeof m.taskId === 'number' ? (m as unknown as StartedMessage) : undefined;
    default: return undefined;
  }
}

/** Narrows an unknown incoming value to a main → worker message, or returns `undefined`. */
export function asToWorker(value: unknown): ToWorker | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const m = value as Record<string, unknown>;
  if (m.op === 'stop') return m as unknown as StopMessage;
  if (m.op === 'halt') return m as unknown as HaltMessage;
  if (m.op !== 'run' || !isSeq(m.seq) || !Array.isArray(m.tasks) || m.tasks.length % TASK_STRIDE !== 0) return undefined;
  if (m.defs !== null && !(Array.isArray(m.defs) && m.defs.every(isFnDef))) return undefined;
  if (m.traces !== undefined && !(Array.isArray(m.traces) && m.traces.every((t) => typeof t === 'string'))) return undefined;
  return m as unknown as RunMessage;
}

/** A finite number ≥ 0 (`busy` feeds the pool's measure of task time: NaN there would stop all dispatch for good). */
function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}

function isSeq(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}

function isFnDef(value: unknown): boolean {
  return Array.isArray(value) && value.length === 2 && typeof value[0] === 'number' && isWireFn(value[1]);
}

/** `true` for a well-formed {@link WireFn}. */
function isWireFn(value: unknown): value is WireFn {
  if (typeof value !== 'object' || value === null) return false;
  const f = value as Record<string, unknown>;
  if (typeof f.name !== 'string') return false;
  switch (f.kind) {
    case 'source': return typeof f.source === 'string';
    case 'module': return typeof f.url === 'string';
    case 'builtin': return typeof f.path === 'string';
    default: return false;
  }
}
