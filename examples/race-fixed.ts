// The course chapter's race condition, fixed: the read-modify-write runs under a Lock.
import { Lock, Thread } from 'concurrent-ts/threading';

const counter = new Int32Array(new SharedArrayBuffer(4));

function increment(val: number, counter: Int32Array, lock: Lock): void {
  lock.withLockSync(() => {
    let localCounter = counter[0] as number;
    localCounter += val;

    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1000); // sleep(1)

    counter[0] = localCounter;
    console.log(`counter=${counter[0]}`);
  });
}

const lock = new Lock();
const t1 = new Thread({ target: increment, args: [1, counter, lock] });
const t2 = new Thread({ target: increment, args: [2, counter, lock] });

t1.start();
t2.start();

await t1.join();
await t2.join();
