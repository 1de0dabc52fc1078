// The course's threading deadlock exercise written with await, as a user who reads "what blocks
// in Python returns a Promise" ports it (the bug included: thread 2 takes the locks in the
// opposite order). Python hangs forever; here, once both waits have lasted the locks' deadlock
// timeout (one second by default), the thread whose wait closed the cycle gets a DeadlockError
// and the other thread finishes. A Barrier stands for the course's sleep(1), as in the blocking form.
import { Barrier, Lock, Thread } from 'concurrent-ts/threading';

async function f(n: number, lock1: Lock, lock2: Lock, bothHoldOne: Barrier): Promise<void> {
  console.log(`Thread ${n} acquiring lock 1...`);
  await lock1.withLock(async () => {
    await bothHoldOne.wait();
    console.log(`Thread ${n} acquiring lock 2...`);
    await lock2.withLock(() => {
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
