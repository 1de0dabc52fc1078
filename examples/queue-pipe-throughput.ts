// Messages per second between two processes, through a Queue and through a Pipe: one child
// sends N small messages, the parent (which runs the broker) receives them; then the same between
// two children (both talk to the broker over its socket). Also the round trip of one message
// there and back (ping-pong). Run: npm run build && npx tsx examples/queue-pipe-throughput.ts [N]
import { Pipe, Process, Queue, type Connection } from 'concurrent-ts/multiprocessing';

const N = Number(process.argv[2] ?? 100_000);
const ROUNDS = Math.max(1, Math.floor(N / 20));

async function queueSender(q: Queue<number>, n: number): Promise<void> {
  for (let i = 0; i < n; i++) await q.put(i);
}

function pipeSender(conn: Connection<number>, n: number): void {
  for (let i = 0; i < n; i++) conn.send(i);
}

async function pipeEcho(conn: Connection<number>, n: number): Promise<void> {
  for (let i = 0; i < n; i++) conn.send(await conn.recv());
}

async function queueEcho(inbox: Queue<number>, outbox: Queue<number>, n: number): Promise<void> {
  for (let i = 0; i < n; i++) await outbox.put(await inbox.get());
}

async function queueReceiver(q: Queue<number>, n: number, result: Queue<number>): Promise<void> {
  await q.get();
  const t0 = performance.now();
  for (let i = 1; i < n; i++) await q.get();
  await result.put(performance.now() - t0);
}

async function pipeReceiver(conn: Connection<number>, n: number, result: Queue<number>): Promise<void> {
  await conn.recv();
  const t0 = performance.now();
  for (let i = 1; i < n; i++) await conn.recv();
  await result.put(performance.now() - t0);
}

function report(what: string, count: number, ms: number): void {
  console.log(`${what.padEnd(28)} ${Math.round(count / (ms / 1000)).toLocaleString('en-US').padStart(9)} messages/s`);
}

{
  const q = new Queue<number>();
  const p = new Process({ target: queueSender, args: [q, N] });
  p.start();
  await q.get();
  const t0 = performance.now();
  for (let i = 1; i < N; i++) await q.get();
  report('Queue, one way', N - 1, performance.now() - t0);
  await p.join();
}

{
  const [mine, theirs] = Pipe<number>();
  const p = new Process({ target: pipeSender, args: [theirs, N] });
  p.start();
  await mine.recv();
  const t0 = performance.now();
  for (let i = 1; i < N; i++) await mine.recv();
  report('Pipe, one way', N - 1, performance.now() - t0);
  await p.join();
}

{
  const q = new Queue<number>();
  const result = new Queue<number>();
  const receiver = new Process({ target: queueReceiver, args: [q, N, result] });
  const sender = new Process({ target: queueSender, args: [q, N] });
  receiver.start();
  sender.start();
  report('Queue, child to child', N - 1, await result.get());
  await sender.join();
  await receiver.join();
}

{
  const [a, b] = Pipe<number>();
  const result = new Queue<number>();
  const receiver = new Process({ target: pipeReceiver, args: [a, N, result] });
  const sender = new Process({ target: pipeSender, args: [b, N] });
  receiver.start();
  sender.start();
  report('Pipe, child to child', N - 1, await result.get());
  await sender.join();
  await receiver.join();
}

{
  const inbox = new Queue<number>();
  const outbox = new Queue<number>();
  const p = new Process({ target: queueEcho, args: [inbox, outbox, ROUNDS + 1] });
  p.start();
  await inbox.put(0);
  await outbox.get();
  const t0 = performance.now();
  for (let i = 0; i < ROUNDS; i++) {
    await inbox.put(i);
    await outbox.get();
  }
  report('Queue, round trip', ROUNDS, performance.now() - t0);
  await p.join();
}

{
  const [mine, theirs] = Pipe<number>();
  const p = new Process({ target: pipeEcho, args: [theirs, ROUNDS + 1] });
  p.start();
  mine.send(0);
  await mine.recv();
  const t0 = performance.now();
  for (let i = 0; i < ROUNDS; i++) {
    mine.send(i);
    await mine.recv();
  }
  report('Pipe, round trip', ROUNDS, performance.now() - t0);
  await p.join();
}
