// A pool's metrics in Prometheus' text exposition format (docs/metrics.md): serve `prometheusText`
// on /metrics with any HTTP server. Run: npm run build && npx tsx examples/metrics-prometheus.ts
import { ThreadPoolExecutor, type PoolMetrics, type TimeSummary } from 'concurrent-ts';

/** One pool's figures as Prometheus text; `pool` labels every series. */
export function prometheusText(m: PoolMetrics, pool: string): string {
  const lines: string[] = [];
  const metric = (name: string, type: string, help: string, samples: Array<[string, number]>): void => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, value] of samples) lines.push(`${name}{pool="${pool}"${labels}} ${value}`);
  };
  const summary = (name: string, help: string, s: TimeSummary): void => metric(name, 'summary', help, [
    [',quantile="0.5"', s.p50 / 1000], [',quantile="0.9"', s.p90 / 1000], [',quantile="0.99"', s.p99 / 1000],
  ]);
  metric('pool_tasks_queued', 'gauge', 'Tasks waiting for a worker.', [['', m.queued]]);
  metric('pool_tasks_running', 'gauge', 'Tasks on a worker, not settled.', [['', m.running]]);
  metric('pool_tasks_total', 'counter', 'Tasks settled in the period, by outcome.', [
    [',outcome="completed"', m.completed], [',outcome="failed"', m.failed], [',outcome="cancelled"', m.cancelled],
  ]);
  summary('pool_task_wait_seconds', 'From submit to the start on a worker.', m.waitTime);
  summary('pool_task_run_seconds', 'From the start on a worker to the end.', m.runTime);
  metric('pool_worker_utilization', 'gauge', 'Share of the period a worker ran task code.',
    m.workers.map((w): [string, number] => [`,worker="${w.name}"`, Number(w.utilization.toFixed(3))]));
  return `${lines.join('\n')}\n`;
}

const pool = new ThreadPoolExecutor({ maxWorkers: 2 });
try {
  const square = (x: number): number => x * x;
  await Promise.all(Array.from({ length: 1000 }, (_, i) => pool.submit(square, i)));
  const text = prometheusText(pool.metrics(), 'squares');
  console.log(text.split('\n').filter((line) => line.startsWith('pool_tasks')).join('\n'));
} finally {
  await pool.shutdown();
}
