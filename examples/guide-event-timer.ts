// A Timer calls a function once, later, unless cancelled; here it sets an Event the main thread
// waits for. Then an RLock, which its holder may take again.
import { Event, RLock, Timer } from 'concurrent-ts/threading';

const ready = new Event();
const timer = new Timer(500, () => {
  console.log('timer fired');
  ready.set();
});
timer.start();

console.log(`wait(50): ${await ready.wait(50)}`); // false: 50 ms passed first
console.log(`wait(): ${await ready.wait()}`); //     true, once the timer has set it

const cancelled = new Timer(100, () => console.log('never printed'));
cancelled.start();
cancelled.cancel();

const rlock = new RLock();
await rlock.withLock(async () => {
  await rlock.withLock(() => console.log(`taken twice: ${String(rlock)}`));
});
console.log(`released: ${String(rlock)}`);
