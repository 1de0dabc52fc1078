// Processes contain crashes: a task that ends its process fails alone, and the pool goes on.
import { ProcessPoolExecutor } from 'concurrent-ts';

function crash(code: number): never {
  process.exit(code);
}

function square(n: number): number {
  return n * n;
}

const executor = new ProcessPoolExecutor({ maxWorkers: 2 });
try {
  const crashed = executor.submit(crash, 3);
  console.log(String(await crashed.exception()));
  console.log(await executor.map(square, [1, 2, 3]).toArray());
} finally {
  await executor.shutdown();
}
