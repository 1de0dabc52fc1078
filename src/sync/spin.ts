/**
 * Bounded busy-waiting on a slot of shared memory, for the few places where a reply is expected
 * within microseconds.
 *
 * On a virtual machine, a thread that sleeps lets its virtual CPU halt, and waking a halted CPU
 * costs tens of microseconds, which is most of a round trip to a worker. Spinning for a short,
 * bounded time keeps the CPU awake while the answer is on its way. It only helps when the two
 * threads run on different cores: with one core (or a process pinned to one), the spinner takes
 * the time from the very thread it waits for, so {@link spinAllowed} is false there.
 *
 * @module
 */
import { availableParallelism } from 'node:os';

/** How long a spin may last, in milliseconds: a few wake-ups' worth, far below a scheduler tick. */
export const SPIN_MS = 0.05;

/** More than one core is available to this process (`taskset` and cgroup limits included). */
export const spinAllowed: boolean = availableParallelism() > 1;

/** Time checks are costly next to a check of shared memory: look at the clock once per this many. */
const CHECKS_PER_CLOCK = 64;

/**
 * Busy-waits until `ready()` returns true, for at most `ms` milliseconds. Returns whether it did.
 * `ready` should be a load or two of shared memory: it runs millions of times a second.
 */
export function spinUntil(ready: () => boolean, ms: number = SPIN_MS, checksPerClock: number = CHECKS_PER_CLOCK): boolean {
  const end = performance.now() + ms;
  for (;;) {
    for (let i = 0; i < checksPerClock; i++) if (ready()) return true;
    if (performance.now() >= end) return false;
  }
}
