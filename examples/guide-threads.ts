// Four threads line up at a Barrier, then take turns through a Semaphore with two seats, counting
// in shared Values. A read-modify-write (`value += 1`) needs the Value's lock, as in Python.
import { Barrier, Semaphore, SharedValue, Thread, type SynchronizedValue } from 'concurrent-ts/threading';

function visit(lineUp: Barrier, seats: Semaphore, inside: SynchronizedValue<'i'>, most: SynchronizedValue<'i'>): void {
  lineUp.waitSync(); // all four start together
  seats.withLockSync(() => {
    inside.withLockSync(() => {
      inside.value += 1;
      most.value = Math.max(most.value, inside.value);
    });
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100); // time.sleep(0.1)
    inside.withLockSync(() => {
      inside.value -= 1;
    });
  });
}

const lineUp = new Barrier(4);
const seats = new Semaphore(2);
const inside = SharedValue('i', 0);
const most = SharedValue('i', 0);

const threads = [1, 2, 3, 4].map(() => new Thread({ target: visit, args: [lineUp, seats, inside, most] }));
for (const t of threads) t.start();
for (const t of threads) await t.join();

console.log(`at most ${most.value} threads inside at once; ${inside.value} inside now`);
console.log(String(seats));
