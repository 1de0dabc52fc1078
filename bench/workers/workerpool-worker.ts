// Worker script for workerpool: methods registered by name; `exec(name, args)`
// spreads the argument list, so `add` is the task function itself.

import * as tasks from '../tasks.js';
import { importPeer } from '../lib/peer.js';

interface WorkerpoolWorkerSide {
  worker(methods: Record<string, (...args: never[]) => unknown>): void;
}

const workerpool = await importPeer<WorkerpoolWorkerSide>('workerpool');
workerpool.worker({ add: tasks.add, noopChunk: tasks.noopChunk, isPrime: tasks.isPrime, spin: tasks.spin, spinStamped: tasks.spinStamped });
