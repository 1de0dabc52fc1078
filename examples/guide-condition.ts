// A Condition: a consumer thread sleeps until the main thread puts a number in a shared slot, and
// the main thread sleeps until the slot is empty again. Only the consumer prints, so the order is fixed.
import { Condition, SharedValue, Thread, type SynchronizedValue } from 'concurrent-ts/threading';

function consume(cond: Condition, slot: SynchronizedValue<'i'>, count: number): void {
  for (let i = 0; i < count; i++) {
    cond.withLockSync(() => {
      cond.waitForSync(() => slot.value !== 0);
      console.log(`consumer got ${slot.value}`);
      slot.value = 0;
      cond.notifyAll();
    });
  }
}

const cond = new Condition(); // over a new RLock, as in Python
const slot = SharedValue('i', 0);
const consumer = new Thread({ target: consume, args: [cond, slot, 3] });
consumer.start();

for (const item of [10, 20, 30]) {
  await cond.withLock(async () => {
    await cond.waitFor(() => slot.value === 0);
    slot.value = item;
    cond.notifyAll();
  });
}
await consumer.join();
