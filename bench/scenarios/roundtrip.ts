// Round trip: n sequential one-at-a-time calls on a warm pool, each timed.
// Measures latency when nothing can be batched or overlapped; median and p99.

import { median, quantile } from '../lib/stats.js';
import { nowMs, runRounds } from '../lib/measure.js';
import { check, closeWithin, warmPool, type NodeScenario } from './scenario.js';

export const roundtrip: NodeScenario = async (factory, sizes) => {
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
      metrics: { rtMedian: median(medians), rtP99: median(p99s) },
      samples: { medianUs: medians, p99Us: p99s },
      rounds: rounds.length,
    };
  } finally {
    await closeWithin(pool);
  }
};
