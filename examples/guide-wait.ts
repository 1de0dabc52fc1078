// wait() and asCompleted(): futures in the order they finish, not the order they were submitted.
// The sleeps differ by hundreds of milliseconds, so the order is the same on every run.
import { FIRST_COMPLETED, ThreadPoolExecutor, asCompleted, wait } from 'concurrent-ts';

function sleepFor(ms: number): number {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms); // time.sleep(ms / 1000)
  return ms;
}

const executor = new ThreadPoolExecutor({ maxWorkers: 3 });
try {
  const futures = [1500, 100, 800].map((ms) => executor.submit(sleepFor, ms));

  const { done, notDone } = await wait(futures, { returnWhen: FIRST_COMPLETED });
  console.log(`FIRST_COMPLETED: ${done.size} done, ${notDone.size} not done`);

  for await (const future of asCompleted(futures)) {
    console.log(`slept ${await future.result()} ms`);
  }

  // A timeout ends wait() with what is done so far; it does not throw.
  const slow = executor.submit(sleepFor, 1000);
  const after100 = await wait([slow], { timeout: 100 });
  console.log(`after 100 ms: ${after100.done.size} done, ${after100.notDone.size} not done`);
} finally {
  await executor.shutdown();
}
