// Round trip: n sequential one-at-a-time calls on a warm pool, each timed.
// Measures latency when nothing can be batched or overlapped; median and p99.
//
// The same code serves the "one CPU" row: the runner starts that child under
// `taskset -c 0`, so the pool's threads or processes share one core. On this kind
// of virtual machine a wake-up across cores costs ~60 µs or ~7 µs depending on
// where the scheduler happens to place the threads; pinned, the row shows the
// software cost of a call without that coin toss.

import { median, quantile } from '../lib/stats.js';
import { nowMs, runRounds } from '../lib/measure.js';
import type { Sizes } from '../lib/types.js';
import { check, closeWithin, warmPool, type PoolFactory, type ScenarioOutput } from './scenario.js';

async function roundtripScenario(factory: PoolFactory, sizes: Sizes, pinned: boolean): Promise<ScenarioOutput> {
  const { n, warmupN } = sizes.roundtrip;
  const pool = await warmPool(factory, sizes);
  const latencies = new Array<number>(n);
  const sequential = async (count: number): Promise<void> => {
    for (let i = 0; i < count; i++) {
      const start = nowMs();
      const r = await pool.call(i, 1);
      latencies[i] = (nowMs() - start) * 1000;
      check(r === i + 1, `add(${i}, 1) = ${r}`);
    }
  };
  try {
    const rounds = await runRounds(sizes.roundtrip, () => sequential(warmupN), async () => {
      await sequential(n);
      return { median: median(latencies), p99: quantile(latencies, 0.99) };
    });
    const medians = rounds.map((r) => r.median);
    const p99s = rounds.map((r) => r.p99);
    return {
      metrics: pinned ? { rt1Median: median(medians), rt1P99: median(p99s) } : { rtMedian: median(medians), rtP99: median(p99s) },
      samples: { medianUs: medians, p99Us: p99s },
      rounds: rounds.length,
    };
  } finally {
    await closeWithin(pool);
  }
}

export const roundtrip = (factory: PoolFactory, sizes: Sizes) => roundtripScenario(factory, sizes, false);

export const roundtrip1cpu = (factory: PoolFactory, sizes: Sizes) => roundtripScenario(factory, sizes, true);
