/**
 * Polls `check` until it holds, for what a test cannot await directly (a Redis key written by
 * another process, a worker's heartbeat): an upper bound, never a measure.
 *
 * @param check - what must become true.
 * @param timeout - how long to keep trying, in ms.
 * @throws {Error} `condition not met in time` once `timeout` ms pass.
 */
export async function waitUntil(check: () => boolean | Promise<boolean>, timeout = 15_000): Promise<void> {
  const deadline = performance.now() + timeout;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
