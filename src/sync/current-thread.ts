/**
 * Who is calling, as the synchronization layer needs it: the context a worker entry sets before
 * any user code runs, a numeric identity for lock ownership, a name for deadlock reports, and the
 * async task scope an `RLock` hold belongs to.
 *
 * The context is kept on `globalThis` under a registered symbol so that every copy of the library
 * loaded in one isolate (dist and src, two versions in node_modules) sees the same answer. A raw
 * `new Worker(...)` that set none would otherwise look like the main thread (ident 0) and steal
 * its lock ownership, so such a worker falls back to its own `threadId`.
 *
 * @module
 */

import { AsyncLocalStorage } from 'node:async_hooks';
import { isMainThread, threadId } from 'node:worker_threads';

/** The identity of the current thread or process, as the library sees it. */
export interface WorkerContext {
  /** `'main'` in the program the user started; otherwise the kind of worker the library started. */
  readonly kind: 'main' | 'thread' | 'process';
  /** Thread or process name: `MainThread`, `ThreadPoolExecutor-0_1`, `Process-3`… */
  readonly name: string;
  /** Numeric identity: the worker thread id, or the process id for processes. */
  readonly ident: number;
  /** Extra per-worker data a transport wants to hand to the code it runs. */
  readonly data?: Record<string, unknown>;
}

const kContext = Symbol.for('concurrent-ts.context');

type Holder = { [kContext]?: WorkerContext };

const MAIN: WorkerContext = Object.freeze({ kind: 'main', name: 'MainThread', ident: 0 });

/** The context of the current isolate; the main program's when no worker entry set one. */
export function currentContext(): WorkerContext {
  return (globalThis as Holder)[kContext] ?? MAIN;
}

/** Called once by a worker entry, before any user code is loaded. */
export function setContext(context: WorkerContext): void {
  Object.defineProperty(globalThis, kContext, { value: Object.freeze(context), configurable: true, enumerable: false });
}

/** The calling thread's identity: `ident` 0 and `MainThread` on the main thread. */
interface ThreadIdentity {
  readonly ident: number;
  readonly name: string;
}

const fallback: ThreadIdentity | undefined = isMainThread
  ? undefined
  : { ident: threadId, name: `WorkerThread-${threadId}` };

/**
 * The identity of the calling thread.
 *
 * @returns `{ ident, name }` from the worker context, or a `threadId`-based fallback in a worker
 * that set no context.
 */
export function threadIdentity(): ThreadIdentity {
  const ctx = currentContext();
  if (fallback !== undefined && ctx.kind === 'main') return fallback;
  return ctx;
}

/**
 * The calling thread's ident plus one: the value stored in shared memory, where 0 means "nobody".
 *
 * @returns a positive integer unique among the threads of this process.
 */
export function ownerToken(): number {
  const ctx = currentContext();
  if (fallback !== undefined && ctx.kind === 'main') return fallback.ident + 1;
  return ctx.ident + 1;
}

// RLock ownership is per thread, as in Python; but on one thread several async tasks interleave.
// `RLock.withLock(fn)` runs `fn` in a task scope, so that the tasks of one thread holding the
// same RLock through `withLock` exclude each other while each can still re-enter its own hold.
const taskScope = new AsyncLocalStorage<number>();
let lastTask = 0;

/**
 * The async task scope the caller runs in.
 *
 * @returns the scope's id, or 0 outside any scope (the thread itself).
 */
export function currentTask(): number {
  return taskScope.getStore() ?? 0;
}

/**
 * Runs `fn` in a task scope: the caller's, or a new one when the caller has none.
 *
 * @param fn - the function.
 * @returns what `fn` returns.
 */
export function inTaskScope<T>(fn: () => T): T {
  if (currentTask() !== 0) return fn();
  lastTask = (lastTask % 0x7ffffffe) + 1;
  return taskScope.run(lastTask, fn);
}
