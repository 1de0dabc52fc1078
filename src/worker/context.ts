/**
 * Who is running this code: the program the user started, or a worker thread or child process
 * that the library started. Kept on `globalThis` under a registered symbol so that every copy of
 * the library loaded in one isolate (dist and src, two versions in node_modules) sees the same answer.
 *
 * @module
 */

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
