// The scenario operations written once over a pool's "submit one task" call, so
// every pool-shaped subject submits, awaits and checks results the same way.

/** Submits add(i, 1) for every i at once, awaits all with Promise.all, returns the sum. */
export async function tinyVia(n: number, submit: (a: number, b: number) => PromiseLike<number>): Promise<number> {
  const pending = new Array<PromiseLike<number>>(n);
  for (let i = 0; i < n; i++) pending[i] = submit(i, 1);
  const results = await Promise.all(pending);
  let sum = 0;
  for (const r of results) sum += r;
  return sum;
}

/**
 * Map by hand for pools without a map: the input is cut into chunks of
 * `chunksize`, one task per chunk, all submitted at once, results read back in
 * input order. This is what Python's `chunksize` does inside the executor.
 */
export async function chunkedMap(
  items: readonly number[],
  chunksize: number,
  runChunk: (chunk: number[]) => PromiseLike<readonly number[]>,
): Promise<number> {
  const pending: PromiseLike<readonly number[]>[] = [];
  for (let start = 0; start < items.length; start += chunksize) pending.push(runChunk(items.slice(start, start + chunksize)));
  return countInOrder(items, pending);
}

/** Counts the results equal to their input, chunk after chunk, in input order. */
export async function countInOrder(items: readonly number[], chunks: readonly PromiseLike<readonly number[]>[]): Promise<number> {
  let matched = 0;
  let index = 0;
  for (const chunk of chunks) {
    for (const r of await chunk) if (r === items[index++]) matched++;
  }
  return matched;
}

/** isPrime for every number, all submitted at once, results in input order. */
export function primesVia(ns: readonly number[], submit: (n: number) => PromiseLike<boolean>): Promise<boolean[]> {
  return Promise.all(ns.map((n) => submit(n)));
}

/** The default chunk size for hand-made chunks, the same as Python's chunksize=1000 row. */
export const HAND_CHUNK = 1000;
