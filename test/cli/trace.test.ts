/**
 * `--trace FILE`: a Chrome Trace Event file with one lane per worker and one slice per task,
 * whose durations add up to the busy time the summary line reports.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { runCli, TASKS } from './helpers/cli.js';

interface TraceEvent {
  name: string;
  ph: string;
  pid: number;
  tid: number;
  ts?: number;
  dur?: number;
  cat?: string;
  args?: Record<string, unknown>;
}

const dir = mkdtempSync(join(tmpdir(), 'ct-cli-trace-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Milliseconds from the summary's `420 ms` or `1.23 s`, with the rounding of that form. */
function parseDuration(text: string): { ms: number; precision: number } {
  const match = /^([\d.,]+) (ms|s)$/.exec(text);
  assert.ok(match !== null, `a duration: ${text}`);
  const value = Number((match[1] as string).replace(/,/g, ''));
  return match[2] === 's' ? { ms: value * 1000, precision: 5 } : { ms: value, precision: 0.5 };
}

async function traced(args: string[], input: string): Promise<{ events: TraceEvent[]; summary: string; stdout: string }> {
  const file = join(dir, `trace-${Math.random().toString(36).slice(2)}.json`);
  const r = await runCli(['map', ...args, '--trace', file], input);
  assert.equal(r.code, 0, r.stderr);
  const doc = JSON.parse(readFileSync(file, 'utf8')) as { traceEvents: TraceEvent[]; displayTimeUnit: string };
  assert.ok(Array.isArray(doc.traceEvents));
  assert.equal(doc.displayTimeUnit, 'ms');
  return { events: doc.traceEvents, summary: r.stderr.trim(), stdout: r.stdout };
}

describe('concurrent-ts map --trace', () => {
  test('one lane per worker, one slice per task, and slice durations that add up to the summary\'s busy time', async () => {
    // Every item waits until both workers have run one, so both lanes are there however slowly
    // the machine starts the second worker (the first one's items wait; an idle worker takes them).
    const meet = join(dir, 'meet');
    const input = Array.from({ length: 12 }, () => `${JSON.stringify({ ms: 25, dir: meet, workers: 2 })}\n`).join('');
    const { events, summary, stdout } = await traced(['test/fixtures/cli/together.ts#spinTogether', '--json', '--workers', '2', '--chunksize', '1'], input);
    assert.equal(stdout, '25\n'.repeat(12));

    const lanes = new Map(events.filter((e) => e.ph === 'M' && e.name === 'thread_name').map((e) => [e.tid, String(e.args?.name)]));
    const workerLanes = [...lanes].filter(([, name]) => name.startsWith('worker '));
    assert.deepEqual(workerLanes.map(([, name]) => name).sort(), ['worker 0 (thread)', 'worker 1 (thread)']);
    assert.equal(lanes.get(0), 'main');

    const slices = events.filter((e) => e.ph === 'X');
    for (const e of slices) {
      assert.equal(e.pid, 1);
      assert.ok(typeof e.ts === 'number' && e.ts >= 0, `ts of ${e.name}`);
      assert.ok(typeof e.dur === 'number' && e.dur >= 0, `dur of ${e.name}`);
      assert.ok(lanes.has(e.tid), `slice ${e.name} is on a named lane`);
    }
    const tasks = slices.filter((e) => e.cat === 'task');
    assert.equal(tasks.length, 12, 'with --chunksize 1, one slice per item');
    assert.ok(tasks.every((e) => e.args?.items === 1 && /^spinTogether \(line \d+\)$/.test(e.name)));
    assert.deepEqual(tasks.map((e) => Number(e.args?.lines)).sort((a, b) => a - b), Array.from({ length: 12 }, (_, i) => i + 1));
    for (const e of tasks) assert.ok((e.dur as number) >= 25_000 * 0.9, `a 25 ms item lasted ${e.dur} µs`);
    const main = slices.filter((e) => e.tid === 0);
    assert.equal(main.length, 1, 'the main lane holds the whole run');

    // The summary: `12 items in 210 ms (…); 12 tasks on 2 threads, busy 320 ms (from the trace): #0 77%, #1 75%`.
    const match = /^concurrent-ts: 12 items in (.+?) \(.*\); 12 tasks on 2 threads, busy (.+?) \(from the trace\): #0 (\d+)%, #1 (\d+)%$/.exec(summary);
    assert.ok(match !== null, summary);
    const wall = parseDuration(match[1] as string);
    const busy = parseDuration(match[2] as string);
    const onWorkers = slices.filter((e) => e.tid !== 0);
    const sumMs = onWorkers.reduce((s, e) => s + (e.dur as number), 0) / 1000;
    assert.ok(Math.abs(sumMs - busy.ms) <= busy.precision + 0.01, `slices add up to ${sumMs} ms, the summary says ${match[2]}`);
    for (const [worker, share] of [[1, match[3]], [2, match[4]]] as const) {
      const laneMs = onWorkers.filter((e) => e.tid === worker).reduce((s, e) => s + (e.dur as number), 0) / 1000;
      const expected = (laneMs * 100) / wall.ms;
      assert.ok(Math.abs(expected - Number(share)) <= 1 + (wall.precision * 100) / wall.ms,
        `worker lane ${worker}: ${laneMs} ms of ${wall.ms} ms is ${expected.toFixed(1)}%, the summary says ${share}%`);
    }
    assert.ok(main[0]?.dur !== undefined && Math.abs(main[0].dur / 1000 - wall.ms) <= wall.precision + 1, 'the main slice is the wall time');
  });

  test('with adaptive chunks a slice covers several items, and says which lines', async () => {
    const input = Array.from({ length: 3000 }, (_, i) => `${i}\n`).join('');
    const { events, summary } = await traced([`${TASKS}#double`, '--json', '--workers', '2'], input);
    const tasks = events.filter((e) => e.ph === 'X' && e.cat === 'task');
    const count = Number(/; (\d+) tasks? on/.exec(summary)?.[1]);
    assert.equal(tasks.length, count, summary);
    assert.ok(count < 3000, 'items were sent in chunks');
    assert.equal(tasks.reduce((s, e) => s + Number(e.args?.items), 0), 3000, 'the slices cover every item once');
    const covered = new Set<number>();
    for (const e of tasks) {
      const [first, last = first] = String(e.args?.lines).split('–').map(Number) as [number, number?];
      for (let line = first; line <= last; line++) covered.add(line);
    }
    assert.equal(covered.size, 3000);
    assert.ok(tasks.some((e) => Number(e.args?.items) > 1 && / × \d+$/.test(e.name)));
  });

  test('on processes the lanes are processes', async () => {
    const { events } = await traced([`${TASKS}#double`, '--json', '--processes', '--workers', '1', '-q'], '1\n2\n3\n');
    const names = events.filter((e) => e.ph === 'M' && e.name === 'thread_name').map((e) => String(e.args?.name));
    assert.deepEqual(names.sort(), ['main', 'worker 0 (process)']);
  });
});
