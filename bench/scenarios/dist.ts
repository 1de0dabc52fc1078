// Distributed executor throughput on one machine: tiny jobs through `submit`
// (each result awaited) and a map of trivial items in chunks, on a Redis server
// the runner starts for the section (lib/redis.ts) and restarts for each cell.

import { median } from '../lib/stats.js';
import { runRounds } from '../lib/measure.js';
import { NotAvailable, type Metrics, type SectionOutput, type Sizes } from '../lib/types.js';
import { check, expectedTinySum } from './scenario.js';

/** The environment variable through which the runner names its Redis server. */
export const REDIS_URL_ENV = 'BENCH_REDIS_URL';

/** A queue with its worker processes started, reduced to what the scenario needs. */
export interface DistHandle {
  /** Submits add(i, 1) for i in [0, n) at once, awaits every result; resolves with their sum. */
  submit(n: number): Promise<number>;
  /** `noop` over `items`, in input order; resolves with how many results equal their input. Absent: no map. */
  map?: (items: readonly number[], chunksize: number | undefined) => Promise<number>;
  close(): Promise<void>;
}

export function redisUrl(): string {
  const url = process.env[REDIS_URL_ENV];
  if (url === undefined || url === '') throw new NotAvailable('redis-server not installed');
  return url;
}

function rate(count: number, t0: number): number {
  return (count / (performance.now() - t0)) * 1000;
}

export async function dist(open: (sizes: Sizes) => Promise<DistHandle>, sizes: Sizes): Promise<SectionOutput> {
  const spec = sizes.dist;
  const handle = await open(sizes);
  const metrics: Metrics = {};
  const samples: Record<string, number[]> = {};
  try {
    const submitRound = async (n: number) => {
      const t0 = performance.now();
      const sum = await handle.submit(n);
      const perSec = rate(n, t0);
      check(sum === expectedTinySum(n), `sum ${sum}`);
      return perSec;
    };
    samples.submitJobsPerSec = await runRounds(spec, () => submitRound(spec.jobs / 10), () => submitRound(spec.jobs));
    metrics.distSubmit = median(samples.submitJobsPerSec);
    const { map } = handle;
    if (map !== undefined) {
      const items = Array.from({ length: spec.items }, (_, i) => i);
      const warm = items.slice(0, spec.items / 10);
      const mapRound = async (xs: readonly number[], chunksize: number | undefined) => {
        const t0 = performance.now();
        const matched = await map(xs, chunksize);
        const perSec = rate(xs.length, t0);
        check(matched === xs.length, `${matched} of ${xs.length} in order`);
        return perSec;
      };
      samples.mapItemsPerSec = await runRounds(spec, () => mapRound(warm, spec.chunksize), () => mapRound(items, spec.chunksize));
      metrics.distMap = median(samples.mapItemsPerSec);
      samples.mapAutoItemsPerSec = await runRounds(spec, () => mapRound(warm, undefined), () => mapRound(items, undefined));
      metrics.distMapAuto = median(samples.mapAutoItemsPerSec);
    }
  } finally {
    await handle.close();
  }
  return { metrics, samples, rounds: samples.submitJobsPerSec?.length ?? 0 };
}
