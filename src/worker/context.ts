/**
 * Who is running this code, for the code above the synchronization layer: `isMain()` (this
 * library's `if __name__ == "__main__":`) and the refusal to start pools while a worker imports a
 * task module. The context itself is kept by `sync/current-thread.ts`, the bottom layer, and
 * re-exported here. Kept on `globalThis` under registered symbols, as the context is.
 *
 * @module
 */
import { RuntimeError } from '../errors.js';
import { currentContext } from '../sync/current-thread.js';

export { currentContext, setContext, type WorkerContext } from '../sync/current-thread.js';

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
