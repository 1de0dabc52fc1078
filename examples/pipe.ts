// The course chapter's Pipe example: the child doubles what it receives until it gets null (Python's None).
import { Pipe, Process, type Connection } from 'concurrent-ts/multiprocessing';

async function f(conn: Connection<number | null>): Promise<void> {
  for (;;) {
    const x = await conn.recv();
    if (x === null) return;
    conn.send(x * 2);
  }
}

const [connParent, connChild] = Pipe<number | null>();
const p = new Process({ target: f, args: [connChild] });
p.start();

for (const val of [3, 4, 5]) {
  connParent.send(val);
  console.log(await connParent.recv());
}

connParent.send(null);
await p.join();
