// Map 1M: a trivial function over 1,000,000 items, results consumed in input
// order. Measures bulk throughput, where batching items into messages matters.

import { median } from '../lib/stats.js';
import { nowMs, runRounds } from '../lib/measure.js';
import type { Metrics, Sizes } from '../lib/types.js';
import { check, closeWithin, warmPool, type PoolFactory, type ScenarioOutput } from './scenario.js';

async function mapScenario(factory: PoolFactory, sizes: Sizes, chunksize: number | undefined, key: 'map' | 'mapAuto'): Promise<ScenarioOutput> {
  const { n, warmupN } = sizes.map;
  // Built before timing: producing the input is not the pool's work.
  const items = Array.from({ length: n }, (_, i) => i);
  const warmItems = items.slice(0, warmupN);
  const pool = await warmPool(factory, sizes);
  try {
    const rates = await runRounds(sizes.map, () => pool.map(warmItems, chunksize), async () => {
      const start = nowMs();
      const matched = await pool.map(items, chunksize);
      const ms = nowMs() - start;
      check(matched === n, `${matched} of ${n} in order`);
      return (n / ms) * 1000;
    });
    const metrics: Metrics = { [key]: median(rates) };
    return { metrics, samples: { itemsPerSec: rates }, rounds: rates.length };
  } finally {
    await closeWithin(pool);
  }
}

export const map = (factory: PoolFactory, sizes: Sizes) => mapScenario(factory, sizes, sizes.map.chunksize, 'map');

export const mapAuto = (factory: PoolFactory, sizes: Sizes) => mapScenario(factory, sizes, undefined, 'mapAuto');
