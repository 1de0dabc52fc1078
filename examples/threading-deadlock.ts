// The course's threading deadlock exercise, as written (the bug included): thread 2 takes the
// locks in the opposite order. Python hangs forever; here the thread whose wait closes the cycle
// gets a DeadlockError naming both threads and both locks, and the other thread finishes.
// A Barrier stands for the course's sleep(1): both threads hold their first lock before either
// asks for its second one, every run.
import { Barrier, Lock, Thread } from 'concurrent-ts/threading';

function f(n: number, lock1: Lock, lock2: Lock, bothHoldOne: Barrier): void {
  console.log(`Thread ${n} acquiring lock 1...`);
  lock1.withLockSync(() => {
    bothHoldOne.waitSync();
    console.log(`Thread ${n} acquiring lock 2...`);
    lock2.withLockSync(() => {
      console.log(`Thread ${n} acquired 2 locks!`);
    });
  });
}

const lockA = new Lock({ name: 'lock_a' });
const lockB = new Lock({ name: 'lock_b' });
const bothHoldOne = new Barrier(2);

const t1 = new Thread({ target: f, args: [1, lockA, lockB, bothHoldOne] });
const t2 = new Thread({ target: f, args: [2, lockB, lockA, bothHoldOne] });

t1.start();
t2.start();

await t1.join();
await t2.join();
