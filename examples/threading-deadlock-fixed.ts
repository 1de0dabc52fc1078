// The course's threading deadlock exercise, fixed: both threads take the locks in the same order.
import { Lock, Thread } from 'concurrent-ts/threading';

function f(n: number, lock1: Lock, lock2: Lock): void {
  const sleep = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
  console.log(`Thread ${n} acquiring lock 1...`);
  lock1.withLockSync(() => {
    sleep(1000);
    console.log(`Thread ${n} acquiring lock 2...`);
    lock2.withLockSync(() => {
      console.log(`Thread ${n} acquired 2 locks!`);
    });
  });
}

const lockA = new Lock({ name: 'lock_a' });
const lockB = new Lock({ name: 'lock_b' });

const t1 = new Thread({ target: f, args: [1, lockA, lockB] });
const t2 = new Thread({ target: f, args: [2, lockA, lockB] });

t1.start();
t2.start();

await t1.join();
await t2.join();
