// The shape every Node-side scenario has, and the helpers they share.

import type { Metrics, PoolHandle, Sizes } from '../lib/types.js';

export type PoolFactory = (workers: number) => PoolHandle | Promise<PoolHandle>;

export interface ScenarioOutput {
  metrics: Metrics;
  samples: Record<string, number[]>;
  rounds: number;
  /** Anything the reader should know about this cell (shown in the report). */
  note?: string;
}

export type NodeScenario = (factory: PoolFactory, sizes: Sizes) => Promise<ScenarioOutput>;

/**
 * Closes a pool, but never waits more than `ms`: a pool that cannot shut down
 * must not eat the run's time budget (the child exits right after anyway).
 */
export async function closeWithin(pool: PoolHandle, ms = 5_000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    pool.close(),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, ms);
    }),
  ]);
  clearTimeout(timer);
}

/**
 * Closes a pool that was only just started, after letting its workers finish
 * booting (untimed). Terminating a worker thread while it is still loading its
 * modules can abort the whole process on Node 20 (seen with piscina here), and a
 * benchmark must not measure that.
 */
export async function settleAndClose(pool: PoolHandle): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 100));
  await closeWithin(pool);
}

/** Fails the cell when a subject returns wrong results: a fast wrong answer is no result. */
export function check(ok: boolean, what: string): void {
  if (!ok) throw new Error(`wrong results: ${what}`);
}

/** Sum of add(i, 1) for i in [0, n). */
export function expectedTinySum(n: number): number {
  return (n * (n - 1)) / 2 + n;
}

/** Starts a pool and runs a few tasks through it, so that it is warm. */
export async function warmPool(factory: PoolFactory, sizes: Sizes): Promise<PoolHandle> {
  const pool = await factory(sizes.workers);
  const warm: Promise<number>[] = [];
  for (let i = 0; i < 4 * sizes.workers; i++) warm.push(pool.call(i, 1));
  await Promise.all(warm);
  return pool;
}
