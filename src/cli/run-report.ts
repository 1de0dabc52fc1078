/**
 * What `concurrent-ts map` reports about a run: the one-line summary (items, wall time,
 * throughput, each worker's busy share) and the `--trace` file in Chrome's Trace Event format.
 *
 * A slice in the trace is one *task*: the pool sends items to workers in chunks (one item each
 * while the cost of an item is unknown, then as many as fit in a few milliseconds), and a worker
 * records when it starts and ends each chunk, not each item. Each slice says how many items and
 * which input lines it covered. `--chunksize 1` makes every slice one item.
 *
 * @module
 */
import { count } from './progress.js';

/** The input lines a task covered; noted when it is submitted. */
export interface TaskLines {
  readonly firstLine: number;
  readonly lastLine: number;
  readonly items: number;
}

/** One task as it ran on its worker (from the executor's `settled` task events). */
export interface TaskSlice {
  /** The pool's worker index (a replaced worker gets the next index). */
  readonly worker: number;
  /** The task's number on its executor. */
  readonly task: number;
  /** Epoch ms. */
  readonly start: number;
  readonly end: number;
  /** The input lines it covered; `undefined` for the check before the map. */
  readonly lines: TaskLines | undefined;
  /** The check that imported the module and looked at the export before the map began. */
  readonly check: boolean;
}

/** Busy time of one worker. */
export interface WorkerBusy {
  /** The pool's worker index (a replaced worker gets the next index). */
  readonly worker: number;
  readonly busyMs: number;
}

/** Figures for the summary line. */
interface RunFigures {
  readonly items: number;
  readonly failed: number;
  readonly wallMs: number;
  readonly tasks: number;
  /** `'threads'`, `'processes'`, or a description of a remote executor. */
  readonly where: string;
  readonly workers: readonly WorkerBusy[] | undefined;
  /** How busy time was measured, when that is worth saying. */
  readonly busyNote?: string | undefined;
}

/**
 * The summary: `6 items in 0.52 s (11.5 items/s); 6 tasks on 2 threads, busy 426 ms: #0 41%, #1 39%`.
 * Shares are of the wall time. With more than eight workers, the minimum, mean and maximum.
 */
export function formatSummary(f: RunFigures): string {
  const rate = f.wallMs > 0 ? (f.items * 1000) / f.wallMs : 0;
  let line = `${count(f.items)} ${f.items === 1 ? 'item' : 'items'} in ${duration(f.wallMs)} (${throughput(rate)} items/s)`;
  if (f.failed > 0) line += `, ${count(f.failed)} failed`;
  line += `; ${count(f.tasks)} ${f.tasks === 1 ? 'task' : 'tasks'} on ${f.where}`;
  const workers = f.workers;
  if (workers !== undefined && workers.length > 0) {
    const total = workers.reduce((sum, w) => sum + w.busyMs, 0);
    const share = (ms: number): string => `${f.wallMs > 0 ? Math.round((ms * 100) / f.wallMs) : 0}%`;
    line += `, busy ${duration(total)}`;
    if (f.busyNote !== undefined) line += ` (${f.busyNote})`;
    if (workers.length <= 8) {
      line += `: ${workers.map((w) => `#${w.worker} ${share(w.busyMs)}`).join(', ')}`;
    } else {
      const ms = workers.map((w) => w.busyMs);
      line += `: min ${share(Math.min(...ms))}, mean ${share(total / ms.length)}, max ${share(Math.max(...ms))} of ${workers.length} workers`;
    }
  }
  return line;
}

/** `0.42` → `420 ms`, `4.2` s → `4.20 s`, longer as `m:ss`. */
export function duration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(2)} s`;
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')} min`;
}

function throughput(rate: number): string {
  return rate >= 100 ? count(rate) : rate.toFixed(1);
}

/**
 * Busy time per worker from the slices: the length of the union of each worker's slices, so that
 * an async export's overlapping calls count once.
 */
export function busyFromSlices(slices: readonly TaskSlice[]): WorkerBusy[] {
  const byWorker = new Map<number, Array<[number, number]>>();
  for (const slice of slices) {
    let list = byWorker.get(slice.worker);
    if (list === undefined) byWorker.set(slice.worker, (list = []));
    list.push([slice.start, slice.end]);
  }
  const out: WorkerBusy[] = [];
  for (const [worker, list] of [...byWorker].sort((a, b) => a[0] - b[0])) {
    list.sort((a, b) => a[0] - b[0]);
    let busy = 0;
    let [from, to] = list[0] as [number, number];
    for (const [start, end] of list) {
      if (start > to) {
        busy += to - from;
        from = start;
        to = end;
      } else if (end > to) {
        to = end;
      }
    }
    busy += to - from;
    out.push({ worker, busyMs: busy });
  }
  return out;
}

/** One event of the Chrome Trace Event format (the subset used here). */
export interface TraceEvent {
  name: string;
  ph: 'X' | 'M';
  pid: number;
  tid: number;
  ts?: number;
  dur?: number;
  cat?: string;
  args?: Record<string, unknown>;
}

/** What {@link buildTrace} needs. */
interface TraceSource {
  /** Every task that ran. */
  readonly slices: readonly TaskSlice[];
  /** Epoch ms of the start of the run: time 0 in the trace. */
  readonly startMs: number;
  readonly endMs: number;
  /** The export's name, used as the slice name. */
  readonly fnName: string;
  /** The command, shown as the process name. */
  readonly title: string;
  readonly kind: 'thread' | 'process';
  readonly items: number;
}

/**
 * The `--trace` document: `{ traceEvents, displayTimeUnit, otherData }`. Lane 0 (`main`) holds
 * one slice for the whole run; lane *w + 1* is worker *w*, with one complete (`X`) slice per task.
 * Times are microseconds from the start of the run. The first slice on one worker (category
 * `load`) is the check that imported the module before the map began. Overlapping slices on one worker (an async
 * export running several calls at once) are spread over extra lanes `worker w · 2`, `· 3`….
 */
export function buildTrace(source: TraceSource): { traceEvents: TraceEvent[]; displayTimeUnit: 'ms'; otherData: Record<string, unknown> } {
  const us = (ms: number): number => Math.round((ms - source.startMs) * 1000 * 1000) / 1000;
  const events: TraceEvent[] = [
    { name: 'process_name', ph: 'M', pid: 1, tid: 0, args: { name: source.title } },
    { name: 'thread_name', ph: 'M', pid: 1, tid: 0, args: { name: 'main' } },
    { name: 'thread_sort_index', ph: 'M', pid: 1, tid: 0, args: { sort_index: -1 } },
    {
      name: `map ${source.fnName}`, cat: 'run', ph: 'X', pid: 1, tid: 0, ts: 0, dur: us(source.endMs),
      args: { items: source.items },
    },
  ];
  const order = [...source.slices].sort((a, b) => a.worker - b.worker || a.start - b.start);
  // For each worker, the end time of each of its lanes (more than one only when calls overlap).
  const lanes = new Map<number, number[]>();
  for (const slice of order) {
    const { worker, task: id, start, end, lines } = slice;
    let ends = lanes.get(worker);
    if (ends === undefined) {
      lanes.set(worker, (ends = []));
      const noun = source.kind === 'thread' ? 'thread' : 'process';
      events.push(
        { name: 'thread_name', ph: 'M', pid: 1, tid: worker + 1, args: { name: `worker ${worker} (${noun})` } },
        { name: 'thread_sort_index', ph: 'M', pid: 1, tid: worker + 1, args: { sort_index: worker * 1000 } },
      );
    }
    let lane = ends.findIndex((busyUntil) => busyUntil <= start);
    if (lane < 0) {
      lane = ends.length;
      ends.push(end);
      if (lane > 0) {
        events.push(
          { name: 'thread_name', ph: 'M', pid: 1, tid: laneTid(worker, lane), args: { name: `worker ${worker} · ${lane + 1}` } },
          { name: 'thread_sort_index', ph: 'M', pid: 1, tid: laneTid(worker, lane), args: { sort_index: worker * 1000 + lane } },
        );
      }
    } else {
      ends[lane] = end;
    }
    const tid = laneTid(worker, lane);
    const ts = us(start);
    const dur = us(end) - ts;
    if (slice.check) {
      events.push({ name: `import and check ${source.fnName}`, cat: 'load', ph: 'X', pid: 1, tid, ts, dur, args: { task: id } });
      continue;
    }
    const items = lines?.items ?? 1;
    const name = lines === undefined ? source.fnName : items === 1 ? `${source.fnName} (line ${lines.firstLine})` : `${source.fnName} × ${items}`;
    const args: Record<string, unknown> = { task: id };
    if (lines !== undefined) {
      args.items = items;
      args.lines = lines.firstLine === lines.lastLine ? String(lines.firstLine) : `${lines.firstLine}–${lines.lastLine}`;
    }
    events.push({ name, cat: 'task', ph: 'X', pid: 1, tid, ts, dur, args });
  }
  return {
    traceEvents: events,
    displayTimeUnit: 'ms',
    otherData: { tool: 'concurrent-ts map', command: source.title, slices: 'one per task (a chunk of items; see args.items)' },
  };
}

function laneTid(worker: number, lane: number): number {
  return lane === 0 ? worker + 1 : (worker + 1) * 1000 + lane;
}
