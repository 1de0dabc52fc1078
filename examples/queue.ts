// The course chapter's Queue example: the child puts a list, the parent gets it.
import { Process, Queue } from 'concurrent-ts/multiprocessing';

async function f(q: Queue<number[]>, x: number): Promise<void> {
  await q.put([x * 2, x * 3]);
}

const q = new Queue<number[]>();
const p = new Process({ target: f, args: [q, 3] });
p.start();
console.log(`[${(await q.get()).join(', ')}]`);
await p.join();
