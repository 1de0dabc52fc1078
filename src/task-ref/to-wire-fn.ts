/**
 * How a function becomes something a worker can run ("How a function reaches a worker" in the
 * README and docs/guide.md): a task reference travels as module + export; a built-in reachable
 * from `globalThis` travels by its path (`Math.abs`); any other function travels as source text,
 * compiled once per worker; and what cannot travel fails here, with the reason and the fix.
 *
 * @module
 */
import type { WireFn } from '../protocol.js';
import { isTaskRef } from './task-module.js';

const cache = new WeakMap<object, WireFn>();
let builtins: Map<unknown, string> | undefined;

/** Namespaces searched for built-in functions, besides `globalThis` itself. */
const NAMESPACES = ['Math', 'JSON', 'Reflect', 'Atomics', 'Number', 'String', 'Object', 'Array', 'Date', 'BigInt',
  'Promise', 'Symbol', 'ArrayBuffer', 'SharedArrayBuffer', 'Intl', 'console', 'structuredClone'];

/**
 * The wire form of `fn`, cached per function object.
 *
 * @param what - how to name `fn` in an error message (`submit()`, `Thread target`…).
 * @throws {TypeError} when `fn` cannot reach a worker, saying why and what to do instead.
 */
export function toWireFn(fn: unknown, what = 'submit()'): WireFn {
  if (typeof fn !== 'function' && !isTaskRef(fn)) {
    throw new TypeError(`${what} needs a function or a task reference from taskModule(), got ${fn === null ? 'null' : typeof fn}`);
  }
  const key = fn as object;
  const hit = cache.get(key);
  if (hit !== undefined) return hit;
  const wire = build(fn as ((...args: unknown[]) => unknown), what);
  cache.set(key, wire);
  return wire;
}

/** A readable name for a function or reference, for error messages and traces. */
export function functionName(fn: unknown): string {
  if (isTaskRef(fn)) return fn.name;
  if (typeof fn === 'function') return fn.name || '(anonymous)';
  return String(fn);
}

function build(fn: (...args: unknown[]) => unknown, what: string): WireFn {
  if (isTaskRef(fn)) return { kind: 'module', name: fn.name, url: fn.module };
  const name = fn.name || 'anonymous';
  const source = Function.prototype.toString.call(fn);
  if (/\{\s*\[native code\]\s*\}\s*$/.test(source)) {
    const path = builtinPath(fn);
    if (path !== undefined) return { kind: 'builtin', name, path };
    if (name.startsWith('bound ')) {
      throw new TypeError(
        `${what}: cannot send the bound function "${name}" to a worker: its bound this and arguments cannot travel. ` +
        'Pass them as arguments instead, or export the function from a module and use taskModule().',
      );
    }
    throw new TypeError(
      `${what}: cannot send the native function "${name}" to a worker: it is not reachable by name from globalThis. ` +
      'Wrap it in a function exported from a module and use taskModule().',
    );
  }
  if (/^class[\s{]/.test(source)) {
    throw new TypeError(`${what}: "${name}" is a class; send a function (a class cannot be called without new)`);
  }
  return { kind: 'source', name, source };
}

function builtinPath(fn: unknown): string | undefined {
  if (builtins === undefined) {
    builtins = new Map();
    const g = globalThis as Record<string, unknown>;
    for (const key of Object.getOwnPropertyNames(globalThis)) {
      // Read descriptors, not values: some globals are getters that warn or load code on access.
      const value = Object.getOwnPropertyDescriptor(globalThis, key)?.value;
      if (typeof value === 'function' && !builtins.has(value)) builtins.set(value, key);
    }
    for (const ns of NAMESPACES) {
      const holder = g[ns];
      if ((typeof holder !== 'object' && typeof holder !== 'function') || holder === null) continue;
      for (const key of Object.getOwnPropertyNames(holder)) {
        const value = Object.getOwnPropertyDescriptor(holder, key)?.value;
        if (typeof value === 'function' && !builtins.has(value)) builtins.set(value, `${ns}.${key}`);
      }
    }
  }
  return builtins.get(fn);
}
