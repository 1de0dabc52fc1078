// Contended hand-off: two parties pass ownership back and forth through two
// binary locks, strictly alternating, and neither ever finds the lock free. The
// leader times each round trip (two hand-offs) on its own clock, so no clock is
// compared across threads; one hand-off is half a round trip.

import { median, quantile } from '../lib/stats.js';
import { runRounds } from '../lib/measure.js';
import type { Metrics, SectionOutput, Sizes } from '../lib/types.js';
import { check } from './scenario.js';

/**
 * Runs `warmupN` untimed then `n` timed round trips between two fresh parties
 * and resolves with the `n` round-trip times, ms.
 */
export type HandoffRun = (n: number, warmupN: number) => Promise<Float64Array>;

export interface HandoffForms {
  /** Blocking form (Atomics.wait underneath). */
  sync?: HandoffRun;
  /** Awaited form (Atomics.waitAsync, or promises on one thread). */
  async?: HandoffRun;
}

/** Median and p99 of one hand-off over the rounds of one form, µs. */
async function measureForm(run: HandoffRun, sizes: Sizes): Promise<{ median: number[]; p99: number[] }> {
  const spec = sizes.handoff;
  const rounds = await runRounds(spec, () => run(spec.warmupN, spec.warmupN), async () => {
    const trips = await run(spec.n, spec.warmupN);
    // A zero would be a round trip that never ran (a party failed): no result, not a fast one.
    check(trips.length === spec.n && trips.every((ms) => ms > 0), 'a party did not complete its round trips');
    const handoffsUs = Array.from(trips, (ms) => ms * 500);
    return { median: median(handoffsUs), p99: quantile(handoffsUs, 0.99) };
  });
  return { median: rounds.map((r) => r.median), p99: rounds.map((r) => r.p99) };
}

export async function handoff(forms: HandoffForms, sizes: Sizes): Promise<SectionOutput> {
  const metrics: Metrics = {};
  const samples: Record<string, number[]> = {};
  let rounds = 0;
  if (forms.sync !== undefined) {
    const r = await measureForm(forms.sync, sizes);
    samples.syncMedianUs = r.median;
    samples.syncP99Us = r.p99;
    metrics.handoffSyncMedian = median(r.median);
    metrics.handoffSyncP99 = median(r.p99);
    rounds = r.median.length;
  }
  if (forms.async !== undefined) {
    const r = await measureForm(forms.async, sizes);
    samples.asyncMedianUs = r.median;
    samples.asyncP99Us = r.p99;
    metrics.handoffAsyncMedian = median(r.median);
    metrics.handoffAsyncP99 = median(r.p99);
    rounds = Math.max(rounds, r.median.length);
  }
  return { metrics, samples, rounds };
}
