/**
 * Checks, before a task is queued, that its arguments can be sent to a worker, so that `submit`
 * throws at the call site (naming the culprit) instead of failing a whole batch later.
 *
 * @module
 */
import { SerializationError } from '../errors.js';
import { TASK_SHARED } from '../protocol.js';

const PLAIN_CLONEABLE: ReadonlyArray<abstract new (...args: never[]) => unknown> = [
  Date, RegExp, ArrayBuffer, SharedArrayBuffer, Error, Boolean, Number, String, DataView,
  ...(typeof Blob === 'function' ? [Blob] : []),
];

/**
 * Walks `value` and throws {@link SerializationError} for what structured clone cannot carry or
 * would silently damage: functions, symbols, and class instances (they would arrive as plain
 * objects without prototype, methods or private fields). Library primitives (locks, queues,
 * shared values) are allowed and reported through the returned flags.
 *
 * @returns `TASK_SHARED` when the value contains library primitives, else 0.
 */
export function checkArgs(value: unknown, path: string): number {
  // The common case, arguments that are all primitives, does no allocation at all.
  if (typeof value !== 'object' || value === null) return walk(value, path, undefined);
  return walk(value, path, new Set());
}

function walk(value: unknown, path: string, seen: Set<object> | undefined): number {
  switch (typeof value) {
    case 'function':
      throw new SerializationError(
        `${path} is a function (${value.name || 'anonymous'}); functions cannot be sent to a worker as arguments. ` +
        'Send data instead, or have the task import what it needs.', path);
    case 'symbol':
      throw new SerializationError(`${path} is a symbol; symbols cannot be sent to a worker`, path);
    case 'object': break;
    default: return 0;
  }
  if (value === null) return 0;
  seen ??= new Set();
  if (seen.has(value)) return 0;
  seen.add(value);
  if (typeof (value as Record<string, unknown>).__ct === 'string' && Object.prototype.hasOwnProperty.call(value, '__ct')) {
    return TASK_SHARED;
  }
  if (ArrayBuffer.isView(value)) return 0;
  let flags = 0;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      if (typeof item === 'object' || typeof item === 'function' || typeof item === 'symbol') {
        flags |= walk(item, `${path}[${i}]`, seen);
      }
    }
    return flags;
  }
  if (value instanceof Map) {
    for (const [k, v] of value) {
      flags |= walk(k, `${path}.<key>`, seen);
      flags |= walk(v, `${path}.get(${typeof k === 'string' ? JSON.stringify(k) : '…'})`, seen);
    }
    return flags;
  }
  if (value instanceof Set) {
    for (const v of value) flags |= walk(v, `${path}.<item>`, seen);
    return flags;
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) {
    if (PLAIN_CLONEABLE.some((C) => value instanceof C)) return 0;
    const cls = (proto as { constructor?: { name?: string } }).constructor?.name ?? 'an unknown class';
    throw new SerializationError(
      `${path} is an instance of class ${cls}; it would reach the worker as a plain object without its prototype, ` +
      'methods or private fields. Send plain data (objects, arrays, numbers, strings…) and rebuild it in the task.', path);
  }
  for (const key of Object.keys(value)) {
    flags |= walk((value as Record<string, unknown>)[key], `${path}.${key}`, seen);
  }
  return flags;
}
