// Raw floor of multiprocessing: child_process.fork and its IPC channel
// (serialization 'advanced', as the raw fork rows of the pool table). Child →
// child has no direct channel in Node: the parent relays each message, as a
// broker would (workers/mp-raw-child.ts).

import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { buildDir } from '../lib/paths.js';
import type { SectionSubject } from '../lib/types.js';
import { check } from '../scenarios/scenario.js';
import { bigPattern, checkBig, echoTimed, expectedSum, mp, receiveTimed, type MpRuns } from '../scenarios/mp.js';

const script = join(buildDir, 'workers', 'mp-raw-child.js');

function child(mode: string, n: number): ChildProcess {
  return fork(script, [mode, String(n)], { serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
}

/** Each message of `source` in arrival order, as a pull-style reader. */
function reader(source: ChildProcess): () => Promise<number> {
  const buffered: number[] = [];
  let waiting: ((value: number) => void) | undefined;
  source.on('message', (value: number) => {
    if (waiting === undefined) buffered.push(value);
    else {
      const resolve = waiting;
      waiting = undefined;
      resolve(value);
    }
  });
  return () => (buffered.length > 0 ? Promise.resolve(buffered.shift()!) : new Promise((resolve) => (waiting = resolve)));
}

/** Kills the children (a sender may have ended by itself already) and waits for them to go. */
async function ended(...children: ChildProcess[]): Promise<void> {
  await Promise.all(children.map((c) => {
    if (c.exitCode !== null || c.signalCode !== null) return Promise.resolve();
    const gone = new Promise((resolve) => c.once('exit', resolve));
    c.kill();
    return gone;
  }));
}

const runs: MpRuns = {
  queueOneWay: async (n) => {
    const sender = child('send', n);
    const rate = await receiveTimed(n, reader(sender));
    await ended(sender);
    return rate;
  },
  queueChildToChild: async (n) => {
    const receiver = child('receive', n);
    const sender = child('send', n);
    sender.on('message', (value: number) => receiver.send(value));
    const [ms = Number.NaN, sum] = await new Promise<number[]>((resolve) => receiver.once('message', resolve));
    check(sum === expectedSum(n), `child received sum ${sum}`);
    await ended(sender, receiver);
    return ((n - 1) / ms) * 1000;
  },
  // One IPC channel is both the Queue's and the Pipe's floor: Node has nothing lower between processes.
  pipeOneWay: async (n) => runs.queueOneWay(n),
  pipeRoundTrips: async (trips) => {
    const echo = child('echo', trips + 1);
    const next = reader(echo);
    const rate = await echoTimed(trips, (i) => {
      echo.send(i);
      return next();
    });
    await ended(echo);
    return rate;
  },
  bigItem: async (bytes) => {
    const echo = child('bigecho', 0);
    const next = reader(echo) as () => Promise<unknown>;
    echo.send(1);
    check((await next()) === 1, 'small echo before the large item');
    const item = bigPattern(bytes);
    const t0 = performance.now();
    echo.send(item);
    const got = await next() as Uint8Array;
    const ms = performance.now() - t0;
    checkBig(got, bytes);
    await ended(echo);
    return ms;
  },
};

export const mpSubject: SectionSubject = {
  id: 'raw-mp',
  label: 'raw child_process.fork IPC (advanced serialization)',
  short: 'raw IPC',
  group: 'raw',
  section: 'mp',
  kind: 'node',
  how: "`process.send(i)` in a forked child, `'message'` events in the parent; child → child relayed by the parent (Node has no direct channel between two children); the same channel is the Queue's and the Pipe's floor; the large item is a `Buffer` sent and echoed",
  measure: (sizes) => mp(runs, sizes),
};
