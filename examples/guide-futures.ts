// A Future's life: PENDING in the queue, RUNNING on a worker, then FINISHED or CANCELLED.
// Two Events stand for time: the task says when it has started and waits for a go, so every run
// prints the same states.
import { ThreadPoolExecutor, TimeoutError } from 'concurrent-ts';
import { Event } from 'concurrent-ts/threading';

function square(n: number, started: Event, go: Event): number {
  started.set();
  go.waitSync(); // a worker thread may block; the main thread never does
  if (n < 0) throw new RangeError(`no square of ${n} today`);
  return n * n;
}

const executor = new ThreadPoolExecutor({ maxWorkers: 1 });
try {
  const started = new Event();
  const go = new Event();

  const first = executor.submit(square, 7, started, go);
  const second = executor.submit(square, 8, started, go);
  console.log(`submitted: ${first.state}, ${second.state}`);

  await started.wait();
  console.log(`one worker: ${first.state}, ${second.state}`);

  try {
    await first.result(100); // a timeout ends the wait, not the task
  } catch (error) {
    if (!(error instanceof TimeoutError)) throw error;
    console.log(`result(100): ${error.name}: ${error.message}`);
  }

  console.log(`second.cancel(): ${second.cancel()}, ${second.state}`);

  first.addDoneCallback((f) => console.log(`callback: ${f.state}`));
  go.set();
  console.log(`result: ${await first.result()}`);
  console.log(`first.cancel(): ${first.cancel()} (it has finished)`);

  const failing = executor.submit(square, -1, started, go);
  console.log(`exception: ${String(await failing.exception())}`);
} finally {
  await executor.shutdown();
}
