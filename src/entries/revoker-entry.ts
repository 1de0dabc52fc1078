/**
 * The revoker thread of a pool child process: it answers the pool's take-backs while the child's
 * main thread runs a task (docs/decisions/pool-scheduling.md, "Taking back, on processes"). It
 * reads requests on its own pipe from the pool (`<id> <seq>,<seq>,…` per line), swaps each
 * task's claim word for "taken back" unless the main thread has started the task, and answers
 * with the ones it took (`<id> <seq>,…`). It imports nothing of the library but the claim words.
 *
 * @module
 */
import { Socket } from 'node:net';
import { workerData } from 'node:worker_threads';
import { revokeClaim } from '../control-block.js';

/** What the child's main thread starts its revoker with. */
interface RevokerData {
  /** The claim words, shared with the main thread. */
  readonly claims: SharedArrayBuffer;
  /** The descriptor of the pipe to the pool. */
  readonly fd: number;
}

const { claims, fd } = workerData as RevokerData;
const words = new Int32Array(claims);
// Referenced: this thread's event loop must live while the pipe is open. The main thread unrefs
// the thread itself, so nothing here keeps the child alive.
const pipe = new Socket({ fd, readable: true, writable: true });
pipe.on('error', () => {});
let rest = '';
pipe.setEncoding('latin1').on('data', (chunk: string) => {
  const lines = (rest + chunk).split('\n');
  rest = lines.pop() ?? '';
  let answer = '';
  for (const line of lines) {
    const space = line.indexOf(' ');
    if (space < 0) continue;
    const taken: number[] = [];
    for (const field of line.slice(space + 1).split(',')) {
      const seq = Number(field);
      if (Number.isInteger(seq) && seq >= 0 && revokeClaim(words, seq)) taken.push(seq);
    }
    answer += `${line.slice(0, space)} ${taken.join(',')}\n`;
  }
  if (answer !== '') pipe.write(answer);
});
