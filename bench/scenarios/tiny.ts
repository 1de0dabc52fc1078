// Tiny tasks: n add(i, 1) submitted at once to a started, warm pool, all awaited.
// Measures the per-task cost of the whole path (submit, dispatch, worker, result).

import { median } from '../lib/stats.js';
import { nowMs, runRounds } from '../lib/measure.js';
import { check, closeWithin, expectedTinySum, warmPool, type NodeScenario } from './scenario.js';

export const tiny: NodeScenario = async (factory, sizes) => {
  const { n, warmupN } = sizes.tiny;
  const pool = await warmPool(factory, sizes);
  try {
    const rates = await runRounds(sizes.tiny, () => pool.tiny(warmupN), async () => {
      const start = nowMs();
      const sum = await pool.tiny(n);
      const ms = nowMs() - start;
      check(sum === expectedTinySum(n), `sum ${sum}`);
      return (n / ms) * 1000;
    });
    return { metrics: { tiny: median(rates) }, samples: { tasksPerSec: rates }, rounds: rates.length };
  } finally {
    await closeWithin(pool);
  }
};
