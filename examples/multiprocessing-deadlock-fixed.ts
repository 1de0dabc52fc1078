// The course's multiprocessing deadlock exercise, fixed: g() releases the lock before calling f().
import { isMain, taskModule } from 'concurrent-ts';
import { Lock, Process } from 'concurrent-ts/multiprocessing';

export async function f(lock: Lock): Promise<void> {
  await lock.withLock(() => {
    console.log('f() acquired lock');
  });
}

export async function g(lock: Lock): Promise<void> {
  await lock.withLock(() => {
    console.log('g() acquired lock');
  });
  await f(lock);
}

if (isMain()) {
  const tasks = taskModule<typeof import('./multiprocessing-deadlock-fixed.js')>(import.meta.url);
  const lock = new Lock();
  const p = new Process({ target: tasks.g, args: [lock] });
  p.start();
  await p.join();
}
