/**
 * Task priorities, with the distributed executor's meaning (BullMQ's): an integer from 1, the
 * most urgent, to 2,097,152; a task without one goes before every task with one.
 *
 * @module
 */
import { ValueError } from '../errors.js';
import { describe } from '../describe.js';

/** BullMQ's largest priority number. */
export const MAX_PRIORITY = 2_097_152;

/** Validates a task's `priority`; `0` stands for none. */
export function checkPriority(value: unknown): number {
  if (value === undefined || value === null) return 0;
  if (typeof value !== 'number' || !Number.isInteger(value)) throw new TypeError(`priority must be an integer, got ${describe(value)}`);
  if (value < 1 || value > MAX_PRIORITY) {
    throw new ValueError(`priority must be between 1 (most urgent) and ${MAX_PRIORITY}, got ${value}`);
  }
  return value;
}
