// Worker processes of the distributed section: started, awaited until they
// say they take jobs, stopped. Shared by the concurrent-ts and BullMQ subjects
// so both get the same kind of process, started the same way.

import { spawn, type ChildProcess } from 'node:child_process';

/** Starts `node ...args` and resolves once its stderr has a line matching `ready`. */
export function startReady(args: readonly string[], ready: RegExp, timeoutMs = 30_000): Promise<ChildProcess> {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  return new Promise((resolve, reject) => {
    let log = '';
    const timer = setTimeout(() => fail(`not ready after ${timeoutMs / 1000} s`), timeoutMs);
    function fail(why: string): void {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`worker process ${why}: ${log.trim().split('\n').slice(-3).join(' / ')}`));
    }
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      log += chunk;
      if (ready.test(log)) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.once('exit', (code, signal) => fail(`exited with ${signal ?? code}`));
  });
}

/** SIGTERM (a graceful stop), SIGKILL after `graceMs`; resolves once every one is gone. */
export async function stopAll(children: readonly ChildProcess[], graceMs = 5_000): Promise<void> {
  await Promise.all(children.map(async (child) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await gone;
    clearTimeout(timer);
  }));
}
