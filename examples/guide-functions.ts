// How a function reaches a worker: as source text, by reference to a module's export, or by name.
import { ThreadPoolExecutor, taskModule } from 'concurrent-ts';

const tasks = taskModule<typeof import('./tasks.js')>(new URL('./tasks.js', import.meta.url));

function double(n: number): number {
  return n * 2;
}

const executor = new ThreadPoolExecutor({ maxWorkers: 2 });
try {

  console.log(await executor.submit(double, 21)); //            1. self-contained: sent as source
  console.log(await executor.submit(tasks.sha256, 'abc')); //   2. exported: the worker imports tasks.ts
  console.log(await executor.submit(Math.hypot, 3, 4)); //      3. a built-in: sent by name

  const factor = 3;
  const triple = (n: number): number => n * factor; // reads a variable of this module
  try {
    await executor.submit(triple, 5);
  } catch (error) {
    console.log(String(error));
  }
} finally {
  await executor.shutdown();
}
