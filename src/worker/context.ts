/**
 * Who is running this code: the program the user started, or a worker thread or child process
 * that the library started. Kept on `globalThis` under a registered symbol so that every copy of
 * the library loaded in one isolate (dist and src, two versions in node_modules) sees the same answer.
 *
 * @module
 */
import { RuntimeError } from '../errors.js';

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

/** The context of the current isolate; the main program's when no worker runtime set one. */
export function currentContext(): WorkerContext {
  const held = (globalThis as Holder)[kContext];
  if (held !== undefined) return held;
  const main: WorkerContext = { kind: 'main', name: 'MainThread', ident: 0 };
  return main;
}

/** Called once by a worker entry, before any user code is loaded. */
export function setContext(context: WorkerContext): void {
  Object.defineProperty(globalThis, kContext, { value: Object.freeze(context), configurable: true, enumerable: false });
}

/**
 * `true` only in the program the user started, `false` inside every worker thread or child
 * process the library starts: the `if __name__ == "__main__"` of this library.
 *
 * @example
 * ```ts
 * if (isMain()) {
 *   await using pool = new ProcessPoolExecutor();
 *   console.log(await pool.submit(tasks.isPrime, 97));
 * }
 * ```
 */
export function isMain(): boolean {
  return currentContext().kind === 'main';
}

const kImporting = Symbol.for('concurrent-ts.importing');

type ImportHolder = { [kImporting]?: string[] };

/**
 * Runs while a worker imports a task module: `load` is the import. Executors and processes
 * created meanwhile are refused (see {@link refuseWhileImporting}).
 */
export function whileImporting<T>(url: string, load: () => Promise<T>): Promise<T> {
  const holder = globalThis as ImportHolder;
  const importing = (holder[kImporting] ??= []);
  importing.push(url);
  const done = (): void => {
    const at = importing.indexOf(url);
    if (at >= 0) importing.splice(at, 1);
  };
  let loading: Promise<T>;
  try {
    loading = load();
  } catch (error) {
    done();
    throw error;
  }
  return loading.finally(done);
}

/**
 * Throws when a worker that is importing a task module starts a pool or a process: the module
 * does so at its top level, so each worker that imports it would start another, without end
 * (Python raises the same error when a child re-runs an unguarded main module).
 *
 * @param what - what was about to start, for the message (`'ThreadPoolExecutor'`…).
 */
export function refuseWhileImporting(what: string): void {
  if (currentContext().kind === 'main') return;
  const importing = (globalThis as ImportHolder)[kImporting];
  if (importing === undefined || importing.length === 0) return;
  throw new RuntimeError(
    `An attempt has been made to start a new ${what} in a ${currentContext().kind} worker while it imports the task module ` +
    `${importing[importing.length - 1] ?? ''}. That module starts it at its top level, so every worker that imports the module ` +
    'would start another, without end. Guard the code that starts pools or processes with isMain(): ' +
    "`if (isMain()) { … }` is this library's `if __name__ == '__main__':`.");
}
