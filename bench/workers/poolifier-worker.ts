// Worker script for poolifier: a ThreadWorker with named task functions, each
// called with the single `data` value given to `execute(data, name)`.

import * as tasks from '../tasks.js';
import { importPeer } from '../lib/peer.js';

type TaskFunction = (data: never) => unknown;

interface PoolifierWorkerSide {
  ThreadWorker: new (taskFunctions: Record<string, TaskFunction>) => unknown;
}

const { ThreadWorker } = await importPeer<PoolifierWorkerSide>('poolifier');

export default new ThreadWorker({
  add: (args: readonly [number, number]) => tasks.add(args[0], args[1]),
  noopChunk: tasks.noopChunk,
  isPrime: tasks.isPrime,
  spin: (args: readonly [number, number]) => tasks.spin(args[0], args[1]),
  spinStamped: tasks.spinStamped,
});
