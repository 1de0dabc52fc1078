/**
 * Task functions sent by reference (`taskModule`): a worker imports this module and calls the
 * export by name, so these functions may use imports, as `sha256` does.
 *
 * @module
 */
import { createHash } from 'node:crypto';

export { isPrime } from './primes.js';

/** The SHA-256 of `text`, in hex. */
export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
