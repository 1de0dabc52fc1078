// The child-process side of the multiprocessing scenario for concurrent-ts,
// run by its `Process` as a task module (queues and pipes arrive working).
// Python's side is the same four functions in python/bench.py.

interface MpQueue<T = number> {
  put(item: T): Promise<void>;
  get(): Promise<T>;
}

interface MpConnection {
  send(item: number): void;
  recv(): Promise<number>;
}

export async function queueSender(queue: MpQueue, n: number): Promise<void> {
  for (let i = 0; i < n; i++) await queue.put(i);
}

/**
 * Times its own receiving, from the first message to the last (process start-up
 * stays out), and reports [ms, sum of the items] on `result`.
 */
export async function queueReceiver(queue: MpQueue, n: number, result: { put(item: number[]): Promise<void> }): Promise<void> {
  let sum = await queue.get();
  const t0 = performance.now();
  for (let i = 1; i < n; i++) sum += await queue.get();
  await result.put([performance.now() - t0, sum]);
}

export function pipeSender(conn: MpConnection, n: number): void {
  for (let i = 0; i < n; i++) conn.send(i);
}

export async function pipeEcho(conn: MpConnection, n: number): Promise<void> {
  for (let i = 0; i < n; i++) conn.send(await conn.recv());
}

/** Echoes items from `from` to `to` until it gets `null` (the large-item run: a small one first, then the big one). */
export async function echoItems(from: MpQueue<unknown>, to: MpQueue<unknown>): Promise<void> {
  for (let item = await from.get(); item !== null; item = await from.get()) await to.put(item);
}
