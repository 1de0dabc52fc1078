// Mixed durations: n busy-wait tasks submitted at once to a warm pool, 1 in 100 of
// 20 ms and the rest of 10 µs, until the last result. Measures whether a pool keeps
// both workers busy when task lengths differ: a long task must not hold quick ones
// hostage while the other worker idles. Reported as the makespan and its ratio to the
// ideal, total work ÷ workers, which no pool of that many workers can beat.

import { median } from '../lib/stats.js';
import { nowMs, runRounds } from '../lib/measure.js';
import type { Sizes } from '../lib/types.js';
import { check, closeWithin, warmPool, type NodeScenario } from './scenario.js';

/** Each task's busy-wait in µs, in submission order (the same list bench.py builds). */
export function mixedDurations(spec: Sizes['mixed']): Float64Array {
  const us = new Float64Array(spec.n).fill(spec.shortUs);
  for (const i of spec.longAt) us[i] = spec.longUs;
  return us;
}

/** Total work of the first `count` tasks ÷ workers, in ms. */
export function idealMs(us: Float64Array, count: number, workers: number): number {
  let total = 0;
  for (let i = 0; i < count; i++) total += us[i]!;
  return total / 1000 / workers;
}

export const mixed: NodeScenario = async (factory, sizes) => {
  const spec = sizes.mixed;
  const us = mixedDurations(spec);
  const ideal = idealMs(us, spec.n, sizes.workers);
  const pool = await warmPool(factory, sizes);
  const { spin } = pool;
  if (spin === undefined) throw new Error('this subject has no spin task');
  const run = async (count: number): Promise<number> => {
    const start = nowMs();
    const pending = new Array<PromiseLike<number>>(count);
    for (let i = 0; i < count; i++) pending[i] = spin(us[i]!, i);
    const results = await Promise.all(pending);
    const ms = nowMs() - start;
    let matched = 0;
    for (let i = 0; i < count; i++) if (results[i] === i) matched++;
    check(matched === count, `${matched} of ${count} spin results equal their tag`);
    // Two workers cannot do the work faster than this: a shorter makespan means some tasks did not run.
    const floor = idealMs(us, count, sizes.workers);
    check(ms + 1 >= floor, `makespan ${ms.toFixed(1)} ms under the ideal ${floor.toFixed(1)} ms`);
    return ms;
  };
  try {
    const makespans = await runRounds(spec, () => run(spec.warmupN), () => run(spec.n));
    const ms = median(makespans);
    return { metrics: { mixed: ms, mixedIdeal: ms / ideal }, samples: { makespanMs: makespans, idealMs: [ideal] }, rounds: makespans.length };
  } finally {
    await closeWithin(pool);
  }
};
