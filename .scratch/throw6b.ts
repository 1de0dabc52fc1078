import { ProcessPoolExecutor, ThreadPoolExecutor } from '../src/futures/index.js';
import { taskModule } from '../src/index.js';
import { captureReports } from '../test/helpers/reporter.js';
import { createBoard, read } from '../test/helpers/signals.js';
const tasks = taskModule<typeof import('../test/fixtures/pool/tasks.js')>(new URL('../test/fixtures/pool/tasks.ts', import.meta.url));
for (const kind of ['thread', 'process']) {
  using reports = captureReports();
  const ex = kind === 'thread' ? new ThreadPoolExecutor({ maxWorkers: 1 }) : new ProcessPoolExecutor({ maxWorkers: 1 });
  await Promise.all(Array.from({ length: 3000 }, (_, i) => ex.submit(tasks.add, i, 1).result()));
  console.log(kind, 'warm');
  const board = createBoard(kind === 'thread' ? 'shared' : 'files');
  const modes = ['wait', 'wait', 'throw', 'wait', 'wait', 'wait'] as const;
  const fs = modes.map((m, i) => ex.submit(tasks.overlapping, board, i, 10, m));
  const t = setInterval(() => console.log(fs.map((f) => f.state), [0,1,2,3,4,5].map((i) => read(board, i)), JSON.stringify(ex.stats())), 1000);
  await Promise.allSettled(fs.map((f) => f.result()));
  console.log('settled', reports.reports.map((r) => r.message));
  clearInterval(t);
  console.log(await ex.submit(tasks.add, 1, 2));
}
