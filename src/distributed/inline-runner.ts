/**
 * The runner of `concurrent-ts worker --inline` (`runWorker({ inline: true })`): each job's
 * function runs on the worker process's own main thread, as a plain BullMQ processor does. A job
 * costs no hop to a thread and back, which is most of what a tiny job costs a worker; in exchange
 * the main thread, where BullMQ renews its locks and the worker hears cancel requests, is shared
 * with user code:
 *
 * - **Synchronous work blocks it.** Lock renewals, cancel requests and signals wait until the
 *   function returns. A task that computes for longer than `lockDuration` loses its lock: the job
 *   is considered stalled and runs again elsewhere, and BullMQ refuses this run's late result.
 * - **A task cannot be stopped.** A cancel, a timeout or the end of a stop's grace period settles
 *   the job at once (cancelled, timed out, handed back) and drops whatever the function returns
 *   later; an `async` function goes on to its end, side effects included. A synchronous one that
 *   outlives its timeout fails with `TimeoutError` when it returns.
 * - **A crash is the worker's.** `process.exit()` or an uncaught exception in a task's callback
 *   ends the whole worker: every job it was running is run again elsewhere once its lock expires
 *   (at least once, as for any worker that dies), not only the one that crashed.
 *
 * Allowed modules are imported in this thread too, so their top-level code runs here once.
 *
 * @module
 */
import { CancelledError, TimeoutError } from '../errors.js';
import { startTimer, type Timer } from '../sync/deadline.js';
import type { ChunkOutcome, TaskKind } from '../core/backend.js';
import type { TaskRef } from '../task-ref/task-module.js';
import { callEach, isThenable, type EachOutcome } from '../worker/call-each.js';
import { exportedFunctions } from './probe.js';
import type { RunningTask, TaskRunner } from './task-runner.js';

type TaskFn = (...args: unknown[]) => unknown;

/** The frames of this file and below it in a task's stack are the worker's, not the task's. */
const OWN_FRAMES = /[/\\](inline-runner|call-each)\.[cm]?[jt]s:/;

/** Jobs on the calling thread. */
export class InlineRunner implements TaskRunner {
  readonly description = 'inline on the main thread';
  readonly #modules = new Map<string, Record<string, unknown>>();
  readonly #fns = new WeakMap<TaskRef, TaskFn>();

  async exportsOf(url: string): Promise<string[]> {
    const names = await exportedFunctions(url);
    // The same namespace the listing saw: Node caches a module per URL.
    this.#modules.set(url, await import(url) as Record<string, unknown>);
    return names;
  }

  run(ref: TaskRef, args: unknown[], kind: TaskKind, timeout: number | undefined): RunningTask {
    const fn = this.#fn(ref);
    const started = performance.now();
    let value: unknown;
    try {
      value = kind === 'call' ? fn(...args) : runChunk(fn, args, kind === 'starchunk');
    } catch (error) {
      return finished(Promise.reject(trimStack(error)));
    }
    if (!isThenable(value)) {
      const took = performance.now() - started;
      return finished(timeout !== undefined && took > timeout ? Promise.reject(lateError(ref, took, timeout)) : Promise.resolve(value));
    }
    return racing(ref, value, timeout);
  }

  close(): Promise<void> {
    // Nothing of ours to stop: a stopped task that is still running is user code on this thread.
    return Promise.resolve();
  }

  #fn(ref: TaskRef): TaskFn {
    let fn = this.#fns.get(ref);
    if (fn === undefined) {
      fn = pickExport(this.#modules.get(ref.module) ?? {}, ref);
      this.#fns.set(ref, fn);
    }
    return fn;
  }
}

/** A task that is over before `run` returns: stopping it has nothing left to stop. */
function finished(result: Promise<unknown>): RunningTask {
  return { result, stop: () => {} };
}

/** An async task: its result, or the first of a stop request and its timeout. */
function racing(ref: TaskRef, work: PromiseLike<unknown>, timeout: number | undefined): RunningTask {
  let interrupt!: (error: Error) => void;
  const interrupted = new Promise<never>((_, reject) => {
    interrupt = reject;
  });
  let timer: Timer | undefined;
  if (timeout !== undefined) {
    timer = startTimer(() => interrupt(new TimeoutError(
      `${ref.name} did not finish within ${timeout} ms; it runs inline on the worker's main thread, where it cannot be ` +
      'stopped, so it goes on to its end and its result is dropped. Run the workers without --inline to have it stopped'),
    ), timeout);
  }
  const own = Promise.resolve(work).then(undefined, (error: unknown) => {
    throw trimStack(error);
  });
  const result = Promise.race([own, interrupted]);
  if (timer !== undefined) void result.then(() => timer.clear(), () => timer.clear());
  return { result, stop: () => interrupt(new CancelledError('the task was stopped')) };
}

function lateError(ref: TaskRef, took: number, timeout: number): TimeoutError {
  return new TimeoutError(`${ref.name} ran ${Math.round(took)} ms, more than its timeout of ${timeout} ms; it runs inline on the ` +
    "worker's main thread, where synchronous code cannot be interrupted, so it failed only when it returned. " +
    'Run the workers without --inline to have it stopped at its deadline');
}

/** One function over a chunk of items, as a pool worker runs it: an item that throws fails alone. */
function runChunk(fn: TaskFn, items: readonly unknown[], star: boolean): ChunkOutcome | Promise<ChunkOutcome> {
  const out = callEach(fn, items, star, trimStack);
  return isThenable(out) ? out.then(asOutcome) : asOutcome(out);
}

/** The failed items' errors by index, their slots emptied, as a chunk's outcome carries them. */
function asOutcome({ values, failed, ms }: EachOutcome): ChunkOutcome {
  if (failed === null) return { values, errors: null, ms };
  const errors = new Map<number, unknown>();
  for (const i of failed) {
    errors.set(i, values[i]);
    values[i] = null;
  }
  return { values, errors, ms };
}

function pickExport(mod: Record<string, unknown>, ref: TaskRef): TaskFn {
  // A CommonJS module imported from ESM exposes module.exports as `default`, as the probe reads it.
  const name = ref.name;
  const own = mod[name];
  if (typeof own === 'function') return own as TaskFn;
  const fallback = mod.default;
  const value = fallback !== null && typeof fallback === 'object' ? (fallback as Record<string, unknown>)[name] : undefined;
  if (typeof value === 'function') return value as TaskFn;
  // The allow-list listed it at start-up; only a module that changes its own exports gets here.
  return () => {
    throw new TypeError(`the allowed module ${ref.module} exported a function "${name}" when the worker started, and no longer does; restart the worker`);
  };
}

/** Drops this file's frames and the worker's below them from a task's stack, as a pool worker does. */
function trimStack(error: unknown): unknown {
  if (!(error instanceof Error) || typeof error.stack !== 'string') return error;
  const lines = error.stack.split('\n');
  const cut = lines.findIndex((line, i) => i > 0 && OWN_FRAMES.test(line));
  if (cut > 0) {
    try {
      error.stack = lines.slice(0, cut).join('\n');
    } catch {
      // A frozen error keeps its stack; the caller sees a few more frames.
    }
  }
  return error;
}
