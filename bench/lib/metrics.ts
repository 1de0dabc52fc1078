// What each reported number is, how it is printed and which way is better.

import type { MetricId, ScenarioId } from './types.js';

export interface MetricInfo {
  id: MetricId;
  scenario: ScenarioId;
  /** Row label of the table and title of the chart panel. */
  label: string;
  unit: string;
  better: 'higher' | 'lower';
  format(value: number): string;
  /**
   * Not measured by a child: the report divides the first metric by the second, both of
   * the same subject (a latency against the same pool's latency without the long task).
   */
  ratioOf?: readonly [MetricId, MetricId];
  /**
   * A ratio to the subject's own baseline (the ideal, its own round trip): the ratio lines
   * compare subjects on the absolute row above it instead.
   */
  selfRelative?: true;
}

/** 1234567 → "1.23M": three significant digits are all a benchmark can claim. */
export function compact(value: number): string {
  const abs = Math.abs(value);
  if (abs >= 1e9) return `${(value / 1e9).toPrecision(3)}G`;
  if (abs >= 1e6) return `${(value / 1e6).toPrecision(3)}M`;
  if (abs >= 1e3) return `${(value / 1e3).toPrecision(3)}k`;
  return value.toPrecision(3);
}

function fixed(digits: number): (value: number) => string {
  return (value) => value.toFixed(digits);
}

/** Latencies: whole microseconds when large, one decimal when small. */
function micros(value: number): string {
  return value >= 100 ? value.toFixed(0) : value.toFixed(1);
}

export const METRICS: readonly MetricInfo[] = [
  { id: 'tiny', scenario: 'tiny', label: 'tiny tasks (100k add)', unit: 'tasks/s', better: 'higher', format: compact },
  { id: 'map', scenario: 'map', label: 'map 1M (chunksize 1000)', unit: 'items/s', better: 'higher', format: compact },
  { id: 'mapAuto', scenario: 'map-auto', label: 'map 1M (auto chunksize)', unit: 'items/s', better: 'higher', format: compact },
  { id: 'rtMedian', scenario: 'roundtrip', label: 'round trip median, 2 CPUs', unit: 'µs', better: 'lower', format: micros },
  { id: 'rtP99', scenario: 'roundtrip', label: 'round trip p99, 2 CPUs', unit: 'µs', better: 'lower', format: micros },
  { id: 'rt1Median', scenario: 'roundtrip-1cpu', label: 'round trip median, one CPU', unit: 'µs', better: 'lower', format: micros },
  { id: 'rt1P99', scenario: 'roundtrip-1cpu', label: 'round trip p99, one CPU', unit: 'µs', better: 'lower', format: micros },
  { id: 'mixed', scenario: 'mixed', label: 'mixed 20k (1% 20 ms), makespan', unit: 'ms', better: 'lower', format: fixed(0) },
  { id: 'mixedIdeal', scenario: 'mixed', label: 'mixed 20k, makespan ÷ ideal', unit: '× ideal', better: 'lower', format: fixed(2), selfRelative: true },
  { id: 'behindP50', scenario: 'behind', label: 'tiny behind a 2 s task, median', unit: 'µs', better: 'lower', format: micros },
  { id: 'behindP99', scenario: 'behind', label: 'tiny behind a 2 s task, p99', unit: 'µs', better: 'lower', format: micros },
  { id: 'behindP50Ratio', scenario: 'behind', label: 'behind median ÷ round trip median', unit: '× round trip', better: 'lower', format: fixed(2), ratioOf: ['behindP50', 'rtMedian'], selfRelative: true },
  { id: 'behindP99Ratio', scenario: 'behind', label: 'behind p99 ÷ round trip p99', unit: '× round trip', better: 'lower', format: fixed(2), ratioOf: ['behindP99', 'rtP99'], selfRelative: true },
  { id: 'cpuBatch', scenario: 'cpu', label: 'CPU scaling, 32 primes', unit: '× speedup', better: 'higher', format: fixed(2) },
  { id: 'cpuCourse', scenario: 'cpu', label: "CPU scaling, the course's 6 numbers", unit: '× speedup', better: 'higher', format: fixed(2) },
  { id: 'first', scenario: 'first', label: 'first result (fresh pool)', unit: 'ms', better: 'lower', format: fixed(1) },
  { id: 'rss', scenario: 'rss', label: 'peak RSS (100k in flight)', unit: 'MiB', better: 'lower', format: fixed(0) },
  { id: 'lockSync', scenario: 'lock', label: 'lock acquire/release, blocking form', unit: 'ops/s', better: 'higher', format: compact },
  { id: 'lockAsync', scenario: 'lock', label: 'lock acquire/release, async form', unit: 'ops/s', better: 'higher', format: compact },
  { id: 'handoffSyncMedian', scenario: 'handoff', label: 'hand-off median, blocking form', unit: 'µs', better: 'lower', format: micros },
  { id: 'handoffSyncP99', scenario: 'handoff', label: 'hand-off p99, blocking form', unit: 'µs', better: 'lower', format: micros },
  { id: 'handoffAsyncMedian', scenario: 'handoff', label: 'hand-off median, async form', unit: 'µs', better: 'lower', format: micros },
  { id: 'handoffAsyncP99', scenario: 'handoff', label: 'hand-off p99, async form', unit: 'µs', better: 'lower', format: micros },
  { id: 'mpQueue', scenario: 'mp', label: 'Queue, child → parent', unit: 'msgs/s', better: 'higher', format: compact },
  { id: 'mpQueueC2C', scenario: 'mp', label: 'Queue, child → child', unit: 'msgs/s', better: 'higher', format: compact },
  { id: 'mpPipe', scenario: 'mp', label: 'Pipe, child → parent', unit: 'msgs/s', better: 'higher', format: compact },
  { id: 'mpPipeRt', scenario: 'mp', label: 'Pipe, round trips', unit: 'round trips/s', better: 'higher', format: compact },
  { id: 'mpBig', scenario: 'mp', label: '64 MiB item, parent → child → parent (2 Queues)', unit: 'ms', better: 'lower', format: fixed(0) },
  { id: 'distSubmit', scenario: 'dist', label: 'submit, tiny tasks', unit: 'tasks/s', better: 'higher', format: compact },
  { id: 'distMap', scenario: 'dist', label: 'map 1M (chunksize 1000)', unit: 'items/s', better: 'higher', format: compact },
  { id: 'distMapAuto', scenario: 'dist', label: 'map 1M (auto chunksize)', unit: 'items/s', better: 'higher', format: compact },
];

export function metric(id: MetricId): MetricInfo {
  return METRICS.find((m) => m.id === id)!;
}
