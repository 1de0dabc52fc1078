/**
 * The seam between the pool engine and a way of running workers. A transport starts workers and
 * moves messages; it knows nothing of futures, queues or scheduling.
 *
 * @module
 */
import type { BrokenExecutor, ErrorOptions } from '../errors.js';
import type { ToWorker, WireFn } from '../protocol.js';

/** What the pool asks a transport to start. */
export interface WorkerSpec {
  readonly workerId: number;
  readonly name: string;
  readonly initializer: WireFn | null;
  readonly initargs: readonly unknown[];
  readonly initflags: number;
}

/** How a worker ended. */
export interface WorkerExit {
  /** Exit code, or `null` when a signal ended it. */
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** An uncaught error reported before the exit, if any. */
  readonly error: Error | undefined;
  /** The last line the worker wrote to stderr, when the transport sees it (processes): often why it could not start. */
  readonly lastOutput?: string | undefined;
}

/** Events a transport delivers for one worker. */
export interface WorkerEvents {
  message(message: unknown): void;
  exit(info: WorkerExit): void;
}

/** The pool's handle on one running worker. */
export interface WorkerChannel {
  /**
   * Sends a message; throws if it cannot be cloned. `transfer` lists what the message moves
   * rather than copies (a thread's `postMessage` moves it; a process's channel copies it).
   */
  post(message: ToWorker, transfer?: readonly object[]): void;
  /** Asks an idle worker to exit. The `exit` event follows. */
  stop(): void;
  /** Ends the worker now, whatever it is doing. The `exit` event follows. */
  terminate(): void;
  /** While referenced, the worker keeps the program alive. */
  ref(): void;
  unref(): void;
  /**
   * Thread workers: the control block shared with the worker (counters, doorbell, and the claim
   * words through which the pool knows which tasks have started and takes back the others);
   * `null` for workers that share no memory with the pool (processes).
   */
  readonly control: Int32Array | null;
  /**
   * Delivers, now, the messages the worker has already sent (through the `message` event, as
   * usual) and returns whether there were any. Cheap enough to call in a spin loop when nothing
   * is waiting. Absent when a transport cannot read its messages synchronously (processes).
   */
  poll?(): boolean;
  /**
   * Process workers: asks the worker's revoker thread to take back the tasks with these sequence
   * numbers, whatever the worker's main thread is doing; `done` gets those it took (the worker
   * will skip them), never called if the worker ends first. Absent for threads (the pool swaps
   * their claim words itself).
   */
  revoke?(seqs: readonly number[], done: (taken: readonly number[]) => void): void;
  /** The worker's process id (the pool's own for threads). */
  readonly pid: number;
  /** The worker thread's id, or the process id. */
  readonly ident: number;
}

/** A way of running workers: threads, processes. */
export interface Transport {
  /** `'thread'` or `'process'`, used in messages. */
  readonly noun: string;
  /** Workers are other processes: shared memory cannot reach them. */
  readonly crossProcess: boolean;
  spawn(spec: WorkerSpec, events: WorkerEvents): WorkerChannel;
  /** The pool's own error class (`BrokenThreadPool` or `BrokenProcessPool`). */
  broken(message: string, options?: ErrorOptions): BrokenExecutor;
}
