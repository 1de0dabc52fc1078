// concurrent-ts executors, imported from the built package (dist/).
//
// The library is typed against a local view of its public contract (DESIGN.md)
// instead of its own .d.ts, so the harness type-checks and runs whether dist/ is
// built or not; a missing build or class makes the subject "n/a (not built)".

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { distSnapshot } from '../lib/paths.js';
import { NotAvailable, type PoolHandle } from '../lib/types.js';
import { primesVia, tinyVia } from './common.js';
import type * as Tasks from '../tasks.js';

interface CtFuture<T> extends PromiseLike<T> {
  result(): Promise<T>;
}

/** A task function sent as source, or a reference made by taskModule. */
type CtCallable = object;

interface CtExecutor {
  submit(fn: CtCallable, ...args: unknown[]): CtFuture<unknown>;
  map(fn: CtCallable, items: Iterable<unknown>, options?: { chunksize?: number }): AsyncIterable<unknown>;
  shutdown(options?: { wait?: boolean }): Promise<void>;
}

type CtExecutorClass = new (options: { maxWorkers: number }) => CtExecutor;

/** The export names of bench/tasks.ts: a rename there breaks the type check here. */
type TaskName = keyof typeof Tasks;

/** taskModule<typeof import('../tasks.js')>(url), as seen through the local view. */
type CtTaskModule = (url: URL) => Record<TaskName, CtCallable>;

/** Imports a file of the dist/ snapshot; NotAvailable when there is no build. */
export async function importDist(relative: string): Promise<Record<string, unknown>> {
  const file = join(distSnapshot, relative);
  if (!existsSync(file)) throw new NotAvailable(`not built (no dist/${relative}; run npm run build)`);
  try {
    return (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (error) {
    throw new NotAvailable(`not built (dist/${relative} fails to load: ${(error as Error).message.split('\n')[0]})`);
  }
}

/** The references the executors get: the compiled bench/tasks.js, imported by each worker. */
async function taskReferences(futures: Record<string, unknown>): Promise<Record<TaskName, CtCallable>> {
  // The package root re-exports every entry point; should one of them fail to
  // load, the futures entry may still carry taskModule.
  const root = await importDist('index.js').catch(() => futures);
  const taskModule = (root.taskModule ?? futures.taskModule) as CtTaskModule | undefined;
  if (typeof taskModule !== 'function') throw new NotAvailable('not built (taskModule missing)');
  return taskModule(new URL('../tasks.js', import.meta.url));
}

export async function openConcurrentTs(className: 'ThreadPoolExecutor' | 'ProcessPoolExecutor'): Promise<(workers: number) => PoolHandle> {
  const futures = await importDist('futures/index.js');
  const Executor = futures[className] as CtExecutorClass | undefined;
  if (typeof Executor !== 'function') throw new NotAvailable(`not built (${className} missing)`);
  const tasks = await taskReferences(futures);
  return (workers) => {
    const ex = new Executor({ maxWorkers: workers });
    const add = (a: number, b: number) => ex.submit(tasks.add, a, b) as CtFuture<number>;
    return {
      tiny: (n) => tinyVia(n, add),
      call: (a, b) => add(a, b).result(),
      map: async (items, chunksize) => {
        let matched = 0;
        let index = 0;
        for await (const r of ex.map(tasks.noop, items, chunksize === undefined ? {} : { chunksize })) {
          if (r === items[index++]) matched++;
        }
        return matched;
      },
      primes: (ns) => primesVia(ns, (n) => ex.submit(tasks.isPrime, n) as CtFuture<boolean>),
      spin: (us, tag) => ex.submit(tasks.spin, us, tag) as CtFuture<number>,
      spinStamped: (us) => ex.submit(tasks.spinStamped, us) as CtFuture<number>,
      close: () => ex.shutdown(),
    };
  };
}
