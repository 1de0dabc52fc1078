// The course chapter's Pool example: Math.abs travels by name, as Python's abs does.
import { Pool } from 'concurrent-ts/multiprocessing';

const p = new Pool(3);
try {
  console.log(`[${(await p.map(Math.abs, [-2, 8, -3, 0])).join(', ')}]`);
} finally {
  p.terminate(); // what the end of Python's `with Pool(3) as p:` does
  await p.join();
}
