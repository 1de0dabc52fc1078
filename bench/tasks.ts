// The task functions every subject runs, written once.
//
// Each pool loads this module, compiled to plain JavaScript, in its workers, and the
// peers' worker files (workers/*.ts) only adapt its functions to their calling
// conventions, so every subject runs the same code on the same data. `add`, `noop`,
// `isPrime`, `spin` and `spinStamped` are self-contained (no imports, no closures),
// so they could also travel as source.

/** The tiny task: two numbers in, one number out. */
export function add(a: number, b: number): number {
  return a + b;
}

/** The trivial per-item function of the map scenario. */
export function noop(x: number): number {
  return x;
}

/**
 * Trial division, the course chapter's `is_prime` line for line (odd divisors up to the
 * square root), so the CPU scenario costs the same per number in every language.
 */
export function isPrime(n: number): boolean {
  if (n < 2) return false;
  if (n === 2) return true;
  if (n % 2 === 0) return false;
  const sqrtN = Math.floor(Math.sqrt(n));
  for (let i = 3; i <= sqrtN; i += 2) {
    if (n % i === 0) return false;
  }
  return true;
}

/**
 * Busy-waits `us` microseconds, then returns `tag`: CPU work, not a sleep. The wait is
 * on the monotonic clock, so a task lasts its nominal time whatever share of a CPU it
 * gets, and the mixed scenario's ideal makespan (total work ÷ workers) is exact. The
 * caller checks each result against the tag it sent.
 */
export function spin(us: number, tag: number): number {
  const end = performance.now() + us / 1000;
  while (performance.now() < end) {
    // Busy: the point is to hold the CPU.
  }
  return tag;
}

/**
 * Busy-waits `us` microseconds like `spin` and returns when it began, in ms since the
 * epoch (`Date.now()`, the clock every thread and process shares): the long task of the
 * tiny-behind-long scenario, whose caller checks that it had started before the first
 * tiny task was sent.
 */
export function spinStamped(us: number): number {
  const started = Date.now();
  const end = performance.now() + us / 1000;
  while (performance.now() < end) {
    // Busy, as in spin.
  }
  return started;
}

/**
 * `noop` over a chunk: what a pool without `map` runs per task when the caller
 * chunks the input by hand, as Python's `chunksize` does inside the executor.
 */
export function noopChunk(items: readonly number[]): number[] {
  const out = new Array<number>(items.length);
  for (let i = 0; i < items.length; i++) out[i] = noop(items[i]!);
  return out;
}

/** `add` over a batch of argument pairs: the raw batched floor's worker side. */
export function addBatch(pairs: readonly (readonly [number, number])[]): number[] {
  const out = new Array<number>(pairs.length);
  for (let i = 0; i < pairs.length; i++) {
    const p = pairs[i]!;
    out[i] = add(p[0], p[1]);
  }
  return out;
}
