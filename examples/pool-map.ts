// The seed's Pool example: Math.abs travels by name, as Python's abs does.
import { Pool } from 'concurrent-ts/multiprocessing';

await using p = new Pool(3);
console.log(`[${(await p.map(Math.abs, [-2, 8, -3, 0])).join(', ')}]`);
