/**
 * The timeout module lives in `sync/deadline.ts`, the bottom layer; this name stays only for the
 * pool engine's imports until they point there. Nothing is defined here.
 *
 * @module
 */
export { checkTimeout, startTimer, type Timer } from '../sync/deadline.js';
export { describe } from '../describe.js';
