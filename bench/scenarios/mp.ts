// Multiprocessing: messages per second through a Queue (child → parent, child →
// child) and a Pipe (child → parent, round trips). Every one-way run is timed
// from the first message received to the last, so process start-up stays out;
// child → child is timed by the receiving child itself.

import { median } from '../lib/stats.js';
import { runRounds } from '../lib/measure.js';
import type { SectionOutput, Sizes } from '../lib/types.js';
import { check } from './scenario.js';

/** One subject's four runs; each resolves with its rate (messages or round trips per second). */
export interface MpRuns {
  queueOneWay(messages: number): Promise<number>;
  queueChildToChild(messages: number): Promise<number>;
  pipeOneWay(messages: number): Promise<number>;
  pipeRoundTrips(trips: number): Promise<number>;
}

/** Sum of 0..n-1: what every one-way run must have received. */
export function expectedSum(n: number): number {
  return (n * (n - 1)) / 2;
}

/** Receives `n` items with `next`, times items 2..n, checks their sum; messages/s. */
export async function receiveTimed(n: number, next: () => Promise<number>): Promise<number> {
  let sum = await next();
  const t0 = performance.now();
  for (let i = 1; i < n; i++) sum += await next();
  const ms = performance.now() - t0;
  check(sum === expectedSum(n), `received sum ${sum}`);
  return ((n - 1) / ms) * 1000;
}

/** Round trips/s of `trips` sequential echoes of `i` through `echo`, each checked. */
export async function echoTimed(trips: number, echo: (i: number) => Promise<number>): Promise<number> {
  check((await echo(-1)) === -1, 'first echo');
  const t0 = performance.now();
  for (let i = 0; i < trips; i++) check((await echo(i)) === i, `echo of ${i}`);
  return (trips / (performance.now() - t0)) * 1000;
}

export async function mp(runs: MpRuns, sizes: Sizes): Promise<SectionOutput> {
  const spec = sizes.mp;
  const once = async (messages: number, trips: number) => ({
    queue: await runs.queueOneWay(messages),
    queueC2C: await runs.queueChildToChild(messages),
    pipe: await runs.pipeOneWay(messages),
    pipeRt: await runs.pipeRoundTrips(trips),
  });
  const rounds = await runRounds(spec, () => once(spec.messages / 10, spec.roundTrips / 10), () => once(spec.messages, spec.roundTrips));
  const of = (key: keyof (typeof rounds)[number]) => rounds.map((r) => r[key]);
  return {
    metrics: { mpQueue: median(of('queue')), mpQueueC2C: median(of('queueC2C')), mpPipe: median(of('pipe')), mpPipeRt: median(of('pipeRt')) },
    samples: { queuePerSec: of('queue'), queueC2CPerSec: of('queueC2C'), pipePerSec: of('pipe'), pipeRoundTripsPerSec: of('pipeRt') },
    rounds: rounds.length,
  };
}
