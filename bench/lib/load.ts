// Notices other programs competing for the CPUs. On a shared 2-core machine a
// build or test run next to the benchmark can halve a pool's throughput, and
// nothing in the numbers would show it. The children compare the machine's busy
// time with their own CPU time round by round (lib/measure.ts); the runner waits
// for a quiet machine after a disturbed cell.

import { readFileSync } from 'node:fs';

/** Busy time of all cores since boot, in ms (user, nice, system, irq, softirq); undefined without /proc. */
export function machineBusyMs(): number | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!;
    if (!line.startsWith('cpu ')) return undefined;
    const f = line.trim().split(/\s+/).slice(1).map(Number);
    // Clock ticks of 1/100 s (USER_HZ). idle, iowait, steal and guest are not work done here.
    return (f[0]! + f[1]! + f[2]! + f[5]! + f[6]!) * 10;
  } catch {
    return undefined;
  }
}

function ownCpuMs(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}

/** Cores kept busy by everything but this process during `ms`; undefined without /proc. */
export async function backgroundCores(ms: number): Promise<number | undefined> {
  const busy0 = machineBusyMs();
  const own0 = ownCpuMs();
  await new Promise((resolve) => setTimeout(resolve, ms));
  const busy1 = machineBusyMs();
  if (busy0 === undefined || busy1 === undefined) return undefined;
  return Math.max(0, busy1 - busy0 - (ownCpuMs() - own0)) / ms;
}

/**
 * Waits, up to `maxWaitMs`, until other programs use less than `threshold` cores.
 * Returns the last load seen.
 */
export async function waitForQuiet(threshold: number, maxWaitMs: number): Promise<number | undefined> {
  const deadline = Date.now() + maxWaitMs;
  let load = await backgroundCores(500);
  while (load !== undefined && load > threshold && Date.now() < deadline) load = await backgroundCores(1000);
  return load;
}
