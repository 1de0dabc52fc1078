// The course's multiprocessing deadlock exercise with the blocking forms, which read line for line
// like Python's `with lock:` (the bug included). The child's second acquire does not block: it
// throws a DeadlockError at once, and the child prints it and exits.
import { isMain, taskModule } from 'concurrent-ts';
import { Lock, Process } from 'concurrent-ts/multiprocessing';

export function f(lock: Lock): void {
  lock.withLockSync(() => {
    console.log('f() acquired lock');
  });
}

export function g(lock: Lock): void {
  lock.withLockSync(() => {
    console.log('g() acquired lock');
    f(lock);
  });
}

if (isMain()) {
  const tasks = taskModule<typeof import('./multiprocessing-deadlock-sync.js')>(import.meta.url);
  const lock = new Lock();
  const p = new Process({ target: tasks.g, args: [lock] });
  p.start();
  await p.join();
}
