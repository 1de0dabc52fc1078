// CPU scaling: a balanced CPU-bound batch on a fresh pool, start-up included,
// against the same work run single-threaded in this very process. A second line
// runs the seed exercise's six numbers the same way.

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

async function scaling(factory: PoolFactory, sizes: Sizes, ns: readonly number[]): Promise<Scaling> {
  const spec = sizes.cpu;
  let expected: boolean[] = [];
  // Warm-up: one number, enough for V8 to optimize the loop (on-stack replacement).
  const singleMs = await runRounds(spec.single, () => isPrime(ns[0]!), () => {
    const start = nowMs();
    expected = ns.map((n) => isPrime(n));
    return nowMs() - start;
  });
  // Warm-up: one pool started, used once and closed, so the first measured round
  // does not pay for reading the library and worker files from disk.
  const poolMs = await runRounds(
    spec,
    async () => {
      const pool = await factory(sizes.workers);
      await pool.call(1, 2);
      await settleAndClose(pool);
    },
    async () => {
      const start = nowMs();
      const pool = await factory(sizes.workers);
      const results = await pool.primes(ns);
      const ms = nowMs() - start;
      await settleAndClose(pool);
      check(results.every((r, i) => r === expected[i]), `isPrime results ${JSON.stringify(results)}`);
      return ms;
    },
  );
  return { speedup: median(singleMs) / median(poolMs), singleMs, poolMs };
}

export const cpu: NodeScenario = async (factory, sizes) => {
  const balanced = await scaling(factory, sizes, sizes.cpu.node);
  const seed = await scaling(factory, sizes, sizes.cpu.seed);
  return {
    metrics: { cpu16: balanced.speedup, cpuSeed: seed.speedup },
    samples: {
      singleMs16: balanced.singleMs,
      poolMs16: balanced.poolMs,
      singleMsSeed: seed.singleMs,
      poolMsSeed: seed.poolMs,
    },
    rounds: balanced.poolMs.length,
  };
};
