// The task functions every subject runs, written once.
//
// Each pool loads this module, compiled to plain JavaScript, in its workers, and the
// peers' worker files (workers/*.ts) only adapt its functions to their calling
// conventions, so every subject runs the same code on the same data. `add`, `noop`
// and `isPrime` are self-contained (no imports, no closures), so they could also
// travel as source.

/** The tiny task: two numbers in, one number out. */
export function add(a: number, b: number): number {
  return a + b;
}

/** The trivial per-item function of the map scenario. */
export function noop(x: number): number {
  return x;
}

/**
 * Trial division, the seed's `is_prime` line for line (odd divisors up to the
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
