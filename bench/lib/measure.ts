// Timing, repeated rounds and peak memory, shared by every scenario on the Node side.
// bench/python/bench.py mirrors these rules so both languages are measured alike.

import { readdirSync, readFileSync } from 'node:fs';
import { machineBusyMs } from './load.js';
import type { RoundSpec } from './types.js';

/** Monotonic milliseconds with sub-microsecond resolution. */
export function nowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/**
 * A round is disturbed when other programs used more than this many cores
 * during it, and more than DISTURBED_MIN_MS in all: /proc/stat counts whole
 * 10 ms ticks per core, so over a 20 ms round the estimate alone can be off by
 * two or three ticks.
 */
export const DISTURBED_CORES = 0.2;
const DISTURBED_MIN_MS = 60;

/** Extra rounds allowed to replace disturbed ones, unless the spec says otherwise. */
const EXTRA_ROUNDS = 4;

/** What runRounds saw over the whole cell; child.ts reports it with the result. */
export const roundLog = {
  measured: 0,
  discarded: 0,
  /** Cores used by other programs during each kept round. */
  keptForeign: [] as number[],
  /** True when disturbed rounds had to be kept for lack of quiet ones. */
  noisy: false,
};

/**
 * Runs `round` after one discarded warm-up call, `spec.rounds` times or fewer:
 * past `spec.minRounds` it stops once `spec.budgetMs` of measuring is spent, so a
 * slow subject costs three rounds instead of five.
 *
 * The machine may be shared: rounds during which other programs kept a CPU busy
 * are set aside and replaced (up to EXTRA_ROUNDS more). If too few quiet rounds
 * remain, the least disturbed are kept and the cell is marked noisy. Returns the
 * values of the kept rounds, in order.
 */
export async function runRounds<T>(spec: RoundSpec, warmup: () => unknown, round: () => T | Promise<T>): Promise<T[]> {
  await warmup();
  const all: { value: T; foreign: number; index: number }[] = [];
  const quiet = () => all.filter((r) => r.foreign <= DISTURBED_CORES);
  const start = nowMs();
  const timeCap = 2 * spec.budgetMs + 30_000;
  while (all.length < spec.rounds + (spec.extraRounds ?? EXTRA_ROUNDS)) {
    const busy0 = machineBusyMs();
    const own0 = treeCpuMs();
    const t0 = nowMs();
    const value = await round();
    const wall = nowMs() - t0;
    const busy1 = machineBusyMs();
    const foreignMs = busy0 === undefined || busy1 === undefined ? 0 : Math.max(0, busy1 - busy0 - (treeCpuMs() - own0));
    const foreign = foreignMs > DISTURBED_MIN_MS ? foreignMs / Math.max(wall, 1) : 0;
    all.push({ value, foreign, index: all.length });
    const kept = quiet().length;
    const elapsed = nowMs() - start;
    if (kept >= spec.rounds) break;
    if (kept >= spec.minRounds && elapsed > spec.budgetMs) break;
    if (elapsed > timeCap && all.length >= spec.minRounds) break;
  }
  let kept = quiet();
  if (kept.length < Math.min(spec.minRounds, all.length)) {
    roundLog.noisy = true;
    kept = [...all].sort((a, b) => a.foreign - b.foreign).slice(0, spec.minRounds).sort((a, b) => a.index - b.index);
  }
  roundLog.measured += all.length;
  roundLog.discarded += all.length - kept.length;
  roundLog.keptForeign.push(...kept.map((r) => r.foreign));
  return kept.map((r) => r.value);
}

/** VmHWM of one process in KiB, or 0 when it is gone or unreadable. */
function hwmKiB(pid: number | 'self'): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = /^VmHWM:\s+(\d+)\s+kB$/m.exec(status);
    return match ? Number(match[1]) : 0;
  } catch {
    return 0;
  }
}

/** The fields of /proc/<pid>/stat after the command name (the first is the state). */
function statFields(pid: number | 'self'): string[] | undefined {
  try {
    // The command name may contain spaces and parentheses; the fields follow the last ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** Linux reports CPU times in clock ticks of 1/100 s (USER_HZ) on every architecture Node runs on. */
const TICK_MS = 10;

/** utime + stime + cutime + cstime: a process's CPU time plus that of its reaped children. */
function cpuTicks(pid: number | 'self'): number {
  const f = statFields(pid);
  if (f === undefined) return 0;
  return Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
}

/**
 * Processes outside this one's tree that work for the cell (the distributed section's Redis
 * server, which the runner starts): comma-separated pids.
 */
export const OWN_PIDS_ENV = 'BENCH_OWN_PIDS';

const ownPids = (process.env[OWN_PIDS_ENV] ?? '').split(',').filter((p) => /^\d+$/.test(p)).map(Number);

/**
 * CPU time in ms used so far by this process (all threads), its children that
 * ended, its live descendants and the processes of OWN_PIDS_ENV. The runner
 * compares it with the machine's busy time to notice other programs competing
 * for the CPUs during a cell.
 */
export function treeCpuMs(): number {
  try {
    let ticks = cpuTicks('self');
    for (const pid of descendants(process.pid)) ticks += cpuTicks(pid);
    for (const pid of ownPids) ticks += cpuTicks(pid);
    return ticks * TICK_MS;
  } catch {
    const usage = process.cpuUsage();
    return (usage.user + usage.system) / 1000;
  }
}

/** Every live descendant of `root`, found through the PPid field of /proc/<pid>/stat. */
function descendants(root: number): number[] {
  const parentOf = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    // Undefined when the process ended while we listed /proc.
    const fields = statFields(Number(entry));
    if (fields !== undefined) parentOf.set(Number(entry), Number(fields[1]));
  }
  const found: number[] = [];
  const frontier = [root];
  while (frontier.length > 0) {
    const parent = frontier.pop()!;
    for (const [pid, ppid] of parentOf) {
      if (ppid === parent) {
        found.push(pid);
        frontier.push(pid);
      }
    }
  }
  return found;
}

/**
 * Peak RSS in MiB of this process plus the peaks of its live descendants.
 * Worker threads live inside the process, but a process pool's memory is in its
 * children, so those are added: otherwise process pools would look free.
 * Falls back to this process alone where /proc is missing.
 */
export function peakRssMiB(): number {
  let kib = hwmKiB('self');
  if (kib === 0) return process.resourceUsage().maxRSS / 1024;
  try {
    for (const pid of descendants(process.pid)) kib += hwmKiB(pid);
  } catch {
    // No /proc listing: report this process alone.
  }
  return kib / 1024;
}
