// Lock ops: uncontended acquire + release, as fast as one thread can go. Measures
// the fixed cost a lock adds to every critical section.

import { median } from '../lib/stats.js';
import { nowMs, runRounds } from '../lib/measure.js';
import type { LockForms, Metrics, Sizes } from '../lib/types.js';
import type { ScenarioOutput } from './scenario.js';

function syncRate(op: () => void, ops: number): number {
  const start = nowMs();
  for (let i = 0; i < ops; i++) op();
  return (ops / (nowMs() - start)) * 1000;
}

async function asyncRate(op: () => Promise<void>, ops: number): Promise<number> {
  const start = nowMs();
  for (let i = 0; i < ops; i++) await op();
  return (ops / (nowMs() - start)) * 1000;
}

export async function lock(forms: LockForms, sizes: Sizes): Promise<ScenarioOutput> {
  const spec = sizes.lock;
  const metrics: Metrics = {};
  const samples: Record<string, number[]> = {};
  const { sync } = forms;
  if (sync !== undefined) {
    samples.syncOpsPerSec = await runRounds(spec, () => syncRate(sync, spec.syncOps / 10), () => syncRate(sync, spec.syncOps));
    metrics.lockSync = median(samples.syncOpsPerSec);
  }
  samples.asyncOpsPerSec = await runRounds(spec, () => asyncRate(forms.async, spec.asyncOps / 10), () => asyncRate(forms.async, spec.asyncOps));
  metrics.lockAsync = median(samples.asyncOpsPerSec);
  return { metrics, samples, rounds: samples.asyncOpsPerSec.length };
}
