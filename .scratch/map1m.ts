import { ThreadPoolExecutor } from '../dist/futures/index.js';
import { taskModule } from '../dist/index.js';
const tasks = taskModule<typeof import('../bench/tasks.js')>(new URL('../bench/tasks.ts', import.meta.url));
const ex = new ThreadPoolExecutor({ maxWorkers: 2 });
const items = Array.from({ length: 1_000_000 }, (_, i) => i);
for (let r = 0; r < 5; r++) {
  let t = performance.now();
  let n = 0;
  for await (const v of ex.map(tasks.noop, items, { chunksize: 1000 })) if (v === items[n++]) {}
  const mapMs = performance.now() - t;
  t = performance.now();
  n = 0;
  let auto = 0;
  for await (const v of ex.map(tasks.noop, items)) if (v === items[auto++]) {}
  const autoMs = performance.now() - t;
  t = performance.now();
  const chunks = [];
  for (let s = 0; s < items.length; s += 1000) chunks.push(ex.submit(tasks.noopChunk, items.slice(s, s + 1000)));
  let m = 0; let idx = 0;
  for (const c of chunks) for (const v of await c) if (v === items[idx++]) m++;
  const subMs = performance.now() - t;
  console.log(`map ${(1e6 / mapMs / 1000).toFixed(2)}M/s  auto ${(1e6 / autoMs / 1000).toFixed(2)}M/s  submit-chunks ${(1e6 / subMs / 1000).toFixed(2)}M/s`);
}
await ex.shutdown();
