// The course chapter's race condition, as written (the bug included): two threads read the
// counter, then both write back what they computed, and one update is lost. Threads share memory
// through a SharedArrayBuffer (a plain global is per thread in Node). A Barrier stands for the
// exercise's sleep(1): both threads read before either writes, every run.
import { Barrier, Thread } from 'concurrent-ts/threading';

const counter = new Int32Array(new SharedArrayBuffer(4));

function increment(val: number, counter: Int32Array, bothRead: Barrier): void {
  let localCounter = counter[0] as number;
  localCounter += val;

  bothRead.waitSync();

  counter[0] = localCounter;
  console.log(`counter=${counter[0]}`);
}

const bothRead = new Barrier(2);
const t1 = new Thread({ target: increment, args: [1, counter, bothRead] });
const t2 = new Thread({ target: increment, args: [2, counter, bothRead] });

t1.start();
t2.start();

await t1.join();
await t2.join();
