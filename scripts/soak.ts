/**
 * `npm run soak`: the reliability runs of test/reliability at soak sizes, for local runs.
 * Fault injection on thread and process pools (several random runs each), then load runs; prints one
 * table: faults injected, tasks submitted, settled, lost and duplicated (both must be 0), RSS
 * before and after. Exits 1 if any guarantee broke.
 *
 * Sizes scale with CT_SOAK (default 1): `CT_SOAK=4 npm run soak` runs four times as many tasks.
 * `CT_REPLAY=<n>` replays every fault run with that key.
 */
import { runFaults, summary, type FaultReport } from '../test/fixtures/reliability/faults.js';
import { loadSummary, mb, measure, runLoad, type LoadReport, type Memory } from '../test/fixtures/reliability/load.js';
import type { PoolKind } from '../test/fixtures/reliability/pools.js';
import { runReplayKey } from '../test/fixtures/reliability/rng.js';

const scale = Number(process.env.CT_SOAK ?? 1);
if (!(scale > 0)) throw new RangeError(`CT_SOAK must be a positive number, got ${process.env.CT_SOAK}`);
const n = (x: number): number => Math.max(1, Math.round(x * scale));

interface Row {
  run: string;
  faults: number;
  submitted: number;
  settled: number;
  lost: number;
  duplicated: number;
  before: Memory;
  after: Memory;
  ok: boolean;
  note: string;
}

const rows: Row[] = [];
const started = performance.now();

for (const kind of ['thread', 'process'] as PoolKind[]) {
  for (let round = 0; round < 3; round++) {
    const key = runReplayKey();
    const before = await measure();
    const report: FaultReport = await runFaults({
      kind, replayKey: key, tasks: n(50_000), maxWorkers: 2, kills: n(20),
      faults: { exit: n(10), throwAfterReturn: n(10), throwWhileRunning: n(10), blockForever: n(4), outOfMemory: n(4) },
      deadlineMs: 600_000,
    });
    const after = await measure();
    console.error(summary(report));
    const ok = report.lost === 0 && report.duplicated === 0 && report.unexpected.length === 0 && report.shutdownReturned;
    rows.push({
      run: `faults ${kind} key ${key}`, faults: report.faultsInjected, submitted: report.submitted, settled: report.settled,
      lost: report.lost, duplicated: report.duplicated, before, after, ok,
      note: ok ? '' : report.unexpected.slice(0, 5).join('; '),
    });
  }
}

for (const [kind, total] of [['thread', n(5_000_000)], ['process', n(1_000_000)]] as Array<[PoolKind, number]>) {
  const report: LoadReport = await runLoad(kind, total);
  console.error(loadSummary(report));
  const ok = report.settled === report.submitted && report.duplicated === 0 && report.wrong === 0
    && report.after.heap <= report.before.heap * 1.1 && report.after.rss <= report.before.rss * 1.25;
  rows.push({
    run: `load ${kind}`, faults: 0, submitted: report.submitted, settled: report.settled, lost: report.submitted - report.settled,
    duplicated: report.duplicated, before: report.before, after: report.after, ok,
    note: `heap ${mb(report.before.heap)} → ${mb(report.after.heap)}`,
  });
}

const header = ['run', 'faults injected', 'tasks submitted', 'tasks settled', 'lost', 'duplicated', 'RSS before', 'RSS after', 'ok'];
const body = rows.map((r) => [r.run, String(r.faults), String(r.submitted), String(r.settled), String(r.lost), String(r.duplicated), mb(r.before.rss), mb(r.after.rss), r.ok ? 'yes' : `NO ${r.note}`]);
const total = ['total', ...[1, 2, 3, 4, 5].map((i) => String(body.reduce((sum, row) => sum + Number(row[i]), 0))), '', '', rows.every((r) => r.ok) ? 'yes' : 'NO'];
const widths = header.map((h, i) => Math.max(h.length, ...[...body, total].map((row) => (row[i] ?? '').length)));
const line = (cells: string[]): string => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join(' | ')} |`;
console.log(line(header));
console.log(`|${widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`);
for (const row of body) console.log(line(row));
console.log(line(total));
console.log(`\n${((performance.now() - started) / 1000).toFixed(0)} s, node ${process.version}, CT_SOAK=${scale}`);
process.exitCode = rows.every((r) => r.ok) ? 0 : 1;
