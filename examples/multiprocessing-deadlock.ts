// The course's multiprocessing deadlock exercise, as written (the bug included): g() holds the lock
// and calls f(), which takes it again. Python hangs forever; here the child gets a DeadlockError
// naming itself and the lock, prints it, and ends with exit code 1.
// g calls f, so the child imports this module (taskModule) instead of receiving g as source;
// isMain() keeps the child from running the part below.
import { isMain, taskModule } from 'concurrent-ts';
import { Lock, Process } from 'concurrent-ts/multiprocessing';

export async function f(lock: Lock): Promise<void> {
  await lock.withLock(() => {
    console.log('f() acquired lock');
  });
}

export async function g(lock: Lock): Promise<void> {
  await lock.withLock(async () => {
    console.log('g() acquired lock');
    await f(lock);
  });
}

if (isMain()) {
  const tasks = taskModule<typeof import('./multiprocessing-deadlock.js')>(import.meta.url);
  const lock = new Lock();
  const p = new Process({ target: tasks.g, args: [lock] });
  p.start();
  await p.join();
}
