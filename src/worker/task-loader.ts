/**
 * Worker side: turns a {@link WireFn} into a callable function, once per worker.
 * Source text is compiled once; modules are imported once (the import cache also serves every
 * export of the same module); built-ins are looked up by their global path.
 *
 * @module
 */
import { runInThisContext } from 'node:vm';
import type { WireFn } from '../protocol.js';
import { whileImporting } from './context.js';

/** Any function a task can call. */
export type TaskFn = (...args: unknown[]) => unknown;

// esbuild (used by tsx) keeps function names by wrapping nested functions in `__name(fn, "name")`;
// a function shipped as source text carries those calls, so the helper must exist in the worker.
const g = globalThis as { __name?: (fn: unknown, name: string) => unknown };
g.__name ??= (fn: unknown, name: string) => {
  try {
    Object.defineProperty(fn, 'name', { value: name, configurable: true });
  } catch {
    // A frozen function keeps its own name; nothing depends on it.
  }
  return fn;
};

/** Caches functions by the id the main side gave them. */
export class TaskLoader {
  readonly #fns = new Map<number, TaskFn>();
  readonly #wires = new Map<number, WireFn>();
  readonly #modules = new Map<string, Promise<Record<string, unknown>>>();

  /** Defines function `id`; returns a promise when a module must be imported first. */
  define(id: number, wire: WireFn): Promise<void> | undefined {
    this.#wires.set(id, wire);
    if (wire.kind !== 'module') {
      this.#fns.set(id, this.#resolveNow(wire));
      return undefined;
    }
    return this.load(wire).then((fn) => {
      this.#fns.set(id, fn);
    });
  }

  /** The function for `id`, or `undefined` if it was never defined. */
  get(id: number): TaskFn | undefined {
    return this.#fns.get(id);
  }

  /** How function `id` travelled. */
  wire(id: number): WireFn | undefined {
    return this.#wires.get(id);
  }

  /** Resolves a wire function; never rejects: a function that cannot load throws when called. */
  async load(wire: WireFn): Promise<TaskFn> {
    if (wire.kind !== 'module') return this.#resolveNow(wire);
    try {
      let loading = this.#modules.get(wire.url);
      if (loading === undefined) {
        const url = wire.url;
        loading = whileImporting(url, () => import(url) as Promise<Record<string, unknown>>);
        this.#modules.set(wire.url, loading);
      }
      const mod = await loading;
      const fn = pickExport(mod, wire.name);
      if (typeof fn === 'function') return fn as TaskFn;
      const available = Object.keys(mod).filter((k) => typeof mod[k] === 'function');
      return failing(new TypeError(
        `module ${wire.url} has no exported function "${wire.name}"` +
        (available.length > 0 ? ` (its exported functions: ${available.join(', ')})` : ' (it exports no function)'),
      ));
    } catch (error) {
      this.#modules.delete(wire.url);
      const reason = error instanceof Error ? error.message : String(error);
      return failing(new Error(`cannot import task module ${wire.url}: ${reason}`, { cause: error }));
    }
  }

  #resolveNow(wire: Exclude<WireFn, { kind: 'module' }> | WireFn): TaskFn {
    try {
      if (wire.kind === 'builtin') return resolveBuiltin(wire.path);
      if (wire.kind === 'source') return compile(wire.name, wire.source);
    } catch (error) {
      return failing(error);
    }
    return failing(new TypeError('module functions must be loaded with load()'));
  }
}

function pickExport(mod: Record<string, unknown>, name: string): unknown {
  if (typeof mod[name] === 'function') return mod[name];
  // A CommonJS module imported from ESM exposes module.exports as `default`.
  const fallback = mod.default as Record<string, unknown> | undefined;
  if (fallback !== null && typeof fallback === 'object' && typeof fallback[name] === 'function') return fallback[name];
  return mod[name];
}

function resolveBuiltin(path: string): TaskFn {
  let holder: unknown = globalThis;
  let owner: unknown = undefined;
  for (const part of path.split('.')) {
    owner = holder;
    holder = holder === null || holder === undefined ? undefined : (holder as Record<string, unknown>)[part];
  }
  if (typeof holder !== 'function') throw new TypeError(`the built-in ${path} does not exist in this worker`);
  const fn = holder as TaskFn;
  // console.log and friends need their namespace as `this`.
  return owner === globalThis ? fn : fn.bind(owner as object);
}

function compile(name: string, source: string): TaskFn {
  const filename = `task-source:${name}`;
  let value: unknown;
  try {
    value = runInThisContext(`(${source}\n)`, { filename });
  } catch (error) {
    if (!(error instanceof SyntaxError)) throw error;
    // Method shorthand (`isPrime(n) { … }`) is not an expression; read it back from an object literal.
    const holder = runInThisContext(`({${source}\n})`, { filename }) as Record<string, unknown>;
    const key = Object.keys(holder)[0];
    value = key === undefined ? undefined : holder[key];
  }
  if (typeof value !== 'function') throw new TypeError(`the source of "${name}" does not evaluate to a function`);
  return value as TaskFn;
}

function failing(error: unknown): TaskFn {
  return () => {
    throw error;
  };
}
