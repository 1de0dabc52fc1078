// First result: from constructing a fresh pool to the result of one tiny task.
// Measures start-up as a user feels it (worker boot, module load, first dispatch).

import { median } from '../lib/stats.js';
import { nowMs, runRounds } from '../lib/measure.js';
import { check, settleAndClose, type NodeScenario } from './scenario.js';

export const first: NodeScenario = async (factory, sizes) => {
  const once = async (): Promise<number> => {
    const start = nowMs();
    const pool = await factory(sizes.workers);
    const r = await pool.call(1, 2);
    const ms = nowMs() - start;
    await settleAndClose(pool);
    check(r === 3, `add(1, 2) = ${r}`);
    return ms;
  };
  const times = await runRounds(sizes.first, once, once);
  return { metrics: { first: median(times) }, samples: { ms: times }, rounds: times.length };
};
