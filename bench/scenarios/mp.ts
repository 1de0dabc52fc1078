// Multiprocessing: messages per second through a Queue (child → parent, child →
// child) and a Pipe (child → parent, round trips), and the time of one large
// item there and back. Every one-way run is timed from the first message
// received to the last, so process start-up stays out; child → child is timed
// by the receiving child itself; the large item is timed once the child has
// echoed a small one (it is running and reading).

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
  /** Milliseconds to send `bytes` bytes to a child and get them back (one item each way). */
  bigItem(bytes: number): Promise<number>;
}

/** The large item: bytes 0, 1, … 250, 0, 1 … (a pattern every subject can check cheaply). */
export function bigPattern(bytes: number): Buffer {
  const out = Buffer.allocUnsafe(bytes);
  const period = Buffer.from(Array.from({ length: 251 }, (_, i) => i));
  for (let at = 0; at < bytes; at += period.length) period.copy(out, at, 0, Math.min(period.length, bytes - at));
  return out;
}

/** Checks what came back against the pattern at a few places (every byte would cost more than the transfer). */
export function checkBig(back: Uint8Array, bytes: number): void {
  check(back.length === bytes, `large item came back with ${back.length} bytes, not ${bytes}`);
  for (const at of [0, 1, 250, 251, 12_345, bytes >> 1, bytes - 1]) {
    if (at < bytes) check(back[at] === at % 251, `large item byte ${at} is ${back[at]}`);
  }
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
  const once = async (messages: number, trips: number, bytes: number) => ({
    queue: await runs.queueOneWay(messages),
    queueC2C: await runs.queueChildToChild(messages),
    pipe: await runs.pipeOneWay(messages),
    pipeRt: await runs.pipeRoundTrips(trips),
    big: await runs.bigItem(bytes),
  });
  const rounds = await runRounds(spec, () => once(spec.messages / 10, spec.roundTrips / 10, spec.bigBytes / 16),
    () => once(spec.messages, spec.roundTrips, spec.bigBytes));
  const of = (key: keyof (typeof rounds)[number]) => rounds.map((r) => r[key]);
  return {
    metrics: { mpQueue: median(of('queue')), mpQueueC2C: median(of('queueC2C')), mpPipe: median(of('pipe')), mpPipeRt: median(of('pipeRt')), mpBig: median(of('big')) },
    samples: { queuePerSec: of('queue'), queueC2CPerSec: of('queueC2C'), pipePerSec: of('pipe'), pipeRoundTripsPerSec: of('pipeRt'), bigItemMs: of('big') },
    rounds: rounds.length,
  };
}
