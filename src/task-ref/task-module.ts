/**
 * Typed references to functions exported by a module: the way to send a function that uses
 * imports, helpers or module state to a worker. The worker imports the module itself.
 *
 * @module
 */
import { pathToFileURL } from 'node:url';
import { isAbsolute } from 'node:path';

const kTaskRef = Symbol.for('concurrent-ts.task-ref');
declare const kSignature: unique symbol;

/** Any function type. */
type AnyFunction = (...args: any[]) => any;

/**
 * A reference to the export `name` of the module at `module`, standing for a function of type `F`.
 * Accepted wherever a function is: `submit`, `map`, `Thread`, `Process`, `Pool`.
 */
export interface TaskRef<F extends AnyFunction = AnyFunction> {
  /** The module's URL (`file:` for local files). */
  readonly module: string;
  /** The export name. */
  readonly name: string;
  /** Carries the function type for inference only; never present at run time. */
  readonly [kSignature]?: F;
}

/** The typed references of a module: one {@link TaskRef} per exported function. */
export type TaskModule<M> = {
  readonly [K in keyof M as M[K] extends AnyFunction ? K : never]: M[K] extends AnyFunction ? TaskRef<M[K]> : never;
};

/** A function, or a reference to one: what executors accept. */
export type Callable<A extends unknown[], R> = ((...args: A) => R) | TaskRef<(...args: A) => R>;

/**
 * References to the exported functions of a module, typed after the module:
 *
 * ```ts
 * const tasks = taskModule<typeof import('./tasks.js')>(new URL('./tasks.js', import.meta.url));
 * const f = executor.submit(tasks.isPrime, 97); // Future<boolean>
 * ```
 *
 * Nothing is imported here; each worker imports the module the first time it needs it. Under a
 * TypeScript loader (tsx), `.ts` modules work: the loader flags are passed on to workers.
 *
 * @param url - a `file:` URL, an absolute path, or any URL the workers can `import()`.
 * @returns a proxy whose every property is a {@link TaskRef} to the export of that name.
 * @throws {TypeError} for a relative path (it would be resolved against the wrong directory).
 */
export function taskModule<M>(url: URL | string): TaskModule<M> {
  const href = normalize(url);
  const cache = new Map<string, TaskRef>();
  return new Proxy({} as TaskModule<M>, {
    get(_target, key) {
      if (typeof key !== 'string' || key === 'then') return undefined;
      let ref = cache.get(key);
      if (ref === undefined) {
        ref = makeTaskRef(href, key);
        cache.set(key, ref);
      }
      return ref;
    },
  });
}

/**
 * A reference to one export, without the module-wide proxy.
 *
 * @param url - the module: a `file:` URL, an absolute path, or any URL the workers can `import()`.
 * @param name - the export's name.
 * @returns a reference usable wherever a function is.
 * @throws {TypeError} for a relative path.
 */
export function taskRef<F extends AnyFunction>(url: URL | string, name: string): TaskRef<F> {
  return makeTaskRef(normalize(url), name) as TaskRef<F>;
}

/**
 * `true` for a {@link TaskRef} from any copy of the library.
 *
 * @param value - anything.
 */
export function isTaskRef(value: unknown): value is TaskRef {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[kTaskRef] === true;
}

function makeTaskRef(module: string, name: string): TaskRef {
  const ref = { module, name, toString: () => `${module}#${name}` };
  Object.defineProperty(ref, kTaskRef, { value: true });
  return Object.freeze(ref);
}

function normalize(url: URL | string): string {
  if (url instanceof URL) return url.href;
  if (typeof url !== 'string') throw new TypeError('taskModule() needs a URL or an absolute path');
  if (isAbsolute(url)) return pathToFileURL(url).href;
  if (url.startsWith('./') || url.startsWith('../')) {
    throw new TypeError(
      `taskModule("${url}"): a relative path would be resolved against the worker, not your module; ` +
      `pass new URL("${url}", import.meta.url) instead`,
    );
  }
  return url;
}
