// map(): results in input order, items sent in chunks, and one deadline counted from the call.
import { ThreadPoolExecutor, TimeoutError } from 'concurrent-ts';

function square(n: number): number {
  return n * n;
}

function sleepFor(ms: number): number {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
  return ms;
}

const executor = new ThreadPoolExecutor({ maxWorkers: 2 });
try {

  // 10,000 tiny calls in 10 messages of 1,000 items each, instead of 10,000 messages.
  const numbers = Array.from({ length: 10_000 }, (_, i) => i);
  let total = 0;
  for await (const sq of executor.map(square, numbers, { chunksize: 1000 })) total += sq;
  console.log(`sum of squares below 10,000: ${total}`);

  // list(executor.map(...)) in Python
  console.log(await executor.map(square, [1, 2, 3]).toArray());

  // The timeout is one deadline for the whole map, counted from the call to map().
  try {
    for await (const ms of executor.map(sleepFor, [100, 200, 2000], { timeout: 1000 })) {
      console.log(`slept ${ms} ms`);
    }
  } catch (error) {
    if (!(error instanceof TimeoutError)) throw error;
    console.log(`${error.name}: ${error.message}`);
  }
} finally {
  await executor.shutdown();
}
