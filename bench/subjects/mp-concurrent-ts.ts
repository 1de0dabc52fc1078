// concurrent-ts multiprocessing: `Process` children talking through `Queue` and
// `Pipe` (children's side in workers/mp-targets.ts, started by task reference).

import type { SectionSubject } from '../lib/types.js';
import { NotAvailable } from '../lib/types.js';
import { check } from '../scenarios/scenario.js';
import { bigPattern, checkBig, echoTimed, expectedSum, mp, receiveTimed, type MpRuns } from '../scenarios/mp.js';
import type * as Targets from '../workers/mp-targets.js';
import { importDist } from './concurrent-ts.js';

interface CtQueue<T> {
  put(item: T): Promise<void>;
  get(): Promise<T>;
  close(): void;
}

interface CtConnection<T> {
  send(item: T): void;
  recv(): Promise<T>;
  close(): void;
}

interface CtProcess {
  start(): void;
  join(): Promise<void>;
  readonly exitcode: number | null;
}

interface Multiprocessing {
  Queue: new <T>() => CtQueue<T>;
  Pipe: <T>() => [CtConnection<T>, CtConnection<T>];
  Process: new (options: { target: object; args: unknown[] }) => CtProcess;
}

async function openRuns(): Promise<MpRuns> {
  const lib = (await importDist('multiprocessing/index.js')) as Partial<Multiprocessing>;
  const root = await importDist('index.js');
  const taskModule = root.taskModule as ((url: URL) => Record<keyof typeof Targets, object>) | undefined;
  const { Queue, Pipe, Process } = lib;
  if (Queue === undefined || Pipe === undefined || Process === undefined || taskModule === undefined) throw new NotAvailable('not built (multiprocessing missing)');
  const targets = taskModule(new URL('../workers/mp-targets.js', import.meta.url));
  const started = (target: object, ...args: unknown[]): CtProcess => {
    const p = new Process({ target, args });
    p.start();
    return p;
  };
  const joined = async (...processes: CtProcess[]) => {
    for (const p of processes) await p.join();
    check(processes.every((p) => p.exitcode === 0), 'a child process failed');
  };
  return {
    queueOneWay: async (n) => {
      const queue = new Queue<number>();
      const sender = started(targets.queueSender, queue, n);
      const rate = await receiveTimed(n, () => queue.get());
      await joined(sender);
      queue.close();
      return rate;
    },
    queueChildToChild: async (n) => {
      const queue = new Queue<number>();
      const result = new Queue<number[]>();
      const receiver = started(targets.queueReceiver, queue, n, result);
      const sender = started(targets.queueSender, queue, n);
      const [ms = Number.NaN, sum] = await result.get();
      await joined(sender, receiver);
      check(sum === expectedSum(n), `child received sum ${sum}`);
      queue.close();
      result.close();
      return ((n - 1) / ms) * 1000;
    },
    pipeOneWay: async (n) => {
      const [mine, theirs] = Pipe<number>();
      const sender = started(targets.pipeSender, theirs, n);
      const rate = await receiveTimed(n, () => mine.recv());
      await joined(sender);
      mine.close();
      return rate;
    },
    pipeRoundTrips: async (trips) => {
      const [mine, theirs] = Pipe<number>();
      const echo = started(targets.pipeEcho, theirs, trips + 1);
      const rate = await echoTimed(trips, (i) => {
        mine.send(i);
        return mine.recv();
      });
      await joined(echo);
      mine.close();
      return rate;
    },
    bigItem: async (bytes) => {
      const there = new Queue<Buffer | number | null>();
      const back = new Queue<Buffer | number>();
      const echo = started(targets.echoItems, there, back);
      await there.put(1);
      check((await back.get()) === 1, 'small echo before the large item');
      const item = bigPattern(bytes);
      const t0 = performance.now();
      await there.put(item);
      const got = await back.get() as Buffer;
      const ms = performance.now() - t0;
      checkBig(got, bytes);
      await there.put(null);
      await joined(echo);
      there.close();
      back.close();
      return ms;
    },
  };
}

export const mpSubject: SectionSubject = {
  id: 'ct-mp',
  label: 'concurrent-ts multiprocessing (Process, Queue, Pipe)',
  short: 'ct',
  group: 'concurrent-ts',
  section: 'mp',
  kind: 'node',
  how: '`Process` children started by task reference; `await queue.put(i)` / `await queue.get()`, `conn.send(i)` / `await conn.recv()`; the large item is a `Buffer`',
  measure: async (sizes) => mp(await openRuns(), sizes),
};
