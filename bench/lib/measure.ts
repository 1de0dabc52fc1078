// Timing, repeated rounds and peak memory, shared by every scenario on the Node side.
// bench/python/bench.py mirrors these rules so both languages are measured alike.

import { readdirSync, readFileSync } from 'node:fs';
import type { RoundSpec } from './types.js';

/** Monotonic milliseconds with sub-microsecond resolution. */
export function nowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/**
 * Runs `round` after one discarded warm-up call, `spec.rounds` times or fewer:
 * past `spec.minRounds` it stops once `spec.budgetMs` of measuring is spent, so a
 * slow subject costs three rounds instead of five. Returns the values `round`
 * reported, in order.
 */
export async function runRounds<T>(spec: RoundSpec, warmup: () => unknown, round: () => T | Promise<T>): Promise<T[]> {
  await warmup();
  const values: T[] = [];
  const start = nowMs();
  for (let i = 0; i < spec.rounds; i++) {
    values.push(await round());
    if (values.length >= spec.minRounds && nowMs() - start > spec.budgetMs) break;
  }
  return values;
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
 * CPU time in ms used so far by this process (all threads), its children that
 * ended and its live descendants. The runner compares it with the machine's busy
 * time to notice other programs competing for the CPUs during a cell.
 */
export function treeCpuMs(): number {
  try {
    let ticks = cpuTicks('self');
    for (const pid of descendants(process.pid)) ticks += cpuTicks(pid);
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
