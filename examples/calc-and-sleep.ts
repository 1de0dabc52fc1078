// The first ProcessPoolExecutor example of the course chapter: one task in a pool of one process.
// pow(128, 256) is a 540-digit integer, so it is a bigint here; sleep(1) is a blocking wait in the child.
import { ProcessPoolExecutor } from 'concurrent-ts';

function calcAndSleep(a: bigint, b: bigint): bigint {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1000);
  return a ** b;
}

const start = performance.now();

const executor = new ProcessPoolExecutor({ maxWorkers: 1 });
try {
  const future = executor.submit(calcAndSleep, 128n, 256n);
  console.log(String(await future.result()));
} finally {
  await executor.shutdown(); // waits for the pool's tasks, as the end of Python's `with` block does
}

const finish = performance.now();
console.log(`Finished in ${((finish - start) / 1000).toFixed(2)} seconds`);
