/**
 * Ends a child process within about half a second of its parent's death, even while the child's
 * main thread is busy in a long synchronous task and cannot see the IPC channel close.
 *
 * Linux re-parents an orphan, so its parent pid changes; a tiny thread polls for that and kills
 * the whole process. The thread is unref'd and never keeps the child alive.
 *
 * @module
 */
import { Worker } from 'node:worker_threads';

const SOURCE = `
const { workerData } = require('node:worker_threads');
const gate = new Int32Array(new SharedArrayBuffer(4));
for (;;) {
  Atomics.wait(gate, 0, 0, ${250});
  if (process.ppid !== workerData) process.kill(process.pid, 'SIGKILL');
}`;

/** Starts the watchdog for the current process's parent. */
export function watchParent(): void {
  const watchdog = new Worker(SOURCE, {
    eval: true,
    workerData: process.ppid,
    stdout: true,
    stderr: true,
    resourceLimits: { maxOldGenerationSizeMb: 8, maxYoungGenerationSizeMb: 2, stackSizeMb: 1 },
    // The watchdog needs no loader: it is plain JavaScript.
    execArgv: [],
  });
  watchdog.unref();
}
