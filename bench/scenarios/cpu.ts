// CPU scaling: a balanced CPU-bound batch on a fresh pool, start-up included,
// against the same work run single-threaded in this very process. A second line
// runs the course chapter's six numbers the same way.

import { median } from '../lib/stats.js';
import { nowMs, runRounds } from '../lib/measure.js';
import type { Sizes } from '../lib/types.js';
import { isPrime } from '../tasks.js';
import { check, settleAndClose, type NodeScenario, type PoolFactory } from './scenario.js';

interface Scaling {
  speedup: number;
  singleMs: number[];
  poolMs: number[];
}

/**
 * Each round times the work single-threaded and then on a fresh pool, back to back, and the
 * speedup is the median of the rounds' ratios. Timing all single-threaded runs first and all
 * pool runs after would let any drift of the machine's speed between the two phases (another
 * tenant's load, a CPU's clock) land in the ratio.
 */
async function scaling(factory: PoolFactory, sizes: Sizes, ns: readonly number[]): Promise<Scaling> {
  // Warm-up: the whole batch once, enough for V8 to optimize the loop (on-stack replacement).
  const expected = ns.map((n) => isPrime(n));
  // Warm-up: one pool started, used once and closed, so the first measured round
  // does not pay for reading the library and worker files from disk.
  const rounds = await runRounds(
    sizes.cpu,
    async () => {
      const pool = await factory(sizes.workers);
      await pool.call(1, 2);
      await settleAndClose(pool);
    },
    async () => {
      const singleStart = nowMs();
      const single = ns.map((n) => isPrime(n));
      const singleMs = nowMs() - singleStart;
      check(single.every((r, i) => r === expected[i]), `isPrime results ${JSON.stringify(single)}`);
      const start = nowMs();
      const pool = await factory(sizes.workers);
      const results = await pool.primes(ns);
      const poolMs = nowMs() - start;
      await settleAndClose(pool);
      check(results.every((r, i) => r === expected[i]), `isPrime results ${JSON.stringify(results)}`);
      return { singleMs, poolMs };
    },
  );
  return {
    speedup: median(rounds.map((r) => r.singleMs / r.poolMs)),
    singleMs: rounds.map((r) => r.singleMs),
    poolMs: rounds.map((r) => r.poolMs),
  };
}

export const cpu: NodeScenario = async (factory, sizes) => {
  const balanced = await scaling(factory, sizes, sizes.cpu.node);
  const course = await scaling(factory, sizes, sizes.cpu.course);
  return {
    metrics: { cpuBatch: balanced.speedup, cpuCourse: course.speedup },
    samples: {
      singleMsBatch: balanced.singleMs,
      poolMsBatch: balanced.poolMs,
      singleMsCourse: course.singleMs,
      poolMsCourse: course.poolMs,
    },
    rounds: balanced.poolMs.length,
  };
};
