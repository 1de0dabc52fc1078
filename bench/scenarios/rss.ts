// Peak RSS: a fresh process starts a pool, puts n tiny tasks in flight at once,
// awaits them and reports its peak resident memory, plus its child processes'.

import { peakRssMiB } from '../lib/measure.js';
import { check, closeWithin, expectedTinySum, warmPool, type NodeScenario } from './scenario.js';

export const rss: NodeScenario = async (factory, sizes) => {
  const { n } = sizes.rss;
  const pool = await warmPool(factory, sizes);
  try {
    const sum = await pool.tiny(n);
    check(sum === expectedTinySum(n), `sum ${sum}`);
    // Read before closing: a process pool's workers must still be alive to be counted.
    const mib = peakRssMiB();
    return { metrics: { rss: mib }, samples: { peakRssMiB: [mib] }, rounds: 1 };
  } finally {
    await closeWithin(pool);
  }
};
