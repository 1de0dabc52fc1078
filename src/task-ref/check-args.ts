/**
 * Checks, before a task is queued, that its arguments can be sent to a worker, so that `submit`
 * throws at the call site (naming the culprit) instead of failing a whole batch later.
 *
 * @module
 */
import { SerializationError } from '../errors.js';
import { TASK_ERRORS, TASK_SHARED } from '../protocol.js';
import { isTransfer } from '../transfer.js';

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
 * With `crossProcess`, shared memory is refused too: a `SharedArrayBuffer` (or a view of one, or a
 * threading primitive built on one) would arrive in another process as a copy, silently unshared.
 *
 * @returns `TASK_SHARED` when the value contains library primitives, `TASK_ERRORS` when it
 * contains errors (both when both), else 0.
 */
export function checkArgs(value: unknown, path: string, crossProcess = false): number {
  // The common case, arguments that are all primitives, does no allocation at all.
  if (typeof value !== 'object' || value === null) return walk(value, path, undefined, crossProcess);
  return walk(value, path, new Set(), crossProcess);
}

function sharedMemory(value: unknown): boolean {
  return value instanceof SharedArrayBuffer || (ArrayBuffer.isView(value) && value.buffer instanceof SharedArrayBuffer);
}

/**
 * Looks at a primitive's own data fields only: a handle's accessors can have effects (reading a
 * multiprocessing handle's `token` reserves a reference for the receiver).
 */
function holdsSharedMemory(value: object): boolean {
  for (const descriptor of Object.values(Object.getOwnPropertyDescriptors(value))) {
    if ('value' in descriptor && sharedMemory(descriptor.value)) return true;
  }
  return false;
}

function refuseShared(path: string, what: string): never {
  throw new SerializationError(
    `${path} is ${what} in this process's shared memory; shared memory cannot cross to another process ` +
    '(it would arrive as an unshared copy). Use the primitives of concurrent-ts/multiprocessing (Value, Array, ' +
    'Lock, Queue…), which work across processes.', path);
}

function walk(value: unknown, path: string, seen: Set<object> | undefined, cross: boolean): number {
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
    if (cross && holdsSharedMemory(value)) refuseShared(path, `a ${String((value as { __ct: string }).__ct)}`);
    return TASK_SHARED;
  }
  if (cross && sharedMemory(value)) refuseShared(path, 'a SharedArrayBuffer or a view of one');
  if (ArrayBuffer.isView(value)) return 0;
  let flags = 0;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      if (typeof item === 'object' || typeof item === 'function' || typeof item === 'symbol') {
        flags |= walk(item, `${path}[${i}]`, seen, cross);
      }
    }
    return flags;
  }
  if (value instanceof Map) {
    for (const [k, v] of value) {
      flags |= walk(k, `${path}.<key>`, seen, cross);
      flags |= walk(v, `${path}.get(${typeof k === 'string' ? JSON.stringify(k) : '…'})`, seen, cross);
    }
    return flags;
  }
  if (value instanceof Set) {
    for (const v of value) flags |= walk(v, `${path}.<item>`, seen, cross);
    return flags;
  }
  // Errors travel with the error codec, which keeps their class, fields, cause and errors.
  if (value instanceof Error) return TASK_ERRORS;
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) {
    if (isTransfer(value)) {
      throw new SerializationError(
        `${path} is marked with transfer() inside another value; transfer() marks a whole argument (or a map item, or ` +
        'a value a task returns): pass transfer(theWholeArgument, [buffers…]) instead', path);
    }
    if (PLAIN_CLONEABLE.some((C) => value instanceof C)) return 0;
    const cls = (proto as { constructor?: { name?: string } }).constructor?.name ?? 'an unknown class';
    throw new SerializationError(
      `${path} is an instance of class ${cls}; it would reach the worker as a plain object without its prototype, ` +
      'methods or private fields. Send plain data (objects, arrays, numbers, strings…) and rebuild it in the task.', path);
  }
  for (const key of Object.keys(value)) {
    flags |= walk((value as Record<string, unknown>)[key], `${path}.${key}`, seen, cross);
  }
  return flags;
}
