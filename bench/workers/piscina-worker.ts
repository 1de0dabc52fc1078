// Task module for piscina and tinypool. Both call `module[name](payload)` with a
// single cloned payload, so `add` and `spin` take their two arguments as one tuple.

import * as tasks from '../tasks.js';

export function add(args: readonly [number, number]): number {
  return tasks.add(args[0], args[1]);
}

export function spin(args: readonly [number, number]): number {
  return tasks.spin(args[0], args[1]);
}

export const noopChunk = tasks.noopChunk;
export const isPrime = tasks.isPrime;
export const spinStamped = tasks.spinStamped;
